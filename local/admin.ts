/**
 * Operator actions, shared by the CLI (local or against a deployment) and the local seeding:
 * import orgs, create a campaign, issue or revoke a link, send invitations, status.
 */
import type * as z from 'zod/mini';
import { Campaign } from '../schemas/campaigns.js';
import { OrgId, RESERVED_IDS } from '../schemas/orgs.js';
import type { Env } from '../schemas/env.js';
import { campaignStore } from '../functions/campaigns/store.js';
import { sendInvitations } from '../functions/campaigns/invite.js';
import { type OrgsCsvError, type OrgsCsvWarning, parseOrgsCsv } from '../functions/orgs/csv.js';
import { orgStore } from '../functions/orgs/store.js';
import { summarise } from '../functions/plans/rules.js';
import { issueLink } from '../functions/plans/service.js';
import { summaryStore, uploadStore } from '../functions/plans/store.js';
import { buildZip } from '../functions/plans/export.js';
import { openRead } from '../functions/plans/s3.js';
import { exportContent, syncStatus } from '../functions/plans/service.js';
import { s3Client } from '../functions/shared/clients/s3.js';
import { CITY_ROUTE_KEY, type Org } from '../schemas/orgs.js';
import { createWriteStream } from 'node:fs';
import { ddbClient } from '../functions/shared/clients/dynamodb.js';
import { clockOf } from '../functions/shared/clock.js';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type OutboxEntry, OutboxMessage, outboxClaims, outboxLedger } from '../functions/reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../functions/reminders/queue.js';
import { type SweepReport, sweepReminders } from '../functions/reminders/service.js';
import { schedules } from '../functions/schedules.js';
import { sweepMarks } from '../functions/reminders/marks.js';
import { type ContactSweepReport, contactSweep } from '../functions/contacts/sweep-service.js';
import { cityRates, concernStore, rosterReader, rosterStore as contactRosters, summaryStore as contactSummaryStore } from '../functions/contacts/store.js';
import { changeRoster, type RosterDeps } from '../functions/contacts/roster-service.js';
import type { StaffRole } from '../schemas/contacts.js';
import { lastFiring } from './scheduler.js';
import { personTokens, tokenSigner } from '../functions/shared/tokens.js';
import { ROBOT_LABEL, robotInput, type RobotKind } from '../schemas/robots.js';
import { hintOf, sealWebhook } from '../functions/reminders/robots.js';
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../schemas/audit.js';
import { auditLog } from '../functions/audit/store.js';

/** A problem the operator can fix: printed as is (plain zh-CN, no stack trace). */
export class AdminError extends Error {}

/** The result of an org import: every problem of a bad file (nothing stored), or the counts and warnings. */
export type ImportOrgsResult =
  | { ok: false; errors: OrgsCsvError[] }
  | { ok: true; created: number; updated: number; /** Status items moved to their org's new route (schools that changed District). */ rerouted: number; warnings: OrgsCsvWarning[] };

/**
 * A re-import keeps a contact's "invalid" mark (its address bounced or complained) while the address is
 * the same: the suppression list would block it anyway, and the pages should keep saying so. A new
 * address for the contact starts clean.
 */
function keepInvalid(o: Org, known: Org[]): Org {
  const marked = new Map((known.find((k) => k.id === o.id)?.contacts ?? []).flatMap((c) => (c.invalid ? [[c.email.toLowerCase(), c.invalid] as const] : [])));
  return { ...o, contacts: o.contacts.map((c) => (marked.has(c.email.toLowerCase()) ? { ...c, invalid: marked.get(c.email.toLowerCase()) } : c)) };
}

/** What is left on the outbox queue: waiting to be received, and received but not yet deleted (being sent, or waiting out a retry). */
export interface OutboxCounts {
  waiting: number;
  inFlight: number;
}

