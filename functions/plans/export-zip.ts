import middy from '@middy/core';
import eventNormalizer from '@middy/event-normalizer';
import { ExportZipEnv } from '../../schemas/exports.js';
import { S3Event } from '../../schemas/s3-events.js';
import { s3Client } from '../shared/clients/s3.js';
import { exportZip } from './export.js';
import { s3ExportObjects } from './s3-zip.js';

/**
 * On ObjectCreated under export-requests/: builds the zip the request describes (functions/plans/export.ts)
 * and streams it to exports/<campaignId>/<hash>.zip. Asynchronous because a campaign's zip takes
 * longer than the HTTP API's 30 s. Anything it cannot understand or verify throws, so that the event
 * is retried and then lands in the failed-event queue; a zip that exists already is left as it is.
 */

function readExportEnv(source: NodeJS.ProcessEnv = process.env): ExportZipEnv {
  const r = ExportZipEnv.safeParse(source);
  if (!r.success) {
    throw new Error(`Invalid configuration: ${r.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

const env = readExportEnv();
const objects = s3ExportObjects(s3Client(), env.BUCKET_NAME);

// Keys arrive URL-encoded from AWS (spaces as "+") and raw from s3rver; event-normalizer decodes
// records with eventSource "aws:s3" (both send it), and request keys hold no "%" or "+" anyway.
async function exportRequested(event: unknown) {
  const parsed = S3Event.safeParse(event);
  if (!parsed.success) throw new Error(`export-zip: not an S3 event (${parsed.error.issues.length} issue(s))`);
  const results: { key: string; outcome: string }[] = [];
  for (const r of parsed.data.Records) {
    if (!r.eventName.startsWith('ObjectCreated')) continue;
    const key = r.s3.object.key;
    const t0 = Date.now();
    try {
      const result = await exportZip(objects, key);
      console.log(JSON.stringify({ level: 'INFO', msg: 'export-zip', key, ...result, ms: Date.now() - t0 }));
      results.push({ key, outcome: result.outcome });
    } catch (e) {
      console.error(JSON.stringify({ level: 'ERROR', msg: 'export-zip failed', key, error: (e as Error).name, detail: (e as Error).message }));
      throw e;
    }
  }
  return { results };
}

export const handler = middy(exportRequested).use(eventNormalizer());
