import * as z from 'zod/mini';
import { ClassId, LogId } from '../../schemas/contacts.js';
import { classLogsPage, headHomePage, logFormPage, logPage, staffHomePage } from '../../web/contacts/pages.js';
import { contactError, contactPage as htmlPage } from './respond.js';
import { readEnv } from '../shared/env.js';
import { csvFile } from '../shared/csv.js';
import { formatBeijingExcel } from '../shared/clock.js';
import { Errors, forbidden } from '../shared/errors.js';
import { cookie, type HttpEvent, type HttpResult, httpRoute, query, redirect, text } from '../shared/http.js';
import { PERSON_COOKIE, SESSION_COOKIE, SESSION_TTL_SECONDS, signingKeySource, tokenSigner } from '../shared/tokens.js';
import { contactReadDeps } from './deps.js';
import { periodLabel } from './periods.js';
import { actorOfPerson, authenticatePerson, classLabel, classLogs, current, denied, exportLogs, newId, openPersonLink, type Person, readLog, recordDenied } from './service.js';
import { cellOf } from './completeness.js';
import { cadenceLine, labelOf, logLine, staffHome, termSoFar } from './views.js';

const env = readEnv();
const deps = contactReadDeps(env);
/** Only to name an org whose session asks for content (the attempt is recorded). */
const orgTokens = tokenSigner(signingKeySource(env));
const secure = new URL(env.SITE_ORIGIN).protocol === 'https:';
const personCookie = (token: string) => `${PERSON_COOKIE}=${token}; Path=/; Max-Age=${SESSION_TTL_SECONDS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

/** What the pages say after a form was accepted (POST /contacts → 303 /contacts?done=…). */
const DONE: Record<string, string> = { log: '记录已保存。', corrected: '更正已保存，原记录已保留。', none: '已标记本期无需联系。', ack: '已确认收到，确认人和时间已记录。', urgent: '记录已保存，学校危机小组已收到紧急通知。' };
const HomeQuery = z.strictObject({ class: z.optional(ClassId), done: z.optional(z.enum(Object.keys(DONE) as [string, ...string[]])) });
const FormQuery = z.strictObject({ log: z.optional(LogId) });

/**
 * Who is asking without a person's session: a District, the Bureau or a school's administrator (their org
 * session) is refused content and the attempt is recorded; anyone else is asked for their own link.
 */
async function person(event: HttpEvent, what: string): Promise<Person> {
  const token = cookie(event, PERSON_COOKIE);
  if (token) return authenticatePerson(deps, token);
  const orgSession = cookie(event, SESSION_COOKIE);
  const grant = orgSession ? await orgTokens.verify(orgSession, 'session').catch(() => undefined) : undefined;
  if (grant) {
    await recordDenied(deps, { actor: `${grant.role}:${grant.orgId}`, name: grant.orgId, schoolId: grant.orgId }, what);
    throw forbidden('NO_CONTENT_ACCESS', '家校联系记录的内容仅本班班主任、学校心理教师和校长（危机管理工作小组）可以查看；县区、市教育局和学校管理员可查看完成情况统计。');
  }
  throw Errors.noSession();
}

async function home(event: HttpEvent): Promise<HttpResult> {
  // The school's administrator, a District or the Bureau has no content here: their page is the counts.
  if (!cookie(event, PERSON_COOKIE) && cookie(event, SESSION_COOKIE)) return redirect('/contact-rates');
  const p = await person(event, 'contacts home');
  const q = query(event, HomeQuery);
  const now = deps.clock.now();
  const done = q.done ? DONE[q.done] : undefined;
  if (q.class && (p.kind === 'staff' || q.class !== p.classId)) {
    const r = await classLogs(deps, p, q.class);
    return htmlPage(
      200,
      classLogsPage({
        school: p.school.name,
        classLabel: classLabel(r.klass),
        teacher: r.klass.teacher,
        logs: r.logs.map((l) => logLine(l, p.roster)),
        none: r.none.map((n) => ({ periodLabel: labelOf(p.roster, n.period), reason: n.reason, at: n.at, byName: n.byName })),
        staff: p.kind === 'staff',
      }),
    );
  }
  if (p.kind === 'staff') return htmlPage(200, staffHomePage({ ...(await staffHome(deps, p, now)), done }));
  const { today, periods, current: cur } = termSoFar(p.roster, now);
  const [r, summaries] = await Promise.all([classLogs(deps, p, p.classId), deps.summaries.getMany(periods.map((x) => ({ schoolId: p.school.id, period: x.id })))]);
  const byPeriod = new Map(summaries.map((s) => [s.period, s]));
  const rows = periods.map((x) => {
    const state = cellOf(p.roster, p.classId, x, byPeriod.get(x.id), now);
    return { id: x.id, label: periodLabel(x), state, canMarkNone: state === 'missing' || state === 'open' };
  });
  const curRow = cur && rows.find((x) => x.id === cur.id);
  return htmlPage(
    200,
    headHomePage({
      school: p.school.name,
      classLabel: classLabel(p.entry),
      teacher: p.entry.teacher,
      cadenceLine: cadenceLine(p.roster, today),
      current: cur && curRow ? { label: curRow.label, state: curRow.state, logs: r.logs.filter((l) => l.period === cur.id).length } : undefined,
      periods: rows.reverse(),
      logs: r.logs.map((l) => logLine(l, p.roster)),
      none: r.none.map((n) => ({ periodLabel: labelOf(p.roster, n.period), reason: n.reason, at: n.at })),
      done,
    }),
  );
}

async function form(event: HttpEvent): Promise<HttpResult> {
  const p = await person(event, 'contacts form');
  const q = query(event, FormQuery);
  const { today } = termSoFar(p.roster, deps.clock.now());
  if (p.kind !== 'head') return redirect('/contacts');
  const base = { school: p.school.name, classLabel: classLabel(p.entry), today, termStart: p.roster.term.start, cadenceLine: cadenceLine(p.roster, today) };
  if (!q.log) return htmlPage(200, logFormPage({ ...base, values: { newId: newId(12) } }));
  const r = await readLog(deps, p, p.classId, q.log);
  if (!r.mayCorrect) return redirect(`/contacts/logs/${p.classId}/${q.log}`);
  const { at: _at, byName: _by, ...content } = current(r.log);
  return htmlPage(200, logFormPage({ ...base, values: { ...content, logId: q.log } }));
}

async function one(event: HttpEvent): Promise<HttpResult> {
  const classId = event.pathParameters?.class ?? '';
  const logId = event.pathParameters?.log ?? '';
  const p = await person(event, `log ${classId.slice(0, 20)}/${logId.slice(0, 20)}`);
  if (!ClassId.safeParse(classId).success || !LogId.safeParse(logId).success) return denied(deps, { actor: actorOfPerson(p), name: p.name, schoolId: p.school.id }, 'malformed log address');
  const r = await readLog(deps, p, classId, logId);
  const done = event.queryStringParameters?.done;
  return htmlPage(
    200,
    logPage({
      school: p.school.name,
      classLabel: classLabel(r.klass),
      classId,
      log: r.log,
      periodLabel: labelOf(p.roster, r.log.period),
      concern: r.concern,
      mayCorrect: r.mayCorrect,
      mayAck: r.mayAck,
      staff: p.kind === 'staff',
      done: done && DONE[done] ? DONE[done] : undefined,
    }),
  );
}

/** The school's logs (staff) or the class's (head teacher) as an Excel-friendly CSV, for the growth handbooks. */
async function exportCsv(event: HttpEvent): Promise<HttpResult> {
  const p = await person(event, 'contacts export');
  const logs = await exportLogs(deps, p);
  const rows: (string | number)[][] = [['班级', '班主任', '联系日期', '周期', '联系方式', '联系对象', '涉及学生', '话题', '沟通内容', '后续跟进', '关注程度', '填写人', '填写时间', '版本']];
  for (const log of logs) {
    const c = current(log);
    const k = p.roster.classes[log.classId];
    rows.push([k ? classLabel(k) : log.classId, k?.teacher ?? '', c.date, labelOf(p.roster, log.period), c.method, c.contacted, c.students, c.topics.join('、'), c.summary, c.followUp ?? '', c.concern, c.byName, formatBeijingExcel(c.at), log.versions.length]);
  }
  const name = `家校联系记录-${p.school.name}${p.kind === 'head' ? `-${classLabel(p.entry)}` : ''}.csv`;
  return text(200, csvFile(rows), 'text/csv; charset=utf-8', { 'content-disposition': `attachment; filename="contacts.csv"; filename*=UTF-8''${encodeURIComponent(name)}` });
}

/**
 * GET /c/{token} — a head teacher's or staff member's own link: exchanged for a session cookie, then /contacts.
 * GET /contacts — their page (a class for a head teacher; concerns and classes for staff; ?class= a class's logs).
 * GET /contacts/new — the form (?log= a correction). GET /contacts/logs/{class}/{log} — one log.
 * GET /contacts/export.csv — the CSV. Every read of content is recorded in the audit trail; a refused one too.
 * The forms post to POST /contacts (functions/contacts/write.ts).
 */
export const handler = httpRoute(
  async (event) => {
    switch (event.routeKey) {
      case 'GET /c/{token}':
        // The token leaves the address bar at once.
        return redirect('/contacts', [personCookie(await openPersonLink(deps, event.pathParameters?.token ?? ''))]);
      case 'GET /contacts/new':
        return form(event as HttpEvent);
      case 'GET /contacts/logs/{class}/{log}':
        return one(event as HttpEvent);
      case 'GET /contacts/export.csv':
        return exportCsv(event as HttpEvent);
      default:
        return home(event as HttpEvent);
    }
  },
  { errors: 'page', page: contactError },
);
