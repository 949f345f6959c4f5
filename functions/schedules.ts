import type { FunctionName } from './routes.js';

/**
 * The one schedule list: the CDK stack makes an EventBridge Scheduler schedule of each (schedule group,
 * `Asia/Shanghai` cron, flexible window off, retries, a dead-letter queue), and the local runtime fires
 * the same definitions on the domain clock (`npm run dev`, `npm run tick -- --at <ISO>`).
 *
 * `cron` is EventBridge's six-field form "minutes hours day-of-month month day-of-week year", read in
 * Asia/Shanghai (UTC+8, no DST). The target receives `{ "job": <job>, "scheduledAt": <the firing instant> }`
 * (Scheduler's `<aws.scheduler.scheduled-time>`), so a retried or repeated delivery names the same
 * instant and plans the same ledger keys.
 */
export interface ScheduleSpec {
  /** Schedule name (unique; also the construct id's source). */
  name: string;
  fn: FunctionName;
  job: ScheduledJob;
  cron: string;
  description: string;
}

export type ScheduledJob = 'plan-reminders' | 'contact-reminders' | 'concern-alerts';

export const SCHEDULE_TIMEZONE = 'Asia/Shanghai';

export const schedules: ScheduleSpec[] = [
  {
    name: 'plan-reminders',
    fn: 'sweep',
    job: 'plan-reminders',
    // Every hour on the hour: each campaign's reminders go out in the hour of its policy's `at` (default 09:00).
    cron: '0 * * * ? *',
    description: 'Plan reminders and digests: each campaign in the hour its reminder policy names',
  },
  {
    name: 'contact-reminders',
    fn: 'contact-sweep',
    job: 'contact-reminders',
    // Every hour on the hour; what is due depends on the Beijing hour (functions/contacts/sweep-service.ts).
    cron: '0 * * * ? *',
    description: 'Parent-contact logs: reminders (15:00 on a period’s reminder day), missed periods and District digests (09:00), the daily 关注 list (08:00)',
  },
  {
    name: 'concern-alerts',
    fn: 'contact-sweep',
    job: 'concern-alerts',
    // Every 5 minutes: a 紧急 concern unacknowledged for an hour is re-sent and escalated within 5 minutes of the hour.
    cron: '0/5 * * * ? *',
    description: 'Urgent concerns not acknowledged within an hour: sent again to the crisis group and the principal',
  },
];
