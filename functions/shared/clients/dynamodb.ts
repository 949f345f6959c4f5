import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/** The DynamoDB document client; endpoint from AWS_ENDPOINT_URL_DYNAMODB when set (emulator). */
export const ddbDoc = (client = new DynamoDBClient({})) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

export type Ddb = DynamoDBDocumentClient;

/** Reads every page of a Query (request paths only read bounded, keyed collections; never a Scan). */
export async function queryAll<T>(ddb: Ddb, input: QueryCommandInput): Promise<T[]> {
  const out: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    out.push(...((page.Items ?? []) as T[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

export const isConditionFailed = (e: unknown) => e instanceof Error && e.name === 'ConditionalCheckFailedException';

/** Drops the key attributes of a stored item, leaving the domain record. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ttl: _ttl, ...rest } = item;
  return rest as T;
}
