import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  authenticate,
  createUpload,
  issueLink,
  openLink,
  type Session,
  statusFor,
  validateUpload,
} from '../../functions/plans/service.js';
import { AppError } from '../../functions/shared/errors.js';
import { type Grant, tokenSigner } from '../../functions/shared/tokens.js';
import { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import { IncomingKey, MAX_UPLOAD_BYTES, type Upload, UPLOAD_URL_TTL_SECONDS } from '../../schemas/plans.js';
import {
  FakeCampaignStore,
  FakeObjectStore,
  FakeOrgStore,
  FakePresigner,
  FakeUploadStore,
  FixedClock,
} from './fakes.js';
import { cfbFile, elfExecutable, minimalDocx, minimalPdf, peExecutable, plainZip } from '../fixtures/files.js';
import { allOrgs, campaign, campaignInput, keyBytes, orgs, upload, UPLOAD_ID, uploadId } from './samples.js';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

function world(now = '2019-06-20T02:00:00.000Z') {
  const deps = {
    orgs: new FakeOrgStore(allOrgs),
    campaigns: new FakeCampaignStore([campaign]),
    uploads: new FakeUploadStore(),
    tokens: tokenSigner(async () => keyBytes()),
    clock: new FixedClock(now),
    presigner: new FakePresigner(),
    objects: new FakeObjectStore(),
  };
  return deps;
}
type World = ReturnType<typeof world>;

async function rejection(p: Promise<unknown>) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

const grantFor = (o: Org, role: Grant['role'] = o.kind === 'school' ? 'school' : o.kind === 'district' ? 'district' : 'city'): Grant => ({
  orgId: o.id,
  campaignId: campaign.id,
  role,
  version: o.tokenVersion,
});
const sessionFor = (o: Org, c: Campaign = campaign): Session => ({ grant: { ...grantFor(o), campaignId: c.id }, org: o, campaign: c });

describe('fakes keep the DynamoDB conditions', () => {
  it('create fails if the attempt exists; finish moves only a pending attempt', async () => {
    const s = new FakeUploadStore();
    await s.create(upload());
    await expect(s.create(upload({ originalName: 'other.pdf' }))).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await s.finish(upload(), { state: 'rejected', receivedAt: '2019-06-20T00:00:00.000Z', reason: 'EMPTY' })).toBe(true);
    expect(await s.finish(upload(), { state: 'accepted', receivedAt: '2019-06-20T00:00:01.000Z' })).toBe(false);
    expect((await s.get(upload()))?.state).toBe('rejected');
    expect(await s.finish(upload({ uploadId: uploadId(77) }), { state: 'accepted', receivedAt: 'x' })).toBe(false);
  });
});

