/** The dashboard's numbers: per group and in total, the cumulative curve by Beijing day, the CSV. */
import { describe, expect, it } from 'vitest';
import { cumulative, dashboardCsv, dashboardRollup, MAX_CURVE_DAYS, orgRollup } from '../../functions/dashboard/rollup.js';
import { beijingDay } from '../../functions/shared/clock.js';
import { DEADLINE, DIRECT_NAME, EXTENDED, groups, NOW, orgs } from './dashboard-fixture.js';

const rollup = () => dashboardRollup(orgs, groups, { deadline: DEADLINE, now: NOW });

describe('dashboardRollup: per group and in total', () => {
  it('groups: Districts in route-key order, the Direct schools last, names from the groups list', () => {
    const r = rollup();
    expect(r.groups.map((g) => [g.group, g.name])).toEqual([
      ['D#dh', '东湖区教科体局'],
      ['D#xh', '西湖区教科体局'],
      ['DIRECT', DIRECT_NAME],
    ]);
  });

  it('东湖区: accepted, awaiting (extension), returned, returned and missing, missing, exempt', () => {
    const g = rollup().groups[0]!;
    expect(g).toEqual({
      group: 'D#dh',
      name: '东湖区教科体局',
      forwardedAt: '2019-07-01T09:00:00.000Z',
      receivedAt: '2019-07-01T10:30:00.000Z',
      audience: 6,
      expected: 5,
      exempt: 1,
      uploaded: 3, // dh, dh-1 (a returned document still has a version), dh-4
      accepted: 1, // dh
      awaiting: 1, // dh-4
      returned: 2, // dh-1, dh-5
      missing: 2, // dh-2, dh-5
      returnedMissing: 1, // dh-5
      late: 0, // dh-4's July upload was within its extension
      onTime: 3,
      overdue: 2, // dh-2, dh-5: something missing after 30 June
      open: 0,
      uploadedRate: 0.6,
      acceptedRate: 0.2,
      onTimeRate: 0.6,
    });
  });

  it('西湖区 with nobody expected: zeros, rates 0 (not NaN)', () => {
    const g = rollup().groups[1]!;
    expect(g).toMatchObject({ audience: 0, expected: 0, uploaded: 0, uploadedRate: 0, acceptedRate: 0, onTimeRate: 0 });
    expect(g.forwardedAt).toBeUndefined();
  });

  it('Direct schools and the total', () => {
    const r = rollup();
    expect(r.groups[2]).toMatchObject({ expected: 3, exempt: 0, uploaded: 2, accepted: 1, awaiting: 1, returned: 0, missing: 1, late: 1, onTime: 1, overdue: 1 });
    expect(r.groups[2]!.uploadedRate).toBeCloseTo(2 / 3, 10);
    expect(r.total).toMatchObject({
      group: '',
      name: '合计',
      audience: 9,
      expected: 8,
      exempt: 1,
      uploaded: 5,
      accepted: 2,
      awaiting: 2,
      returned: 2,
      missing: 3,
      returnedMissing: 1,
      late: 1,
      onTime: 4,
      overdue: 3,
      open: 0,
      uploadedRate: 0.625,
      acceptedRate: 0.25,
      onTimeRate: 0.5,
    });
    expect(r.expected).toBe(8);
    expect(r.forwarding).toEqual({ districts: 2, forwarded: 1, received: 1 });
    // The four bar segments partition the expected: accepted + awaiting + returned + (missing without a return).
    for (const g of [...r.groups, r.total]) expect(g.accepted + g.awaiting + g.returned + (g.missing - g.returnedMissing)).toBe(g.expected);
    for (const g of [...r.groups, r.total]) expect(g.onTime + g.late + g.overdue + g.open).toBe(g.expected);
  });

  it('per org: state, timeliness, when it completed; sorted by group, District office first, then by id', () => {
    const r = rollup();
    expect(r.orgs.map((o) => [o.orgId, o.state, o.timeliness, o.completedAt ?? null])).toEqual([
      ['dh', 'accepted', 'onTime', '2019-06-21T03:00:00.000Z'],
      ['dh-1', 'returned', 'onTime', '2019-06-29T16:30:00.000Z'],
      ['dh-2', 'missing', 'overdue', null],
      ['dh-3', 'exempt', 'exempt', null],
      ['dh-4', 'awaiting', 'onTime', '2019-07-01T04:00:00.000Z'],
      ['dh-5', 'returned', 'overdue', null],
      ['direct-1', 'accepted', 'late', '2019-07-01T01:00:00.000Z'],
      ['direct-2', 'awaiting', 'onTime', '2019-06-30T10:00:00.000Z'],
      ['direct-3', 'missing', 'overdue', null],
    ]);
  });

  it('the same org before its deadline is open; after its extended deadline, overdue', () => {
    const o = { ...orgs.find((x) => x.orgId === 'dh-2')!, deadline: EXTENDED };
    expect(orgRollup(o, NOW).timeliness).toBe('open');
    expect(orgRollup(o, '2019-07-06T00:00:00Z').timeliness).toBe('overdue');
  });

  it('a group drill-down: only that group, its curve, its bundle', () => {
    const r = dashboardRollup(orgs, groups, { deadline: DEADLINE, now: NOW, group: 'DIRECT' });
    expect(r.groups.map((g) => g.group)).toEqual(['DIRECT']);
    expect(r.total.expected).toBe(3);
    expect(r.orgs.map((o) => o.orgId)).toEqual(['direct-1', 'direct-2', 'direct-3']);
    expect(r.curve.at(-1)).toEqual({ day: '2019-07-02', count: 2 });
    expect(r.forwarding).toEqual({ districts: 0, forwarded: 0, received: 0 });
  });

  it('no orgs at all: empty groups, zero totals, a curve from today to the deadline', () => {
    const r = dashboardRollup([], [], { deadline: DEADLINE, now: '2019-06-28T00:00:00Z' });
    expect(r.groups).toEqual([]);
    expect(r.total.expected).toBe(0);
    expect(r.total.onTimeRate).toBe(0);
    expect(r.curve.map((p) => p.day)).toEqual(['2019-06-28', '2019-06-29', '2019-06-30']);
    expect(r.curve.every((p) => p.count === 0)).toBe(true);
  });
});

