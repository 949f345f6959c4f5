import type { Campaign, RequiredDocument } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';

/**
 * What a reminder sweep decides to send (functions/reminders/plan.ts) and the mail templates render
 * (functions/reminders/mails.ts). Pure data: no AWS, no I/O. Every job has a deterministic ledger key
 * naming what it is about, the rule and the Beijing day, so a repeated sweep sends nothing twice.
 */

/** Why an org is reminded: before its deadline (N days left), on the day itself, or overdue. */
export type OrgRule = 'before' | 'due-day' | 'overdue';

/** One org that still owes documents, as a digest lists it. */
export interface Owing {
  org: Org;
  /** The documents it has not handed in (no accepted version). */
  missing: RequiredDocument[];
  /** The contact a digest names (first contact with a phone, else the first). */
  contact?: { name: string; phone?: string };
  /** False when the org has no contact e-mail (it cannot be reminded: the Bureau's digest says so). */
  reachable: boolean;
}

export type ReminderJob =
  | {
      kind: 'org';
      /** e.g. remind#2019-plans#s-donghu-wutong#before-7#20190623 */
      key: string;
      campaign: Campaign;
      org: Org;
      rule: OrgRule;
      /** Whole Beijing days from the sweep's day to the deadline's day (0 on the day; negative overdue). */
      daysLeft: number;
      /** The org's effective deadline (ISO UTC). */
      deadline: string;
      missing: RequiredDocument[];
    }
  | {
      kind: 'district-digest';
      /** e.g. digest#2019-plans#d-donghu#20190627 */
      key: string;
      campaign: Campaign;
      district: Org;
      daysLeft: number;
      deadline: string;
      /** Its schools that still owe something (named, with their documents and contact). */
      schools: Owing[];
    }
  | {
      kind: 'city-digest';
      /** e.g. digest#2019-plans#centre#20190627 — one per recipient org (the Bureau, the Centre). */
      key: string;
      campaign: Campaign;
      recipient: Org;
      daysLeft: number;
      deadline: string;
      /** Per District (in route-key order): its office and schools that still owe something. */
      districts: { district: Org; owing: Owing[]; expected: number }[];
      /** Direct schools that still owe something. */
      direct: Owing[];
      directExpected: number;
      /** Orgs in the audience with no contact e-mail (never reminded): listed so someone calls them. */
      unreachable: Owing[];
    };
