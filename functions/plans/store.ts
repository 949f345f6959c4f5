import { type DocSummary, OrgSummary, type ReminderEntry, Upload, type UploadRef } from '../../schemas/plans.js';
import { type Ddb, getItem, isConditionFailed, putItem, queryAll, stripKeys, updateItem } from '../shared/clients/dynamodb.js';

/**
 * Upload attempts (and the versions they become) and each org's status item, in the campaign's item
 * collection. Keys hold only what never changes — campaign, org, document, attempt — so a school that
 * moves to another District keeps its history, and an upload in flight during the move still finds
 * its attempt. A jurisdiction is found through the org registry (its index on the route), not the keys.
 *   attempt: pk CAMPAIGN#<campaign>, sk UPLOAD#<org>#<document>#<uploadId>
 *   status:  pk CAMPAIGN#<campaign>, sk STATUS#<org>
 */
export const uploadKey = (u: UploadRef) => ({
  pk: `CAMPAIGN#${u.campaignId}`,
  sk: `UPLOAD#${u.orgId}#${u.document}#${u.uploadId}`,
});
export const summaryKey = (campaignId: string, orgId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `STATUS#${orgId}` });
/** The audience's size per route key: pk CAMPAIGN#<campaign>, sk AUDIENCE (the city digest's "of N"). */
export const audienceKey = (campaignId: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: 'AUDIENCE' });

/** Abandoned pending attempts are deleted by TTL in the cloud (and ignored on read after 15 minutes). */
const PENDING_TTL_SECONDS = 7 * 86400;

export type Outcome = Pick<Upload, 'state' | 'receivedAt' | 'size' | 'sha256' | 'late' | 'acceptedKey' | 'reason'>;

/**
 * The AUDIENCE item (sk AUDIENCE): the audience's size per route key, from the registry (the status sync), and
 * the terms registers kept beside it by functions/terms/ — so that the sweep and the terms page find them in
 * the one item they read, not in a Query of the city:
 *  - `exempt`: exempt org → its route key (the city digest's "of N" is `counts` minus these: expectedCounts);
 *  - `extended`: org with an extension → its due instant;
 *  - `schoolsDue`: District office with an internal deadline for its schools → its due instant.
 * Each register is written after the status item it mirrors (a crash between the two is repaired by repeating
 * the request); the status item is the truth, the registers say where to look and which days may be due.
 */
export interface Audience {
  counts: Record<string, number>;
  exempt?: Record<string, string>;
  extended?: Record<string, string>;
  schoolsDue?: Record<string, string>;
}
export type TermsRegister = 'exempt' | 'extended' | 'schoolsDue';

/** Reading attempts: what read-only functions get (the writing half stays out of their bundles). */
export type UploadReader = Pick<UploadStore, 'get' | 'listOrg'>;
export type SummaryReader = Pick<SummaryStore, 'get' | 'listRoute' | 'list'>;

export interface UploadStore {
  create(u: Upload): Promise<void>;
  get(ref: UploadRef): Promise<Upload | undefined>;
  /** Records the outcome once: only a pending attempt moves to accepted or rejected. Returns false if already final. */
  finish(ref: UploadRef, outcome: Outcome): Promise<boolean>;
  /** Records an accepted attempt's version and receipt numbers (idempotent: the same values every time). */
  numbered(ref: UploadRef, version: number, receiptNo: string): Promise<void>;
  /** Every attempt of one org (its upload page and history). */
  listOrg(campaignId: string, orgId: string): Promise<Upload[]>;
}

