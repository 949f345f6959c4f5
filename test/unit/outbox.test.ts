/**
 * The outbox's exactly-once rules under fault injection, on an in-memory ledger with the adapter's
 * conditions: a crash between claim and enqueue, duplicate messages, two mailers at once, a crash between
 * send and record, SES throttling mid-batch, suppressed addresses, a robot refused for good.
 */
import { describe, expect, it } from 'vitest';
import { deliver, type DeliverDeps, RetryLater } from '../../functions/reminders/deliver.js';
import { type About, enqueue, type OutboxPayload } from '../../functions/reminders/outbox.js';
import type { Mail } from '../../functions/shared/mail.js';
import { FakeOutboxLedger as FakeLedger, FakeOutboxQueue as FakeQueue, FakeSummaryStore } from './fakes.js';

const mail = (to: string[]): Mail => ({ to, subject: '提醒', text: 't', html: '<p>t</p>' });
const NOW = new Date('2019-06-23T01:00:00.000Z');
const msg = (key: string, to = ['a@x.cn']) => ({
  key,
  about: { kind: 'reminder', campaignId: 'c1', orgId: 'dh-school-1', rule: 'before-7', day: '20190623' } as About,
  payload: { channel: 'mail', mail: mail(to) } as OutboxPayload,
});

function world() {
  const ledger = new FakeLedger();
  const queue = new FakeQueue();
  const summaries = new FakeSummaryStore();
  const sent: Mail[] = [];
  let fail: ((m: Mail) => Error | undefined) | undefined;
  const deps: DeliverDeps = {
    ledger,
    mailer: {
      async send(m) {
        const e = fail?.(m);
        if (e) throw e;
        sent.push(m);
        return `ses-${sent.length}`;
      },
    },
    suppressions: { suppressed: async (a) => new Set(a.filter((x) => x.startsWith('bounced')).map((x) => x.toLowerCase())) },
    summaries,
    now: () => NOW,
    pace: async () => undefined,
    sleep: async () => undefined,
  };
  return { ledger, queue, summaries, sent, deps, failWith: (f: typeof fail) => (fail = f) };
}

const throttle = () => Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'TooManyRequestsException' });

