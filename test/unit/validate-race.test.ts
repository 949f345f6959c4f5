/**
 * The validator under concurrency and crashes. Two runs of validateUpload share the in-memory fakes;
 * every call they make to a chosen set of ports first waits for a scheduler's permission, and the
 * scheduler walks EVERY order of those calls (depth-first over its choices, re-running each schedule
 * on a fresh world). Only one run moves at a time, so each schedule is deterministic. After each
 * schedule, a run that threw is retried as the event source would, and the invariants are checked:
 *  - accepted/ holds exactly one object, whose sha256 is the one recorded, or nothing for a rejection;
 *  - one recorded version per attempt, numbered without gap or duplicate;
 *  - each accepted attempt folded once into its org's status item;
 *  - the audit trail holds exactly one entry of the attempt's outcome, at its recorded arrival.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { timelinessText } from '../../functions/plans/rules.js';
import { type AcceptedVersion, createUpload, type Session, type ValidateDeps, validateUpload } from '../../functions/plans/service.js';
import { tokenSigner } from '../../functions/shared/tokens.js';
import { type Upload } from '../../schemas/plans.js';
import { IncomingKey } from '../../schemas/s3-events.js';
import { elfExecutable, minimalPdf } from '../fixtures/files.js';
import {
  FakeAuditLog,
  FakeCampaignStore,
  FakeLedger,
  FakeMailer,
  FakeObjectStore,
  FakeOrgStore,
  FakePresigner,
  FakeSummaryStore,
  FakeUploadStore,
  FixedClock,
} from './fakes.js';
import { allOrgs, campaign, keyBytes, orgs, uploadId } from './samples.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const who = new AsyncLocalStorage<string>();

/** Holds each run at its next port call until granted; records the order it granted. */
class Scheduler {
  readonly waiting = new Map<string, { op: string; go: () => void }>();
  readonly done = new Set<string>();
  readonly trace: string[] = [];
  constructor(private readonly ops: ReadonlySet<string>) {}
  async step(op: string) {
    const run = who.getStore();
    if (!run || !this.ops.has(op)) return;
    await new Promise<void>((go) => this.waiting.set(run, { op, go }));
  }
  grant(run: string) {
    const w = this.waiting.get(run) as { op: string; go: () => void };
    this.waiting.delete(run);
    this.trace.push(`${run}:${w.op}`);
    w.go();
  }
  /** Until every run waits at a port call or has finished (a run sleeping in a back-off timer is woken). */
  async quiet(n: number) {
    while (this.waiting.size + this.done.size < n) {
      await new Promise((ok) => setImmediate(ok));
      if (this.waiting.size + this.done.size < n) vi.advanceTimersToNextTimer();
    }
  }
}

function world() {
  const w = {
    orgs: new FakeOrgStore(allOrgs),
    campaigns: new FakeCampaignStore([campaign]),
    uploads: new FakeUploadStore(),
    summaries: new FakeSummaryStore(),
    objects: new FakeObjectStore(),
    clock: new FixedClock('2019-06-20T02:00:00.000Z'),
    presigner: new FakePresigner(),
    tokens: tokenSigner(async () => keyBytes()),
    ledger: new FakeLedger(),
    mailer: new FakeMailer(),
    /** Every call of the receipt port, as made. */
    receipts: [] as AcceptedVersion[],
    audit: new FakeAuditLog(),
  };
  return w;
}
type World = ReturnType<typeof world>;

/**
 * The ports as the validator sees them: each call passes the scheduler first, and may be made to
 * throw (a crash at that step). The receipt port behaves like production's: it claims the receipt in
 * the send ledger (keyed by the attempt) before sending, so it sends once however often it is called.
 */
