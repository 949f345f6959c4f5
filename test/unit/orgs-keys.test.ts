/**
 * Ids and route keys live in separate namespaces (schemas/orgs.ts), reserved words are never ids,
 * and the org store writes and queries gsi1 with the new route keys (aws-sdk-client-mock, exact inputs).
 */
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, QueryCommand, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { orgStore } from '../../functions/orgs/store.js';
import { Campaign } from '../../schemas/campaigns.js';
import { CITY_ROUTE_KEY, DIRECT_ROUTE_KEY, type Org, OrgId, RESERVED_IDS, routeKeyOf } from '../../schemas/orgs.js';
import { campaignInput, orgs } from './samples.js';

const org = (o: Partial<Org> & Pick<Org, 'id' | 'kind'>): Org => ({ name: '某机构', contacts: [], tokenVersion: 1, ...o });

describe('routeKeyOf', () => {
  it('is D#<districtId> for a District office and its schools, DIRECT for Direct schools, CITY for the Bureau and Centre', () => {
    expect(routeKeyOf(orgs.dh)).toBe('D#dh');
    expect(routeKeyOf(orgs.dhSchool1)).toBe('D#dh');
    expect(routeKeyOf(orgs.xhSchool1)).toBe('D#xh');
    expect(routeKeyOf(orgs.direct1)).toBe('DIRECT');
    expect(routeKeyOf(orgs.bureau)).toBe('CITY');
    expect(routeKeyOf(orgs.centre)).toBe('CITY');
    expect([DIRECT_ROUTE_KEY, CITY_ROUTE_KEY]).toEqual(['DIRECT', 'CITY']);
  });

  it('no org id equals or prefixes a route key, whatever the ids (the old "direct"/"city" literals included)', () => {
    // Ids that used to meet a route key: a District called "direct" or "city", or "dh" vs "dh2".
    const tricky = ['direct', 'city', 'dh', 'dh2', 'd', 'd-dh', 'direct-1', 'city-school'];
    const registry: Org[] = [
      org({ id: 'dh', kind: 'district' }),
      org({ id: 'dh2', kind: 'district' }),
      org({ id: 'd-dh', kind: 'district' }),
      org({ id: 'dh-s1', kind: 'school', districtId: 'dh' }),
      org({ id: 'dh2-s1', kind: 'school', districtId: 'dh2' }),
      org({ id: 'direct-1', kind: 'school', directKind: '局属学校' }),
      org({ id: 'city-school', kind: 'school', directKind: '局属学校' }),
      org({ id: 'bureau', kind: 'bureau' }),
    ];
    const keys = new Set(registry.map(routeKeyOf));
    expect([...keys].sort()).toEqual(['CITY', 'D#d-dh', 'D#dh', 'D#dh2', 'DIRECT']);
    for (const id of [...tricky, ...registry.map((o) => o.id)]) {
      for (const k of keys) {
        expect(k === id, `${k} vs ${id}`).toBe(false);
        expect(k.startsWith(`${id}#`), `${k} vs ${id}#`).toBe(false);
        expect(id.startsWith(`${k}#`), `${id} vs ${k}#`).toBe(false);
      }
    }
    // The store's prefix for a District never takes in another District's orgs.
    const under = (rk: string) => registry.filter((o) => `${routeKeyOf(o)}#${o.id}`.startsWith(`${rk}#`)).map((o) => o.id);
    expect(under('D#dh')).toEqual(['dh', 'dh-s1']);
    expect(under('D#dh2')).toEqual(['dh2', 'dh2-s1']);
    expect(under('DIRECT')).toEqual(['direct-1', 'city-school']);
    expect(under('CITY')).toEqual(['bureau']);
  });
});