export interface SummaryStore {
  get(campaignId: string, orgId: string): Promise<OrgSummary | undefined>;
  /** Status items of one route (a District's jurisdiction): one Query of the route index (gsi1). */
  listRoute(campaignId: string, routeKey: string): Promise<OrgSummary[]>;
  /** Every org's status item of a campaign (the Bureau): one Query. */
  list(campaignId: string): Promise<OrgSummary[]>;
  /**
   * Writes the next revision of an org's status item: only if nobody wrote since `prev` was read
   * (rev unchanged, or still absent). Returns false on a lost race: read again and retry.
   */
  put(next: OrgSummary, prevRev: number | undefined): Promise<boolean>;
  /** How many orgs of the campaign's audience each route key has (written by the status sync), and the terms registers. */
  audience(campaignId: string): Promise<Audience | undefined>;
  /** Sets the counts only (the registers beside them are kept). */
  setAudience(campaignId: string, counts: Record<string, number>): Promise<void>;
  /** Sets (or, `value` undefined, removes) one org's entry in a terms register of the AUDIENCE item. Idempotent. */
  register(campaignId: string, which: TermsRegister, orgId: string, value: string | undefined): Promise<void>;
  /** Status items of the orgs that still owe something (the sparse owing index, gsi2), in route order. */
  listOwing(campaignId: string): Promise<OrgSummary[]>;
  /**
   * Records a reminder in the org's ledger (idempotent: keyed by its send-ledger key); bumps the revision
   * so that a fold that read the item before loses its write and retries with the entry in it.
   * False when the org has no status item.
   */
  remind(campaignId: string, orgId: string, key: string, entry: ReminderEntry): Promise<boolean>;
}

export function uploadReader(ddb: Ddb, table: string): UploadReader {
  return {
    async get(ref) {
      const item = await getItem(ddb, { TableName: table, Key: uploadKey(ref), ConsistentRead: true });
      return item ? Upload.parse(stripKeys(item)) : undefined;
    },
    async listOrg(campaignId, orgId) {
      const items = await queryAll(ddb, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':p': `UPLOAD#${orgId}#` },
      });
      return items.map((i) => Upload.parse(stripKeys(i)));
    },
  };
}

export function uploadStore(ddb: Ddb, table: string): UploadStore {
  return {
    ...uploadReader(ddb, table),
    async create(u) {
      await putItem(ddb, {
        TableName: table,
        Item: { ...uploadKey(u), ...u, ttl: Math.floor(Date.now() / 1000) + PENDING_TTL_SECONDS },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
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
    async numbered(ref, version, receiptNo) {
      await updateItem(ddb, {
        TableName: table,
        Key: uploadKey(ref),
        UpdateExpression: 'SET #v = :v, #r = :r',
        ConditionExpression: '#state = :accepted',
        ExpressionAttributeNames: { '#v': 'version', '#r': 'receiptNo', '#state': 'state' },
        ExpressionAttributeValues: { ':v': version, ':r': receiptNo, ':accepted': 'accepted' },
      });
    },
  };
}

const parseSummary = (i: Record<string, unknown>) => OrgSummary.parse(stripKeys(i));

const getSummary =
  (ddb: Ddb, table: string): SummaryStore['get'] =>
  async (campaignId, orgId) => {
    const item = await getItem(ddb, { TableName: table, Key: summaryKey(campaignId, orgId), ConsistentRead: true });
    return item ? parseSummary(item) : undefined;
  };

export function summaryReader(ddb: Ddb, table: string): SummaryReader {
  const parse = parseSummary;
  return {
    get: getSummary(ddb, table),
    async listRoute(campaignId, routeKey) {
      const items = await queryAll(ddb, {
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :r)',
        ExpressionAttributeValues: { ':p': `STATUS#${campaignId}`, ':r': `${routeKey}#` },
      });
      return items.map(parse);
    },
    async list(campaignId) {
      const items = await queryAll(ddb, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':p': 'STATUS#' },
      });
      return items.map(parse);
    },
  };
}

/** Reading and writing one org's status item (a review decision): the rest of the store stays out of the bundle. */
export function summaryWriter(ddb: Ddb, table: string): Pick<SummaryStore, 'get' | 'put'> {
  return { get: getSummary(ddb, table), put: putSummary(ddb, table) };
}