function portsOf(w: World, opts: { sched?: Scheduler; crash?: Map<string, number> } = {}): ValidateDeps {
  const step = async (op: string) => {
    await opts.sched?.step(op);
    const left = opts.crash?.get(op) ?? 0;
    if (left > 0) {
      opts.crash?.set(op, left - 1);
      throw new Error(`injected crash at ${op}`);
    }
  };
  const { objects: o, uploads: u, summaries: m } = w;
  return {
    campaigns: w.campaigns,
    orgs: w.orgs,
    clock: w.clock,
    objects: {
      read: async (k, v) => (await step('read'), o.read(k, v)),
      writeNew: async (k, b, t) => (await step('writeNew'), o.writeNew(k, b, t)),
      exists: async (k) => (await step('exists'), o.exists(k)),
    },
    uploads: {
      create: (x) => u.create(x),
      get: async (r) => (await step('get'), u.get(r)),
      finish: async (r, out) => (await step('finish'), u.finish(r, out)),
      numbered: async (r, v, n) => (await step('numbered'), u.numbered(r, v, n)),
      listOrg: (c, org) => u.listOrg(c, org),
    },
    summaries: {
      get: async (c, org) => (await step('sget'), m.get(c, org)),
      listRoute: (c, r) => m.listRoute(c, r),
      listOwing: (c) => m.listOwing(c),
      audience: (c) => m.audience(c),
      setAudience: (c, n) => m.setAudience(c, n),
      register: (c, w, o, v) => m.register(c, w, o, v),
      remind: (c, org, k, e) => m.remind(c, org, k, e),
      list: (c) => m.list(c),
      put: async (n, p) => (await step('sput'), m.put(n, p)),
    },
    audit: { append: async (e) => (await step('audit'), w.audit.append(e)) },
    receipt: async (v) => {
      w.receipts.push(structuredClone(v));
      await step('receipt');
      const key = `RECEIPT#${v.campaign.id}#${v.org.id}#${v.upload.document}#${v.upload.uploadId}`;
      if (!(await w.ledger.claim(key, { uploadId: v.upload.uploadId }, w.clock.now().toISOString()))) return;
      const id = await w.mailer.send({ to: v.org.contacts.map((c) => c.email), subject: `回执 ${v.upload.receiptNo}`, text: `第 ${v.upload.version} 版`, html: '' });
      await w.ledger.sent(key, id, w.clock.now().toISOString());
    },
  };
}

const session = (): Session => ({ grant: { orgId: 'dh-school-1', campaignId: campaign.id, role: 'school', version: 1 }, org: orgs.dhSchool1, campaign });
const keyOf = (id: string, document = 'service-plan') => `incoming/2019-plans/dh-school-1/${document}/${id}.pdf`;
const refOf = (id: string, versionId?: string, document = 'service-plan') => ({ ...IncomingKey.parse(keyOf(id, document)), versionId });
const attempt = (w: World, id: string, document = 'service-plan') => w.uploads.get({ campaignId: campaign.id, orgId: 'dh-school-1', document, uploadId: id });
const acceptedObjects = (w: World) => [...w.objects.versions.keys()].filter((k) => k.startsWith('accepted/'));

interface Run {
  id: string;
  ref: ReturnType<typeof refOf>;
  real?: Date;
}
interface Outcome {
  value?: string;
  error?: Error;
}
interface Schedule {
  w: World;
  runs: Run[];
  outcomes: Record<string, Outcome>;
  trace: string[];
  /** How many runs were ready at each point where the scheduler had a choice. */
  arities: number[];
  /** Outcomes of the retries of the runs that threw (the event source delivers those events again). */
  retried: Record<string, string>;
}

async function execute(setup: () => Promise<{ w: World; runs: Run[] }>, ops: string[], choices: number[]): Promise<Schedule> {
  const { w, runs } = await setup();
  const sched = new Scheduler(new Set(ops));
  const deps = portsOf(w, { sched });
  const outcomes: Record<string, Outcome> = {};
  for (const r of runs)
    void who.run(r.id, () =>
      validateUpload(deps, r.ref, r.real)
        .then(
          (value) => (outcomes[r.id] = { value }),
          (error: Error) => (outcomes[r.id] = { error }),
        )
        .finally(() => sched.done.add(r.id)),
    );
  const arities: number[] = [];
  for (let d = 0; ; ) {
    await sched.quiet(runs.length);
    const ready = [...sched.waiting.keys()].sort();
    if (ready.length === 0) break;
    let pick = ready[0] as string;
    if (ready.length > 1) {
      pick = ready[choices[d] ?? 0] as string;
      arities.push(ready.length);
      d++;
    }
    sched.grant(pick);
  }
  // A run that threw is retried, as the event source would (at most three more deliveries).
  const retried: Record<string, string> = {};
  for (const r of runs) {
    if (!outcomes[r.id]?.error) continue;
    for (let i = 0; i < 3 && retried[r.id] === undefined; i++) {
      retried[r.id] = await validateUpload(portsOf(w), r.ref, r.real).catch(() => undefined as unknown as string);
    }
  }
  return { w, runs, outcomes, trace: sched.trace, arities, retried };
}

