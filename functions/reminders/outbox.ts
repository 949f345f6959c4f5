import * as z from 'zod/mini';
import { type Ddb, getItem, isConditionFailed, putItem, updateItem } from '../shared/clients/dynamodb.js';
import { type Mail, mailKey } from '../shared/mail.js';

/**
 * The outbox: every reminder, digest, invitation and alert is first claimed in the send ledger under a
 * deterministic key (what it is about, the rule, the day) together with the message itself, and only then
 * put on the queue; the queue's message names nothing but the key. The mailer sends what the ledger holds,
 * once:
 *
 *   claimed ──(on the queue)──► queued ──(mailer's conditional step)──► sending ──► sent
 *                                                                          │    └──► suppressed (every address bounced)
 *                                                                          │    └──► failed (refused for good: a dead robot key)
 *                                                                          └─(send failed, retryable)──► queued (retried)
 *
 * - A crash between claim and enqueue leaves `claimed`: the next run that plans the same key (a retried or
 *   repeated schedule) finds the claim and puts the key on the queue again. A key on the queue twice is
 *   harmless: only one mailer moves it from claimed/queued to sending.
 * - A crash between send and record leaves `sending`: it is never sent again (a mail twice is worse than a
 *   mail shown as unconfirmed); `npm run cli -- outbox` lists it for a person to check.
 * Item: pk MAIL#<key>, sk MAIL (the ledger the receipts use).
 */

/** What a ledger entry is about (kept for the CLI and for the org's reminder ledger). */
export const About = /* @__PURE__ */ (() => z.object({
  kind: z.enum(['reminder', 'district-digest', 'city-digest', 'invite', 'bounce-alert', 'review-return', 'bundle', 'person-link', 'concern-alert', 'contact-reminder', 'contact-escalation', 'contact-digest']),
  campaignId: z.optional(z.string()),
  /** The org the message is about (a reminder's org, a digest's recipient). */
  orgId: z.optional(z.string()),
  /** e.g. before-7, due-day, overdue-3 (reminders). */
  rule: z.optional(z.string()),
  /** Beijing day, yyyymmdd. */
  day: z.optional(z.string()),
}))();
export type About = z.infer<typeof About>;

const MailPayload = /* @__PURE__ */ (() => z.object({
  channel: z.literal('mail'),
  mail: z.object({ to: z.array(z.string()), subject: z.string(), text: z.string(), html: z.string() }),
}))();
const RobotPayload = /* @__PURE__ */ (() => z.object({
  channel: z.enum(['wecom', 'dingtalk']),
  /** The org whose registered robot gets it (its webhook is read, and opened, only when sending). */
  orgId: z.string(),
  /** The reminder job (functions/reminders/jobs.ts); the mailer renders the platform's message from it. */
  job: z.unknown(),
}))();
export const OutboxPayload = /* @__PURE__ */ (() => z.discriminatedUnion('channel', [MailPayload, RobotPayload]))();
export type OutboxPayload = z.infer<typeof OutboxPayload>;

export const OutboxState = /* @__PURE__ */ (() => z.enum(['claimed', 'queued', 'sending', 'sent', 'suppressed', 'failed']))();
export type OutboxState = z.infer<typeof OutboxState>;

export const OutboxEntry = /* @__PURE__ */ (() => z.object({
  key: z.string(),
  about: z.optional(About),
  state: OutboxState,
  /** Absent on the receipts' entries (sent directly by the validator, functions/shared/mail.ts). */
  payload: z.optional(OutboxPayload),
  claimedAt: z.string(),
  queuedAt: z.optional(z.string()),
  sendingAt: z.optional(z.string()),
  sentAt: z.optional(z.string()),
  /** SES message id, or the robot platform's answer. */
  messageId: z.optional(z.string()),
  attempts: z.optional(z.int()),
  /** Why the last attempt failed (no address, no webhook URL: plain words). */
  error: z.optional(z.string()),
}))();
export type OutboxEntry = z.infer<typeof OutboxEntry>;

/** The outbox's queue message: the ledger key only. */
export const OutboxMessage = /* @__PURE__ */ z.object({ key: /* @__PURE__ */ z.string().check(z.minLength(1), z.maxLength(1024)) });

/** Puts keys on the outbox queue (SQS in the cloud and locally). */
export interface OutboxQueue {
  send(keys: string[]): Promise<void>;
}

/** What the sweep needs of the ledger (no message parsing: the sweep's bundle stays small). */
export interface OutboxClaims {
  /** Claims the key with its message: true if this caller now owns it; false and the entry's state if it was claimed before. */
  claim(key: string, about: About, payload: OutboxPayload, at: string): Promise<{ claimed: true } | { claimed: false; state?: OutboxState }>;
  /** claimed → queued (nothing when the mailer already moved it on). */
  queued(key: string, at: string): Promise<void>;
}

