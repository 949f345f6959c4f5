/**
 * Parent-contact periods in Beijing time: ISO weeks at year boundaries, the Beijing day, clipping
 * at cadence changes and at the term, ids, reminder days, the month a week counts in, labels.
 */
import { describe, expect, it } from 'vitest';
import {
  addDays,
  beijingDay,
  cadenceChange,
  calendarPeriod,
  dayNumber,
  isPeriodOver,
  monthOf,
  monthOfPeriod,
  nextCadenceStart,
  periodById,
  periodEndsAt,
  periodLabel,
  periodOf,
  periodShortLabel,
  periodsBetween,
  REMINDER_HOUR,
  reminderAt,
  reminderDayOf,
  validCadenceChange,
  weekOf,
} from '../../functions/contacts/periods.js';
import type { CadenceSpan, Period } from '../../schemas/contacts.js';

const week = (id: string, start: string, end: string): Period => ({ id, cadence: 'week', start, end });
const month = (id: string, start: string, end: string): Period => ({ id, cadence: 'month', start, end });

describe('beijingDay', () => {
  it('the Beijing day turns at 16:00Z', () => {
    expect(beijingDay(new Date('2019-06-30T15:59:59.999Z'))).toBe('2019-06-30');
    expect(beijingDay(new Date('2019-06-30T16:00:00.000Z'))).toBe('2019-07-01');
    expect(beijingDay(new Date('2019-12-31T16:00:00Z'))).toBe('2020-01-01');
    expect(beijingDay(new Date('2019-06-30T00:00:00+08:00'))).toBe('2019-06-30');
    expect(() => beijingDay(new Date('nonsense'))).toThrow(RangeError);
  });

  it('refuses a day that does not exist', () => {
    expect(() => dayNumber('2019-02-29')).toThrow(RangeError);
    expect(() => dayNumber('2019-6-1')).toThrow(RangeError);
    expect(dayNumber('2020-02-29') + 1).toBe(dayNumber('2020-03-01'));
  });
});

describe('weekOf / monthOf', () => {
  it('ISO weeks at year boundaries', () => {
    expect(weekOf('2019-12-30')).toMatchObject({ id: '2020-W01', start: '2019-12-30', end: '2020-01-05' });
    expect(weekOf('2021-01-03')).toMatchObject({ id: '2020-W53', start: '2020-12-28', end: '2021-01-03' });
    expect(weekOf('2020-12-31').id).toBe('2020-W53');
    expect(weekOf('2018-12-31').id).toBe('2019-W01');
    expect(weekOf('2016-01-03').id).toBe('2015-W53');
    expect(weekOf('2016-01-04').id).toBe('2016-W01');
    expect(weekOf('2024-12-30').id).toBe('2025-W01');
    expect(weekOf('2019-06-03')).toMatchObject({ id: '2019-W23', start: '2019-06-03', end: '2019-06-09' });
    expect(weekOf('2019-06-09').id).toBe('2019-W23');
    expect(weekOf('2019-06-10').id).toBe('2019-W24');
  });

  it('over 30 years: Monday to Sunday, numbered 1, 2, … per week-year, 4 January in W01, 28 December in the last week', () => {
    let prev = weekOf('1999-12-27');
    for (let n = dayNumber('2000-01-03'); n < dayNumber('2030-01-01'); n += 7) {
      const day = new Date(n * 86_400_000).toISOString().slice(0, 10);
      const w = weekOf(day);
      expect(new Date(`${w.start}T00:00:00Z`).getUTCDay()).toBe(1);
      expect(dayNumber(w.end) - dayNumber(w.start)).toBe(6);
      if (w.year === prev.year) expect(w.week).toBe(prev.week + 1);
      else {
        expect(w.year).toBe(prev.year + 1);
        expect(w.week).toBe(1);
        expect(weekOf(`${prev.year}-12-28`).id).toBe(prev.id);
        expect(weekOf(`${w.year}-01-04`).id).toBe(w.id);
      }
      expect(calendarPeriod(w.id)).toEqual({ cadence: 'week', id: w.id, start: w.start, end: w.end });
      prev = w;
    }
  });

  it('months, and ids that name nothing', () => {
    expect(monthOf('2019-06-15')).toEqual({ id: '2019-06', start: '2019-06-01', end: '2019-06-30' });
    expect(monthOf('2020-02-03').end).toBe('2020-02-29');
    expect(monthOf('2019-12-31')).toEqual({ id: '2019-12', start: '2019-12-01', end: '2019-12-31' });
    expect(calendarPeriod('2019-W53')).toBeUndefined();
    expect(calendarPeriod('2020-W53')).toMatchObject({ start: '2020-12-28' });
    expect(calendarPeriod('2019-W00')).toBeUndefined();
    expect(calendarPeriod('2019-13')).toBeUndefined();
    expect(calendarPeriod('2019-6')).toBeUndefined();
  });

  it('nextCadenceStart: the 1st of the next month', () => {
    expect(nextCadenceStart('2019-06-01')).toBe('2019-07-01');
    expect(nextCadenceStart('2019-06-30')).toBe('2019-07-01');
    expect(nextCadenceStart('2019-12-15')).toBe('2020-01-01');
  });
});