/** Runs every schedule of the runs' calls to `ops`, checking each; returns the schedules seen. */
async function everySchedule(setup: () => Promise<{ w: World; runs: Run[] }>, ops: string[], check: (s: Schedule) => Promise<void>) {
  const seen: Schedule[] = [];
  let choices: number[] = [];
  for (;;) {
    const s = await execute(setup, ops, choices);
    try {
      await check(s);
    } catch (e) {
      (e as Error).message = `schedule ${s.trace.join(' → ')}\n${(e as Error).message}`;
      throw e;
    }
    seen.push(s);
    const taken = s.arities.map((_, i) => choices[i] ?? 0);
    let i = taken.length - 1;
    while (i >= 0 && taken[i] === (s.arities[i] as number) - 1) i--;
    if (i < 0) return seen;
    choices = [...taken.slice(0, i), (taken[i] as number) + 1];
  }
}

beforeEach(() => {
  // The real clock stands still (exact arrival instants); back-off timers of a lost fold race fire when
  // the scheduler finds nothing else to do.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: new Date('2026-11-29T04:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

const BYTES_OPS = ['get', 'read', 'finish', 'writeNew', 'exists', 'sput'];

/** Invariants of one attempt after every run (and retry) is over. */
async function expectConsistent(s: Schedule, id: string) {
  const { w } = s;
  for (const [run, o] of Object.entries(s.outcomes)) {
    // The only failure allowed: a run that lost the claim found the recorded bytes nowhere yet (the winner had not
    // written accepted/); its retry must then succeed.
    if (o.error) {
      expect(o.error.message, run).toMatch(/recorded as accepted .* not available/);
      expect(s.retried[run], `retry of ${run}`).toBe('accepted');
    }
  }
  const u = (await attempt(w, id)) as Upload;
  const summary = await w.summaries.get(campaign.id, 'dh-school-1');
  // Whoever won and however often it ran: one entry, the recorded outcome, at the recorded arrival.
  expect(w.audit.events).toEqual([
    expect.objectContaining({
      id: `upload#${id}`,
      at: u.receivedAt,
      action: `upload.${u.state}`,
      ...(u.state === 'accepted' ? { version: 1, after: expect.objectContaining({ sha256: u.sha256, receiptNo: u.receiptNo }) } : { after: expect.objectContaining({ reason: u.reason }) }),
    }),
  ]);
  if (u.state === 'accepted') {
    expect(acceptedObjects(w)).toEqual([u.acceptedKey]);
    expect(w.objects.versions.get(u.acceptedKey as string)).toHaveLength(1);
    expect(w.objects.written).toHaveLength(1);
    expect(sha256(w.objects.written[0]?.bytes as Uint8Array)).toBe(u.sha256);
    expect(u).toMatchObject({ version: 1, receiptNo: expect.stringMatching(/^HJ\d{8}-/) });
    expect(summary?.docs['service-plan']?.ids).toEqual([id]);
    expect(summary?.docs['service-plan']?.last?.sha256).toBe(u.sha256);
    expect(summary?.rev).toBe(1);
    expect(w.receipts.length).toBeGreaterThanOrEqual(1);
    for (const r of w.receipts) expect(r.upload).toMatchObject({ uploadId: id, version: 1, receiptNo: u.receiptNo, sha256: u.sha256 });
    expect(w.mailer.sent).toHaveLength(1);
    for (const o of Object.values(s.outcomes)) if (!o.error) expect(o.value).toBe('accepted');
  } else {
    expect(u.state).toBe('rejected');
    expect(acceptedObjects(w)).toEqual([]);
    expect(w.objects.written).toEqual([]);
    expect(u.sha256).toBeUndefined();
    expect(u.version).toBeUndefined();
    expect(summary?.docs['service-plan']).toMatchObject({ ids: [], rejected: { uploadId: id } });
    expect(w.receipts).toEqual([]);
    for (const o of Object.values(s.outcomes)) expect(o.value).toBe('rejected');
  }
}

describe('two validations of one key with different bytes (two object versions, each event naming its own)', () => {
  const ID = uploadId(1);
  const setupWith = (first: Uint8Array, second: Uint8Array) => async () => {
    const w = world();
    await createUpload(w, session(), { document: 'service-plan', fileName: '方案.pdf', size: 1000 }, ID);
    const v1 = w.objects.put(keyOf(ID), first);
    const v2 = w.objects.put(keyOf(ID), second);
    return { w, runs: [{ id: 'A', ref: refOf(ID, v1) }, { id: 'B', ref: refOf(ID, v2) }] };
  };

  it('two different PDFs: in every interleaving accepted/ holds exactly the bytes whose sha256 is recorded, written once, one version', async () => {
    const a = minimalPdf('version A');
    const b = minimalPdf('version B, longer');
    const seen = await everySchedule(setupWith(a, b), BYTES_OPS, async (s) => {
      await expectConsistent(s, ID);
      const u = (await attempt(s.w, ID)) as Upload;
      expect(u.state).toBe('accepted');
      expect([sha256(a), sha256(b)]).toContain(u.sha256);
    });
    const winners = new Set(await Promise.all(seen.map(async (s) => (await attempt(s.w, ID))?.sha256)));
    // Both orders of the claim were forced, and the loser found the winner mid-way (not yet written) at least once.
    expect(winners).toEqual(new Set([sha256(a), sha256(b)]));
    expect(seen.some((s) => Object.values(s.outcomes).some((o) => o.error))).toBe(true);
    expect(seen.length).toBeGreaterThan(50);
  }, 120_000);

  it('a PDF and an executable: never a PDF under accepted/ for an attempt recorded as rejected (nor anything but the PDF for one accepted)', async () => {
    const pdf = minimalPdf('the real plan');
    const exe = elfExecutable();
    const seen = await everySchedule(setupWith(pdf, exe), BYTES_OPS, async (s) => {
      await expectConsistent(s, ID);
      const u = (await attempt(s.w, ID)) as Upload;
      if (u.state === 'accepted') {
        expect(u.sha256).toBe(sha256(pdf));
        expect(s.w.objects.written[0]?.bytes).toEqual(pdf);
      } else expect(u.reason).toBe('TYPE_MISMATCH');
    });
    const states = new Set(await Promise.all(seen.map(async (s) => (await attempt(s.w, ID))?.state)));
    expect(states).toEqual(new Set(['accepted', 'rejected']));
  }, 120_000);
});

describe('two concurrent validations of the SAME event', () => {
  const ID = uploadId(2);
  const setup = async () => {
    const w = world();
    await createUpload(w, session(), { document: 'service-plan', fileName: '方案.pdf', size: 1000 }, ID);
    const v = w.objects.put(keyOf(ID), minimalPdf('once'));
    return { w, runs: [{ id: 'A', ref: refOf(ID, v) }, { id: 'B', ref: refOf(ID, v) }] };
  };

  it('one accepted/ object, one version, one receipt sent — in every interleaving', async () => {
    const seen = await everySchedule(setup, ['get', 'finish', 'writeNew', 'exists', 'sput', 'numbered', 'audit', 'receipt'], async (s) => {
      await expectConsistent(s, ID);
      expect(Object.values(s.outcomes).every((o) => o.value === 'accepted')).toBe(true);
      expect(s.w.mailer.sent).toHaveLength(1);
      expect(s.w.mailer.sent[0]?.text).toBe('第 1 版');
    });
    // The port itself is called by each run that gets to the end: once or twice, always with the same receipt.
    const calls = new Set(seen.map((s) => s.w.receipts.length));
    expect([...calls].every((n) => n === 1 || n === 2)).toBe(true);
    expect(seen.length).toBeGreaterThan(50);
  }, 120_000);
});

describe('crash and retry: a run dies after the claim, the same event is delivered again', () => {
  const ID = uploadId(3);
  async function crashAt(op: string, bytes = minimalPdf('crash')) {
    const w = world();
    await createUpload(w, session(), { document: 'service-plan', fileName: '方案.pdf', size: 1000 }, ID);
    const v = w.objects.put(keyOf(ID), bytes);
    await expect(validateUpload(portsOf(w, { crash: new Map([[op, 1]]) }), refOf(ID, v))).rejects.toThrow(`injected crash at ${op}`);
    const receiptsAfterCrash = w.receipts.length;
    const retry = await validateUpload(portsOf(w), refOf(ID, v));
    return { w, retry, receiptsAfterCrash, bytes };
  }

  it('the accepted/ write throws: the retry writes the recorded bytes, folds once, numbers the version, calls the receipt port once', async () => {
    const { w, retry, receiptsAfterCrash, bytes } = await crashAt('writeNew');
    expect(receiptsAfterCrash).toBe(0);
    expect(retry).toBe('accepted');
    expect(w.uploads.calls.finish).toBe(1); // the claim was made once, by the first run
    expect(w.objects.written.map((x) => x.bytes)).toEqual([bytes]);
    expect(await attempt(w, ID)).toMatchObject({ state: 'accepted', sha256: sha256(bytes), version: 1 });
    expect((await w.summaries.get(campaign.id, 'dh-school-1'))?.docs['service-plan']?.ids).toEqual([ID]);
    expect(w.summaries.calls.put).toBe(1);
    expect(w.receipts).toHaveLength(1);
    expect(w.mailer.sent).toHaveLength(1);
  });

  it.each([
    ['the status fold (put)', 'sput', 1],
    ['the status read', 'sget', 1],
    ['numbering', 'numbered', 1],
    ['the audit trail', 'audit', 1],
    ['the receipt port', 'receipt', 2],
  ])('%s throws: the retry completes what is owed, folds once; the receipt port is called again only if the first run reached it', async (_n, op, calls) => {
    const { w, retry, receiptsAfterCrash } = await crashAt(op);
    expect(receiptsAfterCrash).toBe(op === 'receipt' ? 1 : 0);
    expect(retry).toBe('accepted');
    expect(w.objects.written).toHaveLength(1);
    expect(await attempt(w, ID)).toMatchObject({ state: 'accepted', version: 1 });
    const s = await w.summaries.get(campaign.id, 'dh-school-1');
    expect(s?.docs['service-plan']?.ids).toEqual([ID]);
    expect(s?.rev).toBe(1);
    expect(w.receipts).toHaveLength(calls);
    expect(w.mailer.sent).toHaveLength(1);
  });

  it.each(['sput', 'audit'])('a rejection whose %s crashed is folded and recorded by the retry, once, with nothing under accepted/', async (op) => {
    const { w, retry } = await crashAt(op, elfExecutable());
    expect(w.audit.events).toEqual([expect.objectContaining({ id: `upload#${ID}`, action: 'upload.rejected', after: expect.objectContaining({ reason: 'TYPE_MISMATCH' }) })]);
    expect(retry).toBe('rejected');
    expect(await attempt(w, ID)).toMatchObject({ state: 'rejected', reason: 'TYPE_MISMATCH' });
    expect((await w.summaries.get(campaign.id, 'dh-school-1'))?.docs['service-plan']).toMatchObject({ ids: [], rejected: { uploadId: ID } });
    expect(acceptedObjects(w)).toEqual([]);
    expect(w.receipts).toEqual([]);
  });
});

describe('fold concurrency: different attempts of one org validated at once', () => {
  const FOLD_OPS = ['finish', 'sget', 'sput'];
  /** S3 received v1 at 23:59 and v2 at 00:00 (Beijing), both checked a few minutes later. */
  const AT = { 1: '2019-06-30T15:59:00.000Z', 2: '2019-06-30T16:00:00.000Z' } as Record<number, string>;
  const setup = (documents: [string, string]) => async () => {
    const w = world();
    w.clock.set('2019-06-30T16:05:00.000Z');
    const runs: Run[] = [];
    for (const n of [1, 2]) {
      const document = documents[n - 1] as string;
      await createUpload(w, session(), { document, fileName: `v${n}.pdf`, size: 1000 }, uploadId(10 + n));
      const v = w.objects.put(keyOf(uploadId(10 + n), document), minimalPdf(`v${n}`));
      // the real instant that is AT[n] on the domain clock
      runs.push({ id: `v${n}`, ref: refOf(uploadId(10 + n), v, document), real: new Date(Date.now() - (w.clock.now().getTime() - Date.parse(AT[n] as string))) });
    }
    return { w, runs };
  };

  it('two versions of one document: versions 1 and 2, no gap, no duplicate, both folded; first is the 23:59 one in every interleaving', async () => {
    const seen = await everySchedule(setup(['service-plan', 'service-plan']), FOLD_OPS, async ({ w, outcomes }) => {
      expect(Object.values(outcomes).map((o) => o.value)).toEqual(['accepted', 'accepted']);
      const s = await w.summaries.get(campaign.id, 'dh-school-1');
      const d = s?.docs['service-plan'];
      expect([...(d?.ids ?? [])].sort()).toEqual([uploadId(11), uploadId(12)]);
      expect(s?.rev).toBe(2);
      const versions = await Promise.all([11, 12].map(async (n) => (await attempt(w, uploadId(n)))?.version));
      expect([...versions].sort()).toEqual([1, 2]);
      for (const n of [11, 12]) expect(d?.ids.indexOf(uploadId(n))).toBe(((await attempt(w, uploadId(n)))?.version as number) - 1);
      expect(d?.first).toEqual({ uploadId: uploadId(11), at: AT[1], late: false });
      expect(d?.last).toMatchObject({ uploadId: uploadId(12), at: AT[2], late: true });
      expect(d?.lateVersions).toBe(1);
      expect(timelinessText(d as NonNullable<typeof d>)).toBe('按时提交（6月30日 23:59），7月1日 00:00 修改');
      expect(acceptedObjects(w)).toHaveLength(2);
    });
    // Lost races happened and were retried; both fold orders (the later upload folded first, too) were forced.
    expect(seen.some((s) => s.w.summaries.calls.lostRaces > 0)).toBe(true);
    const firstFolded = new Set(await Promise.all(seen.map(async (s) => (await s.w.summaries.get(campaign.id, 'dh-school-1'))?.docs['service-plan']?.ids[0])));
    expect(firstFolded).toEqual(new Set([uploadId(11), uploadId(12)]));
  });

  it('two documents of one org: both folded into the one status item, each version 1', async () => {
    const seen = await everySchedule(setup(['service-plan', 'crisis-plan']), FOLD_OPS, async ({ w }) => {
      const s = await w.summaries.get(campaign.id, 'dh-school-1');
      expect(s?.docs['service-plan']?.ids).toEqual([uploadId(11)]);
      expect(s?.docs['crisis-plan']?.ids).toEqual([uploadId(12)]);
      expect(s?.rev).toBe(2);
      expect((await attempt(w, uploadId(11), 'service-plan'))?.version).toBe(1);
      expect((await attempt(w, uploadId(12), 'crisis-plan'))?.version).toBe(1);
    });
    expect(seen.some((s) => s.w.summaries.calls.lostRaces > 0)).toBe(true);
  });

  it('a forced lost race (both read the absent item, then both write): the loser re-reads and appends', async () => {
    vi.useRealTimers();
    const { w, runs } = await setup(['service-plan', 'service-plan'])();
    let arrived = 0;
    let release!: () => void;
    const bothThere = new Promise<void>((ok) => (release = ok));
    w.summaries.beforePut = async () => {
      if (++arrived === 2) release();
      if (arrived <= 2) await bothThere;
    };
    const deps = portsOf(w);
    expect(await Promise.all(runs.map((r) => validateUpload(deps, r.ref, r.real)))).toEqual(['accepted', 'accepted']);
    expect(w.summaries.calls.lostRaces).toBe(1);
    expect(w.summaries.calls.put).toBe(3);
    const s = await w.summaries.get(campaign.id, 'dh-school-1');
    expect(s?.docs['service-plan']?.ids).toHaveLength(2);
    expect(s?.rev).toBe(2);
  });
});
