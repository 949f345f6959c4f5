import { IncomingKey, S3Event } from '../../schemas/plans.js';
import { s3Client } from '../shared/clients/s3.js';
import { readEnv } from '../shared/env.js';
import { requireBucket, storeDeps } from './deps.js';
import { s3Objects } from './s3.js';
import { validateUpload } from './service.js';

const env = readEnv();
const deps = { ...storeDeps(env), objects: s3Objects(s3Client(), requireBucket(env)) };

/** Keys arrive URL-encoded from AWS (spaces as "+") and raw from s3rver: decode both the same way. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** S3 ObjectCreated under incoming/ (the S3 notification in the cloud, s3rver's event hook locally). */
export const handler = async (event: unknown) => {
  const parsed = S3Event.safeParse(event);
  if (!parsed.success) {
    console.warn(JSON.stringify({ level: 'WARN', msg: 'not an S3 event', issues: parsed.error.issues.length }));
    return { results: [] };
  }
  const results: { key: string; outcome: string }[] = [];
  for (const r of parsed.data.Records) {
    if (!r.eventName.startsWith('ObjectCreated')) continue;
    const key = decodeKey(r.s3.object.key);
    const ref = IncomingKey.safeParse(key);
    const outcome = ref.success ? await validateUpload(deps, ref.data, r.eventTime ? new Date(r.eventTime) : undefined) : 'ignored';
    console.log(JSON.stringify({ level: 'INFO', msg: 'validate-upload', key, outcome }));
    results.push({ key, outcome });
  }
  return { results };
};
