import type * as z from 'zod/mini';
import { CONTACT_WRITE_BODIES, type ContactWriteBody, UnknownContactAction } from '../../schemas/contacts.js';
import { readEnv } from '../shared/env.js';
import { byAction, cookie, type ErrorBody, formOrJsonBody, type HttpResult, httpRoute, json, type RouteEvent, sameOrigin } from '../shared/http.js';
import { PERSON_COOKIE } from '../shared/tokens.js';
import { contactWriteDeps } from './deps.js';
import { fromForm, LOG_FORM_MAX_BYTES, MAX_REFUSED_MESSAGE, REFUSED_PATH } from './form.js';
import { acknowledge, authenticatePerson, markNone, writeLog } from './service.js';

const env = readEnv();
const deps = contactWriteDeps(env);
const siteOrigin = new URL(env.SITE_ORIGIN).origin;
const API = 'POST /api/contact-logs';

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

/**
 * A refused form is shown again by the pages' function, with what was typed (nothing typed on a phone is lost) and
 * the reason: a 307 makes the browser send the same form there (POST /contacts/refused, which writes nothing). This
 * function writes and renders no page at all.
 */
function refused(status: number, body: ErrorBody): HttpResult {
  const q = new URLSearchParams({ status: String(status >= 400 && status < 500 ? status : 500), code: body.error.code, msg: body.error.message.slice(0, MAX_REFUSED_MESSAGE) });
  return { statusCode: 307, headers: { location: `${REFUSED_PATH}?${q}` } };
}

/**
 * POST /contacts — the forms (a log or its correction, "no contact needed", an acknowledgement); 303 back to the page,
 * or 307 to the page that shows a refused form again.
 * POST /api/contact-logs — the same as JSON; errors as JSON.
 */
export const handler = httpRoute<ContactWriteBody>(write, {
  errors: (event) => (event.routeKey === API ? 'json' : 'page'),
  page: refused,
  body: formOrJsonBody(byAction(CONTACT_WRITE_BODIES, UnknownContactAction) as (data: unknown) => z.ZodMiniType<ContactWriteBody>, fromForm, { maxBytes: LOG_FORM_MAX_BYTES }),
});
