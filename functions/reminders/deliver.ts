import type { Org } from '../../schemas/orgs.js';
import type { ReminderEntry } from '../../schemas/plans.js';
import type { ReminderJob } from './jobs.js';
import { openWebhook, postRobot, robotMessage } from './robots.js';
import type { SummaryStore } from '../plans/store.js';
import type { Mailer } from '../shared/mail.js';
import type { OutboxEntry, OutboxLedger } from './outbox.js';
import type { SuppressionReader } from './suppressions.js';

/**
 * The mailer's domain: sends one outbox entry at most once (functions/reminders/outbox.ts has the states).
 * Pure of AWS: the SES mailer, the robot sender, the ledger and the clock are ports.
 */

/** Posts a platform message to an org's registered group robot; returns the platform's answer. */
export interface RobotSender {
  /** Renders the job's message for the platform and posts it. */
  send(orgId: string, kind: 'wecom' | 'dingtalk', job: unknown): Promise<string>;
}

export interface DeliverDeps {
  ledger: OutboxLedger;
  mailer: Mailer;
  suppressions: SuppressionReader;
  /** The org's reminder ledger (shown on the Bureau's and the District's pages). */
  summaries: Pick<SummaryStore, 'remind'>;
  robots?: RobotSender;
  now: () => Date;
  /** Waits between two sends (keeps the mailer under its share of the SES rate); tests pass a no-op. */
  pace: () => Promise<void>;
  /** Waits before a retry after throttling (1 s, 2 s …); tests pass a no-op. */
  sleep: (ms: number) => Promise<void>;
}

/** A send that failed and should be tried again later (the message stays on the queue). */
export class RetryLater extends Error {
  constructor(
    message: string,
    /** The provider is throttling us: stop this batch, the rest would fail the same way. */
    readonly throttled = false,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export type Delivered = 'sent' | 'already' | 'in-flight' | 'suppressed' | 'failed' | 'missing';

/** SES v2 throttling and transient errors (retried in place, then on the queue). */
const THROTTLED = new Set(['TooManyRequestsException', 'ThrottlingException', 'LimitExceededException', 'Throttling']);
const PERMANENT = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException', 'NotFoundException', 'BadRequestException', 'AccountSuspendedException', 'SendingPausedException']);
const IN_PLACE_RETRIES = 2;

/**
 * Sends the entry under `key` once:
 * 1. reads it (consistent); sent, suppressed or failed: nothing to do (a repeated message), but an org
 *    reminder's ledger line is written again (idempotent) in case a crash came between;
 * 2. moves it to `sending` with a condition (one winner among duplicate messages); an entry already
 *    `sending` is another mailer's or a crashed one's — it is never sent twice;
 * 3. sends (mail: to the addresses not suppressed; robot: through the org's registered webhook), retrying
 *    throttling in place with backoff; a retryable failure puts it back to `queued` and throws RetryLater;
 * 4. records the provider's message id, then the org's reminder ledger line.
 * A permanent refusal (no address left, a dead robot key, SES MessageRejected) records `failed` or
 * `suppressed` with the reason and is not retried.
 */
export async function deliver(deps: DeliverDeps, key: string): Promise<Delivered> {
  const entry = await deps.ledger.get(key);
  if (!entry?.payload) {
    console.warn(JSON.stringify({ level: 'WARN', msg: 'outbox: no ledger entry with a message for this key', key }));
    return 'missing';
  }
  if (entry.state === 'sent') {
    await recordReminder(deps, entry, entry.sentAt ?? deps.now().toISOString());
    return 'already';
  }
  if (entry.state === 'suppressed' || entry.state === 'failed') return 'already';
  if (entry.state === 'sending') {
    // Another mailer is sending it now — or one stopped between sending and recording. The second is not
    // sent again (a mail twice is worse than a mail unconfirmed): after a while it is failed, so that it
    // lands in the dead-letter queue, where `npm run cli -- outbox` shows it for a person to decide.
    if (entry.sendingAt && deps.now().getTime() - Date.parse(entry.sendingAt) > UNCONFIRMED_AFTER_MS) throw new Unconfirmed(key, entry.sendingAt);
    console.warn(JSON.stringify({ level: 'WARN', msg: 'outbox: entry is being sent by another mailer; not sent again', key }));
    return 'in-flight';
  }
  if (!(await deps.ledger.startSending(key, deps.now().toISOString()))) return 'in-flight';

  const payload = entry.payload;
  let to: string[] = [];
  let send: () => Promise<string>;
  if (payload.channel === 'mail') {
    const suppressed = await deps.suppressions.suppressed(payload.mail.to);
    to = payload.mail.to.filter((a) => !suppressed.has(a.toLowerCase()));
    if (!to.length) {
      await deps.ledger.finish(key, 'suppressed', deps.now().toISOString(), { error: '收件地址均已退信或投诉，未发送' });
      return 'suppressed';
    }
    send = () => deps.mailer.send({ ...payload.mail, to, tags: tagsOf(entry) });
  } else {
    const robots = deps.robots;
    to = [payload.channel];
    send = robots ? () => robots.send(payload.orgId, payload.channel, payload.job) : () => Promise.reject(new PermanentFailure('本部署未启用群机器人'));
  }

  let messageId: string;
  try {
    messageId = await withBackoff(deps, send);
  } catch (e) {
    const why = reasonOf(e);
    if (e instanceof PermanentFailure || PERMANENT.has((e as Error).name) || (e as { retryable?: boolean }).retryable === false) {
      await deps.ledger.finish(key, 'failed', deps.now().toISOString(), { error: why });
      console.error(JSON.stringify({ level: 'ERROR', msg: 'outbox: refused for good, not retried', key, error: why }));
      return 'failed';
    }
    await deps.ledger.retry(key, why);
    throw new RetryLater(why, THROTTLED.has((e as Error).name) || (e as { throttled?: boolean }).throttled === true);
  }
  const at = deps.now().toISOString();
  await deps.ledger.finish(key, 'sent', at, { messageId });
  await recordReminder(deps, { ...entry, state: 'sent' }, at, to);
  return 'sent';
}

/**
 * The robot sender: the org's registered webhook of that kind is read from the registry and opened with
 * the signing key only now (never carried on the queue or in the ledger), then posted to.
 */
export function robotSender(deps: { orgs: { get(id: string): Promise<Org | undefined> }; signingKey: () => Promise<Uint8Array>; post?: typeof postRobot }): RobotSender {
  return {
    async send(orgId, kind, job) {
      const entry = (await deps.orgs.get(orgId))?.robots?.find((r) => r.kind === kind);
      if (!entry) throw new PermanentFailure(`${orgId} 未登记${kind === 'wecom' ? '企业微信' : '钉钉'}群机器人`);
      await (deps.post ?? postRobot)(openWebhook(entry.sealed, await deps.signingKey()), robotMessage(job as ReminderJob, kind));
      return `${kind}:ok`;
    },
  };
}

/** How long an entry may stay `sending` before it counts as unconfirmed (a mailer's timeout is 60 s). */
export const UNCONFIRMED_AFTER_MS = 5 * 60_000;

/** An entry whose sender stopped after sending and before recording: maybe sent, maybe not. */
export class Unconfirmed extends Error {
  constructor(key: string, since: string) {
    super(`outbox: ${key} has been "sending" since ${since}: it may or may not have left; not sent again (npm run cli -- outbox --resend ${key} after checking)`);
    this.name = 'Unconfirmed';
  }
}

/** A refusal that no retry can change. */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

/** Retries throttling in place (1 s, then 2 s), then gives up to the queue. */
async function withBackoff(deps: Pick<DeliverDeps, 'sleep' | 'pace'>, send: () => Promise<string>): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    await deps.pace();
    try {
      return await send();
    } catch (e) {
      const throttled = THROTTLED.has((e as Error).name) || (e as { throttled?: boolean }).throttled === true;
      if (!throttled || attempt >= IN_PLACE_RETRIES) throw e;
      await deps.sleep(1000 * 2 ** attempt);
    }
  }
}

