import { FileParams, FileQuery } from '../../schemas/plans.js';
import { exportRequestOf } from '../../schemas/exports.js';
import { auditWriter } from '../audit/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { s3Client } from '../shared/clients/s3.js';
import { readEnv, requireAuditTable } from '../shared/env.js';
import { notFound } from '../shared/errors.js';
import { cookie, httpRoute, json, query, redirect, text } from '../shared/http.js';
import { APP_JS } from '../../web/app-script.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { exportBuildingPage } from '../../web/pages.js';
import { fileDownloadEvent, zipDownloadEvent } from './audit-events.js';
import { errorPage, htmlPage } from './page-response.js';
import { plansDeps, requireBucket } from './deps.js';
import { versionFileName } from './rules.js';
import { putJson, s3Downloads } from './s3.js';
import { authenticate, exportContent, findVersion, type Session } from './service.js';
import { FILE_TYPES } from '../../schemas/plans.js';

const env = readEnv();
const ddb = ddbClient();
const deps = plansDeps(env, ddb);
/** Every download granted is appended to the audit trail before its URL is given out. */
const audit = auditWriter(ddb, requireAuditTable(env));
const bucket = requireBucket(env);
const s3 = s3Client();
const downloads = s3Downloads(s3, bucket);

/** Pre-signed GETs live 5 minutes: long enough to start a download on a slow phone, short if forwarded. */
const URL_SECONDS = 300;

/**
 * The session's zip: the latest accepted version of each org × document in its scope. The request
 * names its content by hash, so an unchanged set is built once and served again; a changed one (a
 * new version) gets a new zip. Returns the pre-signed URL when the zip is ready, else starts (or
 * keeps waiting for) the build by the export-zip function. A URL given out is recorded (zip.downloaded).
 */
async function zipFor(s: Session) {
  const { key, request } = exportRequestOf(await exportContent(deps, s));
  const fileName = request.fileName;
  if (await downloads.exists(request.zipKey)) {
    const url = await downloads.presignGet(request.zipKey, { fileName, asciiFallback: `${s.campaign.id}.zip`, contentType: 'application/zip', expiresSeconds: URL_SECONDS });
    await audit.append(zipDownloadEvent(s, request.entries.length, deps.clock.now()));
    return { state: 'ready' as const, url, fileName, files: request.entries.length };
  }
  // Writing the same request again is harmless: same key, same bytes; the build is idempotent.
  if (!(await downloads.exists(key))) await putJson(s3, bucket, key, request);
  return { state: 'building' as const, fileName, files: request.entries.length };
}

/**
 * GET /files/{org}/{document}/{version} — one accepted version (a download, or opened with ?open=1),
 *   for whoever's scope holds that org: a 302 to a 5-minute pre-signed GET with a readable Chinese name,
 *   recorded in the audit trail (file.downloaded) before it is given; a 404 records nothing.
 * GET /files/zip — the scope's zip: a 302 to it when built, else a page that refreshes until it is.
 * GET /api/exports — the same as JSON (for the CLI and scripts).
 * GET /assets/app.js — the upload page's one client script (a static file; here, not in `web`, whose
 *   bundle has the least headroom under the size budget).
 */
export const handler = httpRoute(
  async (event) => {
  if (event.routeKey === 'GET /assets/app.js') return text(200, APP_JS, 'application/javascript; charset=utf-8', { 'cache-control': 'public, max-age=300' });
  const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
  if (event.routeKey === 'GET /api/exports') return json(200, await zipFor(s));
  if (event.routeKey === 'GET /files/zip') {
    const z = await zipFor(s);
    return z.state === 'ready' ? redirect(z.url) : htmlPage(200, exportBuildingPage(s.campaign, z.fileName, z.files));
  }
  const p = FileParams.safeParse(event.pathParameters ?? {});
  const { open } = query(event, FileQuery);
  const found = p.success ? await findVersion(deps, s, p.data.org, p.data.document, p.data.version) : undefined;
  if (!found) throw notFound('FILE_NOT_FOUND', '没有找到这个文件，或您没有查看它的权限。');
  const { org, district, document, upload } = found;
  const url = await downloads.presignGet(upload.acceptedKey, {
    fileName: versionFileName(org, district, document.title, upload.version, upload.ext),
    asciiFallback: `${org.id}-${document.kind}-v${upload.version}.${upload.ext}`,
    inline: open === '1',
    contentType: FILE_TYPES[upload.ext].contentType,
    expiresSeconds: URL_SECONDS,
  });
  await audit.append(fileDownloadEvent(s, found, open === '1', deps.clock.now()));
  return redirect(url);
  },
  { errors: (event) => (event.routeKey === 'GET /api/exports' ? 'json' : 'page'), page: errorPage(deps.campaigns) },
);
