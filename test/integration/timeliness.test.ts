/**
 * A document first handed in at 23:59 on 30 June and corrected at 00:01 on 1 July is on time, with the
 * correction flagged on its own: in the status JSON and CSV, on the status page and in the own history.
 *
 * How the two arrival times are made: the runtime's domain clock is fixed at start-up (DEV_NOW, early
 * June) and its own validator runs on s3rver's event with the real time of arrival, so an object posted
 * to incoming/ is validated "now". Here the attempts are real (POST /api/uploads), but the bytes are put
 * outside incoming/ (no event fires) and this test runs the product's validateUpload in-process against
 * the same DynamoDB and S3 emulators, with the product's anchored domain clock set to 23:59 on 30 June
 * and the arrival instants (`receivedReal`, what the handler takes from the event's eventTime) 0 and
 * 2 minutes later. Only the incoming read is redirected to where the bytes were put.
 * Orgs: it-tl-* (this file only).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { storeDeps } from '../../functions/plans/deps.js';
import { s3Objects } from '../../functions/plans/s3.js';
import { type ObjectStore, validateUpload } from '../../functions/plans/service.js';
import { anchoredClock } from '../../functions/shared/clock.js';
import { readEnv } from '../../functions/shared/env.js';
import { routeKeyOf } from '../../schemas/orgs.js';
import { IncomingKey } from '../../schemas/s3-events.js';
import { minimalPdf } from '../fixtures/files.js';
import { call, importOrgs, listObjects, requestUpload, seedCampaign, sessionFor, sha256, summaryItem, uploadItem, useRuntime } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = seeded.documents[0] as { kind: string; title: string };
const C = 'it-tl-2019';
const D = 'it-tl-d';
const S = 'it-tl-s';

beforeAll(async () => {
  await importOrgs(rt, [`${D},集成测试时效县区,district,,,,,`, `${S},集成测试时效小学,school,${D},,,,`]);
  await rt.ops.createCampaign(
    JSON.stringify({
      id: C,
      title: '集成测试按时与修改',
      noticeNo: '测试〔2019〕7号',
      documents: [DOC],
      deadline: '2019-06-30T23:59:59.999+08:00',
      audience: { orgIds: [S] },
      receiverId: seeded.receiverId,
      contact: seeded.contact,
    }),
  );
});

/** Reads incoming/<campaign>/<org>/<document>/<uploadId>.<ext> from where the test put the bytes. */
const staged = (o: ObjectStore): ObjectStore => ({
  read: (key, versionId) => o.read(key.replace(/^incoming\/[^/]+\/[^/]+\/[^/]+\//, 'it-staging/'), versionId),
  writeNew: (key, bytes, type) => o.writeNew(key, bytes, type),
  exists: (key) => o.exists(key),
});

describe('timeliness by the first version', () => {
  it('23:59 then 00:01: on time, "按时提交（6月30日 23:59），7月1日 00:01 修改", the correction flagged late', async () => {
    const school = await sessionFor(rt, S, C);
    const v1 = minimalPdf('first version, 23:59');
    const v2 = minimalPdf('the correction, 00:01');
    const p1 = await requestUpload(rt, school.cookie, { document: DOC.kind, fileName: '实施方案.pdf', size: v1.length });
    const p2 = await requestUpload(rt, school.cookie, { document: DOC.kind, fileName: '实施方案-修订.pdf', size: v2.length });
    for (const [p, bytes] of [
      [p1, v1],
      [p2, v2],
    ] as const)
      await rt.s3.send(new PutObjectCommand({ Bucket: rt.bucket, Key: `it-staging/${p.uploadId}.pdf`, Body: bytes, ContentType: 'application/pdf' }));

    const real = new Date();
    const deps = {
      ...storeDeps(readEnv(process.env), rt.ddb),
      clock: anchoredClock(`2019-06-30T23:59:00.000+08:00|${real.toISOString()}`),
      objects: staged(s3Objects(rt.s3, rt.bucket)),
    };
    expect(await validateUpload(deps, IncomingKey.parse(p1.fields.key), real)).toBe('accepted');
    expect(await validateUpload(deps, IncomingKey.parse(p2.fields.key), new Date(real.getTime() + 120_000))).toBe('accepted');

    const [a1, a2] = await Promise.all([uploadItem(rt, C, S, DOC.kind, p1.uploadId), uploadItem(rt, C, S, DOC.kind, p2.uploadId)]);
    expect(a1).toMatchObject({ state: 'accepted', receivedAt: '2019-06-30T15:59:00.000Z', late: false, version: 1, sha256: sha256(v1) });
    expect(a2).toMatchObject({ state: 'accepted', receivedAt: '2019-06-30T16:01:00.000Z', late: true, version: 2, sha256: sha256(v2) });
    expect(a1?.receiptNo).toBe(`HJ20190630-${p1.uploadId.slice(0, 10).toUpperCase()}`);
    expect(a2?.receiptNo).toBe(`HJ20190701-${p2.uploadId.slice(0, 10).toUpperCase()}`);
    expect((await summaryItem(rt, C, S))?.docs[DOC.kind]).toMatchObject({
      ids: [p1.uploadId, p2.uploadId],
      first: { uploadId: p1.uploadId, late: false },
      last: { uploadId: p2.uploadId, version: 2, late: true },
      lateVersions: 1,
    });
    const stored = await listObjects(rt, `accepted/${C}/${S}/`);
    expect(stored.map((o) => [o.key, o.size])).toEqual([
      [a1?.acceptedKey, v1.length],
      [a2?.acceptedKey, v2.length],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))));

    // The District's status JSON: on time, with the correction.
    const district = await sessionFor(rt, D, C);
    const r = await call(rt, '/api/status', { cookie: district.cookie });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    const row = body.rows.find((x: { orgId: string }) => x.orgId === S);
    expect(row).toMatchObject({ complete: true, group: routeKeyOf({ id: S, kind: 'school', districtId: D }) });
    expect(row.documents[0]).toMatchObject({
      state: 'uploaded',
      versions: 2,
      late: false,
      firstAt: '2019-06-30T15:59:00.000Z',
      lastVersion: 2,
      lastUploadAt: '2019-06-30T16:01:00.000Z',
      lastLate: true,
      lastFileName: '实施方案-修订.pdf',
      lateVersions: 1,
      timeliness: '按时提交（6月30日 23:59），7月1日 00:01 修改',
    });
    expect(body.totals).toEqual([expect.objectContaining({ group: row.group, name: '集成测试时效县区', orgs: 1, complete: 1, late: 0 })]); // only the school is in this campaign's audience

    // The CSV and the status page say the same.
    const csv = await call(rt, '/api/status?format=csv', { cookie: district.cookie });
    const line = csv.text.split('\r\n').find((l) => l.includes(`,${S},`)) as string;
    expect(line).toContain(',已上传,2,2019-06-30 23:59,否,2019-07-01 00:01,实施方案-修订.pdf,按时提交（6月30日 23:59），7月1日 00:01 修改');
    expect(csv.text).toMatch(/\r\n合计,.*,逾期 0,/);
    const page = await call(rt, '/status', { cookie: district.cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('按时提交（6月30日 23:59），7月1日 00:01 修改 · 共 2 版');

    // The school's own history: the first version on time, the correction late, each with its receipt number.
    const own = (await call(rt, '/api/plans', { cookie: school.cookie })).json();
    expect(own.rows[0].documents[0].history.map((h: Record<string, unknown>) => [h.version, h.at, h.late, h.receiptNo])).toEqual([
      [1, '2019-06-30T15:59:00.000Z', false, a1?.receiptNo],
      [2, '2019-06-30T16:01:00.000Z', true, a2?.receiptNo],
    ]);
  });
});
