/**
 * The contact logs' DynamoDB adapters (functions/contacts/store.ts) with aws-sdk-client-mock: the exact
 * commands and conditions — a class counted in a period with a string-set ADD (idempotent), a log created only
 * once and corrected only from the version the writer read, a concern raised only upwards and acknowledged
 * once, expired content never returned (TTL deletes late; dynalite never), and the query loops over pages.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContactLog } from '../../schemas/contacts.js';
import { concernWriter, logStore, summaryKey, summaryStore } from '../../functions/contacts/store.js';
import { conditionFailed } from './fakes.js';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());
const client = ddb as unknown as DynamoDBClient;
const NOW = new Date('2019-06-05T02:00:00.000Z');
const log = (over: Partial<ContactLog> = {}): ContactLog => ({
  schoolId: 'dh-school',
  classId: 'caaaaaaaa',
  logId: 'aaaaaaaaaaaa',
  period: '2019-W23',
  author: { person: 'h.caaaaaaaa', v: 1 },
  versions: [{ date: '2019-06-05', method: '电话', contacted: '母亲', students: '', topics: ['学习'], summary: '好', concern: '无', at: NOW.toISOString(), byName: '王老师' }],
  createdAt: NOW.toISOString(),
  ttl: Math.floor(NOW.getTime() / 1000) + 86400,
  ...over,
});

describe('period summaries', () => {
  it('count a class with a string-set ADD (a repeat adds nothing) and take it out with DELETE', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    const s = summaryStore(client, 'main');
    await s.mark('dh-school', '2019-W23', 'caaaaaaaa', 'logged');
    await s.unmark('dh-school', '2019-W23', 'caaaaaaaa', 'logged');
    const [add, del] = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(add).toEqual({
      TableName: 'main',
      Key: marshall({ pk: 'SCHOOL#dh-school', sk: 'CSUM#2019-W23' }),
      UpdateExpression: 'SET schoolId = :s, period = :p ADD #set :c',
      ExpressionAttributeNames: { '#set': 'logged' },
      ExpressionAttributeValues: { ':s': { S: 'dh-school' }, ':p': { S: '2019-W23' }, ':c': { SS: ['caaaaaaaa'] } },
    });
    expect(del?.UpdateExpression).toBe('DELETE #set :c');
    expect(del?.ExpressionAttributeValues).toEqual({ ':c': { SS: ['caaaaaaaa'] } });
  });
});

describe('logs', () => {
  it('a new log is written only if its id is new; a correction only over the version count it read', async () => {
    ddb.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).resolvesOnce({});
    const s = logStore(client, 'contacts', () => NOW);
    expect(await s.create(log())).toBe(true);
    expect(await s.create(log())).toBe(false);
    expect(await s.update(log({ versions: [...log().versions, ...log().versions] }), 1)).toBe(true);
    const calls = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({ TableName: 'contacts', ConditionExpression: 'attribute_not_exists(pk)' });
    expect(calls[0]?.Item?.sk).toEqual({ S: 'LOG#caaaaaaaa#aaaaaaaaaaaa' });
    expect(calls[2]).toMatchObject({ ConditionExpression: 'size(versions) = :n', ExpressionAttributeValues: { ':n': { N: '1' } } });
  });

  it('never returns expired content, and reads every page of a class', async () => {
    const expired = log({ logId: 'bbbbbbbbbbbb', ttl: Math.floor(NOW.getTime() / 1000) - 1 });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [marshall({ pk: 'SCHOOL#dh-school', sk: 'LOG#caaaaaaaa#aaaaaaaaaaaa', ...log() })], LastEvaluatedKey: { pk: { S: 'x' }, sk: { S: 'y' } } })
      .resolvesOnce({ Items: [marshall({ pk: 'SCHOOL#dh-school', sk: 'LOG#caaaaaaaa#bbbbbbbbbbbb', ...expired })] });
    ddb.on(GetItemCommand).resolves({ Item: marshall({ pk: 'p', sk: 's', ...expired }) });
    const s = logStore(client, 'contacts', () => NOW);
    expect((await s.list('dh-school', 'caaaaaaaa')).map((l) => l.logId)).toEqual(['aaaaaaaaaaaa']);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':p': { S: 'LOG#caaaaaaaa#' } } });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(2);
    expect(await s.get('dh-school', 'caaaaaaaa', 'bbbbbbbbbbbb')).toBeUndefined();
  });
});

describe('concerns', () => {
  it('a 紧急 enters the open index and needs a fresh acknowledgement; 关注 never lowers it', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ schoolId: 'dh-school', classId: 'caaaaaaaa', logId: 'aaaaaaaaaaaa', level: '紧急', raisedAt: NOW.toISOString() }) });
    const c = concernWriter(client, 'main');
    const r = await c.raise({ schoolId: 'dh-school', classId: 'caaaaaaaa', logId: 'aaaaaaaaaaaa', level: '紧急', raisedAt: NOW.toISOString() });
    expect(r.raised).toBe(true);
    const input = ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('attribute_not_exists(#level) OR #level <> :lv');
    expect(input?.UpdateExpression).toContain('REMOVE ackAt, ackBy, ackByName, escalatedAt');
    expect(input?.ExpressionAttributeValues?.[':open']).toEqual({ S: 'CONCERN#OPEN' });
    ddb.reset();
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ level: '关注' }) });
    await c.raise({ schoolId: 'dh-school', classId: 'caaaaaaaa', logId: 'aaaaaaaaaaaa', level: '关注', raisedAt: NOW.toISOString() });
    const watch = ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(watch?.ConditionExpression).toBe('attribute_not_exists(#level)');
    expect(watch?.ExpressionAttributeValues?.[':open']).toEqual({ S: 'CONCERN#WATCH#2019-06-05' });
  });

  it('is acknowledged once: the second gets the first acknowledgement back', async () => {
    const item = marshall({ schoolId: 'dh-school', classId: 'caaaaaaaa', logId: 'aaaaaaaaaaaa', level: '紧急', raisedAt: NOW.toISOString(), ackAt: NOW.toISOString(), ackByName: '赵主任' });
    ddb.on(GetItemCommand).resolves({ Item: item });
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    const r = await concernWriter(client, 'main').ack('dh-school', 'aaaaaaaaaaaa', 'person:dh-school/s.sqqqqqqqq', '刘老师', NOW.toISOString());
    expect(r).toMatchObject({ acked: false, item: { ackByName: '赵主任' } });
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ConditionExpression).toBe('attribute_exists(pk) AND attribute_not_exists(ackAt)');
  });
});

describe('many summaries by key (BatchGetItem)', () => {
  it('100 keys a request, a few at once; unprocessed keys asked again; every item once', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => ({ schoolId: `s-${i}`, period: '2019-05' }));
    let first = true;
    ddb.on(BatchGetItemCommand).callsFake((input: { RequestItems: Record<string, { Keys: Record<string, { S: string }>[] }> }) => {
      const asked = input.RequestItems.main?.Keys ?? [];
      // The first request leaves its last key unprocessed.
      const unprocessed = first ? asked.slice(-1) : [];
      first = false;
      const answered = asked.slice(0, asked.length - unprocessed.length).map((k) => ({ ...k, schoolId: { S: (k.pk?.S ?? '').slice(7) }, period: { S: '2019-05' }, logged: { SS: ['caaaaaaaa'] } }));
      return { Responses: { main: answered }, UnprocessedKeys: unprocessed.length ? { main: { Keys: unprocessed } } : {} };
    });
    const got = await summaryStore(client, 'main').getMany(keys);
    expect(got.map((g) => g.schoolId).sort()).toEqual(keys.map((k) => k.schoolId).sort());
    const sizes = ddb.commandCalls(BatchGetItemCommand).map((c) => (c.args[0].input.RequestItems?.main?.Keys ?? []).length);
    expect(sizes.sort((a, b) => a - b)).toEqual([1, 50, 100, 100]);
    expect(summaryKey('s-0', '2019-05')).toEqual({ pk: 'SCHOOL#s-0', sk: 'CSUM#2019-05' });
  });
});
