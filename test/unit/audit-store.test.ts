/**
 * The audit trail's DynamoDB adapter (functions/audit/store.ts) with aws-sdk-client-mock: the exact
 * commands (the conditional PutItem, the Queries), a redelivery appending nothing, and every paging loop
 * over small pages (AWS pages at 1 MB; dynalite answers in one page). The in-memory fake keeps the same rules.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { type AttributeValue, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { auditCursor, auditKey, auditLog, auditReader, auditWriter } from '../../functions/audit/store.js';
import { AUDIT_ACTION_LABEL, AUDIT_ACTIONS, AuditEvent, AuditQuery } from '../../schemas/audit.js';
import { conditionFailed, FakeAuditLog } from './fakes.js';

const TABLE = 'psy-audit';
const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());

const event = (n: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  campaignId: '2019-plans',
  orgId: 'dh-school-1',
  at: new Date(Date.UTC(2019, 5, 20, 2, n)).toISOString(),
  id: `e${n}`,
  action: 'review.returned',
  actor: 'district:dh',
  actorName: '东湖区教科体局',
  document: 'crisis-plan',
  version: 2,
  before: { review: 'pending' },
  after: { review: 'returned', dueAt: '2019-07-05T15:59:59.999Z' },
  note: '请补充危机干预流程',
  ...over,
});
/** An item as the table holds it: the keys and the event. */
const itemOf = (e: AuditEvent) => marshall({ ...auditKey(e), ...e }, { removeUndefinedValues: true });
const lek = (e: AuditEvent): Record<string, AttributeValue> => ({ pk: { S: `AUDIT#${e.campaignId}` }, sk: { S: auditCursor(e) } });

describe('append', () => {
  it('is one PutItem of the keys and the event, conditional on the key being new', async () => {
    ddb.on(PutItemCommand).resolves({});
    const e = event(1);
    expect(await auditWriter(ddb as unknown as DynamoDBClient, TABLE).append(e)).toBe('appended');
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ddb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: marshall({
        pk: 'AUDIT#2019-plans',
        sk: '2019-06-20T02:01:00.000Z#dh-school-1#e1',
        gsi1pk: 'AUDIT#2019-plans#dh-school-1',
        gsi1sk: '2019-06-20T02:01:00.000Z#e1',
        ...e,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('a redelivery (the key exists) is "exists" and nothing else; other errors are not swallowed', async () => {
    ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).rejectsOnce(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    const log = auditLog(ddb as unknown as DynamoDBClient, TABLE);
    expect(await log.append(event(1))).toBe('exists');
    await expect(log.append(event(1))).rejects.toThrow('slow down');
    // Never anything but PutItem: no update, no delete.
    expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual(['PutItemCommand', 'PutItemCommand']);
  });

  it('refuses an event that does not fit the schema before writing anything', async () => {
    ddb.on(PutItemCommand).resolves({});
    const w = auditWriter(ddb as unknown as DynamoDBClient, TABLE);
    for (const bad of [
      { at: '2019-06-20T02:01:00Z' }, // not the one sortable form (milliseconds, Z)
      { at: '2019-06-20T10:01:00.000+08:00' },
      { action: 'plan.deleted' },
      { actor: 'someone' },
      { orgId: 'D#dh' },
      { id: 'has space' },
      { note: '长'.repeat(501) },
      { version: 0 },
      { after: { big: 'x'.repeat(9000) } },
    ] as Partial<AuditEvent>[]) {
      await expect(w.append(event(1, bad)), JSON.stringify(bad).slice(0, 60)).rejects.toThrow();
    }
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 0);
    expect(await w.append(event(1, { note: '长'.repeat(500) }))).toBe('appended');
  });
});

describe('listCampaign', () => {
  it('the whole trail: one Query on the campaign, every page (pages of 2), in time order, keys stripped', async () => {
    const es = [1, 2, 3, 4, 5].map((n) => event(n));
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: es.slice(0, 2).map(itemOf), LastEvaluatedKey: lek(es[1]!) })
      .resolvesOnce({ Items: es.slice(2, 4).map(itemOf), LastEvaluatedKey: lek(es[3]!) })
      .resolvesOnce({ Items: es.slice(4).map(itemOf) });
    const got = await auditReader(ddb as unknown as DynamoDBClient, TABLE).listCampaign('2019-plans');
    expect(got).toEqual(es);
    expect(got[0]).not.toHaveProperty('pk');
    expect(got[0]).not.toHaveProperty('gsi1sk');
    const inputs = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    const base = { TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'AUDIT#2019-plans' } } };
    expect(inputs).toEqual([
      { ...base, ExclusiveStartKey: undefined },
      { ...base, ExclusiveStartKey: lek(es[1]!) },
      { ...base, ExclusiveStartKey: lek(es[3]!) },
    ]);
  });

  it('with limit and before: newest first from the cursor, page by page, stops when it has enough, returns time order', async () => {
    const es = [1, 2, 3, 4, 5, 6, 7].map((n) => event(n));
    const before = auditCursor(es[6]!);
    // Pages smaller than asked for (1 MB pages): 2, then 1, then (enough) no more requests.
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [es[5]!, es[4]!].map(itemOf), LastEvaluatedKey: lek(es[4]!) })
      .resolvesOnce({ Items: [es[3]!].map(itemOf), LastEvaluatedKey: lek(es[3]!) })
      .resolvesOnce({ Items: [es[2]!].map(itemOf), LastEvaluatedKey: lek(es[2]!) });
    const got = await auditReader(ddb as unknown as DynamoDBClient, TABLE).listCampaign('2019-plans', { limit: 4, before });
    expect(got.map((e) => e.id)).toEqual(['e3', 'e4', 'e5', 'e6']);
    const base = {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND sk < :before',
      ExpressionAttributeValues: { ':pk': { S: 'AUDIT#2019-plans' }, ':before': { S: before } },
      ScanIndexForward: false,
    };
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      { ...base, Limit: 4, ExclusiveStartKey: undefined },
      { ...base, Limit: 2, ExclusiveStartKey: lek(es[4]!) },
      { ...base, Limit: 1, ExclusiveStartKey: lek(es[3]!) },
    ]);
  });

  it('with a limit larger than the trail: every page until there is no LastEvaluatedKey (a last full page included)', async () => {
    const es = [1, 2, 3, 4].map((n) => event(n));
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [es[3]!, es[2]!].map(itemOf), LastEvaluatedKey: lek(es[2]!) })
      .resolvesOnce({ Items: [es[1]!, es[0]!].map(itemOf), LastEvaluatedKey: lek(es[0]!) })
      .resolvesOnce({ Items: [] });
    const got = await auditReader(ddb as unknown as DynamoDBClient, TABLE).listCampaign('2019-plans', { limit: 10 });
    expect(got).toEqual(es);
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.Limit)).toEqual([10, 8, 6]);
    await expect(auditReader(ddb as unknown as DynamoDBClient, TABLE).listCampaign('2019-plans', { limit: 0 })).rejects.toThrow(RangeError);
  });

  it('an instant works as `before`: strictly earlier events only (a cursor at that instant sorts after it)', () => {
    const at = event(3).at;
    expect(auditCursor(event(2)) < at).toBe(true);
    expect(auditCursor(event(3)) < at).toBe(false);
    expect(AuditQuery.safeParse({ before: at }).success).toBe(true);
    expect(AuditQuery.safeParse({ before: auditCursor(event(3)) }).success).toBe(true);
    expect(AuditQuery.safeParse({ before: '2019-06-20' }).success).toBe(false);
    expect(AuditQuery.safeParse({ org: 'all' }).success).toBe(false);
    expect(AuditQuery.safeParse({ org: 'dh', scope: 'x' }).success).toBe(false);
  });
});

