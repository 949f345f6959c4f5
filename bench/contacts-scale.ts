/**
 * Parent-contact completeness at city scale (issue 8, item 8): `npm run bench` runs it after the reminder sweep,
 * in a process of its own; `npm run bench:contacts` runs it alone.
 *
 * A fresh local runtime (local/runtime.ts, scheduler off: it gives dynalite over real HTTP with the real table
 * design) gets status-scale's city — 13 District offices with 2,000 schools between them, 60 Direct schools, the
 * Bureau and the Centre — and, for every school, a roster of 8–40 classes (~40,000 classes in all; ~20 % of the
 * schools monthly, the rest weekly; a spring term of 20 weeks, 25 Feb – 12 July 2019) and the period summaries
 * (`CSUM#<period>`) of May 2019: per class-period ~85 % logged, ~4 % "no contact needed", the rest missing; a few
 * schools where nobody logged have no summary item at all. The measured District's schools also get the summaries
 * of the whole term (the matrix). Everything is written with BatchWriteItem (it is a bench), through the real key
 * design: `orgKey` + the item the org store's `upsert` writes (gsi1 by route key), `rosterKey` with a roster that
 * passes the schema, `summaryKey` with the string sets `logged` / `none` the summary store's `mark` builds.
 *
 * Then, with the stores the `contact-rates` function builds (functions/contacts/rates.ts: orgReader, rosterReader,
 * summaryStore) on a DynamoDB client over HTTP, and "now" 15 July 2019 (May and the term are over):
 *  - `groupRates(deps, 'D#<district>', '2019-05')` for one District, for the Direct schools, and for each of the
 *    13 Districts in turn (what the city reading every District's page would cost);
 *  - `schoolCompleteness(deps, school)` for a weekly school of that District: its matrix over the 20-week term.
 * Every DynamoDB call is metered (ReturnConsumedCapacity TOTAL, bench/status-scale.ts `installMeter`).
 *
 * The floor (the brief's): one item per school (its roster) + one per school-period of the month — items read by
 * key, so in DynamoDB's model each is rounded up to 4 KB on its own — plus the org items in scope, which the one
 * Query that lists the schools must return (rounded once, for the page). Reading every log instead is an ESTIMATE,
 * not a measurement: classes × periods × LOGS_PER_CLASS_PERIOD × the size of a typical stored log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { type ContactLog, type Period, Roster, type RosterClass, type RosterStaff } from '../schemas/contacts.js';
import { DIRECT_ROUTE_KEY, districtRouteKey, type Org, routeKeyOf } from '../schemas/orgs.js';
import { expectedClasses, periodsOfMonth } from '../functions/contacts/completeness.js';
import { periodsBetween } from '../functions/contacts/periods.js';
import { groupRates, type RatesDeps, schoolCompleteness } from '../functions/contacts/rates-service.js';
import { logKey, rosterKey, rosterReader, summaryKey, summaryStore } from '../functions/contacts/store.js';
import { orgKey, orgReader } from '../functions/orgs/store.js';
import { ddbClient } from '../functions/shared/clients/dynamodb.js';
import { readEnv } from '../functions/shared/env.js';
import { startRuntime } from '../local/runtime.js';
import {
  type AV,
  awsSize,
  awsUnits,
  buildCity,
  type DdbCall,
  DISTRICTS,
  dynaliteSize,
  fmt,
  installMeter,
  metered,
  percentile,
  pick,
  pool,
  prng,
  type Rand,
  reportedUnits,
  table,
  UNIT,
} from './status-scale.js';

// ── Settings ───────────────────────────────────────────────────────────────────────────────────────
export const MONTH = '2019-05';
/** The spring term: 20 ISO weeks (2019-W09 … 2019-W28, the last one clipped to Friday 12 July). */
export const TERM = { start: '2019-02-25', end: '2019-07-12' } as const;
/** "Now" for the reads: after the term, so May and every period of the term are over (counted in the rates). */
export const NOW = new Date('2019-07-15T10:00:00+08:00');
export const CLASSES_MIN = 8;
export const CLASSES_MAX = 40;
export const SHARE_MONTHLY = 0.2;
/** Per class-period: logged with the school's own probability (0.75–0.95, mean 0.85), else "no contact needed" with this one. */
export const SHARE_NONE = 0.04;
/** Schools where nobody logged this term (no summary item at all: their keys are read and found empty). */
export const SHARE_SILENT = 0.02;
/** ASSUMPTION for the estimate of reading every log: logs per class per period (a few classes log twice). */
export const LOGS_PER_CLASS_PERIOD = 1.2;
/** Measured runs per read (median reported), after one untimed warm-up; all interleaved. */
export const RUNS = 7;
/** The city (13 Districts in turn) is heavier: fewer runs. */
export const CITY_RUNS = 3;
/** Concurrent BatchWriteItem requests while seeding. */
const SEED_CONCURRENCY = 8;
const SEED = 20190515;

