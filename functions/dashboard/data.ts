import { DashboardQuery } from '../../schemas/plans.js';
import { bundleStore } from '../bundles/store.js';
import { readerDeps } from '../plans/deps.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { authenticate } from '../plans/service.js';
import { readEnv } from '../shared/env.js';
import { cookie, httpRoute, json, query, text } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { dashboardPictures } from '../../web/dashboard/charts.js';
import { dashboardCsv } from './rollup.js';
import { dashboardFor } from './service.js';

const env = readEnv();
const ddb = ddbClient();
const deps = { ...readerDeps(env, ddb), bundles: bundleStore(ddb, env.TABLE_NAME) };

/**
 * GET /api/dashboard — the dashboard's numbers as JSON (groups, total, forwarding, the curve), `?format=csv`
 * (UTF-8 with BOM, one row per group and a 合计 row), or `?format=svg`: the bars and the cumulative curve, one picture
 * the page shows (drawn here, not in the page's function, whose bundle they would take over its budget). The page is
 * functions/dashboard/http.ts.
 */
export const handler = httpRoute(
  async (event) => {
    const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
    const q = query(event, DashboardQuery);
    const { rollup } = await dashboardFor(deps, s, q.group);
    if (q.format === 'svg') {
      const c = rollup.groups.length === 1 ? (rollup.groups[0] ?? rollup.total) : rollup.total;
      // The page's pictures, one image (img-src 'self'): kept a minute, so a reload does not read everything again.
      return text(200, dashboardPictures(rollup.groups, rollup.curve, c.expected, rollup.deadline, rollup.now), 'image/svg+xml; charset=utf-8', { 'cache-control': 'private, max-age=60', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
    }
    if (q.format === 'csv') {
      return text(200, dashboardCsv(rollup), 'text/csv; charset=utf-8', {
        'content-disposition': `attachment; filename="dashboard-${s.campaign.id}.csv"; filename*=UTF-8''${encodeURIComponent(`${s.campaign.title}-完成情况.csv`)}`,
      });
    }
    return json(200, { campaign: { id: s.campaign.id, title: s.campaign.title }, groups: rollup.groups, total: rollup.total, forwarding: rollup.forwarding, curve: rollup.curve });
  },
  { errors: 'json' },
);
