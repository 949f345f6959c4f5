import type { Campaign } from '../../schemas/campaigns.js';
import { CITY_ROUTE_KEY, type Org } from '../../schemas/orgs.js';
import { policyOf } from '../../schemas/reminders.js';
import type { CampaignStore } from '../campaigns/store.js';
import type { OrgReader } from '../orgs/store.js';
import { routingOf } from '../plans/routing.js';
import { reminderDeadline } from '../plans/rules.js';
import type { Audience, SummaryStore } from '../plans/store.js';
import { BEIJING_OFFSET_MS, beijingDay, DAY_MS } from '../shared/clock.js';
import type { LinkMailDeps } from '../shared/mail.js';
import { roleOf } from '../shared/tokens.js';
import type { ReminderJob } from './jobs.js';
import { cityDigestMail, districtDigestMail, reminderMail } from './mails.js';
import { type About, enqueue, mailPayload, type OutboxClaims, type OutboxPayload, type OutboxQueue } from './outbox.js';
import type { SweepMarks } from './marks.js';
import { daysLeft, digestOn, orgRuleOn, planReminders } from './plan.js';

/**
 * The reminder sweep (scheduled hourly, functions/schedules.ts): for each open campaign, in the hour its
 * policy names, it reads what is due — the owing index, the few orgs that receive digests, the audience
 * counts — plans the day's reminders and digests, renders them, claims each in the send ledger and puts
 * it on the outbox. Nothing is read for a campaign on a day when its policy sends nothing.
 */
export interface SweepDeps extends Pick<LinkMailDeps, 'tokens' | 'siteOrigin' | 'linkTtlDays'> {
  campaigns: Pick<CampaignStore, 'list'>;
  orgs: Pick<OrgReader, 'get' | 'list'>;
  summaries: Pick<SummaryStore, 'listOwing' | 'audience' | 'get'>;
  ledger: OutboxClaims;
  queue: OutboxQueue;
  marks: SweepMarks;
  /** Domain time (the ledger's claim times). */
  now: () => Date;
}

export interface SweepReport {
  at: string;
  campaigns: { id: string; skipped?: string; owing?: number; planned?: number; queued?: number; already?: number }[];
}

