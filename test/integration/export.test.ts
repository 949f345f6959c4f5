/**
 * Zip exports against the real s3rver: plans under accepted/ (one through the real upload and
 * validator, the others put directly, large enough for a multipart zip), an export request written
 * to export-requests/, the runtime's S3 event → export-zip, then the zip downloaded (also through a
 * pre-signed GET), unpacked, and every entry checked against the manifest and the request.
 * Orgs: it-ex-* (this file only).
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, ExportIntegrityError, manifestCsv, type ManifestRow, zipPaths } from '../../functions/plans/export.js';
import { s3Downloads } from '../../functions/plans/s3.js';
import { type ExportEntry, exportRequestOf, MANIFEST_NAME, zipKeyOf } from '../../schemas/exports.js';
import { lambdaContext } from '../../local/router.js';
import { minimalPdf } from '../fixtures/files.js';
import { parseCsv, sha256hex, unzipBuffer } from '../fixtures/unzip.js';
import { CAMPAIGN, importOrgs, listObjects, postToS3, requestUpload, seedCampaign, sessionFor, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const [DOC_A, DOC_B] = seeded.documents as [{ kind: string; title: string }, { kind: string; title: string }];
const D = 'it-ex-d';

/** The handler itself, in this process (same emulators): to see what it returns or throws. */
const exportZipHandler = async () => {
  const { handler } = await import('../../functions/plans/export-zip.js');
  return (event: unknown) => handler(event, lambdaContext('export-zip'));
};
const s3Event = (key: string) => ({
  Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: new Date().toISOString(), s3: { bucket: { name: rt.bucket }, object: { key } } }],
});

async function putObject(key: string, body: Uint8Array | string, contentType: string) {
  await rt.s3.send(new PutObjectCommand({ Bucket: rt.bucket, Key: key, Body: body, ContentType: contentType }));
}

