/**
 * The audit trail on the local runtime: events appended to the real (dynalite) audit table, read back
 * through GET /api/audit and GET /audit as the Bureau — per campaign, per org, paging back, as CSV —
 * refused to a school and a District, bad queries refused; the CLI's link issuing and revocation recorded.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditCursor, auditLog } from '../../functions/audit/store.js';
import type { AuditEvent } from '../../schemas/audit.js';
import { CAMPAIGN, call, expectHtmlError, expectJsonError, HAN, importOrgs, sessionFor, useRuntime } from './helpers.js';

const rt = useRuntime();
const audit = auditLog(rt.ddb, rt.env.AUDIT_TABLE as string);
const run = randomUUID().slice(0, 8);
const S1 = `it-audit-${run}`;
const D1 = `it-audit-d-${run}`;
/** Before any domain time the other tests reach (they start at 2019-06-05): this window holds only this file's events. */
const at = (ms: number) => new Date(Date.UTC(2019, 0, 1) + ms).toISOString();
const WINDOW_END = at(60_000);

const ev = (n: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  campaignId: CAMPAIGN,
  orgId: S1,
  at: at(n * 1000),
  id: `it-${run}-${n}`,
  action: 'upload.accepted',
  actor: 'system:validate-upload',
  document: 'crisis-plan',
  version: 1,
  ...over,
});

let bureau: string;
let school: string;
let district: string;

beforeAll(async () => {
  await importOrgs(rt, [`${D1},集成测试审计县区,district,,,,,`, `${S1},集成测试审计小学,school,${D1},,,,`]);
  const cookies = await Promise.all([sessionFor(rt, 'bureau'), sessionFor(rt, S1), sessionFor(rt, D1)].map((p) => p.then((s) => s.cookie)));
  [bureau, school, district] = cookies as [string, string, string];
  const events = [
    ev(1),
    ev(2, {
      action: 'review.returned',
      actor: `district:${D1}`,
      before: { review: 'pending' },
      after: { review: 'returned', dueAt: '2019-07-05T15:59:59.999Z' },
      note: '请补充<危机干预>流程',
    }),
    ev(3, { orgId: D1, action: 'bundle.forwarded', actor: `district:${D1}`, document: undefined, version: undefined, after: { schools: 1 } }),
    ev(4, { action: 'file.downloaded', actor: 'city:bureau', version: 1 }),
  ];
  for (const e of events) expect(await audit.append(e)).toBe('appended');
});

