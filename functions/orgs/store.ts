import { Org, routeKeyOf } from '../../schemas/orgs.js';
import { type RobotEntry, Robots } from '../../schemas/robots.js';
import { type Ddb, getItem, isConditionFailed, queryAll, stripKeys, updateItem } from '../shared/clients/dynamodb.js';

/**
 * Organisations. Item: pk ORG#<id>, sk ORG; index gsi1: gsi1pk ORGS, gsi1sk <routeKey>#<id>,
 * so "all orgs" and "a District office with its schools" (`list('D#<districtId>')`) are each one
 * Query. Route keys (`D#…`, `DIRECT`, `CITY`) and ids (lower case, no `#`) never meet.
 */
export const orgKey = (id: string) => ({ pk: `ORG#${id}`, sk: 'ORG' });

export interface OrgStore {
  get(id: string): Promise<Org | undefined>;
  /** Every org, or those of one route key (begins_with `<routeKey>#`, so `D#dh` never lists `D#dh2`'s). */
  list(routeKey?: string): Promise<Org[]>;
  /** Creates or updates an org, keeping its stored token version (import never revives a revoked link). */
  upsert(org: Org): Promise<'created' | 'updated'>;
  /** Revokes every link and session of the org; returns the new version. */
  bumpTokenVersion(id: string): Promise<number>;
}

/**
 * An org's group robots (schemas/robots.ts) are written only here, never by `upsert`: an import
 * rewrites the fields the CSV holds and so keeps every registered robot.
 */
export interface OrgContactWriter {
  /**
   * Marks the org's contacts with this address (any case) invalid — it bounced or drew a complaint — unless
   * they are already; conditional on the contacts being as read (retried). Returns whether anything changed.
   */
  markContactInvalid(id: string, address: string, invalid: NonNullable<Org['contacts'][number]['invalid']>): Promise<boolean>;
}

export interface OrgRobotWriter {
  /** Replaces the org's robots (none: the attribute is removed); throws for an unknown org. */
  setRobots(id: string, robots: RobotEntry[]): Promise<void>;
}

/** What most functions need: reading the registry (the writing half stays out of their bundles). */
export type OrgReader = Pick<OrgStore, 'get' | 'list'>;

/** Every org's item, or those of one route key (begins_with `<routeKey>#`): one Query of gsi1. */
const orgItems = (ddb: Ddb, table: string, routeKey?: string) =>
  queryAll(ddb, {
    TableName: table,
    IndexName: 'gsi1',
    KeyConditionExpression: routeKey ? 'gsi1pk = :p AND begins_with(gsi1sk, :r)' : 'gsi1pk = :p',
    ExpressionAttributeValues: routeKey ? { ':p': 'ORGS', ':r': `${routeKey}#` } : { ':p': 'ORGS' },
  });

export function orgReader(ddb: Ddb, table: string): OrgReader {
  return {
    async get(id) {
      const item = await getItem(ddb, { TableName: table, Key: orgKey(id) });
      return item ? Org.parse(stripKeys(item)) : undefined;
    },
    list: async (routeKey) => (await orgItems(ddb, table, routeKey)).map((i) => Org.parse(stripKeys(i))),
  };
}

/**
 * One org as stored, without validating it again (the import validated it when it wrote it): for functions that
 * only show an org's name or check its kind and district — it keeps the registry's schema out of their bundles.
 */
export function orgPeek(ddb: Ddb, table: string): OrgReader {
  return {
    async get(id) {
      const item = await getItem(ddb, { TableName: table, Key: orgKey(id) });
      return item ? stripKeys<Org>(item) : undefined;
    },
    list: async (routeKey) => (await orgItems(ddb, table, routeKey)).map((i) => stripKeys<Org>(i)),
  };
}

export function orgStore(ddb: Ddb, table: string): OrgStore & OrgRobotWriter & OrgContactWriter {
  return {
    ...orgReader(ddb, table),
    async upsert(org) {
      const { tokenVersion: _v, id: _id, ...fields } = org;
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':v': org.tokenVersion, ':g': 'ORGS', ':gs': `${routeKeyOf(org)}#${org.id}`, ':id': org.id };
      // gsi1sk is written every time: a re-import moves an org filed under an old route key.
      const sets = ['tokenVersion = if_not_exists(tokenVersion, :v)', 'gsi1pk = :g', 'gsi1sk = :gs', '#id = :id'];
      names['#id'] = 'id';
      const removes: string[] = [];
      // Only what the CSV holds: `robots` (setRobots) is left as it is.
      for (const k of ['name', 'kind', 'districtId', 'directKind', 'contacts'] as const) {
        names[`#${k}`] = k;
        const v = (fields as Record<string, unknown>)[k];
        if (v === undefined) removes.push(`#${k}`);
        else {
          sets.push(`#${k} = :${k}`);
          values[`:${k}`] = v;
        }
      }
      const old = await updateItem(ddb, {
        TableName: table,
        Key: orgKey(org.id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        // ALL_OLD: the whole item as it was, or nothing when there was none. (UPDATED_OLD is not
        // enough: other implementations leave out attributes set to the value they already had.)
        ReturnValues: 'ALL_OLD',
      });
      return old === undefined ? 'created' : 'updated';
    },
    async bumpTokenVersion(id) {
      try {
        const updated = await updateItem(ddb, {
          TableName: table,
          Key: orgKey(id),
          UpdateExpression: 'ADD tokenVersion :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        });
        return Number(updated?.tokenVersion);
      } catch (e) {
        if (isConditionFailed(e)) throw new Error(`机构不存在：${id}`);
        throw e;
      }
    },
    async markContactInvalid(id, address, invalid) {
      const a = address.toLowerCase();
      const item = await getItem(ddb, { TableName: table, Key: orgKey(id), ConsistentRead: true });
      if (!item) return false;
      let changed = false;
      for (const [n, c] of Org.parse(stripKeys(item)).contacts.entries()) {
        if (c.email.toLowerCase() !== a || c.invalid) continue;
        // The n-th contact, only while it is still this address without a mark (an import may have
        // replaced the contacts since the read): one contact, one conditional write.
        try {
          await updateItem(ddb, {
            TableName: table,
            Key: orgKey(id),
            UpdateExpression: `SET contacts[${n}].invalid = :inv`,
            ConditionExpression: `contacts[${n}].email = :email AND attribute_not_exists(contacts[${n}].invalid)`,
            ExpressionAttributeValues: { ':inv': invalid, ':email': c.email },
          });
          changed = true;
        } catch (e) {
          if (!isConditionFailed(e)) throw e;
        }
      }
      return changed;
    },
    async setRobots(id, robots) {
      try {
        await updateItem(ddb, {
          TableName: table,
          Key: orgKey(id),
          ...(robots.length ? { UpdateExpression: 'SET robots = :r', ExpressionAttributeValues: { ':r': Robots.parse(robots) } } : { UpdateExpression: 'REMOVE robots' }),
          ConditionExpression: 'attribute_exists(pk)',
        });
      } catch (e) {
        if (isConditionFailed(e)) throw new Error(`机构不存在：${id}`);
        throw e;
      }
    },
  };
}