// ── The city's rosters and summaries ───────────────────────────────────────────────────────────────
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
const id32 = (r: Rand, prefix: 'c' | 's') => prefix + Array.from({ length: 8 }, () => B32[Math.floor(r() * 32)]).join('');
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬燕春菊凤洁梅琳云莲雪荣';
const person = (r: Rand) => `${pick(r, [...SURNAMES])}${pick(r, [...GIVEN])}${r() < 0.6 ? pick(r, [...GIVEN]) : ''}`;
const PRIMARY = ['一年级', '二年级', '三年级', '四年级', '五年级', '六年级'];
const MIDDLE = ['七年级', '八年级', '九年级'];
const HIGH = ['高一', '高二', '高三'];

/** A school's roster: `n` classes spread over its grades, a few staff, weekly or monthly for the whole term. */
export function buildRoster(r: Rand, school: Org, n: number, cadence: 'week' | 'month'): Roster {
  const grades = school.name.includes('小学') ? PRIMARY : school.name.includes('九年一贯') ? [...PRIMARY, ...MIDDLE] : r() < 0.7 ? MIDDLE : [...MIDDLE, ...HIGH];
  const classes: Record<string, RosterClass> = {};
  for (let i = 0; i < n; i++) {
    const id = id32(r, 'c');
    const grade = grades[i % grades.length]!;
    const x = r();
    classes[id] = {
      grade,
      label: `${Math.floor(i / grades.length) + 1}班`,
      teacher: person(r),
      email: `${id}@${school.id}.example.org`,
      v: r() < 0.9 ? 1 : 2,
      // A few classes join in spring or leave in June (the rules' 'na' cells).
      since: x < 0.02 ? '2019-04-15' : TERM.start,
      ...(x > 0.99 ? { until: '2019-06-10' } : {}),
    };
  }
  const staff: Record<string, RosterStaff> = {};
  for (const roles of [['principal'], ['psych'], ['crisis'], ['crisis']] as RosterStaff['roles'][]) {
    const id = id32(r, 's');
    staff[id] = { name: person(r), email: `${id}@${school.id}.example.org`, roles, v: 1 };
  }
  return Roster.parse({ schoolId: school.id, rev: 1, term: TERM, cadence: [{ from: TERM.start, every: cadence }], classes, staff, updatedAt: '2019-02-20T09:00:00.000Z', updatedBy: `school:${school.id}` });
}

export interface ContactCity {
  orgs: Org[];
  schools: Org[];
  rosters: Map<string, Roster>;
  /** The school's probability that a class logged in a period (0 for a silent school). */
  logRate: Map<string, number>;
}

export function buildContactCity(r: Rand = prng(SEED)): ContactCity {
  const orgs = buildCity();
  const schools = orgs.filter((o) => o.kind === 'school');
  const rosters = new Map<string, Roster>();
  const logRate = new Map<string, number>();
  for (const s of schools) {
    // 8–40 classes, most of them small (skewed: mean ~19.6, so ~40,000 classes over 2,060 schools).
    const n = CLASSES_MIN + Math.floor(r() ** 1.85 * (CLASSES_MAX - CLASSES_MIN + 1));
    rosters.set(s.id, buildRoster(r, s, n, r() < SHARE_MONTHLY ? 'month' : 'week'));
    logRate.set(s.id, r() < SHARE_SILENT ? 0 : 0.75 + 0.2 * r());
  }
  return { orgs, schools, rosters, logRate };
}

