import { type ConcernItem, type ContactLog, type PeriodSummary, Roster } from '../../schemas/contacts.js';
import { batchGet, type Ddb, getItem, isConditionFailed, putItem, queryAll, stripKeys, updateItem } from '../shared/clients/dynamodb.js';

/**
 * The contact logs' stores (schemas/contacts.ts has the key design). Two tables:
 * - the service's table (`table`): roster, period summaries, concerns — no content, read by the matrix and rates;
 * - the contact-log table (`logTable`, its own KMS key): the logs and the "no contact needed" reasons.
 */

const schoolPk = (schoolId: string) => `SCHOOL#${schoolId}`;
export const rosterKey = (schoolId: string) => ({ pk: schoolPk(schoolId), sk: 'ROSTER' });
export const summaryKey = (schoolId: string, period: string) => ({ pk: schoolPk(schoolId), sk: `CSUM#${period}` });
export const concernKey = (schoolId: string, logId: string) => ({ pk: schoolPk(schoolId), sk: `CONCERN#${logId}` });
export const logKey = (schoolId: string, classId: string, logId: string) => ({ pk: schoolPk(schoolId), sk: `LOG#${classId}#${logId}` });
export const noneKey = (schoolId: string, classId: string, period: string) => ({ pk: schoolPk(schoolId), sk: `NONE#${classId}#${period}` });
/** The sparse index entry of an open 紧急 concern (the alert sweep re-sends those not acknowledged in time). */
export const OPEN_CONCERNS = 'CONCERN#OPEN';
/** The sparse index partition of the 关注 concerns raised on one Beijing day (the daily list). */
export const watchPartition = (raisedAt: string) => `CONCERN#WATCH#${new Date(Date.parse(raisedAt) + 8 * 3600_000).toISOString().slice(0, 10)}`;

// ── Roster ───────────────────────────────────────────────────────────────────────────────────────

/** Reading rosters (no parsing: only the roster writer stores them, through the schema). */
export interface RosterReader {
  get(schoolId: string): Promise<Roster | undefined>;
  /** Many schools' rosters (BatchGetItem, 100 a request); missing ones are absent. */
  getMany(schoolIds: string[]): Promise<Roster[]>;
}

export interface RosterStore extends Pick<RosterReader, 'get'> {
  /** Writes the roster if the stored one still has `prevRev` (undefined: none yet); false when another write came first. */
  put(roster: Roster, prevRev: number | undefined): Promise<boolean>;
}

const getRoster = async (ddb: Ddb, table: string, schoolId: string) => {
  const item = await getItem(ddb, { TableName: table, Key: rosterKey(schoolId), ConsistentRead: true });
  return item ? stripKeys<Roster>(item) : undefined;
};

export function rosterReader(ddb: Ddb, table: string): RosterReader {
  return {
    get: (schoolId) => getRoster(ddb, table, schoolId),
    async getMany(schoolIds) {
      const items = await batchGet(ddb, table, [...new Set(schoolIds)].map(rosterKey));
      return items.map((i) => stripKeys<Roster>(i));
    },
  };
}