describe('openLink / authenticate', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  it('exchanges a valid link for a session of the same grant and role', async () => {
    const { token } = await issueLink(w, 'dh', campaign.id, 60);
    const r = await openLink(w, token);
    expect(r.role).toBe('district');
    expect(await w.tokens.verify(r.session, 'session')).toEqual({ orgId: 'dh', campaignId: '2019-plans', role: 'district', version: 1 });
    const s = await authenticate(w, r.session);
    expect(s.org).toEqual(orgs.dh);
    expect(s.campaign).toEqual(campaign);
  });

  it('gives the Bureau and the Centre the city role', async () => {
    expect((await openLink(w, (await issueLink(w, 'bureau', campaign.id, 60)).token)).role).toBe('city');
    expect((await openLink(w, (await issueLink(w, 'centre', campaign.id, 60)).token)).role).toBe('city');
  });

  it('LINK_REVOKED after the org token version is bumped (links and sessions alike)', async () => {
    const { token } = await issueLink(w, 'dh-school-1', campaign.id, 60);
    const { session } = await openLink(w, token);
    expect(await w.orgs.bumpTokenVersion('dh-school-1')).toBe(2);
    expect(await rejection(openLink(w, token))).toMatchObject({ status: 401, code: 'LINK_REVOKED' });
    expect(await rejection(authenticate(w, session))).toMatchObject({ status: 401, code: 'LINK_REVOKED' });
    const fresh = await issueLink(w, 'dh-school-1', campaign.id, 60);
    expect((await openLink(w, fresh.token)).role).toBe('school');
  });

  it('refuses a link whose role does not match the org kind', async () => {
    const forged = await w.tokens.link(grantFor(orgs.dhSchool1, 'city'), 60);
    expect(await rejection(openLink(w, forged))).toMatchObject({ status: 401, code: 'LINK_INVALID' });
    const session = await w.tokens.session(grantFor(orgs.dhSchool1, 'district'));
    expect(await rejection(authenticate(w, session))).toMatchObject({ status: 401, code: 'NO_SESSION' });
  });

  it('refuses a link for an unknown org or an unknown campaign', async () => {
    const ghostOrg = await w.tokens.link({ orgId: 'ghost', campaignId: campaign.id, role: 'school', version: 1 }, 60);
    expect(await rejection(openLink(w, ghostOrg))).toMatchObject({ status: 401, code: 'LINK_INVALID' });
    const ghostCampaign = await w.tokens.link({ ...grantFor(orgs.dhSchool1), campaignId: '2020-plans' }, 60);
    expect(await rejection(openLink(w, ghostCampaign))).toMatchObject({ status: 401, code: 'LINK_INVALID' });
    const ghostSession = await w.tokens.session({ ...grantFor(orgs.dhSchool1), campaignId: '2020-plans' });
    expect(await rejection(authenticate(w, ghostSession))).toMatchObject({ status: 401, code: 'NO_SESSION' });
  });

  it('refuses a session token given as a link, and no session at all', async () => {
    const session = await w.tokens.session(grantFor(orgs.dhSchool1));
    expect(await rejection(openLink(w, session))).toMatchObject({ status: 401, code: 'LINK_INVALID' });
    expect(await rejection(authenticate(w, undefined))).toMatchObject({ status: 401, code: 'NO_SESSION' });
    expect(await rejection(authenticate(w, ''))).toMatchObject({ status: 401, code: 'NO_SESSION' });
  });

  it('issueLink says which of org and campaign is missing', async () => {
    expect(await rejection(issueLink(w, 'ghost', campaign.id, 60))).toMatchObject({ status: 404, code: 'ORG_NOT_FOUND' });
    expect(await rejection(issueLink(w, 'dh', 'nope', 60))).toMatchObject({ status: 404, code: 'CAMPAIGN_NOT_FOUND' });
  });
});

