/**
 * Extensions, exemptions and a District's internal deadline over real HTTP on the emulators: the Bureau extends
 * a late school, which becomes on time in the status JSON and CSV; a District exempts one of its schools, which
 * leaves the owing index (gsi2) and the dashboard's expected count, and comes back when revoked; a District
 * sets its schools' internal deadline, which their upload page shows; the page's forms; who may do what, and
 * invalid input that changes nothing; every change in the audit trail as the Bureau reads it.
 * Orgs: it-tm-* and campaign it-tm-2019 (this file only): its deadline, 1 June, is before the runtime's domain
 * "now" (5 June), so an upload here is late.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryAll } from '../../functions/shared/clients/dynamodb.js';
import { clockOf } from '../../functions/shared/clock.js';
import { readEnv } from '../../functions/shared/env.js';
import { minimalPdf } from '../fixtures/files.js';
import { call, expectHtmlError, expectJsonError, importOrgs, postToS3, requestUpload, seedCampaign, sessionFor, summaryItem, useRuntime, waitValidated } from './helpers.js';

const rt = useRuntime();
const seeded = seedCampaign();
const DOC = seeded.documents[0] as { kind: string; title: string };
const C = 'it-tm-2019';
const DEADLINE = '2019-06-01T23:59:59.999+08:00';
const D = 'it-tm-d';
const D2 = 'it-tm-d2';
const A = 'it-tm-a';
const B = 'it-tm-b';
const X = 'it-tm-x';
const DIRECT = 'it-tm-direct';
const AUDIENCE = [D, A, B, D2, X, DIRECT];

/** A Beijing calendar day n days after the runtime's domain "now". */
const dayAfter = (n: number) => new Date(clockOf(readEnv(process.env)).now().getTime() + 8 * 3600_000 + n * 86_400_000).toISOString().slice(0, 10);
const endOf = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) - 8 * 3600_000 + 86_400_000 - 1).toISOString();