describe('periodOf / periodsBetween / periodById', () => {
  // Weekly from the term's start (Monday 18 Feb 2019), monthly from Saturday 1 June; the term ends Friday 12 July.
  const history: CadenceSpan[] = [
    { from: '2019-02-18', every: 'week' },
    { from: '2019-06-01', every: 'month' },
  ];
  const term = { start: '2019-02-18', end: '2019-07-12' };

  it('a week cut by a change of cadence on the 1st keeps its id, ends the day before', () => {
    expect(periodOf(history, term, '2019-05-30')).toEqual(week('2019-W22', '2019-05-27', '2019-05-31'));
    expect(periodOf(history, term, '2019-05-31')).toEqual(week('2019-W22', '2019-05-27', '2019-05-31'));
    expect(periodOf(history, term, '2019-06-01')).toEqual(month('2019-06', '2019-06-01', '2019-06-30'));
    expect(periodOf(history, term, '2019-06-02')).toEqual(month('2019-06', '2019-06-01', '2019-06-30'));
    expect(periodOf(history, term, '2019-05-26')).toEqual(week('2019-W21', '2019-05-20', '2019-05-26'));
  });

  it('clipped to the term: the last month ends with the term; undefined outside it', () => {
    expect(periodOf(history, term, '2019-07-05')).toEqual(month('2019-07', '2019-07-01', '2019-07-12'));
    expect(periodOf(history, term, '2019-07-12')?.end).toBe('2019-07-12');
    expect(periodOf(history, term, '2019-07-13')).toBeUndefined();
    expect(periodOf(history, term, '2019-02-17')).toBeUndefined();
    expect(periodOf(history, term, '2019-02-18')).toEqual(week('2019-W08', '2019-02-18', '2019-02-24'));
  });

  it('a term that starts on a Wednesday: the first week starts with it; counting starts at the first span', () => {
    const wed = { start: '2019-09-04', end: '2020-01-15' };
    expect(periodOf([{ from: '2019-09-04', every: 'week' }], wed, '2019-09-06')).toEqual(week('2019-W36', '2019-09-04', '2019-09-08'));
    // The term ends on a Wednesday: its last week is three days.
    expect(periodOf([{ from: '2019-09-04', every: 'week' }], wed, '2020-01-14')).toEqual(week('2020-W03', '2020-01-13', '2020-01-15'));
    // Counting starts at the first span's from when that is later than the term's start.
    expect(periodOf([{ from: '2019-09-11', every: 'week' }], wed, '2019-09-06')).toBeUndefined();
    expect(periodOf([{ from: '2019-09-11', every: 'week' }], wed, '2019-09-12')).toEqual(week('2019-W37', '2019-09-11', '2019-09-15'));
  });

  it('monthly to weekly on Sunday 1 September: 2019-W35 is that one day, in September', () => {
    const h: CadenceSpan[] = [
      { from: '2019-03-01', every: 'month' },
      { from: '2019-09-01', every: 'week' },
    ];
    const t = { start: '2019-03-01', end: '2020-01-15' };
    expect(periodOf(h, t, '2019-08-31')).toEqual(month('2019-08', '2019-08-01', '2019-08-31'));
    const w35 = periodOf(h, t, '2019-09-01');
    expect(w35).toEqual(week('2019-W35', '2019-09-01', '2019-09-01'));
    expect(monthOfPeriod(w35!)).toBe('2019-09'); // the ISO rule (its Thursday, 29 August) would say August: clipped weeks go by their start
    expect(periodOf(h, t, '2019-09-02')).toEqual(week('2019-W36', '2019-09-02', '2019-09-08'));
    const around = periodsBetween(h, t, '2019-08-20', '2019-09-03');
    expect(around.map((p) => [p.id, p.start, p.end])).toEqual([
      ['2019-08', '2019-08-01', '2019-08-31'],
      ['2019-W35', '2019-09-01', '2019-09-01'],
      ['2019-W36', '2019-09-02', '2019-09-08'],
    ]);
    expect(periodById(h, t, '2019-W35')).toEqual(w35);
    expect(periodById(h, t, '2019-W34')).toBeUndefined(); // August is monthly
    expect(periodById(h, t, '2019-09')).toBeUndefined();
  });

  it('the whole term in order, contiguous, each id once', () => {
    const all = periodsBetween(history, term, term.start, term.end);
    expect(all.map((p) => p.id)).toEqual([
      ...Array.from({ length: 15 }, (_, i) => `2019-W${String(8 + i).padStart(2, '0')}`),
      '2019-06',
      '2019-07',
    ]);
    expect(all[0]!.start).toBe(term.start);
    expect(all.at(-1)!.end).toBe(term.end);
    for (let i = 1; i < all.length; i++) expect(all[i]!.start).toBe(addDays(all[i - 1]!.end, 1));
    // Beyond the term, the same; a range that overlaps one period by a day returns it whole.
    expect(periodsBetween(history, term, '2018-01-01', '2030-01-01')).toEqual(all);
    expect(periodsBetween(history, term, '2019-06-30', '2019-07-01').map((p) => p.id)).toEqual(['2019-06', '2019-07']);
    expect(periodsBetween(history, term, '2019-05-31', '2019-05-31')).toEqual([week('2019-W22', '2019-05-27', '2019-05-31')]);
    expect(periodsBetween(history, term, '2019-08-01', '2019-08-31')).toEqual([]);
    expect(periodsBetween(history, term, '2019-07-01', '2019-06-01')).toEqual([]);
  });

  it('a 20-week term yields 20 distinct whole weeks, across the new year', () => {
    const t = { start: '2019-09-02', end: '2020-01-19' };
    const weeks = periodsBetween([{ from: '2019-09-02', every: 'week' }], t, t.start, t.end);
    expect(weeks).toHaveLength(20);
    expect(new Set(weeks.map((w) => w.id)).size).toBe(20);
    expect(weeks[0]!.id).toBe('2019-W36');
    expect(weeks.at(-1)!.id).toBe('2020-W03');
    expect(weeks.map((w) => w.id)).toContain('2020-W01');
    for (const w of weeks) {
      expect(dayNumber(w.end) - dayNumber(w.start)).toBe(6);
      expect(weekOf(w.start)).toMatchObject({ id: w.id, start: w.start, end: w.end });
    }
  });

  it('periodById validates against the schedule', () => {
    expect(periodById(history, term, '2019-W22')).toEqual(week('2019-W22', '2019-05-27', '2019-05-31'));
    expect(periodById(history, term, '2019-07')).toEqual(month('2019-07', '2019-07-01', '2019-07-12'));
    expect(periodById(history, term, '2019-W23')).toBeUndefined(); // June is monthly
    expect(periodById(history, term, '2019-05')).toBeUndefined(); // May is weekly
    expect(periodById(history, term, '2019-W07')).toBeUndefined(); // before the term
    expect(periodById(history, term, '2019-08')).toBeUndefined(); // after the term
    expect(periodById(history, term, '2019-W53')).toBeUndefined(); // 2019 has 52 weeks
    expect(periodById(history, term, 'W22')).toBeUndefined();
    for (const p of periodsBetween(history, term, term.start, term.end)) expect(periodById(history, term, p.id)).toEqual(p);
  });

  it('history order, same-day spans and no-op changes', () => {
    const unsorted: CadenceSpan[] = [
      { from: '2019-06-01', every: 'month' },
      { from: '2019-02-18', every: 'week' },
    ];
    expect(periodsBetween(unsorted, term, term.start, term.end)).toEqual(periodsBetween(history, term, term.start, term.end));
    // A weekly span restated from Wednesday 1 May splits nothing: 2019-W18 stays whole.
    const restated: CadenceSpan[] = [...history.slice(0, 1), { from: '2019-05-01', every: 'week' }, history[1]!];
    expect(periodOf(restated, term, '2019-05-02')).toEqual(week('2019-W18', '2019-04-29', '2019-05-05'));
    // A history the roster writer refuses (cadence flipping within a week): one id, merged, never twice.
    const flipping: CadenceSpan[] = [
      { from: '2019-05-27', every: 'week' },
      { from: '2019-05-29', every: 'month' },
      { from: '2019-05-31', every: 'week' },
    ];
    const t = { start: '2019-05-27', end: '2019-06-09' };
    const ps = periodsBetween(flipping, t, t.start, t.end);
    expect(new Set(ps.map((p) => p.id)).size).toBe(ps.length);
    expect(periodOf(flipping, t, '2019-05-27')).toEqual(periodById(flipping, t, '2019-W22'));
    expect(periodOf(flipping, t, '2019-06-01')).toEqual(periodById(flipping, t, '2019-W22'));
  });

  it('no span, or a term that ends before counting starts: nothing', () => {
    expect(periodOf([], term, '2019-03-01')).toBeUndefined();
    expect(periodsBetween([], term, term.start, term.end)).toEqual([]);
    expect(periodsBetween([{ from: '2019-08-01', every: 'week' }], term, term.start, term.end)).toEqual([]);
  });
});

