/**
 * The advisory pre-check on the local runtime: real documents uploaded through the real pre-signed POST,
 * accepted by the validator (which writes accepted/…), whose ObjectCreated event s3rver hands to the
 * precheck handler as S3 does in the cloud; the result is found in the table, with the right sections.
 * A redelivered event changes nothing. Orgs: it-pre-* (this file only).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { precheckReader } from '../../functions/precheck/store.js';
import { CAMPAIGN, importOrgs, lambdaContext, postToS3, precheckItem, requestUpload, seedCampaign, sessionFor, useRuntime, waitPrecheck, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const D = 'it-pre-d';
const S = 'it-pre-s1';
const DOCS = resolve(import.meta.dirname, '../fixtures/docs');
const doc = (name: string) => new Uint8Array(readFileSync(resolve(DOCS, name)));
const found = (item: Record<string, any>) => (item.sections as { key: string; found: boolean }[]).filter((s) => s.found).map((s) => s.key);
const missing = (item: Record<string, any>) => (item.sections as { key: string; found: boolean }[]).filter((s) => !s.found).map((s) => s.key);

let cookie: string;
beforeAll(async () => {
  expect(seeded.documents.map((d) => d.kind)).toEqual(['service-plan', 'crisis-plan']);
  await importOrgs(rt, [`${D},集成测试预检县区,district,,,,,`, `${S},集成测试预检一小学,school,${D},,,,`]);
  ({ cookie } = await sessionFor(rt, S));
});

/** Uploads a file as the school, waits until it is accepted and its pre-check stored; returns both. */
async function uploadAndCheck(document: string, fixture: string, fileName: string) {
  const bytes = doc(fixture);
  const p = await requestUpload(rt, cookie, { document, fileName, size: bytes.length });
  const posted = await postToS3(p, bytes, fileName);
  expect(posted.status, posted.text).toBe(204);
  const upload = await waitValidated(rt, CAMPAIGN, S, document, p.uploadId);
  expect(upload.state, JSON.stringify(upload)).toBe('accepted');
  const check = await waitPrecheck(rt, CAMPAIGN, S, document, p.uploadId);
  return { uploadId: p.uploadId, upload, check };
}

describe('plan pre-check on the local runtime', () => {
  it('a crisis plan PDF with every section: all five found', async () => {
    const { uploadId, upload, check } = await uploadAndCheck('crisis-plan', 'precheck/crisis-plan.pdf', '湖坊小学心理危机管理工作方案.pdf');
    expect(upload.acceptedKey).toBe(`accepted/${CAMPAIGN}/${S}/crisis-plan/${uploadId}.pdf`);
    expect(check).toMatchObject({ pk: `CAMPAIGN#${CAMPAIGN}`, sk: `PRECHECK#${S}#crisis-plan#${uploadId}`, campaignId: CAMPAIGN, orgId: S, document: 'crisis-plan', uploadId, status: 'ok', pages: 1 });
    expect(check.sections).toEqual([
      { key: 'organisation', label: '组织机构及职责', found: true },
      { key: 'prevention', label: '早期预防', found: true },
      { key: 'warning', label: '早期预警', found: true },
      { key: 'intervention', label: '危机干预', found: true },
      { key: 'aftercare', label: '善后处理（危机后处理）', found: true },
    ]);
    expect(check.chars).toBeGreaterThan(400);
    // Domain time, as every record of the local runtime (the seeded campaign's June 2019).
    expect(Date.parse(check.checkedAt)).toBeGreaterThanOrEqual(Date.parse(upload.receivedAt));
  });

  it('a crisis plan DOCX without 早期预警 and 善后处理: those two not found', async () => {
    const { check } = await uploadAndCheck('crisis-plan', 'plan.docx', '东湖区第一小学心理危机管理工作方案.docx');
    expect(check.status).toBe('ok');
    expect(found(check)).toEqual(['organisation', 'prevention', 'intervention']);
    expect(missing(check)).toEqual(['warning', 'aftercare']);
  });

  it('a service plan DOCX: its attachment’s headings and tasks, 工作要求 and the ninth task missing', async () => {
    const { check } = await uploadAndCheck('service-plan', 'precheck/service-plan.docx', '招贤中学心理服务体系建设工作实施方案.docx');
    expect(check.status).toBe('ok');
    expect(missing(check)).toEqual(['requirements', 'task-teachers']);
    expect(found(check)).toHaveLength(12);
  });

  it('a scanned PDF says it has no text; a .doc that it cannot be checked — both still accepted', async () => {
    const scan = await uploadAndCheck('crisis-plan', 'precheck/scan.pdf', '扫描件.pdf');
    expect(scan.check).toMatchObject({ status: 'no-text', chars: 0, pages: 1 });
    expect(found(scan.check)).toEqual([]);
    const word97 = await uploadAndCheck('service-plan', 'plan.doc', '实施方案.doc');
    expect(word97.check).toMatchObject({ status: 'unsupported', chars: 0, detail: 'Word 97–2003 (.doc)' });
  });

  it('the store lists the org’s results; a redelivered accepted/ event changes nothing', async () => {
    const results = await precheckReader(rt.ddb, rt.table).listOrg(CAMPAIGN, S);
    expect(results.map((r) => r.status).sort()).toEqual(['no-text', 'ok', 'ok', 'ok', 'unsupported']);
    const first = results.find((r) => r.document === 'crisis-plan' && r.status === 'ok' && r.pages === 1)!;
    const before = await precheckItem(rt, CAMPAIGN, S, first.document, first.uploadId);
    const key = `accepted/${CAMPAIGN}/${S}/${first.document}/${first.uploadId}.pdf`;
    const { handler } = await import('../../functions/precheck/handler.js');
    const event = (k: string) => ({
      Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put', s3: { s3SchemaVersion: '1.0', bucket: { name: rt.bucket }, object: { key: k, size: 1 } } }],
    });
    expect(await handler(event(key), lambdaContext())).toEqual({ results: [{ key, outcome: 'already checked' }] });
    expect(await handler(event(encodeURIComponent(key)), lambdaContext())).toEqual({ results: [{ key, outcome: 'already checked' }] });
    expect(await precheckItem(rt, CAMPAIGN, S, first.document, first.uploadId)).toStrictEqual(before);
  });
});
