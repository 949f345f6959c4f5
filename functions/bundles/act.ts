import { ORG_ID_PATTERN } from '../../schemas/orgs.js';
import { BUNDLE_FORM_ERRORS, BundleBody, type BundleFormError } from '../../schemas/bundles.js';
import { auditWriter } from '../audit/store.js';
import { campaignStore } from '../campaigns/store.js';
import { orgReader } from '../orgs/store.js';
import { requireBucket } from '../plans/deps.js';
import { putJson, s3Downloads } from '../plans/s3.js';
import { authenticate } from '../plans/service.js';
import { summaryReader } from '../plans/store.js';
import { outboxClaims } from '../reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../reminders/queue.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { s3Client } from '../shared/clients/s3.js';
import { clockOf } from '../shared/clock.js';
import { readEnv, requireAuditTable } from '../shared/env.js';
import { cookie, type ErrorBody, formOrJsonBody, type HttpEvent, type HttpResult, httpRoute, json, type RouteEvent, sameOrigin } from '../shared/http.js';
import { SESSION_COOKIE, signingKeySource, tokenSigner } from '../shared/tokens.js';
import { answerBundle, type BundleDeps, forward } from './service.js';
import { bundleStore } from './store.js';

const env = readEnv();
if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by bundle-actions');
const ddb = ddbClient();
const s3 = s3Client();
const bucket = requireBucket(env);
const downloads = s3Downloads(s3, bucket);
const deps: BundleDeps = {
  orgs: orgReader(ddb, env.TABLE_NAME),
  campaigns: campaignStore(ddb, env.TABLE_NAME),
  summaries: summaryReader(ddb, env.TABLE_NAME),
  clock: clockOf(env),
  tokens: tokenSigner(signingKeySource(env)),
  bundles: bundleStore(ddb, env.TABLE_NAME),
  requests: { exists: (key) => downloads.exists(key), putJson: (key, body) => putJson(s3, bucket, key, body) },
  ledger: outboxClaims(ddb, env.TABLE_NAME),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
  audit: auditWriter(ddb, requireAuditTable(env)),
  siteOrigin: env.SITE_ORIGIN,
  linkTtlDays: env.LINK_TTL_DAYS,
};
const siteOrigin = new URL(env.SITE_ORIGIN).origin;

/** The page's forms: `exempt.<orgId>` fields (a reason each) become the body's `exemptions`. */
function fromForm(fields: Record<string, string>): unknown {
  const body: Record<string, unknown> = {};
  const exemptions: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k.startsWith('exempt.')) exemptions[k.slice('exempt.'.length)] = v;
    else body[k] = v;
  }
  return Object.keys(exemptions).length ? { ...body, exemptions } : body;
}

async function act(event: RouteEvent<BundleBody>): Promise<HttpResult> {
  sameOrigin(event, siteOrigin);
  const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
  const b = event.body.action === 'forward' ? await forward(deps, s, event.body) : await answerBundle(deps, s, event.body);
  if (event.routeKey === 'POST /api/bundles') return json(200, { bundle: b });
  return { statusCode: 303, headers: { location: `/bundles?${new URLSearchParams({ done: event.body.action, district: b.districtId })}` } };
}

/** A refused form goes back to the page with its code (the page has the words). */
function backToPage(_status: number, body: ErrorBody, event: HttpEvent): HttpResult {
  const code = (BUNDLE_FORM_ERRORS as readonly string[]).includes(body.error.code) ? (body.error.code as BundleFormError) : 'OTHER';
  const district = typeof event.body === 'object' && event.body ? (event.body as { district?: unknown }).district : undefined;
  const q = new URLSearchParams({ error: code, ...(typeof district === 'string' && ORG_ID_PATTERN.test(district) ? { district } : {}) });
  return { statusCode: 303, headers: { location: `/bundles?${q}` } };
}

/**
 * POST /bundles — the bundles page's forms: a District office forwards; the Centre receives or returns (back to the page).
 * POST /api/bundles — the same as JSON.
 */
export const handler = httpRoute<BundleBody>(act, {
  errors: (event) => (event.routeKey === 'POST /api/bundles' ? 'json' : 'page'),
  page: backToPage,
  body: formOrJsonBody(BundleBody, fromForm),
});
