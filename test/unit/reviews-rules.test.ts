import { describe, expect, it } from 'vitest';
import type { OrgSummary } from '../../schemas/plans.js';
import { ReviewBody } from '../../schemas/reviews.js';
import { returnMail } from '../../functions/reviews/mails.js';
import { decide, endOfBeijingDay, queueRouteOf, reviews, reviewStateOf } from '../../functions/reviews/rules.js';
import { AppError } from '../../functions/shared/errors.js';
import { campaign, orgs, summariesOf, upload, uploadId } from './samples.js';

const NOW = new Date('2019-06-20T02:00:00.000Z'); // 20 June, 10:00 in Beijing
const reviewer = { by: 'district:dh', byName: '东湖区教科体局' };
const accepted = (n: number, at: string, over = {}) => upload({ uploadId: uploadId(n), state: 'accepted', receivedAt: at, size: 1000, sha256: 'a'.repeat(64), late: false, ...over });

/** dh-school-1 with version 1 (and version 2 when asked) of the service plan. */
function item(versions = 1): OrgSummary {
  const us = [accepted(1, '2019-06-10T02:00:00.000Z')];
  if (versions > 1) us.push(accepted(2, '2019-06-21T02:00:00.000Z'));
  return summariesOf(us)[0] as OrgSummary;
}

const failure = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const a = e as AppError;
    expect(a.message).toMatch(/[\u4e00-\u9fff]/);
    return { status: a.status, code: a.code };
  }
  throw new Error('expected a failure');
};

describe('who reviews whom', () => {
  it('a District office its own schools, the receiver the Direct schools; nobody a District office or the Bureau', () => {
    expect(reviews(campaign, orgs.dh, orgs.dhSchool1)).toBe(true);
    expect(reviews(campaign, orgs.dh, orgs.xhSchool1)).toBe(false);
    expect(reviews(campaign, orgs.dh, orgs.direct1)).toBe(false);
    expect(reviews(campaign, orgs.dh, orgs.dh)).toBe(false);
    expect(reviews(campaign, orgs.centre, orgs.direct1)).toBe(true);
    expect(reviews(campaign, orgs.centre, orgs.dhSchool1)).toBe(false);
    expect(reviews(campaign, orgs.centre, orgs.dh)).toBe(false);
    expect(reviews(campaign, orgs.bureau, orgs.direct1)).toBe(false);
    expect(reviews(campaign, orgs.dhSchool1, orgs.dhSchool1)).toBe(false);
    expect(reviews(campaign, orgs.dhSchool1, orgs.dhSchool2)).toBe(false);
    expect(queueRouteOf(campaign, orgs.dh)).toBe('D#dh');
    expect(queueRouteOf(campaign, orgs.centre)).toBe('DIRECT');
    expect(queueRouteOf(campaign, orgs.bureau)).toBeUndefined();
  });
});

