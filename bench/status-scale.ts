/**
 * The status request at city scale (the issue's item 13): `npm run bench` runs it last;
 * `npm run bench:status` runs it alone.
 *
 * A fresh local runtime (local/runtime.ts: router → handlers → stores → dynalite, real HTTP, port 0) is
 * seeded with a city: the Bureau, the Centre, 13 District offices with 2,000 schools between them and 60
 * Direct schools, every org written with the org store (upsert), the seeded 2019 campaign (2 documents),
 * and each org's status item built by folding synthetic accepted uploads through the validator's own
 * `foldAccepted` (mostly 2 versions per document, some documents missing, some late, a few with a newer
 * rejected attempt through `foldRejected`), written with `summaryStore.put`.
 *
 * Then GET /api/status and GET /status are timed over HTTP with a Bureau session and with one District's
 * session (cookies from real links, /l/<token>), and every DynamoDB call the handlers make is metered:
 * ReturnConsumedCapacity 'TOTAL' is added to each read and the ConsumedCapacity of each response summed.
 *
 * The floor of a request is the bytes of the items it must show — the org items in scope (the campaign's
 * audience) and their status items (pk CAMPAIGN#<c>, sk STATUS#<org>) — divided by 4 KB and rounded up,
 * in 4 KB read units (1 unit = 1 RCU strongly consistent, ½ RCU eventually consistent). Item sizes are
 * counted two ways:
 *  - dynalite's own measure (its itemSize: string attributes by JS length, so 东 counts 1 byte), which
 *    is what its ConsumedCapacity is computed from — the ratio "consumed / floor" is like for like;
 *  - DynamoDB's documented measure (UTF-8 bytes, so 东 is 3 bytes; 3 + 1 per element for maps and lists),
 *    with DynamoDB's rounding per operation applied to the items each call returned: a Query rounds its
 *    page's total up to 4 KB, GetItem and BatchGetItem round EACH item up to 4 KB, and a key with no item
 *    still costs one unit. That column is a model, not a measurement: it is what AWS would charge.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { type AttributeValue, DynamoDBClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { DirectKind, districtRouteKey, Org, routeKeyOf } from '../schemas/orgs.js';
import type { Campaign, RequiredDocument } from '../schemas/campaigns.js';
import { type OrgSummary, Upload } from '../schemas/plans.js';
import { orgStore } from '../functions/orgs/store.js';
import { acceptedKey, filterRows, foldAccepted, foldRejected, inAudience, isLate, restated, summarise } from '../functions/plans/rules.js';
import { summaryStore } from '../functions/plans/store.js';
import { ddbClient } from '../functions/shared/clients/dynamodb.js';
import { readEnv } from '../functions/shared/env.js';
import { SESSION_COOKIE, signingKeySource } from '../functions/shared/tokens.js';
import { statusPage } from '../web/pages.js';
import { admin } from '../local/admin.js';
import { startRuntime } from '../local/runtime.js';

// ── Settings ───────────────────────────────────────────────────────────────────────────────────────
/** The city: schools spread over the 13 Districts, and the Direct schools. */
export const DISTRICT_SCHOOLS = 2000;
export const DIRECT_SCHOOLS = 60;
/**
 * Untimed requests per path before measuring, then measured requests per path, in interleaved rounds
 * (a city request reads ~2.4 MB through dynalite: fewer of those, more of the District's).
 */
export const STATUS_WARMUP = 1;
export const CITY_RUNS = 8;
export const DISTRICT_RUNS = 16;
/** Rounds of the in-process step timing of the city request (after one warm-up round). */
export const PHASE_RUNS = 5;
/** The goal (issue item 13): per request on the local runtime, and consumed reads over the floor. */
export const GOAL_MS = 300;
export const GOAL_RATIO = 1.2;
/** Concurrent writes while seeding (dynalite is in this process: more only queues). */
const SEED_CONCURRENCY = 8;
/** Fixed seed: the same city every run. */
const SEED = 20190630;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A read unit: 4 KB. */
export const UNIT = 4096;

// ── Metering every DynamoDB call in this process ───────────────────────────────────────────────────
export type AV = Record<string, AttributeValue>;

export interface DdbCall {
  op: string;
  index?: string;
  consistent: boolean;
  /** ConsumedCapacity.CapacityUnits as the emulator reported it (reads; 0 for a write). */
  rcu: number;
  /** The items the call returned (raw attribute values), and requested keys that had no item. */
  items: AV[];
  missing: number;
  ms: number;
  /** When the call started (performance.now()). */
  t0: number;
  /** A write (recorded only with `metered(fn, { writes: true })`): its ConsumedCapacity.CapacityUnits as reported. */
  write?: { wcu: number };
  /** The error the call failed with (e.g. ConditionalCheckFailedException): the emulator reports no capacity then. */
  error?: string;
  /** GetItem, UpdateItem, DeleteItem: the key; PutItem: the item's key attributes. */
  key?: AV;
  /** PutItem: the item's size, DynamoDB's measure (what its write units are counted from). */
  itemBytes?: number;
  /** A read with a ProjectionExpression: DynamoDB charges the whole item, not the attributes that came back. */
  projected?: boolean;
}

