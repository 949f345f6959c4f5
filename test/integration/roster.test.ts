/**
 * The school roster over real HTTP on the emulators: a school's administrator imports its classes (one link
 * mail per head teacher, through the outbox and the mailer to the local SES inbox), a repeat sends nothing, a
 * new head teacher gets a new link and the old one stops, a bad CSV changes nothing, who may, and the page.
 * Orgs: it-ro-* (this file only).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { openPersonLink } from '../../functions/contacts/service.js';
import { rosterStore } from '../../functions/contacts/store.js';
import { orgReader } from '../../functions/orgs/store.js';
import { clockOf } from '../../functions/shared/clock.js';
import { readEnv } from '../../functions/shared/env.js';
import { personTokens, signingKeySource } from '../../functions/shared/tokens.js';
import { call, expectHtmlError, expectJsonError, importOrgs, sessionFor, useRuntime } from './helpers.js';

const rt = useRuntime();
const S = 'it-ro-school';
const D = 'it-ro-d';
const env = readEnv(process.env);
const personDeps = { rosters: rosterStore(rt.ddb, rt.table), orgs: orgReader(rt.ddb, rt.table), clock: clockOf(env), tokens: personTokens(signingKeySource(env)) };

const sessions: Record<string, string> = {};

interface StoredMail {
  destination: { to: string[] | string };
  subject: string;
  body: { text: string; html: string };
}
const linkMailsTo = async (address: string) => {
  const r = await fetch(`${rt.sesUrl}/store`);
  const mails = ((await r.json()) as { emails: StoredMail[] }).emails;
  return mails.filter((m) => m.subject.startsWith('【家校联系记录】') && [m.destination.to].flat().map((a) => String(a).toLowerCase()).includes(address));
};
async function waitMails(address: string, n: number, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const mails = await linkMailsTo(address);
    if (mails.length >= n || Date.now() > until) return mails;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
const tokenOf = (m: StoredMail) => /\/c\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(m.body.text)?.[1] as string;

const rosterItem = async () => {
  const r = await rt.ddb.send(new GetItemCommand({ TableName: rt.table, Key: { pk: { S: `SCHOOL#${S}` }, sk: { S: 'ROSTER' } }, ConsistentRead: true }));
  return r.Item ? unmarshall(r.Item) : undefined;
};
const api = (body: unknown, cookie = sessions[S] as string, headers: Record<string, string> = {}) => call(rt, '/api/roster', { cookie, json: body, headers });
const form = (fields: Record<string, string>, cookie = sessions[S] as string, headers: Record<string, string> = {}) =>
  call(rt, '/roster', { cookie, body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

const A1 = 'it-ro-a1@example.org';
const A2 = 'it-ro-a2@example.org';
const A3 = 'it-ro-a3@example.org';

beforeAll(async () => {
  await importOrgs(rt, [`${D},集成测试名册县区教体局,district,,,,,`, `${S},集成测试名册小学,school,${D},,,,`]);
  for (const id of [S, D]) sessions[id] = (await sessionFor(rt, id)).cookie;
});

describe('the school roster', () => {
  it('first visit: the page shows the default cadence, nothing is stored', async () => {
    const r = await call(rt, '/roster', { cookie: sessions[S] });
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    expect(r.text).toContain('本校家校联系周期：每周（周一至周日，北京时间）');
    expect(r.text).toContain('data-count="0"');
    expect(await rosterItem()).toBeUndefined();
  });

  it('an import mails each head teacher their own /c/ link once; the same import again sends nothing new', async () => {
    const csv = `年级\t班级\t班主任\t邮箱\n七年级\t1班\t王芳\t${A1}\n七年级\t2班\t李强\t${A2}\n`;
    const r = await form({ action: 'import', csv });
    expect(r.status, r.text).toBe(303);
    expect(r.headers.get('location')).toBe('/roster?done=import&n=2');
    const [m1] = await waitMails(A1, 1);
    const [m2] = await waitMails(A2, 1);
    expect(m1?.body.text).toContain('七年级1班班主任');
    expect(m1?.body.text).toContain('本校家校联系周期：每周（周一至周日，北京时间）');
    expect(tokenOf(m1 as StoredMail)).toBeTruthy();
    expect(tokenOf(m2 as StoredMail)).not.toBe(tokenOf(m1 as StoredMail));
    const session = await openPersonLink(personDeps, tokenOf(m1 as StoredMail));
    expect(session).toMatch(/^ey/);
    const before = await rosterItem();
    expect(before).toMatchObject({ rev: 1 });
    const again = await api({ action: 'import', csv });
    expect(again.status, again.text).toBe(200);
    expect(again.json()).toMatchObject({ changed: false, mailed: [], rev: 1 });
    await new Promise((ok) => setTimeout(ok, 1500));
    expect(await linkMailsTo(A1)).toHaveLength(1);
    expect(await linkMailsTo(A2)).toHaveLength(1);
    expect(await rosterItem()).toEqual(before);
    const page = await call(rt, '/roster?done=import&n=2', { cookie: sessions[S] });
    expect(page.text).toContain('data-done="import"');
    expect(page.text).toContain('data-count="2"');
  });

  it('a new head teacher: a new mail with a new link; the old link no longer opens', async () => {
    const [old] = await linkMailsTo(A1);
    const r = await api({ action: 'import', csv: `七年级,1班,赵敏,${A3}` });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ changed: true, rev: 2 });
    expect(body.mailed).toHaveLength(1);
    const [fresh] = await waitMails(A3, 1);
    expect(fresh?.body.text).toContain('赵敏老师');
    await expect(openPersonLink(personDeps, tokenOf(old as StoredMail))).rejects.toMatchObject({ status: 401, code: 'LINK_REVOKED' });
    await expect(openPersonLink(personDeps, tokenOf(fresh as StoredMail))).resolves.toMatch(/^ey/);
    // The other class's link is untouched.
    const [other] = await linkMailsTo(A2);
    await expect(openPersonLink(personDeps, tokenOf(other as StoredMail))).resolves.toMatch(/^ey/);
  });

  it('a bad CSV: 400 with the rows, the roster byte for byte as it was; the form comes back with the rows', async () => {
    const before = JSON.stringify(await rosterItem());
    const bad = `七年级,3班,孙丽,not-an-address\n七年级,4班,周杰,it-ro-a4@example.org\n七年级,4班,吴昊,it-ro-a5@example.org`;
    const r = await api({ action: 'import', csv: bad });
    expectJsonError(r, 400, 'ROSTER_CSV_INVALID');
    expect(r.json().error.details).toEqual([
      { line: 1, kind: 'email', reason: expect.stringContaining('not-an-address') },
      { line: 3, kind: 'duplicate', reason: expect.stringContaining('第 2 行') },
    ]);
    expect(JSON.stringify(await rosterItem())).toBe(before);
    const f = await form({ action: 'import', csv: bad });
    expect(f.status).toBe(303);
    expect(f.headers.get('location')).toBe('/roster?error=ROSTER_CSV_INVALID&rows=1%3Aemail%2C3%3Aduplicate');
    const page = await call(rt, f.headers.get('location') as string, { cookie: sessions[S] });
    expect(page.text).toContain('data-row="1" data-issue="email"');
    expect(page.text).toContain('第 3 行：与前面的行重复');
    expect(JSON.stringify(await rosterItem())).toBe(before);
    expect(await linkMailsTo('it-ro-a4@example.org')).toHaveLength(0);
  });

  it('a District’s session: 403 ONLY_SCHOOL (JSON and page); another site’s post: 403; nothing changes', async () => {
    const before = JSON.stringify(await rosterItem());
    expectJsonError(await api({ action: 'cadence', every: 'month' }, sessions[D]), 403, 'ONLY_SCHOOL');
    expectHtmlError(await call(rt, '/roster', { cookie: sessions[D] }), 403, '班级名册由学校自己维护');
    expectJsonError(await api({ action: 'cadence', every: 'month' }, sessions[S], { origin: 'https://evil.example' }), 403, 'CROSS_SITE');
    const cross = await form({ action: 'cadence', every: 'month' }, sessions[S], { origin: 'https://evil.example' });
    expect(cross.status).toBe(303);
    expect(cross.headers.get('location')).toBe('/roster?error=OTHER');
    expectHtmlError(await call(rt, '/roster'), 401);
    expect(JSON.stringify(await rosterItem())).toBe(before);
  });

  it('what a school typed is escaped on the page', async () => {
    const r = await form({ action: 'class', grade: '八年级', label: '1班', teacher: '<script>alert(1)</script>', email: 'it-ro-x@example.org' });
    expect(r.headers.get('location')).toBe('/roster?done=class');
    const page = await call(rt, '/roster', { cookie: sessions[S] });
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('staff from the form (one checkbox per role); cadence from the form', async () => {
    const r = await form({ action: 'staff', name: '周校长', email: 'it-ro-p@example.org', 'role-principal': 'on', 'role-crisis': 'on' });
    expect(r.headers.get('location')).toBe('/roster?done=staff');
    expect(Object.values((await rosterItem())?.staff ?? {})).toEqual([expect.objectContaining({ name: '周校长', roles: ['crisis', 'principal'], v: 1 })]);
    const none = await form({ action: 'staff', name: '某老师', email: 'it-ro-q@example.org' });
    expect(none.headers.get('location')).toBe('/roster?error=VALIDATION');
    const c = await form({ action: 'cadence', every: 'month' });
    expect(c.status).toBe(303);
    const page = await call(rt, '/roster', { cookie: sessions[S] });
    expect(page.text).toMatch(/本校家校联系周期：每月|自\d+月1日起改为每月/);
  });
});