describe('decide', () => {
  it('accepts the latest version: the review names it and the revision it was written at', () => {
    const prev = item();
    const r = decide(campaign, prev, 'service-plan', { decision: 'accept', version: 1 }, reviewer, NOW);
    expect(r.next?.rev).toBe(prev.rev + 1);
    expect(r.review).toEqual({ state: 'accepted', uploadId: uploadId(1), version: 1, ...reviewer, at: NOW.toISOString(), seq: prev.rev + 1 });
    expect(r.next?.docs['service-plan']?.review).toEqual(r.review);
    expect(reviewStateOf(r.next?.docs['service-plan'])).toBe('accepted');
    // The item it was given is left as it was.
    expect(prev.docs['service-plan']?.review).toBeUndefined();
  });

  it('returns with a comment and the end of the due day (Beijing); the same return again writes nothing', () => {
    const r = decide(campaign, item(), 'service-plan', { decision: 'return', version: 1, comment: '  请补充危机干预部分  ', dueDate: '2019-06-25' }, reviewer, NOW);
    expect(r.review).toMatchObject({ state: 'returned', comment: '请补充危机干预部分', dueAt: '2019-06-25T15:59:59.999Z' });
    const again = decide(campaign, r.next as OrgSummary, 'service-plan', { decision: 'return', version: 1, comment: '请补充危机干预部分', dueDate: '2019-06-25' }, reviewer, NOW);
    expect(again.next).toBeUndefined();
    expect(again.review).toEqual(r.review);
    // A different comment or date is a new decision.
    expect(decide(campaign, r.next as OrgSummary, 'service-plan', { decision: 'return', version: 1, comment: '另一条意见', dueDate: '2019-06-25' }, reviewer, NOW).next).toBeDefined();
    expect(decide(campaign, r.next as OrgSummary, 'service-plan', { decision: 'accept', version: 1 }, reviewer, NOW).review.state).toBe('accepted');
  });

  it('a newer version puts the document back in the queue; the old decision stays for the school to read', () => {
    const returned = decide(campaign, item(), 'service-plan', { decision: 'return', version: 1, comment: '请补充', dueDate: '2019-06-25' }, reviewer, NOW).next as OrgSummary;
    const v2 = summariesOf([accepted(1, '2019-06-10T02:00:00.000Z'), accepted(2, '2019-06-21T02:00:00.000Z')])[0] as OrgSummary;
    const merged: OrgSummary = { ...v2, docs: { 'service-plan': { ...(v2.docs['service-plan'] as NonNullable<OrgSummary['docs'][string]>), review: returned.docs['service-plan']?.review } } };
    expect(reviewStateOf(merged.docs['service-plan'])).toBe('submitted');
    expect(reviewStateOf(undefined)).toBe('missing');
    expect(failure(() => decide(campaign, merged, 'service-plan', { decision: 'accept', version: 1 }, reviewer, NOW))).toEqual({ status: 409, code: 'NOT_LATEST_VERSION' });
    expect(decide(campaign, merged, 'service-plan', { decision: 'accept', version: 2 }, reviewer, NOW).review.version).toBe(2);
  });

  it('refuses what is not allowed, with a code and a Chinese message', () => {
    const prev = item(2);
    const ret = (over: object) => () => decide(campaign, prev, 'service-plan', { decision: 'return', version: 2, comment: '请补充', dueDate: '2019-06-25', ...over }, reviewer, NOW);
    expect(failure(() => decide(campaign, prev, 'crisis-plan', { decision: 'accept', version: 1 }, reviewer, NOW))).toEqual({ status: 409, code: 'NOTHING_TO_REVIEW' });
    expect(failure(() => decide(campaign, undefined, 'service-plan', { decision: 'accept', version: 1 }, reviewer, NOW))).toEqual({ status: 409, code: 'NOTHING_TO_REVIEW' });
    expect(failure(() => decide(campaign, prev, 'other', { decision: 'accept', version: 1 }, reviewer, NOW))).toEqual({ status: 400, code: 'UNKNOWN_DOCUMENT' });
    expect(failure(() => decide(campaign, prev, 'service-plan', { decision: 'accept', version: 3 }, reviewer, NOW))).toEqual({ status: 409, code: 'NOT_LATEST_VERSION' });
    expect(failure(ret({ comment: '   ' }))).toEqual({ status: 400, code: 'COMMENT_REQUIRED' });
    expect(failure(ret({ dueDate: undefined }))).toEqual({ status: 400, code: 'DUE_DATE_REQUIRED' });
    expect(failure(ret({ dueDate: '2019-06-19' }))).toEqual({ status: 400, code: 'DUE_DATE_PAST' });
    expect(failure(ret({ dueDate: '2019-02-29' }))).toEqual({ status: 400, code: 'DUE_DATE_INVALID' });
    expect(failure(ret({ dueDate: '2019-08-20' }))).toEqual({ status: 400, code: 'DUE_DATE_TOO_FAR' });
    // Today (Beijing) is still allowed: the day has not ended.
    expect(decide(campaign, prev, 'service-plan', { decision: 'return', version: 2, comment: '请补充', dueDate: '2019-06-20' }, reviewer, NOW).review.dueAt).toBe('2019-06-20T15:59:59.999Z');
  });

  it('the end of a Beijing day; not a date → undefined', () => {
    expect(endOfBeijingDay('2019-06-30')).toBe('2019-06-30T15:59:59.999Z');
    expect(endOfBeijingDay('2019-13-01')).toBeUndefined();
    expect(endOfBeijingDay('2019-06-31')).toBeUndefined();
  });
});

describe('ReviewBody', () => {
  it('takes the form’s strings and JSON numbers alike; refuses other fields and reserved org ids', () => {
    expect(ReviewBody.parse({ org: 'dh-school-1', document: 'service-plan', version: '2', decision: 'accept' }).version).toBe(2);
    expect(ReviewBody.parse({ org: 'dh-school-1', document: 'service-plan', version: 2, decision: 'accept' }).version).toBe(2);
    expect(ReviewBody.safeParse({ org: 'dh-school-1', document: 'service-plan', version: '0', decision: 'accept' }).success).toBe(false);
    expect(ReviewBody.safeParse({ org: 'dh-school-1', document: 'service-plan', version: 2, decision: 'accept', by: 'city:centre' }).success).toBe(false);
    expect(ReviewBody.safeParse({ org: 'direct', document: 'service-plan', version: 2, decision: 'accept' }).success).toBe(false);
    expect(ReviewBody.safeParse({ org: 'dh-school-1', document: 'service-plan', version: 2, decision: 'accept', comment: 'x'.repeat(501) }).success).toBe(false);
  });
});

describe('returnMail', () => {
  it('says what to fix and by when, with the school’s link; the HTML escapes the reviewer’s words', () => {
    const review = decide(campaign, item(), 'service-plan', { decision: 'return', version: 1, comment: '缺少<危机干预>部分 & 责任人', dueDate: '2019-06-25' }, reviewer, NOW).review;
    const m = returnMail({
      campaign,
      org: orgs.dhSchool1,
      documentTitle: '心理服务体系建设工作实施方案',
      review,
      link: 'https://psy.example.cn/l/abc.def.ghi',
      reviewerContact: '东湖区教科体局 李老师（电话 0791-1）',
      signature: '东湖区教科体局',
      to: ['zhang@dh1.example.cn'],
    });
    expect(m.subject).toBe('【需修改】心理服务体系建设工作实施方案（第 1 版）已退回，请于 6月25日（星期二）23:59 前重新上传');
    expect(m.text).toContain('缺少<危机干预>部分 & 责任人');
    expect(m.text).toContain('https://psy.example.cn/l/abc.def.ghi');
    expect(m.html).toContain('缺少&lt;危机干预&gt;部分 &amp; 责任人');
    expect(m.html).not.toContain('<危机干预>');
    expect(m.to).toEqual(['zhang@dh1.example.cn']);
  });
});