const meter = { on: false, writes: false, scope: undefined as object | undefined, calls: [] as DdbCall[] };
/** With `own`, only the calls made from inside `fn` (its async context) are recorded: not a mailer draining the queue meanwhile. */
const own = new AsyncLocalStorage<object>();
const READS = new Set(['GetItem', 'Query', 'BatchGetItem', 'Scan']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/**
 * BENCH PROCESS ONLY. The handlers build their DynamoDB clients inside the runtime (functions/plans/deps.ts,
 * at module init), where the bench cannot pass one in; so the first `send` of every DynamoDBClient in
 * this process adds one middleware to that client's own stack. While the meter is on, the middleware
 * asks for ReturnConsumedCapacity 'TOTAL' on reads and records what each call consumed and returned.
 * Nothing in functions/ changes, and the Lambda bundles never contain this.
 */
export function installMeter() {
  const proto = DynamoDBClient.prototype as unknown as { send: (...a: unknown[]) => unknown; __benchMeter?: true };
  if (proto.__benchMeter) return;
  const seen = new WeakSet<object>();
  const send = proto.send;
  proto.send = function (this: DynamoDBClient, ...args: unknown[]) {
    if (!seen.has(this)) {
      seen.add(this);
      this.middlewareStack.add(
        (next, context) => async (a) => {
          const op = (context.commandName ?? '').replace(/Command$/, '');
          if (!meter.on || (meter.scope && own.getStore() !== meter.scope)) return next(a);
          const write = WRITES.has(op);
          if (!READS.has(op) && !(write && meter.writes)) return next(a);
          const input: Record<string, unknown> = { ...(a.input as Record<string, unknown>), ReturnConsumedCapacity: 'TOTAL' };
          const key = (input.Key as AV | undefined) ?? (op === 'PutItem' ? keyOf(input.Item as AV) : undefined);
          const t0 = performance.now();
          if (write) {
            const base = { op, consistent: true, rcu: 0, items: [], missing: 0, t0, key, itemBytes: op === 'PutItem' ? awsSize(input.Item as AV) : undefined };
            try {
              const r = await next({ ...a, input });
              const cc = (r.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
              meter.calls.push({ ...base, ms: performance.now() - t0, write: { wcu: cc?.CapacityUnits ?? 0 } });
              return r;
            } catch (e) {
              meter.calls.push({ ...base, ms: performance.now() - t0, write: { wcu: 0 }, error: (e as Error).name });
              throw e;
            }
          }
          const r = await next({ ...a, input });
          const ms = performance.now() - t0;
          const out = r.output as {
            ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
            Item?: AV;
            Items?: AV[];
            Responses?: Record<string, AV[]>;
          };
          const cc = out.ConsumedCapacity;
          const rcu = (Array.isArray(cc) ? cc : cc ? [cc] : []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
          let items: AV[] = [];
          let missing = 0;
          let consistent = input.ConsistentRead === true;
          if (op === 'GetItem') {
            items = out.Item ? [out.Item] : [];
            missing = out.Item ? 0 : 1;
          } else if (op === 'BatchGetItem') {
            const req = input.RequestItems as Record<string, { Keys: AV[]; ConsistentRead?: boolean }>;
            items = Object.values(out.Responses ?? {}).flat();
            const keys = Object.values(req).reduce((s, t) => s + t.Keys.length, 0);
            const unprocessed = Object.values((r.output as { UnprocessedKeys?: Record<string, { Keys?: AV[] }> }).UnprocessedKeys ?? {}).reduce((s, t) => s + (t.Keys?.length ?? 0), 0);
            missing = keys - unprocessed - items.length;
            consistent = Object.values(req).every((t) => t.ConsistentRead === true);
          } else items = out.Items ?? [];
          meter.calls.push({ op, index: input.IndexName as string | undefined, consistent, rcu, items, missing, ms, t0, key, projected: !!input.ProjectionExpression });
          return r;
        },
        { step: 'initialize', name: 'benchConsumedCapacity' },
      );
    }
    return send.apply(this, args);
  };
  proto.__benchMeter = true;
}

const keyOf = (item: AV | undefined): AV | undefined => (item?.pk && item.sk ? { pk: item.pk, sk: item.sk } : undefined);

/**
 * Runs fn with the meter on; returns its result and the DynamoDB calls made meanwhile (reads; writes too
 * with `writes`). With `own`, only fn's own calls — made from its async context, e.g. a handler invoked in
 * process — and not those of anything else running in this process at the time (over HTTP the handler
 * runs in the server's context: leave `own` off).
 */
export async function metered<T>(fn: () => Promise<T>, opts: { writes?: boolean; own?: boolean } = {}): Promise<{ value: T; calls: DdbCall[] }> {
  const calls: DdbCall[] = [];
  const token = {};
  Object.assign(meter, { calls, on: true, writes: opts.writes ?? false, scope: opts.own ? token : undefined });
  try {
    const value = opts.own ? await own.run(token, fn) : await fn();
    return { value, calls };
  } finally {
    Object.assign(meter, { calls: [], on: false, writes: false, scope: undefined });
  }
}

// ── Item sizes ─────────────────────────────────────────────────────────────────────────────────────
const require = createRequire(import.meta.url);
const itemSize: (item: AV) => number = require('dynalite/db/index.js').itemSize;
/** dynalite's own item size (what its ConsumedCapacity is computed from). One argument only: its itemSize takes more (safe in `.map`). */
export const dynaliteSize = (item: AV): number => itemSize(item);

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
/** DynamoDB's documented item size: names and strings in UTF-8 bytes; numbers ~1 byte per 2 digits + 1; maps and lists 3 + 1 per element. */
export function awsSize(item: AV): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += utf8(k) + avSize(v);
  return n;
}
function avSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|[.]|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + utf8(k) + avSize(x), 0);
  if (v.L !== undefined) return 3 + v.L.reduce((s, x) => s + 1 + avSize(x), 0);
  if (v.SS !== undefined) return v.SS.reduce((s, x) => s + utf8(x), 0);
  if (v.NS !== undefined) return v.NS.reduce((s, x) => s + avSize({ N: x }), 0);
  if (v.BS !== undefined) return v.BS.reduce((s, x) => s + x.byteLength, 0);
  return 0;
}

