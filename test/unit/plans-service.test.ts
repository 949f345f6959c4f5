import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LATE_ARRIVAL_GRACE_MS, REJECT_MESSAGES, timelinessText } from '../../functions/plans/rules.js';
import {
  type AcceptedVersion,
  authenticate,
  createUpload,
  findVersion,
  issueLink,
  openLink,
  ownStatus,
  type Session,
  statusFor,
  validateUpload,
} from '../../functions/plans/service.js';
import { AppError } from '../../functions/shared/errors.js';
import { type Grant, tokenSigner } from '../../functions/shared/tokens.js';
import { Campaign } from '../../schemas/campaigns.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import { IncomingKey } from '../../schemas/s3-events.js';
import { MAX_UPLOAD_BYTES, type OrgSummary, type Upload, UPLOAD_URL_TTL_SECONDS } from '../../schemas/plans.js';
import {
  FakeAuditLog,
  FakeCampaignStore,
  FakeObjectStore,
  FakeOrgStore,
  FakePresigner,
  FakeSummaryStore,
  FakeUploadStore,
  FixedClock,
} from './fakes.js';
import { cfbFile, elfExecutable, minimalDocx, minimalPdf, peExecutable, plainZip } from '../fixtures/files.js';
import { allOrgs, campaign, campaignInput, keyBytes, orgs, summariesOf, upload, UPLOAD_ID, uploadId } from './samples.js';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