describe('the cumulative curve by Beijing day', () => {
  it('from the first submission to max(deadline, now); an org counts on the day its last document arrived', () => {
    const { curve } = rollup();
    expect(curve[0]).toEqual({ day: '2019-06-20', count: 0 }); // dh's first document; the exempt school's 1 June upload does not count
    expect(curve.at(-1)).toEqual({ day: '2019-07-02', count: 5 });
    expect(curve).toHaveLength(13);
    const at = (day: string) => curve.find((p) => p.day === day)?.count;
    expect(at('2019-06-21')).toBe(1); // dh
    // dh-1's last document: 2019-06-29T16:30Z is 30 June 00:30 in Beijing, not 29 June.
    expect(beijingDay('2019-06-29T16:30:00Z')).toBe('20190630');
    expect(at('2019-06-29')).toBe(1);
    expect(at('2019-06-30')).toBe(3); // dh-1 and direct-2 (30 June 18:00 Beijing)
    expect(at('2019-07-01')).toBe(5); // direct-1 (late) and dh-4 (extended)
    for (let i = 1; i < curve.length; i++) expect(curve[i]!.count).toBeGreaterThanOrEqual(curve[i - 1]!.count);
  });

  it('from the opening day when given', () => {
    const r = dashboardRollup(orgs, groups, { deadline: DEADLINE, now: NOW, opensAt: '2019-06-09T16:00:00Z' });
    expect(r.curve[0]).toEqual({ day: '2019-06-10', count: 0 });
    expect(r.curve).toHaveLength(23);
  });

  it('a deadline before the first submission: the curve starts on the deadline day', () => {
    const curve = cumulative(rollup().orgs, { deadline: '2019-06-15T15:59:59.999Z', now: NOW });
    expect(curve[0]).toEqual({ day: '2019-06-15', count: 0 });
    expect(curve.at(-1)).toEqual({ day: '2019-07-02', count: 5 });
  });

  it('now after the deadline extends the curve to today; a wrong opening date is capped', () => {
    const late = cumulative(rollup().orgs, { deadline: DEADLINE, now: '2019-07-10T00:00:00Z' });
    expect(late.at(-1)).toEqual({ day: '2019-07-10', count: 5 });
    const capped = cumulative(rollup().orgs, { deadline: DEADLINE, now: NOW, opensAt: '2000-01-01T00:00:00Z' });
    expect(capped).toHaveLength(MAX_CURVE_DAYS);
    expect(capped.at(-1)).toEqual({ day: '2019-07-02', count: 5 });
  });
});

describe('dashboardCsv', () => {
  it('exactly: BOM, CRLF, Chinese headers, a row per group, 合计', () => {
    expect(dashboardCsv(rollup())).toBe(
      '\uFEFF' +
        [
          '县区/类别,应交单位,免报,已上传,已审核通过,待审核,退回,未交齐,逾期,按时报齐,上传率,审核通过率,按时率,转报时间(北京时间),中心接收时间(北京时间)',
          '东湖区教科体局,5,1,3,1,1,2,2,0,3,60.0%,20.0%,60.0%,2019-07-01 17:00,2019-07-01 18:30',
          '西湖区教科体局,0,0,0,0,0,0,0,0,0,0.0%,0.0%,0.0%,未转报,',
          `${DIRECT_NAME},3,0,2,1,1,0,1,1,1,66.7%,33.3%,33.3%,直报中心,`,
          '合计,8,1,5,2,2,2,3,1,4,62.5%,25.0%,50.0%,已转报 1/2 个县区,已接收 1/2',
        ].join('\r\n') +
        '\r\n',
    );
  });

  it('a name that looks like a formula or holds a comma is neutralised and quoted', () => {
    const r = dashboardRollup([], [{ group: 'D#x', name: '=HYPERLINK("x"),区' }], { deadline: DEADLINE, now: NOW });
    expect(dashboardCsv(r).split('\r\n')[1]).toBe(`"'=HYPERLINK(""x""),区",0,0,0,0,0,0,0,0,0,0.0%,0.0%,0.0%,未转报,`);
  });
});