describe('the audit table (dynalite)', () => {
  it('appends once: the same event again is "exists" and changes nothing', async () => {
    expect(await audit.append({ ...ev(1), note: '改写' })).toBe('exists');
    const mine = (await audit.listOrg(CAMPAIGN, S1)).filter((e) => e.id === ev(1).id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.note).toBeUndefined();
  });

  it('lists a campaign back from a cursor, the latest first taken, in time order; an org through gsi1', async () => {
    const c = `it-audit-${run}`;
    for (let i = 0; i < 5; i += 1) await audit.append(ev(i, { campaignId: c, id: `p${i}`, orgId: i % 2 ? S1 : D1 }));
    expect((await audit.listCampaign(c)).map((e) => e.id)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect((await audit.listCampaign(c, { limit: 2 })).map((e) => e.id)).toEqual(['p3', 'p4']);
    const p3 = (await audit.listCampaign(c)).find((e) => e.id === 'p3')!;
    expect((await audit.listCampaign(c, { limit: 2, before: auditCursor(p3) })).map((e) => e.id)).toEqual(['p1', 'p2']);
    expect((await audit.listCampaign(c, { before: at(2000) })).map((e) => e.id)).toEqual(['p0', 'p1']);
    expect((await audit.listCampaign(c, { limit: 9 })).map((e) => e.id)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect((await audit.listOrg(c, S1)).map((e) => e.id)).toEqual(['p1', 'p3']);
  });
});

describe('GET /api/audit as the Bureau', () => {
  it('per campaign: the events in time order with names and labels', async () => {
    const r = await call(rt, `/api/audit?before=${encodeURIComponent(WINDOW_END)}`, { cookie: bureau });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    expect(body.campaign.id).toBe(CAMPAIGN);
    expect(body.org).toBeUndefined();
    // The latest before the cursor are this file's four (only the paging test below writes earlier ones).
    const mine = (body.events as Record<string, any>[]).slice(-4);
    expect(mine.map((e) => e.id)).toEqual([1, 2, 3, 4].map((n) => `it-${run}-${n}`));
    expect(mine[1]).toMatchObject({
      orgId: S1,
      orgName: '集成测试审计小学',
      action: 'review.returned',
      actionLabel: '退回修改',
      actor: `district:${D1}`,
      actorLabel: '集成测试审计县区',
      before: { review: 'pending' },
      after: { review: 'returned', dueAt: '2019-07-05T15:59:59.999Z' },
      note: '请补充<危机干预>流程',
    });
    expect(mine[2]).toMatchObject({ orgId: D1, orgName: '集成测试审计县区', actionLabel: '打包报送' });
    expect(mine[3]).toMatchObject({ actionLabel: '下载文件', actorLabel: '南昌市教育局' });
    // Without a cursor: the latest events of the campaign (others' too), at most a page.
    const latest = await call(rt, '/api/audit', { cookie: bureau });
    expect(latest.status, latest.text).toBe(200);
    expect(latest.json().events.length).toBeLessThanOrEqual(200);
  });

  it('per org: that org’s events only', async () => {
    const r = await call(rt, `/api/audit?org=${D1}`, { cookie: bureau });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    expect(body.org).toEqual({ id: D1, name: '集成测试审计县区' });
    // The District's own events: the forwarded bundle, and the link the test's session was opened with.
    expect(new Set(body.events.map((e: { orgId: string }) => e.orgId))).toEqual(new Set([D1]));
    expect(body.events.filter((e: { id: string }) => e.id.startsWith(`it-${run}-`)).map((e: { id: string }) => e.id)).toEqual([`it-${run}-3`]);
  });

  it('pages back: 201 events in a window, the latest 200, then `earlier` to the first', async () => {
    // A window before the one above (2019-01-01): nothing else is there.
    const base = Date.UTC(2018, 0, 1);
    const es = Array.from({ length: 201 }, (_, i) => ev(i, { at: new Date(base + i * 10).toISOString(), id: `pg-${run}-${String(i).padStart(3, '0')}` }));
    for (let i = 0; i < es.length; i += 25) await Promise.all(es.slice(i, i + 25).map((e) => audit.append(e)));
    const end = new Date(base + 60_000).toISOString();
    const first = (await call(rt, `/api/audit?before=${encodeURIComponent(end)}`, { cookie: bureau })).json();
    expect(first.events).toHaveLength(200);
    expect(first.events[0].id).toBe(`pg-${run}-001`);
    expect(first.events.at(-1).id).toBe(`pg-${run}-200`);
    expect(first.earlier).toEqual(expect.stringContaining('#'));
    const back = await call(rt, `/api/audit?before=${encodeURIComponent(first.earlier)}`, { cookie: bureau });
    expect(back.status, back.text).toBe(200);
    expect(back.json().events.map((e: { id: string }) => e.id)).toEqual([`pg-${run}-000`]);
    expect(back.json().earlier).toBeUndefined();
    // The page links to the same place.
    const page = await call(rt, `/audit?before=${encodeURIComponent(end)}`, { cookie: bureau });
    expect(page.text).toContain(`href="/audit?before=${encodeURIComponent(first.earlier)}"`);
  });

  it('?format=csv: the whole trail (or one org’s), UTF-8 BOM, CRLF, a header, an attachment with a Chinese name', async () => {
    const r = await call(rt, `/api/audit?org=${S1}&format=csv`, { cookie: bureau });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="audit-${CAMPAIGN}-${S1}\\.csv"; filename\\*=UTF-8''`));
    expect(decodeURIComponent(r.headers.get('content-disposition')!.split("''")[1]!)).toMatch(/-操作记录-集成测试审计小学\.csv$/);
    const bytes = new Uint8Array(await (await fetch(`${rt.baseUrl}/api/audit?org=${S1}&format=csv`, { headers: { cookie: bureau } })).arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = r.text.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('时间(北京时间),机构编号,机构名称,操作,操作代码,操作人,操作人编号,材料,版本,变更,变更前(JSON),变更后(JSON),备注,记录编号');
    expect(lines.at(-1)).toBe('');
    expect(r.text).not.toMatch(/[^\r]\n/);
    const mine = lines.filter((l) => l.endsWith(`it-${run}-1`) || l.endsWith(`it-${run}-2`) || l.endsWith(`it-${run}-4`));
    expect(mine).toHaveLength(3);
    expect(mine[0]).toBe(`2019-01-01 08:00,${S1},集成测试审计小学,文件已接收,upload.accepted,系统（validate-upload）,system:validate-upload,心理危机管理工作方案,1,,,,,it-${run}-1`);
    expect(mine[1]).toContain('退回修改');
    expect(mine[1]).toContain('修改期限：— → 2019年7月5日 23:59');
    // The whole campaign's CSV has every event, this file's window included.
    const all = await call(rt, '/api/audit?format=csv', { cookie: bureau });
    expect(all.status).toBe(200);
    for (const n of [1, 2, 3, 4]) expect(all.text).toContain(`,it-${run}-${n}\r\n`);
    expect(all.text.indexOf(`,it-${run}-1\r\n`)).toBeLessThan(all.text.indexOf(`,it-${run}-4\r\n`));
  });

  it('GET /audit: the page in Chinese, newest first, recorded text escaped', async () => {
    const r = await call(rt, `/audit?org=${S1}`, { cookie: bureau });
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(r.text).toContain('操作记录：集成测试审计小学');
    expect(r.text).toContain('请补充&lt;危机干预&gt;流程');
    expect(r.text).not.toContain('<危机干预>');
    expect(r.text.indexOf(`data-id="it-${run}-4"`)).toBeLessThan(r.text.indexOf(`data-id="it-${run}-1"`));
    expect(r.text).toMatch(HAN);
  });
});

describe('who may read it, and bad queries', () => {
  it('a school and a District get a Chinese 403 (JSON and page); no session is a 401', async () => {
    for (const cookie of [school, district]) {
      expectJsonError(await call(rt, '/api/audit', { cookie }), 403, 'AUDIT_CITY_ONLY');
      expectJsonError(await call(rt, `/api/audit?org=${S1}&format=csv`, { cookie }), 403, 'AUDIT_CITY_ONLY');
      expectHtmlError(await call(rt, '/audit', { cookie }), 403, '操作记录仅向市教育局');
    }
    expectJsonError(await call(rt, '/api/audit'), 401, 'NO_SESSION');
    expectHtmlError(await call(rt, '/audit'), 401);
  });

  it('a bad org, format, cursor or an unknown parameter is a 400; an org that does not exist a 404', async () => {
    for (const q of ['org=D%23dh', 'org=all', 'org=A', 'format=xml', 'before=yesterday', `before=${encodeURIComponent(`${WINDOW_END}#x`)}`, 'scope=all']) {
      expectJsonError(await call(rt, `/api/audit?${q}`, { cookie: bureau }), 400, 'VALIDATION');
    }
    expectHtmlError(await call(rt, '/audit?org=all', { cookie: bureau }), 400);
    expectHtmlError(await call(rt, '/audit?format=csv', { cookie: bureau }), 400);
    expectJsonError(await call(rt, `/api/audit?org=nobody-${run}`, { cookie: bureau }), 404, 'ORG_NOT_FOUND');
  });
});

describe('the CLI records links issued and revoked (actor cli)', () => {
  it('issue-link → link.issued; revoke-link → links.revoked with the token version before and after', async () => {
    const linked = async () => (await audit.listOrg(CAMPAIGN, S1)).filter((e) => e.action === 'link.issued' || e.action === 'links.revoked');
    const before = await linked();
    // The session this file opened for S1 was issued through the CLI's operations.
    expect(before.filter((e) => e.action === 'link.issued').length).toBeGreaterThanOrEqual(1);
    const { url } = await rt.ops.issueLink(S1, CAMPAIGN);
    const version = await rt.ops.revokeLink(S1);
    const after = await linked();
    const added = after.filter((e) => !before.some((b) => b.id === e.id));
    expect(added.map((e) => e.action)).toEqual(['link.issued', 'links.revoked']);
    expect(added[0]).toMatchObject({ actor: 'cli', orgId: S1, campaignId: CAMPAIGN, after: { tokenVersion: version - 1, validDays: 60 } });
    expect(JSON.stringify(added)).not.toContain(url.split('/l/')[1]!); // never the token
    expect(added[1]).toMatchObject({ actor: 'cli', id: `links-revoked-v${version}`, before: { tokenVersion: version - 1 }, after: { tokenVersion: version } });
    // The Bureau sees them, labelled.
    const r = (await call(rt, `/api/audit?org=${S1}`, { cookie: bureau })).json();
    expect(r.events.filter((e: { id: string }) => added.some((a) => a.id === e.id)).map((e: { actionLabel: string; actorLabel: string }) => `${e.actionLabel} ${e.actorLabel}`)).toEqual([
      '生成专属链接 管理员（命令行）',
      '停用全部链接 管理员（命令行）',
    ]);
  });
});
