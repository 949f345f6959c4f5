import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { AuditEvent } from '../../schemas/audit.js';
import { type Ddb, isConditionFailed, putItem, queryAll, stripKeys } from '../shared/clients/dynamodb.js';

/**
 * The audit trail, in its own table (schemas/table.ts AUDIT_TABLE_DESIGN). Append-only by
 * construction: the only write is a PutItem conditional on the key being new, and the functions that
 * append are granted dynamodb:PutItem on this table and nothing else that writes (infra/lambda-function.ts
 * bindAudit). Items:
 *   pk `AUDIT#<campaignId>`, sk `<at>#<orgId>#<id>`; gsi1pk `AUDIT#<campaignId>#<orgId>`, gsi1sk `<at>#<id>`.
 */
export const auditKey = (e: Pick<AuditEvent, 'campaignId' | 'orgId' | 'at' | 'id'>) => ({
  pk: `AUDIT#${e.campaignId}`,
  sk: auditCursor(e),
  gsi1pk: `AUDIT#${e.campaignId}#${e.orgId}`,
  gsi1sk: `${e.at}#${e.id}`,
});

/**
 * An event's place in its campaign's trail (its sort key). As `before` it lists what came strictly
 * earlier; an ISO instant (`2019-06-30T16:00:00.000Z`) works as `before` too: everything before it.
 */
export const auditCursor = (e: Pick<AuditEvent, 'orgId' | 'at' | 'id'>) => `${e.at}#${e.orgId}#${e.id}`;

export interface ListOptions {
  /** At most this many events: the latest ones (before `before`), still returned in time order. */
  limit?: number;
  /** Only events strictly before this cursor (`auditCursor`) or ISO instant. */
  before?: string;
}

export interface AuditLog {
  /**
   * Records one event. 'exists' when an event with the same campaign, time, org and id is already
   * there (a redelivery): nothing is written. The stored event is never changed.
   */
  append(e: AuditEvent): Promise<'appended' | 'exists'>;
  /** A campaign's trail in time order (oldest first); with `limit`, the latest `limit` events. */
  listCampaign(campaignId: string, opts?: ListOptions): Promise<AuditEvent[]>;
  /** One org's trail in a campaign, in time order. */
  listOrg(campaignId: string, orgId: string): Promise<AuditEvent[]>;
}

/** What a function that records changes gets (its role has PutItem on the trail and nothing to read it). */
export type AuditWriter = Pick<AuditLog, 'append'>;
/** What the Bureau's view gets (Query only). */
export type AuditReader = Pick<AuditLog, 'listCampaign' | 'listOrg'>;

const fromItem = (item: Record<string, unknown>): AuditEvent => AuditEvent.parse(stripKeys(item));

/** Appending only: the writing half (a function granted `audit: 'append'` bundles no reading code). */
export function auditWriter(ddb: Ddb, table: string): AuditWriter {
  return {
    async append(e) {
      const event = AuditEvent.parse(e);
      try {
        await putItem(ddb, {
          TableName: table,
          Item: { ...auditKey(event), ...event },
          ConditionExpression: 'attribute_not_exists(pk)',
        });
        return 'appended';
      } catch (err) {
        if (isConditionFailed(err)) return 'exists';
        throw err;
      }
    },
  };
}

export function auditReader(ddb: Ddb, table: string): AuditReader {
  return {
    async listCampaign(campaignId, opts = {}) {
      const { limit, before } = opts;
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new RangeError(`limit must be a positive integer; got ${limit}`);
      const key = before === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :before';
      const values = { ':pk': `AUDIT#${campaignId}`, ...(before === undefined ? {} : { ':before': before }) };
      if (limit === undefined) {
        const items = await queryAll(ddb, { TableName: table, KeyConditionExpression: key, ExpressionAttributeValues: values });
        return items.map(fromItem);
      }
      // The latest `limit`: newest first, page by page (DynamoDB pages at 1 MB whatever Limit says),
      // until there are enough or no more; then back into time order.
      const out: AuditEvent[] = [];
      let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await ddb.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: key,
            ExpressionAttributeValues: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { S: v }])),
            ScanIndexForward: false,
            Limit: limit - out.length,
            ExclusiveStartKey,
          }),
        );
        for (const i of page.Items ?? []) if (out.length < limit) out.push(fromItem(unmarshall(i)));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey && out.length < limit);
      return out.reverse();
    },
    async listOrg(campaignId, orgId) {
      const items = await queryAll(ddb, {
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `AUDIT#${campaignId}#${orgId}` },
      });
      return items.map(fromItem);
    },
  };
}

/** The whole trail: append and read (the CLI, tests). */
export function auditLog(ddb: Ddb, table: string): AuditLog {
  return { ...auditWriter(ddb, table), ...auditReader(ddb, table) };
}
