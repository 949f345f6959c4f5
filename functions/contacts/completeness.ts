import type { ClassId, Period, PeriodSummary, Roster, RosterClass } from '../../schemas/contacts.js';
import { addDays, calendarPeriod, hasPeriodStarted, isPeriodOver, monthOfPeriod, periodsBetween } from './periods.js';

/**
 * Completeness of the parent-contact logs: the class × period matrix and the rates, from the
 * school's roster and its period summaries (`CSUM#<period>`) only — never from the logs, so a
 * District or the Bureau reads one roster and a few summary items per school and never content.
 * Pure: `now` is an argument.
 *
 * Rules (chosen here, one place):
 * - A class is expected for a period iff it existed on the period's last day:
 *   `since <= period.end` and (`until` unset or `until > period.end`). A class added during a
 *   period is expected for it (its head teacher has the rest of the period); a class removed
 *   during a period is not (nor for any later one).
 * - A cell: 'na' (class not expected) · 'logged' (in the summary's `logged`; wins over `none`) ·
 *   'none' (marked "no contact needed") · 'missing' (period over, neither) · 'open' (period
 *   running, neither yet) · 'future' (not started).
 * - done = logged or none. Rates count only periods that are over: a period still running
 *   counts neither as expected nor as done, even where a class has already logged (its figures
 *   are in `perPeriod`, marked `over: false`, as "so far").
 * - A rate is a fraction 0..1, `undefined` when nothing is expected (never 0 for "unknown").
 */

export type Cell = 'logged' | 'none' | 'missing' | 'open' | 'future' | 'na';
export const CELL_STATES: readonly Cell[] = ['logged', 'none', 'missing', 'open', 'future', 'na'];

export interface Tally {
  expected: number;
  done: number;
  /** done / expected, 0..1; undefined when nothing is expected. */
  rate: number | undefined;
}

const tally = (expected: number, done: number): Tally => ({ expected, done, rate: expected > 0 ? done / expected : undefined });

/** Whether a class is expected to log in a period (see the rules above). */
export const isExpected = (cls: Pick<RosterClass, 'since' | 'until'>, period: Period): boolean =>
  cls.since <= period.end && (cls.until === undefined || cls.until > period.end);

/** The roster's classes expected for the period, in roster order. */
export function expectedClasses(roster: Roster, period: Period): ClassId[] {
  return Object.entries(roster.classes)
    .filter(([, c]) => isExpected(c, period))
    .map(([id]) => id);
}

interface Done {
  logged: Set<string>;
  none: Set<string>;
}

/** The summaries of this school by period id (two items for one period are united). */
function summariesByPeriod(schoolId: string, summaries: readonly PeriodSummary[]): Map<string, Done> {
  const by = new Map<string, Done>();
  for (const s of summaries) {
    if (s.schoolId !== schoolId) continue;
    const d = by.get(s.period) ?? { logged: new Set(), none: new Set() };
    for (const c of s.logged) d.logged.add(c);
    for (const c of s.none) d.none.add(c);
    by.set(s.period, d);
  }
  return by;
}

function cellIn(cls: RosterClass | undefined, classId: ClassId, period: Period, done: Done | undefined, now: Date): Cell {
  if (!cls || !isExpected(cls, period)) return 'na';
  if (done?.logged.has(classId)) return 'logged';
  if (done?.none.has(classId)) return 'none';
  if (isPeriodOver(period, now)) return 'missing';
  return hasPeriodStarted(period, now) ? 'open' : 'future';
}

/** The state of one class in one period; `summary` is that period's summary of the school (or undefined when there is none). */
export function cellOf(roster: Roster, classId: ClassId, period: Period, summary: PeriodSummary | undefined, now: Date): Cell {
  const done = summary && summary.period === period.id ? summariesByPeriod(roster.schoolId, [summary]).get(period.id) : undefined;
  return cellIn(roster.classes[classId], classId, period, done, now);
}

export const isDone = (c: Cell) => c === 'logged' || c === 'none';

export interface MatrixClass {
  id: ClassId;
  grade: string;
  label: string;
  teacher: string;
}

export interface PeriodTally extends Tally {
  period: Period;
  /** Over: counted in the rates; otherwise the figures are "so far". */
  over: boolean;
}

export interface ClassTally extends Tally {
  id: ClassId;
  /** Consecutive missing periods ending with the last period that is over (0 when that one is not missing). */
  missedInARow: number;
}

