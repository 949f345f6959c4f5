import type { Env } from '../../schemas/env.js';
import { auditWriter } from '../audit/store.js';
import { orgPeek } from '../orgs/store.js';
import { outboxClaims } from '../reminders/outbox.js';
import { sqsClient, sqsOutboxQueue } from '../reminders/queue.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { requireAuditTable, requireContactsTable } from '../shared/env.js';
import { personTokens, signingKeySource } from '../shared/tokens.js';
import type { ContactReadDeps, ContactWriteDeps } from './service.js';
import { concernStore, logStore, rosterReader, summaryStore } from './store.js';

/** What the content pages read with (built once per container from the parsed environment). */
export function contactReadDeps(env: Env, ddb = ddbClient()) {
  const clock = clockOf(env);
  return {
    rosters: rosterReader(ddb, env.TABLE_NAME),
    orgs: orgPeek(ddb, env.TABLE_NAME),
    tokens: personTokens(signingKeySource(env)),
    clock,
    audit: auditWriter(ddb, requireAuditTable(env)),
    logs: logStore(ddb, requireContactsTable(env), () => clock.now()),
    concerns: concernStore(ddb, env.TABLE_NAME),
    summaries: summaryStore(ddb, env.TABLE_NAME),
  } satisfies ContactReadDeps & Record<string, unknown>;
}

/** The writer's: the same stores, the outbox (a 紧急 concern's alert) and the retention period. */
export function contactWriteDeps(env: Env, ddb = ddbClient()): ContactWriteDeps & ReturnType<typeof contactReadDeps> {
  if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by contact-logs');
  return {
    ...contactReadDeps(env, ddb),
    ledger: outboxClaims(ddb, env.TABLE_NAME),
    queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
    siteOrigin: env.SITE_ORIGIN,
    retentionDays: env.CONTACT_RETENTION_DAYS,
  };
}
