/**
 * queryAll's paging loop against dynalite. dynalite answers a whole Query in one page (AWS pages at
 * 1 MB), so without a small Limit the loop's second turn never runs in tests: here every Query is
 * cut into pages of 2 and the pages are counted.
 */
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ddbClient, putItem, queryAll } from '../../functions/shared/clients/dynamodb.js';
import { useRuntime } from './helpers.js';

const rt = useRuntime();
const run = randomUUID();
const PK = `IT-PAGING#${run}`;
const sk = (i: number) => `ITEM#${String(i).padStart(2, '0')}`;

/** A client that counts the Query pages it sends. */
function countingClient() {
  const ddb = ddbClient();
  let pages = 0;
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === QueryCommand.name) pages += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countQueryPages' },
  );
  return { ddb, pages: () => pages };
}

beforeAll(async () => {
  // 7 items in one item collection, and the same 7 under a gsi1 partition of their own; 8 in another
  // (a multiple of the page size: the last full page still carries a LastEvaluatedKey).
  for (let i = 0; i < 7; i += 1) {
    await putItem(rt.ddb, {
      TableName: rt.table,
      Item: { pk: PK, sk: sk(i), n: i, gsi1pk: `IT-PAGING-G#${run}`, gsi1sk: `G#${String(6 - i).padStart(2, '0')}` },
    });
  }
  for (let i = 0; i < 8; i += 1) await putItem(rt.ddb, { TableName: rt.table, Item: { pk: `${PK}-8`, sk: sk(i), n: i } });
});

describe('queryAll pages with LastEvaluatedKey', () => {
  it('7 items in pages of 2: every item exactly once, in key order, in 4 pages', async () => {
    const { ddb, pages } = countingClient();
    const items = await queryAll<{ pk: string; sk: string; n: number }>(ddb, {
      TableName: rt.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PK },
      Limit: 2,
    });
    expect(items.map((i) => i.sk)).toEqual([0, 1, 2, 3, 4, 5, 6].map(sk));
    expect(items.map((i) => i.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pages()).toBe(4);
  });

  it('8 items in pages of 2: the empty page after a full last page adds nothing', async () => {
    const { ddb, pages } = countingClient();
    const items = await queryAll<{ sk: string }>(ddb, {
      TableName: rt.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${PK}-8` },
      Limit: 2,
    });
    expect(items.map((i) => i.sk)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(sk));
    expect(pages()).toBeGreaterThanOrEqual(4);
    expect(pages()).toBeLessThanOrEqual(5);
  });

  it('descending, with a key condition on the sort key, in pages of 2', async () => {
    const { ddb, pages } = countingClient();
    const items = await queryAll<{ sk: string }>(ddb, {
      TableName: rt.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': PK, ':p': 'ITEM#' },
      ScanIndexForward: false,
      Limit: 2,
    });
    expect(items.map((i) => i.sk)).toEqual([6, 5, 4, 3, 2, 1, 0].map(sk));
    expect(pages()).toBe(4);
  });

  it('on the gsi1 index (the LastEvaluatedKey then carries the index keys too), in pages of 2 and of 1', async () => {
    for (const limit of [2, 1]) {
      const { ddb, pages } = countingClient();
      const items = await queryAll<{ sk: string; gsi1sk: string }>(ddb, {
        TableName: rt.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :g',
        ExpressionAttributeValues: { ':g': `IT-PAGING-G#${run}` },
        Limit: limit,
      });
      expect(items.map((i) => i.sk), `Limit ${limit}`).toEqual([6, 5, 4, 3, 2, 1, 0].map(sk));
      expect(new Set(items.map((i) => i.sk)).size).toBe(7);
      expect(pages(), `Limit ${limit}`).toBeGreaterThanOrEqual(Math.ceil(7 / limit));
    }
  });
});
