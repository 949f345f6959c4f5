/**
 * Completeness from the roster and the period summaries: which classes are expected, the cell
 * states, the matrix's order and tallies, missed periods in a row, monthly rates across weekly,
 * monthly and roster-less schools.
 */
import { describe, expect, it } from 'vitest';
import {
  arabic,
  cellOf,
  compareClasses,
  expectedClasses,
  gradeRank,
  missedInARow,
  monthRates,
  periodsOfMonth,
  schoolMatrix,
  schoolRate,
} from '../../functions/contacts/completeness.js';
import { periodsBetween } from '../../functions/contacts/periods.js';
import type { Period, PeriodSummary, Roster, RosterClass } from '../../schemas/contacts.js';
import { Roster as RosterSchema } from '../../schemas/contacts.js';

const cls = (grade: string, label: string, since: string, until?: string): RosterClass => ({
  grade,
  label,
  teacher: `${grade}${label}班主任`,
  email: 'teacher@example.cn',
  v: 1,
  since,
  ...(until ? { until } : {}),
});

// Ids: A 七年级1班, B 七年级10班, C 七年级2班 (added Wednesday 11 Sep, in W37), D 八年级3班 (removed Friday 20 Sep, in W38),
// E 高一1班 (removed Monday 23 Sep, the first day of W39), F removed before the term, G added after the periods shown.
const A = 'caaaaaaaa';
const B = 'cbbbbbbbb';
const C = 'ccccccccc';
const D = 'cdddddddd';
const E = 'ceeeeeeee';
const F = 'cffffffff';
const G = 'cgggggggg';

const term = { start: '2019-09-02', end: '2020-01-19' };
const roster: Roster = {
  schoolId: 'school-1',
  rev: 3,
  term,
  cadence: [{ from: '2019-09-02', every: 'week' }],
  classes: {
    [E]: cls('高一', '1班', '2019-09-02', '2019-09-23'),
    [D]: cls('八年级', '3班', '2019-09-02', '2019-09-20'),
    [B]: cls('七年级', '10班', '2019-09-02'),
    [C]: cls('七年级', '2班', '2019-09-11'),
    [A]: cls('七年级', '1班', '2019-09-02'),
    [F]: cls('九年级', '1班', '2019-03-01', '2019-09-01'),
    [G]: cls('七年级', '11班', '2019-10-10'),
  },
  staff: {},
  updatedAt: '2019-09-23T01:00:00.000Z',
  updatedBy: 'sabcdefgh',
};

const sum = (period: string, logged: string[], none: string[] = [], schoolId = 'school-1'): PeriodSummary => ({ schoolId, period, logged, none });
const summaries: PeriodSummary[] = [
  sum('2019-W36', [A, B, E], [C]), // C is not expected yet: its "none" does not count
  sum('2019-W37', [A, E], [B]),
  sum('2019-W38', [B]),
  sum('2019-W38', [C], [], 'school-2'), // another school's: ignored
  sum('2019-W39', [A]),
];
/** Wednesday 25 September 2019, noon in Beijing: W36–W38 are over, W39 is running, W40 has not started. */
const NOW = new Date('2019-09-25T04:00:00Z');
const periods = periodsBetween(roster.cadence, term, term.start, '2019-10-06');