describe('cadenceChange', () => {
  const history: CadenceSpan[] = [{ from: '2019-02-18', every: 'week' }];

  it('from the 1st of a month, no earlier than next month', () => {
    expect(cadenceChange(history, { from: '2019-07-01', every: 'month' }, '2019-06-15')).toEqual({
      ok: true,
      history: [...history, { from: '2019-07-01', every: 'month' }],
    });
    expect(cadenceChange(history, { from: '2019-07-02', every: 'month' }, '2019-06-15')).toMatchObject({ ok: false, code: 'not_first_of_month' });
    expect(cadenceChange(history, { from: '2019-06-01', every: 'month' }, '2019-06-15')).toMatchObject({ ok: false, code: 'too_early' });
    expect(cadenceChange(history, { from: '2019-02-30', every: 'month' }, '2019-06-15')).toMatchObject({ ok: false, code: 'bad_day' });
    expect(validCadenceChange(history, '2019-07-01', '2019-06-30')).toBe(true);
    expect(validCadenceChange(history, '2019-07-01', '2019-07-01')).toBe(false);
  });

  it('replaces a change that has not started; a change to the cadence in force adds nothing', () => {
    const pending: CadenceSpan[] = [...history, { from: '2019-08-01', every: 'month' }];
    expect(cadenceChange(pending, { from: '2019-07-01', every: 'month' }, '2019-06-15')).toEqual({ ok: true, history: [...history, { from: '2019-07-01', every: 'month' }] });
    expect(cadenceChange(pending, { from: '2019-07-01', every: 'week' }, '2019-06-15')).toEqual({ ok: true, history });
  });
});

