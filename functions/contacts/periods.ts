import type { Cadence, CadenceSpan, Day, Period, PeriodId } from '../../schemas/contacts.js';
import { BEIJING_OFFSET_MS, DAY_MS } from '../shared/clock.js';

/**
 * The parent-contact periods (家校联动: weekly or monthly, as the school sets), in Beijing time
 * (UTC+8, no DST). Pure: no I/O, no clock; every function takes its days and `now` as arguments.
 *
 * - A week is an ISO week, Monday–Sunday, named by its ISO week-year (the year of its Thursday):
 *   2019-12-30 is in `2020-W01`, 2021-01-03 in `2020-W53`. A month is a calendar month, `2019-06`.
 * - A school's cadence history is a list of spans (`{from, every}`); a span runs from its `from` up
 *   to the next span's `from` (exclusive), the last one for ever. Counting starts at the first span's
 *   `from`. A period is the week or month that contains a day under the span covering that day,
 *   CLIPPED to that span and to the term: a week cut by a change of cadence keeps its ISO id but is
 *   shorter (monthly until 2019-09-01, weekly from then: `2019-W35` is 2019-09-01 only, the August
 *   period covering 26–31 August).
 * - Ids are unique: the roster writer only accepts later spans on the 1st of a month (see
 *   `cadenceChange`), and under such a history no week or month can be cut into two pieces that
 *   both lie in spans of its own cadence. For any other history (spans a few days apart, flipping
 *   cadence) the pieces of one id are merged into one period from the first piece's start to the
 *   last piece's end, so that `periodOf`, `periodsBetween` and `periodById` always agree.
 *
 * Days are handled as day numbers (days since 1970-01-01): no Date arithmetic across zones.
 */

export type { Cadence, CadenceSpan, Day, Period, PeriodId };

/** The reminder of a period goes out at this Beijing hour on `reminderDayOf(period)`. */
export const REMINDER_HOUR = 15;

export interface Term {
  start: Day;
  end: Day;
}

// ── Day numbers ─────────────────────────────────────────────────────────────────────────────────

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The day number of a `YYYY-MM-DD` day; RangeError for anything that is not a real day. */
export function dayNumber(day: Day): number {
  const t = DAY_RE.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== day) throw new RangeError(`not a day: ${String(day)}`);
  return t / DAY_MS;
}

/** The `YYYY-MM-DD` of a day number. */
export const dayOfNumber = (n: number): Day => new Date(n * DAY_MS).toISOString().slice(0, 10);

/** `day` plus `n` days. */
export const addDays = (day: Day, n: number): Day => dayOfNumber(dayNumber(day) + n);

