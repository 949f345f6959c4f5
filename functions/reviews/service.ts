import type { Org } from '../../schemas/orgs.js';
import type { OrgSummary, Review } from '../../schemas/plans.js';
import type { PrecheckRef, PrecheckResult } from '../../schemas/precheck.js';
import type { ReviewBody } from '../../schemas/reviews.js';
import { DEFAULT_RECEIVER_NAME } from '../plans/routing.js';
import { inAudience, inScope, scopeOf, summarise } from '../plans/rules.js';
import type { PlansDeps, Session } from '../plans/service.js';
import type { SummaryStore } from '../plans/store.js';
import { enqueue, mailPayload, type OutboxClaims, type OutboxQueue } from '../reminders/outbox.js';
import { AppError, forbidden, notFound } from '../shared/errors.js';
import { roleOf } from '../shared/tokens.js';
import type { AuditWriter } from '../audit/store.js';
import { returnMail } from './mails.js';
import { decide, queueRouteOf, returnMailKey, reviewAuditId, reviews } from './rules.js';

/** The domain core of review: a District office checks its schools' plans, the Centre the Direct schools'. */

export interface ReviewDeps extends Pick<PlansDeps, 'orgs' | 'campaigns' | 'tokens' | 'clock'> {
  summaries: Pick<SummaryStore, 'get' | 'put'>;
  /** The outbox: a return's mail is claimed and queued; the mailer sends it once. */
  ledger: OutboxClaims;
  queue: OutboxQueue;
  siteOrigin: string;
  linkTtlDays: number;
  /** The audit trail: every decision is appended (its id is the decision's revision: a repeat appends nothing). */
  audit: AuditWriter;
}

/** Attempts to write the status item before giving up (each lost race means another writer progressed). */
const WRITE_ATTEMPTS = 20;

const WHO_REVIEWS = '县区学校的方案由所属县区教育局（教体办）审核，直属学校的方案由市未成年人心理健康辅导中心审核。';

const notYours = () => notFound('ORG_NOT_FOUND', '没有找到这个单位，或您无权审核它的材料。');

/** Whom a session reviews, or a 403 that says who does. */
export function reviewQueueOf(s: Session): string {
  if (s.grant.role === 'school') throw forbidden('SCHOOL_CANNOT_REVIEW', '学校不能审核材料。');
  const route = queueRouteOf(s.campaign, s.org);
  if (!route) throw forbidden('NOT_A_REVIEWER', WHO_REVIEWS);
  return route;
}

export interface ReviewOutcome {
  org: Org;
  document: string;
  review: Review;
  /** False when the same decision was already recorded (nothing written). */
  changed: boolean;
  /** A return: whether its mail is on the outbox (false when the school has no address to mail). */
  mailed?: boolean;
}

/**
 * Records a reviewer's decision on the latest version of one document. Only the org's reviewer may decide,
 * only about the version it has seen (the latest); a return needs what to fix and by when, and mails the
 * school through the outbox. Repeating the same request changes nothing and sends nothing twice (the mail's
 * ledger key is the decision's revision); a crash after the write is repaired by repeating it.
 */
