import middy from '@middy/core';
import { ContactScheduledEvent } from '../../schemas/contacts.js';
import { orgReader } from '../orgs/store.js';
import { outboxClaims } from '../reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../reminders/queue.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { personTokens, signingKeySource } from '../shared/tokens.js';
import { type ContactSweepDeps, contactSweep } from './sweep-service.js';
import { cityRates, concernSweeper, rosterReader, summaryStore } from './store.js';

const env = readEnv();
if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by contact-sweep');
const ddb = ddbClient();
const clock = clockOf(env);
export const deps: ContactSweepDeps = {
  orgs: orgReader(ddb, env.TABLE_NAME),
  rosters: rosterReader(ddb, env.TABLE_NAME),
  summaries: summaryStore(ddb, env.TABLE_NAME),
  concerns: concernSweeper(ddb, env.TABLE_NAME),
  cityRates: cityRates(ddb, env.TABLE_NAME),
  ledger: outboxClaims(ddb, env.TABLE_NAME),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
  tokens: personTokens(signingKeySource(env)),
  siteOrigin: env.SITE_ORIGIN,
  linkTtlDays: env.LINK_TTL_DAYS,
  now: () => clock.now(),
};

/**
 * EventBridge Scheduler (or the local scheduler, or `npm run tick`): `{ job, scheduledAt }` of the contact logs'
 * schedules. Another shape throws (the schedule's retries, then its dead-letter queue), never passes silently.
 */
export const handler = middy(async (event: unknown) => {
  const parsed = ContactScheduledEvent.safeParse(event);
  if (!parsed.success) throw new Error(`contact-sweep: not a scheduled job (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  const report = await contactSweep(deps, parsed.data.job, new Date(parsed.data.scheduledAt));
  console.log(JSON.stringify({ level: 'INFO', msg: 'contact-sweep', ...report }));
  return report;
});