export function admin(env: Env, signingKey: () => Promise<Uint8Array>) {
  const ddb = ddbClient();
  const orgs = orgStore(ddb, env.TABLE_NAME);
  const campaigns = campaignStore(ddb, env.TABLE_NAME);
  const summaries = summaryStore(ddb, env.TABLE_NAME);
  const tokens = tokenSigner(signingKey);
  const clock = clockOf(env);
  const linkUrl = (token: string) => `${env.SITE_ORIGIN}/l/${token}`;
  const sqs = sqsClient();
  const queueUrl = () => {
    if (!env.OUTBOX_QUEUE_URL) throw new AdminError('缺少 OUTBOX_QUEUE_URL（发件队列，见 README 部署指南：export OUTBOX_QUEUE_URL=$(out OutboxQueueUrl)）。');
    return env.OUTBOX_QUEUE_URL;
  };
  const ledger = outboxLedger(ddb, env.TABLE_NAME);
  const dlqUrl = () => {
    if (!env.OUTBOX_DLQ_URL) throw new AdminError('缺少 OUTBOX_DLQ_URL（发件死信队列，见 README：export OUTBOX_DLQ_URL=$(out OutboxDlqUrl)）。');
    return env.OUTBOX_DLQ_URL;
  };
  /** The ledger key a queue message names (a body that is not ours is shown as it is). */
  const keyOf = (body: string | undefined) => {
    try {
      return OutboxMessage.parse(JSON.parse(body ?? '')).key;
    } catch {
      return body ?? '';
    }
  };
  const outbox = () => ({ ledger: outboxClaims(ddb, env.TABLE_NAME), queue: sqsOutboxQueue(sqs, queueUrl()) });
  /** The audit trail: what the operator changes is recorded there (actor `cli`). */
  const trail = () => {
    if (!env.AUDIT_TABLE) throw new AdminError('缺少 AUDIT_TABLE（操作记录表，见 README 部署指南：export AUDIT_TABLE=$(out AuditTableName)）。');
    return auditLog(ddb, env.AUDIT_TABLE);
  };
  const record = async (e: Omit<AuditEvent, 'at' | 'actor'>) => {
    try {
      return await trail().append({ ...e, at: clock.now().toISOString(), actor: 'cli' });
    } catch (err) {
      if (err instanceof AdminError) throw err;
      throw new AdminError(`操作记录写入失败（${(err as Error).message}）。`);
    }
  };
  /** Waits (up to `waitMs`) until the service's mailer has emptied the outbox; returns what is left. */
  const drained = async (waitMs = 30_000): Promise<OutboxCounts> => {
    const until = Date.now() + waitMs;
    for (;;) {
      const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
      const counts = { waiting: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) };
      if ((counts.waiting === 0 && counts.inFlight === 0) || Date.now() > until) return counts;
      await new Promise((ok) => setTimeout(ok, 100));
    }
  };

  return {
    clock,
    /**
     * Validates the whole file first; any bad row imports nothing. Warnings (a District office or
     * school without an e-mail) do not stop the import.
     */
    async importOrgs(csv: string): Promise<ImportOrgsResult> {
      const known = await orgs.list();
      const parsed = parseOrgsCsv(csv, known);
      if (!parsed.ok) return { ok: false, errors: parsed.errors };
      let created = 0;
      let updated = 0;
      for (const o of parsed.orgs) ((await orgs.upsert(keepInvalid(o, known))) === 'created' ? created++ : updated++);
      // Status items follow the registry (after the orgs themselves are updated: a validator folding
      // meanwhile then either sees the change or retries): a new org of an audience gets its item, a
      // school that moved District its new route, a changed contact its new snapshot for the reminders.
      const { rerouted } = await syncStatus({ orgs, campaigns, summaries });
      return { ok: true, created, updated, rerouted, warnings: parsed.warnings };
    },
    /**
     * Creates a campaign from its JSON file, or replaces it with `replace`. Every problem of the
     * file is reported at once (one AdminError, one line per problem, each naming the field and
     * giving an example); nothing is written unless the whole file is right.
     */
    async createCampaign(json: string, replace = false): Promise<{ campaign: Campaign; replaced: boolean }> {
      let data: unknown;
      try {
        data = JSON.parse(json.replace(/^\uFEFF/, ''));
      } catch (e) {
        throw new AdminError(`活动文件不是有效的 JSON${jsonErrorWhere(json.replace(/^\uFEFF/, ''), e)}：请检查英文逗号、英文双引号和括号是否成对（可参照 local/seed/campaign-2019.json）。`);
      }
      const problems = campaignProblems(data);
      const r = Campaign.safeParse(data);
      // The references are checked even when other fields are wrong, so one run shows everything.
      const raw = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
      const receiverId = r.success ? r.data.receiverId : validId(raw.receiverId);
      if (receiverId && !(await orgs.get(receiverId))) problems.push(`receiverId（接收单位）“${receiverId}”不存在：应为已导入机构的编号，如 "centre"（请先 import-orgs）`);
      const audience = raw.audience as { orgIds?: unknown } | undefined;
      const listed = r.success ? (r.data.audience === 'all' ? [] : r.data.audience.orgIds) : Array.isArray(audience?.orgIds) ? audience.orgIds.map(validId).filter((x): x is string => !!x) : [];
      const missing: string[] = [];
      for (const id of [...new Set(listed)]) if (!(await orgs.get(id))) missing.push(id);
      if (missing.length) problems.push(`audience.orgIds（报送范围）中的机构不存在：${missing.join('、')}（请先 import-orgs，或改正编号）`);
      const id = r.success ? r.data.id : undefined;
      const existing = id ? await campaigns.get(id) : undefined;
      if (existing && !replace) problems.push(`活动“${id}”已存在：如需用本文件覆盖，请加 --replace`);
      if (!r.success || problems.length) {
        throw new AdminError(`活动文件有误（共 ${problems.length} 处），未${replace ? '保存' : '创建'}活动：\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      }
      await campaigns.put(r.data);
      // Every org of the audience gets its status item (the owing index lists who still owes).
      await syncStatus({ orgs, campaigns, summaries }, { campaignIds: [r.data.id] });
      return { campaign: r.data, replaced: existing !== undefined };
    },
    /**
     * Runs every schedule's job due at `at` (its latest firing at or before it) against this state, then
     * waits (up to `waitMs`) until the outbox has nothing left to send; `campaignIds` limits the sweep.
     * Moving the domain clock is the caller's (the CLI writes the dev server's clock anchor).
     */
    async tick(at: Date, opts: { campaignIds?: string[]; waitMs?: number } = {}): Promise<{ reports: SweepReport[]; contacts: ContactSweepReport[]; outbox: OutboxCounts }> {
      const deps = {
        campaigns: { list: async () => (await campaigns.list()).filter((c) => !opts.campaignIds || opts.campaignIds.includes(c.id)) },
        orgs,
        summaries,
        ...outbox(),
        marks: sweepMarks(ddb, env.TABLE_NAME),
        tokens,
        siteOrigin: env.SITE_ORIGIN,
        linkTtlDays: env.LINK_TTL_DAYS,
        now: () => at,
      };
      const contactDeps = {
        orgs,
        rosters: rosterReader(ddb, env.TABLE_NAME),
        summaries: contactSummaryStore(ddb, env.TABLE_NAME),
        concerns: concernStore(ddb, env.TABLE_NAME),
        cityRates: cityRates(ddb, env.TABLE_NAME),
        ...outbox(),
        tokens: personTokens(signingKey),
        siteOrigin: env.SITE_ORIGIN,
        linkTtlDays: env.LINK_TTL_DAYS,
        now: () => at,
      };
      const reports: SweepReport[] = [];
      const contacts: ContactSweepReport[] = [];
      for (const spec of schedules) {
        const f = lastFiring(spec, at);
        if (!f) continue;
        if (spec.job === 'plan-reminders') reports.push(await sweepReminders(deps, f));
        else contacts.push(await contactSweep(contactDeps, spec.job, f));
      }
      return { reports, contacts, outbox: await drained(opts.waitMs) };
    },
    /**
     * The outbox at a glance: what waits on the queue, and each job in the dead-letter queue (failed 5
     * times, or unconfirmed) with its ledger entry — state, attempts, the last error, what it is about.
     * Peeking leaves the dead letters where they are.
     */
    async outbox() {
      const dlq = dlqUrl();
      const counts = async (url: string) => {
        const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
        return { waiting: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) };
      };
      const seen = new Map<string, OutboxEntry | undefined>();
      for (let round = 0; round < 100; round++) {
        // Visible again at once (VisibilityTimeout 0): a look, not a take.
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0 }));
        const fresh = (r.Messages ?? []).map((m) => keyOf(m.Body)).filter((k) => !seen.has(k));
        if (!fresh.length) break;
        for (const k of fresh) seen.set(k, await ledger.get(k));
      }
      return { outbox: await counts(queueUrl()), deadLetters: [...seen].map(([key, entry]) => ({ key, entry })) };
    },
    /**
     * Moves every dead letter back onto the outbox (after the cause is fixed). Safe: the mailer sends each
     * entry once; an entry already sent is acknowledged without a mail. `resend`: the keys a person has
     * checked did not arrive although their entry says "sending" — those go back to queued first.
     */
    async redriveOutbox(resend: string[] = []) {
      for (const key of resend) {
        const entry = await ledger.get(key);
        if (!entry) throw new AdminError(`发件记录不存在：${key}`);
        if (entry.state !== 'sending') throw new AdminError(`${key} 的状态是 ${entry.state}，不是“发送中（未确认）”，无需重发。`);
        await ledger.retry(key, '操作员确认未送达，重新发送');
      }
      const dlq = dlqUrl();
      let moved = 0;
      for (;;) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0 }));
        const messages = r.Messages ?? [];
        if (!messages.length) break;
        await sqsOutboxQueue(sqs, queueUrl()).send(messages.map((m) => keyOf(m.Body)));
        for (const m of messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: m.ReceiptHandle }));
        moved += messages.length;
      }
      if (resend.length) await sqsOutboxQueue(sqs, queueUrl()).send(resend);
      return { moved, resent: resend.length, outbox: await drained() };
    },
    /** Restates every status item from the registry (idempotent): run at each `npm run dev` start, so state from an older version gets its owing index. */
    async syncStatus() {
      return syncStatus({ orgs, campaigns, summaries });
    },
    /** Closes a campaign: from `at` on nobody is reminded of it (idempotent; the first closing time stands). */
    async closeCampaign(campaignId: string, at: Date) {
      const c = await campaigns.get(campaignId);
      if (!c) throw new AdminError(`活动不存在：${campaignId}`);
      if (c.closedAt) return { campaign: c, already: true };
      const closed = { ...c, closedAt: at.toISOString() };
      await campaigns.put(closed);
      return { campaign: closed, already: false };
    },
    /**
     * A school's roster as its administrator would make it on the roster page (functions/contacts/roster-service.ts):
     * the classes from a CSV (年级,班级,班主任,邮箱), staff, the term; each head teacher and staff member is mailed
     * their own link through the outbox. The seed and tests use it; returns the roster.
     */
    async setRoster(schoolId: string, r: { csv: string; staff?: { name: string; email: string; roles: StaffRole[] }[]; term?: { start: string; end: string } }) {
      const org = await orgs.get(schoolId);
      if (!org || org.kind !== 'school') throw new AdminError(`学校不存在：${schoolId}`);
      const deps: RosterDeps = { orgs, clock, tokens: { ...tokens, ...personTokens(signingKey) }, rosters: contactRosters(ddb, env.TABLE_NAME), ...outbox(), audit: trail(), siteOrigin: env.SITE_ORIGIN, linkTtlDays: env.LINK_TTL_DAYS };
      const s = { grant: { orgId: org.id, campaignId: '', role: 'school' as const, version: org.tokenVersion }, org };
      let out = await changeRoster(deps, s, { action: 'import', csv: r.csv });
      if (r.term) out = await changeRoster(deps, s, { action: 'term', ...r.term });
      for (const p of r.staff ?? []) out = await changeRoster(deps, s, { action: 'staff', ...p });
      return out.roster;
    },
    /** A school's roster (or undefined). */
    roster: (schoolId: string) => rosterReader(ddb, env.TABLE_NAME).get(schoolId),
    /** A head teacher's (`h.<classId>`) or staff member's (`s.<staffId>`) own link, as the roster mails it. */
    async personLink(schoolId: string, person: string, version: number) {
      return `${env.SITE_ORIGIN}/c/${await personTokens(signingKey).personLink({ schoolId, person, version }, env.LINK_TTL_DAYS)}`;
    },
    /** Issues an org's link; it is shown only once the audit trail records it ('link.issued', never the token). */
    async issueLink(orgId: string, campaignId: string) {
      let issued;
      try {
        issued = await issueLink({ orgs, campaigns, tokens }, orgId, campaignId, env.LINK_TTL_DAYS);
      } catch (e) {
        throw new AdminError((e as Error).message);
      }
      const { org, token } = issued;
      await record({
        campaignId,
        orgId,
        id: `link-${randomUUID()}`,
        action: 'link.issued',
        after: { tokenVersion: org.tokenVersion, validDays: env.LINK_TTL_DAYS },
      });
      return { org, url: linkUrl(token) };
    },
    /**
     * Revokes every link and session of the org, then records it ('links.revoked', token version before and
     * after) in the trail of every campaign not yet closed. The record's id names the new version, so
     * recording it twice appends nothing.
     */
    async revokeLink(orgId: string) {
      if (!(await orgs.get(orgId))) throw new AdminError(`机构不存在：${orgId}`);
      const version = await orgs.bumpTokenVersion(orgId);
      const open = (await campaigns.list()).filter((c) => !c.closedAt);
      for (const c of open) {
        await record({
          campaignId: c.id,
          orgId,
          id: `links-revoked-v${version}`,
          action: 'links.revoked',
          before: { tokenVersion: version - 1 },
          after: { tokenVersion: version },
        }).catch((e: unknown) => {
          throw new AdminError(`已停用 ${orgId} 的全部旧链接（令牌版本 → ${version}），但${(e as Error).message}`);
        });
      }
      return version;
    },
    /** Puts the invitations on the outbox (the service's mailer sends them) and waits until it is empty. */
    async sendInvites(campaignId: string, opts: { waitMs?: number } = {}) {
      const { ledger, queue } = outbox();
      let report;
      try {
        report = await sendInvitations({ orgs, campaigns, tokens, ledger, queue, clock, siteOrigin: env.SITE_ORIGIN, linkTtlDays: env.LINK_TTL_DAYS }, campaignId);
      } catch (e) {
        throw new AdminError((e as Error).message);
      }
      return { ...report, outbox: await drained(opts.waitMs) };
    },
    async status(campaignId: string) {
      const c = await campaigns.get(campaignId);
      if (!c) throw new AdminError(`活动不存在：${campaignId}`);
      const [all, sums] = await Promise.all([orgs.list(), summaries.list(campaignId)]);
      return { campaign: c, ...summarise(c, all, sums) };
    },
    /**
     * The city's zip (every org's latest accepted version + 清单.csv), streamed from S3 straight into
     * `out` with the same builder the export-zip function uses; every entry's sha256 is checked.
     */
    async download(campaignId: string, out: string) {
      const campaign = await campaigns.get(campaignId);
      if (!campaign) throw new AdminError(`活动不存在：${campaignId}`);
      const bureau = (await orgs.list(CITY_ROUTE_KEY)).find((o) => o.kind === 'bureau');
      if (!bureau) throw new AdminError('没有找到市教育局（bureau）机构，请先导入机构。');
      if (!env.BUCKET_NAME) throw new AdminError('缺少 BUCKET_NAME。');
      const bucket = env.BUCKET_NAME;
      const session = { grant: { orgId: bureau.id, campaignId, role: 'city' as const, version: bureau.tokenVersion }, org: bureau, campaign };
      const content = await exportContent({ orgs, campaigns, uploads: uploadStore(ddb, env.TABLE_NAME), summaries, tokens, clock }, session);
      const s3 = s3Client();
      const built = await buildZip(content.entries, content.manifestCsv, (key) => openRead(s3, bucket, key), createWriteStream(out));
      return { ...built, fileName: content.fileName };
    },
    // ---- Group robots (schemas/robots.ts, functions/reminders/robots.ts) ----
    /**
     * Registers the org's WeCom or DingTalk group robot, replacing one of the same kind. The URL is
     * checked, stored only sealed (a key derived from the signing key) and never handed back: the
     * result carries its hint. `allowLoopback`: the local runtime, whose fake robot is on 127.0.0.1.
     * The org's status items are restated, as after an import: the sweep addresses an org from the
     * snapshot they hold, so a robot registered or removed counts from the next sweep on.
     * (Read, then written whole: two operators changing one org's robots at the same instant, the
     * last wins — an operator action, not worth a conditional write.)
     */
    async setRobot(orgId: string, input: { kind?: string; url?: string; secret?: string }, opts: { allowLoopback?: boolean } = {}) {
      const r = robotInput(opts).safeParse(input);
      if (!r.success) throw new AdminError(`群机器人未登记：${[...new Set(r.error.issues.map((i) => i.message))].join('；')}`);
      const org = await orgs.get(orgId);
      if (!org) throw new AdminError(`机构不存在：${orgId}`);
      const hook = r.data;
      const entry = { kind: hook.kind, sealed: sealWebhook(hook, await signingKey()), hint: hintOf(hook), addedAt: new Date().toISOString() };
      const others = (org.robots ?? []).filter((x) => x.kind !== hook.kind);
      await orgs.setRobots(orgId, [...others, entry].sort((a, b) => a.kind.localeCompare(b.kind)));
      await syncStatus({ orgs, campaigns, summaries }, { orgIds: [orgId] });
      return { org, hint: entry.hint, replaced: others.length < (org.robots ?? []).length };
    },
    /** Removes the org's robot of that kind; `removed` is its hint, undefined when there was none. */
    async removeRobot(orgId: string, kind: RobotKind) {
      const org = await orgs.get(orgId);
      if (!org) throw new AdminError(`机构不存在：${orgId}`);
      const removed = org.robots?.find((x) => x.kind === kind);
      if (removed) {
        await orgs.setRobots(orgId, (org.robots ?? []).filter((x) => x.kind !== kind));
        await syncStatus({ orgs, campaigns, summaries }, { orgIds: [orgId] });
      }
      return { org, label: ROBOT_LABEL[kind], removed: removed?.hint };
    },
    /** The org's registered robots, as hints. */
    async listRobots(orgId: string) {
      const org = await orgs.get(orgId);
      if (!org) throw new AdminError(`机构不存在：${orgId}`);
      return { org, robots: (org.robots ?? []).map(({ kind, hint, addedAt }) => ({ kind, hint, addedAt })) };
    },
    listOrgs: () => orgs.list(),
    listCampaigns: () => campaigns.list(),
  };
}
export type Admin = ReturnType<typeof admin>;

// ---- Campaign file problems, in plain Chinese ---------------------------------------------

const ID_RULE = '只能包含小写字母、数字和连字符，以字母或数字开头，2–48 位';
const FIELDS: Record<string, { label: string; example: string }> = {
  id: { label: '活动编号', example: '"2019-plans"' },
  title: { label: '活动名称', example: '"南昌市中小学心理服务体系建设两个实施方案报送"' },
  noticeNo: { label: '通知文号', example: '"洪教健字〔2019〕1号"' },
  documents: { label: '需报送的材料', example: '[{ "kind": "service-plan", "title": "心理服务体系建设工作实施方案" }]' },
  deadline: { label: '截止时间', example: '"2019-06-30T23:59:59+08:00"（北京时间，须带 +08:00）' },
  audience: { label: '报送范围', example: '"all"（全部县区和学校）或 { "orgIds": ["s-donghu-wutong"] }' },
  receiverId: { label: '接收单位编号', example: '"centre"' },
  contact: { label: '联系人', example: '{ "name": "魏洪", "phone": "0791-86612885" }' },
  reminders: { label: '提醒规则', example: '{ "beforeDays": [14, 7, 3, 1], "onTheDay": true, "at": "09:00", "overdueEveryDays": 2 }（可省略：省略即用默认规则）' },
};

/** The reminder policy's fields (schemas/reminders.ts): Chinese name, rule and example. */
const DIGEST_FIELDS = {
  enabled: { label: '是否发送', rule: '应为 true 或 false', example: 'true' },
  fromDaysBefore: { label: '从截止前几天起每日发送', rule: '应为 0–60 的整数天数（0 表示从截止当天起）', example: '7' },
};
const REMINDER_FIELDS: Record<string, { label: string; rule: string; example: string; sub?: typeof DIGEST_FIELDS }> = {
  beforeDays: { label: '截止前第几天提醒', rule: '应为 1–60 之间互不相同的整数天数列表（最多 10 个）', example: '[14, 7, 3, 1]' },
  onTheDay: { label: '截止当天是否提醒', rule: '应为 true 或 false', example: 'true' },
  at: { label: '每日提醒时间', rule: '应为北京时间 24 小时制的“时:分”', example: '"09:00"' },
  overdueEveryDays: { label: '逾期后每隔几天提醒', rule: '应为 0–30 的整数天数（0 表示逾期后不再单独提醒）', example: '2' },
  districtDigest: { label: '县区汇总提醒', rule: '应为 { "enabled": true, "fromDaysBefore": 7 } 这样的对象', example: '{ "enabled": true, "fromDaysBefore": 7 }', sub: DIGEST_FIELDS },
  cityDigest: { label: '市局和中心汇总提醒', rule: '应为 { "enabled": true, "fromDaysBefore": 7 } 这样的对象', example: '{ "enabled": true, "fromDaysBefore": 7 }', sub: DIGEST_FIELDS },
  stopAfterDays: { label: '截止后停止提醒的天数', rule: '应为 0–365 的整数天数（截止日后第几天起不再提醒）', example: '30' },
};

const validId = (v: unknown) => (OrgId.safeParse(v).success ? (v as string) : undefined);

function at(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

const show = (v: unknown) => (typeof v === 'string' ? `“${v}”` : JSON.stringify(v));
const pathName = (path: readonly PropertyKey[]) =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

/** Every problem of a campaign file, each naming its field (JSON name and Chinese) with an example. */
export function campaignProblems(data: unknown): string[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return [`活动文件应为一个 JSON 对象 { … }，包含 ${Object.keys(FIELDS).join('、')}（可参照 local/seed/campaign-2019.json）`];
  }
  const problems: string[] = [];
  const known = Object.keys(Campaign.shape);
  for (const k of Object.keys(data)) {
    if (!known.includes(k)) problems.push(`未知字段“${k}”：可用的字段为 ${known.join('、')}（注意大小写）`);
  }
  problems.push(...unknownReminderFields((data as { reminders?: unknown }).reminders));
  const r = Campaign.safeParse(data);
  if (r.success) return problems;
  const seen = new Set<string>();
  for (const issue of r.error.issues) {
    const text = describeCampaignIssue(issue, data);
    if (!seen.has(text)) problems.push(text);
    seen.add(text);
  }
  return problems;
}

function describeCampaignIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const [head, second, third] = issue.path;
  const field = FIELDS[String(head)];
  const value = at(data, issue.path);
  const name = pathName(issue.path);
  if (!field) return `${name || '活动文件'}：${issue.message}`;
  const missing = value === undefined;
  const need = (rule: string) =>
    missing ? `缺少 ${name}（${field.label}）：${rule}，如 ${field.example}` : `${name}（${field.label}）${show(value)}无效：${rule}，如 ${field.example}`;
  switch (head) {
    case 'id':
      return need(ID_RULE);
    case 'title':
      return need('2–100 个字');
    case 'noticeNo':
      return need('2–40 个字');
    case 'deadline': {
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim())) {
        return `deadline（截止时间）${show(value)}缺少时区：请写明时区，如 "${value.trim()}+08:00"（北京时间）`;
      }
      return need('应为带时区的完整时间');
    }
    case 'receiverId':
      if (typeof value === 'string' && RESERVED_IDS.includes(value)) return `receiverId（接收单位编号）${show(value)}是系统保留字，不是机构编号，如 ${field.example}`;
      return need(`应为接收单位的机构编号（${ID_RULE}）`);
    case 'audience': {
      if (second === 'orgIds' && typeof third === 'number') {
        const what = `audience.orgIds[${third}]（报送范围中的机构编号）${show(value)}`;
        if (typeof value === 'string' && RESERVED_IDS.includes(value)) {
          return value === 'all' ? `${what}无效：要报送给全部县区和学校，请写 "audience": "all"` : `${what}是系统保留字，不是机构编号`;
        }
        return `${what}无效：${ID_RULE}，如 "s-donghu-wutong"`;
      }
      if (second === 'orgIds') return `audience.orgIds（报送范围）应为至少一个机构编号的列表，如 ["s-donghu-wutong", "d-donghu"]`;
      return need('应为 "all" 或列出机构编号');
    }
    case 'documents': {
      if (second === undefined) {
        if (issue.code === 'custom') {
          const kinds = Array.isArray(value) ? value.map((d) => (d as { kind?: unknown })?.kind) : [];
          const dup = kinds.filter((k, i) => kinds.indexOf(k) !== i);
          return `documents（需报送的材料）中材料编号重复：${[...new Set(dup)].map(String).join('、')}，每项材料的 kind 须不同`;
        }
        if (issue.code === 'too_big') return `documents（需报送的材料）最多 10 项`;
        return need('应为 1–10 项材料的列表');
      }
      const item = `documents[${String(second)}]`;
      if (third === 'kind') {
        return value === undefined
          ? `缺少 ${item}.kind（材料编号），如 "service-plan"`
          : `${item}.kind（材料编号）${show(value)}无效：以小写字母开头，只含小写字母、数字和连字符，2–32 位，如 "service-plan"`;
      }
      if (third === 'title') {
        return value === undefined
          ? `缺少 ${item}.title（材料名称），如 "心理服务体系建设工作实施方案"`
          : `${item}.title（材料名称）${show(value)}无效：2–60 个字，如 "心理危机管理工作方案"`;
      }
      return `${item}（材料）应为 { "kind": "service-plan", "title": "心理服务体系建设工作实施方案" }`;
    }
    case 'contact': {
      if (second === 'name') return missing ? '缺少 contact.name（联系人姓名），如 "魏洪"' : `contact.name（联系人姓名）${show(value)}无效：1–40 个字，如 "魏洪"`;
      if (second === 'phone') return missing ? '缺少 contact.phone（联系电话），如 "0791-86612885"' : `contact.phone（联系电话）${show(value)}无效：5–30 个字符，如 "0791-86612885"`;
      return need('应包含 name 和 phone');
    }
    case 'reminders':
      return reminderProblem(issue, data);
    default:
      return need(issue.message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A misspelt policy field would silently fall back to its default: name it instead. */
function unknownReminderFields(reminders: unknown): string[] {
  if (!isObject(reminders)) return [];
  const out: string[] = [];
  const check = (o: Record<string, unknown>, known: string[], where: string) => {
    for (const k of Object.keys(o)) if (!known.includes(k)) out.push(`${where} 中的未知字段“${k}”：可用的字段为 ${known.join('、')}（注意大小写）`);
  };
  check(reminders, Object.keys(REMINDER_FIELDS), 'reminders（提醒规则）');
  for (const [k, f] of Object.entries(REMINDER_FIELDS)) {
    const v = reminders[k];
    if (f.sub && isObject(v)) check(v, Object.keys(f.sub), `reminders.${k}（${f.label}）`);
  }
  return out;
}

function reminderProblem(issue: z.core.$ZodIssue, data: unknown): string {
  const [, second, third] = issue.path;
  const value = at(data, issue.path);
  const f = REMINDER_FIELDS[String(second)];
  if (second === undefined || !f) return `reminders（提醒规则）${show(value)}无效：应为一个对象，如 ${FIELDS.reminders!.example}`;
  const name = `reminders.${String(second)}`;
  if (second === 'beforeDays') {
    if (typeof third === 'number') return `${name}[${third}]（${f.label}）${show(value)}无效：应为 1–60 的整数天数，如 ${f.example}`;
    if (issue.code === 'custom' && Array.isArray(value)) {
      const dup = value.filter((d, i) => value.indexOf(d) !== i);
      return `${name}（${f.label}）中天数重复：${[...new Set(dup)].map(String).join('、')}，每个天数只能写一次，如 ${f.example}`;
    }
    if (issue.code === 'too_big') return `${name}（${f.label}）最多 10 个天数，如 ${f.example}`;
  }
  const sub = f.sub && third !== undefined ? f.sub[String(third) as keyof typeof DIGEST_FIELDS] : undefined;
  if (sub) return `${name}.${String(third)}（${f.label}：${sub.label}）${show(value)}无效：${sub.rule}，如 ${sub.example}`;
  return `${name}（${f.label}）${show(value)}无效：${f.rule}，如 ${f.example}`;
}

/** "（第 N 行附近）" for a JSON.parse error that names a position. */
function jsonErrorWhere(text: string, e: unknown): string {
  if (text.trim() === '') return '（文件是空的）';
  const m = /position (\d+)/.exec((e as Error).message);
  if (!m) return '';
  const pos = Number(m[1]);
  return `（第 ${text.slice(0, pos).split('\n').length} 行附近）`;
}
