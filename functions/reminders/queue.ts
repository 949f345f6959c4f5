import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { OutboxQueue } from './outbox.js';

/** The SQS client; endpoint from AWS_ENDPOINT_URL_SQS when set (the local queue, local/sqs.ts). */
export const sqsClient = () => new SQSClient({});

/** The outbox queue on SQS: each message body is `{"key": "<ledger key>"}`; a batch that SQS half-refuses throws. */
export function sqsOutboxQueue(sqs: SQSClient, queueUrl: string): OutboxQueue {
  return {
    async send(keys) {
      for (let i = 0; i < keys.length; i += 10) {
        const batch = keys.slice(i, i + 10);
        const r = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((key, n) => ({ Id: String(n), MessageBody: JSON.stringify({ key }) })) }),
        );
        if (r.Failed?.length) throw new Error(`outbox: SQS refused ${r.Failed.length} of ${batch.length} messages (${r.Failed.map((f) => f.Code).join(', ')})`);
      }
    },
  };
}