describe('createUpload', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  const body = (over: Partial<{ document: string; fileName: string; size: number }> = {}) => ({
    document: 'service-plan',
    fileName: '东湖区第一小学实施方案.pdf',
    size: 123_456,
    ...over,
  });

  it('records the pending attempt under a server-chosen key and presigns a POST for it (20 MiB, ≤ 600 s, pinned type)', async () => {
    const before = Date.now();
    const r = await createUpload(w, sessionFor(orgs.dhSchool1), body(), UPLOAD_ID);
    const after = Date.now();
    const key = `incoming/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`;
    expect(w.presigner.calls).toEqual([{ key, contentType: 'application/pdf', maxBytes: 20 * 1024 * 1024, expiresSeconds: 600 }]);
    expect(MAX_UPLOAD_BYTES).toBe(20_971_520);
    expect(UPLOAD_URL_TTL_SECONDS).toBeLessThanOrEqual(600);
    expect(w.uploads.all()).toEqual([
      {
        campaignId: '2019-plans',
        orgId: 'dh-school-1',
        routeKey: 'D#dh',
        document: 'service-plan',
        uploadId: UPLOAD_ID,
        ext: 'pdf',
        originalName: '东湖区第一小学实施方案.pdf',
        declaredSize: 123_456,
        by: 'school:dh-school-1',
        requestedAt: '2019-06-20T02:00:00.000Z',
        state: 'pending',
      } satisfies Upload,
    ]);
    expect(r).toMatchObject({ uploadId: UPLOAD_ID, document: 'service-plan', url: 'https://bucket.example/', fields: { key, 'Content-Type': 'application/pdf' } });
    const exp = Date.parse(r.expiresAt);
    expect(exp).toBeGreaterThanOrEqual(before + 600_000);
    expect(exp).toBeLessThanOrEqual(after + 600_000);
  });

  it('ignores any path in the file name: the key stays under incoming/<campaign>/<org>/<doc>/', async () => {
    await createUpload(w, sessionFor(orgs.dhSchool1), body({ fileName: '../../accepted/2019-plans/dh-school-2/x.pdf' }), UPLOAD_ID);
    expect(w.presigner.calls[0]?.key).toBe(`incoming/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`);
    expect(w.uploads.all()[0]?.originalName).toBe('x.pdf');
  });

  it('sanitises the original name and takes the extension case-insensitively (docx type pinned)', async () => {
    await createUpload(w, sessionFor(orgs.dh), body({ document: 'crisis-plan', fileName: 'C:\\fakepath\\东湖\u202e危机\u0000方案.DOCX' }), UPLOAD_ID);
    expect(w.presigner.calls).toEqual([
      { key: `incoming/2019-plans/dh/crisis-plan/${UPLOAD_ID}.docx`, contentType: DOCX_TYPE, maxBytes: MAX_UPLOAD_BYTES, expiresSeconds: 600 },
    ]);
    expect(w.uploads.all()[0]).toMatchObject({ orgId: 'dh', routeKey: 'D#dh', ext: 'docx', originalName: '东湖危机方案.DOCX', by: 'district:dh' });
  });

  it('files a Direct school under the "DIRECT" route key, and .doc as application/msword', async () => {
    await createUpload(w, sessionFor(orgs.direct1), body({ fileName: 'old.doc' }), UPLOAD_ID);
    expect(w.presigner.calls[0]).toMatchObject({ key: `incoming/2019-plans/direct-1/service-plan/${UPLOAD_ID}.doc`, contentType: 'application/msword' });
    expect(w.uploads.all()[0]?.routeKey).toBe('DIRECT');
  });

  it('refuses an unknown document, with nothing presigned or stored', async () => {
    const e = await rejection(createUpload(w, sessionFor(orgs.dhSchool1), body({ document: 'budget' }), UPLOAD_ID));
    expect(e).toMatchObject({ status: 400, code: 'UNKNOWN_DOCUMENT', message: '没有这项报送材料。' });
    expect(w.presigner.calls).toEqual([]);
    expect(w.uploads.all()).toEqual([]);
  });

  it.each([['setup.exe'], ['plan.pdf.exe'], ['plan'], ['plan.zip'], ['plan.txt']])('refuses the file name %j', async (fileName) => {
    const e = await rejection(createUpload(w, sessionFor(orgs.dhSchool1), body({ fileName }), UPLOAD_ID));
    expect(e).toMatchObject({ status: 400, code: 'FILE_TYPE_NOT_ALLOWED' });
    expect(e.message).toBe('只接受 PDF、Word 97–2003 (.doc)、Word (.docx) 文件。');
    expect(w.presigner.calls).toEqual([]);
    expect(w.uploads.all()).toEqual([]);
  });

  it('refuses an org outside the audience (403), with nothing presigned or stored', async () => {
    const listed = Campaign.parse({ ...campaignInput, audience: { orgIds: ['dh-school-2'] } });
    let e = await rejection(createUpload(w, sessionFor(orgs.dhSchool1, listed), body(), UPLOAD_ID));
    expect(e).toMatchObject({ status: 403, code: 'NOT_IN_AUDIENCE', message: '本单位不在此次报送范围内。' });
    e = await rejection(createUpload(w, sessionFor(orgs.centre), body(), UPLOAD_ID));
    expect(e).toMatchObject({ status: 403, code: 'NOT_IN_AUDIENCE' });
    expect(w.presigner.calls).toEqual([]);
    expect(w.uploads.all()).toEqual([]);
  });

  it('chooses a fresh 128-bit upload id each time', async () => {
    const a = await createUpload(w, sessionFor(orgs.dhSchool1), body());
    const b = await createUpload(w, sessionFor(orgs.dhSchool1), body());
    expect(a.uploadId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.uploadId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.uploadId).not.toBe(b.uploadId);
    expect(w.uploads.all()).toHaveLength(2);
  });
});

