import { type PrecheckRef, PrecheckResult } from '../../schemas/precheck.js';
import { batchGet, type Ddb, getItem, isConditionFailed, putItem, queryAll, stripKeys } from '../shared/clients/dynamodb.js';

/**
 * Pre-check results, in the campaign's item collection beside the attempts they are about. Keys hold only
 * what never changes (campaign, org, document, attempt):
 *   pk CAMPAIGN#<campaign>, sk PRECHECK#<org>#<document>#<uploadId>
 */
export const precheckKey = (r: PrecheckRef) => ({
  pk: `CAMPAIGN#${r.campaignId}`,
  sk: `PRECHECK#${r.orgId}#${r.document}#${r.uploadId}`,
});

export interface PrecheckStore {
  /**
   * Stores a result once: the first result for a version stands (PutItem, condition attribute_not_exists).
   * Returns false when one was there already — a redelivered event changes nothing.
   */
  put(r: PrecheckResult): Promise<boolean>;
  get(campaignId: string, orgId: string, document: string, uploadId: string): Promise<PrecheckResult | undefined>;
  /** Every result of one org in a campaign (its versions of every document): one Query. */
  listOrg(campaignId: string, orgId: string): Promise<PrecheckResult[]>;
}

/** Reading results: what read-only functions (pages) get. */
export type PrecheckReader = Pick<PrecheckStore, 'get' | 'listOrg'>;

/** The results of exactly these versions (the review page's latest ones): one BatchGetItem per 100. */
export function precheckBatch(ddb: Ddb, table: string) {
  return async (refs: PrecheckRef[]): Promise<PrecheckResult[]> => (await batchGet(ddb, table, refs.map(precheckKey))).map((i) => PrecheckResult.parse(stripKeys(i)));
}

export function precheckReader(ddb: Ddb, table: string): PrecheckReader {
  return {
    async get(campaignId, orgId, document, uploadId) {
      const item = await getItem(ddb, { TableName: table, Key: precheckKey({ campaignId, orgId, document, uploadId }) });
      return item ? PrecheckResult.parse(stripKeys(item)) : undefined;
    },
    async listOrg(campaignId, orgId) {
      const items = await queryAll(ddb, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':p': `PRECHECK#${orgId}#` },
      });
      return items.map((i) => PrecheckResult.parse(stripKeys(i)));
    },
  };
}

export function precheckStore(ddb: Ddb, table: string): PrecheckStore {
  return {
    ...precheckReader(ddb, table),
    async put(r) {
      try {
        await putItem(ddb, { TableName: table, Item: { ...precheckKey(r), ...r }, ConditionExpression: 'attribute_not_exists(pk)' });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
  };
}