describe('enqueue: claim before the queue', () => {
  it('claims and queues each key once; a second sweep queues nothing', async () => {
    const w = world();
    const r1 = await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1'), msg('k2')]);
    expect(r1).toEqual({ queued: expect.arrayContaining(['k1', 'k2']), already: [] });
    const r2 = await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1'), msg('k2')]);
    expect(r2.queued).toEqual([]);
    expect(w.queue.sent.sort()).toEqual(['k1', 'k2']);
    expect(w.ledger.items.get('k1')?.state).toBe('queued');
  });

  it('a crash between claim and enqueue: the repeated schedule finds the claim and queues the key; it is sent once', async () => {
    const w = world();
    w.queue.failNext = 1;
    await expect(enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')])).rejects.toThrow('SQS unavailable');
    expect(w.ledger.items.get('k1')?.state).toBe('claimed');
    expect(w.queue.sent).toEqual([]);
    // The schedule's retry plans the same key.
    const r = await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    expect(r.queued).toEqual(['k1']);
    expect(await deliver(w.deps, 'k1')).toBe('sent');
    expect(await deliver(w.deps, 'k1')).toBe('already');
    expect(w.sent).toHaveLength(1);
  });

  it('two sweeps at once: each key is on the queue at most twice and sent once', async () => {
    const w = world();
    const d = { ledger: w.ledger, queue: w.queue, now: () => NOW };
    await Promise.all([enqueue(d, [msg('k1'), msg('k2')]), enqueue(d, [msg('k1'), msg('k2')])]);
    for (const key of w.queue.sent) await deliver(w.deps, key);
    expect(w.sent.map((m) => m.to)).toHaveLength(2);
  });
});

describe('deliver: at most once, with the message id recorded', () => {
  it('sends, records the SES id and the org’s reminder ledger line', async () => {
    const w = world();
    await w.summaries.put({ campaignId: 'c1', orgId: 'dh-school-1', rev: 1, docs: {}, reminded: {} }, undefined);
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    expect(await deliver(w.deps, 'k1')).toBe('sent');
    expect(w.ledger.items.get('k1')).toMatchObject({ state: 'sent', messageId: 'ses-1', attempts: 1 });
    expect((await w.summaries.get('c1', 'dh-school-1'))?.reminded).toEqual({ k1: { at: NOW.toISOString(), day: '20190623', rule: 'before-7', channel: 'mail', to: ['a@x.cn'] } });
    expect(w.sent[0]?.tags).toEqual({ org: 'dh-school-1', campaign: 'c1', kind: 'reminder' });
  });

  it('two mailers with the same key at once: one sends, the other finds it in flight', async () => {
    const w = world();
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    const outcomes = await Promise.all([deliver(w.deps, 'k1'), deliver(w.deps, 'k1')]);
    expect(outcomes.sort()).toEqual(['in-flight', 'sent']);
    expect(w.sent).toHaveLength(1);
  });

  it('a crash between send and record leaves "sending": the retried message sends nothing', async () => {
    const w = world();
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    const finish = w.ledger.finish.bind(w.ledger);
    w.ledger.finish = async () => {
      throw new Error('crash after the send');
    };
    await expect(deliver(w.deps, 'k1')).rejects.toThrow('crash after the send');
    w.ledger.finish = finish;
    expect(await deliver(w.deps, 'k1')).toBe('in-flight');
    expect(w.sent).toHaveLength(1);
    expect(w.ledger.items.get('k1')?.state).toBe('sending');
  });

  it('SES throttling: retried in place with backoff; still throttled → back to queued, RetryLater(throttled); the retry sends it once', async () => {
    const w = world();
    const sleeps: number[] = [];
    w.deps.sleep = async (ms) => void sleeps.push(ms);
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    w.failWith(() => throttle());
    const e = await deliver(w.deps, 'k1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RetryLater);
    expect((e as RetryLater).throttled).toBe(true);
    expect(sleeps).toEqual([1000, 2000]);
    expect(w.ledger.items.get('k1')).toMatchObject({ state: 'queued', attempts: 1 });
    expect(w.sent).toHaveLength(0);
    w.failWith(undefined);
    expect(await deliver(w.deps, 'k1')).toBe('sent');
    expect(w.sent).toHaveLength(1);
  });

  it('a throttled first try that then goes through is sent once', async () => {
    const w = world();
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    let n = 0;
    w.failWith(() => (n++ === 0 ? throttle() : undefined));
    expect(await deliver(w.deps, 'k1')).toBe('sent');
    expect(w.sent).toHaveLength(1);
  });

  it('suppressed addresses are dropped; with none left nothing is sent and the entry says why', async () => {
    const w = world();
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1', ['bounced@x.cn', 'ok@x.cn']), msg('k2', ['bounced@x.cn'])]);
    expect(await deliver(w.deps, 'k1')).toBe('sent');
    expect(w.sent[0]?.to).toEqual(['ok@x.cn']);
    expect(await deliver(w.deps, 'k2')).toBe('suppressed');
    expect(w.ledger.items.get('k2')).toMatchObject({ state: 'suppressed' });
    expect(w.sent).toHaveLength(1);
  });

  it('SES refuses for good (MessageRejected): failed with the reason, not retried', async () => {
    const w = world();
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    w.failWith(() => Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }));
    expect(await deliver(w.deps, 'k1')).toBe('failed');
    expect(w.ledger.items.get('k1')?.error).toContain('MessageRejected');
    expect(await deliver(w.deps, 'k1')).toBe('already');
  });

  it('a robot message without a robot sender fails for good; a key without an entry is "missing"', async () => {
    const w = world();
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [{ ...msg('r1'), payload: { channel: 'wecom', orgId: 'dh-school-1', job: {} } }]);
    expect(await deliver(w.deps, 'r1')).toBe('failed');
    expect(await deliver(w.deps, 'nope')).toBe('missing');
  });
});

describe('an entry left "sending"', () => {
  it('is never sent again; after 5 minutes its message fails (to the dead-letter queue) instead of being dropped', async () => {
    const w = world();
    await enqueue({ ledger: w.ledger, queue: w.queue, now: () => NOW }, [msg('k1')]);
    await w.ledger.startSending('k1', NOW.toISOString()); // a mailer that stopped after this
    expect(await deliver(w.deps, 'k1')).toBe('in-flight');
    w.deps.now = () => new Date(NOW.getTime() + 6 * 60_000);
    await expect(deliver(w.deps, 'k1')).rejects.toThrow('may or may not have left');
    expect(w.sent).toHaveLength(0);
  });
});
