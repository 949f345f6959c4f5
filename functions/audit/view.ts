import { AuditPageQuery, AuditQuery } from '../../schemas/audit.js';
import { auditPage } from '../../web/audit/page.js';
import { plansDeps } from '../plans/deps.js';
import { errorPage, htmlPage } from '../plans/page-response.js';
import { authenticate } from '../plans/service.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { readEnv, requireAuditTable } from '../shared/env.js';
import { cookie, httpRoute, json, query, type RouteEvent, text } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { assertCanReadAudit, auditCsv, auditTrail } from './service.js';
import { auditReader } from './store.js';

const env = readEnv();
const ddb = ddbClient();
const deps = { ...plansDeps(env, ddb), audit: auditReader(ddb, requireAuditTable(env)) };

const PAGE = 'GET /audit';

async function session(event: RouteEvent<string | undefined>) {
  const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
  assertCanReadAudit(s); // before the query is even read: a school or District learns nothing here
  return s;
}

async function pageRoute(event: RouteEvent<string | undefined>) {
  const s = await session(event);
  const q = query(event, AuditPageQuery);
  return htmlPage(200, auditPage(await auditTrail(deps, s, q), q));
}

async function apiRoute(event: RouteEvent<string | undefined>) {
  const s = await session(event);
  const { format, ...q } = query(event, AuditQuery);
  if (format === 'csv') {
    const view = await auditTrail(deps, s, { ...q, all: true });
    const name = `${view.campaign.title}-操作记录${view.org ? `-${view.org.name}` : ''}.csv`;
    return text(200, auditCsv(view), 'text/csv; charset=utf-8', {
      'content-disposition': `attachment; filename="audit-${view.campaign.id}${view.org ? `-${view.org.id}` : ''}.csv"; filename*=UTF-8''${encodeURIComponent(name)}`,
    });
  }
  const view = await auditTrail(deps, s, q);
  return json(200, {
    campaign: view.campaign,
    ...(view.org ? { org: view.org } : {}),
    events: view.rows.map((r) => ({ ...r.event, orgName: r.orgName, actionLabel: r.actionLabel, actorLabel: r.actorLabel })),
    ...(view.earlier ? { earlier: view.earlier } : {}),
  });
}

/**
 * GET /audit — the audit trail page of the session's campaign (`?org=` one org's), the Bureau and the Centre only.
 * GET /api/audit — the same as JSON (the latest events, `earlier` to list back), or `?format=csv` every event.
 */
export const handler = httpRoute((event) => (event.routeKey === PAGE ? pageRoute(event) : apiRoute(event)), {
  errors: (event) => (event.routeKey === PAGE ? 'page' : 'json'),
  page: errorPage(deps.campaigns),
});
