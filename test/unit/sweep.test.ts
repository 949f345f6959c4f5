/**
 * The sweep's domain (functions/reminders/service.ts) on fakes with the adapters' rules: it plans from the
 * owing index only in its policy's hour and on a day something is due; a finished day is marked, so a
 * repeated delivery reads one mark and claims nothing; a sweep that crashed before the mark is repeated
 * in full and repairs what it left (a claim never queued).
 */
import { describe, expect, it } from 'vitest';
import { syncStatus } from '../../functions/plans/service.js';
import type { SweepMarks } from '../../functions/reminders/marks.js';
import { type SweepDeps, sweepReminders } from '../../functions/reminders/service.js';
import { tokenSigner } from '../../functions/shared/tokens.js';
import { FakeCampaignStore, FakeOrgStore, FakeOutboxLedger, FakeOutboxQueue, FakeSummaryStore } from './fakes.js';
import { allOrgs, campaign, keyBytes } from './samples.js';

class FakeMarks implements SweepMarks {
  readonly items = new Map<string, unknown>();
  reads = 0;
  async done(c: string, day: string) {
    this.reads++;
    return this.items.has(`${c}|${day}`);
  }
  async mark(c: string, day: string, summary: unknown) {
    this.items.set(`${c}|${day}`, summary);
  }
}

async function world() {
  const orgs = new FakeOrgStore(allOrgs);
  const campaigns = new FakeCampaignStore([campaign]);
  const summaries = new FakeSummaryStore();
  await syncStatus({ orgs, campaigns, summaries }); // as create-campaign does: every org of the audience owes both plans
  let owingReads = 0;
  const deps: SweepDeps = {
    campaigns,
    orgs,
    summaries: {
      listOwing: async (c) => (owingReads++, summaries.listOwing(c)),
      audience: (c) => summaries.audience(c),
      get: (c, o) => summaries.get(c, o),
    },
    ledger: new FakeOutboxLedger(),
    queue: new FakeOutboxQueue(),
    marks: new FakeMarks(),
    tokens: tokenSigner(async () => keyBytes()),
    siteOrigin: 'https://psy.example.cn',
    linkTtlDays: 60,
    now: () => new Date('2019-06-23T01:00:00.000Z'),
  };
  return { deps, queue: deps.queue as FakeOutboxQueue, ledger: deps.ledger as FakeOutboxLedger, marks: deps.marks as FakeMarks, owingReads: () => owingReads };
}

/** 09:00 Beijing, 7 days before the sample campaign's deadline (30 June): reminders and digests are due. */
const DUE = new Date(Date.parse(campaign.deadline) - 1 - 7 * 86_400_000);
const at = (hhmm: string) => new Date(`${new Date(DUE.getTime() + 8 * 3600_000).toISOString().slice(0, 10)}T${hhmm}:00+08:00`);

describe('sweepReminders', () => {
  it('in its hour: plans from the owing index, claims and queues every job, marks the day; a repeat reads the mark and claims nothing', async () => {
    const w = await world();
    const first = await sweepReminders(w.deps, at('09:00'));
    const c = first.campaigns[0];
    expect(c?.queued).toBeGreaterThan(0);
    expect(c?.queued).toBe(w.queue.sent.length);
    expect(new Set(w.queue.sent).size).toBe(w.queue.sent.length);
    expect(w.marks.items.size).toBe(1);
    const claims = w.ledger.items.size;
    const again = await sweepReminders(w.deps, at('09:00'));
    expect(again.campaigns).toEqual([{ id: campaign.id, skipped: 'swept already' }]);
    expect(w.owingReads()).toBe(1);
    expect(w.ledger.items.size).toBe(claims);
  });

  it('outside its hour or on a day nothing is due it reads nothing', async () => {
    const w = await world();
    expect((await sweepReminders(w.deps, at('10:00'))).campaigns).toEqual([{ id: campaign.id, skipped: 'not its hour' }]);
    const quiet = new Date(at('09:00').getTime() - 86_400_000); // 8 days before: no rule, no digest
    expect((await sweepReminders(w.deps, quiet)).campaigns).toEqual([{ id: campaign.id, skipped: 'nothing due today' }]);
    expect(w.owingReads()).toBe(0);
    expect(w.marks.reads).toBe(0);
  });

  it('a crash between the claims and the queue: no mark, and the repeated delivery queues exactly the jobs left claimed', async () => {
    const w = await world();
    w.queue.failNext = 1;
    await expect(sweepReminders(w.deps, at('09:00'))).rejects.toThrow('SQS unavailable');
    expect(w.marks.items.size).toBe(0);
    expect([...w.ledger.items.values()].every((e) => e.state === 'claimed')).toBe(true);
    const r = await sweepReminders(w.deps, at('09:00'));
    expect(r.campaigns[0]?.queued).toBe(w.ledger.items.size);
    expect([...w.ledger.items.values()].every((e) => e.state === 'queued')).toBe(true);
    expect(w.marks.items.size).toBe(1);
  });

  it('a closed campaign reminds nobody', async () => {
    const w = await world();
    await (w.deps.campaigns as FakeCampaignStore).put({ ...campaign, closedAt: '2019-06-20T00:00:00.000Z' });
    expect((await sweepReminders(w.deps, at('09:00'))).campaigns).toEqual([{ id: campaign.id, skipped: 'closed' }]);
    expect(w.queue.sent).toEqual([]);
  });
});
