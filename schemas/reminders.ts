import * as z from 'zod/mini';
import type { Campaign } from './campaigns.js';

/**
 * A campaign's reminder policy (the campaign file's optional `reminders` field). Every field is
 * optional in the file; `policyOf` fills in the defaults. The schema carries no Chinese messages of
 * its own (it is bundled into every Lambda through the Campaign schema): `campaignProblems` in
 * local/admin.ts names each field in Chinese with an example.
 */

/** Whole days, e.g. 7 (before the deadline) or 2 (the overdue cadence). */
const days = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));

/** 24-hour Beijing time of the daily sweep, "HH:mm" (e.g. "09:00"). */
export const AT_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

const Digest = z.object({
  enabled: z.optional(z.boolean()),
  /** Daily from this many days before the deadline (0 = from the day itself), and after it. */
  fromDaysBefore: z.optional(days(0, 60)),
});

export const ReminderPolicyInput = z.object({
  /** An org reminder on each of these days before its deadline (distinct whole days, 1–60). */
  beforeDays: z.optional(
    z.array(days(1, 60)).check(
      z.maxLength(10),
      z.refine((a) => new Set(a).size === a.length, { message: 'duplicate' }),
    ),
  ),
  /** An org reminder on the deadline's day itself. */
  onTheDay: z.optional(z.boolean()),
  /** When the daily sweep runs, Beijing time. */
  at: z.optional(z.string().check(z.regex(AT_PATTERN))),
  /** After the deadline, an org reminder every N days (the first on the day after it); 0 = never. */
  overdueEveryDays: z.optional(days(0, 30)),
  /** District offices: a daily digest of their schools that still owe something. */
  districtDigest: z.optional(Digest),
  /** The Bureau and the Centre: a daily digest of everyone who still owes something. */
  cityDigest: z.optional(Digest),
  /** Nothing at all (reminders, digests) later than this many days after the deadline's day. */
  stopAfterDays: z.optional(days(0, 365)),
});
export type ReminderPolicyInput = z.infer<typeof ReminderPolicyInput>;

export interface DigestPolicy {
  enabled: boolean;
  fromDaysBefore: number;
}

/** The policy in force: every field set. */
export interface ReminderPolicy {
  beforeDays: number[];
  onTheDay: boolean;
  at: string;
  overdueEveryDays: number;
  districtDigest: DigestPolicy;
  cityDigest: DigestPolicy;
  stopAfterDays: number;
}

/** 14, 7, 3, 1 days before and on the day, 09:00 Beijing; overdue every 2 days for 30 days; digests in the last week and after. */
export const DEFAULT_REMINDER_POLICY: Readonly<ReminderPolicy> = Object.freeze({
  beforeDays: Object.freeze([14, 7, 3, 1]) as number[],
  onTheDay: true,
  at: '09:00',
  overdueEveryDays: 2,
  districtDigest: Object.freeze({ enabled: true, fromDaysBefore: 7 }),
  cityDigest: Object.freeze({ enabled: true, fromDaysBefore: 7 }),
  stopAfterDays: 30,
});

/** The campaign's policy with the defaults filled in (a campaign without `reminders` gets the defaults). */
export function policyOf(campaign: Pick<Campaign, 'reminders'>): ReminderPolicy {
  const p = campaign.reminders ?? {};
  const d = DEFAULT_REMINDER_POLICY;
  return {
    beforeDays: [...new Set(p.beforeDays ?? d.beforeDays)].sort((a, b) => b - a),
    onTheDay: p.onTheDay ?? d.onTheDay,
    at: p.at ?? d.at,
    overdueEveryDays: p.overdueEveryDays ?? d.overdueEveryDays,
    districtDigest: { ...d.districtDigest, ...defined(p.districtDigest) },
    cityDigest: { ...d.cityDigest, ...defined(p.cityDigest) },
    stopAfterDays: p.stopAfterDays ?? d.stopAfterDays,
  };
}

/** Drops keys whose value is undefined, so they do not override a default in a spread. */
function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * What a schedule delivers to its function (functions/schedules.ts): the job and the firing instant
 * (EventBridge Scheduler's `<aws.scheduler.scheduled-time>`, e.g. "2019-06-23T01:00:00Z"). A retried or
 * repeated delivery names the same instant, so it plans the same ledger keys.
 */
export const ScheduledEvent = z.object({
  job: z.literal('plan-reminders'),
  scheduledAt: z.iso.datetime({ offset: true }),
});
export type ScheduledEvent = z.infer<typeof ScheduledEvent>;
