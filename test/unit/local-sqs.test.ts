/**
 * The local SQS emulator (local/sqs.ts) through the real SQSClient over HTTP (port 0, endpoint from
 * AWS_ENDPOINT_URL_SQS, any credentials), and its in-process event source mapping (pollQueue).
 * Visibility timeouts are 1 s where the suite has to wait one out.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  PurgeQueueCommand,
  type QueueAttributeName,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pollQueue, type QueueConfig, type SqsEmulator, startSqs } from '../../local/sqs.js';

const QUEUES: QueueConfig[] = [
  { name: 'basic', visibilityTimeoutSeconds: 30 },
  { name: 'attrs', visibilityTimeoutSeconds: 30 },
  { name: 'batch', visibilityTimeoutSeconds: 30 },
  { name: 'vis', visibilityTimeoutSeconds: 1 },
  { name: 'cmv', visibilityTimeoutSeconds: 30 },
  { name: 'poll', visibilityTimeoutSeconds: 30 },
  { name: 'redrive', visibilityTimeoutSeconds: 30, dlq: { name: 'redrive-dlq', maxReceiveCount: 2 } },
  { name: 'counts', visibilityTimeoutSeconds: 30 },
  { name: 'limits', visibilityTimeoutSeconds: 30 },
  { name: 'mailer', visibilityTimeoutSeconds: 1, dlq: { name: 'mailer-dlq', maxReceiveCount: 3 } },
  { name: 'flaky', visibilityTimeoutSeconds: 1 },
  { name: 'strict', visibilityTimeoutSeconds: 30 },
  { name: 'conc', visibilityTimeoutSeconds: 30 },
  { name: 'sizes', visibilityTimeoutSeconds: 30 },
  { name: 'doomed', visibilityTimeoutSeconds: 1, dlq: { name: 'doomed-dlq', maxReceiveCount: 2 } },
];
const ACCOUNT = '000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ENV: Record<string, string | undefined> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'any',
  AWS_SECRET_ACCESS_KEY: 'any',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_ENDPOINT_URL: undefined,
};
const saved: Record<string, string | undefined> = {};

let sqs: SqsEmulator;
let client: SQSClient;

beforeAll(async () => {
  sqs = await startSqs({ queues: QUEUES });
  for (const [k, v] of Object.entries({ ...ENV, AWS_ENDPOINT_URL_SQS: sqs.url })) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  client = new SQSClient({});
});
afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const url = (queue: string) => sqs.queueUrl(queue);
const send = (queue: string, body: string, more: Partial<SendMessageCommandInput> = {}) =>
  client.send(new SendMessageCommand({ QueueUrl: url(queue), MessageBody: body, ...more }));
const receive = async (queue: string, more: Partial<ReceiveMessageCommandInput> = {}, c = client): Promise<Message[]> =>
  (await c.send(new ReceiveMessageCommand({ QueueUrl: url(queue), MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], ...more }))).Messages ?? [];
const attributes = async (queue: string, names: QueueAttributeName[] = ['All'], c = client) =>
  (await c.send(new GetQueueAttributesCommand({ QueueUrl: url(queue), AttributeNames: names }))).Attributes ?? {};
const del = (queue: string, handle: string | undefined) => client.send(new DeleteMessageCommand({ QueueUrl: url(queue), ReceiptHandle: handle }));
const changeVisibility = (queue: string, handle: string | undefined, seconds: number) =>
  client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url(queue), ReceiptHandle: handle, VisibilityTimeout: seconds }));
/** The error a call fails with (and a failure if it does not). */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e as Error & { Code?: string; $metadata: { httpStatusCode?: number } },
  );