/** The Beijing hour in which a policy's "HH:mm" is first reached by an hourly sweep (09:00 → 9, 09:30 → 10). */
export const sweepHourOf = (at: string) => Math.ceil((Number(at.slice(0, 2)) * 60 + Number(at.slice(3, 5))) / 60) % 24;
const beijingHour = (t: Date) => Math.floor((((t.getTime() + BEIJING_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / 3_600_000);

/**
 * Whether the policy sends anything on `scheduledAt`'s day (before reading a single status item): by the
 * campaign's deadline, or by one of `others` — the deadlines orgs are reminded against instead (extensions,
 * Districts' internal deadlines for their schools; the AUDIENCE item's registers).
 */
export function anythingDue(c: Campaign, scheduledAt: Date, others: string[] = []): boolean {
  const policy = policyOf(c);
  const left = daysLeft(c.deadline, scheduledAt);
  const orgDue = (d: string) => !!orgRuleOn(policy, daysLeft(d, scheduledAt), scheduledAt.getTime() > Date.parse(d));
  return orgDue(c.deadline) || digestOn(policy, policy.districtDigest, left) || digestOn(policy, policy.cityDigest, left) || others.some(orgDue);
}

/** The audience per route that the city digest counts ("of N"): the registry's counts less the exempt orgs. */
export function expectedCounts(a: Audience | undefined): Record<string, number> {
  const out = { ...a?.counts };
  for (const route of Object.values(a?.exempt ?? {})) if (out[route]) out[route]--;
  return out;
}

export async function sweepReminders(deps: SweepDeps, scheduledAt: Date): Promise<SweepReport> {
  const report: SweepReport = { at: scheduledAt.toISOString(), campaigns: [] };
  for (const campaign of await deps.campaigns.list()) {
    if (campaign.closedAt && Date.parse(campaign.closedAt) <= scheduledAt.getTime()) {
      report.campaigns.push({ id: campaign.id, skipped: 'closed' });
      continue;
    }
    if (beijingHour(scheduledAt) !== sweepHourOf(policyOf(campaign).at)) {
      report.campaigns.push({ id: campaign.id, skipped: 'not its hour' });
      continue;
    }
    let audience: Audience | undefined;
    if (!anythingDue(campaign, scheduledAt)) {
      // Nothing by the campaign's deadline: the one item listing the orgs' own deadlines says whether any is due.
      audience = await deps.summaries.audience(campaign.id);
      if (!anythingDue(campaign, scheduledAt, [...Object.values(audience?.extended ?? {}), ...Object.values(audience?.schoolsDue ?? {})])) {
        report.campaigns.push({ id: campaign.id, skipped: 'nothing due today' });
        continue;
      }
    }
    const day = beijingDay(scheduledAt);
    if (await deps.marks.done(campaign.id, day)) {
      report.campaigns.push({ id: campaign.id, skipped: 'swept already' });
      continue;
    }
    const r = await sweepCampaign(deps, campaign, scheduledAt, audience);
    await deps.marks.mark(campaign.id, day, { at: deps.now().toISOString(), planned: r.planned, queued: r.queued });
    report.campaigns.push({ id: campaign.id, ...r });
  }
  return report;
}

async function sweepCampaign(deps: SweepDeps, campaign: Campaign, now: Date, read?: Audience) {
  const [owing, city, audience] = await Promise.all([deps.summaries.listOwing(campaign.id), deps.orgs.list(CITY_ROUTE_KEY), read ?? deps.summaries.audience(campaign.id)]);
  // The District offices that may get a digest or route a school's plans: those of the owing schools. Their
  // status items (one GetItem each, as the registry's org items were): the office's snapshot and the internal
  // deadline it set for its schools; the registry only for an office without one.
  const districtIds = [...new Set(owing.flatMap((s) => (s.org?.kind === 'district' ? [] : s.org?.districtId ? [s.org.districtId] : [])))];
  const known = new Map(owing.flatMap((s) => (s.org ? [[s.org.id, s] as const] : [])));
  const offices = new Map(await Promise.all(districtIds.map(async (id) => [id, known.get(id) ?? (await deps.summaries.get(campaign.id, id))] as const)));
  const districts = await Promise.all(districtIds.map((id) => offices.get(id)?.org ?? deps.orgs.get(id)));
  const directory = [...city, ...districts.filter((d): d is Org => !!d && d.kind === 'district')];
  const jobs = planReminders({
    campaign,
    owing: owing.flatMap((s) => (s.org && s.missing?.length ? [{ org: s.org, missing: s.missing }] : [])),
    directory,
    expected: expectedCounts(audience),
    now,
    deadlineOf: (org) => reminderDeadline(campaign, known.get(org.id), org, org.districtId ? offices.get(org.districtId) : undefined),
  });
  const byId = new Map([...directory, ...owing.flatMap((s) => (s.org ? [s.org] : []))].map((o) => [o.id, o]));
  const messages = await Promise.all(jobs.map((job) => render(deps, job, byId)));
  const r = await enqueue({ ledger: deps.ledger, queue: deps.queue, now: deps.now }, messages.flat());
  return { owing: owing.length, planned: jobs.length, queued: r.queued.length, already: r.already.length };
}

/** Who a mail to an org goes to: its contacts' addresses that have not bounced. */
export const addressesOf = (org: Org) => [...new Set(org.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))];

/** What a job's messages are about (the ledger, the SES tags, the org's reminder ledger). */
function aboutOf(job: ReminderJob): About {
  const day = job.key.slice(job.key.lastIndexOf('#') + 1);
  if (job.kind === 'org') return { kind: 'reminder', campaignId: job.campaign.id, orgId: job.org.id, rule: job.key.split('#')[3] ?? job.rule, day };
  if (job.kind === 'district-digest') return { kind: 'district-digest', campaignId: job.campaign.id, orgId: job.district.id, day };
  return { kind: 'city-digest', campaignId: job.campaign.id, orgId: job.recipient.id, day };
}

/**
 * A job's mail (to the addresses that have not bounced, if any) and a short message to each group robot
 * the org registered, each under its own ledger key (one per channel).
 */
async function render(deps: SweepDeps, job: ReminderJob, byId: Map<string, Org>): Promise<{ key: string; about: About; payload: OutboxPayload }[]> {
  const target = job.kind === 'org' ? job.org : job.kind === 'district-digest' ? job.district : job.recipient;
  const about = aboutOf(job);
  const to = addressesOf(target);
  const out: { key: string; about: About; payload: OutboxPayload }[] = [];
  if (to.length) out.push({ key: job.key, about, payload: mailPayload(await mailOf(deps, job, byId, to)) });
  for (const r of target.robots ?? []) out.push({ key: `${job.key}#robot#${r.kind}`, about, payload: { channel: r.kind, orgId: target.id, job } });
  return out;
}

async function mailOf(deps: SweepDeps, job: ReminderJob, byId: Map<string, Org>, to: string[]) {
  const link = async (org: Org) =>
    `${deps.siteOrigin}/l/${await deps.tokens.link({ orgId: org.id, campaignId: job.campaign.id, role: roleOf(org.kind), version: org.tokenVersion }, deps.linkTtlDays)}`;
  if (job.kind === 'org') {
    const district = job.org.districtId ? byId.get(job.org.districtId) : undefined;
    return reminderMail(job, { routing: routingOf(job.org, job.campaign, byId.get(job.campaign.receiverId), district), link: await link(job.org), to });
  }
  if (job.kind === 'district-digest') return districtDigestMail(job, { link: await link(job.district), to });
  return cityDigestMail(job, { link: await link(job.recipient), to });
}