/** A period's summary of a school as the summary store's `mark` leaves it (undefined: nobody marked anything, no item). */
export function summaryOf(r: Rand, roster: Roster, period: Period, logRate: number): { schoolId: string; period: string; logged: string[]; none: string[] } | undefined {
  const logged: string[] = [];
  const none: string[] = [];
  for (const c of expectedClasses(roster, period)) {
    const x = r();
    if (x < logRate) logged.push(c);
    else if (logRate > 0 && x < logRate + SHARE_NONE) none.push(c);
  }
  return logged.length || none.length ? { schoolId: roster.schoolId, period: period.id, logged, none } : undefined;
}

/** The stored items (raw attribute values), keyed as the stores key them. */
export const orgItem = (o: Org): AV => marshall({ ...orgKey(o.id), ...o, gsi1pk: 'ORGS', gsi1sk: `${routeKeyOf(o)}#${o.id}` }, { removeUndefinedValues: true });
export const rosterItem = (ro: Roster): AV => marshall({ ...rosterKey(ro.schoolId), ...ro }, { removeUndefinedValues: true });
export function summaryItem(s: { schoolId: string; period: string; logged: string[]; none: string[] }): AV {
  // String sets, never empty (DynamoDB has no empty set: `mark` ADDs to an absent one).
  return marshall({ ...summaryKey(s.schoolId, s.period), schoolId: s.schoolId, period: s.period, ...(s.logged.length ? { logged: new Set(s.logged) } : {}), ...(s.none.length ? { none: new Set(s.none) } : {}) });
}

/** A typical stored log (one version, ~120 characters of summary), for the estimate of reading every log. */
export function typicalLogItem(): AV {
  const log: ContactLog = {
    schoolId: 's-donghu-001',
    classId: 'cabcdefgh',
    logId: 'abcdefgh2345',
    period: '2019-W20',
    author: { person: 'pabcdefgh', v: 1 },
    versions: [
      {
        date: '2019-05-15',
        method: '电话',
        contacted: '母亲',
        students: '23号、31号',
        topics: ['学习', '情绪'],
        summary:
          '与家长沟通了孩子近期的学习状态和情绪变化。孩子最近上课注意力不集中，作业完成质量有所下降，课间与同学交流减少。家长反映孩子在家玩手机时间较长，睡眠不足。双方约定家长督促孩子按时作息，老师在校多关注并及时反馈。',
        followUp: '两周后再次电话沟通，了解作息调整情况。',
        concern: '无',
        at: '2019-05-15T19:32:10.000Z',
        byName: '王芳',
      },
    ],
    createdAt: '2019-05-15T19:32:10.000Z',
    ttl: 1652600000,
  };
  return marshall({ ...logKey(log.schoolId, log.classId, log.logId), ...log }, { removeUndefinedValues: true });
}

// ── Writing fast ───────────────────────────────────────────────────────────────────────────────────
async function batchWrite(ddb: DynamoDBClient, tableName: string, items: AV[]) {
  const chunks: AV[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  await pool(SEED_CONCURRENCY, chunks, async (chunk) => {
    let req: Record<string, { PutRequest: { Item: AV } }[]> | undefined = { [tableName]: chunk.map((Item) => ({ PutRequest: { Item } })) };
    for (let n = 0; req && Object.keys(req).length; n++) {
      if (n > 8) throw new Error('bench: BatchWriteItem left items unprocessed 8 times');
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: req }));
      req = out.UnprocessedItems as typeof req;
    }
  });
}

// ── Measuring ──────────────────────────────────────────────────────────────────────────────────────
interface Sample {
  ms: number;
  calls: DdbCall[];
}
interface CaseResult {
  schools: number;
  floorItems: AV[];
  orgItems: AV[];
  /** The org part of the floor when it is several Queries (the 13 Districts): their units. */
  orgUnits?: number;
  missingKeys: number;
  rate?: number;
  check?: string;
}
interface Case {
  name: string;
  runs: number;
  run: () => Promise<CaseResult>;
  samples: Sample[];
  last?: CaseResult;
}