/** What DynamoDB would charge for this call, in 4 KB read units (its rounding per operation). */
export function awsUnits(c: Pick<DdbCall, 'op' | 'items' | 'missing'>): number {
  if (c.op === 'Query' || c.op === 'Scan') return Math.max(1, Math.ceil(c.items.reduce((s, i) => s + awsSize(i), 0) / UNIT));
  // GetItem and BatchGetItem: each item on its own, rounded up; a key with no item still costs a unit.
  return c.items.reduce((s, i) => s + Math.max(1, Math.ceil(awsSize(i) / UNIT)), 0) + c.missing;
}
/** 4 KB read units of what the emulator reported (eventually consistent reads cost ½ RCU per unit). */
export const reportedUnits = (c: DdbCall) => c.rcu / (c.consistent ? 1 : 0.5);

// ── The city ───────────────────────────────────────────────────────────────────────────────────────
/** A small deterministic PRNG (mulberry32): the same city on every run. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export type Rand = ReturnType<typeof prng>;
export const pick = <T>(r: Rand, xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

/** Nanchang's 13 District offices (as in local/seed/orgs.csv). */
export const DISTRICTS: [string, string][] = [
  ['d-donghu', '东湖区教科体局'],
  ['d-xihu', '西湖区教科体局'],
  ['d-qingyunpu', '青云谱区教科体局'],
  ['d-qingshanhu', '青山湖区教科体局'],
  ['d-xinjian', '新建区教科体局'],
  ['d-honggutan', '红谷滩区教科体局'],
  ['d-nanchangxian', '南昌县教科体局'],
  ['d-jinxian', '进贤县教科体局'],
  ['d-anyi', '安义县教科体局'],
  ['d-wanli', '湾里管理局教体办'],
  ['d-jingkai', '经开区教体办'],
  ['d-gaoxin', '高新区教体办'],
  ['d-xiaolan', '小蓝经开区教体办'],
];
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬燕彩春菊凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽';
const CN_DIGITS = '〇一二三四五六七八九';
/** 1 → 一, 12 → 十二, 107 → 一百零七. */
function cnNumber(n: number): string {
  if (n < 10) return CN_DIGITS[n]!;
  if (n < 20) return `十${n % 10 ? CN_DIGITS[n % 10] : ''}`;
  if (n < 100) return `${CN_DIGITS[Math.floor(n / 10)]}十${n % 10 ? CN_DIGITS[n % 10] : ''}`;
  const rest = n % 100;
  return `${CN_DIGITS[Math.floor(n / 100)]}百${rest === 0 ? '' : rest < 10 ? `零${CN_DIGITS[rest]}` : rest < 20 ? `一${cnNumber(rest)}` : cnNumber(rest)}`;
}
const SCHOOL_KINDS = ['小学', '小学', '小学', '中学', '初级中学', '实验学校', '外国语学校', '九年一贯制学校'];
const SCHOOL_NAMES = ['育才', '朝阳', '东方', '阳光', '新星', '启明', '博文', '爱国路', '滨江', '建设', '光明', '实验', '站前路', '豫章', '洪都', '青山', '八一', '胜利路', '民德路', '红星', '梧桐', '文华', '书院'];

function contacts(r: Rand, id: string) {
  const n = r() < 0.03 ? 0 : r() < 0.3 ? 2 : 1;
  return Array.from({ length: n }, (_, i) => ({
    name: `${pick(r, [...SURNAMES])}${pick(r, [...GIVEN])}${r() < 0.6 ? pick(r, [...GIVEN]) : ''}`,
    email: i === 0 ? `${id}@example.org` : `${id}.office@example.net`,
    ...(r() < 0.9 ? { phone: `0791-8${String(Math.floor(r() * 1e7)).padStart(7, '0')}` } : {}),
  }));
}

