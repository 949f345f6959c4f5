/**
 * The reminder sweep at city scale: `npm run bench` runs it after the status request (bench/status-scale.ts);
 * `npm run bench:sweep` runs it alone.
 *
 * A fresh local runtime (local/runtime.ts, scheduler off) gets status-scale's city — the Bureau, the Centre,
 * 13 District offices, 2,000 District schools, 60 Direct schools — every org with a contact e-mail (so every
 * org that owes something is mailed). The seeded 2019 campaign (deadline 30 June) is created as an operator
 * creates it (`admin.createCampaign`), so `syncStatus` writes every audience org's status item. Then the
 * state on 23 June morning: synthetic accepted uploads (5–22 June) are folded into the status items with the
 * validator's own `foldAccepted` and restated with `restated` (what it still owes, so the sparse owing index
 * gsi2 is exactly right): 60 % of the audience complete, 15 % one document missing, 25 % both.
 *
 * Each scenario is one sweep as the schedule delivers it — the sweep Lambda's handler invoked in process
 * through the runtime's router (`invoke('sweep', { job, scheduledAt })`), with the handler's own clients —
 * and every DynamoDB call it makes is metered (ReturnConsumedCapacity TOTAL, reads and writes). The outbox's
 * mailer runs meanwhile in the same process, as the queue's event source does; its calls are left out of
 * the meter (they are not made from the sweep's async context). Scenarios:
 *  (a) 23 June 09:00, 7 days before: org reminders (before-7) and the District and city digests;
 *  (b) 20 June 09:00, nothing due: the sweep reads the campaign list and — the campaign's deadline sending
 *      nothing that day — the AUDIENCE item (whether an extension or a District's internal deadline is due), and stops;
 *  (c) 23 June 09:00 again (a retried or redelivered schedule): the day's mark (SWEPT#<day>) says it is done;
 *  (d) 23 June 09:00 again after a sweep that crashed before writing the mark (the mark removed): the
 *      recovery path — every claim is refused and each entry's state read, nothing is queued twice.
 *
 * The floor of a sweep is the bytes of the pending items — the status items of the orgs that still owe
 * something, which the sweep must read to address them — divided by 4 KB and rounded up (0 on a day when
 * nothing is due). Sizes and units are counted both ways status-scale counts them: dynalite's (what its
 * ConsumedCapacity is computed from) and DynamoDB's documented model (UTF-8 sizes, rounding per operation;
 * a GetItem with a projection is charged the whole item).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { BatchGetItemCommand, DeleteItemCommand, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { Campaign } from '../schemas/campaigns.js';
import type { Org } from '../schemas/orgs.js';
import type { OrgSummary } from '../schemas/plans.js';
import { orgStore } from '../functions/orgs/store.js';
import { foldAccepted, inAudience, restated } from '../functions/plans/rules.js';
import { summaryStore } from '../functions/plans/store.js';
import type { SweepReport } from '../functions/reminders/service.js';
import { ddbClient } from '../functions/shared/clients/dynamodb.js';
import { readEnv } from '../functions/shared/env.js';
import { signingKeySource } from '../functions/shared/tokens.js';
import { admin } from '../local/admin.js';
import { startRuntime } from '../local/runtime.js';
import {
  acceptedUpload,
  type AV,
  awsSize,
  awsUnits,
  buildCity,
  cpuMs,
  type DdbCall,
  DIRECT_SCHOOLS,
  DISTRICT_SCHOOLS,
  DISTRICTS,
  dynaliteSize,
  fmt,
  GOAL_RATIO,
  installMeter,
  metered,
  percentile,
  pool,
  prng,
  rawQuery,
  reportedUnits,
  table,
  UNIT,
} from './status-scale.js';

// ── Settings ───────────────────────────────────────────────────────────────────────────────────────
/** The goal (issue): the city's sweep, plan + claim + enqueue, on the local runtime. */
export const SWEEP_GOAL_MS = 10_000;
/** The state on 23 June: shares of the audience that handed in everything, all but one document, nothing. */
export const SHARE_COMPLETE = 0.6;
export const SHARE_ONE_MISSING = 0.15;
/** Runs of the sweeps that can be repeated on the same state ((b), (c)); (a) runs once (it claims the day's keys). */
export const REPEAT_RUNS = 3;
/** The instants (the schedule's `scheduledAt`): 23 June is 7 days before the 30 June deadline; 20 June is 10. */
export const DUE_AT = '2019-06-23T09:00:00+08:00';
export const QUIET_AT = '2019-06-20T09:00:00+08:00';
/** Concurrent writes while seeding (dynalite is in this process: more only queues). */
const SEED_CONCURRENCY = 8;
/** Fixed seed: the same uploads every run (the city itself is status-scale's). */
const SEED = 20190623;

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ── The state on 23 June ───────────────────────────────────────────────────────────────────────────
/** status-scale's city, where the 3 % of orgs without a contact get one (so every org that owes is mailed). */
export function cityWithContacts(): Org[] {
  return buildCity().map((o) => (o.contacts.length ? o : { ...o, contacts: [{ name: '联络员', email: `${o.id}@example.org` }] }));
}

