/**
 * A school moved to another District by re-importing the org registry (the operator's path): the new
 * District sees it with its whole history, the old one no longer does, nothing is stranded under an old
 * key, and an upload link issued before the move still ends in a recorded version.
 * Orgs: it-mv-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { routeKeyOf } from '../../schemas/orgs.js';
import { minimalPdf } from '../fixtures/files.js';
import { CAMPAIGN, call, importOrgs, postToS3, requestUpload, seedCampaign, sessionFor, summaryItem, uploadItems, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = (seeded.documents[0] as { kind: string }).kind;
const A = 'it-mv-a';
const B = 'it-mv-b';
const S = 'it-mv-s';
const groupOf = (districtId: string) => routeKeyOf({ id: S, kind: 'school', districtId });

beforeAll(async () => {
  await importOrgs(rt, [`${A},集成测试迁出县区,district,,,,,`, `${B},集成测试迁入县区,district,,,,,`, `${S},集成测试迁移小学,school,${A},,,,`]);
});

const statusOf = async (cookie: string) => {
  const r = await call(rt, '/api/status', { cookie });
  expect(r.status, r.text).toBe(200);
  return r.json();
};

describe('moving a school to another District', () => {
  it('the new District sees it with its versions, the old one does not; an upload issued before the move is recorded', async () => {
    const school = await sessionFor(rt, S);
    const first = await requestUpload(rt, school.cookie, { document: DOC, fileName: '迁移前.pdf', size: minimalPdf('before').length });
    expect((await postToS3(first, minimalPdf('before'), '迁移前.pdf')).status).toBe(204);
    expect(await waitValidated(rt, CAMPAIGN, S, DOC, first.uploadId)).toMatchObject({ state: 'accepted', version: 1 });
    // An upload link taken before the move, posted after it.
    const second = await requestUpload(rt, school.cookie, { document: DOC, fileName: '迁移后.pdf', size: minimalPdf('after').length });

    const [a, b] = [await sessionFor(rt, A), await sessionFor(rt, B)];
    expect((await statusOf(a.cookie)).rows.map((r: { orgId: string }) => r.orgId)).toEqual([A, S]);
    expect((await statusOf(b.cookie)).rows.map((r: { orgId: string }) => r.orgId)).toEqual([B]);

    // The operator re-imports the registry with the school under B.
    await importOrgs(rt, [`${S},集成测试迁移小学,school,${B},,,,`]);
    expect((await rt.ops.listOrgs()).find((o) => o.id === S)?.districtId).toBe(B);

    expect((await postToS3(second, minimalPdf('after'), '迁移后.pdf')).status).toBe(204);
    expect(await waitValidated(rt, CAMPAIGN, S, DOC, second.uploadId)).toMatchObject({ state: 'accepted', version: 2 });

    const oldView = await statusOf(a.cookie);
    expect(oldView.rows.map((r: { orgId: string }) => r.orgId)).toEqual([A]);
    expect(oldView.totals).toEqual([expect.objectContaining({ group: groupOf(A), orgs: 1 })]);
    const newView = await statusOf(b.cookie);
    expect(newView.rows.map((r: { orgId: string }) => r.orgId)).toEqual([B, S]);
    const row = newView.rows.find((r: { orgId: string }) => r.orgId === S);
    expect(row).toMatchObject({ group: groupOf(B) });
    expect(row.documents.find((d: { document: string }) => d.document === DOC)).toMatchObject({ state: 'uploaded', versions: 2, lastVersion: 2, lastFileName: '迁移后.pdf' });
    expect(newView.totals).toEqual([expect.objectContaining({ group: groupOf(B), name: '集成测试迁入县区', orgs: 2, byDocument: expect.objectContaining({ [DOC]: 1 }) })]);

    // The pages and the CSV follow.
    expect((await call(rt, '/status', { cookie: b.cookie })).text).toContain(`data-org="${S}"`);
    expect((await call(rt, '/status', { cookie: a.cookie })).text).not.toContain(`data-org="${S}"`);
    expect((await call(rt, '/api/status?format=csv', { cookie: a.cookie })).text).not.toContain(`,${S},`);
    expect((await call(rt, '/api/status?format=csv', { cookie: b.cookie })).text).toContain(`集成测试迁入县区,,${S},集成测试迁移小学,学校,`);

    // The Bureau sees it in B's group.
    const bureau = await sessionFor(rt, 'bureau');
    expect((await statusOf(bureau.cookie)).rows.find((r: { orgId: string }) => r.orgId === S)).toMatchObject({ group: groupOf(B) });

    // Nothing stranded: the attempts and the status item are where they were; the school's session still works.
    expect((await uploadItems(rt, CAMPAIGN, S)).filter((i) => i.state === 'accepted').map((i) => i.version).sort()).toEqual([1, 2]);
    expect((await summaryItem(rt, CAMPAIGN, S))?.docs[DOC]?.ids).toEqual([first.uploadId, second.uploadId]);
    const own = (await call(rt, '/api/plans', { cookie: school.cookie })).json();
    expect(own.rows[0].documents.find((d: { document: string }) => d.document === DOC).history.map((h: { version: number }) => h.version)).toEqual([1, 2]);
    const page = await call(rt, '/upload', { cookie: school.cookie });
    expect(page.text).toContain('本校的方案先由集成测试迁入县区收齐、审核');
  });
});
