/**
 * S3 events from the local hook as the validator meets them: an object stored under a key that is not
 * valid percent-encoding (s3rver enforces no POST policy, so a form can name any key) must not crash
 * the hook (it answered 500 and the object was never validated); the attempt it names is recorded as
 * rejected, and nothing reaches accepted/. Orgs: it-ev-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { minimalPdf } from '../fixtures/files.js';
import { CAMPAIGN, importOrgs, listObjects, requestUpload, sessionFor, seedCampaign, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = seeded.documents[0]!.kind;

beforeAll(async () => {
  await importOrgs(rt, ['it-ev-s1,集成测试事件小学,school,,局属学校,,,']);
});

describe('S3 events the validator cannot read as an exact attempt key', () => {
  it('a key with an invalid percent-escape: the POST succeeds, the attempt is rejected (BAD_KEY), nothing is accepted', async () => {
    const { cookie } = await sessionFor(rt, 'it-ev-s1');
    const bytes = minimalPdf('odd key');
    const p = await requestUpload(rt, cookie, { document: DOC, fileName: '方案.pdf', size: bytes.length });
    const fd = new FormData();
    for (const [k, v] of Object.entries(p.fields)) fd.append(k, k === 'key' ? `${v}%zz` : v);
    fd.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), '方案.pdf');
    const res = await fetch(p.url, { method: 'POST', body: fd });
    expect(res.status).toBeLessThan(300); // not the hook's 500
    const item = await waitValidated(rt, CAMPAIGN, 'it-ev-s1', DOC, p.uploadId);
    expect(item).toMatchObject({ state: 'rejected', reason: 'BAD_KEY' });
    expect((await listObjects(rt, `accepted/${CAMPAIGN}/it-ev-s1/`)).length).toBe(0);
  });
});
