/**
 * Downloads over real HTTP: GET /files/<org>/<doc>/<n> answers a 302 to a short pre-signed GET of the
 * stored bytes, for whoever's scope holds the org — and the same 404 to anyone else, for a version that
 * does not exist, and for a malformed path. Orgs: it-fl-* (this file only).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { minimalPdf } from '../fixtures/files.js';
import { CAMPAIGN, call, importOrgs, postToS3, requestUpload, seedCampaign, sessionFor, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = seeded.documents[0]!;
const D1 = 'it-fl-d1';
const D2 = 'it-fl-d2';
const S1 = 'it-fl-s1';
const S2 = 'it-fl-s2';
const bytes = minimalPdf('it-fl-s1 plan');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  await importOrgs(rt, [
    `${D1},集成测试下载一县区,district,,,,,`,
    `${D2},集成测试下载二县区,district,,,,,`,
    `${S1},集成测试下载一小学,school,${D1},,,,`,
    `${S2},集成测试下载二小学,school,${D2},,,,`,
  ]);
  const { cookie } = await sessionFor(rt, S1);
  const p = await requestUpload(rt, cookie, { document: DOC.kind, fileName: '方案 "终稿".pdf', size: bytes.length });
  expect((await postToS3(p, bytes, '方案.pdf')).status).toBe(204);
  expect(await waitValidated(rt, CAMPAIGN, S1, DOC.kind, p.uploadId)).toMatchObject({ state: 'accepted', version: 1 });
});

const path = `/files/${S1}/${DOC.kind}/1`;

describe('GET /files/<org>/<document>/<version>', () => {
  it('the school itself, its District office and the Bureau get a 5-minute URL to exactly the stored bytes, named in Chinese', async () => {
    for (const who of [S1, D1, 'bureau']) {
      const { cookie } = await sessionFor(rt, who);
      const r = await call(rt, path, { cookie });
      expect(r.status, who).toBe(302);
      const url = new URL(r.headers.get('location') ?? '');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
      expect(url.pathname).toMatch(new RegExp(`/accepted/${CAMPAIGN}/${S1}/${DOC.kind}/[0-9a-f]{32}\\.pdf$`));
      const file = await fetch(url);
      expect(file.status).toBe(200);
      expect(sha(new Uint8Array(await file.arrayBuffer()))).toBe(sha(bytes));
      const cd = file.headers.get('content-disposition') ?? '';
      expect(cd).toMatch(/^attachment; filename="[ -~]+"; filename\*=UTF-8''/);
      expect(decodeURIComponent(cd.split("UTF-8''")[1]!)).toBe(`集成测试下载一县区-集成测试下载一小学-${DOC.title}-v1.pdf`);
    }
    const { cookie } = await sessionFor(rt, S1);
    const open = await call(rt, `${path}?open=1`, { cookie });
    const inline = await fetch(open.headers.get('location') ?? '');
    expect(inline.headers.get('content-disposition')).toMatch(/^inline; /);
    expect(inline.headers.get('content-type')).toBe('application/pdf');
  });

  it('another school, another District, a version that does not exist and a malformed path all get the same Chinese 404, with no URL', async () => {
    const other = await sessionFor(rt, S2);
    const otherDistrict = await sessionFor(rt, D2);
    const own = await sessionFor(rt, S1);
    const answers = [
      await call(rt, path, { cookie: other.cookie }),
      await call(rt, path, { cookie: otherDistrict.cookie }),
      await call(rt, `/files/${S1}/${DOC.kind}/2`, { cookie: own.cookie }),
      await call(rt, `/files/${S1}/no-such-doc/1`, { cookie: own.cookie }),
      await call(rt, `/files/${S1}/${DOC.kind}/0`, { cookie: own.cookie }),
      await call(rt, `/files/NOT-AN-ID/${DOC.kind}/1`, { cookie: own.cookie }),
    ];
    for (const r of answers) {
      expect(r.status, r.text.slice(0, 200)).toBe(404);
      expect(r.headers.get('location')).toBeNull();
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.text).toContain('没有找到这个文件');
      expect(r.text).not.toContain('X-Amz');
    }
    // Without a session: 401, no URL either.
    const anon = await call(rt, path);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('location')).toBeNull();
  });
});