export function buildCity(r: Rand = prng(SEED)): Org[] {
  const orgs: Org[] = [
    Org.parse({ id: 'bureau', name: '南昌市教育局', kind: 'bureau', contacts: contacts(r, 'bureau'), tokenVersion: 1 }),
    Org.parse({ id: 'centre', name: '南昌市未成年人心理健康辅导中心', kind: 'centre', contacts: contacts(r, 'centre'), tokenVersion: 1 }),
  ];
  for (const [id, name] of DISTRICTS) orgs.push(Org.parse({ id, name, kind: 'district', contacts: contacts(r, id), tokenVersion: 1 }));
  for (let i = 0; i < DISTRICT_SCHOOLS; i++) {
    const [did, dname] = DISTRICTS[i % DISTRICTS.length]!;
    const n = Math.floor(i / DISTRICTS.length) + 1;
    const short = dname.replace(/(教科体局|教体办)$/, '');
    const name = r() < 0.5 ? `${short}第${cnNumber(n)}${pick(r, SCHOOL_KINDS)}` : `${short}${pick(r, SCHOOL_NAMES)}${pick(r, SCHOOL_KINDS)}（${n}）`;
    const id = `s-${did.slice(2)}-${String(n).padStart(3, '0')}`;
    orgs.push(Org.parse({ id, name, kind: 'school', districtId: did, contacts: contacts(r, id), tokenVersion: 1 }));
  }
  for (let n = 1; n <= DIRECT_SCHOOLS; n++) {
    const id = `s-direct-${String(n).padStart(2, '0')}`;
    orgs.push(
      Org.parse({ id, name: `南昌市第${cnNumber(n)}中学`, kind: 'school', directKind: DirectKind.options[n % 3], contacts: contacts(r, id), tokenVersion: 1 }),
    );
  }
  return orgs;
}

const EXTS = ['pdf', 'pdf', 'docx', 'docx', 'doc'] as const;

/** A synthetic accepted attempt of one document (version v + 1, arrived at `at`), as the validator records it. */
export function acceptedUpload(r: Rand, campaign: Campaign, org: Org, doc: RequiredDocument, v: number, at: number): Upload {
  const receivedAt = new Date(at).toISOString();
  const requestedAt = new Date(at - 60_000).toISOString();
  const ext = pick(r, EXTS);
  const ref = { campaignId: campaign.id, orgId: org.id, document: doc.kind, uploadId: hex(r, 32), ext };
  const size = 40_000 + Math.floor(r() * 3_000_000);
  return Upload.parse({
    ...ref,
    originalName: `${org.name}${doc.title}${v ? `（修改稿${v}）` : ''}.${ext}`,
    declaredSize: size,
    by: `${org.kind}:${org.id}`,
    requestedAt,
    postExpiresAt: new Date(at + 540_000).toISOString(),
    tokenVersion: org.tokenVersion,
    state: 'accepted',
    receivedAt,
    size,
    sha256: hex(r, 64),
    late: isLate(receivedAt, campaign.deadline),
    acceptedKey: acceptedKey(ref),
  });
}

/**
 * Each org's status item, folded from synthetic accepted attempts exactly as the validator folds them:
 * per document, 8 % missing, else 1 (25 %), 2 (65 %) or 3 versions; first versions from 5 June to
 * 3 July (about 1 in 12 after the 30 June deadline), corrections a few days later; 2 % with a newer rejection.
 */
export function buildSummaries(campaign: Campaign, orgs: Org[], r: Rand = prng(SEED + 1)): OrgSummary[] {
  const from = Date.parse('2019-06-05T01:00:00Z');
  const span = Date.parse('2019-07-03T12:00:00Z') - from;
  const out: OrgSummary[] = [];
  for (const org of orgs.filter((o) => inAudience(campaign, o))) {
    let s: OrgSummary | undefined;
    for (const doc of campaign.documents) {
      if (r() < 0.08) continue;
      const versions = r() < 0.25 ? 1 : r() < 0.87 ? 2 : 3;
      let at = from + r() * span;
      for (let v = 0; v < versions; v++) {
        s = foldAccepted(s, acceptedUpload(r, campaign, org, doc, v, at)).next ?? s;
        at += 3600_000 * (2 + r() * 96);
      }
      if (r() < 0.02) {
        const rejectedAt = new Date(at).toISOString();
        const u = Upload.parse({
          campaignId: campaign.id, orgId: org.id, document: doc.kind, uploadId: hex(r, 32), ext: 'pdf',
          originalName: `${doc.title}.pdf`, declaredSize: 1000, by: `${org.kind}:${org.id}`, requestedAt: rejectedAt,
          state: 'rejected', receivedAt: rejectedAt, reason: 'TYPE_MISMATCH',
        });
        s = foldRejected(s, u) ?? s;
      }
    }
    if (s) out.push({ ...s, routeKey: routeKeyOf(org) }); // as the validator's fold writes it (route index)
  }
  return out;
}

