/**
 * Domain time (deadlines, late or on time) comes from a Clock; security time (token, session and
 * pre-signed POST expiry) always from the real clock.
 */
export interface Clock {
  now(): Date;
  /** The domain time at a real instant (e.g. when S3 received a file). */
  at(real: Date): Date;
}

export const systemClock: Clock = { now: () => new Date(), at: (real) => new Date(real) };

/**
 * Local runtime only: a domain clock that started at `domain` when the real clock read `real`, and
 * runs forward in real time. Anchor format "<domain ISO>|<real ISO>" (env DOMAIN_CLOCK).
 */
export function anchoredClock(anchor: string): Clock {
  const [domain, real] = anchor.split('|') as [string, string];
  const offset = Date.parse(domain) - Date.parse(real);
  if (!Number.isFinite(offset)) throw new Error(`DOMAIN_CLOCK is not "<ISO>|<ISO>": ${anchor}`);
  return { now: () => new Date(Date.now() + offset), at: (real) => new Date(real.getTime() + offset) };
}

/**
 * The domain clock of a deployment: the real one in the cloud (no DOMAIN_CLOCK), the anchored one locally.
 * Locally the anchor is read again from `process.env.DOMAIN_CLOCK` at each reading, so that
 * `npm run tick -- --at <ISO>` can move the running dev server's domain time forward (local/dev.ts
 * follows the anchor file).
 */
export function clockOf(env: { DOMAIN_CLOCK?: string }): Clock {
  if (!env.DOMAIN_CLOCK) return systemClock;
  let anchor = '';
  let clock: Clock = anchoredClock(env.DOMAIN_CLOCK);
  const current = () => {
    const a = process.env.DOMAIN_CLOCK ?? env.DOMAIN_CLOCK ?? '';
    if (a !== anchor && a) {
      clock = anchoredClock(a);
      anchor = a;
    }
    return clock;
  };
  return { now: () => current().now(), at: (real) => current().at(real) };
}

/** Beijing time is UTC+8 all year (no DST): a Beijing day is exactly one UTC day shifted by 8 hours. */
export const BEIJING_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;

/** "2019年6月30日 23:59" in Beijing time (UTC+8, no DST). */
export function formatBeijing(iso: string | Date, withTime = true): string {
  const d = new Date(new Date(iso).getTime() + BEIJING_OFFSET_MS);
  const date = `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
  if (!withTime) return date;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${date} ${hh}:${mm}`;
}

/** "6月30日 23:59" in Beijing time: short, for a line that already names the year. */
export function formatBeijingShort(iso: string | Date): string {
  return formatBeijing(iso).replace(/^\d+年/, '');
}

/** "2019-06-30 23:59" in Beijing time: the form Excel reads as a date and time. */
export function formatBeijingExcel(iso: string | Date): string {
  const d = new Date(new Date(iso).getTime() + BEIJING_OFFSET_MS);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

/** "20190630" in Beijing time. */
export const beijingDay = (iso: string | Date) => new Date(new Date(iso).getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, '');

const WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The Beijing calendar fields of an instant (UTC+8, no DST); throws RangeError on an invalid date. */
function beijingParts(iso: string | Date) {
  const t = new Date(iso).getTime();
  if (!Number.isFinite(t)) throw new RangeError(`not a date: ${String(iso)}`);
  const d = new Date(t + BEIJING_OFFSET_MS);
  return { month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: WEEKDAYS[d.getUTCDay()] as Weekday, hh: d.getUTCHours(), mm: d.getUTCMinutes() };
}

/** "星期日": the weekday of an instant in Beijing time (2019-06-30T16:00Z is already 星期一). */
export const beijingWeekday = (iso: string | Date): Weekday => beijingParts(iso).weekday;

/**
 * "6月30日（星期日）", or with the time "6月30日（星期日）23:59", in Beijing time: the form reminders use
 * for a deadline (a date people plan a week around reads better with its weekday).
 */
export function formatBeijingWeekday(iso: string | Date, withTime = false): string {
  const p = beijingParts(iso);
  const date = `${p.month}月${p.day}日（${p.weekday}）`;
  return withTime ? `${date}${String(p.hh).padStart(2, '0')}:${String(p.mm).padStart(2, '0')}` : date;
}
