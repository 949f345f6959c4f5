import type { Campaign } from '../../schemas/campaigns.js';
import { DIRECT_ROUTE_KEY, type Org, routeKeyOf } from '../../schemas/orgs.js';
import type { DocSummary, OrgSummary, Review, ReviewState } from '../../schemas/plans.js';
import { BEIJING_OFFSET_MS, beijingDay, DAY_MS } from '../shared/clock.js';
import { AppError, badRequest } from '../shared/errors.js';

/**
 * Pure rules of review (先将辖区内学校方案收齐统一发送): a District office checks its schools' plans, the
 * Centre (the campaign's receiver) checks the Direct schools'. A District office's own plans are not
 * reviewed one by one: they travel in its bundle, which the Centre receives or returns as a whole.
 *
 *   (no version) ──upload──► submitted ──accept──► accepted
 *                               ▲   └────return──► returned (comment, due date; the school is mailed)
 *                               └──── a newer version (re-upload) ◄───────┘
 */

/** The queue a reviewer works through: a District office its jurisdiction, the receiver the Direct schools. */
export function queueRouteOf(c: Campaign, reviewer: Org): string | undefined {
  if (reviewer.kind === 'district') return routeKeyOf(reviewer);
  if (reviewer.id === c.receiverId && reviewer.kind !== 'school') return DIRECT_ROUTE_KEY;
  return undefined;
}

/** Whether `reviewer` reviews `target`'s documents: only schools are reviewed, each by exactly one org. */
export function reviews(c: Campaign, reviewer: Org, target: Org): boolean {
  const route = queueRouteOf(c, reviewer);
  return target.kind === 'school' && route !== undefined && routeKeyOf(target) === route;
}

/** A document's review state: a decision counts only for the version it was about. */
export function reviewStateOf(d: DocSummary | undefined): ReviewState {
  if (!d?.last) return 'missing';
  const r = d.review;
  return r && r.uploadId === d.last.uploadId ? r.state : 'submitted';
}

/** The end (23:59:59.999, Beijing) of a Beijing calendar day "2019-06-25", as UTC ISO. */
export function endOfBeijingDay(date: string): string | undefined {
  const t = Date.parse(`${date}T00:00:00.000Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== date) return undefined;
  return new Date(t - BEIJING_OFFSET_MS + DAY_MS - 1).toISOString();
}

/** How far ahead a reviewer may set a corrected version's due date. */
export const MAX_DUE_DAYS = 60;

export interface Decision {
  decision: 'accept' | 'return';
  version: number;
  comment?: string;
  dueDate?: string;
}

export interface Reviewer {
  /** "district:<id>" or "city:<id>". */
  by: string;
  byName: string;
}

/**
 * Applies a decision to an org's status item. Returns the next item (its revision bumped) and the review
 * written, or `next` undefined when the same decision is already recorded (a repeated request changes
 * nothing). Throws a 4xx AppError for a decision that is not allowed; the item is then left as it was.
 */
export function decide(
  c: Campaign,
  prev: OrgSummary | undefined,
  document: string,
  input: Decision,
  reviewer: Reviewer,
  now: Date,
): { next?: OrgSummary; review: Review } {
  const doc = c.documents.find((d) => d.kind === document);
  if (!doc) throw badRequest('UNKNOWN_DOCUMENT', '没有这项报送材料。');
  const d = prev?.docs[document];
  if (!prev || !d?.last) throw new AppError(409, 'NOTHING_TO_REVIEW', `该单位尚未提交“${doc.title}”，无法审核。`);
  if (input.version !== d.last.version) {
    throw new AppError(
      409,
      'NOT_LATEST_VERSION',
      input.version < d.last.version
        ? `该单位已提交了更新的版本（第 ${d.last.version} 版），请打开最新版本后再审核。`
        : `没有第 ${input.version} 版；最新为第 ${d.last.version} 版。`,
    );
  }
  const comment = input.comment?.trim() || undefined;
  let dueAt: string | undefined;
  if (input.decision === 'return') {
    if (!comment) throw badRequest('COMMENT_REQUIRED', '退回时请写明需要修改的内容。');
    if (!input.dueDate) throw badRequest('DUE_DATE_REQUIRED', '退回时请填写重新提交的截止日期。');
    dueAt = endOfBeijingDay(input.dueDate);
    if (!dueAt) throw badRequest('DUE_DATE_INVALID', '重新提交的截止日期不是有效日期。');
    if (Date.parse(dueAt) < now.getTime()) throw badRequest('DUE_DATE_PAST', '重新提交的截止日期不能早于今天。');
    if (Date.parse(dueAt) > now.getTime() + MAX_DUE_DAYS * DAY_MS) throw badRequest('DUE_DATE_TOO_FAR', `重新提交的截止日期不能晚于 ${MAX_DUE_DAYS} 天以后。`);
  }
  const state = input.decision === 'accept' ? 'accepted' : 'returned';
  const current = d.review;
  if (current && current.uploadId === d.last.uploadId && current.state === state && current.comment === comment && current.dueAt === dueAt) {
    return { review: current };
  }
  const next: OrgSummary = structuredClone(prev);
  const seq = prev.rev + 1;
  const review: Review = {
    state,
    uploadId: d.last.uploadId,
    version: d.last.version,
    by: reviewer.by,
    byName: reviewer.byName,
    at: now.toISOString(),
    ...(comment ? { comment } : {}),
    ...(dueAt ? { dueAt } : {}),
    seq,
  };
  (next.docs[document] as DocSummary).review = review;
  next.rev = seq;
  return { next, review };
}

/** The send-ledger key of a return's mail, and its audit entry's id: the decision's revision names it. */
export const returnMailKey = (campaignId: string, orgId: string, document: string, seq: number) => `return#${campaignId}#${orgId}#${document}#${seq}`;
export const reviewAuditId = (orgId: string, document: string, seq: number) => `review#${orgId}#${document}#${seq}`;

/** "今天" for a date input: the Beijing day of `now`, as 2019-06-25. */
export const beijingDate = (now: Date) => {
  const d = beijingDay(now);
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
};