describe('period instants', () => {
  const june = month('2019-06', '2019-06-01', '2019-06-30');

  it('over once the next Beijing day has started', () => {
    expect(periodEndsAt(june).toISOString()).toBe('2019-06-30T15:59:59.999Z');
    expect(isPeriodOver(june, new Date('2019-06-30T15:59:59.999Z'))).toBe(false);
    expect(isPeriodOver(june, new Date('2019-06-30T16:00:00.000Z'))).toBe(true);
    expect(isPeriodOver(june, new Date('2019-05-01T00:00:00Z'))).toBe(false);
  });

  it('weekly reminder: the Friday; a clipped week that ends before it, its last day', () => {
    expect(reminderDayOf(week('2019-W23', '2019-06-03', '2019-06-09'))).toBe('2019-06-07');
    expect(new Date(`${reminderDayOf(week('2020-W01', '2019-12-30', '2020-01-05'))}T00:00:00Z`).getUTCDay()).toBe(5);
    expect(reminderDayOf(week('2019-W31', '2019-07-29', '2019-07-31'))).toBe('2019-07-31'); // monthly from 1 August
    expect(reminderDayOf(week('2019-W35', '2019-09-01', '2019-09-01'))).toBe('2019-09-01'); // starts after the Friday
    expect(reminderDayOf(week('2019-W36', '2019-09-04', '2019-09-08'))).toBe('2019-09-06');
  });

  it('monthly reminder: three days before the last day (February in leap and common years)', () => {
    expect(reminderDayOf(june)).toBe('2019-06-27');
    expect(reminderDayOf(month('2019-02', '2019-02-01', '2019-02-28'))).toBe('2019-02-25');
    expect(reminderDayOf(month('2020-02', '2020-02-01', '2020-02-29'))).toBe('2020-02-26');
    expect(reminderDayOf(month('2000-02', '2000-02-01', '2000-02-29'))).toBe('2000-02-26');
    expect(reminderDayOf(month('2019-12', '2019-12-01', '2019-12-31'))).toBe('2019-12-28');
    // Clipped by the term: counted back from its clipped end, never before its start.
    expect(reminderDayOf(month('2020-01', '2020-01-01', '2020-01-15'))).toBe('2020-01-12');
    expect(reminderDayOf(month('2019-09', '2019-09-28', '2019-09-30'))).toBe('2019-09-28');
  });

  it('at 15:00 Beijing', () => {
    expect(REMINDER_HOUR).toBe(15);
    expect(reminderAt(june).toISOString()).toBe('2019-06-27T07:00:00.000Z');
    expect(reminderAt(week('2019-W23', '2019-06-03', '2019-06-09')).toISOString()).toBe('2019-06-07T07:00:00.000Z');
  });
});