export interface SchoolMatrix {
  schoolId: string;
  classes: MatrixClass[];
  periods: Period[];
  /** cells[i][j]: classes[i] in periods[j]. */
  cells: Cell[][];
  perPeriod: PeriodTally[];
  perClass: ClassTally[];
  /** Over the periods that are over. */
  total: Tally;
}

// ── Sorting classes: 七年级 before 八年级 before 高一, 3班 before 10班 ─────────────────────────

const DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** Chinese numerals up to 99 as Arabic ones: '十二班' → '12班', '高三' → '高3', '（3）班' unchanged. */
export function arabic(s: string): string {
  return s.replace(/[零〇一二两三四五六七八九十]+/g, (m) => {
    if (!m.includes('十')) return [...m].map((c) => DIGITS[c] ?? '').join('');
    const [tens, ones] = m.split('十', 2) as [string, string];
    if (m.indexOf('十') !== m.lastIndexOf('十') || tens.length > 1 || ones.length > 1) return m;
    return String((tens ? (DIGITS[tens] ?? 1) : 1) * 10 + (ones ? (DIGITS[ones] ?? 0) : 0));
  });
}

/** A school grade's place: 一–六年级 1–6, 七–九年级 / 初一–初三 7–9, 高一–高三 10–12; others undefined (after them, by name). */
export function gradeRank(grade: string): number | undefined {
  const g = arabic(grade.replace(/\s+/g, ''));
  let m = /^(?:小学)?(\d)年级$/.exec(g);
  if (m) return Number(m[1]) >= 1 && Number(m[1]) <= 9 ? Number(m[1]) : undefined;
  m = /^初中?(\d)(?:年级)?$/.exec(g);
  if (m) return Number(m[1]) >= 1 && Number(m[1]) <= 3 ? 6 + Number(m[1]) : undefined;
  m = /^高中?(\d)(?:年级)?$/.exec(g);
  if (m) return Number(m[1]) >= 1 && Number(m[1]) <= 3 ? 9 + Number(m[1]) : undefined;
  return undefined;
}

const collator = new Intl.Collator('zh-CN', { numeric: true });

