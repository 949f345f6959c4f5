import { ORG_ID_PATTERN } from '../../schemas/orgs.js';
import { REVIEW_FORM_ERRORS, ReviewBody, type ReviewFormError } from '../../schemas/reviews.js';
import { campaignStore } from '../campaigns/store.js';
import { orgReader } from '../orgs/store.js';
import { clockOf } from '../shared/clock.js';
import { authenticate } from '../plans/service.js';
import { summaryWriter } from '../plans/store.js';
import { outboxClaims } from '../reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../reminders/queue.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { readEnv, requireAuditTable } from '../shared/env.js';
import { auditWriter } from '../audit/store.js';
import { cookie, type ErrorBody, formOrJsonBody, type HttpEvent, type HttpResult, httpRoute, json, type RouteEvent, sameOrigin } from '../shared/http.js';
import { SESSION_COOKIE, signingKeySource, tokenSigner } from '../shared/tokens.js';
import { type ReviewDeps, submitReview } from './service.js';

const env = readEnv();
if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by review');
const ddb = ddbClient();
const deps: ReviewDeps = {
  orgs: orgReader(ddb, env.TABLE_NAME),
  campaigns: campaignStore(ddb, env.TABLE_NAME),
  clock: clockOf(env),
  tokens: tokenSigner(signingKeySource(env)),
  summaries: summaryWriter(ddb, env.TABLE_NAME),
  ledger: outboxClaims(ddb, env.TABLE_NAME),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
  siteOrigin: env.SITE_ORIGIN,
  linkTtlDays: env.LINK_TTL_DAYS,
  audit: auditWriter(ddb, requireAuditTable(env)),
};
const siteOrigin = new URL(env.SITE_ORIGIN).origin;

async function decide(event: RouteEvent<ReviewBody>): Promise<HttpResult> {
  sameOrigin(event, siteOrigin);
  const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
  const r = await submitReview(deps, s, event.body);
  if (event.routeKey === 'POST /api/reviews') {
    return json(200, { org: r.org.id, document: r.document, review: r.review, changed: r.changed, ...(r.mailed !== undefined ? { mailed: r.mailed } : {}) });
  }
  // Post/redirect/get: a reload of the page does not post again.
  const q = new URLSearchParams({ done: event.body.decision, org: r.org.id, doc: r.document });
  return { statusCode: 303, headers: { location: `/review?${q}#r-${r.org.id}-${r.document}` } };
}

/**
 * A refused form goes back to the review page, which says why next to the document (GET /review?error=…):
 * the reviewer keeps their place instead of landing on an error page. Only the code travels (the page has
 * the words); the org and document only when they are valid ids. An expired session is shown by the page.
 */
function backToPage(_status: number, body: ErrorBody, event: HttpEvent): HttpResult {
  const code = (REVIEW_FORM_ERRORS as readonly string[]).includes(body.error.code) ? (body.error.code as ReviewFormError) : 'OTHER';
  const parsed = typeof event.body === 'object' && event.body ? (event.body as Partial<ReviewBody>) : {};
  const q = new URLSearchParams({ error: code });
  const at = parsed.org && ORG_ID_PATTERN.test(parsed.org) && parsed.document && /^[a-z][a-z0-9-]{1,31}$/.test(parsed.document) ? { org: parsed.org, doc: parsed.document } : undefined;
  if (at) q.set('org', at.org), q.set('doc', at.doc);
  return { statusCode: 303, headers: { location: `/review?${q}${at ? `#r-${at.org}-${at.doc}` : ''}` } };
}

/**
 * POST /review — a decision from the review page's form; back to the page (functions/reviews/queue.ts) either way.
 * POST /api/reviews — the same decision as JSON; errors as JSON.
 * The page itself is another function (read-only): this one is the only one of review that writes.
 */
export const handler = httpRoute<ReviewBody>(decide, {
  errors: (event) => (event.routeKey === 'POST /api/reviews' ? 'json' : 'page'),
  page: backToPage,
  body: formOrJsonBody(ReviewBody),
});
