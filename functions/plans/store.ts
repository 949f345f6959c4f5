import { Upload } from '../../schemas/plans.js';
import { type Ddb, getItem, isConditionFailed, putItem, queryAll, stripKeys, updateItem } from '../shared/clients/dynamodb.js';

/**
 * Upload attempts and submission versions, in the campaign's item collection:
 * pk CAMPAIGN#<campaign>, sk UPLOAD#<routeKey>#<org>#<document>#<uploadId>.
 * One Query reads the whole campaign, a District's jurisdiction (prefix UPLOAD#<district>#) or one org.
 */
type Ref = Pick<Upload, 'campaignId' | 'routeKey' | 'orgId' | 'document' | 'uploadId'>;
export const uploadKey = (u: Ref) => ({
  pk: `CAMPAIGN#${u.campaignId}`,
  sk: `UPLOAD#${u.routeKey}#${u.orgId}#${u.document}#${u.uploadId}`,
});

/** Abandoned pending attempts are deleted by TTL in the cloud (and ignored on read after 15 minutes). */
const PENDING_TTL_SECONDS = 7 * 86400;

export type Outcome = Pick<Upload, 'state' | 'receivedAt' | 'size' | 'sha256' | 'late' | 'acceptedKey' | 'reason'>;

export interface UploadStore {
  create(u: Upload): Promise<void>;
  get(ref: Ref): Promise<Upload | undefined>;
  /** Records the outcome once: only a pending attempt moves to accepted or rejected. Returns false if already final. */
  finish(ref: Ref, outcome: Outcome): Promise<boolean>;
  list(campaignId: string, scope: { routeKey?: string; orgId?: string }): Promise<Upload[]>;
}

export function uploadStore(ddb: Ddb, table: string): UploadStore {
  return {
    async create(u) {
      await putItem(ddb, {
        TableName: table,
        Item: { ...uploadKey(u), ...u, ttl: Math.floor(Date.now() / 1000) + PENDING_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    },
    async get(ref) {
      const item = await getItem(ddb, { TableName: table, Key: uploadKey(ref), ConsistentRead: true });
      return item ? Upload.parse(stripKeys(item)) : undefined;
    },
    async finish(ref, outcome) {
      const values: Record<string, unknown> = { ':pending': 'pending' };
      const names: Record<string, string> = { '#state': 'state' };
      const sets: string[] = [];
      for (const [k, v] of Object.entries(outcome)) {
        if (v === undefined) continue;
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        sets.push(`#${k} = :${k}`);
      }
      try {
        await updateItem(ddb, {
          TableName: table,
          Key: uploadKey(ref),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE #ttl`,
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { ...names, '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
    async list(campaignId, scope) {
      const prefix = `UPLOAD#${scope.routeKey ? `${scope.routeKey}#${scope.orgId ? `${scope.orgId}#` : ''}` : ''}`;
      const items = await queryAll(ddb, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':p': prefix },
      });
      return items.map((i) => Upload.parse(stripKeys(i)));
    },
  };
}