describe('listOrg', () => {
  it('one Query of gsi1 on the campaign and org, every page', async () => {
    const es = [1, 2, 3].map((n) => event(n));
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: es.slice(0, 2).map(itemOf), LastEvaluatedKey: { ...lek(es[1]!), gsi1pk: { S: 'x' }, gsi1sk: { S: 'y' } } })
      .resolvesOnce({ Items: es.slice(2).map(itemOf) });
    expect(await auditReader(ddb as unknown as DynamoDBClient, TABLE).listOrg('2019-plans', 'dh-school-1')).toEqual(es);
    const inputs = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      TableName: TABLE,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'AUDIT#2019-plans#dh-school-1' } },
      ExclusiveStartKey: undefined,
    });
    expect(inputs).toHaveLength(2);
  });
});

describe('the schema and the fake', () => {
  it('labels every action in Chinese', () => {
    expect(Object.keys(AUDIT_ACTION_LABEL).sort()).toEqual([...AUDIT_ACTIONS].sort());
    for (const a of AUDIT_ACTIONS) expect(AUDIT_ACTION_LABEL[a]).toMatch(/^[\u4e00-\u9fff（）]+$/);
    expect(AUDIT_ACTION_LABEL['review.returned']).toBe('退回修改');
    expect(AUDIT_ACTION_LABEL['file.downloaded']).toBe('下载文件');
    expect(AUDIT_ACTIONS).toHaveLength(26); // 16 of the plans, 10 of the parent-contact logs
    expect(AUDIT_ACTION_LABEL['contact.denied']).toBe('越权访问被拒绝');
  });

  it('FakeAuditLog keeps the adapter’s rules: same key twice is "exists" and changes nothing; time order; limit takes the latest', async () => {
    const log = new FakeAuditLog();
    expect(await log.append(event(2))).toBe('appended');
    expect(await log.append(event(1))).toBe('appended');
    expect(await log.append({ ...event(2), note: '改过的备注' })).toBe('exists');
    expect(await log.append(event(3, { orgId: 'dh' }))).toBe('appended');
    expect(await log.append(event(1, { campaignId: '2020-plans' }))).toBe('appended');
    expect((await log.listCampaign('2019-plans')).map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    expect((await log.listCampaign('2019-plans')).find((e) => e.id === 'e2')?.note).toBe('请补充危机干预流程');
    expect((await log.listCampaign('2019-plans', { limit: 2 })).map((e) => e.id)).toEqual(['e2', 'e3']);
    expect((await log.listCampaign('2019-plans', { before: auditCursor(event(2)) })).map((e) => e.id)).toEqual(['e1']);
    expect((await log.listOrg('2019-plans', 'dh-school-1')).map((e) => e.id)).toEqual(['e1', 'e2']);
    await expect(log.append(event(4, { at: '2019-06-20T02:04:00Z' }))).rejects.toThrow();
    // What a caller holds is a copy.
    const [first] = await log.listCampaign('2019-plans');
    first!.note = 'changed';
    expect((await log.listCampaign('2019-plans'))[0]!.note).toBe('请补充危机干预流程');
    expect(AuditEvent.safeParse(first).success).toBe(true);
  });
});