/**
 * Per org of the audience, the accepted uploads it made by 22 June evening: every document (SHARE_COMPLETE),
 * all but one (SHARE_ONE_MISSING) or none; 1–3 versions a document, first between 5 and 19 June.
 */
export function uploadsBy23June(campaign: Campaign, orgs: Org[], r = prng(SEED)) {
  const from = Date.parse('2019-06-05T09:00:00+08:00');
  const span = Date.parse('2019-06-19T18:00:00+08:00') - from;
  return orgs
    .filter((o) => inAudience(campaign, o))
    .map((org) => {
      const x = r();
      const skip = x < SHARE_COMPLETE ? -1 : x < SHARE_COMPLETE + SHARE_ONE_MISSING ? Math.floor(r() * campaign.documents.length) : undefined;
      const docs = skip === undefined ? [] : campaign.documents.filter((_, i) => i !== skip);
      const uploads = docs.flatMap((doc) => {
        const versions = r() < 0.3 ? 1 : r() < 0.85 ? 2 : 3;
        let at = from + r() * span;
        return Array.from({ length: versions }, (_, v) => {
          const u = acceptedUpload(r, campaign, org, doc, v, at);
          at += 3600_000 * (2 + r() * 40);
          return u;
        });
      });
      return { org, uploads, owes: docs.length < campaign.documents.length };
    });
}

// ── Where a sweep's time goes ──────────────────────────────────────────────────────────────────────
const isLedger = (c: Pick<DdbCall, 'key'>) => !!c.key?.pk?.S?.startsWith('MAIL#');

/**
 * A sweep's steps from its metered DynamoDB calls (start and end: the sweep's own wall-clock bounds, as
 * performance.now()): reading what is due, planning and rendering (no I/O), claiming each message in the
 * ledger, putting the keys on the queue (the gap before the first "queued" mark: SendMessageBatch), and
 * marking them queued. A step that did not happen is left out.
 */
export function sweepPhases(calls: DdbCall[], start: number, end: number): [string, number][] {
  const endOf = (c: DdbCall) => c.t0 + c.ms;
  const last = (cs: DdbCall[]) => Math.max(...cs.map(endOf));
  const first = (cs: DdbCall[]) => Math.min(...cs.map((c) => c.t0));
  const reads = calls.filter((c) => !c.write && !isLedger(c));
  const claims = calls.filter((c) => (c.op === 'PutItem' || c.op === 'GetItem') && isLedger(c));
  const marks = calls.filter((c) => c.op === 'UpdateItem');
  const dayMark = calls.filter((c) => c.op === 'PutItem' && !isLedger(c));
  const out: [string, number][] = [];
  let t = start;
  const step = (name: string, until: number) => {
    out.push([name, until - t]);
    t = until;
  };
  if (reads.length) step(`read what is due (${reads.length} read${reads.length === 1 ? '' : 's'})`, last(reads));
  if (claims.length) {
    step('plan + render the mails (no I/O)', first(claims));
    const refused = claims.filter((c) => c.error).length;
    const looked = claims.filter((c) => c.op === 'GetItem').length;
    step(`claim in the ledger (PutItem ×${claims.length - looked}${refused ? `, ${refused} refused; GetItem ×${looked}` : ''})`, last(claims));
  }
  if (marks.length) {
    step(`put on the queue (SendMessageBatch ×${Math.ceil(marks.length / 10)})`, first(marks));
    step(`mark queued (UpdateItem ×${marks.length})`, last(marks));
  }
  if (dayMark.length) step('mark the day swept (PutItem SWEPT#<day>)', last(dayMark));
  step(claims.length ? 'return' : reads.length ? 'decide (nothing to claim) and return' : 'the whole sweep', end);
  return out;
}