const sessions: Record<string, string> = {};
const post = (path: string, json: Record<string, unknown>, who: string, headers: Record<string, string> = {}) => call(rt, path, { cookie: sessions[who], json, headers });
const form = (fields: Record<string, string>, who: string, headers: Record<string, string> = {}) =>
  call(rt, '/terms', { cookie: sessions[who], body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

/** The org ids in the campaign's owing index (gsi2), as the sweep reads it. */
const owing = async () =>
  (
    await queryAll<Record<string, any>>(rt.ddb, {
      TableName: rt.table,
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :p',
      ExpressionAttributeValues: { ':p': `OWING#${C}` },
    })
  ).map((i) => i.orgId as string);
/** Everything a refused request must leave as it was: the audience's status items and the AUDIENCE item. */
const state = async () => JSON.stringify(await Promise.all([...AUDIENCE.map((o) => summaryItem(rt, C, o)), call(rt, `/api/audit?format=json`, { cookie: sessions.bureau }).then((r) => r.json().events)]));
const rowOf = async (who: string, orgId: string) => ((await call(rt, '/api/status', { cookie: sessions[who] })).json().rows as Record<string, any>[]).find((r) => r.orgId === orgId);

beforeAll(async () => {
  await importOrgs(rt, [
    `${D},集成测试期限县区教体局,district,,,,,`,
    `${D2},集成测试期限另一县区,district,,,,,`,
    `${A},集成测试期限甲小学,school,${D},,,,`,
    `${B},集成测试期限乙小学,school,${D},,,,`,
    `${X},集成测试期限外县小学,school,${D2},,,,`,
    `${DIRECT},集成测试期限直属中学,school,,局属学校,,,`,
  ]);
  await rt.ops.createCampaign(
    JSON.stringify({
      id: C,
      title: '集成测试延期与免报',
      noticeNo: '测试〔2019〕9号',
      documents: [DOC],
      deadline: DEADLINE,
      audience: { orgIds: AUDIENCE },
      receiverId: seeded.receiverId,
      contact: seeded.contact,
    }),
  );
  for (const id of [...AUDIENCE, 'bureau', 'centre']) sessions[id] = (await sessionFor(rt, id, C)).cookie;
  // A hands in its plan now: after the 1 June deadline, so late.
  const bytes = minimalPdf('tm-a-1');
  const p = await requestUpload(rt, sessions[A] as string, { document: DOC.kind, fileName: '方案.pdf', size: bytes.length });
  expect((await postToS3(p, bytes, '方案.pdf')).status).toBe(204);
  expect(await waitValidated(rt, C, A, DOC.kind, p.uploadId)).toMatchObject({ state: 'accepted', late: true });
});

describe('the Bureau extends a late school', () => {
  it('late before; on time after, in the status JSON and CSV; the audit trail has it; revoking makes it late again', async () => {
    expect((await rowOf('bureau', A))?.documents[0]).toMatchObject({ state: 'uploaded', late: true, lastLate: true });
    const due = dayAfter(3);
    const r = await post('/api/extensions', { org: A, action: 'set', dueDate: due, reason: '暴雨停课' }, 'bureau');
    expect(r.status, r.text).toBe(200);
    expect(r.json()).toMatchObject({ org: A, what: 'extension', changed: true, term: { dueAt: endOf(due), reason: '暴雨停课', by: 'city:bureau', byName: '南昌市教育局' } });

    const row = await rowOf('bureau', A);
    expect(row?.documents[0]).toMatchObject({ state: 'uploaded', late: false, lastLate: false, timeliness: expect.stringMatching(/^按时提交/) });
    expect(row?.extension).toMatchObject({ dueAt: endOf(due), reason: '暴雨停课' });
    // The District sees the same for its school.
    expect((await rowOf(D, A))?.documents[0]).toMatchObject({ late: false });
    const csv = await call(rt, '/api/status?format=csv', { cookie: sessions.bureau });
    const line = csv.text.split('\r\n').find((l) => l.includes(`,${A},`)) as string;
    expect(line).toMatch(new RegExp(`,已上传,1,[^,]+,否,[^,]+,方案\\.pdf,按时提交（[^）]+）,延期至 ${due} 23:59：暴雨停课$`));
    const page = await call(rt, '/status', { cookie: sessions.bureau });
    expect(page.text).toMatch(new RegExp(`data-org="${A}"[\\s\\S]*?data-extension>延期至 `));
    // The school's own page asks for its extended date.
    const own = await call(rt, '/upload', { cookie: sessions[A] });
    expect(own.text).toContain('已批准延期');
    // A repeat changes nothing.
    const item = await summaryItem(rt, C, A);
    expect((await post('/api/extensions', { org: A, action: 'set', dueDate: due, reason: '暴雨停课' }, 'bureau')).json()).toMatchObject({ changed: false });
    expect(await summaryItem(rt, C, A)).toEqual(item);

    const trail = (await call(rt, `/api/audit?org=${A}`, { cookie: sessions.bureau })).json().events as Record<string, any>[];
    expect(trail.filter((e) => e.action.startsWith('extension.'))).toEqual([
      expect.objectContaining({ action: 'extension.granted', actor: 'city:bureau', id: `extension#${A}#${item?.rev}`, before: {}, after: { deadline: endOf(due), reason: '暴雨停课' } }),
    ]);

    expect((await post('/api/extensions', { org: A, action: 'revoke' }, 'bureau')).json()).toMatchObject({ changed: true });
    expect((await rowOf('bureau', A))?.documents[0]).toMatchObject({ late: true });
    const after = (await call(rt, `/api/audit?org=${A}`, { cookie: sessions.bureau })).json().events as Record<string, any>[];
    expect(after.filter((e) => e.action.startsWith('extension.')).map((e) => e.action)).toEqual(['extension.granted', 'extension.revoked']);
  });
});

describe('a District exempts one of its schools', () => {
  const expected = async () => (await call(rt, '/api/dashboard', { cookie: sessions[D] })).json().total as Record<string, number>;

  it('the school leaves the owing index and the dashboard’s expected count; revoking restores both', async () => {
    expect(await owing()).toEqual(expect.arrayContaining([D, B, D2, X, DIRECT]));
    expect(await expected()).toMatchObject({ audience: 3, expected: 3, exempt: 0 });
    const r = await post('/api/exemptions', { org: B, action: 'set', kind: 'merged', reason: '并入甲小学' }, D);
    expect(r.status, r.text).toBe(200);
    expect(r.json()).toMatchObject({ org: B, changed: true, term: { kind: 'merged', reason: '并入甲小学', by: `district:${D}` } });
    expect(await owing()).not.toContain(B);
    expect(await summaryItem(rt, C, B)).toMatchObject({ missing: [], exemption: { kind: 'merged' } });
    expect((await summaryItem(rt, C, B))?.gsi2pk).toBeUndefined();
    expect(await expected()).toMatchObject({ audience: 3, expected: 2, exempt: 1 });
    // The city digest's counts: the AUDIENCE item's register.
    expect(await audienceItem()).toMatchObject({ exempt: { [B]: `D#${D}` } });
    // The status page lists it as exempt and leaves it out of the counts.
    const page = await call(rt, '/status', { cookie: sessions[D] });
    expect(page.text).toMatch(new RegExp(`data-org="${B}"[\\s\\S]*?data-exempt>免报（并入甲小学）`));
    expect(page.text).toContain('data-exempt-note>统计不含免报单位（1 个）');
    const statusRow = await rowOf(D, B);
    expect(statusRow?.exemption).toMatchObject({ kind: 'merged', reason: '并入甲小学' });

    expect((await post('/api/exemptions', { org: B, action: 'revoke' }, D)).json()).toMatchObject({ changed: true });
    expect(await owing()).toContain(B);
    expect(await expected()).toMatchObject({ expected: 3, exempt: 0 });
    expect(await audienceItem()).toMatchObject({ exempt: {} });
    const trail = (await call(rt, `/api/audit?org=${B}`, { cookie: sessions.bureau })).json().events as Record<string, any>[];
    expect(trail.filter((e) => e.action.startsWith('exemption.')).map((e) => [e.action, e.actor])).toEqual([
      ['exemption.granted', `district:${D}`],
      ['exemption.revoked', `district:${D}`],
    ]);
  });

  it('from the page’s forms: 303 back to the page, which shows it; a refused form says why by its code', async () => {
    const ok = await form({ what: 'exemption', org: B, action: 'set', kind: 'closed', reason: '停办' }, D);
    expect(ok.status, ok.text.slice(0, 300)).toBe(303);
    expect(ok.headers.get('location')).toBe(`/terms?done=exemption&org=${B}#t-${B}`);
    const page = await call(rt, `/terms?done=exemption&org=${B}`, { cookie: sessions[D] });
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-done="exemption"');
    expect(page.text).toContain(`id="t-${B}"`);
    expect(page.text).toMatch(/data-section="exempt"><h2 class="card">免报登记（1）/);
    const before = await state();
    const bad = await form({ what: 'exemption', org: B, action: 'set', kind: 'closed' }, D);
    expect(bad.headers.get('location')).toBe(`/terms?error=REASON_REQUIRED&org=${B}#t-${B}`);
    expect((await call(rt, `/terms?error=REASON_REQUIRED&org=${B}`, { cookie: sessions[D] })).text).toContain('data-error="REASON_REQUIRED"');
    const cross = await form({ what: 'exemption', org: B, action: 'revoke' }, D, { origin: 'https://evil.example' });
    expect(cross.headers.get('location')).toBe(`/terms?error=OTHER&org=${B}#t-${B}`);
    const what = await form({ what: 'nothing', org: B, action: 'revoke' }, D);
    expect(what.headers.get('location')).toBe(`/terms?error=OTHER&org=${B}#t-${B}`);
    expect(await state()).toBe(before);
    // Back to where it was.
    expect((await form({ what: 'exemption', org: B, action: 'revoke' }, D)).status).toBe(303);
    expect(await owing()).toContain(B);
  });
});

describe('a District’s internal deadline for its schools', () => {
  it('must be earlier than the campaign’s; its schools’ upload page asks for it, with the city’s deadline beside it; the trail has it', async () => {
    const day = dayAfter(2);
    // The campaign's deadline (1 June) has passed: an internal date must be earlier than it — refused.
    expectJsonError(await post('/api/schools-deadline', { action: 'set', dueDate: day }, D), 400, 'SCHOOLS_DUE_NOT_EARLIER');
    // On the seeded campaign (30 June) it is accepted.
    const s = (await sessionFor(rt, D)).cookie;
    const school = (await sessionFor(rt, A)).cookie;
    const r = await call(rt, '/api/schools-deadline', { cookie: s, json: { action: 'set', dueDate: day } });
    expect(r.status, r.text).toBe(200);
    expect(r.json()).toMatchObject({ org: D, what: 'schools-deadline', changed: true, term: { dueAt: endOf(day) } });
    const page = await call(rt, '/upload', { cookie: school });
    expect(page.text).toContain('县区要求；全市截止 2019年6月30日 23:59');
    const terms = await call(rt, '/terms', { cookie: s });
    expect(terms.text).toContain(`data-schools-due="${endOf(day)}"`);
    const trail = (await call(rt, `/api/audit?org=${D}`, { cookie: (await sessionFor(rt, 'bureau')).cookie })).json().events as Record<string, any>[];
    expect(trail.filter((e) => e.action === 'deadline.set')).toEqual([expect.objectContaining({ actor: `district:${D}`, after: { deadline: endOf(day) } })]);
    expect((await call(rt, '/api/schools-deadline', { cookie: s, json: { action: 'revoke' } })).json()).toMatchObject({ changed: true });
    expect((await call(rt, '/upload', { cookie: school })).text).not.toContain('县区要求');
  });
});

describe('who may do what; invalid input changes nothing', () => {
  it('4xx with a code and a Chinese message, and the state as it was', async () => {
    const before = await state();
    const ext = { org: X, action: 'set', dueDate: dayAfter(3), reason: '暴雨' };
    const ex = (org: string) => ({ org, action: 'set', kind: 'closed', reason: '停办' });
    const cases: [string, Record<string, unknown>, string, number, string][] = [
      ['/api/extensions', ext, A, 403, 'BUREAU_ONLY'],
      ['/api/extensions', ext, 'centre', 403, 'BUREAU_ONLY'],
      ['/api/extensions', ext, D, 403, 'BUREAU_ONLY'],
      ['/api/exemptions', ex(B), A, 403, 'EXEMPTION_NOT_ALLOWED'],
      ['/api/exemptions', ex(DIRECT), 'centre', 403, 'EXEMPTION_NOT_ALLOWED'],
      ['/api/exemptions', ex(D), D, 403, 'CANNOT_EXEMPT_SELF'],
      ['/api/exemptions', ex(X), D, 404, 'ORG_NOT_FOUND'],
      ['/api/exemptions', ex(D2), D, 404, 'ORG_NOT_FOUND'],
      ['/api/exemptions', ex(DIRECT), D, 404, 'ORG_NOT_FOUND'],
      ['/api/exemptions', ex('it-tm-nobody'), 'bureau', 404, 'ORG_NOT_FOUND'],
      ['/api/exemptions', ex('centre'), 'bureau', 404, 'ORG_NOT_FOUND'],
      ['/api/schools-deadline', { action: 'set', dueDate: '2019-05-30' }, 'bureau', 403, 'DISTRICT_ONLY'],
      ['/api/extensions', { org: X, action: 'set', dueDate: '2019-06-01', reason: '早' }, 'bureau', 400, 'EXTENSION_NOT_LATER'],
      ['/api/extensions', { org: X, action: 'set', dueDate: '2020-06-01', reason: '远' }, 'bureau', 400, 'EXTENSION_TOO_FAR'],
      ['/api/extensions', { org: X, action: 'set', dueDate: '2019-02-30', reason: '无' }, 'bureau', 400, 'DUE_DATE_INVALID'],
      ['/api/extensions', { org: X, action: 'set', reason: '无' }, 'bureau', 400, 'DUE_DATE_REQUIRED'],
      ['/api/extensions', { org: X, action: 'set', dueDate: dayAfter(3) }, 'bureau', 400, 'REASON_REQUIRED'],
      ['/api/extensions', { org: X, action: 'extend', dueDate: dayAfter(3), reason: '无' }, 'bureau', 400, 'VALIDATION'],
      ['/api/extensions', { ...ext, extra: 1 }, 'bureau', 400, 'VALIDATION'],
      ['/api/extensions', { ...ext, reason: '长'.repeat(201) }, 'bureau', 400, 'VALIDATION'],
      ['/api/extensions', { ...ext, org: 'CITY' }, 'bureau', 400, 'VALIDATION'],
      ['/api/exemptions', { org: X, action: 'set', reason: '停办' }, 'bureau', 400, 'KIND_REQUIRED'],
      ['/api/exemptions', { org: X, action: 'set', kind: 'gone', reason: '停办' }, 'bureau', 400, 'VALIDATION'],
      ['/api/schools-deadline', { action: 'set', dueDate: '2019-05-30', org: D }, D, 400, 'VALIDATION'],
    ];
    for (const [path, body, who, status, code] of cases) expectJsonError(await post(path, body, who), status, code);
    expectJsonError(await call(rt, '/api/exemptions', { cookie: sessions.bureau, body: '{"org":', headers: { 'content-type': 'application/json' } }), 400, 'BAD_JSON');
    expectJsonError(await call(rt, '/api/exemptions', { cookie: sessions.bureau, json: [] }), 400, 'VALIDATION');
    expectJsonError(await post('/api/exemptions', ex(X), 'bureau', { origin: 'https://evil.example' }), 403, 'CROSS_SITE');
    expectJsonError(await call(rt, '/api/exemptions', { json: ex(X) }), 401, 'NO_SESSION');
    expect(await state()).toBe(before);
  });

  it('the terms page: the Bureau finds an org, a District only its own schools; schools and the Centre have none', async () => {
    const city = await call(rt, '/terms?q=集成测试期限', { cookie: sessions.bureau });
    expect(city.status).toBe(200);
    for (const o of [A, B, X, DIRECT, D, D2]) expect(city.text).toContain(`data-org="${o}"`);
    expect(city.text).toContain('name="what" value="extension"');
    const district = await call(rt, '/terms?q=集成测试期限', { cookie: sessions[D] });
    expect(district.text).toContain(`data-org="${A}"`);
    expect(district.text).not.toContain(`data-org="${X}"`);
    expect(district.text).not.toContain(`data-org="${DIRECT}"`);
    expect(district.text).not.toContain(`data-org="${D}"`);
    expect(district.text).not.toContain('name="what" value="extension"');
    expectHtmlError(await call(rt, '/terms', { cookie: sessions[A] }), 403);
    expectHtmlError(await call(rt, '/terms', { cookie: sessions.centre }), 403);
    expectHtmlError(await call(rt, '/terms'), 401);
    expectHtmlError(await call(rt, '/terms?error=%3Cscript%3E', { cookie: sessions.bureau }), 400);
  });
});

/** The campaign's AUDIENCE item (counts and the terms registers). */
async function audienceItem() {
  const r = await rt.ddb.send(new GetItemCommand({ TableName: rt.table, Key: { pk: { S: `CAMPAIGN#${C}` }, sk: { S: 'AUDIENCE' } }, ConsistentRead: true }));
  return r.Item ? (unmarshall(r.Item) as Record<string, any>) : undefined;
}