describe('expectedClasses', () => {
  it('expected iff it existed on the period’s last day', () => {
    const [w36, w37, w38, w39] = periods as [Period, Period, Period, Period];
    expect(periods.map((p) => p.id)).toEqual(['2019-W36', '2019-W37', '2019-W38', '2019-W39', '2019-W40']);
    expect(expectedClasses(roster, w36).sort()).toEqual([A, B, D, E].sort());
    expect(expectedClasses(roster, w37).sort()).toEqual([A, B, C, D, E].sort()); // C added on the Wednesday: expected
    expect(expectedClasses(roster, w38).sort()).toEqual([A, B, C, E].sort()); // D removed on the Friday: not expected
    expect(expectedClasses(roster, w39).sort()).toEqual([A, B, C].sort()); // E removed on the Monday: not expected
  });

  it('boundaries: since on the last day counts, until on the last day does not', () => {
    const p: Period = { id: '2019-W37', cadence: 'week', start: '2019-09-09', end: '2019-09-15' };
    const r = (c: RosterClass): Roster => ({ ...roster, classes: { [A]: c } });
    expect(expectedClasses(r(cls('七年级', '1班', '2019-09-15')), p)).toEqual([A]);
    expect(expectedClasses(r(cls('七年级', '1班', '2019-09-16')), p)).toEqual([]);
    expect(expectedClasses(r(cls('七年级', '1班', '2019-09-01', '2019-09-15')), p)).toEqual([]);
    expect(expectedClasses(r(cls('七年级', '1班', '2019-09-01', '2019-09-16')), p)).toEqual([A]);
  });
});

describe('cellOf', () => {
  const [w36, w37, , w39, w40] = periods as [Period, Period, Period, Period, Period];
  it('each state', () => {
    expect(cellOf(roster, A, w36, summaries[0], NOW)).toBe('logged');
    expect(cellOf(roster, B, w37, summaries[1], NOW)).toBe('none');
    expect(cellOf(roster, D, w37, summaries[1], NOW)).toBe('missing');
    expect(cellOf(roster, D, w37, undefined, NOW)).toBe('missing');
    expect(cellOf(roster, B, w39, summaries[4], NOW)).toBe('open');
    expect(cellOf(roster, A, w40, undefined, NOW)).toBe('future');
    expect(cellOf(roster, C, w36, summaries[0], NOW)).toBe('na');
    expect(cellOf(roster, 'czzzzzzzz', w36, summaries[0], NOW)).toBe('na'); // not on the roster
    // Logged wins over none; a summary of another period or school is not this cell's.
    expect(cellOf(roster, A, w36, sum('2019-W36', [A], [A]), NOW)).toBe('logged');
    expect(cellOf(roster, A, w37, summaries[0], NOW)).toBe('missing');
    expect(cellOf(roster, A, w36, sum('2019-W36', [A], [], 'school-2'), NOW)).toBe('missing');
  });

  it('the period turns over at Beijing midnight', () => {
    expect(cellOf(roster, D, w36, undefined, new Date('2019-09-08T15:59:59.999Z'))).toBe('open');
    expect(cellOf(roster, D, w36, undefined, new Date('2019-09-08T16:00:00.000Z'))).toBe('missing');
    expect(cellOf(roster, D, w36, undefined, new Date('2019-09-01T15:59:59.999Z'))).toBe('future');
    expect(cellOf(roster, D, w36, undefined, new Date('2019-09-01T16:00:00.000Z'))).toBe('open');
  });
});

