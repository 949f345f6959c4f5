import * as z from 'zod/mini';
import { ClassId, LogId } from '../../schemas/contacts.js';
import { classLogsPage, headHomePage, logFormPage, staffHomePage } from '../../web/contacts/pages.js';
import { contactError, contactPage as htmlPage } from './respond.js';
import { readEnv } from '../shared/env.js';
import { cookie, type HttpEvent, type HttpResult, httpRoute, query, redirect, sameOrigin } from '../shared/http.js';
import { PERSON_COOKIE, SESSION_COOKIE, SESSION_TTL_SECONDS } from '../shared/tokens.js';
import { contactReadDeps } from './deps.js';
import { DONE, personOf } from './person.js';
import { beijingDay, periodLabel } from './periods.js';
import { LOG_FORM_MAX_BYTES, MAX_REFUSED_MESSAGE, typedValues } from './form.js';
import { authenticatePerson, classLabel, classLogs, current, newId, openPersonLink, readLog } from './service.js';
import { cellOf } from './completeness.js';
import { cadenceLine, labelOf, logLine, staffHome, termSoFar } from './views.js';

const env = readEnv();
const deps = contactReadDeps(env);
const secure = new URL(env.SITE_ORIGIN).protocol === 'https:';
const siteOrigin = new URL(env.SITE_ORIGIN).origin;
const personCookie = (token: string) => `${PERSON_COOKIE}=${token}; Path=/; Max-Age=${SESSION_TTL_SECONDS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

const HomeQuery = z.strictObject({ class: z.optional(ClassId), done: z.optional(z.enum(Object.keys(DONE) as [string, ...string[]])) });
const FormQuery = z.strictObject({ log: z.optional(LogId) });

const person = personOf(env, deps);

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

/**
 * A refused form, sent here again by the writer (307, the same body): shown again with what was typed and the reason
 * (the writer's code and message, in the address). Writes nothing. A log form comes back filled in — also when the
 * session has expired (then without the class: the text can still be copied); any other form gets the error page.
 */
async function refusedForm(event: HttpEvent): Promise<HttpResult> {
  sameOrigin(event, siteOrigin);
  const q = event.queryStringParameters ?? {};
  const status = /^4\d\d$/.test(q.status ?? '') ? Number(q.status) : 400;
  const code = /^[A-Z_]{2,40}$/.test(q.code ?? '') ? (q.code as string) : 'OTHER';
  const message = (q.msg ?? '').slice(0, MAX_REFUSED_MESSAGE) || '提交未成功，请检查后重试。';
  const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const fields: Record<string, string> = {};
  if (raw.length <= LOG_FORM_MAX_BYTES) for (const [k, v] of new URLSearchParams(raw)) fields[k] ??= v;
  if (fields.action !== 'log') return contactError(status, { error: { code, message } }, event);
  const p = await authenticatePerson(deps, cookie(event, PERSON_COOKIE)).catch(() => undefined);
  const today = beijingDay(deps.clock.now());
  return htmlPage(
    status,
    logFormPage({
      school: p?.school.name,
      classLabel: p?.kind === 'head' ? classLabel(p.entry) : undefined,
      today,
      termStart: p?.roster.term.start,
      cadenceLine: p ? cadenceLine(p.roster, today) : undefined,
      values: typedValues(fields),
      error: { code, message },
    }),
  );
}

/**
 * GET /c/{token} — a head teacher's or staff member's own link: exchanged for a session cookie, then /contacts.
 * GET /contacts — their page (a class for a head teacher; concerns and classes for staff; ?class= a class's logs).
 * GET /contacts/new — the form (?log= a correction). One log and the CSV are functions/contacts/log.ts.
 * Every read of content is recorded in the audit trail; a refused one too.
 * The forms post to POST /contacts (functions/contacts/write.ts); POST /contacts/refused shows a refused one again.
 */
export const handler = httpRoute(
  async (event) => {
    switch (event.routeKey) {
      case 'GET /c/{token}':
        // The token leaves the address bar at once.
        return redirect('/contacts', [personCookie(await openPersonLink(deps, event.pathParameters?.token ?? ''))]);
      case 'GET /contacts/new':
        return form(event as HttpEvent);
      case 'POST /contacts/refused':
        return refusedForm(event as HttpEvent);
      default:
        return home(event as HttpEvent);
    }
  },
  { errors: 'page', page: contactError },
);