async function getBytes(key: string): Promise<Buffer> {
  const r = await rt.s3.send(new GetObjectCommand({ Bucket: rt.bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function exists(key: string): Promise<boolean> {
  try {
    await rt.s3.send(new HeadObjectCommand({ Bucket: rt.bucket, Key: key }));
    return true;
  } catch (e) {
    if ((e as Error).name === 'NotFound') return false;
    throw e;
  }
}

/** Waits (bounded) until the runtime's export-zip has written the zip. */
async function waitForObject(key: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!(await exists(key))) {
    if (Date.now() > until) throw new Error(`${key} did not appear within ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

interface Plan {
  orgId: string;
  orgName: string;
  districtName?: string;
  doc: { kind: string; title: string };
  key: string;
  bytes: Uint8Array;
  sha256: string;
  receivedAt: string;
  originalName: string;
  onTime: boolean;
}

const plans: Plan[] = [];

beforeAll(async () => {
  await importOrgs(rt, [`${D},集成测试导出县区,district,,,,,`, `it-ex-s1,集成测试导出一小学,school,${D},,,,`, `it-ex-s2,集成测试导出二中学,school,,局属学校,,,`]);

  // One plan through the real upload: the validator's own key, size and sha256 go into the request.
  const { cookie } = await sessionFor(rt, 'it-ex-s1');
  const pdf = minimalPdf('export me');
  const p = await requestUpload(rt, cookie, { document: DOC_A.kind, fileName: '危机方案.pdf', size: pdf.length });
  expect((await postToS3(p, pdf, '危机方案.pdf')).status).toBe(204);
  const item = await waitValidated(rt, CAMPAIGN, 'it-ex-s1', DOC_A.kind, p.uploadId);
  expect(item.state).toBe('accepted');
  expect(item.sha256).toBe(sha256hex(pdf));
  plans.push({ orgId: 'it-ex-s1', orgName: '集成测试导出一小学', districtName: '集成测试导出县区', doc: DOC_A, key: item.acceptedKey, bytes: pdf, sha256: item.sha256, receivedAt: item.receivedAt, originalName: item.originalName, onTime: !item.late });

  // Others put straight under accepted/: together over one 8 MiB part, so the zip is a multipart upload.
  const direct: [string, string | undefined, string, { kind: string; title: string }, number][] = [
    ['it-ex-s1', '集成测试导出县区', '集成测试导出一小学', DOC_B, 5 * 1024 * 1024],
    ['it-ex-s2', undefined, '集成/测试:导出"二"中学', DOC_A, 4 * 1024 * 1024 + 17],
    ['it-ex-s2', undefined, '集成/测试:导出"二"中学', DOC_B, 1000],
  ];
  for (const [i, [orgId, districtName, orgName, doc, size]] of direct.entries()) {
    const bytes = randomBytes(size);
    const key = `accepted/${CAMPAIGN}/${orgId}/${doc.kind}/${'e'.repeat(31)}${i}.pdf`;
    await putObject(key, bytes, 'application/pdf');
    plans.push({ orgId, orgName, districtName, doc, key, bytes, sha256: sha256hex(bytes), receivedAt: `2019-06-30T1${i}:00:00.000Z`, originalName: `方案${i}.pdf`, onTime: i !== 2 });
  }
});

/** The request the HTTP side would write for these plans. */
function requestFor(list: Plan[], fileName = '2019年心理服务方案-集成测试.zip') {
  const paths = zipPaths(list.map((p) => ({ districtName: p.districtName, orgId: p.orgId, orgName: p.orgName, title: p.doc.title, ext: 'pdf' })));
  const entries: ExportEntry[] = list.map((p, i) => ({ path: paths[i]!, key: p.key, size: p.bytes.length, sha256: p.sha256, receivedAt: p.receivedAt }));
  const rows: ManifestRow[] = list.map((p, i) => ({
    orgName: p.orgName,
    districtName: p.districtName ?? '直属学校',
    documentTitle: p.doc.title,
    version: 1,
    originalName: p.originalName,
    size: p.bytes.length,
    sha256: p.sha256,
    receivedAt: p.receivedAt,
    onTime: p.onTime,
    note: p.onTime ? '' : '逾期提交',
    path: paths[i],
  }));
  return exportRequestOf({ campaignId: CAMPAIGN, fileName, entries, manifestCsv: manifestCsv(rows) });
}

describe('zip export (s3rver, runtime S3 event → export-zip)', () => {
  it('builds the zip of a written request; every entry matches the manifest and the plan', async () => {
    const { key, request } = requestFor(plans);
    expect(await exists(request.zipKey)).toBe(false);
    await putObject(key, JSON.stringify(request), 'application/json');
    await waitForObject(request.zipKey);

    const head = await rt.s3.send(new HeadObjectCommand({ Bucket: rt.bucket, Key: request.zipKey }));
    expect(head.ContentType).toBe('application/zip');
    const zip = await getBytes(request.zipKey);
    expect(zip.length).toBeGreaterThan(9 * 1024 * 1024); // more than one part

    const entries = await unzipBuffer(zip);
    expect(entries.map((e) => e.path)).toEqual([MANIFEST_NAME, ...request.entries.map((e) => e.path)]);
    expect(entries.map((e) => e.path)).toContain(`直属学校/集成_测试_导出_二_中学/${DOC_A.title}.pdf`);
    const manifest = parseCsv(entries[0]!.bytes.toString('utf8'));
    expect(manifest[0]).toEqual(['单位', '所属县区', '材料', '版本', '原文件名', '大小(字节)', 'SHA-256', '接收时间(北京时间)', '是否按时', '备注', '压缩包内路径']);
    const rows = manifest.slice(1);
    expect(rows).toHaveLength(plans.length);
    for (const [i, f] of entries.slice(1).entries()) {
      const row = rows[i]!;
      expect(row[10], 'the manifest names the file by its path in the zip').toBe(f.path);
      expect(f.sha256, f.path).toBe(row[6]); // the manifest tells the truth about the file
      expect(String(f.bytes.length)).toBe(row[5]);
      expect(f.sha256).toBe(sha256hex(plans[i]!.bytes));
      expect(row[0]).toBe(plans[i]!.orgName);
    }
    expect(rows[3]![8]).toBe('逾期');
    expect(rows[0]![8]).toBe('按时');

    // Nothing else was written under exports/ for this request (no stray parts or temporary objects).
    expect((await listObjects(rt, `exports/${CAMPAIGN}/`)).map((o) => o.key)).toContain(request.zipKey);
    expect((await listObjects(rt, request.zipKey)).map((o) => o.key)).toEqual([request.zipKey]);

    // A re-delivered event finds the zip and leaves it as it is.
    const before = (await listObjects(rt, request.zipKey))[0]!;
    expect(await (await exportZipHandler())(s3Event(key))).toEqual({ results: [{ key, outcome: 'exists' }] });
    expect((await listObjects(rt, request.zipKey))[0]).toEqual(before);

    // The Centre's download: a pre-signed GET that names the file in Chinese.
    const url = await s3Downloads(rt.s3, rt.bucket).presignGet(request.zipKey, { fileName: request.fileName, asciiFallback: 'plans-2019.zip', expiresSeconds: 300 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(contentDisposition(request.fileName, 'plans-2019.zip'));
    expect(Buffer.from(await res.arrayBuffer()).equals(zip)).toBe(true);
  });

  it('refuses to publish a zip when an object is not the one the request lists', async () => {
    const tampered = plans.map((p, i) => (i === 2 ? { ...p, sha256: sha256hex('not these bytes') } : p));
    const { key, request } = requestFor(tampered, '篡改.zip');
    await putObject(key, JSON.stringify(request), 'application/json'); // the runtime's own run fails too
    const handler = await exportZipHandler();
    await expect(handler(s3Event(key))).rejects.toBeInstanceOf(ExportIntegrityError);
    expect(await exists(request.zipKey)).toBe(false);
    expect(await listObjects(rt, request.zipKey)).toEqual([]);
  });

  it('throws on a request it cannot read (so the event reaches the failed-event queue), writing nothing', async () => {
    const { key, request } = requestFor(plans.slice(0, 1), '坏请求.zip');
    await putObject(key, JSON.stringify({ ...request, fileName: 'not-what-was-hashed.zip' }), 'application/json');
    const handler = await exportZipHandler();
    await expect(handler(s3Event(key))).rejects.toThrow(/hashes to/);
    expect(await exists(zipKeyOf(CAMPAIGN, key.split('/')[2]!.replace('.json', '')))).toBe(false);
  });
});