describe('schoolMatrix', () => {
  const m = schoolMatrix(roster, summaries, periods, NOW);

  it('rows: the classes expected in some period, by grade then label (七 八 高一; 1 2 10)', () => {
    expect(m.classes.map((c) => `${c.grade}${c.label}`)).toEqual(['七年级1班', '七年级2班', '七年级10班', '八年级3班', '高一1班']);
    expect(m.classes[0]).toEqual({ id: A, grade: '七年级', label: '1班', teacher: '七年级1班班主任' });
    expect(m.periods).toEqual(periods);
  });

  it('cells for added and removed classes', () => {
    expect(m.cells).toEqual([
      ['logged', 'logged', 'missing', 'logged', 'future'], // A
      ['na', 'missing', 'missing', 'open', 'future'], // C: added in W37
      ['logged', 'none', 'logged', 'open', 'future'], // B
      ['missing', 'missing', 'na', 'na', 'na'], // D: removed in W38
      ['logged', 'logged', 'missing', 'na', 'na'], // E: removed on W39's first day
    ]);
  });

  it('per period (running ones as "so far"), per class and in total over the periods that are over', () => {
    expect(m.perPeriod.map((p) => [p.period.id, p.over, p.expected, p.done])).toEqual([
      ['2019-W36', true, 4, 3],
      ['2019-W37', true, 5, 3],
      ['2019-W38', true, 4, 1],
      ['2019-W39', false, 3, 1],
      ['2019-W40', false, 3, 0],
    ]);
    expect(m.perPeriod[0]!.rate).toBe(0.75);
    expect(m.perClass.map((c) => [c.id, c.expected, c.done, c.missedInARow])).toEqual([
      [A, 3, 2, 1],
      [C, 2, 0, 2],
      [B, 3, 3, 0],
      [D, 2, 0, 0], // missed W36 and W37, but not expected in W38, the last period over
      [E, 3, 2, 1],
    ]);
    expect(m.total).toEqual({ expected: 13, done: 7, rate: 7 / 13 });
    expect(schoolRate(roster, summaries, periods, NOW)).toEqual(m.total);
  });

  it('nothing over yet: rate undefined, not 0; no periods: the current classes', () => {
    const early = schoolMatrix(roster, [], periods, new Date('2019-09-03T00:00:00Z'));
    expect(early.total).toEqual({ expected: 0, done: 0, rate: undefined });
    expect(early.cells[0]).toEqual(['open', 'future', 'future', 'future', 'future']);
    const none = schoolMatrix(roster, [], [], NOW);
    expect(none.classes.map((c) => c.id)).toEqual([A, C, B, G]);
    expect(none.cells).toEqual([[], [], [], []]);
  });
});

describe('missedInARow', () => {
  it('consecutive missing periods ending with the last one over', () => {
    expect(missedInARow(roster, summaries, periods, NOW, C)).toBe(2);
    expect(missedInARow(roster, summaries, periods, NOW, A)).toBe(1);
    expect(missedInARow(roster, summaries, periods, NOW, B)).toBe(0);
    expect(missedInARow(roster, summaries, periods, NOW, D)).toBe(0);
    expect(missedInARow(roster, summaries, periods, NOW, 'czzzzzzzz')).toBe(0);
    // A week later W39 is over too: C has missed three, B one, A none (it logged in W39).
    const later = new Date('2019-10-02T04:00:00Z');
    expect(missedInARow(roster, summaries, periods, later, C)).toBe(3);
    expect(missedInARow(roster, summaries, periods, later, B)).toBe(1);
    expect(missedInARow(roster, summaries, periods, later, A)).toBe(0);
    // Nothing over: 0.
    expect(missedInARow(roster, [], periods, new Date('2019-09-03T00:00:00Z'), A)).toBe(0);
  });
});

describe('periodsOfMonth', () => {
  it('weekly: the weeks whose Thursday is in the month', () => {
    expect(periodsOfMonth(roster, '2019-09').map((p) => p.id)).toEqual(['2019-W36', '2019-W37', '2019-W38', '2019-W39']);
    expect(periodsOfMonth(roster, '2019-10').map((p) => p.id)).toEqual(['2019-W40', '2019-W41', '2019-W42', '2019-W43', '2019-W44']);
    expect(periodsOfMonth(roster, '2020-01').map((p) => p.id)).toEqual(['2020-W01', '2020-W02', '2020-W03']);
    expect(periodsOfMonth(roster, '2019-12').map((p) => p.id)).toEqual(['2019-W49', '2019-W50', '2019-W51', '2019-W52']);
    expect(periodsOfMonth(roster, '2019-08')).toEqual([]);
    expect(() => periodsOfMonth(roster, '2019-13')).toThrow(RangeError);
  });

  it('a change to monthly on 1 October: the clipped Monday 30 September counts in September, once', () => {
    const r = { ...roster, cadence: [roster.cadence[0]!, { from: '2019-10-01', every: 'month' as const }] };
    expect(periodsOfMonth(r, '2019-09').map((p) => [p.id, p.start, p.end]).at(-1)).toEqual(['2019-W40', '2019-09-30', '2019-09-30']);
    expect(periodsOfMonth(r, '2019-09')).toHaveLength(5);
    expect(periodsOfMonth(r, '2019-10')).toEqual([{ id: '2019-10', cadence: 'month', start: '2019-10-01', end: '2019-10-31' }]);
  });
});

