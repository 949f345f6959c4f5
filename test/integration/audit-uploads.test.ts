/**
 * Uploads and downloads in the audit trail, over real HTTP on the emulators: a file through the real
 * pre-signed POST ends as exactly one upload.accepted (and a refused one as upload.rejected) in the org's
 * trail as the Bureau reads it, also after the S3 event is delivered again; a download granted appears as
 * file.downloaded with the downloader as actor, a refused one not at all. Orgs: it-au-* (this file only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { elfExecutable, minimalPdf } from '../fixtures/files.js';
import { CAMPAIGN, call, importOrgs, lambdaContext, postToS3, requestUpload, seedCampaign, sessionFor, sha256, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = seeded.documents[0]!.kind;
const D = 'it-au-d';
const S = 'it-au-s';
/** A school of another District: S is outside its scope. */
const D2 = 'it-au-d2';
const X = 'it-au-x';
const bytes = minimalPdf('it-au-s plan');

type Event = Record<string, any>;
const sessions: Record<string, string> = {};
let accepted: { uploadId: string; key: string; receivedAt: string; version: number };

/** The org's trail as the Bureau reads it (GET /api/audit?org=…), only the actions asked for. */
async function trail(orgId: string, prefix: string): Promise<Event[]> {
  const r = await call(rt, `/api/audit?org=${orgId}`, { cookie: sessions.bureau });
  expect(r.status, r.text).toBe(200);
  return (r.json().events as Event[]).filter((e) => String(e.action).startsWith(prefix));
}

