import * as z from 'zod/mini';
import { ORG_ID_PATTERN } from '../../schemas/orgs.js';
import { TERMS_BODY, TERMS_FORM_ERRORS, TERMS_WHAT, type TermsFormError, type TermsWhat } from '../../schemas/terms.js';
import { auditWriter } from '../audit/store.js';
import { campaignStore } from '../campaigns/store.js';
import { orgReader } from '../orgs/store.js';
import { authenticate } from '../plans/service.js';
import { summaryWriter, writeRegister } from '../plans/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { readEnv, requireAuditTable } from '../shared/env.js';
import { cookie, type ErrorBody, formOrJsonBody, type HttpEvent, type HttpResult, httpRoute, json, parseWith, type RouteEvent, sameOrigin } from '../shared/http.js';
import { SESSION_COOKIE, signingKeySource, tokenSigner } from '../shared/tokens.js';
import { changeTerm, type TermsDeps } from './service.js';

const env = readEnv();
const ddb = ddbClient();
const deps: TermsDeps = {
  orgs: orgReader(ddb, env.TABLE_NAME),
  campaigns: campaignStore(ddb, env.TABLE_NAME),
  clock: clockOf(env),
  tokens: tokenSigner(signingKeySource(env)),
  summaries: { ...summaryWriter(ddb, env.TABLE_NAME), register: writeRegister(ddb, env.TABLE_NAME) },
  audit: auditWriter(ddb, requireAuditTable(env)),
};
const siteOrigin = new URL(env.SITE_ORIGIN).origin;

/** The JSON routes, each for one kind of term; the page's forms all post to POST /terms with a `what` field. */
const API: Record<string, TermsWhat> = {
  'POST /api/extensions': 'extension',
  'POST /api/exemptions': 'exemption',
  'POST /api/schools-deadline': 'schools-deadline',
};
const FORM = 'POST /terms';

type Fields = Record<string, unknown>;

/** Where the page shows an org: its row's anchor. */
const at = (org: string | undefined) => (org && ORG_ID_PATTERN.test(org) ? org : undefined);

async function write(event: RouteEvent<Fields>): Promise<HttpResult> {
  sameOrigin(event, siteOrigin);
  const form = event.routeKey === FORM;
  const { what: formWhat, ...fields } = event.body;
  // A form names what it changes; each JSON route is one kind, and its body is exactly that kind's (strict).
  const what = form ? parseWith(z.enum(TERMS_WHAT), formWhat) : (API[event.routeKey] as TermsWhat);
  const body = parseWith(TERMS_BODY[what], form ? fields : event.body);
  const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
  const r = await changeTerm(deps, s, what, body);
  if (!form) return json(200, { org: r.org.id, what, changed: r.changed, ...(r.term ? { term: r.term } : {}) });
  // Post/redirect/get: a reload of the page does not post again.
  const q = new URLSearchParams({ done: what, org: r.org.id });
  return { statusCode: 303, headers: { location: `/terms?${q}#t-${r.org.id}` } };
}

/**
 * A refused form goes back to the terms page, which says why (GET /terms?error=…): only the code travels (the
 * page has the words), the org only when it is a valid id. An expired session is shown by the page.
 */
function backToPage(_status: number, body: ErrorBody, event: HttpEvent): HttpResult {
  const code = (TERMS_FORM_ERRORS as readonly string[]).includes(body.error.code) ? (body.error.code as TermsFormError) : 'OTHER';
  const fields = typeof event.body === 'object' && event.body ? (event.body as Fields) : {};
  const org = at(typeof fields.org === 'string' ? fields.org : undefined);
  const q = new URLSearchParams({ error: code, ...(org ? { org } : {}) });
  return { statusCode: 303, headers: { location: `/terms?${q}${org ? `#t-${org}` : ''}` } };
}

/**
 * POST /terms — a change from the terms page's forms (extension, exemption, the schools' internal deadline);
 * back to the page either way (functions/terms/page.ts).
 * POST /api/extensions, /api/exemptions, /api/schools-deadline — the same as JSON (`action: 'set' | 'revoke'`);
 * errors as JSON. The only function of terms that writes: the status item, the AUDIENCE item's registers and
 * the audit trail.
 */
export const handler = httpRoute<Fields>(write, {
  errors: (event) => (event.routeKey === FORM ? 'page' : 'json'),
  page: backToPage,
  body: formOrJsonBody(z.record(z.string(), z.unknown())),
});
