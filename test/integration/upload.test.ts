/**
 * Uploads through the real pre-signed POST against s3rver, validated by the real handler on the
 * s3rver event: accepted versions, rejected look-alikes, idempotent re-delivery, late submissions.
 * Orgs: it-up-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { beijingDay } from '../../functions/shared/clock.js';
import { routeKeyOf } from '../../schemas/orgs.js';
import { elfExecutable, minimalDocx, minimalPdf, peExecutable, plainZip } from '../fixtures/files.js';
import {
  CAMPAIGN,
  call,
  HAN,
  importOrgs,
  lambdaContext,
  listObjects,
  postToS3,
  requestUpload,
  seedCampaign,
  sessionFor,
  sha256,
  summaryItem,
  uploadItem,
  uploadItems,
  useRuntime,
  waitPlansSettled,
  waitValidated,
} from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const [DOC_A, DOC_B] = seeded.documents.map((d) => d.kind) as [string, string];
const D = 'it-up-d';

beforeAll(async () => {
  await importOrgs(rt, [
    `${D},集成测试上传县区,district,,,,,`,
    `it-up-s0,集成测试上传零小学,school,${D},,,,`,
    `it-up-s1,集成测试上传一小学,school,${D},,,,`,
    `it-up-s2,集成测试上传二中学,school,,局属学校,,,`,
    `it-up-s3,集成测试上传三小学,school,${D},,,,`,
    `it-up-s4,集成测试上传四小学,school,${D},,,,`,
    `it-up-s5,集成测试上传五小学,school,${D},,,,`,
    `it-up-s6,集成测试上传六小学,school,${D},,,,`,
    `it-up-s7,集成测试上传七小学,school,${D},,,,`,
    `it-up-s8,集成测试上传八小学,school,${D},,,,`,
    `it-up-late,集成测试逾期小学,school,${D},,,,`,
  ]);
});

/** Uploads one file end to end and waits for the validator; returns the request, the stored item and the bytes. */
async function upload(cookie: string, org: { id: string }, document: string, fileName: string, bytes: Uint8Array, campaignId = CAMPAIGN, declaredSize = bytes.length) {
  const p = await requestUpload(rt, cookie, { document, fileName, size: declaredSize });
  const s3 = await postToS3(p, bytes, fileName);
  expect(s3.status, s3.text).toBe(204);
  const item = await waitValidated(rt, campaignId, org.id, document, p.uploadId);
  return { p, item };
}

const plans = async (cookie: string) => {
  const body = await waitPlansSettled(rt, cookie);
  expect(body.rows).toHaveLength(1);
  return Object.fromEntries((body.rows[0].documents as Record<string, any>[]).map((d) => [d.document, d]));
};

