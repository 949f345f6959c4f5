/**
 * Review as a District office and the Centre meet it, over real HTTP on the emulators: the queue page, accept
 * and return (JSON and the page's form), the school's page and the mail it gets, a re-upload back in the
 * queue; who may review whom; invalid decisions change nothing.
 * Orgs: it-rv-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { clockOf } from '../../functions/shared/clock.js';
import { readEnv } from '../../functions/shared/env.js';
import { minimalPdf } from '../fixtures/files.js';
import { CAMPAIGN, call, expectHtmlError, expectJsonError, importOrgs, postToS3, requestUpload, seedCampaign, sessionFor, summaryItem, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = (seeded.documents[0] as { kind: string }).kind;
const DOC2 = (seeded.documents[1] as { kind: string }).kind;
const D = 'it-rv-d';
const D2 = 'it-rv-d2';
const A = 'it-rv-a';
const B = 'it-rv-b';
const X = 'it-rv-x';
const DIRECT = 'it-rv-direct';
const B_MAIL = 'it-rv-b@example.org';

/** A Beijing calendar day n days after the runtime's domain "now". */
const dayAfter = (n: number) => new Date(clockOf(readEnv(process.env)).now().getTime() + 8 * 3600_000 + n * 86_400_000).toISOString().slice(0, 10);

const sessions: Record<string, string> = {};
const versions: Record<string, number> = {};

async function upload(orgId: string, document: string, text: string) {
  const bytes = minimalPdf(text);
  const p = await requestUpload(rt, sessions[orgId] as string, { document, fileName: `${text}.pdf`, size: bytes.length });
  expect((await postToS3(p, bytes, `${text}.pdf`)).status).toBe(204);
  const u = await waitValidated(rt, CAMPAIGN, orgId, document, p.uploadId);
  expect(u).toMatchObject({ state: 'accepted' });
  return u.version as number;
}

const decide = (_orgId: string, body: Record<string, unknown>, cookie = sessions[D] as string, headers: Record<string, string> = {}) =>
  call(rt, '/api/reviews', { cookie, json: body, headers });

