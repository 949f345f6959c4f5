import { ReviewBody, ReviewPageQuery } from '../../schemas/reviews.js';
import { reviewPage } from '../../web/reviews/page.js';
import { plansDeps } from '../plans/deps.js';
import { errorPage, htmlPage } from '../plans/page-response.js';
import { authenticate } from '../plans/service.js';
import { summaryStore } from '../plans/store.js';
import { outboxClaims } from '../reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../reminders/queue.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { DAY_MS } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { forbidden } from '../shared/errors.js';
import { cookie, formOrJsonBody, type HttpResult, httpRoute, json, query, type RouteEvent } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { beijingDate, MAX_DUE_DAYS } from './rules.js';
import { type ReviewDeps, reviewQueue, submitReview } from './service.js';

const env = readEnv();
if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by review');
const ddb = ddbClient();
const deps: ReviewDeps = {
  ...plansDeps(env, ddb),
  summaries: summaryStore(ddb, env.TABLE_NAME),
  ledger: outboxClaims(ddb, env.TABLE_NAME),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
  siteOrigin: env.SITE_ORIGIN,
  linkTtlDays: env.LINK_TTL_DAYS,
};
const siteOrigin = new URL(env.SITE_ORIGIN).origin;

/**
 * A form posted from another site is refused (the session cookie is SameSite=Lax, so a browser does not send
 * it there anyway; this also covers a browser that ignores SameSite).
 */
function sameOrigin(event: RouteEvent<unknown>) {
  const origin = event.headers?.origin;
  if (origin && origin !== 'null' && origin !== siteOrigin) throw forbidden('CROSS_SITE', '请在本系统的页面上操作。');
}

async function page(event: RouteEvent<unknown>): Promise<HttpResult> {
  const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
  const q = query(event, ReviewPageQuery);
  const queue = await reviewQueue(deps, s);
  const now = deps.clock.now();
  const today = beijingDate(now);
  const deadlineDay = beijingDate(new Date(s.campaign.deadline));
  const soon = beijingDate(new Date(now.getTime() + 3 * DAY_MS));
  return htmlPage(
    200,
    reviewPage(
      { ...queue, today, defaultDue: deadlineDay >= soon ? deadlineDay : beijingDate(new Date(now.getTime() + 7 * DAY_MS)), maxDue: beijingDate(new Date(now.getTime() + (MAX_DUE_DAYS - 1) * DAY_MS)) },
      q,
    ),
  );
}

async function decide(event: RouteEvent<ReviewBody>): Promise<HttpResult> {
  sameOrigin(event);
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
 * GET /review — the reviewer's queue (a District office: its schools; the Centre: the Direct schools).
 * POST /review — a decision from the page's form (then back to the page).
 * POST /api/reviews — the same decision as JSON.
 */
export const handler = httpRoute<ReviewBody>((event) => (event.routeKey === 'GET /review' ? page(event as RouteEvent<unknown>) : decide(event)), {
  errors: (event) => (event.routeKey === 'POST /api/reviews' ? 'json' : 'page'),
  page: errorPage(deps.campaigns),
  body: formOrJsonBody(ReviewBody),
});
