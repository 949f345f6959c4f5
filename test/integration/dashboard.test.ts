/**
 * The dashboard over real HTTP: the numbers follow uploads and reviews, the Bureau sees the city and drills into
 * a District, a District office sees only its own, schools have none; the page's pictures, the curve (a picture of
 * its own), the CSV. Orgs: it-db-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { clockOf } from '../../functions/shared/clock.js';
import { readEnv } from '../../functions/shared/env.js';
import { minimalPdf } from '../fixtures/files.js';
import { CAMPAIGN, call, expectHtmlError, expectJsonError, importOrgs, postToS3, requestUpload, seedCampaign, sessionFor, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOCS = seeded.documents.map((d) => d.kind);
const D = 'it-db-d';
const A = 'it-db-a';
const B = 'it-db-b';
const C = 'it-db-c';
const GROUP = `D#${D}`;
const sessions: Record<string, string> = {};
const dayAfter = (n: number) => new Date(clockOf(readEnv(process.env)).now().getTime() + 8 * 3600_000 + n * 86_400_000).toISOString().slice(0, 10);

async function uploadAll(orgId: string) {
  const versions: number[] = [];
  for (const doc of DOCS) {
    const bytes = minimalPdf(`${orgId}-${doc}`);
    const p = await requestUpload(rt, sessions[orgId] as string, { document: doc, fileName: `${doc}.pdf`, size: bytes.length });
    expect((await postToS3(p, bytes, `${doc}.pdf`)).status).toBe(204);
    versions.push((await waitValidated(rt, CAMPAIGN, orgId, doc, p.uploadId)).version as number);
  }
  return versions;
}

beforeAll(async () => {
  await importOrgs(rt, [`${D},集成测试统计县区教体局,district,,,,,`, `${A},集成测试统计甲小学,school,${D},,,,`, `${B},集成测试统计乙小学,school,${D},,,,`, `${C},集成测试统计丙小学,school,${D},,,,`]);
  for (const id of [D, A, B, C, 'bureau']) sessions[id] = (await sessionFor(rt, id)).cookie;
  const [a, b] = [await uploadAll(A), await uploadAll(B)];
  for (const [i, doc] of DOCS.entries()) {
    const accept = await call(rt, '/api/reviews', { cookie: sessions[D], json: { org: A, document: doc, version: a[i], decision: 'accept' } });
    expect(accept.status, accept.text).toBe(200);
  }
  const ret = await call(rt, '/api/reviews', { cookie: sessions[D], json: { org: B, document: DOCS[0], version: b[0], decision: 'return', comment: '请补充', dueDate: dayAfter(5) } });
  expect(ret.status, ret.text).toBe(200);
});

describe('the dashboard', () => {
  it('counts a District’s schools by review state (the District office itself still owes its plans)', async () => {
    const r = await call(rt, `/api/dashboard?group=${encodeURIComponent(GROUP)}`, { cookie: sessions.bureau });
    expect(r.status, r.text).toBe(200);
    const g = (r.json().groups as { group: string }[]).find((x) => x.group === GROUP);
    expect(g).toMatchObject({ name: '集成测试统计县区教体局', expected: 4, uploaded: 2, accepted: 1, returned: 1, awaiting: 0, missing: 2, exempt: 0 });
  });

  it('the page shows its pictures as one SVG image: the bars and the curve', async () => {
    const page = await call(rt, '/dashboard', { cookie: sessions.bureau });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<img class="chart" id="pictures"');
    expect(page.text).toContain(`href="/dashboard?group=${encodeURIComponent(GROUP)}"`);
    expect(page.text).toContain('src="/api/dashboard?format=svg"');
    const curve = await call(rt, `/api/dashboard?format=svg&group=${encodeURIComponent(GROUP)}`, { cookie: sessions.bureau });
    expect(curve.status).toBe(200);
    expect(curve.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(curve.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(curve.text).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>$/);
    // Three pictures nested in one: the two bar charts (this District's bar) and the curve.
    expect(curve.text.match(/<svg /g)).toHaveLength(4);
    expect(curve.text).toContain('class="chart completeness"');
    expect(curve.text).toContain('class="chart timeliness"');
    expect(curve.text).toContain('class="cumulative"');
    expect(curve.text).toContain('集成测试统计县区教体局');
    expect(curve.text).not.toMatch(/NaN|Infinity/);
    const drilled = await call(rt, `/dashboard?group=${encodeURIComponent(GROUP)}`, { cookie: sessions.bureau });
    expect(drilled.text).toContain(`data-org="${A}" data-state="accepted"`);
    expect(drilled.text).toContain(`data-org="${B}" data-state="returned"`);
    expect(drilled.text).toContain(`data-org="${C}" data-state="missing"`);
  });

  it('a District office sees its own jurisdiction whatever the address says; a school has no dashboard', async () => {
    const own = await call(rt, '/api/dashboard?group=DIRECT', { cookie: sessions[D] });
    expect((own.json().groups as { group: string }[]).map((g) => g.group)).toEqual([GROUP]);
    const page = await call(rt, '/dashboard', { cookie: sessions[D] });
    expect(page.text).toContain(`data-org="${A}"`);
    expect(page.text).not.toContain('直属学校（局属');
    expectHtmlError(await call(rt, '/dashboard', { cookie: sessions[A] }), 403);
    expectJsonError(await call(rt, '/api/dashboard', { cookie: sessions[A] }), 403, 'NO_DASHBOARD');
    expectJsonError(await call(rt, '/api/dashboard?format=pdf', { cookie: sessions.bureau }), 400, 'VALIDATION');
    expectHtmlError(await call(rt, '/dashboard?format=csv', { cookie: sessions.bureau }), 400);
  });

  it('exports the groups as CSV (UTF-8 with BOM)', async () => {
    const res = await fetch(`${rt.baseUrl}/api/dashboard?format=csv&group=${encodeURIComponent(GROUP)}`, { headers: { cookie: sessions.bureau as string } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toContain('集成测试统计县区教体局');
  });
});