interface StoredMail {
  destination: { to: string[] | string };
  subject: string;
  body: { text: string; html: string };
}
const mailsTo = async (address: string) => {
  const r = await fetch(`${rt.sesUrl}/store`);
  const mails = ((await r.json()) as { emails: StoredMail[] }).emails;
  // Receipts go to the same address: only returns count here.
  return mails.filter((m) => m.subject.startsWith('【需修改】') && [m.destination.to].flat().map((a) => String(a).toLowerCase()).includes(address));
};
async function waitMails(address: string, n: number, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const mails = await mailsTo(address);
    if (mails.length >= n || Date.now() > until) return mails;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

beforeAll(async () => {
  await importOrgs(rt, [
    `${D},集成测试审核县区教体局,district,,,审核员,it-rv-d@example.org,0791-80000001`,
    `${D2},集成测试另一县区教体局,district,,,,,`,
    `${A},集成测试审核甲小学,school,${D},,,,`,
    `${B},集成测试审核乙小学,school,${D},,乙校老师,${B_MAIL},0791-80000002`,
    `${X},集成测试外县小学,school,${D2},,,,`,
    `${DIRECT},集成测试直属中学,school,,局属学校,,,`,
  ]);
  // As the operator does after an import: the new orgs with an address get their invitation (so another file's
  // "invitations again send nothing" holds whatever the order).
  await rt.ops.sendInvites(CAMPAIGN);
  for (const id of [D, D2, A, B, X, DIRECT, 'centre', 'bureau']) sessions[id] = (await sessionFor(rt, id)).cookie;
  versions[A] = await upload(A, DOC, 'rv-a-1');
  versions[B] = await upload(B, DOC, 'rv-b-1');
  versions[X] = await upload(X, DOC, 'rv-x-1');
  versions[DIRECT] = await upload(DIRECT, DOC, 'rv-direct-1');
});

const reviewOf = async (orgId: string, doc = DOC) => ((await summaryItem(rt, CAMPAIGN, orgId)) as { docs: Record<string, { review?: Record<string, unknown> }> }).docs[doc]?.review;

describe('a District office reviews its schools', () => {
  it('its queue lists its own schools waiting for review, never another District’s or a Direct school', async () => {
    const r = await call(rt, '/review', { cookie: sessions[D] });
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.text).toContain(`data-org="${A}" data-doc="${DOC}" data-review-state="submitted"`);
    expect(r.text).toContain(`data-org="${B}" data-doc="${DOC}" data-review-state="submitted"`);
    expect(r.text).not.toContain(X);
    expect(r.text).not.toContain(DIRECT);
    expect(r.text).toContain('辖区学校方案审核');
    // Each version's advisory pre-check shows beside it once the precheck function has read the file.
    const until = Date.now() + 15_000;
    let page = r.text;
    while (Date.now() < until && /data-precheck="pending"/.test(page)) {
      await new Promise((ok) => setTimeout(ok, 200));
      page = (await call(rt, '/review', { cookie: sessions[D] })).text;
    }
    expect(page).not.toContain('data-precheck="pending"');
    expect(page).toMatch(/data-precheck="(ok|no-text|failed|unsupported)"/);
  });

  it('accepts a version; the same decision again changes nothing', async () => {
    const r = await decide(A, { org: A, document: DOC, version: versions[A], decision: 'accept' });
    expect(r.status, r.text).toBe(200);
    expect(r.json()).toMatchObject({ org: A, document: DOC, changed: true, review: { state: 'accepted', version: versions[A], by: `district:${D}`, byName: '集成测试审核县区教体局' } });
    const before = await summaryItem(rt, CAMPAIGN, A);
    const again = await decide(A, { org: A, document: DOC, version: versions[A], decision: 'accept' });
    expect(again.json()).toMatchObject({ changed: false });
    expect(await summaryItem(rt, CAMPAIGN, A)).toEqual(before);
    const page = await call(rt, '/status', { cookie: sessions[D] });
    expect(page.text).toMatch(new RegExp(`data-org="${A}"[\\s\\S]*?data-review="accepted"`));
    // The trail has the decision once, with who and what changed.
    const trail = await call(rt, `/api/audit?org=${A}`, { cookie: sessions.bureau });
    const reviewsOfA = (trail.json().events as { action: string }[]).filter((e) => e.action.startsWith('review.'));
    expect(reviewsOfA).toEqual([
      expect.objectContaining({ action: 'review.accepted', actor: `district:${D}`, document: DOC, version: versions[A], before: { state: 'submitted' }, after: { state: 'accepted', version: versions[A] } }),
    ]);
  });

  it('invalid decisions get a clear 4xx and change nothing', async () => {
    const before = await summaryItem(rt, CAMPAIGN, B);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ org: B, document: DOC, version: versions[B], decision: 'return', dueDate: dayAfter(5) }, 400, 'COMMENT_REQUIRED'],
      [{ org: B, document: DOC, version: versions[B], decision: 'return', comment: '请补充' }, 400, 'DUE_DATE_REQUIRED'],
      [{ org: B, document: DOC, version: versions[B], decision: 'return', comment: '请补充', dueDate: dayAfter(-1) }, 400, 'DUE_DATE_PAST'],
      [{ org: B, document: DOC, version: versions[B], decision: 'return', comment: '请补充', dueDate: '2019-02-30' }, 400, 'DUE_DATE_INVALID'],
      [{ org: B, document: DOC, version: versions[B], decision: 'return', comment: '请补充', dueDate: dayAfter(90) }, 400, 'DUE_DATE_TOO_FAR'],
      [{ org: B, document: DOC2, version: 1, decision: 'accept' }, 409, 'NOTHING_TO_REVIEW'],
      [{ org: B, document: DOC, version: (versions[B] as number) + 1, decision: 'accept' }, 409, 'NOT_LATEST_VERSION'],
      [{ org: B, document: 'no-such-doc', version: 1, decision: 'accept' }, 400, 'UNKNOWN_DOCUMENT'],
      [{ org: B, document: DOC, version: versions[B], decision: 'approve' }, 400, 'VALIDATION'],
      [{ org: B, document: DOC, version: versions[B], decision: 'accept', extra: 1 }, 400, 'VALIDATION'],
      [{ org: B, document: DOC, version: versions[B], decision: 'accept', comment: '长'.repeat(501) }, 400, 'VALIDATION'],
      [{ org: 'CITY', document: DOC, version: 1, decision: 'accept' }, 400, 'VALIDATION'],
    ];
    for (const [body, status, code] of cases) expectJsonError(await decide(B, body), status, code);
    expectJsonError(await call(rt, '/api/reviews', { cookie: sessions[D], body: '{"org":', headers: { 'content-type': 'application/json' } }), 400, 'BAD_JSON');
    expect(await summaryItem(rt, CAMPAIGN, B)).toEqual(before);
  });

  it('returns a version from the page’s form: the school is mailed what to fix and by when, and its page says so', async () => {
    const due = dayAfter(5);
    const form = new URLSearchParams({ org: B, document: DOC, version: String(versions[B]), decision: 'return', comment: '缺少“危机干预”部分，请补充。<b>', dueDate: due });
    const r = await call(rt, '/review', { cookie: sessions[D], body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status, r.text.slice(0, 300)).toBe(303);
    expect(r.headers.get('location')).toBe(`/review?done=return&org=${B}&doc=${DOC}#r-${B}-${DOC}`);
    expect(await reviewOf(B)).toMatchObject({ state: 'returned', comment: '缺少“危机干预”部分，请补充。<b>', version: versions[B] });

    const [mail, ...more] = await waitMails(B_MAIL, 1);
    expect(more).toHaveLength(0);
    expect(mail?.subject).toContain('【需修改】');
    expect(mail?.body.text).toContain('缺少“危机干预”部分，请补充。<b>');
    expect(mail?.body.html).toContain('缺少“危机干预”部分，请补充。&lt;b&gt;');
    expect(mail?.body.text).toMatch(/\/l\/[A-Za-z0-9_.-]+/);

    const page = await call(rt, '/upload', { cookie: sessions[B] });
    expect(page.text).toContain('data-review="returned"');
    expect(page.text).toContain('缺少“危机干预”部分，请补充。&lt;b&gt;');
    const queue = await call(rt, `/review?done=return&org=${B}&doc=${DOC}`, { cookie: sessions[D] });
    expect(queue.text).toContain('data-done="return"');
    expect(queue.text).toContain(`data-org="${B}" data-doc="${DOC}" data-review-state="returned"`);

    // The same form posted again (a double tap) neither writes nor mails again.
    const before = await summaryItem(rt, CAMPAIGN, B);
    expect((await call(rt, '/review', { cookie: sessions[D], body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(303);
    expect(await summaryItem(rt, CAMPAIGN, B)).toEqual(before);
    await new Promise((ok) => setTimeout(ok, 500));
    expect(await mailsTo(B_MAIL)).toHaveLength(1);
    const trail = await call(rt, `/api/audit?org=${B}`, { cookie: sessions.bureau });
    expect((trail.json().events as { action: string }[]).filter((e) => e.action === 'review.returned')).toEqual([
      expect.objectContaining({ after: { state: 'returned', version: versions[B], comment: '缺少“危机干预”部分，请补充。<b>', dueAt: expect.stringMatching(/T15:59:59\.999Z$/) } }),
    ]);
  });

  it('the school’s re-upload goes back to the queue, with the earlier return shown', async () => {
    const v2 = await upload(B, DOC, 'rv-b-2');
    expect(v2).toBe((versions[B] as number) + 1);
    const queue = await call(rt, '/review', { cookie: sessions[D] });
    expect(queue.text).toContain(`data-org="${B}" data-doc="${DOC}" data-review-state="submitted"`);
    expect(queue.text).toMatch(/data-previous>第 \d+ 版曾被退回/);
    const page = await call(rt, '/upload', { cookie: sessions[B] });
    expect(page.text).toContain('data-review="submitted"');
    // The old version can no longer be decided on.
    expectJsonError(await decide(B, { org: B, document: DOC, version: versions[B], decision: 'accept' }), 409, 'NOT_LATEST_VERSION');
    expect((await decide(B, { org: B, document: DOC, version: v2, decision: 'accept' })).status).toBe(200);
  });
});

describe('who may review whom', () => {
  it('another District, a school, the Bureau and the Centre cannot decide on a District school; nothing changes', async () => {
    const before = await summaryItem(rt, CAMPAIGN, A);
    expectJsonError(await decide(A, { org: A, document: DOC, version: versions[A], decision: 'return', comment: 'x', dueDate: dayAfter(3) }, sessions[D2]), 404, 'ORG_NOT_FOUND');
    expectJsonError(await decide(A, { org: A, document: DOC, version: versions[A], decision: 'accept' }, sessions[A]), 403, 'SCHOOL_CANNOT_REVIEW');
    expectJsonError(await decide(A, { org: A, document: DOC, version: versions[A], decision: 'accept' }, sessions[B]), 403, 'SCHOOL_CANNOT_REVIEW');
    expectJsonError(await decide(A, { org: A, document: DOC, version: versions[A], decision: 'accept' }, sessions.bureau), 403, 'NOT_A_REVIEWER');
    expectJsonError(await decide(A, { org: A, document: DOC, version: versions[A], decision: 'accept' }, sessions.centre), 403, 'NOT_THE_REVIEWER');
    expectJsonError(await decide(X, { org: X, document: DOC, version: versions[X], decision: 'accept' }), 404, 'ORG_NOT_FOUND');
    expectJsonError(await decide(DIRECT, { org: DIRECT, document: DOC, version: versions[DIRECT], decision: 'accept' }), 404, 'ORG_NOT_FOUND');
    expectJsonError(await decide(D, { org: D, document: DOC, version: 1, decision: 'accept' }), 403, 'NOT_THE_REVIEWER');
    expect(await summaryItem(rt, CAMPAIGN, A)).toEqual(before);
  });

  it('a form posted from another site is refused and changes nothing', async () => {
    const before = await summaryItem(rt, CAMPAIGN, A);
    const form = new URLSearchParams({ org: A, document: DOC, version: String(versions[A]), decision: 'return', comment: '跨站', dueDate: dayAfter(3) });
    const r = await call(rt, '/review', { cookie: sessions[D], body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' } });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/review?error=OTHER&org=${A}&doc=${DOC}#r-${A}-${DOC}`);
    expectJsonError(await decide(A, { org: A, document: DOC, version: versions[A], decision: 'accept' }, sessions[D], { origin: 'https://evil.example' }), 403, 'CROSS_SITE');
    expect(await summaryItem(rt, CAMPAIGN, A)).toEqual(before);
  });

  it('a refused form goes back to the page, which says why next to the document', async () => {
    const before = await summaryItem(rt, CAMPAIGN, A);
    const form = new URLSearchParams({ org: A, document: DOC, version: String(versions[A]), decision: 'return', comment: '', dueDate: dayAfter(3) });
    const r = await call(rt, '/review', { cookie: sessions[D], body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(303);
    const location = r.headers.get('location') as string;
    expect(location).toBe(`/review?error=COMMENT_REQUIRED&org=${A}&doc=${DOC}#r-${A}-${DOC}`);
    const page = await call(rt, location.replace(/#.*/, ''), { cookie: sessions[D] });
    expect(page.text).toContain('data-error="COMMENT_REQUIRED"');
    expect(page.text).toContain('退回时请写明需要修改的内容');
    // A form that is not even well formed: back to the page, no org named.
    const bad = await call(rt, '/review', { cookie: sessions[D], body: 'org=%E0%A4%A', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bad.status).toBe(303);
    expect(bad.headers.get('location')).toBe('/review?error=OTHER');
    // An unknown error code in the address is refused, not shown.
    expectHtmlError(await call(rt, '/review?error=%3Cscript%3E', { cookie: sessions[D] }), 400);
    expect(await summaryItem(rt, CAMPAIGN, A)).toEqual(before);
  });

  it('schools and the Bureau have no review page; the Centre’s lists the Direct schools only', async () => {
    expectHtmlError(await call(rt, '/review', { cookie: sessions[A] }), 403, '学校不能审核材料');
    expectHtmlError(await call(rt, '/review', { cookie: sessions.bureau }), 403);
    expectHtmlError(await call(rt, '/review'), 401);
    const centre = await call(rt, '/review', { cookie: sessions.centre });
    expect(centre.status).toBe(200);
    expect(centre.text).toContain(`data-org="${DIRECT}" data-doc="${DOC}" data-review-state="submitted"`);
    expect(centre.text).not.toContain(A);
    expect(centre.text).not.toContain(X);
    const r = await decide(DIRECT, { org: DIRECT, document: DOC, version: versions[DIRECT], decision: 'accept' }, sessions.centre);
    expect(r.json()).toMatchObject({ changed: true, review: { state: 'accepted', by: 'city:centre' } });
  });
});
