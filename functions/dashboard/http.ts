import { DashboardQuery } from '../../schemas/plans.js';
import { dashboardPage } from '../../web/dashboard/page.js';
import { plansDeps } from '../plans/deps.js';
import { errorPage, htmlPage } from '../plans/page-response.js';
import { authenticate } from '../plans/service.js';
import { readEnv } from '../shared/env.js';
import { badRequest } from '../shared/errors.js';
import { cookie, httpRoute, json, query, text } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { dashboardCsv } from './rollup.js';
import { dashboardFor } from './service.js';

const deps = plansDeps(readEnv());
const PAGE = 'GET /dashboard';

/**
 * GET /dashboard — completeness and timeliness as numbers and pictures (SVG drawn here): the city for the
 * Bureau and the Centre (drill into a group with ?group=), a District office's own jurisdiction.
 * GET /api/dashboard — the same numbers as JSON, or `?format=csv` (UTF-8 with BOM, one row per group).
 */
export const handler = httpRoute(
  async (event) => {
    const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
    const q = query(event, DashboardQuery);
    if (event.routeKey === PAGE && q.format) throw badRequest('VALIDATION', '页面不支持 format 参数。');
    const { rollup, group } = await dashboardFor(deps, s, q.group);
    if (event.routeKey === PAGE) {
      const qs = new URLSearchParams(group ? { group } : {}).toString();
      return htmlPage(200, dashboardPage({ title: s.campaign.title, noticeNo: s.campaign.noticeNo, viewerName: s.org.name, rollup, group, query: qs }));
    }
    if (q.format === 'csv') {
      return text(200, dashboardCsv(rollup), 'text/csv; charset=utf-8', {
        'content-disposition': `attachment; filename="dashboard-${s.campaign.id}.csv"; filename*=UTF-8''${encodeURIComponent(`${s.campaign.title}-完成情况.csv`)}`,
      });
    }
    return json(200, { campaign: { id: s.campaign.id, title: s.campaign.title }, groups: rollup.groups, total: rollup.total, forwarding: rollup.forwarding, curve: rollup.curve });
  },
  { errors: (event) => (event.routeKey === PAGE ? 'page' : 'json'), page: errorPage(deps.campaigns) },
);