describe('the SQS API over HTTP, with the real SQSClient', () => {
  it('serves 127.0.0.1 on the port it got; GetQueueUrl gives AWS-shaped URLs; an unknown queue is QueueDoesNotExist', async () => {
    expect(sqs.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sqs.url).not.toBe('http://127.0.0.1:0');
    expect((await client.send(new GetQueueUrlCommand({ QueueName: 'basic' }))).QueueUrl).toBe(`${sqs.url}/${ACCOUNT}/basic`);
    const e = await failure(client.send(new GetQueueUrlCommand({ QueueName: 'nope' })));
    expect(e).toBeInstanceOf(QueueDoesNotExist);
    expect(e).toMatchObject({ name: 'QueueDoesNotExist', Code: 'AWS.SimpleQueueService.NonExistentQueue', message: 'The specified queue does not exist.' });
    expect(e.$metadata.httpStatusCode).toBe(400);
    for (const QueueUrl of [`${sqs.url}/${ACCOUNT}/nope`, `${sqs.url}/123456789012/basic`, `${sqs.url}/basic`])
      expect(await failure(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))), QueueUrl).toBeInstanceOf(QueueDoesNotExist);
  });

  it('send, receive (body, MD5, system attributes when asked), delete', async () => {
    const body = '{"job":"remind","to":"张老师"}';
    const before = Date.now();
    const out = await send('basic', body);
    expect(out.MessageId).toMatch(UUID);
    expect(out.MD5OfMessageBody).toBe(md5(body));
    const [m, ...more] = await receive('basic');
    expect(more).toEqual([]);
    expect(m).toMatchObject({ MessageId: out.MessageId, Body: body, MD5OfBody: md5(body) });
    expect(m?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: ACCOUNT });
    const sent = Number(m?.Attributes?.SentTimestamp);
    expect(sent).toBeGreaterThanOrEqual(before);
    expect(Number(m?.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(sent);
    await del('basic', m?.ReceiptHandle);
    expect(await attributes('basic')).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });

    await send('basic', 'plain');
    const [p] = await receive('basic', { MessageSystemAttributeNames: undefined });
    expect(p?.Body).toBe('plain');
    expect(p?.Attributes).toBeUndefined();
    await changeVisibility('basic', p?.ReceiptHandle, 0);
    const [q] = await receive('basic', { MessageSystemAttributeNames: ['ApproximateReceiveCount'], AttributeNames: ['SentTimestamp' as QueueAttributeName] });
    expect(Object.keys(q?.Attributes ?? {}).sort()).toEqual(['ApproximateReceiveCount', 'SentTimestamp']);
    expect(q?.Attributes?.ApproximateReceiveCount).toBe('2');
    await del('basic', q?.ReceiptHandle);
  });

  it("message attributes (String, Number, Binary) round-trip, with AWS's MD5 of them", async () => {
    // Known vectors (computed by AWS's algorithm, as other SQS implementations test it).
    const a = await send('attrs', 'a', { MessageAttributes: { ordinal: { DataType: 'Number', StringValue: '1' }, category: { DataType: 'String', StringValue: 'test' } } });
    expect(a.MD5OfMessageAttributes).toBe('d21ae90c49061e927f57df5f5d72be1f');
    const b = await send('attrs', 'b', { MessageAttributes: { SellerName: { DataType: 'String', StringValue: 'Example Store' } } });
    expect(b.MD5OfMessageAttributes).toBe('cd28f3b68aeee4b2eac9c66f2f694b58');
    await send('attrs', 'c', { MessageAttributes: { blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) } } });
    const got = await receive('attrs', { MessageAttributeNames: ['All'] });
    expect(got.map((m) => m.Body)).toEqual(['a', 'b', 'c']);
    expect(got[0]?.MessageAttributes).toEqual({ ordinal: { DataType: 'Number', StringValue: '1' }, category: { DataType: 'String', StringValue: 'test' } });
    expect(got[0]?.MD5OfMessageAttributes).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(got[2]?.MessageAttributes?.blob?.BinaryValue).toEqual(new Uint8Array([0, 1, 2, 255]));
    await client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url('attrs'), Entries: got.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })) }));
    const named = await receive('attrs', { MessageAttributeNames: ['category'] });
    expect(named[0]?.MessageAttributes).toEqual({ category: { DataType: 'String', StringValue: 'test' } });
    expect(named[1]?.MessageAttributes).toBeUndefined();
    const bad = await failure(send('attrs', 'x', { MessageAttributes: { n: { DataType: 'Number', StringValue: 'one' } } }));
    expect(bad.name).toBe('InvalidParameterValue');
  });

  it('batches: SendMessageBatch and DeleteMessageBatch answer per entry; the batch rules are enforced', async () => {
    const QueueUrl = url('batch');
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'nul \u0000' },
          { Id: 'c', MessageBody: 'late', DelaySeconds: 901 },
          { Id: 'd', MessageBody: 'four' },
        ],
      }),
    );
    expect(sent.Successful?.map((s) => [s.Id, s.MD5OfMessageBody])).toEqual([
      ['a', md5('one')],
      ['d', md5('four')],
    ]);
    expect(sent.Failed).toEqual([
      { Id: 'b', SenderFault: true, Code: 'InvalidMessageContents', Message: expect.stringContaining("'#x0'") },
      { Id: 'c', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.stringContaining('DelaySeconds') },
    ]);
    const got = await receive('batch');
    expect(got.map((m) => m.Body)).toEqual(['one', 'four']);
    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'x', ReceiptHandle: got[0]?.ReceiptHandle },
          { Id: 'y', ReceiptHandle: 'not-a-handle' },
          { Id: 'z', ReceiptHandle: got[1]?.ReceiptHandle },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'x' }, { Id: 'z' }]);
    expect(deleted.Failed).toEqual([{ Id: 'y', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.stringContaining('not-a-handle') }]);
    expect(await attributes('batch')).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });

    const batch = (Entries: { Id: string; MessageBody: string }[]) => failure(client.send(new SendMessageBatchCommand({ QueueUrl, Entries })));
    const entry = (i: number) => ({ Id: `e${i}`, MessageBody: 'x' });
    expect((await batch([])).name).toBe('EmptyBatchRequest');
    expect((await batch(Array.from({ length: 11 }, (_, i) => entry(i)))).name).toBe('TooManyEntriesInBatchRequest');
    expect((await batch([entry(1), entry(1)])).name).toBe('BatchEntryIdsNotDistinct');
    expect((await batch([{ Id: 'a b', MessageBody: 'x' }])).name).toBe('InvalidBatchEntryId');
    expect((await batch([0, 1].map((i) => ({ Id: `big${i}`, MessageBody: 'x'.repeat(200_000) })))).name).toBe('BatchRequestTooLong');
    expect(await attributes('batch', ['ApproximateNumberOfMessages'])).toEqual({ ApproximateNumberOfMessages: '0' });
  });

  it('visibility timeout: a received message is hidden, then comes back with a new handle; its old handle deletes nothing', async () => {
    await send('vis', 'again');
    const [first] = await receive('vis');
    expect(await receive('vis')).toEqual([]);
    expect(await attributes('vis')).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
    await sleep(1_100);
    expect(await attributes('vis')).toMatchObject({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' });
    const [second] = await receive('vis');
    expect(second).toMatchObject({ MessageId: first?.MessageId, Body: 'again' });
    expect(second?.Attributes).toMatchObject({ ApproximateReceiveCount: '2', ApproximateFirstReceiveTimestamp: first?.Attributes?.ApproximateFirstReceiveTimestamp });
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);

    await del('vis', first?.ReceiptHandle); // succeeds, as in AWS …
    expect(await attributes('vis')).toMatchObject({ ApproximateNumberOfMessagesNotVisible: '1' }); // … and the message stays
    await del('vis', second?.ReceiptHandle);
    expect(await attributes('vis')).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    await del('vis', second?.ReceiptHandle); // deleting twice is fine
    const e = await failure(del('vis', 'bogus'));
    expect(e).toBeInstanceOf(ReceiptHandleIsInvalid);
    expect(e.$metadata.httpStatusCode).toBe(404);
  });

  it('ChangeMessageVisibility (+Batch): 0 makes a message receivable at once; a stale handle is InvalidParameterValue; a visible one is not in flight', async () => {
    await send('cmv', 'm');
    const [a] = await receive('cmv');
    await changeVisibility('cmv', a?.ReceiptHandle, 0);
    const [b] = await receive('cmv');
    expect(b?.MessageId).toBe(a?.MessageId);
    const stale = await failure(changeVisibility('cmv', a?.ReceiptHandle, 10));
    expect(stale.name).toBe('InvalidParameterValue');
    expect(stale.message).toContain('Message does not exist or is not available for visibility timeout change');

    const r = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url('cmv'),
        Entries: [
          { Id: 'old', ReceiptHandle: a?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'now', ReceiptHandle: b?.ReceiptHandle, VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(r.Successful).toEqual([{ Id: 'now' }]);
    expect(r.Failed).toEqual([{ Id: 'old', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.any(String) }]);
    expect(await failure(changeVisibility('cmv', b?.ReceiptHandle, 5))).toMatchObject({ name: 'MessageNotInflight' });
    const [c] = await receive('cmv', { VisibilityTimeout: 0 });
    expect(c?.Attributes?.ApproximateReceiveCount).toBe('3');
    expect((await failure(changeVisibility('cmv', c?.ReceiptHandle, 43_201))).name).toBe('InvalidParameterValue');
    await del('cmv', c?.ReceiptHandle);
  });

  it('long polling waits for a message and returns as soon as one arrives; a client that gives up takes nothing', async () => {
    const started = Date.now();
    const pending = receive('poll', { WaitTimeSeconds: 10 });
    await sleep(300);
    await send('poll', 'late');
    const got = await pending;
    const took = Date.now() - started;
    expect(got.map((m) => m.Body)).toEqual(['late']);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000); // not the 10 s
    await del('poll', got[0]?.ReceiptHandle);

    const t0 = Date.now();
    expect(await receive('poll', { WaitTimeSeconds: 1 })).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);

    // A delayed message wakes a waiting receive when it becomes visible.
    await send('poll', 'delayed', { DelaySeconds: 1 });
    const t1 = Date.now();
    expect((await receive('poll', { WaitTimeSeconds: 10 })).map((m) => m.Body)).toEqual(['delayed']);
    expect(Date.now() - t1).toBeLessThan(5_000);
    expect(await failure(receive('poll', { WaitTimeSeconds: 21 }))).toMatchObject({ name: 'InvalidParameterValue' });

    const gaveUp = new AbortController();
    const abandoned = client.send(new ReceiveMessageCommand({ QueueUrl: url('poll'), WaitTimeSeconds: 10 }), { abortSignal: gaveUp.signal });
    await sleep(100);
    gaveUp.abort();
    await expect(abandoned).rejects.toThrow();
    await sleep(100);
    await send('poll', 'for the next one');
    const [next] = await receive('poll', { MaxNumberOfMessages: 10 });
    expect(next?.Body).toBe('for the next one');
    expect(next?.Attributes?.ApproximateReceiveCount).toBe('1');
    await client.send(new PurgeQueueCommand({ QueueUrl: url('poll') }));
  });

  it('redrive: a message received maxReceiveCount times moves to the DLQ on the next receive attempt', async () => {
    const { MessageId } = await send('redrive', 'poison');
    for (const n of ['1', '2']) {
      const [m] = await receive('redrive', { VisibilityTimeout: 0 });
      expect(m?.Attributes?.ApproximateReceiveCount).toBe(n);
    }
    expect(await receive('redrive')).toEqual([]);
    const attrs = await attributes('redrive');
    expect(attrs).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    expect(JSON.parse(attrs.RedrivePolicy ?? '')).toEqual({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:redrive-dlq`, maxReceiveCount: 2 });
    const [dead, ...more] = await receive('redrive-dlq');
    expect(more).toEqual([]);
    expect(dead).toMatchObject({ MessageId, Body: 'poison' });
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(`arn:aws:sqs:us-east-1:${ACCOUNT}:redrive`);
  });

  it('GetQueueAttributes counts visible, in-flight and delayed messages; PurgeQueue empties a queue once a minute', async () => {
    await send('counts', 'a');
    await send('counts', 'b');
    await send('counts', 'c', { DelaySeconds: 1 });
    expect(await receive('counts', { MaxNumberOfMessages: 1 })).toHaveLength(1);
    expect(await attributes('counts')).toMatchObject({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:counts`,
      VisibilityTimeout: '30',
      MaximumMessageSize: '262144',
    });
    expect(await attributes('counts', ['QueueArn', 'KmsMasterKeyId'])).toEqual({ QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:counts` });
    expect((await attributes('counts')).RedrivePolicy).toBeUndefined();
    expect(await failure(attributes('counts', ['Nope' as QueueAttributeName]))).toMatchObject({ name: 'InvalidAttributeName' });
    await sleep(1_100);
    expect(await attributes('counts', ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'])).toEqual({
      ApproximateNumberOfMessages: '2',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    await client.send(new PurgeQueueCommand({ QueueUrl: url('counts') }));
    expect(await attributes('counts')).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' });
    const again = await failure(client.send(new PurgeQueueCommand({ QueueUrl: url('counts') })));
    expect(again).toMatchObject({ name: 'PurgeQueueInProgress' });
    expect(again.$metadata.httpStatusCode).toBe(403);
  });

  it('limits: 256 KiB of UTF-8 (InvalidParameterValue beyond), MaxNumberOfMessages 1–10, DelaySeconds ≤ 900, XML characters only', async () => {
    expect((await send('limits', 'x'.repeat(262_144))).MD5OfMessageBody).toBe(md5('x'.repeat(262_144)));
    const big = await failure(send('limits', 'x'.repeat(262_145)));
    expect(big).toMatchObject({ name: 'InvalidParameterValue', Code: 'InvalidParameterValue' });
    expect(big.message).toContain('Message must be shorter than 262144 bytes');
    expect(big.$metadata.httpStatusCode).toBe(400);
    expect((await failure(send('limits', '中'.repeat(87_382)))).name).toBe('InvalidParameterValue'); // 262 146 bytes, 87 382 characters
    for (const n of [0, 11]) expect((await failure(receive('limits', { MaxNumberOfMessages: n }))).name).toBe('InvalidParameterValue');
    expect((await failure(send('limits', 'x', { DelaySeconds: 901 }))).name).toBe('InvalidParameterValue');
    expect((await failure(send('limits', 'bell \u0007'))).name).toBe('InvalidMessageContents');
    expect((await send('limits', 'tab\t, emoji 🙂, 中文')).MessageId).toMatch(UUID);
    expect(await attributes('limits', ['ApproximateNumberOfMessages'])).toEqual({ ApproximateNumberOfMessages: '2' });
  });

  it('state survives a restart (written atomically); messages in flight are visible again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-sqs-'));
    const file = join(dir, 'sqs.json');
    const queues = [{ name: 'outbox', visibilityTimeoutSeconds: 30, dlq: { name: 'outbox-dlq', maxReceiveCount: 5 } }];
    const credentials = { accessKeyId: 'any', secretAccessKey: 'any' };
    let emu = await startSqs({ file, queues });
    let c = new SQSClient({ endpoint: emu.url, region: 'us-east-1', credentials });
    try {
      const kept = await c.send(new SendMessageCommand({ QueueUrl: emu.queueUrl('outbox'), MessageBody: 'kept' }));
      await c.send(new SendMessageCommand({ QueueUrl: emu.queueUrl('outbox'), MessageBody: 'taken' }));
      await c.send(new SendMessageCommand({ QueueUrl: emu.queueUrl('outbox-dlq'), MessageBody: 'dead' }));
      const [taken] = (await c.send(new ReceiveMessageCommand({ QueueUrl: emu.queueUrl('outbox'), MaxNumberOfMessages: 1 }))).Messages ?? [];
      expect(taken?.Body).toBe('kept');
      expect(emu.counts('outbox')).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
      await emu.stop();
      c.destroy();
      expect(readdirSync(dir)).toEqual(['sqs.json']); // no temp file left behind

      emu = await startSqs({ file, queues });
      c = new SQSClient({ endpoint: emu.url, region: 'us-east-1', credentials });
      expect(emu.counts('outbox')).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
      expect(emu.counts('outbox-dlq')).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
      const got = (await c.send(new ReceiveMessageCommand({ QueueUrl: emu.queueUrl('outbox'), MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];
      expect(got.map((m) => [m.MessageId === kept.MessageId ? 'kept' : m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
        ['kept', '2'],
        ['taken', '1'],
      ]);
    } finally {
      c.destroy();
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers operations it does not emulate with UnsupportedOperation, and a body that is not a JSON object with SerializationException', async () => {
    const res = await fetch(sqs.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.CreateQueue' }, body: '{"QueueName":"x"}' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.UnsupportedOperation;Sender');
    expect(await res.json()).toMatchObject({ __type: 'com.amazonaws.sqs#UnsupportedOperation' });
    const notJson = await fetch(sqs.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ReceiveMessage' }, body: '[]' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ __type: 'com.amazon.coral.service#SerializationException' });
  });
});

describe('pollQueue: the event source mapping, in process', () => {
  const events = () => {
    const seen: SQSEvent[] = [];
    return { seen, bodies: () => seen.map((e) => e.Records.map((r) => r.body)) };
  };

  it('builds Lambda SQS events; a partial batch failure leaves exactly the failed record, which comes back', async () => {
    await client.send(new SendMessageBatchCommand({ QueueUrl: url('mailer'), Entries: ['a', 'b', 'c'].map((b) => ({ Id: b, MessageBody: b })) }));
    const { seen, bodies } = events();
    const poller = pollQueue({
      sqs,
      queueUrl: url('mailer'),
      batchSize: 10,
      maxConcurrency: 1,
      invoke: async (event) => {
        seen.push(event);
        const b = event.Records.find((r) => r.body === 'b');
        return { batchItemFailures: seen.length === 1 && b ? [{ itemIdentifier: b.messageId }] : [] };
      },
    });
    try {
      // Without waiting out the visibility timeout: nothing visible or running, one record waiting for its retry.
      expect(await poller.idle({ waitInvisible: false })).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
      expect(bodies()).toEqual([['a', 'b', 'c']]);
      const [a] = seen[0]?.Records ?? [];
      expect(a).toMatchObject({
        messageId: expect.stringMatching(UUID),
        body: 'a',
        md5OfBody: md5('a'),
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:mailer`,
        awsRegion: 'us-east-1',
        messageAttributes: {},
        attributes: { ApproximateReceiveCount: '1', SenderId: ACCOUNT, SentTimestamp: expect.stringMatching(/^\d{13}$/), ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/) },
      });
      expect(a?.receiptHandle).toEqual(expect.any(String));

      expect(await poller.idle()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(bodies()).toEqual([['a', 'b', 'c'], ['b']]);
      expect(seen[1]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
      expect(sqs.counts('mailer-dlq')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    } finally {
      await poller.stop();
    }
  });

  it('an invocation that throws leaves every record; idle() waits for the retry rather than resolve on an invisible message', async () => {
    await send('flaky', 'job');
    const errors: unknown[] = [];
    let calls = 0;
    const poller = pollQueue({
      sqs,
      queueUrl: url('flaky'),
      batchSize: 10,
      maxConcurrency: 1,
      invoke: async () => {
        if (++calls === 1) throw new Error('SES throttled');
      },
      onError: (e) => errors.push(e),
    });
    try {
      let settled = false;
      const idle = poller.idle().then((c) => ((settled = true), c));
      await vi.waitFor(() => expect(errors).toHaveLength(1), { interval: 10 });
      expect(String(errors[0])).toContain('SES throttled');
      await sleep(50);
      expect(settled).toBe(false);
      expect(sqs.counts('flaky')).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
      expect(await idle).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(calls).toBe(2);
    } finally {
      await poller.stop();
    }
  });

  it('a batchItemFailures entry that names no record of the batch fails the whole batch (as Lambda does)', async () => {
    await send('strict', 'one');
    await send('strict', 'two');
    const errors: unknown[] = [];
    const poller = pollQueue({
      sqs,
      queueUrl: url('strict'),
      batchSize: 10,
      maxConcurrency: 1,
      invoke: async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }),
      onError: (e) => errors.push(e),
    });
    try {
      expect(await poller.idle({ waitInvisible: false })).toEqual({ visible: 0, inFlight: 2, delayed: 0 });
      expect(errors).toHaveLength(1);
    } finally {
      await poller.stop();
    }
  });

  it('honours maxConcurrency and batchSize', async () => {
    await client.send(new SendMessageBatchCommand({ QueueUrl: url('conc'), Entries: [1, 2, 3, 4, 5, 6].map((n) => ({ Id: `m${n}`, MessageBody: `${n}` })) }));
    let active = 0;
    let peak = 0;
    const poller = pollQueue({
      sqs,
      queueUrl: url('conc'),
      batchSize: 1,
      maxConcurrency: 2,
      invoke: async () => {
        peak = Math.max(peak, ++active);
        await sleep(80);
        active--;
      },
    });
    try {
      expect(await poller.idle()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(peak).toBe(2);
    } finally {
      await poller.stop();
    }

    await client.send(new SendMessageBatchCommand({ QueueUrl: url('sizes'), Entries: [1, 2, 3, 4, 5, 6, 7].map((n) => ({ Id: `m${n}`, MessageBody: `${n}` })) }));
    const { seen, bodies } = events();
    const batches = pollQueue({ sqs, queueUrl: url('sizes'), batchSize: 3, maxConcurrency: 1, invoke: async (e) => void seen.push(e) });
    try {
      await batches.idle();
      expect(bodies()).toEqual([
        ['1', '2', '3'],
        ['4', '5', '6'],
        ['7'],
      ]);
    } finally {
      await batches.stop();
    }
  });

  it('a record that always fails moves to the DLQ after maxReceiveCount; then the queue is idle', async () => {
    const { MessageId } = await send('doomed', 'bounce');
    let calls = 0;
    const poller = pollQueue({
      sqs,
      queueUrl: url('doomed'),
      batchSize: 10,
      maxConcurrency: 1,
      invoke: async (e) => ({ batchItemFailures: e.Records.map((r) => (calls++, { itemIdentifier: r.messageId })) }),
    });
    try {
      expect(await poller.idle()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(calls).toBe(2);
      const [dead] = await receive('doomed-dlq');
      expect(dead).toMatchObject({ MessageId, Body: 'bounce' });
    } finally {
      await poller.stop();
    }
    expect(() => pollQueue({ sqs, queueUrl: url('doomed'), batchSize: 11, maxConcurrency: 1, invoke: async () => undefined })).toThrow(/batchSize/);
    expect(() => pollQueue({ sqs, queueUrl: `${sqs.url}/${ACCOUNT}/nope`, batchSize: 1, maxConcurrency: 1, invoke: async () => undefined })).toThrow(
      'The specified queue does not exist.',
    );
  });
});