/** The roster writer's store: one school's roster, read and written (no BatchGetItem code in its bundle). */
export function rosterStore(ddb: Ddb, table: string): RosterStore {
  return {
    get: (schoolId) => getRoster(ddb, table, schoolId),
    async put(roster, prevRev) {
      try {
        await putItem(ddb, {
          TableName: table,
          Item: { ...rosterKey(roster.schoolId), ...Roster.parse(roster) },
          ConditionExpression: prevRev === undefined ? 'attribute_not_exists(pk)' : '#rev = :rev',
          ...(prevRev === undefined ? {} : { ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': prevRev } }),
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
  };
}

// ── Period summaries ─────────────────────────────────────────────────────────────────────────────

export interface SummaryStore {
  /** Adds the class to the period's `logged` or `none` set: a string-set ADD, so a repeat (or a race) counts it once. */
  mark(schoolId: string, period: string, classId: string, as: 'logged' | 'none'): Promise<void>;
  /** Takes the class out of the set (a string-set DELETE: a repeat changes nothing). */
  unmark(schoolId: string, period: string, classId: string, as: 'logged' | 'none'): Promise<void>;
  /** The summaries of these (school, period) pairs; a period nobody logged in has none. */
  getMany(keys: { schoolId: string; period: string }[]): Promise<PeriodSummary[]>;
}

const toSummary = (i: Record<string, unknown>): PeriodSummary => ({
  schoolId: String(i.schoolId),
  period: String(i.period),
  logged: [...((i.logged as Set<string> | undefined) ?? [])].sort(),
  none: [...((i.none as Set<string> | undefined) ?? [])].sort(),
});

export function summaryStore(ddb: Ddb, table: string): SummaryStore {
  return {
    async mark(schoolId, period, classId, as) {
      await updateItem(ddb, {
        TableName: table,
        Key: summaryKey(schoolId, period),
        UpdateExpression: 'SET schoolId = :s, period = :p ADD #set :c',
        ExpressionAttributeNames: { '#set': as },
        ExpressionAttributeValues: { ':s': schoolId, ':p': period, ':c': new Set([classId]) },
      });
    },
    async unmark(schoolId, period, classId, as) {
      await updateItem(ddb, {
        TableName: table,
        Key: summaryKey(schoolId, period),
        UpdateExpression: 'DELETE #set :c',
        ExpressionAttributeNames: { '#set': as },
        ExpressionAttributeValues: { ':c': new Set([classId]) },
      });
    },
    async getMany(keys) {
      if (!keys.length) return [];
      const items = await batchGet(ddb, table, keys.map((k) => summaryKey(k.schoolId, k.period)));
      return items.map(toSummary);
    },
  };
}

// ── Concerns ─────────────────────────────────────────────────────────────────────────────────────

export interface ConcernStore {
  /**
   * Records that the log reached this level (only upwards: 关注 → 紧急; an acknowledged concern stays acknowledged).
   * Returns the stored item and whether this call raised it to `level` (true once per level).
   */
  raise(c: Pick<ConcernItem, 'schoolId' | 'classId' | 'logId' | 'level' | 'raisedAt'>): Promise<{ raised: boolean; item: ConcernItem }>;
  /** Acknowledges; false when it was acknowledged before (the first acknowledgement is kept). */
  ack(schoolId: string, logId: string, by: string, byName: string, at: string): Promise<{ acked: boolean; item?: ConcernItem }>;
  get(schoolId: string, logId: string): Promise<ConcernItem | undefined>;
  /** A school's concerns, newest first. */
  list(schoolId: string): Promise<ConcernItem[]>;
  /** Open 紧急 concerns raised at or before `before` (the sparse index). */
  openUrgent(before: string): Promise<ConcernItem[]>;
  /** The 关注 concerns raised on a Beijing day (`YYYY-MM-DD`), every school's (the sparse index). */
  watchOn(day: string): Promise<ConcernItem[]>;
  /** Marks an unacknowledged concern escalated (once). */
  escalated(schoolId: string, logId: string, at: string): Promise<boolean>;
}

const toConcern = (i: Record<string, unknown>) => stripKeys<ConcernItem>(i);

/** The writer's half: raise, acknowledge (and read one back). */
export function concernWriter(ddb: Ddb, table: string): Pick<ConcernStore, 'raise' | 'ack' | 'get'> {
  return {
    async raise(c) {
      const urgent = c.level === '紧急';
      try {
        const item = await updateItem(ddb, {
          TableName: table,
          Key: concernKey(c.schoolId, c.logId),
          // 关注 never lowers a 紧急. A log raised to 紧急 is a new emergency: it needs its own acknowledgement
          // (an earlier one of its 关注 is cleared) and enters the open index, keyed by when it was raised.
          // A 关注 is listed under its Beijing day instead (the crisis group's daily list).
          UpdateExpression: `SET schoolId = :s, classId = :c, logId = :l, #level = :lv, raisedAt = :at, gsi2pk = :open, gsi2sk = :due${urgent ? ' REMOVE ackAt, ackBy, ackByName, escalatedAt' : ''}`,
          ConditionExpression: urgent ? 'attribute_not_exists(#level) OR #level <> :lv' : 'attribute_not_exists(#level)',
          ExpressionAttributeNames: { '#level': 'level' },
          ExpressionAttributeValues: {
            ':s': c.schoolId,
            ':c': c.classId,
            ':l': c.logId,
            ':lv': c.level,
            ':at': c.raisedAt,
            ':open': urgent ? OPEN_CONCERNS : watchPartition(c.raisedAt),
            ':due': `${c.raisedAt}#${c.schoolId}#${c.logId}`,
          },
          ReturnValues: 'ALL_NEW',
        });
        const concern = toConcern(item ?? {});
        return { raised: true, item: concern };
      } catch (e) {
        if (!isConditionFailed(e)) throw e;
        const item = await getItem(ddb, { TableName: table, Key: concernKey(c.schoolId, c.logId), ConsistentRead: true });
        return { raised: false, item: toConcern(item ?? {}) };
      }
    },
    async ack(schoolId, logId, by, byName, at) {
      const before = await getItem(ddb, { TableName: table, Key: concernKey(schoolId, logId), ConsistentRead: true });
      if (!before) return { acked: false };
      try {
        // An acknowledged 紧急 leaves the open index; a 关注 stays on its day's list.
        const item = await updateItem(ddb, {
          TableName: table,
          Key: concernKey(schoolId, logId),
          UpdateExpression: `SET ackAt = :at, ackBy = :by, ackByName = :n${before.level === '紧急' ? ' REMOVE gsi2pk, gsi2sk' : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(ackAt)',
          ExpressionAttributeValues: { ':at': at, ':by': by, ':n': byName },
          ReturnValues: 'ALL_NEW',
        });
        return { acked: true, item: toConcern(item ?? {}) };
      } catch (e) {
        if (!isConditionFailed(e)) throw e;
        const item = await getItem(ddb, { TableName: table, Key: concernKey(schoolId, logId), ConsistentRead: true });
        return { acked: false, item: item ? toConcern(item) : undefined };
      }
    },
    async get(schoolId, logId) {
      const item = await getItem(ddb, { TableName: table, Key: concernKey(schoolId, logId), ConsistentRead: true });
      return item ? toConcern(item) : undefined;
    },
  };
}

/** The pages' half: one concern, a school's concerns. */
export function concernReader(ddb: Ddb, table: string): Pick<ConcernStore, 'get' | 'list'> {
  return {
    async get(schoolId, logId) {
      const item = await getItem(ddb, { TableName: table, Key: concernKey(schoolId, logId), ConsistentRead: true });
      return item ? toConcern(item) : undefined;
    },
    async list(schoolId) {
      const items = await queryAll(ddb, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
        ExpressionAttributeValues: { ':pk': schoolPk(schoolId), ':c': 'CONCERN#' },
        ScanIndexForward: false,
      });
      return items.map(toConcern).sort((a, b) => b.raisedAt.localeCompare(a.raisedAt));
    },
  };
}

/** The alert sweep's half: what is open or was raised on a day, and marking an escalation. */
export function concernSweeper(ddb: Ddb, table: string): Pick<ConcernStore, 'openUrgent' | 'watchOn' | 'escalated'> {
  return {
    async openUrgent(before) {
      const items = await queryAll(ddb, {
        TableName: table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p AND gsi2sk <= :b',
        ExpressionAttributeValues: { ':p': OPEN_CONCERNS, ':b': `${before}#~` },
      });
      return items.map(toConcern).filter((c) => !c.ackAt);
    },
    async watchOn(day) {
      const items = await queryAll(ddb, {
        TableName: table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': `CONCERN#WATCH#${day}` },
      });
      return items.map(toConcern).filter((c) => c.level === '关注');
    },
    async escalated(schoolId, logId, at) {
      try {
        await updateItem(ddb, {
          TableName: table,
          Key: concernKey(schoolId, logId),
          UpdateExpression: 'SET escalatedAt = :at REMOVE gsi2pk, gsi2sk',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(escalatedAt) AND attribute_not_exists(ackAt)',
          ExpressionAttributeValues: { ':at': at },
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
  };
}

/** Every concern operation (the CLI, tests). Each function takes only the half it uses: the others stay out of its bundle. */
export function concernStore(ddb: Ddb, table: string): ConcernStore {
  return { ...concernWriter(ddb, table), ...concernReader(ddb, table), ...concernSweeper(ddb, table) };
}

// ── Logs (the contact-log table) ─────────────────────────────────────────────────────────────────

export interface NoneRecord {
  schoolId: string;
  classId: string;
  period: string;
  reason: string;
  at: string;
  byName: string;
  ttl: number;
}

export interface LogReader {
  get(schoolId: string, classId: string, logId: string): Promise<ContactLog | undefined>;
  /** One class's logs (oldest first), or the whole school's when `classId` is undefined. */
  list(schoolId: string, classId?: string): Promise<ContactLog[]>;
  /** One class's (or the school's) "no contact needed" records. */
  listNone(schoolId: string, classId?: string): Promise<NoneRecord[]>;
}

export interface LogStore extends LogReader {
  /** Writes a new log; false when the id is taken. */
  create(log: ContactLog): Promise<boolean>;
  /** Replaces the log if it still has `prevVersions` versions; false when another correction came first. */
  update(log: ContactLog, prevVersions: number): Promise<boolean>;
  /** Records "no contact needed" once per class and period; false when it was recorded before. */
  putNone(r: NoneRecord): Promise<boolean>;
}

/** Expired content is never shown, whether or not TTL has deleted it yet (AWS deletes up to 48 h late; dynalite never). */
const live = (nowSeconds: number) => (i: Record<string, unknown>) => typeof i.ttl !== 'number' || i.ttl > nowSeconds;
const keep = <T>(i: Record<string, unknown>): T => {
  const { pk: _pk, sk: _sk, ...rest } = i;
  return rest as T;
};

export function logStore(ddb: Ddb, logTable: string, now: () => Date): LogStore {
  const nowSeconds = () => Math.floor(now().getTime() / 1000);
  const conditional = async (write: () => Promise<void>) => {
    try {
      await write();
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  };
  const listPrefix = async (schoolId: string, prefix: string) =>
    (
      await queryAll(ddb, {
        TableName: logTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': schoolPk(schoolId), ':p': prefix },
      })
    ).filter(live(nowSeconds()));
  return {
    async get(schoolId, classId, logId) {
      const item = await getItem(ddb, { TableName: logTable, Key: logKey(schoolId, classId, logId), ConsistentRead: true });
      return item && live(nowSeconds())(item) ? keep<ContactLog>(item) : undefined;
    },
    async list(schoolId, classId) {
      return (await listPrefix(schoolId, classId ? `LOG#${classId}#` : 'LOG#')).map((i) => keep<ContactLog>(i));
    },
    async listNone(schoolId, classId) {
      return (await listPrefix(schoolId, classId ? `NONE#${classId}#` : 'NONE#')).map((i) => keep<NoneRecord>(i));
    },
    create: (log) =>
      conditional(() => putItem(ddb, { TableName: logTable, Item: { ...logKey(log.schoolId, log.classId, log.logId), ...log }, ConditionExpression: 'attribute_not_exists(pk)' })),
    update: (log, prevVersions) =>
      conditional(() =>
        putItem(ddb, {
          TableName: logTable,
          Item: { ...logKey(log.schoolId, log.classId, log.logId), ...log },
          ConditionExpression: 'size(versions) = :n',
          ExpressionAttributeValues: { ':n': prevVersions },
        }),
      ),
    putNone: (r) =>
      conditional(() => putItem(ddb, { TableName: logTable, Item: { ...noneKey(r.schoolId, r.classId, r.period), ...r }, ConditionExpression: 'attribute_not_exists(pk)' })),
  };
}

// ── The city's monthly roll-up (written by the digest job on the 1st; the Bureau's per-District view) ─────────

/** One District's (or the Direct schools', `direct` — a reserved word, never an org id) rates for a month. */
export interface GroupMonth {
  month: string;
  group: string;
  name: string;
  schools: number;
  noRoster: number;
  expected: number;
  done: number;
  at: string;
}
export const groupMonthKey = (month: string, group: string) => ({ pk: `CONTACT-RATES#${month}`, sk: group });

export interface CityRates {
  /** Writes (or rewrites: the same month computed again is the same answer) one group's month. */
  put(g: GroupMonth): Promise<void>;
  /** Every group's month (one Query). */
  list(month: string): Promise<GroupMonth[]>;
}

export function cityRates(ddb: Ddb, table: string): CityRates {
  return {
    async put(g) {
      await putItem(ddb, { TableName: table, Item: { ...groupMonthKey(g.month, g.group), ...g } });
    },
    async list(month) {
      return (await queryAll(ddb, { TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `CONTACT-RATES#${month}` } })).map((i) => stripKeys<GroupMonth>(i));
    },
  };
}
