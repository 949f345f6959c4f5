/**
 * In-memory fakes of the ports. They keep the same conditions as the DynamoDB adapters:
 * UploadStore.create fails if the item exists, finish moves only a pending attempt, the ledger
 * claim is conditional and release deletes only a claim still "sending". Stored values are
 * cloned on the way in and out, so a caller cannot change the store by mutating what it got.
 */
import type { Campaign } from '../../schemas/campaigns.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import type { About, OutboxEntry, OutboxLedger, OutboxPayload, OutboxQueue, OutboxState } from '../../functions/reminders/outbox.js';
import { OrgSummary, type ReminderEntry, Upload } from '../../schemas/plans.js';
import type { CampaignStore } from '../../functions/campaigns/store.js';
import type { OrgStore } from '../../functions/orgs/store.js';
import type { ObjectStore, Presigner } from '../../functions/plans/service.js';
import { type Audience, type Outcome, type SummaryStore, type TermsRegister, type UploadStore, uploadKey } from '../../functions/plans/store.js';
import type { Clock } from '../../functions/shared/clock.js';
import type { Mail, Mailer, SendLedger } from '../../functions/shared/mail.js';
import { type AuditLog, auditCursor } from '../../functions/audit/store.js';
import { AuditEvent } from '../../schemas/audit.js';

const clone = <T>(v: T): T => structuredClone(v);

/** The error the DynamoDB adapters see on a failed condition. */
export function conditionFailed(): Error {
  const e = new Error('The conditional request failed');
  e.name = 'ConditionalCheckFailedException';
  return e;
}

export class FakeOrgStore implements OrgStore {
  readonly items = new Map<string, Org>();
  constructor(orgs: Org[] = []) {
    for (const o of orgs) this.items.set(o.id, clone(o));
  }
  async get(id: string) {
    const o = this.items.get(id);
    return o ? clone(o) : undefined;
  }
  /** Same order and filter as the gsi1 Query: sort key <routeKey>#<id>, optional prefix <routeKey>#. */
  async list(routeKey?: string) {
    return [...this.items.values()]
      .map((o) => ({ o, sk: `${routeKeyOf(o)}#${o.id}` }))
      .filter((x) => routeKey === undefined || x.sk.startsWith(`${routeKey}#`))
      .sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0))
      .map((x) => clone(x.o));
  }
  async upsert(org: Org) {
    const old = this.items.get(org.id);
    this.items.set(org.id, clone({ ...org, tokenVersion: old?.tokenVersion ?? org.tokenVersion }));
    return old ? ('updated' as const) : ('created' as const);
  }
  async bumpTokenVersion(id: string) {
    const o = this.items.get(id);
    if (!o) throw new Error(`机构不存在：${id}`);
    o.tokenVersion += 1;
    return o.tokenVersion;
  }
}

export class FakeCampaignStore implements CampaignStore {
  readonly items = new Map<string, Campaign>();
  constructor(campaigns: Campaign[] = []) {
    for (const c of campaigns) this.items.set(c.id, clone(c));
  }
  async get(id: string) {
    const c = this.items.get(id);
    return c ? clone(c) : undefined;
  }
  async list() {
    return [...this.items.values()].sort((a, b) => `${a.deadline}#${a.id}`.localeCompare(`${b.deadline}#${b.id}`)).map(clone);
  }
  async put(c: Campaign) {
    this.items.set(c.id, clone(c));
  }
}

type Ref = Parameters<UploadStore['get']>[0];
const skOf = (r: Ref) => {
  const k = uploadKey(r);
  return `${k.pk}|${k.sk}`;
};

