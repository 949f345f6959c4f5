import middy from '@middy/core';
import { SesEventBridgeEvent } from '../../schemas/ses-events.js';
import { campaignStore } from '../campaigns/store.js';
import { orgStore } from '../orgs/store.js';
import { syncStatus } from '../plans/service.js';
import { summaryStore } from '../plans/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { type BounceDeps, handleSesEvent } from './bounces.js';
import { outboxClaims } from './outbox.js';
import { sqsClient, sqsOutboxQueue } from './queue.js';
import { suppressionStore } from './suppressions.js';

const env = readEnv();
if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by ses-events');
const ddb = ddbClient();
const clock = clockOf(env);
const orgs = orgStore(ddb, env.TABLE_NAME);
const status = { orgs, campaigns: campaignStore(ddb, env.TABLE_NAME), summaries: summaryStore(ddb, env.TABLE_NAME) };
export const deps: BounceDeps = {
  suppressions: suppressionStore(ddb, env.TABLE_NAME),
  orgs,
  restate: async (orgId) => void (await syncStatus(status, { orgIds: [orgId] })),
  ledger: outboxClaims(ddb, env.TABLE_NAME),
  queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
  now: () => clock.now(),
};

/**
 * EventBridge: SES "Email Bounced" / "Email Complaint Received" of the service's configuration set. An
 * event of another shape throws (Lambda's retries, then the failed-event queue), never passes silently.
 */
export const handler = middy(async (event: unknown) => {
  const parsed = SesEventBridgeEvent.safeParse(event);
  if (!parsed.success) throw new Error(`ses-events: not an SES bounce or complaint (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  const report = await handleSesEvent(deps, parsed.data);
  // Addresses are personal data of staff, not secrets: logged so an operator can trace a suppression.
  console.log(JSON.stringify({ level: 'INFO', msg: 'ses-events', ...report }));
  return report;
});
