/** The sweep bench's pure helpers (bench/sweep-scale.ts): the seeded state on 23 June, and where a sweep's time goes. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Campaign } from '../../schemas/campaigns.js';
import type { OrgSummary } from '../../schemas/plans.js';
import { foldAccepted, restated } from '../../functions/plans/rules.js';
import { cityWithContacts, DUE_AT, SHARE_COMPLETE, SHARE_ONE_MISSING, sweepPhases, uploadsBy23June } from '../../bench/sweep-scale.js';
import type { DdbCall } from '../../bench/status-scale.js';

const campaign = Campaign.parse(JSON.parse(readFileSync(new URL('../../local/seed/campaign-2019.json', import.meta.url), 'utf8')));

describe('the sweep bench: the state on 23 June', () => {
  const city = cityWithContacts();
  const state = uploadsBy23June(campaign, city);

  it('gives every org a contact e-mail (everyone who owes is mailed)', () => {
    expect(city.every((o) => o.contacts.some((c) => c.email))).toBe(true);
  });

  it('has the shares asked for, every upload before the sweep', () => {
    const n = state.length;
    const complete = state.filter((x) => !x.owes).length / n;
    const one = state.filter((x) => x.owes && x.uploads.length).length / n;
    expect(complete).toBeCloseTo(SHARE_COMPLETE, 1);
    expect(one).toBeCloseTo(SHARE_ONE_MISSING, 1);
    expect(state.flatMap((x) => x.uploads).every((u) => Date.parse(u.receivedAt!) < Date.parse(DUE_AT))).toBe(true);
  });

  it('folded and restated as the bench writes them, an org is in the owing index exactly when it owes', () => {
    for (const { org, uploads, owes } of state) {
      const created = restated(campaign, org, undefined)!; // what createCampaign's syncStatus writes
      const folded = uploads.reduce<OrgSummary>((s, u) => foldAccepted(s, u).next ?? s, created);
      const next = uploads.length ? restated(campaign, org, folded)! : created;
      expect((next.missing ?? []).length > 0).toBe(owes);
    }
  });
});

describe('sweepPhases', () => {
  const call = (op: string, t0: number, ms: number, extra: Partial<DdbCall> = {}): DdbCall => ({
    op,
    consistent: false,
    rcu: 0,
    items: [],
    missing: 0,
    ms,
    t0,
    ...(op === 'PutItem' || op === 'UpdateItem' ? { write: { wcu: 1 }, key: { pk: { S: 'MAIL#k' }, sk: { S: 'MAIL' } } } : {}),
    ...extra,
  });

  it('splits a first sweep into reads, planning, claims, the queue and the marks', () => {
    const calls = [call('Query', 100, 10), call('GetItem', 105, 20), call('PutItem', 140, 5), call('PutItem', 150, 10), call('UpdateItem', 200, 5), call('UpdateItem', 210, 20)];
    const phases = sweepPhases(calls, 100, 240);
    expect(phases).toEqual([
      ['read what is due (2 reads)', 25],
      ['plan + render the mails (no I/O)', 15],
      ['claim in the ledger (PutItem ×2)', 20],
      ['put on the queue (SendMessageBatch ×1)', 40],
      ['mark queued (UpdateItem ×2)', 30],
      ['return', 10],
    ]);
    expect(phases.reduce((s, [, ms]) => s + ms, 0)).toBe(140);
  });

  it('counts refused claims and the ledger reads after them (a repeated sweep)', () => {
    const ledger = { key: { pk: { S: 'MAIL#k' }, sk: { S: 'MAIL' } }, consistent: true };
    const calls = [call('Query', 0, 10), call('PutItem', 20, 5, { error: 'ConditionalCheckFailedException' }), call('GetItem', 25, 5, ledger)];
    expect(sweepPhases(calls, 0, 31)).toEqual([
      ['read what is due (1 read)', 10],
      ['plan + render the mails (no I/O)', 10],
      ['claim in the ledger (PutItem ×1, 1 refused; GetItem ×1)', 10],
      ['return', 1],
    ]);
  });

  it('a day with nothing due: one read, then the sweep stops', () => {
    expect(sweepPhases([call('Query', 0, 2)], 0, 3)).toEqual([
      ['read what is due (1 read)', 2],
      ['decide (nothing to claim) and return', 1],
    ]);
  });
});