describe('validateUpload', () => {
  let w: World;
  const keyFor = (ext = 'pdf', id = UPLOAD_ID) => `incoming/2019-plans/dh-school-1/service-plan/${id}.${ext}`;
  const ref = (key: string) => IncomingKey.parse(key);
  const stored = (id = UPLOAD_ID) => w.uploads.get({ campaignId: '2019-plans', routeKey: 'D#dh', orgId: 'dh-school-1', document: 'service-plan', uploadId: id });

  async function pending(fileName = '方案.pdf', id = UPLOAD_ID) {
    await createUpload(w, sessionFor(orgs.dhSchool1), { document: 'service-plan', fileName, size: 1000 }, id);
  }

  beforeEach(() => {
    w = world('2019-06-20T02:00:00.000Z');
  });

  it('accepts a real PDF: writes the checked bytes to accepted/, records sha256, size, domain time and on-time', async () => {
    await pending();
    const bytes = minimalPdf();
    w.objects.objects.set(keyFor(), bytes);
    w.clock.set('2019-06-20T02:00:07.000Z');
    expect(await validateUpload(w, ref(keyFor()))).toBe('accepted');
    const dest = `accepted/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`;
    // the checked bytes themselves are written (no copy that could pick up a later POST)
    expect(w.objects.written).toEqual([{ to: dest, contentType: 'application/pdf', bytes }]);
    expect(await stored()).toEqual({
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      routeKey: 'D#dh',
      document: 'service-plan',
      uploadId: UPLOAD_ID,
      ext: 'pdf',
      originalName: '方案.pdf',
      declaredSize: 1000,
      by: 'school:dh-school-1',
      requestedAt: '2019-06-20T02:00:00.000Z',
      state: 'accepted',
      receivedAt: '2019-06-20T02:00:07.000Z',
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      late: false,
      acceptedKey: dest,
    } satisfies Upload);
    expect((await stored())?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a real DOCX and an OLE .doc', async () => {
    await pending('方案.docx', uploadId(1));
    await pending('方案.doc', uploadId(2));
    w.objects.objects.set(keyFor('docx', uploadId(1)), minimalDocx());
    w.objects.objects.set(keyFor('doc', uploadId(2)), cfbFile());
    expect(await validateUpload(w, ref(keyFor('docx', uploadId(1))))).toBe('accepted');
    expect(await validateUpload(w, ref(keyFor('doc', uploadId(2))))).toBe('accepted');
    expect(w.objects.written.map((c) => c.to)).toEqual([
      `accepted/2019-plans/dh-school-1/service-plan/${uploadId(1)}.docx`,
      `accepted/2019-plans/dh-school-1/service-plan/${uploadId(2)}.doc`,
    ]);
  });

  it('decides lateness by the domain clock: on time at the deadline instant, late 1 ms after', async () => {
    await pending('a.pdf', uploadId(1));
    await pending('b.pdf', uploadId(2));
    w.objects.objects.set(keyFor('pdf', uploadId(1)), minimalPdf());
    w.objects.objects.set(keyFor('pdf', uploadId(2)), minimalPdf());
    w.clock.set('2019-06-30T23:59:59.999+08:00');
    await validateUpload(w, ref(keyFor('pdf', uploadId(1))));
    w.clock.set('2019-07-01T00:00:00.000+08:00');
    await validateUpload(w, ref(keyFor('pdf', uploadId(2))));
    expect(await stored(uploadId(1))).toMatchObject({ state: 'accepted', late: false, receivedAt: '2019-06-30T15:59:59.999Z' });
    expect(await stored(uploadId(2))).toMatchObject({ state: 'accepted', late: true, receivedAt: '2019-06-30T16:00:00.000Z' });
  });

  it('decides lateness by when S3 received the file, not by when the (slow or re-delivered) event was checked', async () => {
    await pending('a.pdf', uploadId(3));
    w.objects.objects.set(keyFor('pdf', uploadId(3)), minimalPdf());
    w.clock.set('2019-07-01T00:00:05.000+08:00'); // checked 5 s after the deadline …
    const arrived = new Date(Date.now() - 6_000); // … of a file that arrived 6 s before that
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(3))), arrived)).toBe('accepted');
    const item = await stored(uploadId(3));
    expect(item).toMatchObject({ state: 'accepted', late: false });
    // 2019-06-30T23:59:59+08:00, give or take the milliseconds between the two Date.now() calls
    expect(Math.abs(Date.parse(item?.receivedAt ?? '') - Date.parse('2019-06-30T15:59:59.000Z'))).toBeLessThan(1_000);
  });

  it.each([
    ['ELF', elfExecutable, 'pdf'],
    ['PE', peExecutable, 'pdf'],
    ['plain zip', plainZip, 'docx'],
  ])('rejects a %s renamed .%s as TYPE_MISMATCH and does not copy it', async (_n, bytes, ext) => {
    await pending(`plan.${ext}`);
    const b = bytes();
    w.objects.objects.set(keyFor(ext), b);
    expect(await validateUpload(w, ref(keyFor(ext)))).toBe('rejected');
    expect(w.objects.written).toEqual([]);
    expect([...w.objects.objects.keys()].some((k) => k.startsWith('accepted/'))).toBe(false);
    const u = await stored();
    expect(u).toMatchObject({ state: 'rejected', reason: 'TYPE_MISMATCH', size: b.byteLength, receivedAt: '2019-06-20T02:00:00.000Z' });
    expect(u?.sha256).toBeUndefined();
    expect(u?.acceptedKey).toBeUndefined();
    expect(u?.late).toBeUndefined();
  });

  it('rejects an object that is gone as MISSING, and an empty one as EMPTY', async () => {
    await pending('a.pdf', uploadId(1));
    await pending('b.pdf', uploadId(2));
    w.objects.objects.set(keyFor('pdf', uploadId(2)), new Uint8Array(0));
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(1))))).toBe('rejected');
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(2))))).toBe('rejected');
    const missing = await stored(uploadId(1));
    expect(missing).toMatchObject({ state: 'rejected', reason: 'MISSING' });
    expect(missing?.size).toBeUndefined();
    expect(await stored(uploadId(2))).toMatchObject({ state: 'rejected', reason: 'EMPTY', size: 0 });
    expect(w.objects.written).toEqual([]);
  });

  it('a re-delivered event after success changes nothing: no second copy, stored item identical', async () => {
    await pending();
    w.objects.objects.set(keyFor(), minimalPdf());
    expect(await validateUpload(w, ref(keyFor()))).toBe('accepted');
    const first = await stored();
    const finishes = w.uploads.calls.finish;
    w.clock.set('2019-07-05T00:00:00.000Z'); // later, and past the deadline
    expect(await validateUpload(w, ref(keyFor()))).toBe('ignored');
    expect(await validateUpload(w, ref(keyFor()))).toBe('ignored');
    expect(w.objects.written).toHaveLength(1);
    expect(await stored()).toEqual(first);
    expect(w.uploads.calls.finish).toBe(finishes);
  });

  it('a re-delivered event after a rejection changes nothing either', async () => {
    await pending();
    w.objects.objects.set(keyFor(), elfExecutable());
    expect(await validateUpload(w, ref(keyFor()))).toBe('rejected');
    const first = await stored();
    w.objects.objects.set(keyFor(), minimalPdf()); // even if the bytes were swapped afterwards
    expect(await validateUpload(w, ref(keyFor()))).toBe('ignored');
    expect(await stored()).toEqual(first);
    expect(w.objects.written).toEqual([]);
  });

  it("ignores an object with no matching attempt, an unknown org, or an extension that differs from the attempt's", async () => {
    await pending();
    w.objects.objects.set(keyFor('pdf', uploadId(9)), minimalPdf());
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(9))))).toBe('ignored');
    const ghost = `incoming/2019-plans/ghost-school/service-plan/${UPLOAD_ID}.pdf`;
    w.objects.objects.set(ghost, minimalPdf());
    expect(await validateUpload(w, ref(ghost))).toBe('ignored');
    w.objects.objects.set(keyFor('docx'), minimalDocx());
    expect(await validateUpload(w, ref(keyFor('docx')))).toBe('ignored');
    expect(w.objects.reads).toEqual([]);
    expect(w.objects.written).toEqual([]);
    expect((await stored())?.state).toBe('pending');
  });
});