export class FakeUploadStore implements UploadStore {
  /** Keyed "<pk>|<sk>" exactly as the table is. */
  readonly items = new Map<string, Upload>();
  readonly calls = { create: 0, finish: 0, finishRefused: 0 };
  async create(u: Upload) {
    this.calls.create++;
    const parsed = Upload.parse(u); // the table adapter stores what Upload.parse reads back
    const k = skOf(parsed);
    if (this.items.has(k)) throw conditionFailed();
    this.items.set(k, clone(parsed));
  }
  async get(ref: Ref) {
    const u = this.items.get(skOf(ref));
    return u ? clone(u) : undefined;
  }
  async finish(ref: Ref, outcome: Outcome) {
    this.calls.finish++;
    const u = this.items.get(skOf(ref));
    if (!u || u.state !== 'pending') {
      this.calls.finishRefused++;
      return false;
    }
    const set = Object.fromEntries(Object.entries(outcome).filter(([, v]) => v !== undefined));
    this.items.set(skOf(ref), Upload.parse({ ...u, ...set }));
    return true;
  }
  async numbered(ref: Ref, version: number, receiptNo: string) {
    const u = this.items.get(skOf(ref));
    if (!u || u.state !== 'accepted') throw conditionFailed();
    this.items.set(skOf(ref), { ...u, version, receiptNo });
  }
  /** Same prefix as the Query: UPLOAD#<orgId># within CAMPAIGN#<id>. */
  async listOrg(campaignId: string, orgId: string) {
    const prefix = `CAMPAIGN#${campaignId}|UPLOAD#${orgId}#`;
    return [...this.items.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, u]) => clone(u));
  }
  /** Test helper: puts an attempt directly (as if created and finished earlier). */
  seed(...uploads: Upload[]) {
    for (const u of uploads) this.items.set(skOf(u), Upload.parse(u));
  }
  all() {
    return [...this.items.values()].map(clone);
  }
}

/** Status items with the adapter's condition: put succeeds only if the revision read is still the stored one. */
export class FakeSummaryStore implements SummaryStore {
  readonly items = new Map<string, OrgSummary>();
  readonly calls = { put: 0, lostRaces: 0 };
  /** When set, called before each put is decided (lets a test interleave another writer). */
  beforePut?: (next: OrgSummary) => Promise<void>;
  async get(campaignId: string, orgId: string) {
    const s = this.items.get(`${campaignId}|${orgId}`);
    return s ? clone(s) : undefined;
  }
  /** Same order and filter as the gsi1 Query: items written with a route, sort key <routeKey>#<org>. */
  async listRoute(campaignId: string, routeKey: string) {
    return [...this.items.values()]
      .filter((s) => s.campaignId === campaignId && s.routeKey === routeKey)
      .sort((a, b) => (a.orgId < b.orgId ? -1 : 1))
      .map(clone);
  }
  /** The AUDIENCE items: counts (setAudience keeps the registers) and the terms registers. */
  readonly audiences = new Map<string, Audience>();
  async audience(campaignId: string) {
    const a = this.audiences.get(campaignId);
    return a ? clone(a) : undefined;
  }
  async setAudience(campaignId: string, counts: Record<string, number>) {
    this.audiences.set(campaignId, { ...this.audiences.get(campaignId), counts: { ...counts } });
  }
  async register(campaignId: string, which: TermsRegister, orgId: string, value: string | undefined) {
    const a = this.audiences.get(campaignId) ?? { counts: {} };
    const m = { ...a[which] };
    if (value === undefined) delete m[orgId];
    else m[orgId] = value;
    this.audiences.set(campaignId, { ...a, [which]: m });
  }
  /** Same order as the gsi2 Query: items that still owe, sort key <routeKey>#<org>. */
  async listOwing(campaignId: string) {
    return [...this.items.values()]
      .filter((s) => s.campaignId === campaignId && s.missing?.length)
      .sort((a, b) => (`${a.routeKey ?? ''}#${a.orgId}` < `${b.routeKey ?? ''}#${b.orgId}` ? -1 : 1))
      .map(clone);
  }
  async remind(campaignId: string, orgId: string, key: string, entry: ReminderEntry) {
    const cur = this.items.get(`${campaignId}|${orgId}`);
    if (!cur?.reminded) return false;
    this.items.set(`${campaignId}|${orgId}`, { ...cur, rev: cur.rev + 1, reminded: { [key]: entry, ...cur.reminded } });
    return true;
  }
  async list(campaignId: string) {
    return [...this.items.entries()].filter(([k]) => k.startsWith(`${campaignId}|`)).map(([, s]) => clone(s));
  }
  async put(next: OrgSummary, prevRev: number | undefined) {
    this.calls.put++;
    await this.beforePut?.(next);
    const cur = this.items.get(`${next.campaignId}|${next.orgId}`);
    if (cur?.rev !== prevRev) {
      this.calls.lostRaces++;
      return false;
    }
    this.items.set(`${next.campaignId}|${next.orgId}`, OrgSummary.parse(clone(next)));
    return true;
  }
}