export async function submitReview(deps: ReviewDeps, s: Session, body: ReviewBody): Promise<ReviewOutcome> {
  reviewQueueOf(s);
  const target = body.org === s.org.id ? s.org : await deps.orgs.get(body.org);
  // Outside the scope and unknown look the same: no hint that an org exists.
  if (!target || !inScope(scopeOf(s.grant.role, s.org), target) || !inAudience(s.campaign, target)) throw notYours();
  if (!reviews(s.campaign, s.org, target)) {
    throw forbidden('NOT_THE_REVIEWER', target.kind === 'school' ? WHO_REVIEWS : '县区本级方案随其报送批次一并报送，不单独审核。');
  }
  const reviewer = { by: `${s.grant.role}:${s.org.id}`, byName: s.org.name };
  let outcome: { review: Review; changed: boolean; before?: Review } | undefined;
  for (let i = 0; i < WRITE_ATTEMPTS && !outcome; i++) {
    const prev: OrgSummary | undefined = await deps.summaries.get(s.campaign.id, target.id);
    const r = decide(s.campaign, prev, body.document, body, reviewer, deps.clock.now());
    const before = prev?.docs[body.document]?.review;
    if (!r.next) outcome = { review: r.review, changed: false, before };
    else if (await deps.summaries.put(r.next, prev?.rev)) outcome = { review: r.review, changed: true, before };
    else await new Promise((ok) => setTimeout(ok, 5 + Math.random() * 20 * (i + 1)));
  }
  if (!outcome) throw new AppError(409, 'BUSY', '该单位的材料正在更新，请稍后再试。');
  const { review, changed, before } = outcome;
  // Also when unchanged: the decision's entry has a fixed id and time, so a repeat after a crash between the
  // two writes adds it once, and a plain repeat adds nothing.
  {
    const stateOf = (r: Review | undefined) => (r ? { state: r.state, version: r.version, ...(r.comment ? { comment: r.comment } : {}), ...(r.dueAt ? { dueAt: r.dueAt } : {}) } : { state: 'submitted' });
    await deps.audit.append({
      campaignId: s.campaign.id,
      orgId: target.id,
      at: review.at,
      id: reviewAuditId(target.id, body.document, review.seq),
      action: review.state === 'accepted' ? 'review.accepted' : 'review.returned',
      actor: reviewer.by,
      actorName: reviewer.byName,
      document: body.document,
      version: review.version,
      before: changed ? stateOf(before) : undefined,
      after: stateOf(review),
    });
  }
  const result: ReviewOutcome = { org: target, document: body.document, review, changed };
  // Also when unchanged: a repeated request queues a mail that a crash kept from the outbox (the ledger
  // key makes a mail already claimed or sent a no-op).
  if (review.state === 'returned') result.mailed = await mailReturn(deps, s, target, body.document, review);
  return result;
}

async function mailReturn(deps: ReviewDeps, s: Session, target: Org, document: string, review: Review): Promise<boolean> {
  const to = [...new Set(target.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))];
  if (!to.length) return false;
  const doc = s.campaign.documents.find((d) => d.kind === document);
  const token = await deps.tokens.link({ orgId: target.id, campaignId: s.campaign.id, role: roleOf(target.kind), version: target.tokenVersion }, deps.linkTtlDays);
  const phone = s.org.contacts.find((c) => c.phone);
  const mail = returnMail({
    campaign: s.campaign,
    org: target,
    documentTitle: doc?.title ?? document,
    review,
    link: `${deps.siteOrigin}/l/${token}`,
    reviewerContact: phone ? `${s.org.name} ${phone.name}（电话 ${phone.phone}）` : s.org.name,
    signature: s.org.kind === 'district' ? s.org.name : DEFAULT_RECEIVER_NAME,
    to,
  });
  await enqueue({ ledger: deps.ledger, queue: deps.queue, now: () => deps.clock.now() }, [
    {
      key: returnMailKey(s.campaign.id, target.id, document, review.seq),
      about: { kind: 'review-return', campaignId: s.campaign.id, orgId: target.id },
      payload: mailPayload(mail),
    },
  ]);
  return true;
}

/**
 * A reviewer's queue: the schools it reviews (a District office also sees its own plans), each document with
 * its review state, newest uploads first within each state.
 */
export async function reviewQueue(deps: PlansDeps & { prechecks?: (refs: PrecheckRef[]) => Promise<PrecheckResult[]> }, s: Session) {
  const route = reviewQueueOf(s);
  const [orgs, summaries] = await Promise.all([deps.orgs.list(route), deps.summaries.listRoute(s.campaign.id, route)]);
  const { rows } = summarise(s.campaign, orgs, summaries, s.org.kind === 'district' ? [s.org] : []);
  const schools = rows.filter((r) => r.kind === 'school');
  // The advisory pre-check of each latest version (one BatchGetItem per 100 documents).
  const refs = schools.flatMap((r) => r.documents.filter((d) => d.lastUploadId).map((d) => ({ campaignId: s.campaign.id, orgId: r.orgId, document: d.document, uploadId: d.lastUploadId as string })));
  const found = deps.prechecks && refs.length ? await deps.prechecks(refs) : [];
  return {
    campaign: s.campaign,
    reviewer: s.org,
    own: rows.find((r) => r.orgId === s.org.id),
    schools,
    prechecks: new Map(found.map((p) => [p.uploadId, p])),
  };
}
export type ReviewQueue = Awaited<ReturnType<typeof reviewQueue>>;