/** The Beijing calendar day of an instant ('YYYY-MM-DD'; 2019-06-30T15:59Z is 2019-06-30, 16:00Z already 2019-07-01). */
export function beijingDay(instant: Date): Day {
  const t = instant.getTime();
  if (!Number.isFinite(t)) throw new RangeError('not a date');
  return new Date(t + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant a Beijing day starts (00:00+08:00). */
export const beijingDayStart = (day: Day): Date => new Date(dayNumber(day) * DAY_MS - BEIJING_OFFSET_MS);

/** Monday 0 … Sunday 6 (1970-01-01 was a Thursday). */
const isoWeekday = (n: number) => (((n + 3) % 7) + 7) % 7;
const pad2 = (n: number) => String(n).padStart(2, '0');

// ── Weeks and months ────────────────────────────────────────────────────────────────────────────

export interface CalendarPeriod {
  id: PeriodId;
  start: Day;
  end: Day;
}

/** The ISO week of a day: `YYYY-Www` (week-year of its Thursday), its Monday and its Sunday. */
export function weekOf(day: Day): CalendarPeriod & { year: number; week: number } {
  const n = dayNumber(day);
  const monday = n - isoWeekday(n);
  const thursday = dayOfNumber(monday + 3);
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor((monday + 3 - dayNumber(`${thursday.slice(0, 4)}-01-01`)) / 7) + 1;
  return { id: `${year}-W${pad2(week)}`, year, week, start: dayOfNumber(monday), end: dayOfNumber(monday + 6) };
}

/** The calendar month of a day: `YYYY-MM`, its first and last day. */
export function monthOf(day: Day): CalendarPeriod {
  dayNumber(day);
  const first = `${day.slice(0, 7)}-01`;
  return { id: day.slice(0, 7), start: first, end: addDays(nextCadenceStart(day), -1) };
}

/** The first day of the month after `today`'s: the earliest day a change of cadence may take effect. */
export function nextCadenceStart(today: Day): Day {
  dayNumber(today);
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${pad2(m + 1)}-01`;
}

const WEEK_ID = /^(\d{4})-W(\d{2})$/;
const MONTH_ID = /^(\d{4})-(\d{2})$/;

/** The calendar week or month of an id, unclipped; undefined for an id that names none (`2019-W53`, `2019-13`). */
export function calendarPeriod(id: string): (CalendarPeriod & { cadence: Cadence }) | undefined {
  const w = WEEK_ID.exec(id);
  if (w) {
    const jan4 = dayNumber(`${w[1]}-01-04`); // always in week 1
    const monday = jan4 - isoWeekday(jan4) + 7 * (Number(w[2]) - 1);
    const week = weekOf(dayOfNumber(monday));
    return week.id === id ? { cadence: 'week', id, start: week.start, end: week.end } : undefined;
  }
  const m = MONTH_ID.exec(id);
  if (m && Number(m[2]) >= 1 && Number(m[2]) <= 12) return { cadence: 'month', ...monthOf(`${id}-01`) };
  return undefined;
}

const calendarOf = (cadence: Cadence, day: Day): CalendarPeriod => (cadence === 'week' ? weekOf(day) : monthOf(day));

// ── Cadence history ─────────────────────────────────────────────────────────────────────────────

interface Span {
  every: Cadence;
  /** Day numbers, both inclusive (`to` Infinity for the last span). */
  from: number;
  to: number;
}

/**
 * The history as day ranges: sorted by `from` (stable; of two spans with the same `from` the later
 * one in the list wins), adjacent spans of the same cadence merged (a no-op change splits nothing).
 */
function spansOf(history: readonly CadenceSpan[]): Span[] {
  const sorted = history.map((s, i) => ({ s, i, from: dayNumber(s.from) })).sort((a, b) => a.from - b.from || a.i - b.i);
  const spans: Span[] = [];
  for (const { s, from } of sorted) {
    const last = spans.at(-1);
    if (last && last.from === from) spans.pop();
    const prev = spans.at(-1);
    if (prev && prev.every === s.every) continue;
    spans.push({ every: s.every, from, to: Number.POSITIVE_INFINITY });
  }
  for (let i = 0; i + 1 < spans.length; i++) spans[i]!.to = spans[i + 1]!.from - 1;
  return spans;
}

/** The days counted: the term, from the first span's `from` on. */
function counted(spans: Span[], term: Term): { from: number; to: number } | undefined {
  if (!spans.length) return undefined;
  const from = Math.max(dayNumber(term.start), spans[0]!.from);
  const to = dayNumber(term.end);
  return from <= to ? { from, to } : undefined;
}

/** Every piece of the period `id` under the history, within the term, merged (see the header). */
function resolve(spans: Span[], term: Term, id: string): Period | undefined {
  const cal = calendarPeriod(id);
  const w = counted(spans, term);
  if (!cal || !w) return undefined;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of spans) {
    if (s.every !== cal.cadence) continue;
    const a = Math.max(dayNumber(cal.start), s.from, w.from);
    const b = Math.min(dayNumber(cal.end), s.to, w.to);
    if (a > b) continue;
    start = Math.min(start, a);
    end = Math.max(end, b);
  }
  return Number.isFinite(start) ? { id: cal.id, cadence: cal.cadence, start: dayOfNumber(start), end: dayOfNumber(end) } : undefined;
}

function periodAt(spans: Span[], term: Term, n: number): Period | undefined {
  const w = counted(spans, term);
  if (!w || n < w.from || n > w.to) return undefined;
  const span = spans.find((s) => s.from <= n && n <= s.to);
  return span && resolve(spans, term, calendarOf(span.every, dayOfNumber(n)).id);
}

/** The period containing `day` (clipped to its span and the term); undefined outside the term or before counting starts. */
export function periodOf(history: readonly CadenceSpan[], term: Term, day: Day): Period | undefined {
  return periodAt(spansOf(history), term, dayNumber(day));
}

/** Every period that overlaps [from, to] (clipped), in order of their start, each id once. */
export function periodsBetween(history: readonly CadenceSpan[], term: Term, from: Day, to: Day): Period[] {
  const spans = spansOf(history);
  const w = counted(spans, term);
  const out: Period[] = [];
  if (!w) return out;
  const seen = new Set<string>();
  const last = Math.min(dayNumber(to), w.to);
  for (let n = Math.max(dayNumber(from), w.from); n <= last; ) {
    const p = periodAt(spans, term, n);
    if (!p) break; // unreachable: every day of the window is in a span
    if (!seen.has(p.id)) {
      seen.add(p.id);
      out.push(p);
    }
    // The next day not in this period (a merged period may contain other periods' days: step past this piece only).
    const span = spans.find((s) => s.from <= n && n <= s.to)!;
    n = Math.min(dayNumber(calendarOf(span.every, dayOfNumber(n)).end), span.to) + 1;
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** The period `id` of this schedule (clipped), or undefined when the id is malformed or not one of the schedule's periods. */
export function periodById(history: readonly CadenceSpan[], term: Term, id: PeriodId | string): Period | undefined {
  return resolve(spansOf(history), term, id);
}

export type CadenceChange =
  | { ok: true; history: CadenceSpan[] }
  | { ok: false; code: 'bad_day' | 'not_first_of_month' | 'too_early'; message: string };

/**
 * A school changes its cadence from `change.from` on: the 1st of a month no earlier than the next
 * month (`nextCadenceStart(today)`), so that no period that has started changes shape. Spans that
 * have not started yet and start on or after `change.from` are replaced; the result is sorted, and a
 * change to the cadence already in force is kept out (nothing to split).
 */
export function cadenceChange(history: readonly CadenceSpan[], change: CadenceSpan, today: Day): CadenceChange {
  try {
    dayNumber(change.from);
    dayNumber(today);
  } catch {
    return { ok: false, code: 'bad_day', message: '日期不正确' };
  }
  if (!change.from.endsWith('-01')) return { ok: false, code: 'not_first_of_month', message: '联系频次只能从某月 1 日起调整' };
  const earliest = nextCadenceStart(today);
  if (change.from < earliest) return { ok: false, code: 'too_early', message: `联系频次最早从 ${earliest} 起调整（本月及以前的周期不变）` };
  const kept = [...history].filter((s) => s.from < change.from).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const inForce = kept.at(-1);
  return { ok: true, history: inForce?.every === change.every ? kept : [...kept, { from: change.from, every: change.every }] };
}

/** Whether `from` is an acceptable start for a change of cadence (see `cadenceChange`). */
export const validCadenceChange = (history: readonly CadenceSpan[], from: Day, today: Day): boolean =>
  cadenceChange(history, { from, every: 'week' }, today).ok;

// ── Period instants ─────────────────────────────────────────────────────────────────────────────

/** The instant the period's last Beijing day ends: `end`T23:59:59.999+08:00. */
export const periodEndsAt = (period: Period): Date => new Date(beijingDayStart(period.end).getTime() + DAY_MS - 1);

/** Over once the Beijing day after its `end` has started. */
export const isPeriodOver = (period: Period, now: Date): boolean => now.getTime() > periodEndsAt(period).getTime();

/** Started once its first Beijing day has started. */
export const hasPeriodStarted = (period: Period, now: Date): boolean => now.getTime() >= beijingDayStart(period.start).getTime();

/**
 * The day the period's reminder goes out (at REMINDER_HOUR, Beijing), always within the period:
 * - weekly: the Friday of its ISO week; a clipped week that ends before Friday, on its last day
 *   (one that starts after Friday, on its first);
 * - monthly: three days before its last day (June → 06-27, February 2019 → 02-25, February 2020 →
 *   02-26); a month clipped by the term's end counts back from the clipped end, one clipped at its
 *   start never earlier than its first day.
 */
export function reminderDayOf(period: Period): Day {
  const start = dayNumber(period.start);
  const end = dayNumber(period.end);
  const target = period.cadence === 'week' ? start - isoWeekday(start) + 4 : end - 3;
  return dayOfNumber(Math.min(end, Math.max(start, target)));
}

/** The instant of the period's reminder: `reminderDayOf` at 15:00 Beijing. */
export const reminderAt = (period: Period): Date => new Date(beijingDayStart(reminderDayOf(period)).getTime() + REMINDER_HOUR * 3600_000);

/**
 * The month a period counts in (monthly rates): a month its own id; a whole week the month of its
 * Thursday (the ISO rule: 2019-W27, 1–7 July, is July; 2019-W31, 29 July – 4 August, is August); a
 * clipped week the month of its start.
 */
export function monthOfPeriod(period: Period): string {
  if (period.cadence === 'month') return period.id;
  const week = weekOf(period.start);
  const whole = week.start === period.start && week.end === period.end;
  return (whole ? addDays(week.start, 3) : period.start).slice(0, 7);
}

// ── Labels ──────────────────────────────────────────────────────────────────────────────────────

/** "6月3日". */
const md = (day: Day) => `${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;

/** '第23周（6月3日–6月9日）' (a clipped week shows its clipped days) / '2019年6月' (a clipped month adds its days). */
export function periodLabel(period: Period): string {
  if (period.cadence === 'week') return `第${Number(period.id.slice(6))}周（${md(period.start)}–${md(period.end)}）`;
  const month = `${period.id.slice(0, 4)}年${Number(period.id.slice(5, 7))}月`;
  const cal = monthOf(period.start);
  return cal.start === period.start && cal.end === period.end ? month : `${month}（${md(period.start)}–${md(period.end)}）`;
}

/** 'W23' / '6月': a matrix column's heading. */
export const periodShortLabel = (period: Period): string =>
  period.cadence === 'week' ? `W${period.id.slice(6)}` : `${Number(period.id.slice(5, 7))}月`;