function world(now = '2019-06-20T02:00:00.000Z') {
  const deps = {
    orgs: new FakeOrgStore(allOrgs),
    campaigns: new FakeCampaignStore([campaign]),
    uploads: new FakeUploadStore(),
    summaries: new FakeSummaryStore(),
    receipts: [] as AcceptedVersion[],
    receipt: async (v: AcceptedVersion) => {
      deps.receipts.push(structuredClone(v));
    },
    tokens: tokenSigner(async () => keyBytes()),
    clock: new FixedClock(now),
    presigner: new FakePresigner(),
    objects: new FakeObjectStore(),
    audit: new FakeAuditLog(),
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

  it('numbered only touches an accepted attempt', async () => {
    const s = new FakeUploadStore();
    await s.create(upload());
    await expect(s.numbered(upload(), 1, 'HJ')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await s.finish(upload(), { state: 'accepted', receivedAt: '2019-06-20T00:00:00.000Z' });
    await s.numbered(upload(), 1, 'HJ');
    expect(await s.get(upload())).toMatchObject({ version: 1, receiptNo: 'HJ' });
  });

  it('the status item is written only if its revision is still the one read (absent: only if still absent)', async () => {
    const s = new FakeSummaryStore();
    const item = (rev: number): OrgSummary => ({ campaignId: '2019-plans', orgId: 'dh', rev, routeKey: 'D#dh', docs: {} });
    expect(await s.put(item(1), undefined)).toBe(true);
    expect(await s.put(item(1), undefined)).toBe(false);
    expect(await s.put(item(2), 0)).toBe(false);
    expect(await s.put(item(2), 1)).toBe(true);
    expect(s.calls).toEqual({ put: 4, lostRaces: 2 });
    expect(await s.get('2019-plans', 'dh')).toEqual(item(2));
    expect(await s.listRoute('2019-plans', 'D#dh')).toEqual([item(2)]);
    expect(await s.listRoute('2019-plans', 'D#xh')).toEqual([]);
    // A reminder lands only in an item that has a ledger, and bumps the revision.
    const entry = { at: '2019-06-23T01:00:00.000Z', rule: 'before-7', channel: 'mail' as const, to: ['a@x.cn'] };
    expect(await s.remind('2019-plans', 'dh', 'k1', entry)).toBe(false);
    expect(await s.put({ ...item(3), reminded: {} }, 2)).toBe(true);
    expect(await s.remind('2019-plans', 'dh', 'k1', entry)).toBe(true);
    expect(await s.get('2019-plans', 'dh')).toEqual({ ...item(4), reminded: { k1: entry } });
    expect(await s.list('2019-plans')).toEqual([{ ...item(4), reminded: { k1: entry } }]);
    expect(await s.list('2020-plans')).toEqual([]);
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
        document: 'service-plan',
        uploadId: UPLOAD_ID,
        ext: 'pdf',
        originalName: '东湖区第一小学实施方案.pdf',
        declaredSize: 123_456,
        by: 'school:dh-school-1',
        requestedAt: '2019-06-20T02:00:00.000Z',
        postExpiresAt: r.expiresAt,
        tokenVersion: 1,
        state: 'pending',
      } satisfies Upload,
    ]);
    // the attempt is keyed by what never changes: no route in the key or the item
    expect([...w.uploads.items.keys()]).toEqual([`CAMPAIGN#2019-plans|UPLOAD#dh-school-1#service-plan#${UPLOAD_ID}`]);
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
    expect(w.uploads.all()[0]).toMatchObject({ orgId: 'dh', ext: 'docx', originalName: '东湖危机方案.DOCX', by: 'district:dh' });
  });

  it('files a Direct school under its own id like any org, and .doc as application/msword', async () => {
    await createUpload(w, sessionFor(orgs.direct1), body({ fileName: 'old.doc' }), UPLOAD_ID);
    expect(w.presigner.calls[0]).toMatchObject({ key: `incoming/2019-plans/direct-1/service-plan/${UPLOAD_ID}.doc`, contentType: 'application/msword' });
    expect([...w.uploads.items.keys()]).toEqual([`CAMPAIGN#2019-plans|UPLOAD#direct-1#service-plan#${UPLOAD_ID}`]);
  });

  it("records the org's current token version (a revocation after this rejects the file)", async () => {
    await w.orgs.bumpTokenVersion('dh-school-1');
    const org = (await w.orgs.get('dh-school-1')) as Org;
    await createUpload(w, sessionFor(org), body(), UPLOAD_ID);
    expect(w.uploads.all()[0]?.tokenVersion).toBe(2);
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

/** The real clock, frozen where the validator's tests need exact instants (security time). */
const REAL_NOW = new Date('2026-11-29T04:00:00.000Z');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('validateUpload', () => {
  let w: World;
  const keyFor = (ext = 'pdf', id = UPLOAD_ID) => `incoming/2019-plans/dh-school-1/service-plan/${id}.${ext}`;
  const ref = (key: string, versionId?: string) => ({ ...IncomingKey.parse(key), versionId });
  const stored = (id = UPLOAD_ID) => w.uploads.get({ campaignId: '2019-plans', orgId: 'dh-school-1', document: 'service-plan', uploadId: id });
  const summary = () => w.summaries.get('2019-plans', 'dh-school-1');
  const acceptedObjects = () => [...w.objects.versions.keys()].filter((k) => k.startsWith('accepted/'));

  async function pending(fileName = '方案.pdf', id = UPLOAD_ID) {
    await createUpload(w, sessionFor(orgs.dhSchool1), { document: 'service-plan', fileName, size: 1000 }, id);
  }
  /** The real instant S3 must have received a file for it to have arrived at this domain time. */
  const arrivedAt = (domainIso: string) => new Date(Date.now() - (w.clock.now().getTime() - Date.parse(domainIso)));

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: REAL_NOW });
    w = world('2019-06-20T02:00:00.000Z');
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts a real PDF: writes the checked bytes to accepted/, records sha256, size, domain time, on-time, version 1 and its receipt number', async () => {
    await pending();
    const bytes = minimalPdf();
    const v = w.objects.put(keyFor(), bytes);
    w.clock.set('2019-06-20T02:00:07.000Z');
    expect(await validateUpload(w, ref(keyFor(), v))).toBe('accepted');
    const dest = `accepted/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`;
    // the checked bytes themselves are written (no copy that could pick up a later POST)
    expect(w.objects.written).toEqual([{ to: dest, contentType: 'application/pdf', bytes }]);
    const item = await stored();
    expect(item).toEqual({
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      document: 'service-plan',
      uploadId: UPLOAD_ID,
      ext: 'pdf',
      originalName: '方案.pdf',
      declaredSize: 1000,
      by: 'school:dh-school-1',
      requestedAt: '2019-06-20T02:00:00.000Z',
      postExpiresAt: new Date(REAL_NOW.getTime() + 600_000).toISOString(),
      tokenVersion: 1,
      state: 'accepted',
      receivedAt: '2019-06-20T02:00:07.000Z',
      size: bytes.byteLength,
      sha256: sha256(bytes),
      late: false,
      acceptedKey: dest,
      version: 1,
      receiptNo: 'HJ20190620-0123456789',
    } satisfies Upload);
    expect(await summary()).toEqual({
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      rev: 1,
      routeKey: 'D#dh', // its place in the route index: the District's status is one Query
      org: orgs.dhSchool1, // what a reminder sweep needs of the org, as the registry says now
      missing: ['crisis-plan'], // still owed: the org stays in the owing index
      reminded: {},
      docs: {
        'service-plan': {
          ids: [UPLOAD_ID],
          first: { uploadId: UPLOAD_ID, at: '2019-06-20T02:00:07.000Z', late: false },
          last: { uploadId: UPLOAD_ID, version: 1, at: '2019-06-20T02:00:07.000Z', late: false, name: '方案.pdf', size: bytes.byteLength, sha256: sha256(bytes), ext: 'pdf' },
          lateVersions: 0,
        },
      },
    } satisfies OrgSummary);
    expect(w.receipts).toEqual([{ org: orgs.dhSchool1, campaign, upload: item, first: undefined }]);
  });

  it('accepts a real DOCX and an OLE .doc', async () => {
    await pending('方案.docx', uploadId(1));
    await pending('方案.doc', uploadId(2));
    w.objects.put(keyFor('docx', uploadId(1)), minimalDocx());
    w.objects.put(keyFor('doc', uploadId(2)), cfbFile());
    expect(await validateUpload(w, ref(keyFor('docx', uploadId(1))))).toBe('accepted');
    expect(await validateUpload(w, ref(keyFor('doc', uploadId(2))))).toBe('accepted');
    expect(w.objects.written.map((c) => [c.to, c.contentType])).toEqual([
      [`accepted/2019-plans/dh-school-1/service-plan/${uploadId(1)}.docx`, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      [`accepted/2019-plans/dh-school-1/service-plan/${uploadId(2)}.doc`, 'application/msword'],
    ]);
    expect((await summary())?.docs['service-plan']?.ids).toEqual([uploadId(1), uploadId(2)]);
  });

  it('reads the exact object version the event names, not whatever is latest under the key', async () => {
    await pending();
    const pdf = minimalPdf('the checked one');
    const v1 = w.objects.put(keyFor(), pdf);
    w.objects.put(keyFor(), elfExecutable()); // a second POST to the same key replaced it
    expect(await validateUpload(w, ref(keyFor(), v1))).toBe('accepted');
    expect(w.objects.written.map((x) => x.bytes)).toEqual([pdf]);
    expect((await stored())?.sha256).toBe(sha256(pdf));
  });

  it('decides lateness by the domain clock: on time at the deadline instant, late 1 ms after; the document stays on time', async () => {
    await pending('a.pdf', uploadId(1));
    await pending('b.pdf', uploadId(2));
    w.objects.put(keyFor('pdf', uploadId(1)), minimalPdf());
    w.objects.put(keyFor('pdf', uploadId(2)), minimalPdf());
    w.clock.set('2019-06-30T23:59:59.999+08:00');
    await validateUpload(w, ref(keyFor('pdf', uploadId(1))));
    w.clock.set('2019-07-01T00:00:00.000+08:00');
    await validateUpload(w, ref(keyFor('pdf', uploadId(2))));
    expect(await stored(uploadId(1))).toMatchObject({ state: 'accepted', late: false, receivedAt: '2019-06-30T15:59:59.999Z', version: 1, receiptNo: 'HJ20190630-0000000000' });
    expect(await stored(uploadId(2))).toMatchObject({ state: 'accepted', late: true, receivedAt: '2019-06-30T16:00:00.000Z', version: 2, receiptNo: 'HJ20190701-0000000000' });
    expect((await summary())?.docs['service-plan']).toMatchObject({ first: { uploadId: uploadId(1), late: false }, last: { uploadId: uploadId(2), late: true }, lateVersions: 1 });
    // the correction's receipt names the on-time first version
    expect(w.receipts.map((r) => [r.upload.version, r.first])).toEqual([
      [1, undefined],
      [2, { at: '2019-06-30T15:59:59.999Z', late: false }],
    ]);
  });

  it('decides lateness by when S3 received the file, not by when the (slow or re-delivered) event was checked', async () => {
    await pending('a.pdf', uploadId(3));
    w.objects.put(keyFor('pdf', uploadId(3)), minimalPdf());
    w.clock.set('2019-07-01T00:00:05.000+08:00'); // checked 5 s after the deadline …
    const arrived = new Date(Date.now() - 6_000); // … of a file that arrived 6 s before that
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(3))), arrived)).toBe('accepted');
    expect(await stored(uploadId(3))).toMatchObject({ state: 'accepted', late: false, receivedAt: '2019-06-30T15:59:59.000Z' });
  });

  it.each([
    ['ELF', 'pdf', elfExecutable],
    ['PE', 'pdf', peExecutable],
    ['plain zip', 'docx', plainZip],
  ] as const)('rejects a %s renamed .%s as TYPE_MISMATCH, copies nothing, and the status shows why', async (_n, ext, bytes) => {
    await pending(`plan.${ext}`);
    const b = bytes();
    w.objects.put(keyFor(ext), b);
    expect(await validateUpload(w, ref(keyFor(ext)))).toBe('rejected');
    expect(w.objects.written).toEqual([]);
    expect(acceptedObjects()).toEqual([]);
    const u = await stored();
    expect(u).toMatchObject({ state: 'rejected', reason: 'TYPE_MISMATCH', size: b.byteLength, receivedAt: '2019-06-20T02:00:00.000Z' });
    expect(u?.sha256).toBeUndefined();
    expect(u?.acceptedKey).toBeUndefined();
    expect(u?.late).toBeUndefined();
    expect(u?.version).toBeUndefined();
    expect((await summary())?.docs['service-plan']).toEqual({
      ids: [],
      lateVersions: 0,
      rejected: { uploadId: UPLOAD_ID, at: '2019-06-20T02:00:00.000Z', reason: 'TYPE_MISMATCH', name: `plan.${ext}` },
    });
    expect(w.receipts).toEqual([]);
  });

  it('rejects an object that is gone as MISSING, and an empty one as EMPTY', async () => {
    await pending('a.pdf', uploadId(1));
    await pending('b.pdf', uploadId(2));
    w.objects.put(keyFor('pdf', uploadId(2)), new Uint8Array(0));
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(1))))).toBe('rejected');
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(2))))).toBe('rejected');
    const missing = await stored(uploadId(1));
    expect(missing).toMatchObject({ state: 'rejected', reason: 'MISSING' });
    expect(missing?.size).toBeUndefined();
    expect(await stored(uploadId(2))).toMatchObject({ state: 'rejected', reason: 'EMPTY', size: 0 });
    expect(w.objects.written).toEqual([]);
  });

  it('a re-delivered event after success changes nothing: no second object, no new version, item and status identical; the receipt port gets the same receipt again', async () => {
    await pending();
    w.objects.put(keyFor(), minimalPdf());
    expect(await validateUpload(w, ref(keyFor()))).toBe('accepted');
    const first = await stored();
    const firstSummary = await summary();
    const finishes = w.uploads.calls.finish;
    const puts = w.summaries.calls.put;
    w.clock.set('2019-07-05T00:00:00.000Z'); // later, and past the deadline
    expect(await validateUpload(w, ref(keyFor()))).toBe('accepted');
    expect(await validateUpload(w, ref(keyFor()))).toBe('accepted');
    expect(w.objects.written).toHaveLength(1);
    expect(await stored()).toEqual(first);
    expect(await summary()).toEqual(firstSummary);
    expect(w.uploads.calls.finish).toBe(finishes);
    expect(w.summaries.calls.put).toBe(puts);
    // The stored object is there: the incoming one is not read again (up to 20 MiB) nor written again.
    expect(w.objects.reads).toHaveLength(1);
    // The validator cannot know whether an earlier run got as far as the receipt: it hands the same
    // receipt to the port again, which sends it once (send ledger keyed by the attempt).
    expect(w.receipts).toHaveLength(3);
    expect(new Set(w.receipts.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('a re-delivered event does not rewrite accepted/ where the store ignores If-None-Match (s3rver does)', async () => {
    await pending();
    w.objects.put(keyFor(), minimalPdf());
    const lax = { ...w.objects, read: w.objects.read.bind(w.objects), exists: w.objects.exists.bind(w.objects) } as typeof w.objects;
    const rewrites: string[] = [];
    lax.writeNew = async (to, bytes, type) => {
      if (await w.objects.exists(to)) rewrites.push(to); // what s3rver does: overwrite, a new object
      else await w.objects.writeNew(to, bytes, type);
      return 'written';
    };
    const deps = { ...w, objects: lax };
    expect(await validateUpload(deps, ref(keyFor()))).toBe('accepted');
    expect(await validateUpload(deps, ref(keyFor()))).toBe('accepted');
    expect(rewrites).toEqual([]);
    expect(w.objects.written).toHaveLength(1);
  });

  it('a re-delivered event after a rejection changes nothing either', async () => {
    await pending();
    w.objects.put(keyFor(), elfExecutable());
    expect(await validateUpload(w, ref(keyFor()))).toBe('rejected');
    const first = await stored();
    const firstSummary = await summary();
    w.objects.put(keyFor(), minimalPdf()); // even if the bytes were swapped afterwards
    expect(await validateUpload(w, ref(keyFor()))).toBe('rejected');
    expect(await stored()).toEqual(first);
    expect(await summary()).toEqual(firstSummary);
    expect(w.summaries.calls.put).toBe(1);
    expect(w.objects.written).toEqual([]);
  });

  it('ignores an object with no matching attempt or of an unknown org, without reading it', async () => {
    await pending();
    w.objects.put(keyFor('pdf', uploadId(9)), minimalPdf());
    expect(await validateUpload(w, ref(keyFor('pdf', uploadId(9))))).toBe('ignored');
    const ghost = `incoming/2019-plans/ghost-school/service-plan/${UPLOAD_ID}.pdf`;
    w.objects.put(ghost, minimalPdf());
    expect(await validateUpload(w, ref(ghost))).toBe('ignored');
    expect(w.objects.reads).toEqual([]);
    expect(w.objects.written).toEqual([]);
    expect((await stored())?.state).toBe('pending');
    expect(w.summaries.items.size).toBe(0);
  });

  it('throws (the event is retried, then reaches the failed-event queue) when the campaign of an attempt is gone', async () => {
    await pending();
    w.objects.put(keyFor(), minimalPdf());
    w.campaigns.items.delete('2019-plans');
    await expect(validateUpload(w, ref(keyFor()))).rejects.toThrow(/campaign 2019-plans/);
    expect((await stored())?.state).toBe('pending');
    expect(w.objects.written).toEqual([]);
  });

  it('throws when an accepted attempt’s recorded bytes are nowhere to be read; resumes when accepted/ has them', async () => {
    const recorded = minimalPdf('recorded');
    const dest = `accepted/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`;
    w.uploads.seed(
      upload({ state: 'accepted', receivedAt: '2019-06-20T00:00:00.000Z', size: recorded.byteLength, sha256: sha256(recorded), late: false, acceptedKey: dest }),
    );
    w.objects.put(keyFor(), minimalPdf('other bytes'));
    await expect(validateUpload(w, ref(keyFor()))).rejects.toThrow(/not available/);
    expect(acceptedObjects()).toEqual([]);
    expect(w.summaries.items.size).toBe(0);
    w.objects.put(dest, recorded);
    expect(await validateUpload(w, ref(keyFor()))).toBe('accepted');
    expect((await summary())?.docs['service-plan']?.ids).toEqual([UPLOAD_ID]);
    expect(await stored()).toMatchObject({ version: 1 });
  });

  describe('timeliness: the first version decides, corrections are flagged on their own', () => {
    const v1At = '2019-06-30T23:59:00.000+08:00';
    const v2At = '2019-07-01T00:00:00.000+08:00';
    async function twoVersions(order: [number, number]) {
      await pending('方案.pdf', uploadId(1));
      await pending('方案-修订.pdf', uploadId(2));
      w.objects.put(keyFor('pdf', uploadId(1)), minimalPdf('v1'));
      w.objects.put(keyFor('pdf', uploadId(2)), minimalPdf('v2'));
      w.clock.set('2019-07-01T00:05:00.000+08:00'); // both checked a few minutes later
      const at = { 1: v1At, 2: v2At } as Record<number, string>;
      for (const n of order) expect(await validateUpload(w, ref(keyFor('pdf', uploadId(n))), arrivedAt(at[n] as string))).toBe('accepted');
    }

    it('v1 at 23:59 on 30 June, v2 at 00:00 on 1 July: on time, "按时提交（6月30日 23:59），7月1日 00:00 修改", v2 flagged late', async () => {
      await twoVersions([1, 2]);
      const status = await statusFor(w, sessionFor(orgs.dh));
      const doc = status.rows.find((r) => r.orgId === 'dh-school-1')?.documents[0];
      expect(doc).toMatchObject({
        state: 'uploaded',
        versions: 2,
        late: false,
        firstAt: '2019-06-30T15:59:00.000Z',
        lastVersion: 2,
        lastLate: true,
        lastFileName: '方案-修订.pdf',
        lateVersions: 1,
        timeliness: '按时提交（6月30日 23:59），7月1日 00:00 修改',
      });
      expect(status.totals.find((t) => t.group === routeKeyOf(orgs.dh))).toMatchObject({ late: 0, byDocument: { 'service-plan': 1 } });
      const own = await ownStatus(w, sessionFor(orgs.dhSchool1));
      expect(own.documents[0]?.history?.map((h) => [h.version, h.name, h.late, h.receiptNo])).toEqual([
        [1, '方案.pdf', false, 'HJ20190630-0000000000'],
        [2, '方案-修订.pdf', true, 'HJ20190701-0000000000'],
      ]);
    });

    it('the later upload folded first still gives first = the 23:59 one (it becomes version 2)', async () => {
      await twoVersions([2, 1]);
      const d = (await summary())?.docs['service-plan'];
      expect(d).toMatchObject({
        ids: [uploadId(2), uploadId(1)],
        first: { uploadId: uploadId(1), at: '2019-06-30T15:59:00.000Z', late: false },
        last: { uploadId: uploadId(2), version: 1, late: true },
        lateVersions: 1,
      });
      expect(timelinessText(d as NonNullable<typeof d>)).toBe('按时提交（6月30日 23:59），7月1日 00:00 修改');
      const doc = (await statusFor(w, sessionFor(orgs.dhSchool1))).rows[0]?.documents[0];
      expect(doc).toMatchObject({ late: false, timeliness: '按时提交（6月30日 23:59），7月1日 00:00 修改' });
      expect(await stored(uploadId(1))).toMatchObject({ version: 2, late: false });
      expect(await stored(uploadId(2))).toMatchObject({ version: 1, late: true });
    });
  });

  describe('defence in depth: what no POST policy stopped is recorded as a rejection, with nothing under accepted/', () => {
    async function expectRejected(reason: string, id = UPLOAD_ID) {
      const u = await stored(id);
      expect(u).toMatchObject({ state: 'rejected', reason });
      expect(u?.sha256).toBeUndefined();
      expect(acceptedObjects()).toEqual([]);
      expect(w.objects.written).toEqual([]);
      expect((await summary())?.docs['service-plan']?.rejected).toMatchObject({ uploadId: id, reason });
      expect(w.receipts).toEqual([]);
    }

    it('EXPIRED: arrived more than the grace after the POST expired; at exactly the grace it is accepted', async () => {
      await pending('a.pdf', uploadId(1));
      await pending('b.pdf', uploadId(2));
      const expires = Date.parse((await stored(uploadId(1)))?.postExpiresAt ?? '');
      expect(expires).toBe(REAL_NOW.getTime() + UPLOAD_URL_TTL_SECONDS * 1000);
      w.objects.put(keyFor('pdf', uploadId(1)), minimalPdf());
      w.objects.put(keyFor('pdf', uploadId(2)), minimalPdf());
      expect(await validateUpload(w, ref(keyFor('pdf', uploadId(1))), new Date(expires + LATE_ARRIVAL_GRACE_MS + 1))).toBe('rejected');
      await expectRejected('EXPIRED', uploadId(1));
      expect(await validateUpload(w, ref(keyFor('pdf', uploadId(2))), new Date(expires + LATE_ARRIVAL_GRACE_MS))).toBe('accepted');
    });

    it('REVOKED: the org’s token version was bumped between createUpload and the arrival', async () => {
      await pending();
      await w.orgs.bumpTokenVersion('dh-school-1');
      w.objects.put(keyFor(), minimalPdf());
      expect(await validateUpload(w, ref(keyFor()))).toBe('rejected');
      await expectRejected('REVOKED');
      const own = await ownStatus(w, sessionFor((await w.orgs.get('dh-school-1')) as Org));
      expect(own.documents[0]?.rejected?.message).toBe(REJECT_MESSAGES.REVOKED);
    });

    it('REVOKED: the org is no longer in the registry', async () => {
      await pending();
      w.orgs.items.delete('dh-school-1');
      w.objects.put(keyFor(), minimalPdf());
      expect(await validateUpload(w, ref(keyFor()))).toBe('rejected');
      await expectRejected('REVOKED');
    });

    it.each([
      ['another allowed extension', `${UPLOAD_ID}.docx`, minimalDocx],
      ['a second extension', `${UPLOAD_ID}.pdf.exe`, minimalPdf],
      ['no extension', UPLOAD_ID, minimalPdf],
      ['the extension in capitals', `${UPLOAD_ID}.PDF`, minimalPdf],
      ['more path after the exact key', `${UPLOAD_ID}.pdf/evil.exe`, minimalPdf],
    ])('BAD_KEY: %s (%s) for a .pdf attempt', async (_n, last, bytes) => {
      await pending();
      const key = `incoming/2019-plans/dh-school-1/service-plan/${last}`;
      w.objects.put(key, bytes());
      expect(await validateUpload(w, ref(key))).toBe('rejected');
      await expectRejected('BAD_KEY');
    });
  });

  describe('the audit trail: each outcome appended once, keyed by the attempt, at its recorded arrival', () => {
    const trail = () => w.audit.events.filter((e) => e.id.startsWith('upload#'));
    /** Arrived 30 s before the check (domain time); appended later still: `at` is the arrival, not the clock. */
    const ARRIVED = '2019-06-20T01:59:30.000Z';

    it('accepted: upload.accepted by system:validate-upload, the uploader, file, size, sha256, lateness, version and receipt number', async () => {
      await pending();
      const bytes = minimalPdf();
      w.objects.put(keyFor(), bytes);
      expect(await validateUpload(w, ref(keyFor()), arrivedAt(ARRIVED))).toBe('accepted');
      expect(w.audit.events).toEqual([
        {
          campaignId: '2019-plans',
          orgId: 'dh-school-1',
          at: ARRIVED,
          id: `upload#${UPLOAD_ID}`,
          action: 'upload.accepted',
          actor: 'system:validate-upload',
          document: 'service-plan',
          version: 1,
          after: { fileName: '方案.pdf', size: bytes.byteLength, sha256: sha256(bytes), late: false, receiptNo: 'HJ20190620-0123456789', uploadedBy: 'school:dh-school-1' },
          note: '东湖区第一小学 上传',
        },
      ]);
      expect((await stored())?.receivedAt).toBe(ARRIVED);
    });

    it('a late second version: its own entry, version 2, late', async () => {
      await pending('v1.pdf', uploadId(1));
      await pending('v2.pdf', uploadId(2));
      w.objects.put(keyFor('pdf', uploadId(1)), minimalPdf('1'));
      w.objects.put(keyFor('pdf', uploadId(2)), minimalPdf('2'));
      expect(await validateUpload(w, ref(keyFor('pdf', uploadId(1))))).toBe('accepted');
      w.clock.set('2019-07-01T00:00:00.000Z');
      expect(await validateUpload(w, ref(keyFor('pdf', uploadId(2))))).toBe('accepted');
      expect(trail().map((e) => [e.id, e.version, e.after?.late, e.after?.fileName])).toEqual([
        [`upload#${uploadId(1)}`, 1, false, 'v1.pdf'],
        [`upload#${uploadId(2)}`, 2, true, 'v2.pdf'],
      ]);
    });

    it('rejected: upload.rejected with the reason, no version', async () => {
      await pending();
      const elf = elfExecutable();
      w.objects.put(keyFor(), elf);
      expect(await validateUpload(w, ref(keyFor()), arrivedAt(ARRIVED))).toBe('rejected');
      expect(w.audit.events).toEqual([
        {
          campaignId: '2019-plans',
          orgId: 'dh-school-1',
          at: ARRIVED,
          id: `upload#${UPLOAD_ID}`,
          action: 'upload.rejected',
          actor: 'system:validate-upload',
          document: 'service-plan',
          after: { fileName: '方案.pdf', size: elf.byteLength, reason: 'TYPE_MISMATCH', uploadedBy: 'school:dh-school-1' },
          note: '东湖区第一小学 上传',
        },
      ]);
    });

    it('rejected because the org left the registry: still recorded, about the attempt’s org (no name to note)', async () => {
      await pending();
      w.orgs.items.delete('dh-school-1');
      w.objects.put(keyFor(), minimalPdf());
      expect(await validateUpload(w, ref(keyFor()))).toBe('rejected');
      expect(trail()).toHaveLength(1);
      expect(trail()[0]).toMatchObject({ orgId: 'dh-school-1', action: 'upload.rejected', after: { reason: 'REVOKED', uploadedBy: 'school:dh-school-1' } });
      expect(trail()[0]?.note).toBeUndefined();
    });

    it.each([
      ['accepted', minimalPdf] as const,
      ['rejected', elfExecutable] as const,
    ])('a redelivery (%s), later on the clock, appends nothing: same id, same time → "exists"', async (outcome, bytes) => {
      await pending();
      w.objects.put(keyFor(), bytes());
      const append = vi.spyOn(w.audit, 'append');
      expect(await validateUpload(w, ref(keyFor()))).toBe(outcome);
      const first = w.audit.events;
      w.clock.set('2019-07-05T00:00:00.000Z');
      expect(await validateUpload(w, ref(keyFor()))).toBe(outcome);
      expect(await validateUpload(w, ref(keyFor()), new Date())).toBe(outcome);
      expect(append).toHaveBeenCalledTimes(3);
      expect(await Promise.all(append.mock.results.map((r) => r.value))).toEqual(['appended', 'exists', 'exists']);
      expect(w.audit.events).toEqual(first);
    });

    it('two validators of the same event at once: one entry', async () => {
      await pending();
      w.objects.put(keyFor(), minimalPdf());
      expect(await Promise.all([validateUpload(w, ref(keyFor())), validateUpload(w, ref(keyFor()))])).toEqual(['accepted', 'accepted']);
      expect(trail()).toHaveLength(1);
      expect(trail()[0]).toMatchObject({ action: 'upload.accepted', version: 1 });
    });

    it.each([
      ['accepted', minimalPdf] as const,
      ['rejected', elfExecutable] as const,
    ])('a crash after the claim, before the entry (%s): the attempt is final, the re-run resumes and appends it exactly once', async (outcome, bytes) => {
      await pending();
      w.objects.put(keyFor(), bytes());
      w.audit.failAppendFor = () => true;
      await expect(validateUpload(w, ref(keyFor()))).rejects.toThrow('ProvisionedThroughputExceededException');
      expect((await stored())?.state).toBe(outcome); // the claim was made
      expect(w.audit.events).toEqual([]);
      expect(w.receipts).toEqual([]); // the receipt comes after the entry
      const claimedAt = (await stored())?.receivedAt;
      w.audit.failAppendFor = undefined;
      w.clock.set('2019-06-21T00:00:00.000Z'); // the retry runs a day later
      expect(await validateUpload(w, ref(keyFor()))).toBe(outcome);
      expect(await validateUpload(w, ref(keyFor()))).toBe(outcome);
      expect(w.uploads.calls.finish).toBe(1);
      expect(trail()).toHaveLength(1);
      expect(trail()[0]).toMatchObject({ action: `upload.${outcome}`, at: claimedAt });
      if (outcome === 'accepted') expect(trail()[0]).toMatchObject({ version: 1, after: { receiptNo: 'HJ20190620-0123456789' } });
    });

    it('a crash before the status fold: the re-run folds, numbers and appends once', async () => {
      await pending();
      w.objects.put(keyFor(), minimalPdf());
      const put = w.summaries.put.bind(w.summaries);
      w.summaries.put = async () => {
        throw new Error('crash');
      };
      await expect(validateUpload(w, ref(keyFor()))).rejects.toThrow('crash');
      expect(w.audit.events).toEqual([]);
      w.summaries.put = put;
      expect(await validateUpload(w, ref(keyFor()))).toBe('accepted');
      expect(trail()).toHaveLength(1);
      expect(trail()[0]).toMatchObject({ action: 'upload.accepted', version: 1 });
    });

    it('an object with no attempt appends nothing', async () => {
      w.objects.put(keyFor('pdf', uploadId(9)), minimalPdf());
      expect(await validateUpload(w, ref(keyFor('pdf', uploadId(9))))).toBe('ignored');
      expect(w.audit.events).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Reading: scope, the own org, one version

const G = { dh: routeKeyOf(orgs.dh), xh: routeKeyOf(orgs.xh), direct: routeKeyOf(orgs.direct1) };

const accepted = (o: Org, n: number, document = 'service-plan', over: Partial<Upload> = {}) =>
  upload({
    orgId: o.id,
    uploadId: uploadId(n),
    document,
    state: 'accepted',
    receivedAt: '2019-06-15T00:00:00.000Z',
    late: false,
    size: 100 + n,
    sha256: 'ab'.repeat(32),
    acceptedKey: `accepted/2019-plans/${o.id}/${document}/${uploadId(n)}.pdf`,
    by: `${o.kind}:${o.id}`,
    version: 1,
    receiptNo: `HJ20190615-${uploadId(n).slice(0, 10)}`,
    ...over,
  });

/** Seeds attempts and the status items the validator would have folded from them. */
async function seedFolded(w: World, ...uploads: Upload[]) {
  w.uploads.seed(...uploads);
  for (const s of summariesOf(uploads)) expect(await w.summaries.put(s, undefined)).toBe(true);
}

describe('statusFor scoping', () => {
  let w: World;
  beforeEach(async () => {
    w = world('2019-06-20T00:00:00.000Z');
    await seedFolded(w, accepted(orgs.dh, 1), accepted(orgs.dhSchool1, 2), accepted(orgs.dhSchool2, 3), accepted(orgs.xh, 4), accepted(orgs.xhSchool1, 5), accepted(orgs.direct1, 6));
  });
  const ids = (r: Awaited<ReturnType<typeof statusFor>>) => r.rows.map((row) => row.orgId).sort();
  const sizes = (r: Awaited<ReturnType<typeof statusFor>>) => r.rows.map((row) => row.documents[0]?.lastSize).sort();
  const byDoc = (service: number) => ({ 'service-plan': service, 'crisis-plan': 0 });

  it('a school sees itself only, its group named after its District', async () => {
    const r = await statusFor(w, sessionFor(orgs.dhSchool1));
    expect(ids(r)).toEqual(['dh-school-1']);
    expect(sizes(r)).toEqual([102]);
    expect(r.totals).toEqual([{ group: G.dh, name: '东湖区教科体局', orgs: 1, complete: 0, late: 0, noEmail: 0, byDocument: byDoc(1) }]);
  });

  it('a Direct school sees itself only, in the Direct group', async () => {
    const r = await statusFor(w, sessionFor(orgs.direct1));
    expect(ids(r)).toEqual(['direct-1']);
    expect(r.totals).toEqual([expect.objectContaining({ group: G.direct, orgs: 1 })]);
  });

  it('a District sees itself and its own schools, nothing of another District or of Direct schools', async () => {
    const r = await statusFor(w, sessionFor(orgs.dh));
    expect(ids(r)).toEqual(['dh', 'dh-school-1', 'dh-school-2']);
    expect(sizes(r)).toEqual([101, 102, 103]);
    expect(r.totals).toEqual([{ group: G.dh, name: '东湖区教科体局', orgs: 3, complete: 0, late: 0, noEmail: 0, byDocument: byDoc(3) }]);
  });

  it('the city (Bureau or Centre) sees every org in the audience', async () => {
    for (const o of [orgs.bureau, orgs.centre]) {
      const r = await statusFor(w, sessionFor(o));
      expect(ids(r)).toEqual(['dh', 'dh-school-1', 'dh-school-2', 'direct-1', 'xh', 'xh-school-1']);
      expect(r.totals.map((t) => t.group)).toEqual([G.dh, G.xh, G.direct]);
      expect(r.totals.find((t) => t.group === G.xh)).toMatchObject({ orgs: 2, noEmail: 1, byDocument: byDoc(2) });
    }
  });

  it('the status carries the campaign and reads only status items (an attempt not yet folded is not counted)', async () => {
    w.uploads.seed(accepted(orgs.dhSchool2, 50, 'crisis-plan'));
    const r = await statusFor(w, sessionFor(orgs.dh));
    expect(r.campaign).toEqual(campaign);
    expect(r.rows.find((x) => x.orgId === 'dh-school-2')?.documents[1]?.state).toBe('missing');
  });
});

describe('ownStatus (the upload page)', () => {
  let w: World;
  beforeEach(() => {
    w = world('2019-06-20T00:00:00.000Z');
  });

  it('gives the org, its District and the receiver, and per document the history, the rejections and the uploads in progress', async () => {
    await seedFolded(
      w,
      accepted(orgs.dhSchool2, 1, 'service-plan', { version: 1, receivedAt: '2019-06-15T00:00:00.000Z' }),
      upload({ orgId: 'dh-school-2', uploadId: uploadId(2), state: 'rejected', reason: 'EMPTY', receivedAt: '2019-06-16T00:00:00.000Z', originalName: 'empty.pdf' }),
      accepted(orgs.dhSchool2, 3, 'service-plan', { version: 2, receivedAt: '2019-06-17T00:00:00.000Z', receiptNo: undefined }),
    );
    w.uploads.seed(upload({ orgId: 'dh-school-2', uploadId: uploadId(50), document: 'crisis-plan', requestedAt: '2019-06-19T23:50:00.000Z' }));
    let own = await ownStatus(w, sessionFor(orgs.dhSchool2));
    expect(own.campaign).toEqual(campaign);
    expect(own.org).toEqual(orgs.dhSchool2);
    expect(own.district).toEqual(orgs.dh);
    expect(own.receiver).toEqual(orgs.centre);
    const [service, crisis] = own.documents;
    expect(service).toMatchObject({ state: 'uploaded', versions: 2, pending: false, rejected: undefined });
    expect(service?.history?.map((h) => [h.version, h.uploadId, h.receiptNo])).toEqual([
      [1, uploadId(1), `HJ20190615-${uploadId(1).slice(0, 10)}`],
      [2, uploadId(3), `HJ20190617-${uploadId(3).slice(0, 10).toUpperCase()}`],
    ]);
    expect(service?.rejections).toEqual([{ at: '2019-06-16T00:00:00.000Z', fileName: 'empty.pdf', message: REJECT_MESSAGES.EMPTY }]);
    expect(crisis).toMatchObject({ state: 'missing', pending: true, pendingIds: [uploadId(50)], history: [], rejections: [] });
    // uses the domain clock: 15 minutes after the request the attempt is stale
    w.clock.set('2019-06-20T00:05:00.000Z');
    own = await ownStatus(w, sessionFor(orgs.dhSchool2));
    expect(own.documents[1]?.pending).toBe(false);
  });

  it('a District office and a Direct school have no District', async () => {
    expect((await ownStatus(w, sessionFor(orgs.dh))).district).toBeUndefined();
    expect((await ownStatus(w, sessionFor(orgs.direct1))).district).toBeUndefined();
  });
});

describe('findVersion', () => {
  let w: World;
  beforeEach(async () => {
    w = world('2019-06-20T00:00:00.000Z');
    await seedFolded(
      w,
      accepted(orgs.dhSchool1, 1),
      accepted(orgs.dhSchool1, 2, 'service-plan', { version: 2, receivedAt: '2019-06-16T00:00:00.000Z' }),
      accepted(orgs.dhSchool2, 3),
      accepted(orgs.xhSchool1, 4),
      accepted(orgs.direct1, 5),
      upload({ orgId: 'dh-school-1', uploadId: uploadId(6), document: 'crisis-plan', state: 'rejected', reason: 'EMPTY', receivedAt: '2019-06-16T00:00:00.000Z' }),
    );
  });
  const notFound = async (s: Session, org: string, doc: string, v: number) => {
    const e = await rejection(findVersion(w, s, org, doc, v));
    expect(e).toMatchObject({ status: 404, code: 'FILE_NOT_FOUND', message: '没有找到这个文件，或您没有查看它的权限。' });
  };

  it('a school gets its own versions, with its District', async () => {
    const r = await findVersion(w, sessionFor(orgs.dhSchool1), 'dh-school-1', 'service-plan', 2);
    expect(r.org).toEqual(orgs.dhSchool1);
    expect(r.district).toEqual(orgs.dh);
    expect(r.document).toEqual(campaign.documents[0]);
    expect(r.upload).toMatchObject({ uploadId: uploadId(2), version: 2, acceptedKey: `accepted/2019-plans/dh-school-1/service-plan/${uploadId(2)}.pdf` });
    expect((await findVersion(w, sessionFor(orgs.dhSchool1), 'dh-school-1', 'service-plan', 1)).upload.uploadId).toBe(uploadId(1));
  });

  it('a school cannot get another school’s version, not even in its own District', async () => {
    await notFound(sessionFor(orgs.dhSchool1), 'dh-school-2', 'service-plan', 1);
    await notFound(sessionFor(orgs.dhSchool1), 'xh-school-1', 'service-plan', 1);
    await notFound(sessionFor(orgs.direct1), 'dh-school-1', 'service-plan', 1);
  });

  it('a District gets its own schools’ versions, not another District’s school nor a Direct school', async () => {
    expect((await findVersion(w, sessionFor(orgs.dh), 'dh-school-2', 'service-plan', 1)).upload.uploadId).toBe(uploadId(3));
    await notFound(sessionFor(orgs.dh), 'xh-school-1', 'service-plan', 1);
    await notFound(sessionFor(orgs.xh), 'dh-school-1', 'service-plan', 1);
    await notFound(sessionFor(orgs.dh), 'direct-1', 'service-plan', 1);
  });

  it('the city gets any org’s version', async () => {
    for (const city of [orgs.bureau, orgs.centre]) {
      for (const [org, id] of [
        ['dh-school-1', 1],
        ['xh-school-1', 4],
        ['direct-1', 5],
      ] as const)
        expect((await findVersion(w, sessionFor(city), org, 'service-plan', 1)).upload.uploadId).toBe(uploadId(id));
    }
  });

  it('an unknown version, document or org, or a rejected attempt, is 404 FILE_NOT_FOUND like one out of scope', async () => {
    const s = sessionFor(orgs.centre);
    await notFound(s, 'dh-school-1', 'service-plan', 3);
    await notFound(s, 'dh-school-1', 'budget', 1);
    await notFound(s, 'ghost', 'service-plan', 1);
    await notFound(s, 'dh-school-1', 'crisis-plan', 1);
  });
});

describe('a school that moves to another District', () => {
  let w: World;
  const movedEntry = () => ({ ...orgs.dhSchool1, districtId: 'xh' });
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: REAL_NOW });
    w = world('2019-06-20T00:00:00.000Z');
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const key = (id: string) => `incoming/2019-plans/dh-school-1/service-plan/${id}.pdf`;
  const rows = async (o: Org) => (await statusFor(w, sessionFor(o))).rows.map((r) => r.orgId);

  it('is seen with its versions by the new District only; findVersion follows; an upload issued before the move is accepted after it', async () => {
    await createUpload(w, sessionFor(orgs.dhSchool1), { document: 'service-plan', fileName: 'v1.pdf', size: 10 }, uploadId(1));
    w.objects.put(key(uploadId(1)), minimalPdf('v1'));
    expect(await validateUpload(w, IncomingKey.parse(key(uploadId(1))))).toBe('accepted');
    // issued before the move, arrives after it
    await createUpload(w, sessionFor(orgs.dhSchool1), { document: 'service-plan', fileName: 'v2.pdf', size: 10 }, uploadId(2));
    expect(await rows(orgs.dh)).toContain('dh-school-1');

    expect(await w.orgs.upsert(movedEntry())).toBe('updated');
    const moved = (await w.orgs.get('dh-school-1')) as Org;
    expect(routeKeyOf(moved)).toBe(routeKeyOf(orgs.xh));

    w.objects.put(key(uploadId(2)), minimalPdf('v2'));
    expect(await validateUpload(w, IncomingKey.parse(key(uploadId(2))))).toBe('accepted');
    expect(await w.uploads.get({ campaignId: '2019-plans', orgId: 'dh-school-1', document: 'service-plan', uploadId: uploadId(2) })).toMatchObject({ state: 'accepted', version: 2 });

    expect(await rows(orgs.dh)).toEqual(['dh', 'dh-school-2']);
    const xh = await statusFor(w, sessionFor(orgs.xh));
    expect(xh.rows.map((r) => r.orgId)).toEqual(['xh', 'dh-school-1', 'xh-school-1']);
    expect(xh.rows.find((r) => r.orgId === 'dh-school-1')).toMatchObject({ group: G.xh, documents: [{ state: 'uploaded', versions: 2, lastFileName: 'v2.pdf' }, { state: 'missing' }] });
    expect(xh.totals).toEqual([expect.objectContaining({ group: G.xh, name: '西湖区教科体局', orgs: 3, byDocument: { 'service-plan': 1, 'crisis-plan': 0 } })]);
    const city = await statusFor(w, sessionFor(orgs.bureau));
    expect(city.rows.find((r) => r.orgId === 'dh-school-1')?.group).toBe(G.xh);
    expect(city.totals.find((t) => t.group === G.dh)?.orgs).toBe(2);

    for (const v of [1, 2]) {
      expect((await findVersion(w, sessionFor(orgs.xh), 'dh-school-1', 'service-plan', v)).upload.uploadId).toBe(uploadId(v));
      await expect(findVersion(w, sessionFor(orgs.dh), 'dh-school-1', 'service-plan', v)).rejects.toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
    }
    const own = await findVersion(w, sessionFor(moved), 'dh-school-1', 'service-plan', 1);
    expect(own.district).toEqual(orgs.xh);
    // its own page follows the move too, with the whole history
    const page = await ownStatus(w, sessionFor(moved));
    expect(page.district).toEqual(orgs.xh);
    expect(page.documents[0]?.history?.map((h) => h.version)).toEqual([1, 2]);
  });
});
