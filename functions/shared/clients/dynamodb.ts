import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * A thin layer over the raw DynamoDB client: the stores pass and get plain values, marshalled here
 * (and only here) as the document client did — undefined attributes and map members are dropped.
 * (@aws-sdk/lib-dynamodb is not used: its document client bundles every command and paginator.)
 */
export type Ddb = DynamoDBClient;

/** The DynamoDB client; endpoint from AWS_ENDPOINT_URL_DYNAMODB when set (emulator). */
export const ddbClient = (): Ddb => new DynamoDBClient({});

/** An item, a key or a set of expression values, as plain JS values. */
export type Item = Record<string, unknown>;

/** A raw command input with its AttributeValue members taken as plain values instead. */
type Plain<I, Req extends keyof I, Opt extends keyof I = never> = Omit<I, Req | Opt> & { [K in Req]: Item } & { [K in Opt]?: Item };

export type GetInput = Plain<GetItemCommandInput, 'Key'>;
export type PutInput = Plain<PutItemCommandInput, 'Item', 'ExpressionAttributeValues'>;
export type UpdateInput = Plain<UpdateItemCommandInput, 'Key', 'ExpressionAttributeValues'>;
export type DeleteInput = Plain<DeleteItemCommandInput, 'Key', 'ExpressionAttributeValues'>;
export type QueryInput = Plain<Omit<QueryCommandInput, 'ExclusiveStartKey'>, never, 'ExpressionAttributeValues'>;

const toAttrs = (v: Item) => marshall(v, { removeUndefinedValues: true });
const withValues = (v: Item | undefined) => (v === undefined ? {} : { ExpressionAttributeValues: toAttrs(v) });
const fromAttrs = (v: Record<string, AttributeValue> | undefined): Item | undefined => (v === undefined ? undefined : unmarshall(v));

/** The item, or undefined when there is none. */
export async function getItem(ddb: Ddb, { Key, ...rest }: GetInput): Promise<Item | undefined> {
  const r = await ddb.send(new GetItemCommand({ ...rest, Key: toAttrs(Key) }));
  return fromAttrs(r.Item);
}

export async function putItem(ddb: Ddb, { Item, ExpressionAttributeValues, ...rest }: PutInput): Promise<void> {
  await ddb.send(new PutItemCommand({ ...rest, Item: toAttrs(Item), ...withValues(ExpressionAttributeValues) }));
}

/** Returns the attributes asked for with ReturnValues (undefined without). */
export async function updateItem(ddb: Ddb, { Key, ExpressionAttributeValues, ...rest }: UpdateInput): Promise<Item | undefined> {
  const r = await ddb.send(new UpdateItemCommand({ ...rest, Key: toAttrs(Key), ...withValues(ExpressionAttributeValues) }));
  return fromAttrs(r.Attributes);
}

export async function deleteItem(ddb: Ddb, { Key, ExpressionAttributeValues, ...rest }: DeleteInput): Promise<void> {
  await ddb.send(new DeleteItemCommand({ ...rest, Key: toAttrs(Key), ...withValues(ExpressionAttributeValues) }));
}

/** Reads every page of a Query (request paths only read bounded, keyed collections; never a Scan). */
export async function queryAll<T = Item>(ddb: Ddb, { ExpressionAttributeValues, ...rest }: QueryInput): Promise<T[]> {
  const input = { ...rest, ...withValues(ExpressionAttributeValues) };
  const out: T[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    for (const i of page.Items ?? []) out.push(unmarshall(i) as T);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

/**
 * Reads many items by key (BatchGetItem, 100 keys a request, the keys DynamoDB leaves unprocessed asked again
 * with a growing pause; up to 4 requests at once). Items come back in no particular order; a missing key is
 * simply absent.
 */
export async function batchGet(ddb: Ddb, table: string, keys: Record<string, unknown>[], attempts = 8): Promise<Item[]> {
  const out: Item[] = [];
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  // A few requests at once (a District's rosters and summaries are ~10 of them): the answer in the time of the slowest.
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let pending: Record<string, AttributeValue>[] | undefined = (chunks[next++] as Record<string, unknown>[]).map(toAttrs);
      for (let n = 0; pending?.length; n++) {
        if (n === attempts) throw new Error(`batchGet: ${pending.length} keys still unprocessed after ${attempts} attempts`);
        if (n) await new Promise((ok) => setTimeout(ok, 50 * 2 ** n));
        const r: BatchGetItemCommandOutput = await ddb.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending } } }));
        for (const item of r.Responses?.[table] ?? []) out.push(unmarshall(item));
        pending = r.UnprocessedKeys?.[table]?.Keys;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, chunks.length) }, worker));
  return out;
}

export const isConditionFailed = (e: unknown) => e instanceof Error && e.name === 'ConditionalCheckFailedException';

/** Drops the key attributes of a stored item, leaving the domain record. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, gsi2pk: _o1, gsi2sk: _o2, ttl: _ttl, ...rest } = item;
  return rest as T;
}
