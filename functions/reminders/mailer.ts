import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSEvent } from 'aws-lambda';
import { summaryStore } from '../plans/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { sesClient, sesMailer } from '../shared/clients/sesv2.js';
import { clockOf } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { orgReader } from '../orgs/store.js';
import { signingKeySource } from '../shared/tokens.js';
import { deliver, type DeliverDeps, pacer, RetryLater, robotSender } from './deliver.js';
import { OutboxMessage, outboxLedger } from './outbox.js';
import { suppressionStore } from './suppressions.js';

const env = readEnv();
if (!env.MAIL_FROM) throw new Error('Invalid configuration: MAIL_FROM is required by the mailer');
const ddb = ddbClient();
const clock = clockOf(env);
const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));
export const deps: DeliverDeps = {
  ledger: outboxLedger(ddb, env.TABLE_NAME),
  mailer: sesMailer(sesClient(), env.MAIL_FROM, env.MAIL_CONFIGURATION_SET),
  suppressions: suppressionStore(ddb, env.TABLE_NAME),
  summaries: summaryStore(ddb, env.TABLE_NAME),
  robots: robotSender({ orgs: orgReader(ddb, env.TABLE_NAME), signingKey: signingKeySource(env) }),
  now: () => clock.now(),
  pace: pacer(env.MAIL_RATE_PER_SECOND),
  sleep,
};

/**
 * The outbox consumer (SQS event source with ReportBatchItemFailures): each record names a ledger key;
 * records are sent one after the other at this mailer's share of the SES rate. A record that fails is
 * reported alone (the others are deleted) and comes back after the queue's visibility timeout; after
 * SES throttling the rest of the batch is handed back unsent. A record that is not an outbox message
 * fails every time and so reaches the dead-letter queue (`npm run cli -- outbox`).
 */
export const handler = middy(async (event: SQSEvent): Promise<PromiseSettledResult<unknown>[]> => {
  const results: PromiseSettledResult<unknown>[] = [];
  let throttled = false;
  for (const record of event.Records) {
    if (throttled) {
      results.push({ status: 'rejected', reason: new RetryLater('SES throttled an earlier message of this batch', true) });
      continue;
    }
    try {
      const message = OutboxMessage.parse(JSON.parse(record.body));
      const outcome = await deliver(deps, message.key);
      console.log(JSON.stringify({ level: 'INFO', msg: 'outbox', key: message.key, outcome }));
      results.push({ status: 'fulfilled', value: outcome });
    } catch (e) {
      if (e instanceof RetryLater && e.throttled) throttled = true;
      results.push({ status: 'rejected', reason: e });
    }
  }
  return results;
}).use(
  sqsPartialBatchFailure({
    logger: (reason: unknown, record: { messageId: string }) =>
      console.error(JSON.stringify({ level: 'ERROR', msg: 'outbox message not sent (retried later)', messageId: record.messageId, error: String(reason) })),
  }),
);