/** Runs fn over xs with at most n in flight. */
export async function pool<T>(n: number, xs: T[], fn: (x: T) => Promise<unknown>) {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, async () => {
    while (i < xs.length) await fn(xs[i++] as T);
  }));
}

/** Every page of a Query, items as stored (raw attribute values): for the floor, outside the meter. */
export async function rawQuery(ddb: DynamoDBClient, input: QueryCommandInput): Promise<AV[]> {
  const out: AV[] = [];
  let ExclusiveStartKey: AV | undefined;
  do {
    const page = await ddb.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    out.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

// ── Stats and output ───────────────────────────────────────────────────────────────────────────────
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
export function table(header: string[], rows: string[][], rightAlignFrom = 1): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i >= rightAlignFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  return [line(header), w.map((n) => '─'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}
export const fmt = (n: number, d = 1) => n.toFixed(d);
export const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

// ── The measurement ────────────────────────────────────────────────────────────────────────────────
interface Path {
  name: string;
  runs: number;
  path: string;
  cookie: string;
  /** Orgs the response must show (the scope's audience). */
  expect: Org[];
  check: (status: number, body: string) => string | undefined;
}

interface Result {
  path: Path;
  ms: number[];
  /** CPU time of this whole process (client, router, handler and dynalite are all in it) per request. */
  cpuMs: number[];
  ddbMs: number[];
  bytes: number;
  calls: DdbCall[];
  rcuRuns: number[];
}

export async function statusScale(opts: { warmup?: number; log?: (s: string) => void } = {}) {
  const warmup = opts.warmup ?? STATUS_WARMUP;
  const log = opts.log ?? ((s: string) => console.log(s));
  installMeter();
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'psy-bench-status-'));
  const rt = await startRuntime({ dir, port: 0, sesPort: 0, quiet: true });
  try {
    const env = readEnv(process.env);
    const ops = admin(env, signingKeySource(env));
    const ddb = ddbClient();
    const orgs = orgStore(ddb, env.TABLE_NAME);
    const summaries = summaryStore(ddb, env.TABLE_NAME);

    // Seed: orgs through the org store; the campaign as the seed file states it; status items folded.
    const city = buildCity();
    await pool(SEED_CONCURRENCY, city, (o) => orgs.upsert(o));
    const { campaign } = await ops.createCampaign(readFileSync(resolve(ROOT, 'local/seed/campaign-2019.json'), 'utf8'), true);
    // createCampaign's syncStatus has written every audience org's status item (nothing handed in yet):
    // each org's folded item goes over it, restated as the validator's fold writes it (org snapshot, missing).
    const created = new Map((await summaries.list(campaign.id)).map((s) => [s.orgId, s]));
    const byOrg = new Map(city.map((o) => [o.id, o]));
    const sums = buildSummaries(campaign, city);
    await pool(SEED_CONCURRENCY, sums, async (s) => {
      const prev = created.get(s.orgId);
      const next = restated(campaign, byOrg.get(s.orgId)!, { ...s, rev: prev?.rev ?? 0 });
      if (!next || !(await summaries.put(next, prev?.rev))) throw new Error(`bench: status item of ${s.orgId} not written`);
    });
    const tSeed = performance.now();

    // The stored items, for the floor.
    const orgItems = await rawQuery(ddb, orgQuery(env.TABLE_NAME));
    const statusItems = await rawQuery(ddb, statusQuery(env.TABLE_NAME, campaign.id));
    const byId = (items: AV[], key: (i: AV) => string) => new Map(items.map((i) => [key(i), i]));
    const orgItem = byId(orgItems, (i) => i.id!.S!);
    const statusItem = byId(statusItems, (i) => i.orgId!.S!);
    const audienceSize = city.filter((o) => inAudience(campaign, o)).length;
    if (orgItem.size !== city.length || statusItem.size !== audienceSize) throw new Error(`bench: stored ${orgItem.size} orgs / ${statusItem.size} status items, seeded ${city.length} / ${audienceSize}`);
    const floorOf = (scope: Org[]) => {
      const items = scope.flatMap((o) => [orgItem.get(o.id)!, ...(statusItem.has(o.id) ? [statusItem.get(o.id)!] : [])]);
      const dyn = items.reduce((s, i) => s + dynaliteSize(i), 0);
      const aws = items.reduce((s, i) => s + awsSize(i), 0);
      return { items: items.length, dynBytes: dyn, awsBytes: aws, dynUnits: Math.ceil(dyn / UNIT), awsUnits: Math.ceil(aws / UNIT) };
    };

    // Sessions from real links, as a browser gets them.
    const sessionOf = async (orgId: string) => {
      const { url } = await ops.issueLink(orgId, campaign.id);
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      const c = res.headers.getSetCookie().find((x) => x.startsWith(`${SESSION_COOKIE}=`));
      if (res.status !== 302 || !c) throw new Error(`bench: link of ${orgId} gave ${res.status}`);
      return c.split(';')[0]!;
    };
    const audience = city.filter((o) => inAudience(campaign, o));
    const [did] = DISTRICTS[0]!;
    const jurisdiction = audience.filter((o) => routeKeyOf(o) === districtRouteKey(did));
    const bureau = await sessionOf('bureau');
    const district = await sessionOf(did);
    const jsonRows = (want: Org[]) => (status: number, body: string) => {
      if (status !== 200) return `status ${status}: ${body.slice(0, 200)}`;
      const rows = (JSON.parse(body) as { rows: { orgId: string }[] }).rows;
      const ids = new Set(rows.map((x) => x.orgId));
      return rows.length === want.length && want.every((o) => ids.has(o.id)) ? undefined : `${rows.length} rows, want ${want.length}`;
    };
    const pageRows = (want: Org[]) => (status: number, body: string) => {
      if (status !== 200) return `status ${status}: ${body.slice(0, 200)}`;
      const n = body.match(/<tr data-org="/g)?.length ?? 0;
      return n === want.length ? undefined : `${n} rows on the page, want ${want.length}`;
    };
    const paths: Path[] = [
      { name: 'Bureau   GET /api/status', runs: CITY_RUNS, path: '/api/status', cookie: bureau, expect: audience, check: jsonRows(audience) },
      // Unfiltered, a city's page shows the totals only (web/pages.ts DETAIL_ROWS_UNFILTERED): no rows; it reads every item for the totals.
      { name: 'Bureau   GET /status', runs: CITY_RUNS, path: '/status', cookie: bureau, expect: audience, check: pageRows([]) },
      { name: 'Bureau   GET /status?show=incomplete', runs: CITY_RUNS / 2, path: '/status?show=incomplete', cookie: bureau, expect: audience, check: (st, body) => (st === 200 && body.includes('<tr data-org="') ? undefined : `status ${st}, no rows`) },
      // The Bureau following a District's link in the totals table: the page shows that District's rows.
      { name: `Bureau   GET /status?group=D#${did}`, runs: CITY_RUNS / 2, path: `/status?group=${encodeURIComponent(districtRouteKey(did))}`, cookie: bureau, expect: jurisdiction, check: pageRows(jurisdiction) },
      { name: 'District GET /api/status', runs: DISTRICT_RUNS, path: '/api/status', cookie: district, expect: jurisdiction, check: jsonRows(jurisdiction) },
      { name: 'District GET /status', runs: DISTRICT_RUNS, path: '/status', cookie: district, expect: jurisdiction, check: pageRows(jurisdiction) },
    ];

    const once = async (p: Path) => {
      const { value, calls } = await metered(async () => {
        const cpu = process.cpuUsage();
        const start = performance.now();
        const res = await fetch(`${rt.url}${p.path}`, { headers: { cookie: p.cookie }, redirect: 'manual' });
        const body = await res.text();
        const ms = performance.now() - start;
        return { ms, cpuMs: cpuMs(process.cpuUsage(cpu)), status: res.status, body };
      });
      const bad = p.check(value.status, value.body);
      if (bad) throw new Error(`bench: ${p.name}: ${bad}`);
      return { ms: value.ms, cpuMs: value.cpuMs, bytes: Buffer.byteLength(value.body), calls };
    };
    const results: Result[] = paths.map((path) => ({ path, ms: [], cpuMs: [], ddbMs: [], bytes: 0, calls: [], rcuRuns: [] }));
    for (const p of paths) for (let i = 0; i < warmup; i++) await once(p);
    // Interleaved: background load falls on every path alike.
    const rounds = Math.max(...paths.map((p) => p.runs));
    for (let i = 0; i < rounds; i++)
      for (const r of results) {
        // Each path's runs spread evenly over the rounds.
        if (Math.floor(((i + 1) * r.path.runs) / rounds) === Math.floor((i * r.path.runs) / rounds)) continue;
        const o = await once(r.path);
        r.ms.push(o.ms);
        r.cpuMs.push(o.cpuMs);
        r.ddbMs.push(o.calls.reduce((s, c) => s + c.ms, 0));
        r.rcuRuns.push(o.calls.reduce((s, c) => s + c.rcu, 0));
        r.bytes = o.bytes;
        r.calls = o.calls;
      }
    const tMeasure = performance.now();

    // Where the city's time goes, in this process: the same store calls and pure functions the handler runs.
    const phases = await cityPhases(ddb, env.TABLE_NAME, campaign, city.find((o) => o.id === 'bureau')!, PHASE_RUNS);

    // ── Report ──
    const summaryLine = `${city.length} orgs (${DISTRICTS.length} District offices, ${DISTRICT_SCHOOLS} District schools, ${DIRECT_SCHOOLS} Direct schools, Bureau, Centre), ` +
      `${statusItem.size} status items (${sums.length} with uploads), ${sums.reduce((s, x) => s + Object.values(x.docs).reduce((a, d) => a + d.ids.length, 0), 0)} accepted versions of ${campaign.documents.length} documents`;
    log(`\nStatus at city scale (local runtime: HTTP → router → status handler → stores → dynalite, in this process)`);
    log(`Seeded ${summaryLine} in ${fmt((tSeed - t0) / 1000)} s. ${warmup} warm-up + ${CITY_RUNS} (city), ${CITY_RUNS / 2} (?group=) or ${DISTRICT_RUNS} (District) measured requests per path, interleaved.`);
    log(`District: ${did} (${jurisdiction.length} orgs: the office and ${jurisdiction.length - 1} schools).`);
    log(`Reads in 4 KB units (1 unit = 1 RCU strongly consistent, ½ RCU eventually consistent; these reads are all eventually consistent).`);
    log(`Floor = ceil(bytes of the org items in scope + their status items / 4 KB). "dynalite" = as the emulator measured and reported;`);
    log(`"AWS model" = DynamoDB's UTF-8 item sizes and per-operation rounding applied to the items each call returned.`);
    log(`CPU ms = CPU time of this whole process per request (HTTP client, router, handler and dynalite all run in it): steadier than wall time on a busy machine.\n`);

    const rows = results.map((r) => {
      const f = floorOf(r.path.expect);
      const got = r.calls.reduce((s, c) => s + reportedUnits(c), 0);
      const aws = r.calls.reduce((s, c) => s + awsUnits(c), 0);
      const p50 = percentile(r.ms, 50);
      const steady = r.rcuRuns.every((x) => x === r.rcuRuns[0]);
      return [
        r.path.name,
        String(r.path.expect.length),
        fmt(r.bytes / 1024, 0),
        fmt(p50, 0),
        fmt(percentile(r.ms, 95), 0),
        fmt(percentile(r.cpuMs, 50), 0),
        fmt(percentile(r.ddbMs, 50), 0),
        `${fmt(r.calls.reduce((s, c) => s + c.rcu, 0))}${steady ? '' : '*'}`,
        fmt(got, 0),
        String(f.dynUnits),
        `${fmt(got / f.dynUnits, 2)}×`,
        fmt(aws, 0),
        String(f.awsUnits),
        `${fmt(aws / f.awsUnits, 2)}×`,
        `${p50 <= GOAL_MS ? 'ok' : 'SLOW'} / ${aws / f.awsUnits <= GOAL_RATIO && got / f.dynUnits <= GOAL_RATIO ? 'ok' : 'OVER'}`,
      ];
    });
    log(
      table(
        ['request', 'orgs', 'body KB', 'p50 ms', 'p95 ms', 'CPU ms p50', 'DynamoDB ms p50', 'RCU', 'units', 'floor', 'ratio', 'AWS units', 'AWS floor', 'AWS ratio', `≤${GOAL_MS} ms / ≤${GOAL_RATIO}×`],
        rows,
      ),
    );
    const tag = (c: DdbCall) => `${c.op}${c.index ? ` ${c.index}` : ''}`;
    log('\nDynamoDB calls per request (4 KB units: dynalite-reported / AWS model):');
    for (const r of results) {
      const groups = new Map<string, DdbCall[]>();
      for (const c of r.calls) groups.set(tag(c), [...(groups.get(tag(c)) ?? []), c]);
      log(
        `  ${r.path.name}: ${[...groups]
          .map(([k, cs]) => `${k} ×${cs.length} (${cs.reduce((s, c) => s + c.items.length, 0)} items${cs.some((c) => c.missing) ? `, ${cs.reduce((s, c) => s + c.missing, 0)} keys without an item` : ''}) ${fmt(cs.reduce((s, c) => s + reportedUnits(c), 0), 0)} / ${cs.reduce((s, c) => s + awsUnits(c), 0)}`)
          .join('; ')}`,
      );
    }
    const fc = floorOf(audience);
    const fd = floorOf(jurisdiction);
    log(
      `Floor items: city ${fc.items} (${fmt(fc.dynBytes / 1024)} KB dynalite, ${fmt(fc.awsBytes / 1024)} KB UTF-8); ` +
        `District ${fd.items} (${fmt(fd.dynBytes / 1024)} KB / ${fmt(fd.awsBytes / 1024)} KB). ` +
        `Mean status item ${fmt(statusItems.reduce((s, i) => s + awsSize(i), 0) / statusItems.length, 0)} B, org item ${fmt(orgItems.reduce((s, i) => s + awsSize(i), 0) / orgItems.length, 0)} B (UTF-8).`,
    );

    // What the District's request would read if its status items came back from one Query instead of
    // BatchGetItem (same items, one 4 KB rounding for the lot instead of one per item).
    const dres = results.find((r) => r.path.cookie === district)!;
    const batched = dres.calls.filter((c) => c.op === 'BatchGetItem');
    const rest = dres.calls.filter((c) => c.op !== 'BatchGetItem');
    const asQuery = (size: (i: AV) => number) => Math.max(1, Math.ceil(batched.flatMap((c) => c.items).reduce((s, i) => s + size(i), 0) / UNIT));
    const ifDyn = rest.reduce((s, c) => s + reportedUnits(c), 0) + asQuery(dynaliteSize);
    const ifAws = rest.reduce((s, c) => s + awsUnits(c), 0) + asQuery(awsSize);
    log(
      `District with its status items read by one Query (e.g. a sparse index on the status items keyed by route) instead of BatchGetItem: ` +
        `${ifDyn} units = ${fmt(ifDyn / fd.dynUnits, 2)}× (dynalite), ${ifAws} = ${fmt(ifAws / fd.awsUnits, 2)}× (AWS model).`,
    );

    log(`\nThe Bureau's request in this process, median of ${PHASE_RUNS}: what the handler does, step by step (CPU = this whole process, dynalite included):`);
    log(table(['step', 'wall ms p50', 'CPU ms p50'], phases.map(([k, w, c]) => [k, fmt(w, 1), Number.isNaN(c) ? '' : fmt(c, 1)])));
    log(`(load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores; seed ${fmt((tSeed - t0) / 1000)} s, measure ${fmt((tMeasure - tSeed) / 1000)} s, total ${fmt((performance.now() - t0) / 1000)} s)`);
    return results;
  } finally {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const orgQuery = (TableName: string): QueryCommandInput => ({ TableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': { S: 'ORGS' } } });
const statusQuery = (TableName: string, campaignId: string): QueryCommandInput => ({
  TableName,
  KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)',
  ExpressionAttributeValues: { ':pk': { S: `CAMPAIGN#${campaignId}` }, ':s': { S: 'STATUS#' } },
});

/** Every page of a Query as a bare POST to the emulator (dynalite checks that a signature is there, not that it is right). */
async function rawHttpQuery(input: QueryCommandInput): Promise<number> {
  let items = 0;
  let ExclusiveStartKey: unknown;
  do {
    const res = await fetch(process.env.AWS_ENDPOINT_URL_DYNAMODB!, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.Query',
        'x-amz-date': '20190630T000000Z',
        authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20190630/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({ ...input, ExclusiveStartKey }),
    });
    const page = JSON.parse(await res.text()) as { Items?: unknown[]; LastEvaluatedKey?: unknown };
    if (res.status !== 200) throw new Error(`bench: raw Query: ${res.status} ${JSON.stringify(page)}`);
    items += page.Items?.length ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The steps of the Bureau's status request, timed one by one on the real stores (median of n). */
async function cityPhases(ddb: DynamoDBClient, tableName: string, campaign: Campaign, viewer: Org, n: number): Promise<[string, number, number][]> {
  const orgs = orgStore(ddb, tableName);
  const summaries = summaryStore(ddb, tableName);
  const samples = new Map<string, number[]>();
  const cpuSamples = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  const time = async <T>(k: string, fn: () => T | Promise<T>): Promise<T> => {
    const c = process.cpuUsage();
    const t = performance.now();
    const v = await fn();
    add(samples, k, performance.now() - t);
    add(cpuSamples, k, cpuMs(process.cpuUsage(c)));
    return v;
  };
  for (let i = 0; i < n + 1; i++) {
    const { calls: oc, value: all } = await metered(() => time('orgs.list() (Query gsi1 + unmarshall + Org.parse)', () => orgs.list()));
    const { calls: sc, value: sums } = await metered(() => time('summaries.list() (Query + unmarshall + OrgSummary.parse)', () => summaries.list(campaign.id)));
    if (i > 0) add(samples, '  of which in the DynamoDB client (both Queries)', [...oc, ...sc].reduce((s, c) => s + c.ms, 0));
    // The emulator's share: the same two Queries as bare HTTP POSTs to dynalite (no SDK; JSON.parse only).
    await time('the same two Queries as bare HTTP to dynalite (no SDK)', async () => {
      await rawHttpQuery(orgQuery(tableName));
      await rawHttpQuery(statusQuery(tableName, campaign.id));
    });
    // What scopeData would take with the two independent Queries in flight together (it awaits one, then the other).
    await time('orgs.list() and summaries.list() concurrently (Promise.all)', () => Promise.all([orgs.list(), summaries.list(campaign.id)]));
    const st = await time('summarise()', () => summarise(campaign, all, sums));
    await time('filterRows() + JSON.stringify (the JSON body)', () => JSON.stringify({ campaign, rows: filterRows(st.rows, {}), totals: st.totals }));
    await time('statusPage() (the HTML body)', () => statusPage(viewer, campaign, st.rows, st.totals, new Date()));
    if (i === 0) [samples, cpuSamples].forEach((m) => m.clear()); // warm-up round
  }
  return [...samples].map(([k, xs]) => [k, percentile(xs, 50), cpuSamples.has(k) ? percentile(cpuSamples.get(k)!, 50) : NaN]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  statusScale().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
