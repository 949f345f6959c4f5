/**
 * The local scheduler: fires the schedules of functions/schedules.ts — the same definitions the CDK stack
 * gives EventBridge Scheduler — on the domain clock. `aws-cron-parser` reads EventBridge's six-field cron
 * (with `?`, `L`, `W`, `#`); the schedules are in Asia/Shanghai (UTC+8, no DST), so a cron is evaluated
 * on Beijing wall time by shifting the instant 8 hours.
 */
import awsCronParser from 'aws-cron-parser';
import { type ScheduleSpec, schedules } from '../functions/schedules.js';
import { BEIJING_OFFSET_MS } from '../functions/shared/clock.js';

const parsed = new Map<string, ReturnType<typeof awsCronParser.parse>>();
const cronOf = (spec: ScheduleSpec) => {
  let p = parsed.get(spec.cron);
  if (!p) parsed.set(spec.cron, (p = awsCronParser.parse(spec.cron)));
  return p;
};
const shift = (t: Date, sign: 1 | -1) => new Date(t.getTime() + sign * BEIJING_OFFSET_MS);

/** The schedule's firings in (from, to], oldest first. */
export function firings(spec: ScheduleSpec, from: Date, to: Date): Date[] {
  const out: Date[] = [];
  // aws-cron-parser's next() is inclusive of a whole minute that matches: start one ms after `from`.
  for (let t = awsCronParser.next(cronOf(spec), shift(new Date(from.getTime() + 1), 1)); t && shift(t, -1) <= to; t = awsCronParser.next(cronOf(spec), new Date(t.getTime() + 1))) {
    out.push(shift(t, -1));
    if (out.length > 10_000) break;
  }
  return out;
}

/** The schedule's latest firing at or before `at`. */
export function lastFiring(spec: ScheduleSpec, at: Date): Date | undefined {
  const t = awsCronParser.prev(cronOf(spec), shift(new Date(at.getTime() + 1), 1));
  return t ? shift(t, -1) : undefined;
}

/** What a schedule delivers to its function (as Scheduler's input template does). */
export const scheduledEvent = (spec: ScheduleSpec, at: Date) => ({ job: spec.job, scheduledAt: at.toISOString() });

export interface SchedulerOptions {
  /** Domain time. */
  now: () => Date;
  invoke: (spec: ScheduleSpec, at: Date) => Promise<unknown>;
  /** How often the clock is looked at (real ms). */
  pollMs?: number;
  /**
   * A domain-time jump larger than this (a `npm run tick` moved the clock) fires nothing in between:
   * tick runs what is due at the instant it names, the scheduler carries on from there.
   */
  maxCatchUpMs?: number;
  specs?: ScheduleSpec[];
}

/** Fires each schedule when the domain clock passes one of its instants (at most once per instant). */
export function startScheduler(opts: SchedulerOptions): { stop(): void } {
  const specs = opts.specs ?? schedules;
  let last = opts.now();
  let running = Promise.resolve();
  const timer = setInterval(() => {
    const now = opts.now();
    const from = last;
    last = now;
    if (now.getTime() - from.getTime() > (opts.maxCatchUpMs ?? 10 * 60_000) || now <= from) return;
    running = running.then(async () => {
      for (const spec of specs) {
        for (const at of firings(spec, from, now)) {
          await opts.invoke(spec, at).catch((e: unknown) => console.error(`[schedule ${spec.name}] ${at.toISOString()}:`, e));
        }
      }
    });
  }, opts.pollMs ?? 5_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
