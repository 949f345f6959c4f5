import { OwnQuery, StatusPageQuery, StatusQuery } from '../../schemas/plans.js';
import { readEnv } from '../shared/env.js';
import { Errors } from '../shared/errors.js';
import { cookie, httpRoute, json, query, type RouteEvent, text } from '../shared/http.js';
import { statusPage } from '../../web/pages.js';
import { errorPage, htmlPage } from './page-response.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { plansDeps } from './deps.js';
import { filterRows, statusCsv } from './rules.js';
import { authenticate, ownStatus, statusFor } from './service.js';

const deps = plansDeps(readEnv());

const PAGE = 'GET /status';

async function statusPageRoute(event: RouteEvent<string | undefined>) {
  const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
  if (s.grant.role === 'school') throw Errors.forbidden();
  const filter = query(event, StatusPageQuery);
  const status = await statusFor(deps, s);
  return htmlPage(200, statusPage(s.org, s.campaign, status.rows, status.totals, deps.clock.now(), filter));
}

async function statusApiRoute(event: RouteEvent<string | undefined>) {
  const session = await authenticate(deps, cookie(event, SESSION_COOKIE));
  if (event.routeKey === 'GET /api/plans') {
    query(event, OwnQuery);
    const own = await ownStatus(deps, session);
    return json(200, { campaign: own.campaign, org: { id: own.org.id, name: own.org.name }, rows: [{ orgId: own.org.id, name: own.org.name, documents: own.documents }] });
  }
  const { format, ...filter } = query(event, StatusQuery);
  const status = await statusFor(deps, session);
  const rows = filterRows(status.rows, filter);
  if (format === 'csv') {
    return text(200, statusCsv(status.campaign, rows, status.totals), 'text/csv; charset=utf-8', {
      'content-disposition': `attachment; filename="status-${status.campaign.id}.csv"; filename*=UTF-8''${encodeURIComponent(`${status.campaign.title}-报送情况.csv`)}`,
    });
  }
  return json(200, { campaign: status.campaign, org: { id: session.org.id, name: session.org.name }, rows, totals: status.totals });
}

/**
 * GET /status — the status page (District offices, the Bureau and the Centre).
 * GET /api/plans — the session's own org, per document (the upload page polls it).
 * GET /api/status — per org × document within the session's scope, JSON or CSV (UTF-8 with BOM).
 */
export const handler = httpRoute((event) => (event.routeKey === PAGE ? statusPageRoute(event) : statusApiRoute(event)), {
  errors: (event) => (event.routeKey === PAGE ? 'page' : 'json'),
  page: errorPage(deps.campaigns),
});
