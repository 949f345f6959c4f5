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
import { concernReader, concernWriter, logStore, rosterReader, summaryStore } from './store.js';

/** What both the pages and the writer use: who a person is, the clock, the trail, the logs and the summaries. */
function common(env: Env, ddb: ReturnType<typeof ddbClient>) {
  const clock = clockOf(env);
  return {
    rosters: rosterReader(ddb, env.TABLE_NAME),
    orgs: orgPeek(ddb, env.TABLE_NAME),
    tokens: personTokens(signingKeySource(env)),
    clock,
    audit: auditWriter(ddb, requireAuditTable(env)),
    logs: logStore(ddb, requireContactsTable(env), () => clock.now()),
    summaries: summaryStore(ddb, env.TABLE_NAME),
  };
}

/** What the content pages read with (built once per container from the parsed environment). */
export function contactReadDeps(env: Env, ddb = ddbClient()) {
  return { ...common(env, ddb), concerns: concernReader(ddb, env.TABLE_NAME) } satisfies ContactReadDeps & Record<string, unknown>;
}

/** The writer's: the same stores, the concerns it raises and acknowledges, the outbox (a 紧急 concern's alert), the retention. */
export function contactWriteDeps(env: Env, ddb = ddbClient()): ContactWriteDeps {
  if (!env.OUTBOX_QUEUE_URL) throw new Error('Invalid configuration: OUTBOX_QUEUE_URL is required by contact-logs');
  return {
    ...common(env, ddb),
    concerns: concernWriter(ddb, env.TABLE_NAME),
    ledger: outboxClaims(ddb, env.TABLE_NAME),
    queue: sqsOutboxQueue(sqsClient(), env.OUTBOX_QUEUE_URL),
    siteOrigin: env.SITE_ORIGIN,
    retentionDays: env.CONTACT_RETENTION_DAYS,
  };
}