describe('OrgId and RESERVED_IDS', () => {
  it('lists at least the documented reserved words', () => {
    for (const w of ['direct', 'city', 'all', 'none', 'orgs', 'campaigns', 'api', 'admin', 'status', 'upload', 'files', 'exports']) {
      expect(RESERVED_IDS).toContain(w);
    }
  });

  it('refuses every reserved word, and keeps the documented charset (lower case, digits, -, 2–48, no leading -)', () => {
    for (const w of RESERVED_IDS) expect(OrgId.safeParse(w).success, w).toBe(false);
    for (const ok of ['dh', 'd-donghu', 's-donghu-wutong', '2019', 'direct-1', 'city2', 'all-schools', 'a'.repeat(48)]) {
      expect(OrgId.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of ['D#dh', 'DIRECT', 'CITY', 'a#b', 'Dh', '-dh', 'd', 'a'.repeat(49), 'd_h', 'd h', '']) {
      expect(OrgId.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('refuses a reserved word in a campaign audience list and as the receiver', () => {
    expect(Campaign.safeParse({ ...campaignInput, audience: { orgIds: ['dh-school-1'] } }).success).toBe(true);
    const audience = Campaign.safeParse({ ...campaignInput, audience: { orgIds: ['dh-school-1', 'all'] } });
    expect(audience.success).toBe(false);
    expect(audience.error?.issues.map((i) => i.path)).toEqual([['audience', 'orgIds', 1]]);
    expect(Campaign.safeParse({ ...campaignInput, receiverId: 'city' }).success).toBe(false);
  });
});

describe('orgStore (DynamoDB commands)', () => {
  const ddb = mockClient(DynamoDBClient);
  const store = orgStore(ddb as unknown as DynamoDBClient, 'psy-table');
  afterEach(() => ddb.reset());

  it('upsert writes gsi1sk <routeKey>#<id> every time and asks for ALL_OLD', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    await store.upsert(orgs.dhSchool1);
    await store.upsert(orgs.direct1);
    const inputs = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.ExpressionAttributeValues?.[':gs'])).toEqual([{ S: 'D#dh#dh-school-1' }, { S: 'DIRECT#direct-1' }]);
    expect(inputs[0]).toEqual({
      TableName: 'psy-table',
      Key: marshall({ pk: 'ORG#dh-school-1', sk: 'ORG' }),
      UpdateExpression:
        'SET tokenVersion = if_not_exists(tokenVersion, :v), gsi1pk = :g, gsi1sk = :gs, #id = :id, #name = :name, #kind = :kind, #districtId = :districtId, #contacts = :contacts REMOVE #directKind',
      ExpressionAttributeNames: { '#id': 'id', '#name': 'name', '#kind': 'kind', '#districtId': 'districtId', '#directKind': 'directKind', '#contacts': 'contacts' },
      ExpressionAttributeValues: marshall({
        ':v': 1,
        ':g': 'ORGS',
        ':gs': 'D#dh#dh-school-1',
        ':id': 'dh-school-1',
        ':name': orgs.dhSchool1.name,
        ':kind': 'school',
        ':districtId': 'dh',
        ':contacts': orgs.dhSchool1.contacts,
      }),
      ReturnValues: 'ALL_OLD',
    });
  });

  it('upsert says "updated" for an unchanged org even where UPDATED_OLD leaves out unchanged attributes', async () => {
    // A DynamoDB implementation that returns, for UPDATED_OLD, only attributes whose value changed
    // (so nothing for an unchanged re-import), and the whole old item for ALL_OLD.
    const stored = new Map<string, Record<string, unknown>>();
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const key = JSON.stringify(input.Key);
      const old = stored.get(key);
      const next = { ...input.Key, ...input.ExpressionAttributeValues };
      stored.set(key, next);
      if (!old) return {};
      if (input.ReturnValues === 'ALL_OLD') return { Attributes: old };
      if (input.ReturnValues === 'UPDATED_OLD') {
        const changed = Object.entries(old).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(next[k]));
        return changed.length ? { Attributes: Object.fromEntries(changed) } : {};
      }
      return {};
    });
    expect(await store.upsert(orgs.dhSchool1)).toBe('created');
    expect(await store.upsert(orgs.dhSchool1)).toBe('updated');
    expect(await store.upsert({ ...orgs.dhSchool1, name: '东湖区第一小学（新名）' })).toBe('updated');
    expect(await store.upsert(orgs.dhSchool2)).toBe('created');
  });

  it('list(routeKey) queries gsi1 with begins_with "<routeKey>#"; list() all orgs', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await store.list('D#dh');
    await store.list();
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'psy-table',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :r)',
        ExpressionAttributeValues: marshall({ ':p': 'ORGS', ':r': 'D#dh#' }),
      },
      { TableName: 'psy-table', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: marshall({ ':p': 'ORGS' }) },
    ]);
  });
});
