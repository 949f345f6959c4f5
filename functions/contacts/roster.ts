import type * as z from 'zod/mini';
import { ROSTER_BODIES, ROSTER_FORM_ERRORS, ROSTER_MAX_BODY_BYTES, type RosterBody, type RosterDone, type RosterFormError, rosterFromForm, UnknownRosterAction } from '../../schemas/roster.js';
import { auditWriter } from '../audit/store.js';
import { orgPeek } from '../orgs/store.js';
import { orgSession } from './person.js';
import { outboxClaims } from '../reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../reminders/queue.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { readEnv, requireAuditTable } from '../shared/env.js';
import { byAction, cookie, type ErrorBody, formOrJsonBody, type HttpResult, httpRoute, json, type RouteEvent, sameOrigin } from '../shared/http.js';
import { personTokens, SESSION_COOKIE, signingKeySource, tokenSigner } from '../shared/tokens.js';
import { changeRoster, type PersonRef, resendLink, type RosterDeps } from './roster-service.js';
import { rosterStore } from './store.js';

const env = readEnv();
if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by roster');
const ddb = ddbClient();
const orgs = orgPeek(ddb, env.TABLE_NAME);
const key = signingKeySource(env);
const deps: RosterDeps = {
  orgs,
  clock: clockOf(env),
  tokens: { ...tokenSigner(key), ...personTokens(key) },
  rosters: rosterStore(ddb, env.TABLE_NAME),
  ledger: outboxClaims(ddb, env.TABLE_NAME),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
  audit: auditWriter(ddb, requireAuditTable(env)),
  siteOrigin: env.SITE_ORIGIN,
  linkTtlDays: env.LINK_TTL_DAYS,
};
const siteOrigin = new URL(env.SITE_ORIGIN).origin;
const FORM = 'POST /roster';

async function route(event: RouteEvent<RosterBody>): Promise<HttpResult> {
  sameOrigin(event, siteOrigin);
  const s = await orgSession(deps, cookie(event, SESSION_COOKIE));
  const body = event.body;
  let done: RosterDone = body.action;
  let answer: Record<string, unknown>;
  let n: number | undefined;
  if (body.action === 'resend') {
    const r = await resendLink(deps, s, body.person as PersonRef);
    if (!r.mailed) done = 'resend-already';
    answer = r;
  } else {
    const r = await changeRoster(deps, s, body);
    if (!r.changed && body.action !== 'import') done = 'unchanged';
    n = r.rows;
    answer = { changed: r.changed, rev: r.roster.rev, added: r.added, updated: r.updated, removed: r.removed, mailed: r.mailed, ...(r.rows !== undefined ? { rows: r.rows } : {}), roster: publicRoster(r.roster) };
  }
  if (event.routeKey !== FORM) return json(200, { action: body.action, ...answer });
  // Post/redirect/get: a reload of the page does not post again.
  const q = new URLSearchParams({ done, ...(n !== undefined ? { n: String(n) } : {}) });
  return { statusCode: 303, headers: { location: `/roster?${q}` } };
}

/** The roster as JSON answers show it (its term, cadence, classes and staff: what the page shows). */
const publicRoster = (r: Awaited<ReturnType<typeof changeRoster>>['roster']) => ({ rev: r.rev, term: r.term, cadence: r.cadence, classes: r.classes, staff: r.staff });

/**
 * A refused form goes back to the roster page (GET /roster?error=…, functions/contacts/roster-page.ts), which
 * says why: only the code travels, and for a refused CSV its rows as `3:email,5:duplicate` (numbers and kinds,
 * never anyone's words). No or an expired session and a District's session: the page itself answers 401/403.
 */
function backToPage(_status: number, body: ErrorBody): HttpResult {
  const code = (ROSTER_FORM_ERRORS as readonly string[]).includes(body.error.code) ? (body.error.code as RosterFormError) : 'OTHER';
  const q = new URLSearchParams({ error: code });
  if (code === 'ROSTER_CSV_INVALID' && Array.isArray(body.error.details)) {
    q.set('rows', (body.error.details as { line: number; kind: string }[]).slice(0, 20).map((p) => `${p.line}:${p.kind}`).join(','));
  }
  return { statusCode: 303, headers: { location: `/roster?${q}` } };
}

/**
 * POST /roster — a change from the roster page's forms (`action`: import, class, remove-class, staff,
 * remove-staff, resend, cadence, term); back to the page either way (303).
 * POST /api/roster — the same as JSON; errors as JSON. The page itself is another function (read-only).
 */
export const handler = httpRoute<RosterBody>(route, {
  errors: (event) => (event.routeKey === FORM ? 'page' : 'json'),
  page: backToPage,
  body: formOrJsonBody(byAction(ROSTER_BODIES, UnknownRosterAction) as (data: unknown) => z.ZodMiniType<RosterBody>, rosterFromForm, { maxBytes: ROSTER_MAX_BODY_BYTES }),
});
