import { CADENCE_LABEL, type ContactLog, type Roster } from '../../schemas/contacts.js';
import type { CellState, LogLine } from '../../web/contacts/pages.js';
import { cellOf } from './completeness.js';
import { beijingDay, periodLabel, periodOf, periodsBetween } from './periods.js';
import { classLabel, current, type Person } from './service.js';
import type { ConcernStore, SummaryStore } from './store.js';

/**
 * The view models of the content pages, from the roster, the period summaries and (for a reader of the
 * class) the logs. The summaries hold no content.
 */

/** "本校家校联系周期：每周（周一至周日，北京时间）" — the cadence in force today, and a change announced. */
export function cadenceLine(roster: Roster, today: string): string {
  const spans = roster.cadence;
  const now = [...spans].reverse().find((s) => s.from <= today) ?? spans[0];
  const next = spans.find((s) => s.from > today);
  const what = (every: 'week' | 'month') => (every === 'week' ? `${CADENCE_LABEL.week}（周一至周日，北京时间）` : `${CADENCE_LABEL.month}（自然月）`);
  return `本校家校联系周期：${what(now?.every ?? 'week')}，每个周期至少与家长联系并记录一次。${next ? `自 ${next.from} 起改为${what(next.every)}。` : ''}本学期：${roster.term.start} 至 ${roster.term.end}。`;
}

export const logLine = (log: ContactLog, roster: Roster): LogLine => {
  const c = current(log);
  return {
    classId: log.classId,
    logId: log.logId,
    date: c.date,
    method: c.method,
    contacted: c.contacted,
    topics: c.topics,
    concern: c.concern,
    versions: log.versions.length,
    periodLabel: labelOf(roster, log.period),
  };
};

/** A period's label from its id (the roster's schedule), or the id itself. */
export function labelOf(roster: Roster, periodId: string): string {
  const p = periodsBetween(roster.cadence, roster.term, roster.term.start, roster.term.end).find((x) => x.id === periodId);
  return p ? periodLabel(p) : periodId;
}

/** The term's periods up to today (Beijing), and the current one. */
export function termSoFar(roster: Roster, now: Date) {
  const today = beijingDay(now);
  const to = today < roster.term.end ? today : roster.term.end;
  const periods = today < roster.term.start ? [] : periodsBetween(roster.cadence, roster.term, roster.term.start, to);
  return { today, periods, current: periodOf(roster.cadence, roster.term, today) };
}

/** A staff member's school page: open and recent concerns with their class, every class's state this period. */
export async function staffHome(deps: { concerns: Pick<ConcernStore, 'list'>; summaries: Pick<SummaryStore, 'getMany'> }, p: Person, now: Date) {
  const { today, current: cur } = termSoFar(p.roster, now);
  const [concerns, summaries] = await Promise.all([deps.concerns.list(p.school.id), cur ? deps.summaries.getMany([{ schoolId: p.school.id, period: cur.id }]) : Promise.resolve([])]);
  const classes = Object.entries(p.roster.classes)
    .filter(([, c]) => !c.until || c.until > today)
    .map(([classId, c]) => ({ classId, label: classLabel(c), teacher: c.teacher, state: cur ? cellOf(p.roster, classId, cur, summaries[0], now) : ('na' as CellState) }))
    .sort((a, b) => a.label.localeCompare(b.label, 'zh-CN', { numeric: true }));
  return {
    school: p.school.name,
    name: p.name,
    roles: p.kind === 'staff' ? p.roles : [],
    cadenceLine: cadenceLine(p.roster, today),
    currentLabel: cur ? periodLabel(cur) : undefined,
    classes,
    concerns: concerns.map((c) => {
      const k = p.roster.classes[c.classId];
      return { ...c, classLabel: k ? classLabel(k) : '（已撤销的班级）', teacher: k?.teacher ?? '' };
    }),
  };
}
