import type { Campaign, RequiredDocument } from '../../schemas/campaigns.js';
import { DIRECT_ROUTE_KEY, type Org, districtRouteKey, routeKeyOf } from '../../schemas/orgs.js';
import type { OrgSummary } from '../../schemas/plans.js';
import { type DigestPolicy, type ReminderPolicy, policyOf } from '../../schemas/reminders.js';
import { BEIJING_OFFSET_MS, beijingDay, DAY_MS } from '../shared/clock.js';
import { inAudience, summarise } from '../plans/rules.js';
import type { OrgRule, Owing, ReminderJob } from './jobs.js';

/**
 * The reminder planner: which mails a daily sweep owes at an instant, from the campaign's policy, the
 * org registry as it is now and the orgs' status items. Pure (no AWS, no clock of its own): the sweep
 * passes its scheduled time as `now`, claims each job's key in the send ledger and enqueues it.
 *
 * Days are Beijing calendar days (UTC+8, no DST). The deadline's day is the Beijing day of the last
 * instant still on time (the deadline minus 1 ms), so "before 1 July" (2019-07-01T00:00+08:00) and
 * "by 30 June 23:59:59.999" both fall on 30 June.
 */

/** One org that still owes something, as the owing index gives it: the org's snapshot and what it owes. */
export interface OwingOrg {
  org: Org;
  /** Document kinds it has no accepted version of (not empty). */
  missing: string[];
}

export interface PlanInput {
  campaign: Campaign;
  /** The orgs that still owe something (the owing index: a moved school is digested by its current District). */
  owing: OwingOrg[];
  /** Who may receive a digest, as the registry says now: District offices, the Bureau, the Centre. */
  directory: Org[];
  /** How many orgs of the audience each route key has (the city digest's "of N"). */
  expected: Record<string, number>;
  /** The sweep's instant (its scheduled time: a sweep that starts a moment early must still plan the day). */
  now: Date;
  /** A closed campaign reminds nobody. */
  closed?: boolean;
  /**
   * The deadline an org is reminded against (ISO). Default: the campaign's. The sweep passes
   * functions/plans/rules.ts reminderDeadline: the org's extension, else (a school) its District office's
   * internal deadline for its schools, else the campaign's. The org's own reminders (before, on the day,
   * overdue) follow it; digests follow the campaign's.
   */
  deadlineOf?: (org: Org) => string;
}

/**
 * The planner's input from the whole registry and every status item (tests, and the city-scale check
 * that the owing index gives the same plan): what a sweep reads from the owing index, the directory and
 * the audience counts.
 */
export type RegistryPlanInput = Omit<PlanInput, 'owing' | 'directory' | 'expected'> & { orgs: Org[]; summaries: OrgSummary[] };
export function fromRegistry(input: RegistryPlanInput): PlanInput {
  const { orgs, summaries, ...rest } = input;
  const { rows } = summarise(input.campaign, orgs, summaries.filter((x) => x.campaignId === input.campaign.id));
  const byId = new Map(orgs.map((o) => [o.id, o]));
  const expected: Record<string, number> = {};
  // Exempt orgs owe nothing and leave the counts (as they leave the owing index and the AUDIENCE counts).
  for (const r of rows) if (!r.exemption) expected[r.group] = (expected[r.group] ?? 0) + 1;
  return {
    ...rest,
    owing: rows.filter((r) => !r.complete && !r.exemption).map((r) => ({ org: byId.get(r.orgId) as Org, missing: r.documents.filter((d) => d.state === 'missing').map((d) => d.document) })),
    directory: orgs.filter((o) => o.kind !== 'school'),
    expected,
  };
}

/** Days since 1970-01-01 on the Beijing calendar. */
export const beijingDayNumber = (t: Date | string) => Math.floor((new Date(t).getTime() + BEIJING_OFFSET_MS) / DAY_MS);

/** Whole Beijing days from `now`'s day to the deadline's day: 0 on the day, negative once it has passed. */
export const daysLeft = (deadline: string, now: Date) => beijingDayNumber(new Date(Date.parse(deadline) - 1)) - beijingDayNumber(now);

