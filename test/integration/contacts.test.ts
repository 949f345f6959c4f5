/**
 * Parent-contact logs over real HTTP on the emulators: a head teacher opens their own link, logs a phone call
 * (the period's summary counts the class once), marks one 紧急 (the crisis group's mail is in the local inbox
 * with no student detail), a staff member reads it (recorded) and acknowledges it (recorded, leaves the open
 * index); another class's head teacher, another school's, a District and the Bureau get no content and their
 * attempts are recorded; bad input is refused with the form kept and nothing stored; script is shown as text;
 * a double-tapped send writes one log; a changed head teacher's old link stops.
 * Orgs: it-cl-* (this file only); rosters written straight to the table (the roster's own tests cover its writer).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTACT_TRAIL } from '../../schemas/audit.js';
import type { Roster } from '../../schemas/contacts.js';
import { auditReader } from '../../functions/audit/store.js';
import { rosterStore, summaryKey } from '../../functions/contacts/store.js';
import { queryAll } from '../../functions/shared/clients/dynamodb.js';
import { clockOf } from '../../functions/shared/clock.js';
import { readEnv } from '../../functions/shared/env.js';
import { PERSON_COOKIE, personTokens, signingKeySource } from '../../functions/shared/tokens.js';
import { call, CAMPAIGN, expectHtmlError, expectJsonError, HAN, importOrgs, sessionFor, useRuntime } from './helpers.js';

const rt = useRuntime();
const env = readEnv(process.env);
const tokens = personTokens(signingKeySource(env));
const today = () => new Date(clockOf(env).now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
const dayAfter = (n: number) => new Date(clockOf(env).now().getTime() + 8 * 3600_000 + n * 86_400_000).toISOString().slice(0, 10);

const D = 'it-cl-d';
const A = 'it-cl-a';
const B = 'it-cl-b';
const C1 = 'caaaaaaaa';
const C2 = 'cbbbbbbbb';
const CB = 'ccccccccc';
const PRINCIPAL = 'spppppppp';
const CRISIS = 'sqqqqqqqq';
const PSYCH = 'srrrrrrrr';
const PRINCIPAL_MAIL = 'it-cl-principal@example.org';
const CRISIS_MAIL = 'it-cl-crisis@example.org';
const PSYCH_MAIL = 'it-cl-psych@example.org';

const cookies: Record<string, string> = {};
const orgSessions: Record<string, string> = {};

function roster(schoolId: string, classes: Roster['classes'], staff: Roster['staff'] = {}): Roster {
  return {
    schoolId,
    rev: 1,
    term: { start: dayAfter(-60), end: dayAfter(60) },
    cadence: [{ from: dayAfter(-60), every: 'week' }],
    classes,
    staff,
    updatedAt: new Date().toISOString(),
    updatedBy: `school:${schoolId}`,
  };
}

/** Opens a person's own link: 302 to /contacts with the person cookie. */
async function open(schoolId: string, person: string, version = 1) {
  const token = await tokens.personLink({ schoolId, person, version }, 30);
  const r = await call(rt, `/c/${token}`);
  return { r, token, cookie: r.headers.getSetCookie().find((c) => c.startsWith(`${PERSON_COOKIE}=`))?.split(';')[0] };
}

