import middy from '@middy/core';
import { ScheduledEvent } from '../../schemas/reminders.js';
import { campaignStore } from '../campaigns/store.js';
import { orgReader } from '../orgs/store.js';
import { owingReader } from '../plans/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { signingKeySource, tokenSigner } from '../shared/tokens.js';
import { sweepMarks } from './marks.js';
import { outboxClaims } from './outbox.js';
import { sqsClient, sqsOutboxQueue } from './queue.js';
import { type SweepDeps, sweepReminders } from './service.js';

const env = readEnv();
if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by the sweep');
const ddb = ddbClient();
const clock = clockOf(env);
export const deps: SweepDeps = {
  campaigns: campaignStore(ddb, env.TABLE_NAME),
  orgs: orgReader(ddb, env.TABLE_NAME),
  summaries: owingReader(ddb, env.TABLE_NAME),
  ledger: outboxClaims(ddb, env.TABLE_NAME),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
  marks: sweepMarks(ddb, env.TABLE_NAME),
  tokens: tokenSigner(signingKeySource(env)),
  siteOrigin: env.SITE_ORIGIN,
  linkTtlDays: env.LINK_TTL_DAYS,
  now: () => clock.now(),
};

/**
 * EventBridge Scheduler (or the local scheduler, or `npm run tick`): `{ job, scheduledAt }`. An event of
 * another shape throws (the schedule's retries, then its dead-letter queue), never passes silently.
 */
export const handler = middy(async (event: unknown) => {
  const parsed = ScheduledEvent.safeParse(event);
  if (!parsed.success) throw new Error(`sweep: not a scheduled job (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  const report = await sweepReminders(deps, new Date(parsed.data.scheduledAt));
  console.log(JSON.stringify({ level: 'INFO', msg: 'sweep', ...report }));
  return report;
});