/** Minutes since Beijing midnight of an instant, or of an "HH:mm" policy time. */
const minuteOfDay = (t: Date) => Math.floor((((t.getTime() + BEIJING_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / 60_000);
const atMinute = (at: string) => Number(at.slice(0, 2)) * 60 + Number(at.slice(3, 5));

/**
 * The org reminder a policy sends `left` days before an org's deadline (0: its day, negative: after),
 * or undefined. `passed`: the deadline instant is already behind the sweep (possible on its own day
 * when the deadline is earlier in the day than the sweep).
 * - before: on each of `beforeDays`;
 * - due-day: on the day itself (`onTheDay`), or overdue when the deadline passed earlier that day;
 * - overdue: on the first day after the deadline's day, then every `overdueEveryDays` (0: never),
 *   up to `stopAfterDays` after it.
 */
export function orgRuleOn(policy: ReminderPolicy, left: number, passed: boolean): { rule: OrgRule; label: string } | undefined {
  if (left > 0) return policy.beforeDays.includes(left) ? { rule: 'before', label: `before-${left}` } : undefined;
  if (left === 0) return policy.onTheDay ? (passed ? { rule: 'overdue', label: 'overdue-0' } : { rule: 'due-day', label: 'due-day' }) : undefined;
  const over = -left;
  if (over > policy.stopAfterDays || policy.overdueEveryDays === 0 || (over - 1) % policy.overdueEveryDays !== 0) return undefined;
  return { rule: 'overdue', label: `overdue-${over}` };
}

/** Whether a daily digest goes out `left` days before the deadline: from `fromDaysBefore`, until `stopAfterDays` after it. */
export const digestOn = (policy: ReminderPolicy, digest: DigestPolicy, left: number) =>
  digest.enabled && left <= digest.fromDaysBefore && -left <= policy.stopAfterDays;

/** An org can be reminded through a contact e-mail that has not bounced, or a registered group robot. */
export const reachable = (org: Org) => org.contacts.some((c) => c.email && !c.invalid) || !!org.robots?.length;

/** The status page's order: Districts by route key (the office first), Direct schools last. */
const inRouteOrder = (a: { group: string; org: Org }, b: { group: string; org: Org }) =>
  Number(a.group === DIRECT_ROUTE_KEY) - Number(b.group === DIRECT_ROUTE_KEY) ||
  a.group.localeCompare(b.group) ||
  Number(a.org.kind !== 'district') - Number(b.org.kind !== 'district') ||
  a.org.id.localeCompare(b.org.id);

/** Ledger keys: what the mail is about, the rule and the Beijing day. */
export const orgReminderKey = (campaignId: string, orgId: string, label: string, day: string) => `remind#${campaignId}#${orgId}#${label}#${day}`;
export const digestKey = (campaignId: string, recipientId: string, day: string) => `digest#${campaignId}#${recipientId}#${day}`;

/**
 * The jobs due at `now`: nothing before the policy's `at` time on `now`'s Beijing day (the day's sweep
 * has not run yet), the day's jobs from then on; the same instant, or a later one the same day, gives
 * the same keys (the ledger sends each once).
 */
export function planReminders(input: PlanInput): ReminderJob[] {
  const { campaign, now } = input;
  if (input.closed) return [];
  const policy = policyOf(campaign);
  if (minuteOfDay(now) < atMinute(policy.at)) return [];
  const day = beijingDay(now);
  const deadlineOf = input.deadlineOf ?? (() => campaign.deadline);

  const owingOf = ({ org, missing }: OwingOrg): Owing & { group: string } => {
    const kinds = new Set(missing);
    const contact = org.contacts.find((c) => c.phone) ?? org.contacts[0];
    return {
      group: routeKeyOf(org),
      org,
      missing: campaign.documents.filter((d: RequiredDocument) => kinds.has(d.kind)),
      ...(contact ? { contact: { name: contact.name, ...(contact.phone ? { phone: contact.phone } : {}) } } : {}),
      reachable: reachable(org),
    };
  };
  // In route order (Districts by route key, the office first, Direct schools last), like the status page.
  const owing = input.owing
    .filter((o) => o.missing.length && inAudience(campaign, o.org))
    .map(owingOf)
    .filter((o) => o.missing.length)
    .sort(inRouteOrder);
  const orgs = input.directory;
  const byId = new Map([...orgs, ...owing.map((o) => o.org)].map((o) => [o.id, o]));
  const jobs: ReminderJob[] = [];

  // 1. Each org that owes something, on its rule's days (through its contacts' e-mail only).
  for (const o of owing) {
    if (!o.reachable) continue;
    const deadline = deadlineOf(o.org);
    const left = daysLeft(deadline, now);
    const r = orgRuleOn(policy, left, now.getTime() > Date.parse(deadline));
    if (!r) continue;
    jobs.push({
      kind: 'org',
      key: orgReminderKey(campaign.id, o.org.id, r.label, day),
      campaign,
      org: o.org,
      rule: r.rule,
      daysLeft: left,
      deadline,
      missing: o.missing,
    });
  }

  const left = daysLeft(campaign.deadline, now);
  const plain = ({ group: _group, ...rest }: Owing & { group: string }): Owing => rest;
  const schoolsOf = (district: Org) => owing.filter((o) => o.org.kind === 'school' && o.group === districtRouteKey(district.id)).map(plain);

  // 2. Each District office with schools that still owe (as the registry says now): one digest a day.
  const districts = orgs.filter((o) => o.kind === 'district').sort((a, b) => a.id.localeCompare(b.id));
  const owingSchools = new Map(districts.map((d) => [d.id, schoolsOf(d)]));
  if (digestOn(policy, policy.districtDigest, left)) {
    for (const district of districts) {
      const schools = owingSchools.get(district.id) ?? [];
      if (!schools.length || !reachable(district)) continue;
      jobs.push({ kind: 'district-digest', key: digestKey(campaign.id, district.id, day), campaign, district, daysLeft: left, deadline: campaign.deadline, schools });
    }
  }

  // 3. The Bureau and the Centre: one digest a day each while anyone owes.
  if (owing.length && digestOn(policy, policy.cityDigest, left)) {
    const expected = new Map(Object.entries(input.expected));
    const perDistrict = districts
      .filter((d) => expected.has(districtRouteKey(d.id)))
      .map((district) => ({
        district,
        owing: owing.filter((o) => o.group === districtRouteKey(district.id)).map(plain),
        expected: expected.get(districtRouteKey(district.id)) ?? 0,
      }));
    const direct = owing.filter((o) => o.group === DIRECT_ROUTE_KEY).map(plain);
    // Who cannot be mailed: every org that owes something and has no contact e-mail, and every District
    // office with no contact e-mail whose schools owe (its District digest cannot reach it; its own
    // `missing` may be empty). Listed so that someone calls them.
    const unreachable = owing.filter((o) => !o.reachable);
    if (policy.districtDigest.enabled) {
      for (const d of districts) {
        const schoolsOwe = (owingSchools.get(d.id) ?? []).length > 0;
        if (schoolsOwe && !reachable(d) && !unreachable.some((u) => u.org.id === d.id))
          unreachable.push({ group: districtRouteKey(d.id), org: d, missing: [], reachable: false });
      }
    }
    unreachable.sort(inRouteOrder);
    const recipients = [...new Set([campaign.receiverId, ...orgs.filter((o) => o.kind === 'bureau').map((o) => o.id)])]
      .map((id) => byId.get(id))
      .filter((o): o is Org => !!o && reachable(o));
    for (const recipient of recipients) {
      jobs.push({
        kind: 'city-digest',
        key: digestKey(campaign.id, recipient.id, day),
        campaign,
        recipient,
        daysLeft: left,
        deadline: campaign.deadline,
        districts: perDistrict,
        direct,
        directExpected: expected.get(DIRECT_ROUTE_KEY) ?? 0,
        unreachable: unreachable.map(plain),
      });
    }
  }
  return jobs;
}