/** The trail is appended after the version is numbered: wait (bounded) until `n` entries are there. */
async function waitTrail(orgId: string, prefix: string, n: number, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const events = await trail(orgId, prefix);
    if (events.length >= n || Date.now() > until) return events;
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

beforeAll(async () => {
  await importOrgs(rt, [
    `${D},集成测试审计上传县区,district,,,,,`,
    `${S},集成测试审计上传小学,school,${D},,,,`,
    `${D2},集成测试审计另一县区,district,,,,,`,
    `${X},集成测试审计外县小学,school,${D2},,,,`,
  ]);
  for (const id of [S, D, X, 'bureau']) sessions[id] = (await sessionFor(rt, id)).cookie;
  const p = await requestUpload(rt, sessions[S] as string, { document: DOC, fileName: '审计 方案.pdf', size: bytes.length });
  expect((await postToS3(p, bytes, '审计 方案.pdf')).status).toBe(204);
  const u = await waitValidated(rt, CAMPAIGN, S, DOC, p.uploadId);
  expect(u).toMatchObject({ state: 'accepted', version: 1 });
  accepted = { uploadId: p.uploadId, key: p.fields.key as string, receivedAt: u.receivedAt, version: u.version };
});

describe('uploads in the audit trail', () => {
  it('an upload through the pre-signed POST: exactly one upload.accepted, by the validator, naming the uploader, at the recorded arrival', async () => {
    const events = await waitTrail(S, 'upload.', 1);
    expect(events).toEqual([
      expect.objectContaining({
        id: `upload#${accepted.uploadId}`,
        at: accepted.receivedAt,
        orgId: S,
        orgName: '集成测试审计上传小学',
        action: 'upload.accepted',
        actionLabel: '文件已接收',
        actor: 'system:validate-upload',
        document: DOC,
        version: 1,
        after: expect.objectContaining({ fileName: '审计 方案.pdf', size: bytes.length, sha256: sha256(bytes), late: false, uploadedBy: `school:${S}` }),
        note: '集成测试审计上传小学 上传',
      }),
    ]);
    expect(events[0]!.after.receiptNo).toMatch(/^HJ\d{8}-[0-9A-F]{10}$/);
  });

  it('the same S3 event delivered again (the validator run once more): still exactly one entry', async () => {
    const { handler } = await import('../../functions/plans/validate-upload.js');
    const event = {
      Records: [{ eventName: 'ObjectCreated:Post', eventTime: new Date().toISOString(), s3: { bucket: { name: rt.bucket }, object: { key: accepted.key, size: bytes.length } } }],
    };
    for (let i = 0; i < 2; i++) expect(await handler(event, lambdaContext())).toEqual({ results: [{ key: accepted.key, outcome: 'accepted' }] });
    const events = await trail(S, 'upload.');
    expect(events.map((e) => [e.id, e.at, e.action])).toEqual([[`upload#${accepted.uploadId}`, accepted.receivedAt, 'upload.accepted']]);
  });

  it('an executable named .pdf: one upload.rejected with the reason', async () => {
    const exe = elfExecutable();
    const p = await requestUpload(rt, sessions[S] as string, { document: DOC, fileName: '不是方案.pdf', size: exe.length });
    expect((await postToS3(p, exe, '不是方案.pdf')).status).toBe(204);
    expect(await waitValidated(rt, CAMPAIGN, S, DOC, p.uploadId)).toMatchObject({ state: 'rejected', reason: 'TYPE_MISMATCH' });
    const rejected = (await waitTrail(S, 'upload.rejected', 1)).filter((e) => e.id === `upload#${p.uploadId}`);
    expect(rejected).toEqual([
      expect.objectContaining({ action: 'upload.rejected', actionLabel: '文件被拒收', actor: 'system:validate-upload', after: expect.objectContaining({ reason: 'TYPE_MISMATCH', fileName: '不是方案.pdf', uploadedBy: `school:${S}` }) }),
    ]);
    expect(rejected[0]!.version).toBeUndefined();
  });
});

describe('downloads in the audit trail', () => {
  it('the District office downloads, then opens, the version: two file.downloaded by the District, about the school', async () => {
    const before = (await trail(S, 'file.downloaded')).length;
    const path = `/files/${S}/${DOC}/1`;
    const saved = await call(rt, path, { cookie: sessions[D] });
    expect(saved.status).toBe(302);
    const file = await fetch(saved.headers.get('location') ?? '');
    expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(sha256(bytes));
    expect((await call(rt, `${path}?open=1`, { cookie: sessions[D] })).status).toBe(302);
    const downloads = (await trail(S, 'file.downloaded')).slice(before);
    expect(downloads).toEqual([
      expect.objectContaining({ orgId: S, action: 'file.downloaded', actionLabel: '下载文件', actor: `district:${D}`, actorLabel: '集成测试审计上传县区', document: DOC, version: 1, note: '下载' }),
      expect.objectContaining({ orgId: S, action: 'file.downloaded', actor: `district:${D}`, document: DOC, version: 1, note: '打开' }),
    ]);
    expect(downloads[0]!.id).toMatch(/^download#[0-9a-f]{16}$/);
    expect(downloads[0]!.id).not.toBe(downloads[1]!.id);
  });

  it('a version that does not exist, a school outside the downloader’s scope, no session: refused, and nothing recorded', async () => {
    const before = await trail(S, 'file.downloaded');
    expect(before.length).toBeGreaterThan(0);
    expect((await call(rt, `/files/${S}/${DOC}/9`, { cookie: sessions[D] })).status).toBe(404);
    expect((await call(rt, `/files/${S}/${DOC}/1`, { cookie: sessions[X] })).status).toBe(404);
    expect((await call(rt, `/files/${S}/${DOC}/1`)).status).toBe(401);
    expect(await trail(S, 'file.downloaded')).toEqual(before);
    expect(await trail(X, 'file.downloaded')).toEqual([]);
  });

  it('the District office takes its zip once it is built: zip.downloaded about the District, with its scope and the number of files; none while building', async () => {
    let ready: Record<string, any> | undefined;
    let polls = 0;
    for (const until = Date.now() + 20_000; !ready && Date.now() < until; polls++) {
      const r = await call(rt, '/api/exports', { cookie: sessions[D] });
      expect(r.status, r.text).toBe(200);
      if (r.json().state === 'ready') ready = r.json();
      else await new Promise((ok) => setTimeout(ok, 200));
    }
    expect(ready, 'the zip was not built in 20 s').toBeDefined();
    expect(ready).toMatchObject({ files: 1 });
    // Only the answer that gave the URL is recorded (the ones that said "building" are not).
    expect(polls).toBeGreaterThan(1);
    const zips = await trail(D, 'zip.downloaded');
    expect(zips).toEqual([
      expect.objectContaining({ orgId: D, action: 'zip.downloaded', actionLabel: '下载压缩包', actor: `district:${D}`, after: { scope: '集成测试审计上传县区', files: 1 } }),
    ]);
    expect(zips[0]!.id).toMatch(/^download#[0-9a-f]{16}$/);
  });
});
