/**
 * The mailer handler (SQS event source, partial batch failures) with aws-sdk-client-mock: SES throttles
 * the second mail of a batch of three — the first is sent and recorded, the second is retried in place
 * (backoff) and then handed back with its entry returned to "queued", the third is not even tried; both
 * come back as batchItemFailures, nothing else. A record that is not an outbox message fails on its own.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, SESv2Client, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_KEY } from './samples.js';

const ENV: Record<string, string> = {
  TABLE_NAME: 'psy-table',
  SITE_ORIGIN: 'https://psy.example.cn',
  SIGNING_KEY,
  MAIL_FROM: 'noreply@psy.example.cn',
  MAIL_CONFIGURATION_SET: 'psy-set',
  MAIL_RATE_PER_SECOND: '500',
  AWS_REGION: 'cn-northwest-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTESTEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-access-key',
};
const saved: Record<string, string | undefined> = {};
const ddb = mockClient(DynamoDBClient);
const ses = mockClient(SESv2Client);
let handler: (e: SQSEvent, c: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const entry = (key: string, to: string) => ({
  pk: `MAIL#${key}`,
  sk: 'MAIL',
  key,
  about: { kind: 'reminder', campaignId: '2019-plans', orgId: 'dh-school-1', rule: 'before-7', day: '20190623' },
  payload: { channel: 'mail', mail: { to: [to], subject: '提醒', text: 't', html: '<p>t</p>' } },
  state: 'queued',
  claimedAt: '2019-06-23T01:00:00.000Z',
  attempts: 0,
});
const record = (id: string, body: string): SQSRecord =>
  ({ messageId: id, receiptHandle: `h-${id}`, body, attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:cn-northwest-1:000000000000:outbox', awsRegion: 'cn-northwest-1' }) as SQSRecord;

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  handler = (await import('../../functions/reminders/mailer.js')).handler as unknown as typeof handler;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  ddb.restore();
  ses.restore();
});

describe('mailer handler', () => {
  it('SES throttling mid-batch: the first mail is sent, the throttled one and the rest are handed back; a foreign record fails alone', { timeout: 20_000 }, async () => {
    const entries = new Map([
      ['k1', entry('k1', 'one@x.cn')],
      ['k2', entry('k2', 'two@x.cn')],
      ['k3', entry('k3', 'three@x.cn')],
    ]);
    ddb.on(GetItemCommand).callsFake((input: { Key: Record<string, never> }) => {
      const { pk } = unmarshall(input.Key) as { pk: string };
      const e = entries.get(pk.slice('MAIL#'.length));
      return { Item: e ? marshall(e) : undefined };
    });
    ddb.on(UpdateItemCommand).resolves({});
    ses.on(SendEmailCommand, { Destination: { ToAddresses: ['one@x.cn'] } }).resolves({ MessageId: 'ses-1' });
    ses.on(SendEmailCommand, { Destination: { ToAddresses: ['two@x.cn'] } }).rejects(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} }));

    const r = await handler(
      { Records: [record('m0', 'not json'), record('m1', '{"key":"k1"}'), record('m2', '{"key":"k2"}'), record('m3', '{"key":"k3"}')] },
      { getRemainingTimeInMillis: () => 60_000 } as Context,
    );
    expect(r).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });

    const sends = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    // k1 once; k2 three times (two in-place retries with backoff); k3 never.
    expect(sends.map((s) => s.Destination?.ToAddresses?.[0])).toEqual(['one@x.cn', 'two@x.cn', 'two@x.cn', 'two@x.cn']);
    expect(sends[0]).toMatchObject({
      ConfigurationSetName: 'psy-set',
      EmailTags: [
        { Name: 'org', Value: 'dh-school-1' },
        { Name: 'campaign', Value: '2019-plans' },
        { Name: 'kind', Value: 'reminder' },
      ],
    });
    // The ledger: k1 queued → sending → sent with the SES id, then its reminder line; k2 queued → sending → queued.
    const updates = ddb.commandCalls(UpdateItemCommand).map((c) => ({ key: unmarshall(c.args[0].input.Key ?? {}).pk as string, values: unmarshall(c.args[0].input.ExpressionAttributeValues ?? {}) }));
    expect(updates.filter((u) => u.key === 'MAIL#k1').map((u) => u.values[':state'])).toEqual(['sending', 'sent']);
    expect(updates.find((u) => u.key === 'MAIL#k1' && u.values[':state'] === 'sent')?.values[':messageId']).toBe('ses-1');
    expect(updates.filter((u) => u.key === 'MAIL#k2').map((u) => u.values[':state'])).toEqual(['sending', 'queued']);
    expect(updates.some((u) => u.key === 'MAIL#k3')).toBe(false);
    expect(updates.some((u) => u.key === 'CAMPAIGN#2019-plans')).toBe(true); // k1's line in the org's reminder ledger
  });
});