/** A versioned bucket: every write adds a version; a read without a version id gets the latest. */
export class FakeObjectStore implements ObjectStore {
  readonly versions = new Map<string, { id: string; bytes: Uint8Array }[]>();
  readonly reads: string[] = [];
  /** What was written to accepted/: key, content type and the exact bytes. */
  readonly written: { to: string; contentType: string; bytes: Uint8Array }[] = [];
  private n = 0;
  /** Test helper: an object arrives (as an upload would); returns its version id. */
  put(key: string, bytes: Uint8Array) {
    const id = `v${++this.n}`;
    this.versions.set(key, [...(this.versions.get(key) ?? []), { id, bytes: new Uint8Array(bytes) }]);
    return id;
  }
  get objects() {
    return new Map([...this.versions].map(([k, v]) => [k, v.at(-1)!.bytes]));
  }
  async read(key: string, versionId?: string) {
    this.reads.push(key);
    const all = this.versions.get(key) ?? [];
    const v = versionId ? all.find((x) => x.id === versionId) : all.at(-1);
    return v ? new Uint8Array(v.bytes) : undefined;
  }
  async writeNew(to: string, bytes: Uint8Array, contentType: string) {
    if (this.versions.has(to)) return 'exists' as const;
    this.written.push({ to, contentType, bytes: new Uint8Array(bytes) });
    this.put(to, bytes);
    return 'written' as const;
  }
  async exists(key: string) {
    return this.versions.has(key);
  }
}

export class FakePresigner implements Presigner {
  readonly calls: Parameters<Presigner['presignPost']>[0][] = [];
  async presignPost(input: Parameters<Presigner['presignPost']>[0]) {
    this.calls.push({ ...input });
    return { url: 'https://bucket.example/', fields: { key: input.key, 'Content-Type': input.contentType, Policy: 'p' } };
  }
}

/** A domain clock that stays where it is put. */
export class FixedClock implements Clock {
  private t: number;
  constructor(iso: string) {
    this.t = Date.parse(iso);
  }
  now() {
    return new Date(this.t);
  }
  /** Domain time at a real instant: the fixed instant shifted by how long ago `real` was. */
  at(real: Date) {
    return new Date(this.t - (Date.now() - real.getTime()));
  }
  set(iso: string) {
    this.t = Date.parse(iso);
  }
}

export class FakeMailer implements Mailer {
  readonly sent: Mail[] = [];
  /** When set, send() throws for mails whose recipients it matches. */
  failFor?: (m: Mail) => boolean;
  private n = 0;
  async send(m: Mail) {
    if (this.failFor?.(m)) throw new Error('SES: Throttling: Maximum sending rate exceeded');
    this.sent.push(clone(m));
    return `msg-${++this.n}`;
  }
}

export interface LedgerEntry {
  key: string;
  about: Record<string, unknown>;
  state: 'sending' | 'sent';
  claimedAt: string;
  messageId?: string;
  sentAt?: string;
}

export class FakeLedger implements SendLedger {
  readonly entries = new Map<string, LedgerEntry>();
  readonly released: string[] = [];
  /** When set, sent() throws for matching keys (e.g. DynamoDB throttling after the mail left). */
  failSentFor?: (key: string) => boolean;
  async claim(key: string, about: Record<string, unknown>, at: string) {
    if (this.entries.has(key)) return false;
    this.entries.set(key, { key, about: clone(about), state: 'sending', claimedAt: at });
    return true;
  }
  async sent(key: string, messageId: string, at: string) {
    if (this.failSentFor?.(key)) throw new Error('ProvisionedThroughputExceededException');
    const e = this.entries.get(key);
    // UpdateCommand without a condition creates the item if missing; keep that behaviour.
    this.entries.set(key, { ...(e ?? { key, about: {}, claimedAt: at }), state: 'sent', messageId, sentAt: at });
  }
  async release(key: string) {
    const e = this.entries.get(key);
    if (!e || e.state !== 'sending') throw conditionFailed();
    this.entries.delete(key);
    this.released.push(key);
  }
}