describe('monthRates', () => {
  const monthly: Roster = {
    ...roster,
    schoolId: 'school-m',
    term: { start: '2019-09-01', end: '2020-01-15' },
    cadence: [{ from: '2019-09-01', every: 'month' }],
    classes: { [A]: cls('一年级', '1班', '2019-09-01'), [B]: cls('一年级', '2班', '2019-09-01') },
  };
  const LATER = new Date('2019-10-02T04:00:00Z'); // September's weeks and month are over

  it('weekly and monthly schools, and one without a roster (unknown, not 0)', () => {
    const r = monthRates(
      '2019-09',
      [
        { schoolId: 'school-1', roster, summaries },
        { schoolId: 'school-m', roster: monthly, summaries: [sum('2019-09', [A], [B], 'school-m')] },
        { schoolId: 'school-x', summaries: [] },
      ],
      LATER,
    );
    const [weekly, mon, none] = r.schools;
    expect(weekly).toMatchObject({ schoolId: 'school-1', noRoster: false, cadences: ['week'], over: 4, expected: 16, done: 8, rate: 0.5 });
    expect(weekly!.periods.map((p) => p.id)).toEqual(['2019-W36', '2019-W37', '2019-W38', '2019-W39']);
    expect(weekly!.missingClasses).toEqual([
      { id: A, grade: '七年级', label: '1班' },
      { id: C, grade: '七年级', label: '2班' },
      { id: B, grade: '七年级', label: '10班' },
      { id: D, grade: '八年级', label: '3班' },
      { id: E, grade: '高一', label: '1班' },
    ]);
    expect(JSON.stringify(weekly)).not.toContain('班主任'); // no names of people
    expect(mon).toMatchObject({ schoolId: 'school-m', noRoster: false, cadences: ['month'], over: 1, expected: 2, done: 2, rate: 1, missingClasses: [] });
    expect(none).toEqual({ schoolId: 'school-x', noRoster: true, cadences: [], periods: [], over: 0, missingClasses: [], expected: 0, done: 0, rate: undefined });
    expect(r.total).toEqual({ expected: 18, done: 10, rate: 10 / 18, schools: 3, noRoster: 1 });
    expect(r.month).toBe('2019-09');
  });

  it('periods not over yet do not count', () => {
    const r = monthRates('2019-09', [{ schoolId: 'school-m', roster: monthly, summaries: [sum('2019-09', [A], [], 'school-m')] }], NOW);
    expect(r.schools[0]).toMatchObject({ over: 0, expected: 0, done: 0, rate: undefined, missingClasses: [] });
    expect(r.total.rate).toBeUndefined();
  });
});

describe('class order', () => {
  it('grades by rank, labels by number, Chinese numerals read as numbers', () => {
    expect(['高一', '九年级', '七年级', '八年级', '高三', '初二'].map(gradeRank)).toEqual([10, 9, 7, 8, 12, 8]);
    expect(['一年级', '六年级', '2019级', '国际部'].map(gradeRank)).toEqual([1, 6, undefined, undefined]);
    expect(arabic('十二班')).toBe('12班');
    expect(arabic('二十班')).toBe('20班');
    expect(arabic('三班')).toBe('3班');
    const rows = [
      { id: 'c1', grade: '高一', label: '2班' },
      { id: 'c2', grade: '国际部', label: '1班' },
      { id: 'c3', grade: '七年级', label: '十班' },
      { id: 'c4', grade: '七年级', label: '二班' },
      { id: 'c5', grade: '八年级', label: '1班' },
    ];
    expect([...rows].sort(compareClasses).map((r) => r.id)).toEqual(['c4', 'c3', 'c5', 'c1', 'c2']);
  });

  it('the fixture is a roster the schema accepts', () => {
    expect(RosterSchema.safeParse(roster).success).toBe(true);
  });
});