// ── DynamoDB's documented model, where the returned items are not enough ───────────────────────────
const keyString = (k: AV | undefined) => `${k?.pk?.S}|${k?.sk?.S}`;

/** Read units in DynamoDB's model; a projected GetItem is charged the whole item (`full`). */
function awsReadUnits(c: DdbCall, full: Map<string, AV>): number {
  if (c.op !== 'GetItem' || !c.projected || !c.items.length) return awsUnits(c);
  return awsUnits({ ...c, items: [full.get(keyString(c.key)) ?? c.items[0]!] });
}

/**
 * Write units in DynamoDB's model: 1 KB units of the item, rounded up, at least 1. A new item is charged its
 * own size; an update the larger of the item before and after, and a refused conditional write the existing
 * item (for both: the stored item, read after the scenario — an upper bound, the mailer has added its
 * send times since). The ledger items carry no index attributes (no index writes).
 */
function awsWriteUnits(c: DdbCall, full: Map<string, AV>): number {
  const stored = full.get(keyString(c.key));
  const bytes = c.op === 'PutItem' && !c.error ? (c.itemBytes ?? 0) : stored ? awsSize(stored) : (c.itemBytes ?? 0);
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** The stored items under these keys (outside the meter), by key. */
async function storedItems(ddb: DynamoDBClient, table: string, keys: AV[]): Promise<Map<string, AV>> {
  const out = new Map<string, AV>();
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, { Keys: AV[] }> | undefined = { [table]: { Keys: unique.slice(i, i + 100) } };
    while (request && Object.keys(request).length) {
      const r = await ddb.send(new BatchGetItemCommand({ RequestItems: request }));
      for (const item of r.Responses?.[table] ?? []) out.set(keyString(item), item);
      request = r.UnprocessedKeys as typeof request;
    }
  }
  return out;
}

// ── The handlers' INFO lines (one per mail sent) are counted, not printed ──────────────────────────
function quietInfo() {
  const print = console.log;
  const counts = { sweep: 0, outbox: 0, other: 0 };
  console.log = (...a: unknown[]) => {
    const line = a[0];
    if (a.length === 1 && typeof line === 'string' && line.startsWith('{"level":"INFO"')) {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
      if (msg === 'sweep') counts.sweep++;
      else if (msg === 'outbox') counts.outbox++;
      else counts.other++;
      return;
    }
    print(...a);
  };
  return { counts, restore: () => void (console.log = print) };
}

// ── The measurement ────────────────────────────────────────────────────────────────────────────────
interface Run {
  report: SweepReport;
  calls: DdbCall[];
  ms: number;
  cpuMs: number;
  /** From the sweep's return until the mailer had sent everything (retries included). */
  drainMs: number;
  /** Mails the mailer had sent by the time the sweep returned. */
  sentMeanwhile: number;
  phases: [string, number][];
}

interface Scenario {
  name: string;
  at: string;
  runs: Run[];
  /** The status items in the owing index when the scenario ran. */
  pending: AV[];
  /** What the sweep must read: the pending items on a day something is due, nothing otherwise. */
  floorItems: AV[];
  /** The full stored items of the ledger keys the sweep touched (for DynamoDB's model). */
  full: Map<string, AV>;
}

