/** The parent-contact bench's pure helpers (bench/contacts-scale.ts): the city's rosters and summaries, the items, the floor. */
import { describe, expect, it } from 'vitest';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { expectedClasses, periodsOfMonth } from '../../functions/contacts/completeness.js';
import { periodsBetween } from '../../functions/contacts/periods.js';
import {
  buildContactCity,
  CLASSES_MAX,
  CLASSES_MIN,
  floorUnits,
  MONTH,
  orgItem,
  rosterItem,
  SHARE_MONTHLY,
  summaryItem,
  summaryOf,
  TERM,
} from '../../bench/contacts-scale.js';
import { prng } from '../../bench/status-scale.js';

describe('the contacts bench: the city', () => {
  const city = buildContactCity();
  const rosters = [...city.rosters.values()];
  const sizes = rosters.map((r) => Object.keys(r.classes).length);

  it('has ~2,000 schools in 13 Districts and some Direct ones, each with a roster of 8–40 classes, ~40,000 in all', () => {
    expect(city.schools.length).toBeGreaterThanOrEqual(2000);
    expect(city.schools.some((s) => !s.districtId)).toBe(true);
    expect(rosters).toHaveLength(city.schools.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(CLASSES_MIN);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(CLASSES_MAX);
    const total = sizes.reduce((s, n) => s + n, 0);
    expect(total).toBeGreaterThan(38_000);
    expect(total).toBeLessThan(42_000);
  });

  it('mixes cadences (~20 % monthly) over a 20-week term', () => {
    const monthly = rosters.filter((r) => r.cadence[0]!.every === 'month').length / rosters.length;
    expect(monthly).toBeCloseTo(SHARE_MONTHLY, 1);
    expect(periodsBetween([{ from: TERM.start, every: 'week' }], TERM, TERM.start, TERM.end)).toHaveLength(20);
  });

  it('logs ~85 % of the class-periods, only of classes expected then, and writes no item for a period nobody marked', () => {
    const r = prng(1);
    let expected = 0;
    let logged = 0;
    for (const ro of rosters.slice(0, 300)) {
      for (const p of periodsOfMonth(ro, MONTH)) {
        const exp = expectedClasses(ro, p);
        const s = summaryOf(r, ro, p, city.logRate.get(ro.schoolId)!);
        expected += exp.length;
        if (!s) continue;
        expect([...s.logged, ...s.none].every((c) => exp.includes(c))).toBe(true);
        expect(s.logged.length + s.none.length).toBeGreaterThan(0);
        logged += s.logged.length;
      }
    }
    expect(logged / expected).toBeGreaterThan(0.78);
    expect(logged / expected).toBeLessThan(0.9);
  });
});

describe('the contacts bench: items and floor', () => {
  const city = buildContactCity();
  const school = city.schools[0]!;
  const roster = city.rosters.get(school.id)!;

  it('keys items as the stores do, with the org index and string sets (never an empty one)', () => {
    expect(unmarshall(orgItem(school))).toMatchObject({ pk: `ORG#${school.id}`, sk: 'ORG', gsi1pk: 'ORGS', gsi1sk: `D#${school.districtId}#${school.id}` });
    expect(unmarshall(rosterItem(roster))).toMatchObject({ pk: `SCHOOL#${school.id}`, sk: 'ROSTER', schoolId: school.id });
    const item = summaryItem({ schoolId: school.id, period: '2019-W20', logged: ['cabcdefgh'], none: [] });
    expect(item).toEqual({ pk: { S: `SCHOOL#${school.id}` }, sk: { S: 'CSUM#2019-W20' }, schoolId: { S: school.id }, period: { S: '2019-W20' }, logged: { SS: ['cabcdefgh'] } });
  });

  it('rounds the org Query once and each keyed item on its own; a key without an item costs one unit', () => {
    const small = { pk: { S: 'x' }, sk: { S: 'y' } };
    const big = { pk: { S: 'x' }, sk: { S: 'y' }, v: { S: 'a'.repeat(5000) } };
    expect(floorUnits([small, small, small], [small, small, big], 2)).toBe(1 + 1 + 1 + 2 + 2);
    expect(floorUnits([], [], 0)).toBe(0);
  });
});