/** A plain reason for the ledger and the CLI: the error's name and message, never a URL. */
const reasonOf = (e: unknown) => `${(e as Error).name ?? 'Error'}: ${String((e as Error).message ?? e).replace(/https?:\/\/\S+/g, '<url>').slice(0, 300)}`;

/** SES tags: which org and campaign a mail was about, so a bounce can be traced to a contact. */
function tagsOf(entry: OutboxEntry): Record<string, string> {
  const tags: Record<string, string> = {};
  if (entry.about?.orgId) tags.org = entry.about.orgId;
  if (entry.about?.campaignId) tags.campaign = entry.about.campaignId;
  if (entry.about?.kind) tags.kind = entry.about.kind;
  return tags;
}

/** An org reminder goes into the org's own ledger: when, which rule, through what, to whom. */
async function recordReminder(deps: Pick<DeliverDeps, 'summaries'>, entry: OutboxEntry, at: string, to?: string[]) {
  const a = entry.about;
  if (a?.kind !== 'reminder' || !a.campaignId || !a.orgId || !entry.payload) return;
  const p = entry.payload;
  const line: ReminderEntry = {
    at,
    ...(a.day ? { day: a.day } : {}),
    rule: a.rule ?? '',
    channel: p.channel,
    to: to ?? (p.channel === 'mail' ? p.mail.to : [p.channel]),
  };
  await deps.summaries.remind(a.campaignId, a.orgId, entry.key, line);
}

/** Spaces sends at least 1/rate seconds apart (this mailer's share of the SES sending rate). */
export function pacer(ratePerSecond: number, sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms))): () => Promise<void> {
  const gap = 1000 / ratePerSecond;
  let last = -Infinity;
  return async () => {
    const wait = last + gap - Date.now();
    if (wait > 0) await sleep(wait);
    last = Date.now();
  };
}
