import { Bundle } from '../../schemas/bundles.js';
import { type Ddb, getItem, isConditionFailed, putItem, queryAll, stripKeys, updateItem } from '../shared/clients/dynamodb.js';

/**
 * Bundles in the campaign's item collection: pk CAMPAIGN#<campaign>, sk BUNDLE#<district>#<seq, 4 digits> — a
 * District's bundles in order are one Query, every District's one Query (the Centre's list). Keys hold ids only.
 */
export const bundleKey = (campaignId: string, districtId: string, seq: number) => ({
  pk: `CAMPAIGN#${campaignId}`,
  sk: `BUNDLE#${districtId}#${String(seq).padStart(4, '0')}`,
});

export interface BundleStore {
  get(campaignId: string, districtId: string, seq: number): Promise<Bundle | undefined>;
  /** A District's bundles, oldest first. */
  list(campaignId: string, districtId: string): Promise<Bundle[]>;
  /** Every District's bundles, by District then number. */
  listAll(campaignId: string): Promise<Bundle[]>;
  /** Writes a new bundle under its number, only if that number is free: false when another forward took it. */
  create(b: Bundle): Promise<boolean>;
  /** forwarded → received | returned, once: false when the bundle was answered already. */
  answer(campaignId: string, districtId: string, seq: number, a: Required<Pick<Bundle, 'state' | 'answeredAt' | 'answeredBy' | 'answeredByName'>> & Pick<Bundle, 'comment'>): Promise<boolean>;
}

const parse = (i: Record<string, unknown>) => Bundle.parse(stripKeys(i));

export function bundleStore(ddb: Ddb, table: string): BundleStore {
  const query = async (campaignId: string, prefix: string) =>
    (
      await queryAll(ddb, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':p': prefix },
      })
    ).map(parse);
  return {
    async get(campaignId, districtId, seq) {
      const item = await getItem(ddb, { TableName: table, Key: bundleKey(campaignId, districtId, seq), ConsistentRead: true });
      return item ? parse(item) : undefined;
    },
    list: (campaignId, districtId) => query(campaignId, `BUNDLE#${districtId}#`),
    listAll: (campaignId) => query(campaignId, 'BUNDLE#'),
    async create(b) {
      try {
        await putItem(ddb, { TableName: table, Item: { ...bundleKey(b.campaignId, b.districtId, b.seq), ...b }, ConditionExpression: 'attribute_not_exists(pk)' });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
    async answer(campaignId, districtId, seq, a) {
      try {
        await updateItem(ddb, {
          TableName: table,
          Key: bundleKey(campaignId, districtId, seq),
          UpdateExpression: `SET #s = :s, answeredAt = :at, answeredBy = :by, answeredByName = :name${a.comment ? ', #c = :c' : ''}`,
          ConditionExpression: '#s = :forwarded',
          ExpressionAttributeNames: { '#s': 'state', ...(a.comment ? { '#c': 'comment' } : {}) },
          ExpressionAttributeValues: { ':s': a.state, ':at': a.answeredAt, ':by': a.answeredBy, ':name': a.answeredByName, ':forwarded': 'forwarded', ...(a.comment ? { ':c': a.comment } : {}) },
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
  };
}
