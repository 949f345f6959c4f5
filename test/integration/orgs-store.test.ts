/**
 * The org store on dynalite: route keys in gsi1sk (D#<district>, DIRECT), a re-import rewrites the
 * gsi1sk of orgs stored under an old route key, list(routeKey) never takes in a District whose id
 * extends another's, and created/updated is decided from the whole old item (ALL_OLD).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getItem, putItem } from '../../functions/shared/clients/dynamodb.js';
import { orgKey, orgStore } from '../../functions/orgs/store.js';
import type { Org } from '../../schemas/orgs.js';
import { useRuntime } from './helpers.js';

const rt = useRuntime();
const orgs = orgStore(rt.ddb, rt.table);
const H = 'id,name,kind,district,direct_kind,contact_name,contact_email,contact_phone';
const raw = async (id: string) => (await getItem(rt.ddb, { TableName: rt.table, Key: orgKey(id), ConsistentRead: true })) as Record<string, unknown>;

beforeAll(async () => {
  // As the previous version stored them: gsi1sk under the District's bare id and under "direct".
  const old = (o: Org, gsi1sk: string) => putItem(rt.ddb, { TableName: rt.table, Item: { ...orgKey(o.id), gsi1pk: 'ORGS', gsi1sk, ...o } });
  await old({ id: 'it-rk-d', name: '集成测试路由县区', kind: 'district', contacts: [], tokenVersion: 1 }, 'it-rk-d#it-rk-d');
  await old({ id: 'it-rk-s1', name: '集成测试路由甲小学', kind: 'school', districtId: 'it-rk-d', contacts: [], tokenVersion: 3 }, 'it-rk-d#it-rk-s1');
  await old({ id: 'it-rk-x1', name: '集成测试路由直属校', kind: 'school', directKind: '局属学校', contacts: [], tokenVersion: 1 }, 'direct#it-rk-x1');
});

describe('org store on dynalite', () => {
  it('a re-import moves orgs stored under an old route key to D#<district> / DIRECT, keeping token versions; all reported as updated', async () => {
    expect(await orgs.list('D#it-rk-d')).toEqual([]); // the old items are not under the new key yet
    const r = await rt.ops.importOrgs(
      [
        H,
        'it-rk-d,集成测试路由县区,district,,,,,',
        'it-rk-s1,集成测试路由甲小学,school,it-rk-d,,,,',
        'it-rk-x1,集成测试路由直属校,school,,局属学校,,,',
        'it-rk-d2,集成测试路由县区二,district,,,,,',
        'it-rk-d2-s1,集成测试路由县区二小学,school,it-rk-d2,,,,',
      ].join('\n'),
    );
    expect(r).toMatchObject({ ok: true, created: 2, updated: 3 });

    expect((await raw('it-rk-d')).gsi1sk).toBe('D#it-rk-d#it-rk-d');
    expect((await raw('it-rk-s1')).gsi1sk).toBe('D#it-rk-d#it-rk-s1');
    expect((await raw('it-rk-x1')).gsi1sk).toBe('DIRECT#it-rk-x1');
    expect((await raw('it-rk-d2-s1')).gsi1sk).toBe('D#it-rk-d2#it-rk-d2-s1');
    expect((await raw('it-rk-s1')).tokenVersion).toBe(3);

    // "it-rk-d" is a prefix of "it-rk-d2": the District's list must not take in the other's orgs.
    expect((await orgs.list('D#it-rk-d')).map((o) => o.id)).toEqual(['it-rk-d', 'it-rk-s1']);
    expect((await orgs.list('D#it-rk-d2')).map((o) => o.id)).toEqual(['it-rk-d2', 'it-rk-d2-s1']);
    expect((await orgs.list('DIRECT')).map((o) => o.id)).toContain('it-rk-x1');
    expect((await orgs.list('DIRECT')).map((o) => o.id)).not.toContain('it-rk-s1');
    // Nothing is left under the old keys.
    expect((await orgs.list('it-rk-d')).map((o) => o.id)).toEqual([]);
    expect((await orgs.list('direct')).map((o) => o.id)).not.toContain('it-rk-x1');
  });

  it('upsert: created once, then updated — also when nothing changed', async () => {
    const o: Org = { id: 'it-rk-up', name: '集成测试更新县区', kind: 'district', contacts: [], tokenVersion: 1 };
    expect(await orgs.upsert(o)).toBe('created');
    expect(await orgs.upsert(o)).toBe('updated');
    expect(await orgs.upsert({ ...o, name: '集成测试更新县区（改名）' })).toBe('updated');
    expect(await orgs.bumpTokenVersion(o.id)).toBe(2);
    expect(await orgs.upsert(o)).toBe('updated');
    expect(await orgs.get(o.id)).toEqual({ ...o, tokenVersion: 2 }); // an import never revives a revoked link
  });

  it('importing the same file twice: every org new the first time, updated the second', async () => {
    const csv = [H, 'it-rk-again-d,集成测试重复导入县区,district,,,,,', 'it-rk-again-s,集成测试重复导入小学,school,it-rk-again-d,,,,'].join('\n');
    expect(await rt.ops.importOrgs(csv)).toMatchObject({ ok: true, created: 2, updated: 0 });
    expect(await rt.ops.importOrgs(csv)).toMatchObject({ ok: true, created: 0, updated: 2 });
  });
});
