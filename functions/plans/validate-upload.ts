import middy from '@middy/core';
import { decodeS3Key, IncomingKey, S3Event } from '../../schemas/s3-events.js';
import { s3Client } from '../shared/clients/s3.js';
import { sesClient, sesMailer } from '../shared/clients/sesv2.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { readEnv } from '../shared/env.js';
import { sendLedger } from '../shared/mail.js';
import { signingKeySource, tokenSigner } from '../shared/tokens.js';
import { requireBucket, storeDeps } from './deps.js';
import { receiptSender } from './receipts.js';
import { s3Objects } from './s3.js';
import { validateUpload } from './service.js';

const env = readEnv();
const ddb = ddbClient();
const stores = storeDeps(env, ddb);
/** Receipts go out when the deployment has a sender (MAIL_FROM); without one they are off, and said so once. */
const receipt = env.MAIL_FROM
  ? receiptSender({
      orgs: stores.orgs,
      tokens: tokenSigner(signingKeySource(env)),
      mailer: sesMailer(sesClient(), env.MAIL_FROM, env.MAIL_CONFIGURATION_SET),
      ledger: sendLedger(ddb, env.TABLE_NAME),
      clock: stores.clock,
      siteOrigin: env.SITE_ORIGIN,
      linkTtlDays: env.LINK_TTL_DAYS,
    })
  : undefined;
if (!receipt) console.warn(JSON.stringify({ level: 'WARN', msg: 'MAIL_FROM is not set: receipts (回执) are not sent' }));
const deps = { ...stores, objects: s3Objects(s3Client(), requireBucket(env)), receipt };

/**
 * S3 ObjectCreated under incoming/ (the S3 notification in the cloud, s3rver's event hook locally).
 * An event that cannot be understood throws: after the retries it lands in the failed-event queue
 * instead of being acknowledged and forgotten.
 */
export const handler = middy(async (event: unknown) => {
  const parsed = S3Event.safeParse(event);
  if (!parsed.success) throw new Error(`validate-upload: not an S3 event (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
  const results: { key: string; outcome: string }[] = [];
  for (const r of parsed.data.Records) {
    if (!r.eventName.startsWith('ObjectCreated')) continue;
    const key = decodeS3Key(r.s3.object.key);
    const ref = IncomingKey.safeParse(key);
    if (!ref.success) throw new Error(`validate-upload: key ${JSON.stringify(key)} names no upload attempt`);
    const outcome = await validateUpload(deps, { ...ref.data, versionId: r.s3.object.versionId }, r.eventTime);
    console.log(JSON.stringify({ level: 'INFO', msg: 'validate-upload', key, outcome }));
    results.push({ key, outcome });
  }
  return { results };
});