/** Grade (by rank, then by name), then label (numeric, Chinese numerals read as numbers), then id. */
export function compareClasses(a: Pick<MatrixClass, 'id' | 'grade' | 'label'>, b: Pick<MatrixClass, 'id' | 'grade' | 'label'>): number {
  const ra = gradeRank(a.grade) ?? Number.POSITIVE_INFINITY;
  const rb = gradeRank(b.grade) ?? Number.POSITIVE_INFINITY;
  if (ra !== rb) return ra < rb ? -1 : 1;
  return (
    collator.compare(arabic(a.grade), arabic(b.grade)) ||
    collator.compare(arabic(a.label), arabic(b.label)) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

// ── The matrix ──────────────────────────────────────────────────────────────────────────────────

/** Consecutive 'missing' cells ending with the last period that is over. */
function missedRun(row: Cell[], over: boolean[]): number {
  let j = over.lastIndexOf(true);
  let n = 0;
  for (; j >= 0 && over[j] && row[j] === 'missing'; j--) n++;
  return n;
}

/**
 * The class × period matrix of a school. Rows: the classes expected in at least one of `periods`
 * (with no periods: the classes not removed), by grade then label. `periods` in the order given
 * (normally `periodsBetween(...)`); summaries of other schools are ignored.
 */
export function schoolMatrix(roster: Roster, summaries: readonly PeriodSummary[], periods: readonly Period[], now: Date): SchoolMatrix {
  const by = summariesByPeriod(roster.schoolId, summaries);
  const ps = [...periods];
  const entries = Object.entries(roster.classes).filter(([, c]) => (ps.length ? ps.some((p) => isExpected(c, p)) : c.until === undefined));
  const classes: MatrixClass[] = entries.map(([id, c]) => ({ id, grade: c.grade, label: c.label, teacher: c.teacher })).sort(compareClasses);
  const over = ps.map((p) => isPeriodOver(p, now));
  const cells = classes.map((c) => ps.map((p) => cellIn(roster.classes[c.id], c.id, p, by.get(p.id), now)));
  const perPeriod = ps.map((period, j) => {
    const col = cells.map((row) => row[j]!).filter((c) => c !== 'na');
    return { period, over: over[j]!, ...tally(col.length, col.filter(isDone).length) };
  });
  const perClass = classes.map((c, i) => {
    const counted = cells[i]!.filter((cell, j) => over[j] && cell !== 'na');
    return { id: c.id, ...tally(counted.length, counted.filter(isDone).length), missedInARow: missedRun(cells[i]!, over) };
  });
  const overPeriods = perPeriod.filter((p) => p.over);
  const total = tally(
    overPeriods.reduce((n, p) => n + p.expected, 0),
    overPeriods.reduce((n, p) => n + p.done, 0),
  );
  return { schoolId: roster.schoolId, classes, periods: ps, cells, perPeriod, perClass, total };
}

/** The school's completeness over the periods that are over. */
export function schoolRate(roster: Roster, summaries: readonly PeriodSummary[], periods: readonly Period[], now: Date): Tally {
  return schoolMatrix(roster, summaries, periods, now).total;
}

/**
 * Consecutive missed periods of one class ending with the last period (of `periods`) that is over:
 * 2 or more → tell the school's administrator. 0 for a class not on the roster or not expected then.
 */
export function missedInARow(roster: Roster, summaries: readonly PeriodSummary[], periods: readonly Period[], now: Date, classId: ClassId): number {
  const by = summariesByPeriod(roster.schoolId, summaries);
  const row = periods.map((p) => cellIn(roster.classes[classId], classId, p, by.get(p.id), now));
  return missedRun(
    row,
    periods.map((p) => isPeriodOver(p, now)),
  );
}

// ── Monthly rates (District and Bureau) ─────────────────────────────────────────────────────────

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * The school's periods that count in `month` (`monthOfPeriod`): weeks by their Thursday (clipped
 * ones by their start), its month. These ids are the `CSUM#<period>` items to read for the month.
 */
export function periodsOfMonth(roster: Pick<Roster, 'cadence' | 'term'>, month: string): Period[] {
  const cal = MONTH.test(month) ? calendarPeriod(month) : undefined;
  if (!cal) throw new RangeError(`not a month: ${month}`);
  return periodsBetween(roster.cadence, roster.term, addDays(cal.start, -6), addDays(cal.end, 6)).filter((p) => monthOfPeriod(p) === month);
}

export interface ClassRef {
  id: ClassId;
  grade: string;
  label: string;
}

export interface SchoolMonthRate extends Tally {
  schoolId: string;
  /** No roster imported: nothing known (rate undefined, not 0). */
  noRoster: boolean;
  /** The cadences of the month's periods (two when the school changed cadence on its 1st; none outside the term). */
  cadences: ('week' | 'month')[];
  /** The month's periods (ids are the summary items read). */
  periods: Period[];
  /** Of them, the ones that are over (what the rate counts). */
  over: number;
  /** Classes with at least one missing period of the month that is over, by grade and label (no names of people). */
  missingClasses: ClassRef[];
}

export interface MonthRates {
  month: string;
  schools: SchoolMonthRate[];
  /** Pooled over class-periods of the schools with a roster (a weekly school weighs about four times a monthly one of the same size). */
  total: Tally & { schools: number; noRoster: number };
}

export interface SchoolInput {
  schoolId: string;
  roster?: Roster | undefined;
  summaries: readonly PeriodSummary[];
}

/** Per school and in total, the completeness of `month`'s periods that are over at `now`. */
export function monthRates(month: string, schools: readonly SchoolInput[], now: Date): MonthRates {
  const rows: SchoolMonthRate[] = schools.map(({ schoolId, roster, summaries }) => {
    if (!roster) return { schoolId, noRoster: true, cadences: [], periods: [], over: 0, missingClasses: [], ...tally(0, 0) };
    const periods = periodsOfMonth(roster, month);
    const m = schoolMatrix(roster, summaries, periods, now);
    const missingClasses = m.classes.filter((_, i) => m.cells[i]!.includes('missing')).map(({ id, grade, label }) => ({ id, grade, label }));
    return {
      schoolId,
      noRoster: false,
      cadences: [...new Set(periods.map((p) => p.cadence))],
      periods,
      over: m.perPeriod.filter((p) => p.over).length,
      missingClasses,
      ...m.total,
    };
  });
  const withRoster = rows.filter((r) => !r.noRoster);
  const total = tally(
    withRoster.reduce((n, r) => n + r.expected, 0),
    withRoster.reduce((n, r) => n + r.done, 0),
  );
  return { month, schools: rows, total: { ...total, schools: rows.length, noRoster: rows.length - withRoster.length } };
}