export interface OutboxLedger extends OutboxClaims {
  get(key: string): Promise<OutboxEntry | undefined>;
  /** claimed|queued → sending: true for the one caller that may send. */
  startSending(key: string, at: string): Promise<boolean>;
  /** sending → sent | suppressed | failed. */
  finish(key: string, state: 'sent' | 'suppressed' | 'failed', at: string, detail: { messageId?: string; error?: string }): Promise<void>;
  /** sending → queued: the send failed and will be retried. */
  retry(key: string, error: string): Promise<void>;
}

/** A conditional state change of a ledger entry; false when it is not in one of `from`. */
function mover(ddb: Ddb, table: string) {
  return async (key: string, from: OutboxState[], set: Record<string, unknown>, countAttempt = false) => {
    const names: Record<string, string> = { '#s': 'state' };
    const values: Record<string, unknown> = {};
    from.forEach((s, i) => (values[`:f${i}`] = s));
    const sets = Object.entries(set).map(([k, v]) => {
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      return `#${k} = :${k}`;
    });
    try {
      await updateItem(ddb, {
        TableName: table,
        Key: mailKey(key),
        UpdateExpression: `SET ${sets.join(', ')}${countAttempt ? ' ADD #attempts :one' : ''}`,
        ConditionExpression: `#s IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
        ExpressionAttributeNames: countAttempt ? { ...names, '#attempts': 'attempts' } : names,
        ExpressionAttributeValues: countAttempt ? { ...values, ':one': 1 } : values,
      });
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  };
}

export function outboxClaims(ddb: Ddb, table: string): OutboxClaims {
  const move = mover(ddb, table);
  return {
    async claim(key, about, payload, at) {
      try {
        await putItem(ddb, {
          TableName: table,
          Item: { ...mailKey(key), key, about, payload, state: 'claimed', claimedAt: at, attempts: 0 },
          ConditionExpression: 'attribute_not_exists(pk)',
        });
        return { claimed: true };
      } catch (e) {
        if (!isConditionFailed(e)) throw e;
        const item = await getItem(ddb, { TableName: table, Key: mailKey(key), ConsistentRead: true, ProjectionExpression: '#s', ExpressionAttributeNames: { '#s': 'state' } });
        return { claimed: false, state: item?.state as OutboxState | undefined };
      }
    },
    async queued(key, at) {
      await move(key, ['claimed'], { state: 'queued', queuedAt: at });
    },
  };
}

export function outboxLedger(ddb: Ddb, table: string): OutboxLedger {
  const move = mover(ddb, table);
  return {
    ...outboxClaims(ddb, table),
    async get(key) {
      const item = await getItem(ddb, { TableName: table, Key: mailKey(key), ConsistentRead: true });
      return item ? OutboxEntry.parse(item) : undefined;
    },
    async startSending(key, at) {
      return move(key, ['claimed', 'queued'], { state: 'sending', sendingAt: at }, true);
    },
    async finish(key, state, at, detail) {
      await move(key, ['sending'], { state, sentAt: at, ...(detail.messageId ? { messageId: detail.messageId } : {}), ...(detail.error ? { error: detail.error } : {}) });
    },
    async retry(key, error) {
      await move(key, ['sending'], { state: 'queued', error });
    },
  };
}

/** Mail as the outbox carries it. */
export const mailPayload = (mail: Mail): OutboxPayload => ({ channel: 'mail', mail });

/**
 * Claims each message and puts its key on the queue; a key claimed earlier but never confirmed on the
 * queue (a crash between the two) is put on it again. Returns what was queued and what was there already.
 */
export async function enqueue(
  deps: { ledger: OutboxClaims; queue: OutboxQueue; now: () => Date },
  messages: { key: string; about: About; payload: OutboxPayload }[],
  concurrency = 16,
): Promise<{ queued: string[]; already: string[] }> {
  const queued: string[] = [];
  const already: string[] = [];
  const toQueue: string[] = [];
  await inParallel(messages, concurrency, async (m) => {
    const r = await deps.ledger.claim(m.key, m.about, m.payload, deps.now().toISOString());
    if (r.claimed || r.state === 'claimed') toQueue.push(m.key);
    else already.push(m.key);
  });
  if (toQueue.length) await deps.queue.send(toQueue);
  await inParallel(toQueue, concurrency, async (key) => {
    await deps.ledger.queued(key, deps.now().toISOString());
    queued.push(key);
  });
  return { queued, already };
}

/** Runs `f` over `items` with at most `n` at once. */
async function inParallel<T>(items: T[], n: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
