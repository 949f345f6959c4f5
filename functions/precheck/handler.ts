import middy from '@middy/core';
import { MAX_UPLOAD_BYTES } from '../../schemas/plans.js';
import { AcceptedKey, decodeS3Key, S3Event } from '../../schemas/s3-events.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { s3Client } from '../shared/clients/s3.js';
import { clockOf } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { readObject } from './s3.js';
import { precheckDocument } from './service.js';
import { precheckStore } from './store.js';

/**
 * On ObjectCreated under accepted/ (the validator has just stored an accepted version): reads its text and
 * records which of the sections its document kind asks for are there (schemas/precheck.ts). Advisory:
 * nothing waits for it and nothing depends on its outcome. It writes only to the table — never to S3 — so
 * it cannot trigger itself or anything else.
 *
 * Idempotent: a result already stored is kept (the object is not read again); the write is conditional, so
 * two deliveries racing store one result. A file it cannot read is stored as 'failed' (the event is done);
 * an event it cannot understand, an S3 read or a table write that fails throws, so Lambda retries it and
 * then hands it to the failed-events queue.
 */
const env = readEnv();
if (!env.BUCKET_NAME) throw new Error('Invalid configuration: BUCKET_NAME is required by this function');
const bucket = env.BUCKET_NAME;
const s3 = s3Client();
const store = precheckStore(ddbClient(), env.TABLE_NAME);
const clock = clockOf(env);

export const handler = middy(async (event: unknown) => {
  const parsed = S3Event.safeParse(event);
  if (!parsed.success) throw new Error(`precheck: not an S3 event (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
  const results: { key: string; outcome: string }[] = [];
  for (const r of parsed.data.Records) {
    if (!r.eventName.startsWith('ObjectCreated')) continue;
    const key = decodeS3Key(r.s3.object.key);
    const ref = AcceptedKey.safeParse(key);
    if (!ref.success) throw new Error(`precheck: key ${JSON.stringify(key)} names no accepted version`);
    const { campaignId, orgId, document, uploadId, ext } = ref.data;
    const t0 = Date.now();
    let outcome: string;
    if (await store.get(campaignId, orgId, document, uploadId)) {
      outcome = 'already checked';
    } else {
      const size = r.s3.object.size;
      const result =
        size !== undefined && size > MAX_UPLOAD_BYTES
          ? // Not read: the validator accepts nothing larger, and the function's memory is sized for that.
            { campaignId, orgId, document, uploadId, status: 'failed' as const, sections: [], chars: 0, detail: `over ${MAX_UPLOAD_BYTES} bytes`, checkedAt: clock.now().toISOString() }
          : await precheckDocument(ref.data, ext, await readObject(s3, bucket, key, r.s3.object.versionId), clock.now());
      outcome = (await store.put(result)) ? result.status : 'already checked';
      const found = result.sections.filter((s) => s.found).map((s) => s.key);
      console.log(JSON.stringify({ level: 'INFO', msg: 'precheck', key, status: result.status, chars: result.chars, found, detail: result.detail, ms: Date.now() - t0 }));
    }
    results.push({ key, outcome });
  }
  return { results };
});
