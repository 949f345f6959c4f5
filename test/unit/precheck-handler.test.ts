/**
 * The precheck handler (S3 ObjectCreated under accepted/) over aws-sdk-client-mock: the exact GetObject,
 * GetItem and PutItem it sends (keys written out here as the data model names them, the condition
 * included); a redelivered event reads nothing and writes nothing; a lost race is no error; a file it
 * cannot read is stored as 'failed' and the event is done; an S3 read that fails throws (Lambda retries).
 */
import 'aws-sdk-client-mock-vitest/extend';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

const TABLE = 'psy-table';
const BUCKET = 'psy-bucket';
const NOW = '2019-06-20T02:00:00.000Z';
const UPLOAD_ID = '0123456789abcdef0123456789abcdef';
const PK = 'CAMPAIGN#2019-plans';
const SK = `PRECHECK#dh-school-1#crisis-plan#${UPLOAD_ID}`;
const KEY = `accepted/2019-plans/dh-school-1/crisis-plan/${UPLOAD_ID}.docx`;
const VERSION = '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo';
const DOCS = resolve(import.meta.dirname, '../fixtures/docs');
const doc = (name: string) => new Uint8Array(readFileSync(resolve(DOCS, name)));

const ENV: Record<string, string | undefined> = {
  TABLE_NAME: TABLE,
  BUCKET_NAME: BUCKET,
  SITE_ORIGIN: 'https://psy.example.cn',
  AWS_REGION: 'cn-northwest-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTESTEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-access-key',
  AWS_SESSION_TOKEN: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
  AWS_ENDPOINT_URL_DYNAMODB: undefined,
  DOMAIN_CLOCK: undefined,
};
const saved: Record<string, string | undefined> = {};
const ddb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
let handler: (e: unknown, c: Context) => Promise<{ results: { key: string; outcome: string }[] }>;
const context = { awsRequestId: 'unit', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const run = (e: unknown) => handler(e, context);

const s3Event = (key: string, extra: { versionId?: string; size?: number; eventName?: string } = {}) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'cn-northwest-1',
      eventTime: NOW,
      eventName: extra.eventName ?? 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: BUCKET, arn: `arn:aws-cn:s3:::${BUCKET}` },
        object: { key, size: extra.size ?? 5701, eTag: 'e', sequencer: '01', ...(extra.versionId ? { versionId: extra.versionId } : {}) },
      },
    },
  ],
});
const body = (bytes: Uint8Array) => ({ Body: { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'] });
const CRISIS = [
  ['organisation', '组织机构及职责'],
  ['prevention', '早期预防'],
  ['warning', '早期预警'],
  ['intervention', '危机干预'],
  ['aftercare', '善后处理（危机后处理）'],
] as const;
const sections = (found: (key: string) => boolean) => CRISIS.map(([key, label]) => ({ key, label, found: found(key) }));

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  handler = (await import('../../functions/precheck/handler.js')).handler as unknown as typeof handler;
});
afterEach(() => {
  ddb.reset();
  s3.reset();
  vi.useRealTimers();
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  ddb.restore();
  s3.restore();
});

describe('precheck handler (S3 ObjectCreated under accepted/)', () => {
  it('reads the version the event names, checks it and stores the result once: the exact calls', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    s3.on(GetObjectCommand).resolves(body(doc('precheck/crisis-plan.docx')));

    await expect(run(s3Event(KEY, { versionId: VERSION }))).resolves.toEqual({ results: [{ key: KEY, outcome: 'ok' }] });

    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: VERSION }]);
    expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: TABLE, Key: marshall({ pk: PK, sk: SK }) }]);
    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: marshall({
          pk: PK,
          sk: SK,
          campaignId: '2019-plans',
          orgId: 'dh-school-1',
          document: 'crisis-plan',
          uploadId: UPLOAD_ID,
          status: 'ok',
          sections: sections(() => true),
          chars: 493,
          checkedAt: NOW,
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    ]);
  });

  it('a PDF missing two sections, its key URL-encoded as AWS sends it, no version named', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    s3.on(GetObjectCommand).resolves(body(doc('plan.pdf')));
    const key = KEY.replace('.docx', '.pdf');
    await expect(run(s3Event(encodeURIComponent(key)))).resolves.toEqual({ results: [{ key, outcome: 'ok' }] });
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: BUCKET, Key: key, VersionId: undefined });
    const item = ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    expect(item?.sk).toEqual({ S: SK });
    expect(item?.status).toEqual({ S: 'ok' });
    expect(item?.pages).toEqual({ N: '1' });
    expect(item?.sections).toEqual(marshall({ s: sections((k) => k !== 'warning' && k !== 'aftercare') }).s);
  });

  it('a redelivered event: the stored result stands — nothing read from S3, nothing written', async () => {
    const stored = { campaignId: '2019-plans', orgId: 'dh-school-1', document: 'crisis-plan', uploadId: UPLOAD_ID, status: 'ok', sections: sections(() => true), chars: 493, checkedAt: NOW };
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: PK, sk: SK, ...stored }) });
    await expect(run(s3Event(KEY))).resolves.toEqual({ results: [{ key: KEY, outcome: 'already checked' }] });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('two deliveries racing: the one that loses the conditional write is done, not failed', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    s3.on(GetObjectCommand).resolves(body(doc('precheck/crisis-plan.docx')));
    await expect(run(s3Event(KEY))).resolves.toEqual({ results: [{ key: KEY, outcome: 'already checked' }] });
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('a file it cannot read is stored as failed and the event is done; a .doc as unsupported', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    s3.on(GetObjectCommand).resolvesOnce(body(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 9, 9, 9]))).resolvesOnce(body(doc('plan.doc')));
    await expect(run(s3Event(KEY))).resolves.toEqual({ results: [{ key: KEY, outcome: 'failed' }] });
    const failed = ddb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(failed?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(failed?.Item).toMatchObject({ status: { S: 'failed' }, chars: { N: '0' }, checkedAt: { S: NOW }, detail: { S: expect.any(String) } });
    expect(failed?.Item?.sections).toEqual(marshall({ s: sections(() => false) }).s);

    const docKey = KEY.replace('.docx', '.doc');
    await expect(run(s3Event(docKey))).resolves.toEqual({ results: [{ key: docKey, outcome: 'unsupported' }] });
    expect(ddb.commandCalls(PutItemCommand)[1]?.args[0].input.Item).toMatchObject({ status: { S: 'unsupported' }, detail: { S: 'Word 97–2003 (.doc)' } });
  });

  it('an object larger than any accepted plan is not read', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    await expect(run(s3Event(KEY, { size: 20 * 1024 * 1024 + 1 }))).resolves.toEqual({ results: [{ key: KEY, outcome: 'failed' }] });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item).toMatchObject({ status: { S: 'failed' }, sections: { L: [] } });
  });

  it('an S3 read that fails throws, so Lambda retries the event; nothing is stored', async () => {
    ddb.on(GetItemCommand).resolves({});
    s3.on(GetObjectCommand)
      .rejectsOnce(new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'We encountered an internal error' }))
      .rejectsOnce(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
    await expect(run(s3Event(KEY))).rejects.toThrow(/internal error/);
    await expect(run(s3Event(KEY))).rejects.toThrow(/does not exist/);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('a table write that fails throws too', async () => {
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    s3.on(GetObjectCommand).resolves(body(doc('precheck/crisis-plan.docx')));
    await expect(run(s3Event(KEY))).rejects.toThrow(/ProvisionedThroughput/);
  });

  it('an event it cannot understand throws; other event types are skipped', async () => {
    await expect(run({ hello: 'world' })).rejects.toThrow(/precheck: not an S3 event/);
    await expect(run(s3Event(`incoming/2019-plans/dh-school-1/crisis-plan/${UPLOAD_ID}.docx`))).rejects.toThrow(/names no accepted version/);
    await expect(run(s3Event(`accepted/2019-plans/dh-school-1/crisis-plan/${UPLOAD_ID}`))).rejects.toThrow(/names no accepted version/);
    await expect(run(s3Event(KEY, { eventName: 'ObjectRemoved:Delete' }))).resolves.toEqual({ results: [] });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
    expect(ddb).not.toHaveReceivedCommand(GetItemCommand);
  });
});