const form = (who: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  call(rt, '/contacts', { cookie: cookies[who], body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
/** A refused form: the writer sends the browser, with the same form (307), to the page that shows it again. */
async function postForm(who: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const first = await form(who, fields, headers);
  if (first.status !== 307) return { first, shown: undefined };
  const location = first.headers.get('location') as string;
  expect(location).toMatch(/^\/contacts\/refused\?/);
  const shown = await call(rt, location, { cookie: cookies[who], body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  return { first, shown };
}
const api = (who: string, body: unknown) => call(rt, '/api/contact-logs', { cookie: cookies[who], json: body });

const content = (over: Record<string, unknown> = {}) => ({ date: today(), method: '电话', contacted: '母亲', students: '12号', topics: ['学习', '情绪'], summary: '孩子最近作业拖拉，母亲反映在家情绪低落。', concern: '无', ...over });

const summaryOf = async (schoolId: string, period: string) => {
  const r = await rt.ddb.send(new GetItemCommand({ TableName: rt.table, Key: { pk: { S: summaryKey(schoolId, period).pk }, sk: { S: summaryKey(schoolId, period).sk } }, ConsistentRead: true }));
  return r.Item ? unmarshall(r.Item) : undefined;
};
const classLogs = async (schoolId: string, classId: string) =>
  queryAll<Record<string, any>>(rt.ddb, {
    TableName: rt.env.CONTACTS_TABLE as string,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': `SCHOOL#${schoolId}`, ':p': `LOG#${classId}#` },
  });
const trail = (schoolId: string) => auditReader(rt.ddb, rt.env.AUDIT_TABLE as string).listOrg(CONTACT_TRAIL, schoolId);

interface StoredMail {
  destination: { to: string[] | string };
  subject: string;
  body: { text: string; html: string };
}
const alertsTo = async (address: string) => {
  const mails = ((await (await fetch(`${rt.sesUrl}/store`)).json()) as { emails: StoredMail[] }).emails;
  return mails.filter((m) => m.subject.startsWith('【紧急') && [m.destination.to].flat().map((a) => String(a).toLowerCase()).includes(address));
};
async function waitAlerts(address: string, n: number, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const mails = await alertsTo(address);
    if (mails.length >= n || Date.now() > until) return mails;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

beforeAll(async () => {
  await importOrgs(rt, [`${D},集成测试家校县区教体局,district,,,,,`, `${A},集成测试家校甲中学,school,${D},,,,`, `${B},集成测试家校乙中学,school,${D},,,,`]);
  const since = dayAfter(-60);
  const rosters = rosterStore(rt.ddb, rt.table);
  await rosters.put(
    roster(
      A,
      {
        [C1]: { grade: '七年级', label: '1班', teacher: '王老师', email: 'it-cl-t1@example.org', v: 1, since },
        [C2]: { grade: '七年级', label: '2班', teacher: '李老师', email: 'it-cl-t2@example.org', v: 1, since },
      },
      {
        [PRINCIPAL]: { name: '张校长', email: PRINCIPAL_MAIL, roles: ['principal'], v: 1 },
        [CRISIS]: { name: '赵主任', email: CRISIS_MAIL, roles: ['crisis'], v: 1 },
        [PSYCH]: { name: '刘老师', email: PSYCH_MAIL, roles: ['psych'], v: 1 },
      },
    ),
    undefined,
  );
  await rosters.put(roster(B, { [CB]: { grade: '八年级', label: '1班', teacher: '陈老师', email: 'it-cl-tb@example.org', v: 1, since } }), undefined);
  for (const [who, school, person] of [
    ['t1', A, `h.${C1}`],
    ['t2', A, `h.${C2}`],
    ['tb', B, `h.${CB}`],
    ['crisis', A, `s.${CRISIS}`],
    ['psych', A, `s.${PSYCH}`],
  ] as const) {
    const o = await open(school, person);
    expect(o.r.status, `opening ${who}'s link`).toBe(302);
    expect(o.r.headers.get('location')).toBe('/contacts');
    cookies[who] = o.cookie as string;
  }
  orgSessions.district = (await sessionFor(rt, D)).cookie;
  orgSessions.bureau = (await sessionFor(rt, 'bureau', CAMPAIGN)).cookie;
  orgSessions.admin = (await sessionFor(rt, A)).cookie;
});

let phoneLog = '';
let urgentLog = '';

describe('a head teacher logs', () => {
  it('opens their class page, with the cadence shown', async () => {
    const r = await call(rt, '/contacts', { cookie: cookies.t1 });
    expect(r.status).toBe(200);
    expect(r.text).toContain('七年级1班');
    expect(r.text).toContain('本校家校联系周期：每周（周一至周日，北京时间）');
    expect(r.text).toContain('data-state="open"');
  });

  it('logs a phone call from the form: the class counts once in the period, the trail has no content', async () => {
    const f = await call(rt, '/contacts/new', { cookie: cookies.t1 });
    expect(f.status).toBe(200);
    const newId = /name="newId" value="([a-z2-7]{12})"/.exec(f.text)?.[1] as string;
    expect(newId).toBeDefined();
    const fields = { action: 'log', newId, date: today(), method: '电话', contacted: '母亲', students: '12号', topic0: '学习', topic1: '情绪', summary: '作业拖拉，情绪低落。', concern: '无' };
    const r = await form('t1', fields);
    expect(r.status, r.text).toBe(303);
    expect(r.headers.get('location')).toBe('/contacts?done=log');
    // The same form sent again (a double tap) writes nothing new.
    expect((await form('t1', fields)).status).toBe(303);
    const logs = await classLogs(A, C1);
    expect(logs).toHaveLength(1);
    phoneLog = logs[0]?.logId;
    expect(phoneLog).toBe(newId);
    const period = logs[0]?.period as string;
    expect(period).toMatch(/^\d{4}-W\d{2}$/);
    expect([...((await summaryOf(A, period))?.logged ?? [])]).toEqual([C1]);
    const entries = (await trail(A)).filter((e) => e.action === 'contact.logged');
    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries)).not.toMatch(/作业|12号|母亲/);
    const page = await call(rt, '/contacts?done=log', { cookie: cookies.t1 });
    expect(page.text).toContain('data-state="logged"');
  });

  it('marks one 紧急: the crisis group is mailed at once, with no student detail', async () => {
    const r = await api('t1', { action: 'log', content: content({ concern: '紧急', summary: '学生在家中提到不想活了，家长很担心。', students: '7号' }) });
    expect(r.status, r.text).toBe(200);
    expect(r.json()).toMatchObject({ changed: true, alerted: true });
    urgentLog = r.json().logId;
    const [toCrisis] = await waitAlerts(CRISIS_MAIL, 1);
    const [toPrincipal] = await waitAlerts(PRINCIPAL_MAIL, 1);
    expect(toCrisis).toBeDefined();
    expect(toPrincipal).toBeDefined();
    const mail = JSON.stringify(toCrisis);
    expect(mail).toContain('七年级1班');
    expect(mail).toContain('王老师');
    expect(mail).toContain(`/contacts/logs/${C1}/${urgentLog}`);
    expect(mail).not.toMatch(/不想活|7号|家长很担心|母亲/);
    // The psychology teacher is not the crisis group here (the group has members).
    expect(await alertsTo(PSYCH_MAIL)).toHaveLength(0);
    // Repeating the same request sends nothing again.
    const again = await api('t1', { action: 'log', newId: urgentLog, content: content({ concern: '紧急', summary: '学生在家中提到不想活了，家长很担心。', students: '7号' }) });
    expect(again.json()).toMatchObject({ changed: false });
    await new Promise((ok) => setTimeout(ok, 500));
    expect(await alertsTo(CRISIS_MAIL)).toHaveLength(1);
  });

  it('a crisis group member reads it (recorded) and acknowledges it (recorded, once)', async () => {
    const home = await call(rt, '/contacts', { cookie: cookies.crisis });
    expect(home.status).toBe(200);
    expect(home.text).toContain(`data-concern-row="${urgentLog}"`);
    expect(home.text).not.toContain('不想活'); // the list names the class, not the content
    const r = await call(rt, `/contacts/logs/${C1}/${urgentLog}`, { cookie: cookies.crisis });
    expect(r.status).toBe(200);
    expect(r.text).toContain('不想活了');
    expect(r.text).toContain('尚未确认');
    const reads = (await trail(A)).filter((e) => e.action === 'contact.read' && e.actor === `person:${A}/s.${CRISIS}`);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    const ack = await form('crisis', { action: 'ack', logId: urgentLog });
    expect(ack.status, ack.text).toBe(303);
    expect(ack.headers.get('location')).toBe(`/contacts/logs/${C1}/${urgentLog}?done=ack`);
    expect((await form('psych', { action: 'ack', logId: urgentLog })).status).toBe(303);
    const after = await call(rt, `/contacts/logs/${C1}/${urgentLog}`, { cookie: cookies.psych });
    expect(after.text).toContain('已由 赵主任');
    expect((await trail(A)).filter((e) => e.action === 'concern.acknowledged')).toHaveLength(1);
    const open = await queryAll(rt.ddb, { TableName: rt.table, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': 'CONCERN#OPEN' } });
    expect(open.filter((i) => i.logId === urgentLog)).toHaveLength(0);
  });
});

describe('nobody outside the class and its staff sees content', () => {
  it('another class’s head teacher: 404, recorded', async () => {
    const before = (await trail(A)).filter((e) => e.action === 'contact.denied').length;
    const r = await call(rt, `/contacts/logs/${C1}/${phoneLog}`, { cookie: cookies.t2 });
    expectHtmlError(r, 404);
    expect(r.text).not.toContain('作业拖拉');
    const list = await call(rt, `/contacts?class=${C1}`, { cookie: cookies.t2 });
    expectHtmlError(list, 404);
    const denied = (await trail(A)).filter((e) => e.action === 'contact.denied');
    expect(denied.length).toBe(before + 2);
    expect(denied.at(-1)?.actor).toBe(`person:${A}/h.${C2}`);
  });

  it('another school’s head teacher: 404, recorded under their school', async () => {
    const r = await call(rt, `/contacts/logs/${C1}/${phoneLog}`, { cookie: cookies.tb });
    expectHtmlError(r, 404);
    expect((await trail(B)).some((e) => e.action === 'contact.denied' && e.actor === `person:${B}/h.${CB}`)).toBe(true);
  });

  it('the District, the Bureau and the school’s administrator: no content, recorded', async () => {
    for (const [who, id] of [
      ['district', D],
      ['bureau', 'bureau'],
      ['admin', A],
    ] as const) {
      const r = await call(rt, `/contacts/logs/${C1}/${phoneLog}`, { cookie: orgSessions[who] });
      expectHtmlError(r, 403);
      expect(r.text).not.toContain('作业拖拉');
      expect((await trail(id)).some((e) => e.action === 'contact.denied'), who).toBe(true);
      const csv = await call(rt, '/contacts/export.csv', { cookie: orgSessions[who] });
      expect(csv.status, who).toBe(403);
      // Their /contacts is the counts page.
      expect((await call(rt, '/contacts', { cookie: orgSessions[who] })).headers.get('location')).toBe('/contact-rates');
    }
  });

  it('no session at all: asked for their own link', async () => {
    expectHtmlError(await call(rt, `/contacts/logs/${C1}/${phoneLog}`), 401);
  });
});

describe('bad input is refused, nothing is stored, the form keeps what was typed', () => {
  it('a date after today: 400, the form comes back filled in', async () => {
    const before = (await classLogs(A, C1)).length;
    const { first, shown } = await postForm('t1', { action: 'log', newId: 'aaaaaaaaaaaa', date: dayAfter(2), method: '面谈', contacted: '父亲', topic0: '安全', summary: '这是一段很长的记录，不能丢。', concern: '关注' });
    expect(first.status).toBe(307);
    const r = shown as NonNullable<typeof shown>;
    expect(r.status).toBe(400);
    expect(r.text).toContain('联系日期不能晚于今天');
    expect(r.text).toContain('七年级1班');
    expect(r.text).toContain('data-error="DATE_IN_FUTURE"');
    expect(r.text).toContain('这是一段很长的记录，不能丢。');
    expect(r.text).toMatch(/value="面谈" checked/);
    expect(await classLogs(A, C1)).toHaveLength(before);
  });

  it('unknown method, oversize text, a missing summary, unknown fields: 400 with a code and Chinese', async () => {
    const before = JSON.stringify(await classLogs(A, C1));
    expectJsonError(await api('t1', { action: 'log', content: content({ method: '短信' }) }), 400, 'VALIDATION');
    expectJsonError(await api('t1', { action: 'log', content: content({ summary: '长'.repeat(2001) }) }), 400, 'VALIDATION');
    expectJsonError(await api('t1', { action: 'log', content: content({ summary: '' }) }), 400, 'VALIDATION');
    expectJsonError(await api('t1', { action: 'log', content: { ...content(), extra: 1 } }), 400, 'VALIDATION');
    expectJsonError(await api('t1', { action: 'log', content: content({ date: '2019-02-30' }) }), 400, 'VALIDATION');
    expectJsonError(await api('t1', { action: 'log', content: content({ date: dayAfter(-400) }) }), 400, 'OUTSIDE_TERM');
    expectJsonError(await api('crisis', { action: 'log', content: content() }), 403, 'ONLY_HEAD_TEACHER');
    expectJsonError(await api('t1', { action: 'none', period: '2019-W01', reason: '' }), 400, 'VALIDATION');
    expect(JSON.stringify(await classLogs(A, C1))).toBe(before);
  });

  it('a cross-site form is refused', async () => {
    const before = (await classLogs(A, C1)).length;
    const { first, shown } = await postForm('t1', { action: 'log', date: today(), method: '电话', contacted: '母亲', topic0: '学习', summary: 'x', concern: '无' }, { origin: 'https://evil.example' });
    expect(first.headers.get('location')).toContain('code=CROSS_SITE');
    // The page that would show it again refuses another site's post as well.
    expect(shown?.status).toBe(403);
    expect(await classLogs(A, C1)).toHaveLength(before);
    // The JSON API answers 403 at once.
    expectJsonError(await call(rt, '/api/contact-logs', { cookie: cookies.t1, json: { action: 'log', content: content() }, headers: { origin: 'https://evil.example' } }), 403, 'CROSS_SITE');
  });

  it('script in the summary is stored as typed and shown as text', async () => {
    const r = await api('t1', { action: 'log', content: content({ summary: '<script>alert(1)</script><img src=x onerror=alert(2)>' }) });
    expect(r.status).toBe(200);
    const page = await call(rt, `/contacts/logs/${C1}/${r.json().logId}`, { cookie: cookies.t1 });
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).not.toContain('<img src=x');
  });
});

describe('corrections, "no contact needed", the CSV, a changed head teacher', () => {
  it('the author corrects a log: both versions kept; another head teacher may not', async () => {
    const r = await api('t1', { action: 'log', logId: phoneLog, content: content({ summary: '更正：作业拖拉已改善。' }) });
    expect(r.json()).toMatchObject({ versions: 2, changed: true });
    const page = await call(rt, `/contacts/logs/${C1}/${phoneLog}`, { cookie: cookies.t1 });
    expect(page.text).toContain('更正：作业拖拉已改善。');
    expect(page.text).toContain('共 2 版');
    expectJsonError(await api('t2', { action: 'log', logId: phoneLog, content: content() }), 404, 'LOG_NOT_FOUND');
  });

  it('a period marked "no contact needed" with its reason counts as done', async () => {
    const page = await call(rt, '/contacts', { cookie: cookies.t2 });
    const period = /name="period" value="(\d{4}-W\d{2})"/.exec(page.text)?.[1] as string;
    expect(period).toBeDefined();
    const r = await form('t2', { action: 'none', period, reason: '本周期末考试，已在家长会上统一沟通' });
    expect(r.status, r.text).toBe(303);
    expect([...((await summaryOf(A, period))?.none ?? [])]).toContain(C2);
  });

  it('the CSV: the whole school for staff, one class for its head teacher; each export recorded', async () => {
    const staff = await call(rt, '/contacts/export.csv', { cookie: cookies.psych });
    expect(staff.status).toBe(200);
    expect(staff.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(staff.text).toContain('更正：作业拖拉已改善。');
    const head = await call(rt, '/contacts/export.csv', { cookie: cookies.t2 });
    expect(head.text).not.toContain('作业拖拉');
    expect((await trail(A)).filter((e) => e.action === 'contact.exported').length).toBeGreaterThanOrEqual(2);
  });

  it('a new head teacher (version 2): the old link and session stop working', async () => {
    const rosters = rosterStore(rt.ddb, rt.table);
    const r = (await rosters.get(A)) as Roster;
    const next = { ...r, rev: r.rev + 1, classes: { ...r.classes, [C2]: { ...(r.classes[C2] as Roster['classes'][string]), teacher: '周老师', email: 'it-cl-t2b@example.org', v: 2 } } };
    expect(await rosters.put(next, r.rev)).toBe(true);
    const old = await call(rt, '/contacts', { cookie: cookies.t2 });
    expectHtmlError(old, 401);
    expect((await open(A, `h.${C2}`, 1)).r.status).toBe(401);
    const fresh = await open(A, `h.${C2}`, 2);
    expect(fresh.r.status).toBe(302);
    expect(HAN.test((await call(rt, '/contacts', { cookie: fresh.cookie })).text)).toBe(true);
  });
});
