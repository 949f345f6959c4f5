import type { Campaign } from '../../schemas/campaigns.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import type { Exemption, Extension, OrgSummary, SchoolsDue } from '../../schemas/plans.js';
import type { ExemptionBody, ExtensionBody, SchoolsDeadlineBody } from '../../schemas/terms.js';
import { missingOf } from '../plans/rules.js';
import { endOfBeijingDay } from '../reviews/rules.js';
import { DAY_MS, formatBeijing } from '../shared/clock.js';
import { badRequest } from '../shared/errors.js';

/**
 * Pure rules of the terms an org is held to (issue 7, items 1, 4 and 5):
 *  - an **extension** (the Bureau): the org's own deadline, the end of a Beijing day after the campaign's;
 *    lateness is judged by it (functions/plans/rules.ts effectiveDeadline) and reminders follow it;
 *  - an **exemption** (免报; the Bureau for any org of the audience, a District office for its own schools):
 *    the org owes nothing while it stands — `missing` is empty, so it leaves the owing index, the totals and
 *    the counts — and owes again when it is revoked;
 *  - a District office's **internal deadline for its schools** (on its own status item): its schools are
 *    reminded against it and their upload page asks for it; official lateness does not move.
 * Each is a field of a status item, written with the item's optimistic concurrency.
 */

/** The status item's field each kind of term lives in. */
export type TermField = 'extension' | 'exemption' | 'schoolsDueAt';
type TermOf<F extends TermField> = F extends 'extension' ? Extension : F extends 'exemption' ? Exemption : SchoolsDue;

/** Who decides: "city:<id>" or "district:<id>", and the org's name then. */
export interface Decider {
  by: string;
  byName: string;
}

/** How far after the campaign's deadline an extension may reach. */
export const MAX_EXTENSION_DAYS = 180;

/** What a decision says (the rest — who, when, the revision — is bookkeeping): the same content is no change. */
const CONTENT: Record<TermField, readonly string[]> = { extension: ['dueAt', 'reason'], exemption: ['kind', 'reason'], schoolsDueAt: ['dueAt'] };
const contentOf = (field: TermField, t: object | undefined) => (t ? CONTENT[field].map((k) => (t as Record<string, unknown>)[k]) : undefined);

/** The due instant of a Beijing day "2019-07-05" (its end), or a 400. */
function dueAtOf(dueDate: string | undefined): string {
  if (!dueDate) throw badRequest('DUE_DATE_REQUIRED', '请填写日期。');
  const dueAt = endOfBeijingDay(dueDate);
  if (!dueAt) throw badRequest('DUE_DATE_INVALID', '日期无效，请重新选择。');
  return dueAt;
}

const reasonOf = (reason: string | undefined) => {
  if (!reason) throw badRequest('REASON_REQUIRED', '请填写原因。');
  return reason;
};

const decided = (d: Decider, now: Date) => ({ by: d.by, byName: d.byName, at: now.toISOString(), seq: 0 });

/**
 * The extension a body asks for (undefined: revoke), or a 400: after the campaign's deadline (an earlier
 * date would be no extension), at most MAX_EXTENSION_DAYS after it, with a reason. It may lie in the past:
 * the Bureau may excuse a late org after the fact (its documents are then judged on time by the new date).
 */
export function extensionOf(c: Pick<Campaign, 'deadline'>, body: ExtensionBody, d: Decider, now: Date): Extension | undefined {
  if (body.action === 'revoke') return undefined;
  const dueAt = dueAtOf(body.dueDate);
  if (Date.parse(dueAt) <= Date.parse(c.deadline)) throw badRequest('EXTENSION_NOT_LATER', `延期后的截止日期应晚于原截止时间（${formatBeijing(c.deadline)}）。`);
  if (Date.parse(dueAt) > Date.parse(c.deadline) + MAX_EXTENSION_DAYS * DAY_MS) throw badRequest('EXTENSION_TOO_FAR', `延期不能超过原截止时间后 ${MAX_EXTENSION_DAYS} 天。`);
  return { dueAt, reason: reasonOf(body.reason), ...decided(d, now) };
}

/** The exemption a body asks for (undefined: revoke), or a 400: a kind and a reason. */
export function exemptionOf(body: ExemptionBody, d: Decider, now: Date): Exemption | undefined {
  if (body.action === 'revoke') return undefined;
  if (!body.kind) throw badRequest('KIND_REQUIRED', '请选择免报类型（关停、合并、不适用或其他）。');
  return { kind: body.kind, reason: reasonOf(body.reason), ...decided(d, now) };
}

/**
 * A District's internal deadline for its schools (undefined: remove it), or a 400: before the campaign's
 * deadline (it is the District's own earlier date), and not already past.
 */
export function schoolsDueOf(c: Pick<Campaign, 'deadline'>, body: SchoolsDeadlineBody, d: Decider, now: Date): SchoolsDue | undefined {
  if (body.action === 'revoke') return undefined;
  const dueAt = dueAtOf(body.dueDate);
  if (Date.parse(dueAt) >= Date.parse(c.deadline)) throw badRequest('SCHOOLS_DUE_NOT_EARLIER', `内部截止时间应早于全市截止时间（${formatBeijing(c.deadline)}）。`);
  if (Date.parse(dueAt) < now.getTime()) throw badRequest('DUE_DATE_PAST', '内部截止日期不能早于今天。');
  return { dueAt, ...decided(d, now) };
}

/**
 * The org's status item with one term set (or removed, `value` undefined), its revision bumped, and what it
 * owes, its route and its snapshot restated (an exemption moves it out of the owing index, a revocation back
 * in); the decision's `seq` is that revision. Undefined when the item already says the same (a repeated
 * request changes nothing). `prev` undefined: the org has no status item yet (an org outside the audience,
 * e.g. a District office whose own plans are not asked for but whose schools are): one is made.
 */
export function withTerm<F extends TermField>(c: Campaign, org: Org, prev: OrgSummary | undefined, field: F, value: TermOf<F> | undefined): OrgSummary | undefined {
  const base: OrgSummary = prev ?? { campaignId: c.id, orgId: org.id, rev: 0, docs: {} };
  if (JSON.stringify(contentOf(field, base[field])) === JSON.stringify(contentOf(field, value))) return undefined;
  const next: OrgSummary = structuredClone(base);
  next.rev = base.rev + 1;
  if (value) (next as Record<TermField, unknown>)[field] = { ...value, seq: next.rev };
  else delete next[field];
  return { ...next, routeKey: routeKeyOf(org), org, missing: missingOf(c, org, next.docs, next.exemption), reminded: next.reminded ?? {} };
}

/** The audit entry's id of a decision: the term and the status item's revision it was written at. */
export const termsAuditId = (field: TermField, orgId: string, seq: number) => `${field}#${orgId}#${seq}`;

/** What the audit trail records of a term (its fields by their names in AUDIT_FIELD_LABEL). */
export function auditState(field: TermField, t: Extension | Exemption | SchoolsDue | undefined): Record<string, string> {
  if (!t) return {};
  if (field === 'exemption') return { kind: (t as Exemption).kind, reason: (t as Exemption).reason };
  return { deadline: (t as Extension).dueAt, ...('reason' in t ? { reason: t.reason } : {}) };
}