/** Read units in DynamoDB's model → RCU (eventually consistent: ½ RCU a unit). */
const awsRcu = (c: DdbCall) => awsUnits(c) * (c.consistent ? 1 : 0.5);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/**
 * The floor in 4 KB units, DynamoDB's model: the org items in scope as one Query (rounded once), each item read by
 * key rounded up on its own (a key without an item still costs one unit).
 */
export function floorUnits(orgItems: AV[], keyed: AV[], missingKeys: number): number {
  const q = orgItems.length ? Math.max(1, Math.ceil(sum(orgItems.map(awsSize)) / UNIT)) : 0;
  return q + sum(keyed.map((i) => Math.max(1, Math.ceil(awsSize(i) / UNIT)))) + missingKeys;
}

export async function contactsScale(opts: { log?: (s: string) => void } = {}) {
  const log = opts.log ?? ((s: string) => console.log(s));
  installMeter();
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'psy-bench-contacts-'));
  const rt = await startRuntime({ dir, port: 0, sesPort: 0, quiet: true, scheduler: false });
  try {
    const env = readEnv(process.env);
    const ddb = ddbClient();
    const T = env.TABLE_NAME;
    // The stores functions/contacts/rates.ts builds.
    const deps: RatesDeps = { orgs: orgReader(ddb, T), rosters: rosterReader(ddb, T), summaries: summaryStore(ddb, T), now: () => NOW };

    // ── Seed ──
    const r = prng(SEED + 1);
    const city = buildContactCity();
    const [did] = DISTRICTS[0]!;
    const inDistrict = (o: Org) => routeKeyOf(o) === districtRouteKey(did);
    const orgItems = new Map(city.orgs.map((o) => [o.id, orgItem(o)]));
    const rosterItems = new Map([...city.rosters].map(([id, ro]) => [id, rosterItem(ro)]));
    const monthSummaries = new Map<string, AV>();
    const termSummaries = new Map<string, AV>();
    const keyOfSum = (schoolId: string, period: string) => `${schoolId}|${period}`;
    let monthKeys = 0;
    for (const s of city.schools) {
      const roster = city.rosters.get(s.id)!;
      const rate = city.logRate.get(s.id)!;
      // The measured District: the whole term (May among it); everyone else: May.
      const periods = inDistrict(s) ? periodsBetween(roster.cadence, roster.term, roster.term.start, roster.term.end) : periodsOfMonth(roster, MONTH);
      const inMonth = new Set(periodsOfMonth(roster, MONTH).map((p) => p.id));
      monthKeys += inMonth.size;
      for (const p of periods) {
        const sm = summaryOf(r, roster, p, rate);
        if (!sm) continue;
        const item = summaryItem(sm);
        if (inMonth.has(p.id)) monthSummaries.set(keyOfSum(s.id, p.id), item);
        else termSummaries.set(keyOfSum(s.id, p.id), item);
      }
    }
    await batchWrite(ddb, T, [...orgItems.values()]);
    await batchWrite(ddb, T, [...rosterItems.values()]);
    await batchWrite(ddb, T, [...monthSummaries.values(), ...termSummaries.values()]);
    const tSeed = performance.now();
    const classes = sum([...city.rosters.values()].map((ro) => Object.keys(ro.classes).length));
    const monthly = [...city.rosters.values()].filter((ro) => ro.cadence[0]!.every === 'month').length;

    // ── The reads ──
    /** The floor items of a group's month: its rosters and its school-periods' summary items (absent ones counted apart). */
    const groupFloor = (schools: Org[]) => {
      const keyed: AV[] = [];
      let missing = 0;
      for (const s of schools) {
        const ro = city.rosters.get(s.id);
        if (!ro) {
          missing++;
          continue;
        }
        keyed.push(rosterItems.get(s.id)!);
        for (const p of periodsOfMonth(ro, MONTH)) {
          const it = monthSummaries.get(keyOfSum(s.id, p.id));
          if (it) keyed.push(it);
          else missing++;
        }
      }
      return { keyed, missing };
    };
    const groupCase = (name: string, routeKey: string, runs: number): Case => {
      const scope = city.orgs.filter((o) => routeKeyOf(o) === routeKey);
      const schools = scope.filter((o) => o.kind === 'school');
      const { keyed, missing } = groupFloor(schools);
      return {
        name,
        runs,
        samples: [],
        async run() {
          const g = await groupRates(deps, routeKey, MONTH);
          const bad = g.schools.length !== schools.length ? `${g.schools.length} schools, want ${schools.length}` : g.rates.total.rate === undefined ? 'no rate' : undefined;
          return { schools: g.schools.length, floorItems: keyed, orgItems: scope.map((o) => orgItems.get(o.id)!), missingKeys: missing, check: bad, rate: g.rates.total.rate };
        },
      };
    };
    const district = groupCase(`District ${did}, ${MONTH} rates (groupRates)`, districtRouteKey(did), RUNS);
    const direct = groupCase(`Direct schools, ${MONTH} rates (groupRates)`, DIRECT_ROUTE_KEY, RUNS);
    const allDistricts: Case = {
      name: `all 13 Districts in turn, ${MONTH} (13 × groupRates)`,
      runs: CITY_RUNS,
      samples: [],
      async run() {
        let schools = 0;
        for (const [d] of DISTRICTS) schools += (await groupRates(deps, districtRouteKey(d), MONTH)).schools.length;
        const scope = city.orgs.filter((o) => o.kind === 'district' || (o.kind === 'school' && o.districtId));
        const { keyed, missing } = groupFloor(scope.filter((o) => o.kind === 'school'));
        // The floor's org part: one Query per District, each rounded on its own.
        const orgsBy = DISTRICTS.map(([d]) => scope.filter((o) => routeKeyOf(o) === districtRouteKey(d)).map((o) => orgItems.get(o.id)!));
        return { schools, floorItems: keyed, orgItems: [], orgUnits: sum(orgsBy.map((xs) => Math.max(1, Math.ceil(sum(xs.map(awsSize)) / UNIT)))), missingKeys: missing };
      },
    };
    const weeklySchool = city.schools.find((s) => inDistrict(s) && city.rosters.get(s.id)!.cadence[0]!.every === 'week' && city.logRate.get(s.id)! > 0)!;
    const wRoster = city.rosters.get(weeklySchool.id)!;
    const termPeriods = periodsBetween(wRoster.cadence, wRoster.term, wRoster.term.start, wRoster.term.end);
    const matrix: Case = {
      name: `School matrix, ${termPeriods.length}-week term (schoolCompleteness)`,
      runs: RUNS,
      samples: [],
      async run() {
        const m = await schoolCompleteness(deps, weeklySchool);
        const keyed = [rosterItems.get(weeklySchool.id)!];
        let missing = 0;
        for (const p of termPeriods) {
          const it = monthSummaries.get(keyOfSum(weeklySchool.id, p.id)) ?? termSummaries.get(keyOfSum(weeklySchool.id, p.id));
          if (it) keyed.push(it);
          else missing++;
        }
        const bad = m.matrix?.periods.length !== termPeriods.length ? `${m.matrix?.periods.length} periods, want ${termPeriods.length}` : undefined;
        return { schools: 1, floorItems: keyed, orgItems: [], missingKeys: missing, check: bad };
      },
    };
    const cases = [district, direct, matrix, allDistricts];
    const once = async (c: Case) => {
      const start = performance.now();
      const { value, calls } = await metered(() => c.run());
      const ms = performance.now() - start;
      if (value.check) throw new Error(`bench: ${c.name}: ${value.check}`);
      c.last = value;
      return { ms, calls };
    };
    for (const c of cases) await once(c); // warm-up
    const rounds = Math.max(...cases.map((c) => c.runs));
    for (let i = 0; i < rounds; i++)
      for (const c of cases) {
        if (Math.floor(((i + 1) * c.runs) / rounds) === Math.floor((i * c.runs) / rounds)) continue;
        c.samples.push(await once(c));
      }
    const tMeasure = performance.now();

    // ── Report ──
    const districtSchools = city.schools.filter(inDistrict).length;
    log(`\nParent-contact completeness at city scale (dynalite over HTTP, the stores of the contact-rates function, "now" ${NOW.toISOString()})`);
    log(
      `Seeded ${city.orgs.length} orgs (${DISTRICTS.length} Districts, ${city.schools.length} schools of which ${city.schools.filter((s) => !s.districtId).length} Direct), ` +
        `${city.rosters.size} rosters with ${classes} classes (${CLASSES_MIN}–${CLASSES_MAX} a school; ${monthly} schools monthly, the rest weekly), ` +
        `${monthSummaries.size} summary items for ${MONTH} (of ${monthKeys} school-periods; ${[...city.logRate.values()].filter((x) => x === 0).length} silent schools have none) ` +
        `and ${termSummaries.size} more for the rest of the term in ${did} (${districtSchools} schools), by BatchWriteItem in ${fmt((tSeed - t0) / 1000)} s.`,
    );
    log(`1 warm-up + ${RUNS} measured runs each (${CITY_RUNS} for the 13 Districts), interleaved; median wall time (client, HTTP and dynalite all in this process).`);
    log(`Items: read by key (rosters + summaries; the org listing's Query apart) vs the floor — one roster per school + one summary per school-period of the month`);
    log(`(for the matrix: the roster + one per period of the term); keys with no item (a silent school's periods) are read and counted, not in "items read".`);
    log(`Units: 4 KB read units; "dynalite" = as it reported (ReturnConsumedCapacity TOTAL); "AWS" = DynamoDB's model (UTF-8 sizes; BatchGet/GetItem round each item up,`);
    log(`a Query its page). RCU = AWS units × ½ for eventually consistent reads (rosters and summaries by BatchGet, the org Query), × 1 for the matrix's roster (ConsistentRead).`);
    log(`Floor units = the org items in scope as one Query + every floor item by key, each rounded up (+1 per key without an item).\n`);
    const rows = cases.map((c) => {
      const last = c.samples.at(-1)!;
      const v = c.last!;
      const calls = last.calls;
      const keyedCalls = calls.filter((x) => x.op !== 'Query');
      const itemsRead = sum(keyedCalls.map((x) => x.items.length));
      const floorItems = v.floorItems.length;
      const aws = sum(calls.map(awsUnits));
      const fu = floorUnits(v.orgItems, v.floorItems, v.missingKeys) + (v.orgUnits ?? 0);
      const ms = c.samples.map((s) => s.ms);
      const calltags = new Map<string, number>();
      for (const x of calls) calltags.set(x.op, (calltags.get(x.op) ?? 0) + 1);
      return {
        c,
        v,
        cells: [
          c.name,
          String(v.schools),
          [...calltags].map(([k, n]) => `${k.replace('BatchGetItem', 'BatchGet')}×${n}`).join(' '),
          String(itemsRead),
          String(floorItems),
          `${fmt(itemsRead / floorItems, 2)}×`,
          fmt(sum(calls.map(reportedUnits)), 0),
          String(aws),
          String(fu),
          `${fmt(aws / fu, 2)}×`,
          fmt(sum(calls.map((x) => x.rcu)), 1),
          fmt(sum(calls.map(awsRcu)), 1),
          fmt(percentile(ms, 50), 0),
          `${fmt(Math.min(...ms), 0)}–${fmt(Math.max(...ms), 0)}`,
        ],
      };
    });
    log(table(['read', 'schools', 'calls', 'items read', 'floor items', 'ratio', 'units (dynalite)', 'AWS units', 'floor units', 'ratio', 'RCU (dynalite)', 'RCU (AWS)', 'p50 ms', 'min–max ms'], rows.map((x) => x.cells)));

    // Where the District's units go, and what the items weigh.
    const dl = district.samples.at(-1)!.calls;
    const dRosters = district.last!.floorItems.filter((i) => i.sk?.S === 'ROSTER');
    const dSums = district.last!.floorItems.filter((i) => i.sk?.S?.startsWith('CSUM#'));
    const kb = (items: AV[], size: (i: AV) => number) => fmt(sum(items.map(size)) / 1024, 1);
    log(
      `\n${did}: ${dl.map((x) => `${x.op}${x.index ? ` ${x.index}` : ''} ${x.items.length} items${x.missing ? ` (+${x.missing} keys without an item)` : ''} ${fmt(reportedUnits(x), 0)}/${awsUnits(x)} units`).join('; ')}.`,
    );
    log(
      `  Rosters: ${dRosters.length}, ${kb(dRosters, awsSize)} KB (mean ${fmt(sum(dRosters.map(awsSize)) / dRosters.length, 0)} B UTF-8, ${dRosters.filter((i) => awsSize(i) > UNIT).length} over 4 KB); ` +
        `summaries: ${dSums.length}, ${kb(dSums, awsSize)} KB (mean ${fmt(sum(dSums.map(awsSize)) / dSums.length, 0)} B). ` +
        `By bytes alone the same items are ${Math.ceil(sum([...dRosters, ...dSums].map(awsSize)) / UNIT)} units: BatchGet's per-item rounding is what the unit count is made of. ` +
        `Rate ${fmt(100 * (district.last!.rate ?? 0), 1)} %.`,
    );

    // ── What reading every log would cost (an ESTIMATE) ──
    const logItem = typicalLogItem();
    const logBytes = awsSize(logItem);
    const estimate = (schools: Org[]) => {
      let classPeriods = 0;
      let units = 0;
      for (const s of schools) {
        const ro = city.rosters.get(s.id)!;
        const cp = sum(periodsOfMonth(ro, MONTH).map((p) => expectedClasses(ro, p).length));
        classPeriods += cp;
        // One Query per school (its month's logs), rounded once.
        units += Math.max(1, Math.ceil((cp * LOGS_PER_CLASS_PERIOD * logBytes) / UNIT));
      }
      return { classPeriods, logs: Math.round(classPeriods * LOGS_PER_CLASS_PERIOD), mb: (classPeriods * LOGS_PER_CLASS_PERIOD * logBytes) / 1024 / 1024, units };
    };
    const ed = estimate(city.schools.filter(inDistrict));
    const ec = estimate(city.schools.filter((s) => s.districtId));
    const dAws = sum(dl.map(awsUnits));
    const cAws = sum(allDistricts.samples.at(-1)!.calls.map(awsUnits));
    log(
      `\nESTIMATE, not measured — reading every log of ${MONTH} instead (${LOGS_PER_CLASS_PERIOD} logs per class per period, assumed; a typical stored log ${logBytes} B UTF-8 (${fmt(dynaliteSize(logItem), 0)} B dynalite), ` +
        `one version, ~120 characters of summary; one Query per school, each rounded once; the "no contact needed" items and any correction's versions not counted):`,
    );
    log(
      table(
        ['scope', 'class-periods', 'logs (est.)', 'MB (est.)', 'units (est.)', 'RCU (est.)', 'measured units', '× measured'],
        [
          [`District ${did}`, String(ed.classPeriods), String(ed.logs), fmt(ed.mb, 1), String(ed.units), fmt(ed.units / 2, 0), String(dAws), `${fmt(ed.units / dAws, 1)}×`],
          ['13 Districts', String(ec.classPeriods), String(ec.logs), fmt(ec.mb, 1), String(ec.units), fmt(ec.units / 2, 0), String(cAws), `${fmt(ec.units / cAws, 1)}×`],
        ],
      ),
    );
    log(
      `(load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores; seed ${fmt((tSeed - t0) / 1000)} s, measure ${fmt((tMeasure - tSeed) / 1000)} s, total ${fmt((performance.now() - t0) / 1000)} s)`,
    );
    return rows.map((x) => x.cells);
  } finally {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  contactsScale().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