describe('the real pre-signed POST', () => {
  it('pins key, type, size range and a ≤ 10 minute expiry in the policy, with no checksum fields', async () => {
    const org = { id: 'it-up-s0' };
    const { cookie } = await sessionFor(rt, org.id);
    const r = await call(rt, '/api/uploads', { cookie, json: { document: DOC_A, fileName: '实施方案.pdf', size: 1234 } });
    expect(r.status, r.text).toBe(201);
    const p = r.json();
    expect(p.uploadId).toMatch(/^[0-9a-f]{32}$/);
    expect(p.url).toBe(`${rt.env.AWS_ENDPOINT_URL_S3}/${rt.bucket}`);
    const key = `incoming/${CAMPAIGN}/${org.id}/${DOC_A}/${p.uploadId}.pdf`;
    expect(p.fields.key).toBe(key);
    expect(p.fields['Content-Type']).toBe('application/pdf');
    for (const name of Object.keys(p.fields)) expect(name.toLowerCase()).not.toMatch(/checksum/);

    const policy = JSON.parse(Buffer.from(p.fields.Policy, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    const ttl = Date.parse(policy.expiration) - Date.now();
    expect(ttl).toBeGreaterThan(5 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000);
    expect(policy.conditions).toContainEqual(['content-length-range', 1, 20 * 1024 * 1024]);
    expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'application/pdf']);
    expect(policy.conditions).toContainEqual({ key });
    expect(policy.conditions).toContainEqual({ bucket: rt.bucket });
    // The key is pinned exactly: no starts-with condition would let the browser choose another one.
    expect(JSON.stringify(policy.conditions)).not.toMatch(/starts-with/);
    expect(JSON.stringify(policy.conditions).toLowerCase()).not.toMatch(/checksum/);

    // The pending attempt is keyed by what never changes (campaign, org, document, attempt): no route.
    const item = await uploadItem(rt, CAMPAIGN, org.id, DOC_A, p.uploadId);
    expect(item).toMatchObject({
      pk: `CAMPAIGN#${CAMPAIGN}`,
      sk: `UPLOAD#${org.id}#${DOC_A}#${p.uploadId}`,
      state: 'pending',
      orgId: org.id,
      document: DOC_A,
      ext: 'pdf',
      declaredSize: 1234,
      originalName: '实施方案.pdf',
      postExpiresAt: p.expiresAt,
      tokenVersion: 1,
    });
    expect(item?.routeKey).toBeUndefined();
  });

  it('accepts a real PDF posted as multipart form: versions, hash, size and the accepted/ copy', async () => {
    const org = { id: 'it-up-s1' };
    const { cookie } = await sessionFor(rt, org.id);
    const first = minimalPdf('first version');
    const a = await upload(cookie, org, DOC_A, '心理服务体系建设工作实施方案.pdf', first);
    expect(a.item).toMatchObject({
      state: 'accepted',
      sha256: sha256(first),
      size: first.length,
      late: false,
      acceptedKey: `accepted/${CAMPAIGN}/${org.id}/${DOC_A}/${a.p.uploadId}.pdf`,
      version: 1,
      receiptNo: `HJ${beijingDay(a.item.receivedAt)}-${a.p.uploadId.slice(0, 10).toUpperCase()}`,
    });
    expect(a.item.reason).toBeUndefined();
    let docs = await plans(cookie);
    expect(docs[DOC_A]).toMatchObject({ state: 'uploaded', versions: 1, late: false, pending: false, lastSize: first.length, lastFileName: '心理服务体系建设工作实施方案.pdf' });
    expect(docs[DOC_A].rejected).toBeUndefined();
    expect(docs[DOC_B]).toMatchObject({ state: 'missing', versions: 0 });
    const afterFirst = await listObjects(rt, `accepted/${CAMPAIGN}/${org.id}/`);
    expect(afterFirst.map((o) => o.key)).toEqual([a.item.acceptedKey]);
    expect(afterFirst[0]?.size).toBe(first.length);

    // A second version: nothing overwritten, both accepted objects kept.
    const second = minimalPdf('second version, a little longer');
    const b = await upload(cookie, org, DOC_A, '实施方案-修订.pdf', second);
    expect(b.item).toMatchObject({ state: 'accepted', sha256: sha256(second), size: second.length, late: false, version: 2 });
    expect(b.item.acceptedKey).not.toBe(a.item.acceptedKey);
    docs = await plans(cookie);
    expect(docs[DOC_A]).toMatchObject({ state: 'uploaded', versions: 2, lastVersion: 2, lastFileName: '实施方案-修订.pdf', lastSize: second.length, lastSha256: sha256(second) });
    const afterSecond = await listObjects(rt, `accepted/${CAMPAIGN}/${org.id}/`);
    expect(afterSecond.map((o) => o.key).sort()).toEqual([a.item.acceptedKey, b.item.acceptedKey].sort());
    expect(afterSecond.find((o) => o.key === a.item.acceptedKey)).toEqual(afterFirst[0]);
    // The first attempt's record is unchanged by the second.
    expect(await uploadItem(rt, CAMPAIGN, org.id, DOC_A, a.p.uploadId)).toEqual(a.item);
    // The org's status item holds both versions in order.
    expect((await summaryItem(rt, CAMPAIGN, org.id))?.docs[DOC_A]).toMatchObject({ ids: [a.p.uploadId, b.p.uploadId], lateVersions: 0 });

    const page = await call(rt, '/upload', { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('已提交的版本（2）');
    expect(page.text).toContain('data-version="2"');
    expect(page.text).toContain('实施方案-修订.pdf');
    expect(page.text).toContain(`回执号 ${b.item.receiptNo}`);
  });

  it('accepts a real DOCX and a PDF from a Direct school (grouped with the Direct schools)', async () => {
    const direct = { id: 'it-up-s2' };
    const { cookie } = await sessionFor(rt, direct.id);
    const docx = minimalDocx();
    const p = await requestUpload(rt, cookie, { document: DOC_B, fileName: '心理危机管理工作方案.docx', size: docx.length });
    expect(p.fields['Content-Type']).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const policy = JSON.parse(Buffer.from(p.fields.Policy as string, 'base64').toString('utf8')) as { conditions: unknown[] };
    expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document']);
    expect((await postToS3(p, docx, '心理危机管理工作方案.docx')).status).toBe(204);
    const w = await waitValidated(rt, CAMPAIGN, direct.id, DOC_B, p.uploadId);
    expect(w.state, JSON.stringify(w)).toBe('accepted');
    expect(w).toMatchObject({ sha256: sha256(docx), size: docx.length, acceptedKey: `accepted/${CAMPAIGN}/${direct.id}/${DOC_B}/${p.uploadId}.docx` });

    const pdf = minimalPdf('direct school');
    const a = await upload(cookie, direct, DOC_A, 'plan.PDF', pdf);
    expect(a.item.state).toBe('accepted');
    const docs = await plans(cookie);
    expect(docs[DOC_A]).toMatchObject({ state: 'uploaded', versions: 1 });
    expect(docs[DOC_B]).toMatchObject({ state: 'uploaded', versions: 1 });
    const status = (await call(rt, '/api/status', { cookie })).json();
    expect(status.rows).toEqual([expect.objectContaining({ orgId: direct.id, group: routeKeyOf({ id: direct.id, kind: 'school' }), directKind: '局属学校', complete: true })]);
    expect((await listObjects(rt, `accepted/${CAMPAIGN}/${direct.id}/`)).map((o) => o.key).sort()).toEqual([a.item.acceptedKey, w.acceptedKey].sort());
  });

  it('an abandoned pre-signed POST (the S3 POST never came) does not keep a later, validated upload "pending"', async () => {
    // What happens when a phone loses the network after POST /api/uploads and the user tries again.
    const org = { id: 'it-up-s7' };
    const { cookie } = await sessionFor(rt, org.id);
    const abandoned = await requestUpload(rt, cookie, { document: DOC_A, fileName: 'plan.pdf', size: 999 });
    const retry = await upload(cookie, org, DOC_A, 'plan.pdf', minimalPdf('retry'));
    expect(retry.item.state).toBe('accepted');
    expect((await uploadItem(rt, CAMPAIGN, org.id, DOC_A, abandoned.uploadId))?.state).toBe('pending');
    // The retry is validated: the page's poller (web/app-script.ts waits for !pending) must be able to stop.
    const body = (await call(rt, '/api/plans', { cookie })).json();
    const doc = body.rows[0].documents.find((d: { document: string }) => d.document === DOC_A);
    expect(doc).toMatchObject({ state: 'uploaded', versions: 1 });
    expect(doc.pending, 'document still "pending" because of the abandoned attempt').toBe(false);
  });
});

describe('GET /api/plans: the own history', () => {
  it('lists every version with its number, receipt number, time, name, size and hash, and every rejection', async () => {
    const org = { id: 'it-up-s8' };
    const { cookie } = await sessionFor(rt, org.id);
    const v1 = await upload(cookie, org, DOC_A, '第一版.pdf', minimalPdf('history one'));
    const bad = await upload(cookie, org, DOC_A, '病毒.pdf', elfExecutable());
    const v2 = await upload(cookie, org, DOC_A, '第二版.docx', minimalDocx('history two'));
    expect([v1.item.state, bad.item.state, v2.item.state]).toEqual(['accepted', 'rejected', 'accepted']);

    const body = await waitPlansSettled(rt, cookie);
    expect(body.org).toEqual({ id: org.id, name: '集成测试上传八小学' });
    const doc = (body.rows[0].documents as Record<string, any>[]).find((d) => d.document === DOC_A) as Record<string, any>;
    const receipt = (item: Record<string, any>) => `HJ${beijingDay(item.receivedAt)}-${(item.uploadId as string).slice(0, 10).toUpperCase()}`;
    expect(doc).toMatchObject({ state: 'uploaded', versions: 2, lastVersion: 2, lastFileName: '第二版.docx', pending: false });
    expect(doc.rejected).toBeUndefined(); // the rejection is older than the latest version
    expect(doc.history).toEqual([
      { version: 1, uploadId: v1.p.uploadId, at: v1.item.receivedAt, late: false, name: '第一版.pdf', size: v1.item.size, sha256: v1.item.sha256, receiptNo: receipt(v1.item) },
      { version: 2, uploadId: v2.p.uploadId, at: v2.item.receivedAt, late: false, name: '第二版.docx', size: v2.item.size, sha256: v2.item.sha256, receiptNo: receipt(v2.item) },
    ]);
    expect([v1.item.receiptNo, v2.item.receiptNo]).toEqual([receipt(v1.item), receipt(v2.item)]);
    expect(doc.rejections).toEqual([{ at: bad.item.receivedAt, fileName: '病毒.pdf', message: expect.stringMatching(HAN) }]);
    const other = (body.rows[0].documents as Record<string, any>[]).find((d) => d.document === DOC_B) as Record<string, any>;
    expect(other).toMatchObject({ state: 'missing', versions: 0, history: [], rejections: [] });

    // The page shows the same history, newest first.
    const page = await call(rt, '/upload', { cookie });
    expect(page.text.indexOf('data-version="2"')).toBeLessThan(page.text.indexOf('data-version="1"'));
    for (const v of [v1, v2]) expect(page.text).toContain(`回执号 ${v.item.receiptNo}`);
  });
});

describe('rejected look-alikes', () => {
  it('rejects an ELF binary and a zip renamed .pdf with TYPE_MISMATCH; the page says why; nothing accepted', async () => {
    const org = { id: 'it-up-s3' };
    const { cookie } = await sessionFor(rt, org.id);
    const elf = await upload(cookie, org, DOC_A, '方案.pdf', elfExecutable());
    const zip = await upload(cookie, org, DOC_B, '危机方案.pdf', plainZip());
    for (const u of [elf, zip]) {
      expect(u.item).toMatchObject({ state: 'rejected', reason: 'TYPE_MISMATCH' });
      expect(u.item.acceptedKey).toBeUndefined();
      expect(u.item.sha256).toBeUndefined();
    }
    const docs = await plans(cookie);
    for (const [doc, name] of [
      [DOC_A, '方案.pdf'],
      [DOC_B, '危机方案.pdf'],
    ] as const) {
      expect(docs[doc]).toMatchObject({ state: 'missing', versions: 0, pending: false, rejected: { reason: 'TYPE_MISMATCH', fileName: name } });
      expect(docs[doc].rejected.message).toMatch(HAN);
    }
    const page = await call(rt, '/upload', { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain(`上次上传的“方案.pdf”未通过检查：${docs[DOC_A].rejected.message}`);
    expect(page.text).toContain(`上次上传的“危机方案.pdf”未通过检查`);
    expect(await listObjects(rt, `accepted/${CAMPAIGN}/${org.id}/`)).toEqual([]);
  });

  it('rejects a Windows executable renamed .docx, then accepts the real file afterwards', async () => {
    const org = { id: 'it-up-s4' };
    const { cookie } = await sessionFor(rt, org.id);
    const pe = await upload(cookie, org, DOC_A, '方案.docx', peExecutable());
    expect(pe.item).toMatchObject({ state: 'rejected', reason: 'TYPE_MISMATCH' });
    expect(await listObjects(rt, `accepted/${CAMPAIGN}/${org.id}/`)).toEqual([]);
    let docs = await plans(cookie);
    expect(docs[DOC_A]).toMatchObject({ state: 'missing', rejected: { reason: 'TYPE_MISMATCH' } });

    const ok = await upload(cookie, org, DOC_A, '方案.docx', minimalDocx('修订后'));
    expect(ok.item.state).toBe('accepted');
    docs = await plans(cookie);
    // The accepted upload is newer than the rejected one: the rejection is no longer shown.
    expect(docs[DOC_A]).toMatchObject({ state: 'uploaded', versions: 1 });
    expect(docs[DOC_A].rejected).toBeUndefined();
  });

  it('checks size again after the upload (s3rver, like a tampered client, ignores the policy): over 20 MiB → TOO_LARGE, empty → EMPTY', async () => {
    const org = { id: 'it-up-s6' };
    const { cookie } = await sessionFor(rt, org.id);
    const big = Buffer.concat([minimalPdf('big'), Buffer.alloc(20 * 1024 * 1024, 0x20)]);
    const large = await upload(cookie, org, DOC_A, 'big.pdf', big.subarray(0, 20 * 1024 * 1024 + 1), CAMPAIGN, 1000);
    expect(large.item).toMatchObject({ state: 'rejected', reason: 'TOO_LARGE', size: 20 * 1024 * 1024 + 1 });
    const empty = await upload(cookie, org, DOC_B, 'empty.pdf', Buffer.alloc(0), CAMPAIGN, 1000);
    expect(empty.item).toMatchObject({ state: 'rejected', reason: 'EMPTY' });
    const docs = await plans(cookie);
    expect(docs[DOC_A]).toMatchObject({ state: 'missing', rejected: { reason: 'TOO_LARGE' } });
    expect(docs[DOC_A].rejected.message).toContain('20 MB');
    expect(docs[DOC_B]).toMatchObject({ state: 'missing', rejected: { reason: 'EMPTY' } });
    expect(await listObjects(rt, `accepted/${CAMPAIGN}/${org.id}/`)).toEqual([]);
  });
});

describe('idempotent validation', () => {
  it('a re-delivered ObjectCreated event changes nothing: items and status byte-for-byte unchanged, no new accepted/ object', async () => {
    const org = { id: 'it-up-s5' };
    const { cookie } = await sessionFor(rt, org.id);
    const good = await upload(cookie, org, DOC_A, 'plan.pdf', minimalPdf('idempotent'));
    const bad = await upload(cookie, org, DOC_B, 'plan.pdf', elfExecutable());
    expect(good.item.state).toBe('accepted');
    expect(bad.item.state).toBe('rejected');
    const objectsBefore = await listObjects(rt, `accepted/${CAMPAIGN}/${org.id}/`);
    const itemsBefore = await uploadItems(rt, CAMPAIGN, org.id);
    const summaryBefore = await summaryItem(rt, CAMPAIGN, org.id);

    // The environment already points at the emulators (useRuntime): the handler talks to the same ones.
    const { handler } = await import('../../functions/plans/validate-upload.js');
    const event = (key: string, size: number) => ({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Post',
          s3: { s3SchemaVersion: '1.0', bucket: { name: rt.bucket, arn: `arn:aws:s3:::${rt.bucket}` }, object: { key, size, eTag: 'x' } },
        },
      ],
    });
    for (const u of [good, bad]) {
      const key = u.p.fields.key as string;
      // The outcome recorded the first time stands (and the steps after it are found done).
      const r1 = await handler(event(key, u.item.size), lambdaContext());
      expect(r1).toEqual({ results: [{ key, outcome: u.item.state }] });
      // As AWS delivers it (URL-encoded) too.
      const r2 = await handler(event(encodeURIComponent(key).replace(/%2F/g, '/'), u.item.size), lambdaContext());
      expect(r2).toEqual({ results: [{ key, outcome: u.item.state }] });
    }
    const itemsAfter = await uploadItems(rt, CAMPAIGN, org.id);
    expect(JSON.stringify(itemsAfter)).toBe(JSON.stringify(itemsBefore));
    expect(itemsAfter).toStrictEqual(itemsBefore);
    expect(await summaryItem(rt, CAMPAIGN, org.id)).toStrictEqual(summaryBefore);
    expect(await listObjects(rt, `accepted/${CAMPAIGN}/${org.id}/`)).toEqual(objectsBefore);
    const docs = await plans(cookie);
    expect(docs[DOC_A]).toMatchObject({ state: 'uploaded', versions: 1 });
  });
});

describe('late submissions', () => {
  const LATE = 'it-late-2019';
  const org = { id: 'it-up-late' };

  beforeAll(async () => {
    await rt.ops.createCampaign(
      JSON.stringify({
        id: LATE,
        title: '集成测试已截止的报送活动',
        noticeNo: '测试〔2019〕9号',
        documents: [{ kind: DOC_A, title: '心理服务体系建设工作实施方案' }],
        deadline: '2019-06-01T23:59:59.999+08:00',
        audience: { orgIds: [org.id] },
        receiverId: seeded.receiverId,
        contact: seeded.contact,
      }),
    );
  });

  it('an upload after the deadline (domain time) is accepted and marked late everywhere', async () => {
    const { cookie } = await sessionFor(rt, org.id, LATE);
    let page = await call(rt, '/upload', { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('2019年6月1日 23:59');
    expect(page.text).toContain('报送截止时间已过');

    const bytes = minimalPdf('late');
    const u = await upload(cookie, org, DOC_A, 'late.pdf', bytes, LATE);
    expect(u.p.fields.key).toBe(`incoming/${LATE}/${org.id}/${DOC_A}/${u.p.uploadId}.pdf`);
    expect(u.item).toMatchObject({ state: 'accepted', late: true, sha256: sha256(bytes) });
    expect(Date.parse(u.item.receivedAt)).toBeGreaterThan(Date.parse('2019-06-01T23:59:59.999+08:00'));
    expect(Date.parse(u.item.receivedAt)).toBeLessThan(Date.parse('2019-06-30T00:00:00+08:00'));

    const docs = await plans(cookie);
    expect(docs[DOC_A]).toMatchObject({ state: 'uploaded', late: true, versions: 1 });
    const status = (await call(rt, '/api/status', { cookie })).json();
    expect(status.campaign.id).toBe(LATE);
    expect(status.totals).toEqual([expect.objectContaining({ group: routeKeyOf({ id: org.id, kind: 'school', districtId: D }), name: '集成测试上传县区', orgs: 1, complete: 1, late: 1 })]);
    expect(status.rows[0].documents[0]).toMatchObject({ late: true, lateVersions: 1, timeliness: expect.stringMatching(/^逾期提交（6月\d+日 \d\d:\d\d）$/) });
    page = await call(rt, '/upload', { cookie });
    expect(page.text).toContain('逾期提交');
    const csv = await call(rt, '/api/status?format=csv', { cookie });
    const line = csv.text.split('\r\n')[1] as string;
    expect(line).toContain(`,${org.id},`);
    expect(line).toMatch(/,已上传,1,2019-06-\d\d \d\d:\d\d,是,2019-06-\d\d \d\d:\d\d,late\.pdf,逾期提交（/);

    // The same org in the seeded (open) campaign is unaffected.
    const other = await sessionFor(rt, org.id);
    const open = await plans(other.cookie);
    expect(open[DOC_A]).toMatchObject({ state: 'missing', late: false });
  });
});
