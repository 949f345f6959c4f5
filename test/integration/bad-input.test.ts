/**
 * Bad input on every route: a 4xx with a machine code and a zh-CN message (JSON routes) or a
 * zh-CN page (page routes), never a 5xx, and the stored state unchanged.
 *
 * State = the seeded campaign's item collection (Query pk=CAMPAIGN#2019-plans) and the bucket's
 * object list. Other test files upload concurrently for their own orgs (it-up-*, it-st-* …), so
 * their items and objects are left out of the comparison; everything else — the campaign item,
 * the seeded orgs' and this file's orgs' (it-bad-*) items and objects — must be deep-equal.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { queryAll } from '../../functions/shared/clients/dynamodb.js';
import { minimalPdf } from '../fixtures/files.js';
import {
  CAMPAIGN,
  type Call,
  call,
  expectHtmlError,
  expectJsonError,
  flipChar,
  forgePayload,
  HAN,
  importOrgs,
  listObjects,
  openLink,
  postToS3,
  requestUpload,
  SESSION_COOKIE,
  seedCampaign,
  sessionFor,
  sessionToken,
  signToken,
  unsignedToken,
  useRuntime,
  waitPrecheck,
  waitValidated,
} from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = seeded.documents[0]?.kind as string;
const D = 'it-bad-d';
const S1 = 'it-bad-s1';
const S2 = 'it-bad-s2';

/** Items and objects of orgs that belong to other test files running at the same time. */
const othersOrg = (orgId: unknown) => typeof orgId === 'string' && orgId.startsWith('it-') && !orgId.startsWith('it-bad-');

