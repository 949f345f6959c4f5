/**
 * Forwarding as a District office and the Centre meet it, over real HTTP on the emulators: a bundle refused until
 * every school is accepted or named, forwarded with one named exemption, its zip built by export-zip and checked
 * against its manifest byte for byte, received (回执 mailed), a change after forwarding seen and re-forwarded as a new
 * bundle, a bundle returned; who may do what; invalid transitions change nothing.
 * Orgs: it-bd-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_NAME } from '../../schemas/exports.js';
import { minimalPdf } from '../fixtures/files.js';
import { parseCsv, sha256hex, unzipBuffer } from '../fixtures/unzip.js';
import { CAMPAIGN, call, expectHtmlError, expectJsonError, importOrgs, postToS3, requestUpload, seedCampaign, sessionFor, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOCS = seeded.documents.map((d) => d.kind);
const D = 'it-bd-d';
const D2 = 'it-bd-d2';
const A = 'it-bd-a';
const B = 'it-bd-b';
const D_MAIL = 'it-bd-d@example.org';
const sessions: Record<string, string> = {};
const latest: Record<string, number[]> = {};

async function uploadAll(orgId: string, tag: string) {
  const versions: number[] = [];
  for (const doc of DOCS) {
    const bytes = minimalPdf(`${orgId}-${doc}-${tag}`);
    const p = await requestUpload(rt, sessions[orgId] as string, { document: doc, fileName: `${doc}-${tag}.pdf`, size: bytes.length });
    expect((await postToS3(p, bytes, `${doc}.pdf`)).status).toBe(204);
    versions.push((await waitValidated(rt, CAMPAIGN, orgId, doc, p.uploadId)).version as number);
  }
  latest[orgId] = versions;
}
const acceptAll = async (orgId: string) => {
  for (const [i, doc] of DOCS.entries()) {
    const r = await call(rt, '/api/reviews', { cookie: sessions[D], json: { org: orgId, document: doc, version: latest[orgId]?.[i], decision: 'accept' } });
    expect(r.status, r.text).toBe(200);
  }
};
const act = (body: Record<string, unknown>, who = D) => call(rt, '/api/bundles', { cookie: sessions[who], json: body });
const bundleItems = async () => {
  const page = await call(rt, '/bundles', { cookie: sessions.centre });
  return [...page.text.matchAll(new RegExp(`data-bundle="${D}-(\\d+)" data-state="(\\w+)"`, 'g'))].map((m) => [Number(m[1]), m[2]]);
};
const mailsTo = async (address: string, subject: string) => {
  const r = await fetch(`${rt.sesUrl}/store`);
  const mails = ((await r.json()) as { emails: { subject: string; destination: { to: string[] | string } }[] }).emails;
  return mails.filter((m) => m.subject.startsWith(subject) && [m.destination.to].flat().map((a) => String(a).toLowerCase()).includes(address));
};
async function waitFor<T>(f: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
}

beforeAll(async () => {
  await importOrgs(rt, [
    `${D},集成测试转报县区教体局,district,,,转报员,${D_MAIL},0791-80000011`,
    `${D2},集成测试别的县区教体局,district,,,,,`,
    `${A},集成测试转报甲小学,school,${D},,,,`,
    `${B},集成测试转报乙小学,school,${D},,,,`,
  ]);
  await rt.ops.sendInvites(CAMPAIGN);
  for (const id of [D, D2, A, B, 'centre', 'bureau']) sessions[id] = (await sessionFor(rt, id)).cookie;
});

describe('forwarding a jurisdiction', () => {
  it('refuses until the District’s own plans are in and every school is accepted or named; nothing is written', async () => {
    expectJsonError(await act({ action: 'forward' }), 409, 'OWN_MISSING');
    await uploadAll(D, 'own');
    await uploadAll(A, 'v1');
    await uploadAll(B, 'v1');
    await acceptAll(A);
    const r = await act({ action: 'forward' });
    expectJsonError(r, 409, 'NOT_READY');
    expect(r.json().error.details.map((b: { orgId: string }) => b.orgId)).toEqual([B]);
    expectJsonError(await act({ action: 'forward', exemptions: { [D2]: '不是本辖区' } }), 400, 'UNKNOWN_SCHOOL');
    expectJsonError(await act({ action: 'forward', exemptions: { [B]: '' } }), 400, 'VALIDATION');
    expect(await bundleItems()).toEqual([]);
  });

  it('forwards with one named exemption: its own plans and the accepted school’s, the Centre mailed; the same again is refused', async () => {
    const r = await act({ action: 'forward', note: '请查收', exemptions: { [B]: '学校已撤并' } });
    expect(r.status, r.text).toBe(200);
    const b = r.json().bundle;
    expect(b).toMatchObject({ seq: 1, state: 'forwarded', exemptions: [{ orgId: B, reason: '学校已撤并' }], note: '请查收' });
    expect(b.entries.map((e: { orgId: string; document: string; version: number }) => [e.orgId, e.document, e.version]).sort()).toEqual(
      [...DOCS.map((d, i) => [A, d, latest[A]?.[i]]), ...DOCS.map((d, i) => [D, d, latest[D]?.[i]])].sort(),
    );
    expectJsonError(await act({ action: 'forward', exemptions: { [B]: '学校已撤并' } }), 409, 'NOTHING_CHANGED');
    const centreMails = await waitFor(() => mailsTo('centre.weihong@example.org', '【县区转报】集成测试转报县区教体局 第 1 批'), (m) => m.length > 0);
    expect(centreMails).toHaveLength(1);
    expect(await bundleItems()).toEqual([[1, 'forwarded']]);
  });

  it('the Centre downloads the zip; the manifest matches every file byte for byte (sha256)', async () => {
    const res = await waitFor(
      () => fetch(`${rt.baseUrl}/bundles/${D}/1/zip`, { headers: { cookie: sessions.centre as string }, redirect: 'manual' }),
      (r) => r.status === 302,
    );
    expect(res.status).toBe(302);
    const zip = Buffer.from(await (await fetch(res.headers.get('location') as string)).arrayBuffer());
    const entries = await unzipBuffer(zip);
    const manifest = entries.find((e) => e.path === MANIFEST_NAME);
    expect(manifest).toBeDefined();
    const rows = parseCsv(manifest?.bytes.toString('utf8').replace(/^\uFEFF/, '') ?? '');
    const head = rows[0] as string[];
    const [pathCol, shaCol] = [head.indexOf('压缩包内路径'), head.indexOf('SHA-256')];
    const files = entries.filter((e) => e.path !== MANIFEST_NAME);
    expect(files).toHaveLength(2 * DOCS.length);
    expect(rows.slice(1).filter((r) => r.length > 1)).toHaveLength(files.length);
    for (const row of rows.slice(1).filter((r) => r.length > 1)) {
      const file = files.find((f) => f.path === row[pathCol]);
      expect(file, row.join(',')).toBeDefined();
      expect(sha256hex(file?.bytes ?? '')).toBe(row[shaCol]);
    }
    // Another District cannot, a school has no bundles page.
    expectHtmlError(await call(rt, `/bundles/${D}/1/zip`, { cookie: sessions[D2] }), 404);
    expectHtmlError(await call(rt, '/bundles', { cookie: sessions[A] }), 403);
  });

  it('the Centre receives it (回执 to the District); a second answer of another kind is refused', async () => {
    expectJsonError(await act({ action: 'receive', district: D, seq: 1 }, 'bureau'), 403, 'ONLY_RECEIVER');
    expectJsonError(await act({ action: 'receive', district: D, seq: 1 }, D), 403, 'ONLY_RECEIVER');
    expectJsonError(await act({ action: 'forward' }, 'centre'), 403, 'ONLY_DISTRICT');
    const r = await act({ action: 'receive', district: D, seq: 1 }, 'centre');
    expect(r.status, r.text).toBe(200);
    expect(r.json().bundle).toMatchObject({ state: 'received', answeredBy: 'city:centre' });
    expect((await act({ action: 'receive', district: D, seq: 1 }, 'centre')).status).toBe(200);
    expectJsonError(await act({ action: 'return', district: D, seq: 1, comment: '不全' }, 'centre'), 409, 'BUNDLE_ANSWERED');
    expectJsonError(await act({ action: 'receive', district: D, seq: 2 }, 'centre'), 404, 'BUNDLE_NOT_FOUND');
    expect(await waitFor(() => mailsTo(D_MAIL, '【回执】南昌市未成年人心理健康辅导中心已接收集成测试转报县区教体局第 1 批'), (m) => m.length > 0)).toHaveLength(1);
    expect(await bundleItems()).toEqual([[1, 'received']]);
  });

  it('a school’s new version after forwarding: the District sees a re-forward is needed; a re-forward is a new bundle, the old stays', async () => {
    await uploadAll(A, 'v2');
    const page = await call(rt, '/bundles', { cookie: sessions[D] });
    expect(page.text).toContain('data-stale');
    expect(page.text).toContain('集成测试转报甲小学');
    expectJsonError(await act({ action: 'forward', exemptions: { [B]: '学校已撤并' } }), 409, 'NOT_READY');
    await acceptAll(A);
    const r = await act({ action: 'forward', exemptions: { [B]: '学校已撤并' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json().bundle.seq).toBe(2);
    expect(await bundleItems()).toEqual([
      [2, 'forwarded'],
      [1, 'received'],
    ]);
    expect((await call(rt, '/bundles', { cookie: sessions[D] })).text).not.toContain('data-stale');
  });

  it('the Centre returns the new bundle with a comment; the District may forward again; every step is in the audit trail', async () => {
    expectJsonError(await act({ action: 'return', district: D, seq: 1, comment: '旧批次' }, 'centre'), 409, 'NOT_LATEST_BUNDLE');
    const r = await act({ action: 'return', district: D, seq: 2, comment: '请补充乙小学的撤并文件' }, 'centre');
    expect(r.json().bundle).toMatchObject({ state: 'returned', comment: '请补充乙小学的撤并文件' });
    expect(await waitFor(() => mailsTo(D_MAIL, '【退回】'), (m) => m.length > 0)).toHaveLength(1);
    expect((await call(rt, '/bundles', { cookie: sessions[D] })).text).toContain('data-returned');
    const again = await act({ action: 'forward', note: '补充说明', exemptions: { [B]: '学校已撤并，文件另行报送' } });
    expect(again.json().bundle.seq).toBe(3);
    const trail = await call(rt, `/api/audit?org=${D}`, { cookie: sessions.bureau });
    const actions = (trail.json().events as { action: string; id: string }[]).filter((e) => e.action.startsWith('bundle.')).map((e) => e.id);
    const downloads = (trail.json().events as { action: string; actor: string }[]).filter((e) => e.action === 'zip.downloaded');
    expect(downloads).toEqual([expect.objectContaining({ actor: 'city:centre', after: { scope: '集成测试转报县区教体局 第 1 批', files: 2 * DOCS.length } })]);
    expect(actions.sort()).toEqual([`bundle#${D}#1#forwarded`, `bundle#${D}#1#received`, `bundle#${D}#2#forwarded`, `bundle#${D}#2#returned`, `bundle#${D}#3#forwarded`].sort());
  });

  it('the forms go back to the page with the outcome or the reason', async () => {
    const form = (body: Record<string, string>, who = D) =>
      call(rt, '/bundles', { cookie: sessions[who], body: new URLSearchParams(body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const refused = await form({ action: 'forward', [`exempt.${B}`]: '学校已撤并，文件另行报送', note: '补充说明' });
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/bundles?error=NOTHING_CHANGED');
    const page = await call(rt, '/bundles?error=NOTHING_CHANGED', { cookie: sessions[D] });
    expect(page.text).toContain('data-error="NOTHING_CHANGED"');
    const received = await form({ action: 'receive', district: D, seq: '3' }, 'centre');
    expect(received.headers.get('location')).toBe(`/bundles?done=receive&district=${D}`);
  });
});
