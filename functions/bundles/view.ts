import { BundleParams, BundlePageQuery } from '../../schemas/bundles.js';
import { exportRequestOf } from '../../schemas/exports.js';
import { bundlesPage } from '../../web/bundles/page.js';
import { exportBuildingPage } from '../../web/pages.js';
import { readerDeps, requireBucket } from '../plans/deps.js';
import { errorPage, htmlPage } from '../plans/page-response.js';
import { putJson, s3Downloads } from '../plans/s3.js';
import { authenticate } from '../plans/service.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { s3Client } from '../shared/clients/s3.js';
import { readEnv, requireAuditTable } from '../shared/env.js';
import { auditWriter } from '../audit/store.js';
import { zipDownloadEvent } from '../plans/audit-events.js';
import { badRequest } from '../shared/errors.js';
import { cookie, httpRoute, query, redirect } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { bundleContent, bundleFor, bundlesView } from './service.js';
import { bundleStore } from './store.js';

const env = readEnv();
const ddb = ddbClient();
const deps = { ...readerDeps(env, ddb), bundles: bundleStore(ddb, env.TABLE_NAME) };
const bucket = requireBucket(env);
const s3 = s3Client();
const downloads = s3Downloads(s3, bucket);
const audit = auditWriter(ddb, requireAuditTable(env));

/**
 * GET /bundles — a District office: what its bundle would hold, who still blocks it, what changed since the last
 *   one, the forward form and its bundles; the Centre and the Bureau: every District's bundles (the Centre's
 *   receive and return forms). The forms post to POST /bundles (functions/bundles/act.ts).
 * GET /bundles/{district}/{seq}/zip — the bundle's zip (its files and 清单.csv): a 302 to it when built, else a
 *   page that refreshes until it is (the request is written again if it went missing; the content is the
 *   bundle's own record, so the zip is always the same).
 */
export const handler = httpRoute(
  async (event) => {
    const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
    if (event.routeKey === 'GET /bundles') {
      const q = query(event, BundlePageQuery);
      return htmlPage(200, bundlesPage(s.campaign, s.org, await bundlesView(deps, s), q));
    }
    const p = BundleParams.safeParse(event.pathParameters ?? {});
    if (!p.success) throw badRequest('VALIDATION', '批次地址不正确。');
    const b = await bundleFor(deps, s, p.data.district, p.data.seq);
    const { key, request } = exportRequestOf(bundleContent(b));
    if (await downloads.exists(request.zipKey)) {
      // Recorded before the link is given (as the files function does): about the District whose bundle it is.
      await audit.append({ ...zipDownloadEvent(s, b.entries.length, deps.clock.now()), orgId: b.districtId, after: { scope: `${b.districtName} 第 ${b.seq} 批`, files: b.entries.length } });
      return redirect(await downloads.presignGet(request.zipKey, { fileName: b.fileName, asciiFallback: `${b.districtId}-${b.seq}.zip`, contentType: 'application/zip', expiresSeconds: 300 }));
    }
    if (!(await downloads.exists(key))) await putJson(s3, bucket, key, request);
    return htmlPage(200, exportBuildingPage(s.campaign, b.fileName, b.entries.length));
  },
  { errors: 'page', page: errorPage(deps.campaigns) },
);