const owingQuery = (TableName: string, campaignId: string): QueryCommandInput => ({
  TableName,
  IndexName: 'gsi2',
  KeyConditionExpression: 'gsi2pk = :p',
  ExpressionAttributeValues: { ':p': { S: `OWING#${campaignId}` } },
});

/** What a call did, in the words of the sweep's code (functions/reminders/service.ts, outbox.ts). */
function label(c: DdbCall): string {
  const pk = c.key?.pk?.S ?? '';
  const sk = c.key?.sk?.S ?? '';
  if (c.op === 'Query' && c.index === 'gsi2') return 'Query gsi2 (owing index)';
  if (c.op === 'Query' && c.index === 'gsi1') return c.items.some((i) => i.sk?.S === 'ORG') ? 'Query gsi1 (orgs CITY)' : 'Query gsi1 (campaigns)';
  if (c.op === 'GetItem' && sk === 'AUDIENCE') return 'GetItem (audience counts)';
  if (c.op === 'GetItem' && pk.startsWith('ORG#')) return 'GetItem (District office, registry)';
  if (c.op === 'GetItem' && sk.startsWith('STATUS#')) return 'GetItem (District office, status item)';
  if (c.op === 'GetItem' && sk.startsWith('SWEPT#')) return "GetItem (the day's mark)";
  if (c.op === 'PutItem' && sk.startsWith('SWEPT#')) return "PutItem (the day's mark)";
  if (c.op === 'GetItem' && pk.startsWith('MAIL#')) return 'GetItem (ledger state, consistent)';
  if (c.op === 'PutItem' && pk.startsWith('MAIL#')) return 'PutItem (claim)';
  if (c.op === 'UpdateItem' && pk.startsWith('MAIL#')) return 'UpdateItem (queued)';
  return `${c.op}${c.index ? ` ${c.index}` : ''} ${pk.split('#')[0]}`;
}