/** The outbox's ledger with the adapter's conditions (functions/reminders/outbox.ts). */
export class FakeOutboxLedger implements OutboxLedger {
  readonly items = new Map<string, OutboxEntry>();
  private move(key: string, from: OutboxState[], set: Partial<OutboxEntry>, count = false) {
    const cur = this.items.get(key);
    if (!cur || !from.includes(cur.state)) return false;
    this.items.set(key, { ...cur, ...set, ...(count ? { attempts: (cur.attempts ?? 0) + 1 } : {}) });
    return true;
  }
  async claim(key: string, about: About, payload: OutboxPayload, at: string) {
    const cur = this.items.get(key);
    if (cur) return { claimed: false as const, state: cur.state };
    this.items.set(key, { key, about, payload, state: 'claimed', claimedAt: at, attempts: 0 });
    return { claimed: true as const };
  }
  async get(key: string) {
    const e = this.items.get(key);
    return e ? structuredClone(e) : undefined;
  }
  async queued(key: string, at: string) {
    this.move(key, ['claimed'], { state: 'queued', queuedAt: at });
  }
  async startSending(key: string, at: string) {
    return this.move(key, ['claimed', 'queued'], { state: 'sending', sendingAt: at }, true);
  }
  /** When set, finish() throws for matching keys (e.g. DynamoDB throttling after the mail left). */
  failFinishFor?: (key: string) => boolean;
  async finish(key: string, state: 'sent' | 'suppressed' | 'failed', at: string, d: { messageId?: string; error?: string }) {
    if (this.failFinishFor?.(key)) throw new Error('ProvisionedThroughputExceededException');
    this.move(key, ['sending'], { state, sentAt: at, ...d });
  }
  async retry(key: string, error: string) {
    this.move(key, ['sending'], { state: 'queued', error });
  }
}

/** The outbox queue: what was put on it, in order; `failNext` makes the next sends throw. */
export class FakeOutboxQueue implements OutboxQueue {
  readonly sent: string[] = [];
  failNext = 0;
  async send(keys: string[]) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('SQS unavailable');
    }
    this.sent.push(...keys);
  }
}


/**
 * The audit trail (functions/audit/store.ts) in memory, with the adapter's semantics: an event is keyed
 * by campaign, time, org and id, appending the same key again is 'exists' (nothing changes), the stored
 * event is validated as the adapter does, lists are in key (time) order and `limit` takes the latest.
 * Nothing can be updated or deleted: there is no method for it (`events` is a copy).
 */
export class FakeAuditLog implements AuditLog {
  private readonly items = new Map<string, AuditEvent>();
  /** When set, append() throws for matching events (e.g. DynamoDB unavailable). */
  failAppendFor?: (e: AuditEvent) => boolean;
  private static sk = (e: Pick<AuditEvent, 'campaignId' | 'orgId' | 'at' | 'id'>) => `${e.campaignId}\u0000${auditCursor(e)}`;
  private sorted(campaignId: string) {
    return [...this.items.entries()]
      .filter(([, e]) => e.campaignId === campaignId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, e]) => e);
  }
  get events(): AuditEvent[] {
    return [...this.items.values()].map(clone);
  }
  async append(e: AuditEvent) {
    const event = AuditEvent.parse(e);
    if (this.failAppendFor?.(event)) throw new Error('ProvisionedThroughputExceededException');
    const key = FakeAuditLog.sk(event);
    if (this.items.has(key)) return 'exists' as const;
    this.items.set(key, clone(event));
    return 'appended' as const;
  }
  async listCampaign(campaignId: string, opts: { limit?: number; before?: string } = {}) {
    if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) throw new RangeError(`limit must be a positive integer; got ${opts.limit}`);
    const all = this.sorted(campaignId).filter((e) => opts.before === undefined || auditCursor(e) < opts.before);
    return (opts.limit === undefined ? all : all.slice(-opts.limit)).map(clone);
  }
  async listOrg(campaignId: string, orgId: string) {
    // gsi1 order: <at>#<id> within the org.
    return this.sorted(campaignId)
      .filter((e) => e.orgId === orgId)
      .sort((a, b) => (`${a.at}#${a.id}` < `${b.at}#${b.id}` ? -1 : `${a.at}#${a.id}` > `${b.at}#${b.id}` ? 1 : 0))
      .map(clone);
  }
}
