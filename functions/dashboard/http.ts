import { DashboardPageQuery } from '../../schemas/plans.js';
import { dashboardPage } from '../../web/dashboard/page.js';
import { bundleStore } from '../bundles/store.js';
import { readerDeps } from '../plans/deps.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { errorPage, htmlPage } from '../plans/page-response.js';
import { authenticate } from '../plans/service.js';
import { readEnv } from '../shared/env.js';
import { cookie, httpRoute, query } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { dashboardFor } from './service.js';

const env = readEnv();
const ddb = ddbClient();
const deps = { ...readerDeps(env, ddb), bundles: bundleStore(ddb, env.TABLE_NAME) };

/**
 * GET /dashboard — completeness and timeliness as numbers and pictures (SVG drawn here): the city for the
 * Bureau and the Centre (drill into a group with ?group=), a District office its own jurisdiction. Its numbers
 * as JSON or CSV: functions/dashboard/data.ts.
 */
export const handler = httpRoute(
  async (event) => {
    const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
    const q = query(event, DashboardPageQuery);
    const { rollup, group } = await dashboardFor(deps, s, q.group);
    const qs = new URLSearchParams(group ? { group } : {}).toString();
    return htmlPage(200, dashboardPage({ title: s.campaign.title, noticeNo: s.campaign.noticeNo, viewerName: s.org.name, rollup, group, query: qs }));
  },
  { errors: 'page', page: errorPage(deps.campaigns) },
);