describe('statusFor scoping', () => {
  let w: World;
  const acc = (o: Org, n: number, document = 'service-plan') =>
    upload({
      orgId: o.id,
      routeKey: o.kind === 'district' ? `D#${o.id}` : o.districtId ? `D#${o.districtId}` : 'DIRECT',
      uploadId: uploadId(n),
      document,
      state: 'accepted',
      receivedAt: '2019-06-15T00:00:00.000Z',
      late: false,
      size: 100 + n,
      by: `${o.kind}:${o.id}`,
    });
  beforeEach(() => {
    w = world('2019-06-20T00:00:00.000Z');
    w.uploads.seed(acc(orgs.dh, 1), acc(orgs.dhSchool1, 2), acc(orgs.dhSchool2, 3), acc(orgs.xh, 4), acc(orgs.xhSchool1, 5), acc(orgs.direct1, 6));
  });
  const ids = (r: Awaited<ReturnType<typeof statusFor>>) => r.rows.map((row) => row.orgId).sort();
  const sizes = (r: Awaited<ReturnType<typeof statusFor>>) => r.rows.map((row) => row.documents[0]?.lastSize).sort();

  it('a school sees itself only', async () => {
    const r = await statusFor(w, sessionFor(orgs.dhSchool1));
    expect(ids(r)).toEqual(['dh-school-1']);
    expect(sizes(r)).toEqual([102]);
    expect(r.totals).toEqual([{ group: 'D#dh', name: '东湖区教科体局', orgs: 1, complete: 0, late: 0, byDocument: { 'service-plan': 1, 'crisis-plan': 0 } }]);
  });

  it('a District sees itself and its own schools, nothing of another District or of Direct schools', async () => {
    const r = await statusFor(w, sessionFor(orgs.dh));
    expect(ids(r)).toEqual(['dh', 'dh-school-1', 'dh-school-2']);
    expect(sizes(r)).toEqual([101, 102, 103]);
    expect(r.totals).toEqual([{ group: 'D#dh', name: '东湖区教科体局', orgs: 3, complete: 0, late: 0, byDocument: { 'service-plan': 3, 'crisis-plan': 0 } }]);
  });

  it('the city (Bureau or Centre) sees every org in the audience', async () => {
    for (const o of [orgs.bureau, orgs.centre]) {
      const r = await statusFor(w, sessionFor(o));
      expect(ids(r)).toEqual(['dh', 'dh-school-1', 'dh-school-2', 'direct-1', 'xh', 'xh-school-1']);
      expect(r.totals.map((t) => t.group).sort()).toEqual(['D#dh', 'D#xh', 'DIRECT']);
    }
  });

  it('ownOnly narrows a District to its own office', async () => {
    const r = await statusFor(w, sessionFor(orgs.dh), true);
    expect(ids(r)).toEqual(['dh']);
    expect(sizes(r)).toEqual([101]);
  });

  it('the status carries the campaign and uses the domain clock for pending', async () => {
    w.uploads.seed(upload({ orgId: 'dh-school-2', routeKey: 'D#dh', uploadId: uploadId(50), document: 'crisis-plan', requestedAt: '2019-06-19T23:50:00.000Z' }));
    let r = await statusFor(w, sessionFor(orgs.dhSchool2));
    expect(r.campaign).toEqual(campaign);
    expect(r.rows[0]?.documents[1]?.pending).toBe(true);
    w.clock.set('2019-06-20T00:05:00.000Z');
    r = await statusFor(w, sessionFor(orgs.dhSchool2));
    expect(r.rows[0]?.documents[1]?.pending).toBe(false);
  });
});