describe('monthOfPeriod and labels', () => {
  it('a whole week counts in the month of its Thursday; a month in itself', () => {
    expect(monthOfPeriod(week('2019-W27', '2019-07-01', '2019-07-07'))).toBe('2019-07');
    expect(monthOfPeriod(week('2019-W31', '2019-07-29', '2019-08-04'))).toBe('2019-08');
    expect(monthOfPeriod(week('2019-W44', '2019-10-28', '2019-11-03'))).toBe('2019-10');
    expect(monthOfPeriod(week('2020-W01', '2019-12-30', '2020-01-05'))).toBe('2020-01');
    expect(monthOfPeriod(week('2019-W31', '2019-07-29', '2019-07-31'))).toBe('2019-07'); // clipped: its start
    expect(monthOfPeriod(month('2019-06', '2019-06-01', '2019-06-30'))).toBe('2019-06');
  });

  it('Chinese labels', () => {
    expect(periodLabel(week('2019-W23', '2019-06-03', '2019-06-09'))).toBe('第23周（6月3日–6月9日）');
    expect(periodLabel(week('2020-W01', '2019-12-30', '2020-01-05'))).toBe('第1周（12月30日–1月5日）');
    expect(periodLabel(week('2019-W35', '2019-09-01', '2019-09-01'))).toBe('第35周（9月1日–9月1日）');
    expect(periodLabel(month('2019-06', '2019-06-01', '2019-06-30'))).toBe('2019年6月');
    expect(periodLabel(month('2019-07', '2019-07-01', '2019-07-12'))).toBe('2019年7月（7月1日–7月12日）');
    expect(periodShortLabel(week('2019-W03', '2019-01-14', '2019-01-20'))).toBe('W03');
    expect(periodShortLabel(month('2019-06', '2019-06-01', '2019-06-30'))).toBe('6月');
  });
});