const putSummary =
  (ddb: Ddb, table: string): SummaryStore['put'] =>
  async (next, prevRev) => {
      try {
        await putItem(ddb, {
          TableName: table,
          Item: { ...summaryKey(next.campaignId, next.orgId), ...routeIndex(next), ...owingIndex(next), ...next },
          ...(prevRev === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#rev = :rev', ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': prevRev } }),
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    };

export function summaryStore(ddb: Ddb, table: string): SummaryStore {
  return {
    ...summaryReader(ddb, table),
    put: putSummary(ddb, table),
    audience: readAudience(ddb, table),
    async setAudience(campaignId, counts) {
      await updateItem(ddb, { TableName: table, Key: audienceKey(campaignId), UpdateExpression: 'SET #c = :c', ExpressionAttributeNames: { '#c': 'counts' }, ExpressionAttributeValues: { ':c': counts } });
    },
    register: writeRegister(ddb, table),
    listOwing: listOwing(ddb, table),
    async remind(campaignId, orgId, key, entry) {
      try {
        await updateItem(ddb, {
          TableName: table,
          Key: summaryKey(campaignId, orgId),
          UpdateExpression: 'SET reminded.#k = if_not_exists(reminded.#k, :e), #rev = #rev + :one',
          ConditionExpression: 'attribute_exists(reminded)',
          ExpressionAttributeNames: { '#k': key, '#rev': 'rev' },
          ExpressionAttributeValues: { ':e': entry, ':one': 1 },
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
  };
}

const listOwing =
  (ddb: Ddb, table: string): SummaryStore['listOwing'] =>
  async (campaignId) => {
    const items = await queryAll(ddb, {
      TableName: table,
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :p',
      ExpressionAttributeValues: { ':p': `OWING#${campaignId}` },
    });
    return items.map(parseSummary);
  };

/** What the sweep reads of the status items (and nothing that writes them): the owing index, one item, the AUDIENCE item. */
export function owingReader(ddb: Ddb, table: string): Pick<SummaryStore, 'listOwing' | 'get' | 'audience'> {
  return { listOwing: listOwing(ddb, table), get: getSummary(ddb, table), audience: readAudience(ddb, table) };
}

/** The AUDIENCE item (counts and terms registers); eventually consistent, like the sweep always read it. */
export const readAudience =
  (ddb: Ddb, table: string): SummaryStore['audience'] =>
  async (campaignId) => {
    const item = await getItem(ddb, { TableName: table, Key: audienceKey(campaignId) });
    if (!item) return undefined;
    const { counts, exempt, extended, schoolsDue } = item as Partial<Audience>;
    return { counts: counts ?? {}, ...(exempt ? { exempt } : {}), ...(extended ? { extended } : {}), ...(schoolsDue ? { schoolsDue } : {}) };
  };

/**
 * One entry of a terms register: SET (or REMOVE) `<register>.<orgId>`, on a register that exists (a nested
 * path needs its map); the first entry creates the map (if_not_exists), then sets. Idempotent.
 */
export const writeRegister =
  (ddb: Ddb, table: string): SummaryStore['register'] =>
  async (campaignId, which, orgId, value) => {
    const Key = audienceKey(campaignId);
    const entry = () =>
      updateItem(ddb, {
        TableName: table,
        Key,
        UpdateExpression: value === undefined ? 'REMOVE #m.#o' : 'SET #m.#o = :v',
        ConditionExpression: 'attribute_exists(#m)',
        ExpressionAttributeNames: { '#m': which, '#o': orgId },
        ...(value === undefined ? {} : { ExpressionAttributeValues: { ':v': value } }),
      });
    try {
      await entry();
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      if (value === undefined) return; // no register: nothing to remove
      await updateItem(ddb, { TableName: table, Key, UpdateExpression: 'SET #m = if_not_exists(#m, :empty)', ExpressionAttributeNames: { '#m': which }, ExpressionAttributeValues: { ':empty': {} } });
      await entry();
    }
  };

/** The status item's place in the route index (gsi1): a District's status items are one Query. */
const routeIndex = (s: Pick<OrgSummary, 'campaignId' | 'orgId' | 'routeKey'>) =>
  s.routeKey ? { gsi1pk: `STATUS#${s.campaignId}`, gsi1sk: `${s.routeKey}#${s.orgId}` } : {};

/** The sparse owing index (gsi2): only while the org still owes a document; a put without it leaves the index. */
const owingIndex = (s: Pick<OrgSummary, 'campaignId' | 'orgId' | 'routeKey' | 'missing'>) =>
  s.missing?.length ? { gsi2pk: `OWING#${s.campaignId}`, gsi2sk: `${s.routeKey ?? ''}#${s.orgId}` } : {};

export type { DocSummary };