export async function sweepScale(opts: { log?: (s: string) => void } = {}) {
  const log = opts.log ?? ((s: string) => console.log(s));
  installMeter();
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'psy-bench-sweep-'));
  const rt = await startRuntime({ dir, port: 0, sesPort: 0, quiet: true, scheduler: false });
  const info = quietInfo();
  try {
    const env = readEnv(process.env);
    const ops = admin(env, signingKeySource(env));
    const ddb = ddbClient();
    const orgs = orgStore(ddb, env.TABLE_NAME);
    const summaries = summaryStore(ddb, env.TABLE_NAME);

    // Seed: the orgs, then the campaign as an operator creates it (its status items: everyone owes both).
    const city = cityWithContacts();
    await pool(SEED_CONCURRENCY, city, (o) => orgs.upsert(o));
    const tOrgs = performance.now();
    const { campaign } = await ops.createCampaign(readFileSync(resolve(ROOT, 'local/seed/campaign-2019.json'), 'utf8'));
    const tCampaign = performance.now();

    // The uploads up to 22 June, folded and restated as the validator writes them.
    const state = uploadsBy23June(campaign, city);
    const before = new Map((await summaries.list(campaign.id)).map((s) => [s.orgId, s]));
    if (before.size !== state.length) throw new Error(`bench: createCampaign wrote ${before.size} status items, the audience is ${state.length}`);
    const last = Math.max(...state.flatMap((x) => x.uploads.map((u) => Date.parse(u.receivedAt!))));
    if (last >= Date.parse(DUE_AT)) throw new Error(`bench: an upload arrives after the sweep (${new Date(last).toISOString()})`);
    await pool(SEED_CONCURRENCY, state.filter((x) => x.uploads.length), async ({ org, uploads }) => {
      const prev = before.get(org.id)!;
      const folded = uploads.reduce<OrgSummary>((s, u) => foldAccepted(s, u).next ?? s, prev);
      const next = restated(campaign, org, folded);
      if (!next || !(await summaries.put(next, prev.rev))) throw new Error(`bench: status item of ${org.id} not written`);
    });
    const tSeed = performance.now();

    // The owing index must list exactly the orgs that still owe something.
    const owes = new Set(state.filter((x) => x.owes).map((x) => x.org.id));
    const indexed = await rawQuery(ddb, owingQuery(env.TABLE_NAME, campaign.id));
    if (indexed.length !== owes.size || !indexed.every((i) => owes.has(i.orgId!.S!)))
      throw new Error(`bench: the owing index lists ${indexed.length} orgs, ${owes.size} owe something`);
    const oneMissing = state.filter((x) => x.owes && x.uploads.length).length;

    // ── The sweeps ──
    const sweep = async (at: string): Promise<Run> => {
      const sentBefore = info.counts.outbox;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const { value, calls } = await metered(() => rt.invoke('sweep', { job: 'plan-reminders', scheduledAt: new Date(at).toISOString() }), { writes: true, own: true });
      const end = performance.now();
      const used = cpuMs(process.cpuUsage(cpu));
      const sentMeanwhile = info.counts.outbox - sentBefore;
      await rt.outboxIdle();
      return { report: value as SweepReport, calls, ms: end - start, cpuMs: used, drainMs: performance.now() - end, sentMeanwhile, phases: sweepPhases(calls, start, end) };
    };
    const scenario = async (name: string, at: string, runs: number, check: (r: SweepReport['campaigns'][number]) => string | undefined): Promise<Scenario> => {
      const pending = await rawQuery(ddb, owingQuery(env.TABLE_NAME, campaign.id));
      const out: Run[] = [];
      for (let i = 0; i < runs; i++) {
        const run = await sweep(at);
        const c = run.report.campaigns.find((x) => x.id === campaign.id);
        const bad = c ? check(c) : 'no report for the campaign';
        if (bad) throw new Error(`bench: ${name}: ${bad} (${JSON.stringify(run.report)})`);
        out.push(run);
      }
      const calls = out.at(-1)!.calls;
      const full = await storedItems(ddb, env.TABLE_NAME, calls.filter(isLedger).map((c) => c.key!));
      const due = out[0]!.report.campaigns.some((c) => c.id === campaign.id && !c.skipped);
      return { name, at, runs: out, pending, floorItems: due ? pending : [], full };
    };

    const jobs = owes.size + DISTRICTS.length + 2; // org reminders (each owing org has an address), 13 District digests, Bureau and Centre
    const sent = (n: number) => (c: SweepReport['campaigns'][number]) =>
      c.owing === owes.size && c.planned === jobs && c.queued === n && c.already === jobs - n ? undefined : `want ${owes.size} owing, ${jobs} planned, ${n} queued`;
    const first = await scenario(`(a) ${DUE_AT.slice(0, 16)}  first sweep of the day`, DUE_AT, 1, sent(jobs));
    // The mailer's reminder ledger lines (summaries.remind) are in the status items now; nothing else changed.
    const quiet = await scenario(`(b) ${QUIET_AT.slice(0, 16)}  nothing due`, QUIET_AT, REPEAT_RUNS, (c) => (c.skipped === 'nothing due today' ? undefined : `not skipped: ${JSON.stringify(c)}`));
    const again = await scenario(`(c) ${DUE_AT.slice(0, 16)}  the same sweep again`, DUE_AT, REPEAT_RUNS, (c) => (c.skipped === 'swept already' ? undefined : `not skipped: ${JSON.stringify(c)}`));
    // As if the first sweep had crashed after its claims and before its mark.
    const day = DUE_AT.slice(0, 10).replace(/-/g, '');
    await ddb.send(new DeleteItemCommand({ TableName: env.TABLE_NAME, Key: { pk: { S: `CAMPAIGN#${campaign.id}` }, sk: { S: `SWEPT#${day}` } } }));
    const recovery = await scenario(`(d) ${DUE_AT.slice(0, 16)}  again, no mark (a crash before it)`, DUE_AT, 1, sent(0));
    const scenarios = [first, quiet, again, recovery];
    if (first.runs[0]!.calls.some((x) => x.op === 'GetItem' && isLedger(x))) throw new Error('bench: the meter caught the mailer (ledger reads during the first sweep)');
    const store = (await (await fetch(`${rt.sesUrl}/store`)).json()) as { emails: unknown[] };
    if (store.emails.length !== jobs) throw new Error(`bench: SES got ${store.emails.length} mails, ${jobs} were queued`);
    const tEnd = performance.now();

    // ── Report ──
    const audience = state.length;
    log(`\nThe reminder sweep at city scale (local runtime: the sweep handler invoked in process → stores → dynalite and the local SQS; the mailer drains the outbox meanwhile)`);
    log(
      `${city.length} orgs (${DISTRICTS.length} District offices, ${DISTRICT_SCHOOLS} District schools, ${DIRECT_SCHOOLS} Direct schools, Bureau, Centre), every one with a contact e-mail; ` +
        `campaign ${campaign.id} (${campaign.documents.length} documents, deadline 30 June), audience ${audience}.`,
    );
    log(
      `State on 23 June: ${audience - owes.size} complete, ${oneMissing} owe one document, ${owes.size - oneMissing} owe both — ${owes.size} status items in the owing index (gsi2). ` +
        `Seeded in ${fmt((tSeed - t0) / 1000)} s (orgs ${fmt((tOrgs - t0) / 1000)} s, createCampaign + syncStatus ${fmt((tCampaign - tOrgs) / 1000)} s, uploads folded ${fmt((tSeed - tCampaign) / 1000)} s).`,
    );
    log(`Reads in 4 KB units (1 unit = 1 RCU strongly consistent, ½ RCU eventually consistent). Floor = ceil(bytes of the pending items, the status items of the orgs that`);
    log(`still owe, / 4 KB) on a day something is due, 0 otherwise. "dynalite" = as the emulator measured and reported; "AWS" = DynamoDB's UTF-8 sizes and rounding per`);
    log(`operation applied to what each call read (a projected GetItem is charged the whole item). Writes in 1 KB units (dynalite reports none for a refused conditional`);
    log(`write; AWS charges it as the existing item). Sweep = the handler's invocation (plan + claim + enqueue); drain = from its return until the mailer had sent everything.`);
    log(`(a) runs once (it claims the day's keys); (b) and (c) ${REPEAT_RUNS} times each: median time, the last run's calls.\n`);

    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    const figures = scenarios.map((s) => {
      const run = s.runs.at(-1)!;
      const reads = run.calls.filter((x) => !x.write);
      const writes = run.calls.filter((x) => x.write);
      const units = sum(reads.map(reportedUnits));
      const aws = sum(reads.map((x) => awsReadUnits(x, s.full)));
      const floor = Math.ceil(sum(s.floorItems.map(dynaliteSize)) / UNIT);
      const awsFloor = Math.ceil(sum(s.floorItems.map(awsSize)) / UNIT);
      const ms = percentile(s.runs.map((r) => r.ms), 50);
      const rep = run.report.campaigns.find((x) => x.id === campaign.id)!;
      return { s, run, reads, writes, units, aws, floor, awsFloor, ms, rep };
    });
    const ratio = (got: number, floor: number) => (floor ? got / floor : got === 0 ? 1 : Infinity);
    // A sweep with nothing to send must read only the campaign list — and, when the day is done, its mark; on a
    // day the campaign's deadline sends nothing, the AUDIENCE item (the orgs' own deadlines: extensions, internal).
    const readsOk = (f: (typeof figures)[number]) =>
      f.floor
        ? ratio(f.units, f.floor) <= GOAL_RATIO && ratio(f.aws, f.awsFloor) <= GOAL_RATIO
        : f.aws <= 1 + (f.rep.skipped === 'swept already' ? 1 : 0) + (f.rep.skipped === 'nothing due today' ? 1 : 0);
    log(
      table(
        ['sweep', 'due', 'planned', 'queued', 'already', 'reads', 'items read', 'units', 'floor', 'ratio', 'AWS units', 'AWS floor', 'AWS ratio', 'writes', 'WCU', 'AWS WCU', 'sweep ms', 'CPU ms', 'drain s', `≤${GOAL_RATIO}× / ≤${SWEEP_GOAL_MS / 1000} s`],
        figures.map((f) => [
          f.s.name,
          f.rep.skipped ? '0' : String(f.s.floorItems.length),
          String(f.rep.planned ?? 0),
          String(f.rep.queued ?? 0),
          String(f.rep.already ?? 0),
          String(f.reads.length),
          String(sum(f.reads.map((x) => x.items.length))),
          fmt(f.units, 1),
          String(f.floor),
          f.floor ? `${fmt(ratio(f.units, f.floor), 2)}×` : '—',
          String(sum(f.reads.map((x) => awsReadUnits(x, f.s.full)))),
          String(f.awsFloor),
          f.awsFloor ? `${fmt(ratio(f.aws, f.awsFloor), 2)}×` : '—',
          `${f.writes.length}${f.writes.some((x) => x.error) ? ` (${f.writes.filter((x) => x.error).length} refused)` : ''}`,
          fmt(sum(f.writes.map((x) => x.write!.wcu)), 0),
          String(sum(f.writes.map((x) => awsWriteUnits(x, f.s.full)))),
          fmt(f.ms, 0),
          fmt(percentile(f.s.runs.map((r) => r.cpuMs), 50), 0),
          fmt(percentile(f.s.runs.map((r) => r.drainMs), 50) / 1000, 1),
          `${readsOk(f) ? 'ok' : 'OVER'} / ${f.ms <= SWEEP_GOAL_MS ? 'ok' : 'SLOW'}`,
        ]),
      ),
    );

    log('\nDynamoDB calls per sweep (reads in 4 KB units, dynalite-reported / AWS model; writes in 1 KB units, dynalite / AWS model):');
    for (const f of figures) {
      const groups = new Map<string, DdbCall[]>();
      for (const x of f.run.calls) groups.set(label(x), [...(groups.get(label(x)) ?? []), x]);
      log(
        `  ${f.s.name}: ${[...groups]
          .map(([k, cs]) => {
            const w = cs[0]!.write;
            const refused = cs.filter((x) => x.error).length;
            const items = sum(cs.map((x) => x.items.length));
            const what = w ? (refused ? `, ${refused} refused` : '') : `, ${items} items${sum(cs.map((x) => x.missing)) ? `, ${sum(cs.map((x) => x.missing))} keys without an item` : ''}`;
            const units = w
              ? `${fmt(sum(cs.map((x) => x.write!.wcu)), 0)} / ${sum(cs.map((x) => awsWriteUnits(x, f.s.full)))}`
              : `${fmt(sum(cs.map(reportedUnits)), 1)} / ${sum(cs.map((x) => awsReadUnits(x, f.s.full)))}`;
            return `${k} ×${cs.length}${what} ${units}`;
          })
          .join('; ')}`,
      );
    }
    const bytes = (items: AV[], size: (i: AV) => number) => fmt(sum(items.map(size)) / 1024, 1);
    log(
      `Pending items: (a) ${first.pending.length} status items, ${bytes(first.pending, dynaliteSize)} KB dynalite / ${bytes(first.pending, awsSize)} KB UTF-8 (mean ${fmt(sum(first.pending.map(awsSize)) / first.pending.length, 0)} B); ` +
        `(c) ${again.pending.length}, ${bytes(again.pending, dynaliteSize)} / ${bytes(again.pending, awsSize)} KB (the mailer has added each reminder to its org's ledger since).`,
    );

    log(`\nWhere the first sweep's time goes (from its DynamoDB calls' timestamps; one run, the mailer sending meanwhile on the same 2 cores):`);
    const ar = first.runs[0]!;
    log(table(['step', 'ms'], ar.phases.map(([k, ms]) => [k, fmt(ms, 0)])));
    log(
      `Sweep ${fmt(ar.ms / 1000, 2)} s (CPU of this whole process ${fmt(ar.cpuMs / 1000, 2)} s); the mailer had sent ${ar.sentMeanwhile} of ${jobs} by its return and the rest ${fmt(ar.drainMs / 1000, 1)} s later ` +
        `(SES rate ${env.MAIL_RATE_PER_SECOND ?? '?'}/s locally): ${fmt((ar.ms + ar.drainMs) / 1000, 1)} s from the schedule to the last mail; SES received ${store.emails.length}.`,
    );
    const cr = recovery.runs.at(-1)!;
    log(`The recovery sweep (d): ${cr.phases.map(([k, ms]) => `${k} ${fmt(ms, 0)} ms`).join('; ')}.`);

    // ── The goal ──
    const fa = figures[0]!;
    const fc = figures[2]!;
    const fb = figures[1]!;
    const lines: string[] = [];
    const readGoal = (f: (typeof figures)[number]) => `${fmt(ratio(f.units, f.floor), 2)}× (dynalite) / ${fmt(ratio(f.aws, f.awsFloor), 2)}× (AWS)`;
    lines.push(
      `reads ≤ ${GOAL_RATIO}× the floor: (a) ${readGoal(fa)} — ${readsOk(fa) ? 'met' : 'MISSED'}; (b) ${fmt(fb.units, 1)} units with nothing due: the campaign list and the AUDIENCE item — ${readsOk(fb) ? 'met' : 'MISSED'}; ` +
        `(c) ${fmt(fc.units, 1)} units: the campaign list and the day's mark — ${readsOk(fc) ? 'met' : 'MISSED'}; (d), the recovery after a crash, ${readGoal(figures[3]!)} (not the normal path)`,
    );
    lines.push(`city sweep ≤ ${SWEEP_GOAL_MS / 1000} s: (a) ${fmt(fa.ms / 1000, 2)} s — ${fa.ms <= SWEEP_GOAL_MS ? 'met' : `MISSED by ${fmt((fa.ms - SWEEP_GOAL_MS) / 1000, 2)} s`}; (c) ${fmt(fc.ms / 1000, 2)} s`);
    log(`\nGoal: ${lines.join('\n      ')}`);
    for (const f of figures.filter((x) => !readsOk(x) || x === figures[3])) {
      const ledgerReads = f.reads.filter(isLedger);
      const planReads = f.reads.filter((x) => !isLedger(x));
      const over = (units: number, floor: number) => `${fmt(units - GOAL_RATIO * floor, 0)} units over ${GOAL_RATIO}× the floor`;
      log(
        `  ${f.s.name}: ${over(f.units, f.floor)} (dynalite), ${over(f.aws, f.awsFloor)} (AWS). Reading what is due costs ${fmt(sum(planReads.map(reportedUnits)), 0)} / ${sum(planReads.map((x) => awsReadUnits(x, f.s.full)))} units ` +
          `(${fmt(ratio(sum(planReads.map(reportedUnits)), f.floor), 2)}× / ${fmt(ratio(sum(planReads.map((x) => awsReadUnits(x, f.s.full))), f.awsFloor), 2)}×); the rest is ${ledgerReads.length} strongly consistent GetItems of ledger entries ` +
          `(${fmt(sum(ledgerReads.map(reportedUnits)), 0)} / ${sum(ledgerReads.map((x) => awsReadUnits(x, f.s.full)))} units): enqueue() claims each message with a conditional PutItem and, when the claim is refused, ` +
          `reads the entry's state to tell 'claimed' (re-queue after a crash) from a later state — one read per message already in the ledger, beside ${f.writes.filter((x) => x.error).length} refused writes.`,
      );
    }
    log(`(load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores; seed ${fmt((tSeed - t0) / 1000)} s, sweeps ${fmt((tEnd - tSeed) / 1000)} s, total ${fmt((performance.now() - t0) / 1000)} s; ${info.counts.outbox} mailer and ${info.counts.sweep} sweep log lines not shown)`);
    return figures;
  } finally {
    info.restore();
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  sweepScale().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
