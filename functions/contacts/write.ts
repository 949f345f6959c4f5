import { ContactWriteBody, TOPICS } from '../../schemas/contacts.js';
import { logFormPage } from '../../web/contacts/pages.js';
import { contactError, contactPage as htmlPage } from './respond.js';
import { readEnv } from '../shared/env.js';
import { cookie, type ErrorBody, formOrJsonBody, type HttpEvent, type HttpResult, httpRoute, json, type RouteEvent, sameOrigin } from '../shared/http.js';
import { PERSON_COOKIE } from '../shared/tokens.js';
import { contactWriteDeps } from './deps.js';
import { acknowledge, authenticatePerson, classLabel, markNone, writeLog } from './service.js';
import { cadenceLine, termSoFar } from './views.js';

const env = readEnv();
const deps = contactWriteDeps(env);
const siteOrigin = new URL(env.SITE_ORIGIN).origin;
const API = 'POST /api/contact-logs';

/**
 * The form's fields as the JSON body: the log's fields go under `content`, the topic check boxes (topic0…topic5,
 * one name each: a field given twice is refused) become the `topics` list.
 */
export function fromForm(f: Record<string, string>): unknown {
  if (f.action !== 'log') return f;
  const { action, logId, newId, date, method, contacted, students, summary, followUp, concern, ...rest } = f;
  const topics: string[] = [];
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (/^topic[0-9]$/.test(k)) topics.push(v);
    else extra[k] = v;
  }
  return { action, logId, newId, ...extra, content: { date, method, contacted, students: students ?? '', topics, summary, followUp, concern } };
}

async function write(event: RouteEvent<ContactWriteBody>): Promise<HttpResult> {
  sameOrigin(event, siteOrigin);
  const p = await authenticatePerson(deps, cookie(event, PERSON_COOKIE));
  const body = event.body;
  const api = event.routeKey === API;
  switch (body.action) {
    case 'log': {
      const r = await writeLog(deps, p, body);
      if (api) return json(200, { logId: r.log.logId, classId: r.log.classId, period: r.log.period, versions: r.log.versions.length, changed: r.changed, alerted: r.alerted ?? false });
      const done = r.alerted ? 'urgent' : r.log.versions.length > 1 ? 'corrected' : 'log';
      return { statusCode: 303, headers: { location: body.logId ? `/contacts/logs/${r.log.classId}/${r.log.logId}?done=${done}` : `/contacts?done=${done}` } };
    }
    case 'none': {
      const r = await markNone(deps, p, body);
      if (api) return json(200, { period: r.period.id, changed: r.changed });
      return { statusCode: 303, headers: { location: `/contacts?done=none#p-${r.period.id}` } };
    }
    case 'ack': {
      const r = await acknowledge(deps, p, body);
      if (api) return json(200, { logId: body.logId, ackAt: r.concern.ackAt, ackByName: r.concern.ackByName, changed: r.changed });
      return { statusCode: 303, headers: { location: `/contacts/logs/${r.concern.classId}/${body.logId}?done=ack` } };
    }
  }
}

const showError = (status: number, body: ErrorBody) => contactError(status, body, {} as HttpEvent);

/**
 * A refused log form comes back filled in with what was typed and the reason on top (nothing typed on a phone
 * is lost); other refused forms show the error page with the reason.
 */
async function refused(status: number, body: ErrorBody, event: HttpEvent): Promise<HttpResult> {
  const sent = (typeof event.body === 'object' && event.body ? event.body : {}) as { action?: unknown; logId?: unknown; newId?: unknown; content?: Record<string, unknown> };
  if (sent.action !== 'log' || status >= 500) return showError(status, body);
  const p = await authenticatePerson(deps, cookie(event, PERSON_COOKIE)).catch(() => undefined);
  if (!p) return showError(status, body);
  const { today } = termSoFar(p.roster, deps.clock.now());
  const c = sent.content ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 4000) : undefined);
  const values = {
    date: str(c.date),
    method: str(c.method),
    contacted: str(c.contacted),
    students: str(c.students),
    topics: Array.isArray(c.topics) ? c.topics.filter((t): t is (typeof TOPICS)[number] => (TOPICS as readonly string[]).includes(t as string)) : undefined,
    summary: str(c.summary),
    followUp: str(c.followUp),
    concern: str(c.concern),
    logId: str(sent.logId),
    newId: str(sent.newId),
  } as Parameters<typeof logFormPage>[0]['values'];
  return htmlPage(
    status,
    logFormPage({
      school: p.school.name,
      classLabel: p.kind === 'head' ? classLabel(p.entry) : undefined,
      today,
      termStart: p.roster.term.start,
      cadenceLine: cadenceLine(p.roster, today),
      values,
      error: { code: body.error.code, message: body.error.message },
    }),
  );
}

/**
 * POST /contacts — the forms (a log or its correction, "no contact needed", an acknowledgement); 303 back to the page.
 * POST /api/contact-logs — the same as JSON; errors as JSON.
 */
export const handler = httpRoute<ContactWriteBody>(write, {
  errors: (event) => (event.routeKey === API ? 'json' : 'page'),
  page: refused,
  body: formOrJsonBody(ContactWriteBody, fromForm),
});