async function snapshot() {
  const items = await queryAll(rt.ddb, { TableName: rt.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CAMPAIGN#${CAMPAIGN}` }, ConsistentRead: true });
  const objects = await listObjects(rt);
  return {
    items: items.filter((i) => !othersOrg(i.orgId)),
    objects: objects.filter((o) => !othersOrg(o.key.split('/')[2])),
  };
}

/** Runs the bad requests and asserts the stored state did not change. */
async function unchanged(fn: () => Promise<void>) {
  const before = await snapshot();
  expect(before.items.some((i) => i.sk === 'CAMPAIGN')).toBe(true);
  await fn();
  expect(await snapshot()).toEqual(before);
}

let cookie: string; // S1's session
let cookie2: string; // S2's session

beforeAll(async () => {
  await importOrgs(rt, [
    `${D},集成测试坏输入县区,district,,,,,`,
    `${S1},集成测试坏输入一小学,school,${D},,,,`,
    `${S2},集成测试坏输入二小学,school,${D},,,,`,
    `it-bad-rev,集成测试停用链接小学,school,${D},,,,`,
  ]);
  ({ cookie } = await sessionFor(rt, S1));
  ({ cookie: cookie2 } = await sessionFor(rt, S2));
  // S2 has an accepted plan that S1 must never see.
  const bytes = minimalPdf('S2 only');
  const p = await requestUpload(rt, cookie2, { document: DOC, fileName: 'S2-秘密方案.pdf', size: bytes.length });
  expect((await postToS3(p, bytes, 'S2-秘密方案.pdf')).status).toBe(204);
  expect((await waitValidated(rt, CAMPAIGN, S2, DOC, p.uploadId)).state).toBe('accepted');
  // …and its advisory pre-check is stored (it follows the accepted/ object), so the snapshots below don't see it arrive.
  await waitPrecheck(rt, CAMPAIGN, S2, DOC, p.uploadId);
});

const post = (body: Omit<Call, 'method'>) => call(rt, '/api/uploads', { method: 'POST', ...body });
const good = () => ({ document: DOC, fileName: '方案.pdf', size: 1000 });

describe('POST /api/uploads', () => {
  it('malformed JSON → 400 BAD_JSON', () =>
    unchanged(async () => {
      for (const body of ['{', '{"document":', 'null x', "{'document':'a'}", '']) {
        expectJsonError(await post({ cookie, body, headers: { 'content-type': 'application/json' } }), 400, 'BAD_JSON');
      }
    }));

  it('wrong content type → 415 UNSUPPORTED_MEDIA_TYPE', () =>
    unchanged(async () => {
      const body = JSON.stringify(good());
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        expectJsonError(await post({ cookie, body, headers: { 'content-type': type } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      expectJsonError(await post({ cookie, body }), 415, 'UNSUPPORTED_MEDIA_TYPE'); // fetch's default text/plain
    }));

  it('wrong types, missing fields, extra fields → 400 VALIDATION', () =>
    unchanged(async () => {
      const cases: unknown[] = [
        { ...good(), size: '1000' },
        { ...good(), size: 10.5 },
        { ...good(), document: 7 },
        { ...good(), fileName: ['a.pdf'] },
        { document: DOC, fileName: 'a.pdf' },
        { fileName: 'a.pdf', size: 10 },
        { document: DOC, size: 10 },
        {},
        [],
        'text',
        42,
        { ...good(), fileName: '   ' },
        { ...good(), fileName: `${'长'.repeat(300)}.pdf` },
        { ...good(), orgId: 'it-bad-s2' },
        { ...good(), key: `incoming/${CAMPAIGN}/${S2}/${DOC}/x.pdf` },
        { ...good(), document: 'Service Plan!' },
      ];
      for (const json of cases) {
        const r = await post({ cookie, json });
        expectJsonError(r, 400, 'VALIDATION');
      }
      const extra = (await post({ cookie, json: { ...good(), orgId: S2 } })).json();
      expect(extra.error.message).toContain('orgId');
    }));

  it('size 0 and size > 20 MiB → 400 VALIDATION with the limit in Chinese', () =>
    unchanged(async () => {
      for (const size of [0, -1, 20 * 1024 * 1024 + 1, 1e12]) {
        const r = await post({ cookie, json: { ...good(), size } });
        expectJsonError(r, 400, 'VALIDATION');
      }
      expect((await post({ cookie, json: { ...good(), size: 0 } })).json().error.message).toContain('文件为空');
      expect((await post({ cookie, json: { ...good(), size: 20 * 1024 * 1024 + 1 } })).json().error.message).toContain('20 MB');
    }));

  it('a 20 KB body → 413 BODY_TOO_LARGE', () =>
    unchanged(async () => {
      const json = { ...good(), fileName: `${'a'.repeat(20 * 1024)}.pdf` };
      expectJsonError(await post({ cookie, json }), 413, 'BODY_TOO_LARGE');
    }));

  it('unknown document kind → 400 UNKNOWN_DOCUMENT', () =>
    unchanged(async () => {
      expectJsonError(await post({ cookie, json: { ...good(), document: 'annual-report' } }), 400, 'UNKNOWN_DOCUMENT');
    }));

  it('.exe and other file names off the allow-list → 400 FILE_TYPE_NOT_ALLOWED', () =>
    unchanged(async () => {
      for (const fileName of ['setup.exe', '方案.pdf.exe', 'plan', 'plan.', 'plan.zip', 'plan.html', 'plan.pdf.EXE']) {
        expectJsonError(await post({ cookie, json: { ...good(), fileName } }), 400, 'FILE_TYPE_NOT_ALLOWED');
      }
    }));

  it('an Origin header of another site → 403 BAD_ORIGIN', () =>
    unchanged(async () => {
      for (const origin of ['https://evil.example', `${rt.baseUrl}.evil.example`, 'null']) {
        expectJsonError(await post({ cookie, json: good(), headers: { origin } }), 403, 'BAD_ORIGIN');
      }
    }));

  it('the Bureau (not in the audience) cannot upload → 403 NOT_IN_AUDIENCE', async () => {
    const bureau = (await rt.ops.listOrgs()).find((o) => o.kind === 'bureau');
    const { url } = await rt.ops.issueLink(bureau?.id as string, CAMPAIGN);
    const b = (await openLink(url)).cookie as string;
    await unchanged(async () => {
      expectJsonError(await post({ cookie: b, json: good() }), 403, 'NOT_IN_AUDIENCE');
    });
  });

  it('the same origin is allowed (control)', async () => {
    const r = await post({ cookie, json: good(), headers: { origin: rt.baseUrl } });
    expect(r.status, r.text).toBe(201);
  });
});

describe('sessions and tokens', () => {
  const claims = (typ: 'link' | 'session', over: Record<string, unknown> = {}) => ({ sub: S1, cmp: CAMPAIGN, role: 'school', v: 1, typ, ...over });

  it('no cookie → 401 NO_SESSION on every JSON route, a Chinese page on every page route', () =>
    unchanged(async () => {
      expectJsonError(await post({ json: good() }), 401, 'NO_SESSION');
      expectJsonError(await call(rt, '/api/plans'), 401, 'NO_SESSION');
      expectJsonError(await call(rt, '/api/status'), 401, 'NO_SESSION');
      expectJsonError(await call(rt, '/api/status?format=csv'), 401, 'NO_SESSION');
      expectHtmlError(await call(rt, '/upload'), 401, '请通过邮件中的链接进入');
      expectHtmlError(await call(rt, '/status'), 401, '请通过邮件中的链接进入');
      // The landing page and the script need no session.
      const home = await call(rt, '/');
      expect(home.status).toBe(200);
      expect(home.text).toMatch(HAN);
      expect((await call(rt, '/assets/app.js')).status).toBe(200);
      // Another cookie name is no session either.
      expectJsonError(await call(rt, '/api/plans', { cookie: `other=${sessionToken(cookie)}` }), 401, 'NO_SESSION');
    }));

  it('an expired session → 401 SESSION_EXPIRED; an expired link → 401 LINK_EXPIRED page', () =>
    unchanged(async () => {
      const expired = `${SESSION_COOKIE}=${await signToken(rt, claims('session'), -60)}`;
      expectJsonError(await post({ cookie: expired, json: good() }), 401, 'SESSION_EXPIRED');
      expectJsonError(await call(rt, '/api/plans', { cookie: expired }), 401, 'SESSION_EXPIRED');
      expectJsonError(await call(rt, '/api/status', { cookie: expired }), 401, 'SESSION_EXPIRED');
      expectHtmlError(await call(rt, '/upload', { cookie: expired }), 401, '登录已过期');
      expectHtmlError(await call(rt, '/status', { cookie: expired }), 401, '登录已过期');
      const link = await signToken(rt, claims('link'), -60);
      const opened = await openLink(`${rt.baseUrl}/l/${link}`);
      expectHtmlError(opened, 401, '链接已过期');
      expect(opened.setCookie).toBeUndefined();
      // Control: the same claims, not expired, work.
      const fresh = `${SESSION_COOKIE}=${await signToken(rt, claims('session'), 600)}`;
      expect((await call(rt, '/api/plans', { cookie: fresh })).status).toBe(200);
    }));

  it('a tampered token (signature, payload, another org, alg none, wrong key) → 401', () =>
    unchanged(async () => {
      const token = sessionToken(cookie);
      const forged = [
        flipChar(token, 2),
        flipChar(token, 1),
        forgePayload(token, { sub: S2 }),
        forgePayload(token, { role: 'city' }),
        forgePayload(token, { exp: Math.floor(Date.now() / 1000) + 86400 * 365 }),
        unsignedToken(token),
        token.split('.').slice(0, 2).join('.') + '.',
        'not-a-token',
        '',
      ];
      for (const t of forged) {
        const c = `${SESSION_COOKIE}=${t}`;
        expectJsonError(await call(rt, '/api/plans', { cookie: c }), 401, 'NO_SESSION');
        expectJsonError(await post({ cookie: c, json: good() }), 401, 'NO_SESSION');
        expectHtmlError(await call(rt, '/upload', { cookie: c }), 401);
      }
      const link = (await rt.ops.issueLink(S1, CAMPAIGN)).url.split('/l/')[1] as string;
      for (const t of [flipChar(link, 2), flipChar(link, 1), forgePayload(link, { sub: S2 }), unsignedToken(link)]) {
        const opened = await openLink(`${rt.baseUrl}/l/${t}`);
        expectHtmlError(opened, 401, '链接无效');
        expect(opened.setCookie).toBeUndefined();
      }
      // A link is not a session, a session is not a link.
      expectJsonError(await call(rt, '/api/plans', { cookie: `${SESSION_COOKIE}=${link}` }), 401, 'NO_SESSION');
      expectHtmlError(await openLink(`${rt.baseUrl}/l/${token}`), 401, '链接无效');
      // Well signed, but for an org or a campaign that does not exist, or in the wrong role.
      for (const over of [{ sub: 'it-bad-nobody' }, { cmp: 'no-such-campaign' }, { role: 'district' }, { role: 'admin' }, { v: 'x' }]) {
        const c = `${SESSION_COOKIE}=${await signToken(rt, claims('session', over), 600)}`;
        expectJsonError(await call(rt, '/api/plans', { cookie: c }), 401, 'NO_SESSION');
      }
    }));

  it('a malformed cookie value (bad percent-encoding) → 401, not 500', () =>
    unchanged(async () => {
      for (const c of [`${SESSION_COOKIE}=%`, `${SESSION_COOKIE}=%E0%A4%A`]) {
        expectJsonError(await call(rt, '/api/plans', { cookie: c }), 401, 'NO_SESSION');
        expectHtmlError(await call(rt, '/upload', { cookie: c }), 401);
      }
    }));

  it("another org's session sees only its own org on /api/plans and /api/status", () =>
    unchanged(async () => {
      const mine = (await call(rt, '/api/plans', { cookie })).json();
      expect(mine.org.id).toBe(S1);
      expect(mine.rows.map((r: { orgId: string }) => r.orgId)).toEqual([S1]);
      expect(mine.rows[0].documents.every((d: { state: string }) => d.state === 'missing')).toBe(true);
      expect(JSON.stringify(mine)).not.toContain('S2-秘密方案');
      const status = (await call(rt, '/api/status', { cookie })).json();
      expect(status.rows.map((r: { orgId: string }) => r.orgId)).toEqual([S1]);
      // No way to ask for another org.
      expectJsonError(await call(rt, `/api/plans?org=${S2}`, { cookie }), 400, 'VALIDATION');
      const theirs = (await call(rt, '/api/plans', { cookie: cookie2 })).json();
      expect(theirs.rows[0].documents.find((d: { document: string }) => d.document === DOC)).toMatchObject({ state: 'uploaded', lastFileName: 'S2-秘密方案.pdf' });
      const page = await call(rt, '/upload', { cookie });
      expect(page.text).not.toContain('S2-秘密方案');
    }));

  it('a revoked link → 401 LINK_REVOKED page; the old session cookie → 401', async () => {
    const org = 'it-bad-rev';
    const { url } = await rt.ops.issueLink(org, CAMPAIGN);
    const opened = await openLink(url);
    expect(opened.status).toBe(302);
    const old = opened.cookie as string;
    expect((await call(rt, '/api/plans', { cookie: old })).status).toBe(200);
    await rt.ops.revokeLink(org);
    await unchanged(async () => {
      const again = await openLink(url);
      expectHtmlError(again, 401, '该链接已停用');
      expect(again.setCookie).toBeUndefined();
      expectJsonError(await call(rt, '/api/plans', { cookie: old }), 401, 'LINK_REVOKED');
      expectJsonError(await post({ cookie: old, json: good() }), 401, 'LINK_REVOKED');
      expectHtmlError(await call(rt, '/upload', { cookie: old }), 401, '该链接已停用');
    });
    // A newly issued link works again.
    const fresh = await sessionFor(rt, org);
    expect((await call(rt, '/api/plans', { cookie: fresh.cookie })).status).toBe(200);
  });

  it('/l/<garbage> → 401 page in Chinese with 链接无效', () =>
    unchanged(async () => {
      for (const t of ['garbage', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.e30.AAAA', 'x'.repeat(2000), '%E9%93%BE']) {
        const r = await openLink(`${rt.baseUrl}/l/${t}`);
        expectHtmlError(r, 401, '链接无效');
        expect(r.setCookie).toBeUndefined();
      }
    }));

  it('/l/<bad percent-encoding> → 4xx, not 500', () =>
    unchanged(async () => {
      const r = await openLink(`${rt.baseUrl}/l/%E0%A4%A`);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }));
});

describe('GET /api/status and unknown routes', () => {
  it('unknown or repeated query parameters → 400 VALIDATION', () =>
    unchanged(async () => {
      for (const q of ['?foo=1', '?format=xml', '?format=csv&format=json', '?format=', '?format=csv&debug=1', '?org=it-bad-s2']) {
        const r = await call(rt, `/api/status${q}`, { cookie });
        expectJsonError(r, 400, 'VALIDATION');
      }
      expect((await call(rt, '/api/status?format=json', { cookie })).status).toBe(200);
    }));

  it('unknown routes and methods → 404 through the $default route: a Chinese page, or JSON NOT_FOUND under /api/', () =>
    unchanged(async () => {
      const pages = [
        ['GET', '/nope'],
        ['POST', '/upload'],
        ['GET', '/l/'],
        ['GET', '/l/a/b'],
        ['GET', '/upload/../../etc/passwd'],
        ['GET', '/apix'],
      ] as const;
      for (const [method, path] of pages) {
        const r = await call(rt, path, { method: method as Call['method'], cookie, ...(method === 'GET' ? {} : { json: good() }) });
        expectHtmlError(r, 404, '页面不存在');
        expect(r.headers.get('referrer-policy')).toBe('no-referrer');
        expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(r.text).not.toContain('Not Found');
      }
      const api = [
        ['GET', '/api/uploads'],
        ['POST', '/api/plans'],
        ['PUT', '/api/uploads'],
        ['DELETE', '/api/status'],
        ['GET', '/api/nope'],
        ['GET', '/api'],
      ] as const;
      for (const [method, path] of api) {
        const r = await call(rt, path, { method: method as Call['method'], cookie, ...(method === 'GET' ? {} : { json: good() }) });
        expectJsonError(r, 404, 'NOT_FOUND');
      }
    }));
});

describe('error pages say whom to call', () => {
  it('a bad link page shows the contact person and phone of the seeded campaign, and no error code', async () => {
    const r = await openLink(`${rt.baseUrl}/l/garbage`);
    expectHtmlError(r, 401, '链接无效');
    expect(r.text).toContain(`联系人：${seeded.contact.name}`);
    expect(r.text).toContain(`<a href="tel:${seeded.contact.phone.replace(/[^0-9+]/g, '')}">${seeded.contact.phone}</a>`);
    const notFound = await call(rt, '/nope');
    expect(notFound.text).toContain(`联系人：${seeded.contact.name}`);
  });
});
