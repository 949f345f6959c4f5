/**
 * The receipt sender (functions/plans/receipts.ts): one mail per accepted version through the send
 * ledger, whatever retries follow; a failed send gives the claim back and throws (the event is retried).
 */
import { describe, expect, it } from 'vitest';
import { receiptKey, receiptSender } from '../../functions/plans/receipts.js';
import type { AcceptedVersion } from '../../functions/plans/service.js';
import { tokenSigner } from '../../functions/shared/tokens.js';
import { FakeLedger, FakeMailer, FakeOrgStore, FixedClock } from './fakes.js';
import { allOrgs, campaign, keyBytes, orgs, upload } from './samples.js';

function world() {
  const deps = {
    orgs: new FakeOrgStore(allOrgs),
    tokens: tokenSigner(async () => keyBytes()),
    mailer: new FakeMailer(),
    ledger: new FakeLedger(),
    clock: new FixedClock('2019-06-30T15:59:00.000Z'),
    siteOrigin: 'https://psy.example.cn',
    linkTtlDays: 60,
  };
  return { deps, send: receiptSender(deps) };
}

const version = (over: Partial<AcceptedVersion> = {}): AcceptedVersion => ({
  org: orgs.dhSchool1,
  campaign,
  upload: {
    ...upload({ state: 'accepted', receivedAt: '2019-06-30T15:59:00.000Z', size: 2048, sha256: 'ab'.repeat(32), late: false }),
    state: 'accepted',
    version: 1,
    receiptNo: 'HJ20190630-0123456789',
  },
  ...over,
});

describe('receiptSender', () => {
  it('sends one receipt to the org’s contacts, with its receipt number and a link of its own', async () => {
    const { deps, send } = world();
    expect(await send(version())).toBe('sent');
    expect(deps.mailer.sent).toHaveLength(1);
    const m = deps.mailer.sent[0]!;
    expect(m.to).toEqual(['zhang@dh1.example.cn']);
    expect(m.subject).toContain('回执');
    expect(m.text).toContain('HJ20190630-0123456789');
    expect(m.text).toContain('abababababab');
    expect(m.text).toMatch(/https:\/\/psy\.example\.cn\/l\/[\w-]+\.[\w-]+\.[\w-]+/);
    expect(m.text).toContain('东湖区教科体局'); // routed through its District office
    expect(deps.ledger.entries.get(receiptKey(version().upload))).toMatchObject({ state: 'sent', messageId: 'msg-1' });
  });

  it('a retry, a re-delivery or a second validator sends nothing more', async () => {
    const { deps, send } = world();
    await send(version());
    expect(await Promise.all([send(version()), send(version())])).toEqual(['already', 'already']);
    expect(deps.mailer.sent).toHaveLength(1);
  });

  it('each version has its own receipt', async () => {
    const { deps, send } = world();
    await send(version());
    const v2 = version();
    v2.upload = { ...v2.upload, uploadId: 'f'.repeat(32), version: 2, receiptNo: 'HJ20190701-FFFFFFFFFF' };
    expect(await send(v2)).toBe('sent');
    expect(deps.mailer.sent.map((m) => m.subject)).toHaveLength(2);
  });

  it('a failed send gives the claim back and throws, so the retried event sends it', async () => {
    const { deps, send } = world();
    deps.mailer.failFor = () => true;
    await expect(send(version())).rejects.toThrow(/Throttling/);
    expect(deps.ledger.released).toEqual([receiptKey(version().upload)]);
    deps.mailer.failFor = undefined;
    expect(await send(version())).toBe('sent');
    expect(deps.mailer.sent).toHaveLength(1);
  });

  it('a sent mail whose ledger update fails is not sent again', async () => {
    const { deps, send } = world();
    deps.ledger.failSentFor = () => true;
    expect(await send(version())).toBe('sent');
    expect(await send(version())).toBe('already');
    expect(deps.mailer.sent).toHaveLength(1);
  });

  it('an org with no contact e-mail gets nothing, and nothing is claimed', async () => {
    const { deps, send } = world();
    expect(await send(version({ org: orgs.xh }))).toBe('no-contact');
    expect(deps.ledger.entries.size).toBe(0);
  });
});
