import type { Org } from '../../schemas/orgs.js';
import type { Roster } from '../../schemas/contacts.js';
import { ACK_WITHIN_MS } from '../../schemas/contacts.js';
import { DIRECT_ROUTE_KEY, districtRouteKey } from '../../schemas/orgs.js';
import type { OrgReader } from '../orgs/store.js';
import { type About, enqueue, mailPayload, type OutboxClaims, type OutboxPayload, type OutboxQueue } from '../reminders/outbox.js';
import type { PersonTokens } from '../shared/tokens.js';
import { cellOf, missedInARow } from './completeness.js';
import { concernAlertMail, contactReminderMail, districtDigestMail, missedMail, watchListMail } from './mails.js';
import { addDays, beijingDay, periodLabel, periodOf, periodsBetween, reminderDayOf, REMINDER_HOUR } from './periods.js';
import { groupRates } from './rates-service.js';
import { concernAlertKey, crisisGroup, classLabel } from './service.js';
import type { CityRates, ConcernStore, RosterReader, SummaryStore } from './store.js';
import { cadenceLine } from './views.js';

/**
 * The contact logs' scheduled jobs (functions/schedules.ts), on the reminders' outbox and ledger: every mail is
 * claimed under a key naming what it is about, so a repeated or retried run sends nothing twice.
 *
 * contact-reminders (hourly; what is due depends on the Beijing hour):
 *   15:00  on a period's reminder day (weekly: its Friday; monthly: three days before its end): each head teacher
 *          whose class has nothing for the period yet          — key cremind#<school>#<class>#<period>
 *   09:00  the day after a period ended: the school's administrator about classes that missed two periods in a row
 *                                                                — key cmissed#<school>#<period>
 *   09:00  on the 1st: each District office, its schools' rates for the month before — key cdigest#<district>#<month>
 *          (and the city's roll-up per District and for the Direct schools: CONTACT-RATES#<month>, the Bureau's view)
 *   08:00  the crisis group of each school with 关注 raised the day before — key cwatch#<school>#<day>
 * concern-alerts (every 5 minutes): a 紧急 not acknowledged within an hour is sent again to the crisis group
 *   and the principal                                            — key concern-esc#<school>#<log>#<raisedAt>
 * None of these reads a log: rosters, period summaries and concern items only.
 */

export interface ContactSweepDeps {
  orgs: OrgReader;
  rosters: RosterReader;
  summaries: Pick<SummaryStore, 'getMany'>;
  concerns: Pick<ConcernStore, 'openUrgent' | 'escalated' | 'watchOn'>;
  /** The city's monthly roll-up per District (written on the 1st with the digests). */
  cityRates: Pick<CityRates, 'put'>;
  ledger: OutboxClaims;
  queue: OutboxQueue;
  tokens: PersonTokens;
  siteOrigin: string;
  linkTtlDays: number;
  now: () => Date;
}

type Message = { key: string; about: About; payload: OutboxPayload };

export interface ContactSweepReport {
  job: string;
  at: string;
  reminders: number;
  missed: number;
  digests: number;
  watchLists: number;
  escalations: number;
  queued: number;
  already: number;
}

const beijingHour = (t: Date) => new Date(t.getTime() + 8 * 3600_000).getUTCHours();
const orgMails = (o: Org) => [...new Set(o.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))];
const compact = (day: string) => day.replaceAll('-', '');

async function schoolsWithRosters(deps: ContactSweepDeps): Promise<{ school: Org; roster: Roster }[]> {
  const schools = (await deps.orgs.list()).filter((o) => o.kind === 'school');
  const rosters = new Map((await deps.rosters.getMany(schools.map((s) => s.id))).map((r) => [r.schoolId, r]));
  return schools.flatMap((school) => {
    const roster = rosters.get(school.id);
    return roster ? [{ school, roster }] : [];
  });
}

/** Head teachers whose class has nothing for a period whose reminder day is today (run at 15:00). */
async function reminders(deps: ContactSweepDeps, all: { school: Org; roster: Roster }[], now: Date): Promise<Message[]> {
  const today = beijingDay(now);
  const due = all.flatMap(({ school, roster }) => {
    const p = periodOf(roster.cadence, roster.term, today);
    return p && reminderDayOf(p) === today ? [{ school, roster, period: p }] : [];
  });
  const summaries = await deps.summaries.getMany(due.map((d) => ({ schoolId: d.school.id, period: d.period.id })));
  const bySchool = new Map(summaries.map((s) => [s.schoolId, s]));
  const out: Message[] = [];
  for (const { school, roster, period } of due) {
    for (const [classId, k] of Object.entries(roster.classes)) {
      if (cellOf(roster, classId, period, bySchool.get(school.id), now) !== 'open') continue;
      const token = await deps.tokens.personLink({ schoolId: school.id, person: `h.${classId}`, version: k.v }, deps.linkTtlDays);
      const mail = contactReminderMail({ school, classLabel: classLabel(k), teacher: k.teacher, period: periodLabel(period), cadence: cadenceLine(roster, today), link: `${deps.siteOrigin}/c/${token}`, to: k.email });
      out.push({ key: `cremind#${school.id}#${classId}#${period.id}`, about: { kind: 'contact-reminder', orgId: school.id, rule: period.id, day: compact(today) }, payload: mailPayload(mail) });
    }
  }
  return out;
}

/** The day after a period ended (09:00): classes that have now missed two or more periods in a row, to the school's administrator. */
async function missed(deps: ContactSweepDeps, all: { school: Org; roster: Roster }[], now: Date): Promise<Message[]> {
  const yesterday = addDays(beijingDay(now), -1);
  const ended = all.flatMap(({ school, roster }) => {
    const p = periodOf(roster.cadence, roster.term, yesterday);
    if (!p || p.end !== yesterday) return [];
    // The periods that matter: this one and enough before it to count a run (the term so far, at most 8).
    const periods = periodsBetween(roster.cadence, roster.term, roster.term.start, yesterday).slice(-8);
    return [{ school, roster, period: p, periods }];
  });
  const summaries = await deps.summaries.getMany(ended.flatMap((e) => e.periods.map((p) => ({ schoolId: e.school.id, period: p.id }))));
  const out: Message[] = [];
  for (const e of ended) {
    const mine = summaries.filter((s) => s.schoolId === e.school.id);
    const classes = Object.entries(e.roster.classes)
      .map(([id, k]) => ({ id, k, missed: missedInARow(e.roster, mine, e.periods, now, id) }))
      .filter((c) => c.missed >= 2);
    const to = orgMails(e.school);
    if (!classes.length || !to.length) continue;
    const mail = missedMail({ school: e.school, classes: classes.map((c) => ({ label: classLabel(c.k), teacher: c.k.teacher, missed: c.missed })), link: `${deps.siteOrigin}/contact-rates`, to });
    out.push({ key: `cmissed#${e.school.id}#${e.period.id}`, about: { kind: 'contact-escalation', orgId: e.school.id, rule: e.period.id, day: compact(beijingDay(now)) }, payload: mailPayload(mail) });
  }
  return out;
}

/** The 1st (09:00): every District office gets its schools' rates for the month before. */
async function digests(deps: ContactSweepDeps, now: Date): Promise<Message[]> {
  const today = beijingDay(now);
  if (!today.endsWith('-01')) return [];
  const month = addDays(today, -1).slice(0, 7);
  const districts = (await deps.orgs.list()).filter((o) => o.kind === 'district');
  const out: Message[] = [];
  const at = deps.now().toISOString();
  // The Direct schools' month too (for the city's roll-up; no District office to mail).
  const direct = await groupRates({ ...deps, now: () => now }, DIRECT_ROUTE_KEY, month);
  await deps.cityRates.put({ month, group: 'direct', name: '直属学校', schools: direct.rates.total.schools, noRoster: direct.rates.total.noRoster, expected: direct.rates.total.expected, done: direct.rates.total.done, at });
  for (const d of districts) {
    const r = await groupRates({ ...deps, now: () => now }, districtRouteKey(d.id), month);
    // The city's roll-up (the Bureau's per-District view): the same month computed again writes the same numbers.
    const t = r.rates.total;
    await deps.cityRates.put({ month, group: d.id, name: d.name, schools: t.schools, noRoster: t.noRoster, expected: t.expected, done: t.done, at });
    const to = orgMails(d);
    // A District none of whose schools keeps contact logs yet (no roster) gets no digest: nothing to report.
    if (!to.length || !r.schools.length || t.noRoster === t.schools) continue;
    const names = new Map(r.schools.map((s) => [s.id, s.name]));
    const mail = districtDigestMail({
      district: d,
      month,
      rows: r.rates.schools.map((s) => ({ name: names.get(s.schoolId) ?? s.schoolId, rate: s.rate, noRoster: s.noRoster, missing: s.missingClasses.length })),
      total: r.rates.total.rate,
      link: `${deps.siteOrigin}/contact-rates?month=${month}`,
      to,
    });
    out.push({ key: `cdigest#${d.id}#${month}`, about: { kind: 'contact-digest', orgId: d.id, rule: month, day: compact(today) }, payload: mailPayload(mail) });
  }
  return out;
}

/** 08:00: each school with 关注 raised the day before — its crisis group gets the list (classes and counts). */
async function watchLists(deps: ContactSweepDeps, now: Date): Promise<Message[]> {
  const day = addDays(beijingDay(now), -1);
  const concerns = await deps.concerns.watchOn(day);
  const bySchool = new Map<string, typeof concerns>();
  for (const c of concerns) bySchool.set(c.schoolId, [...(bySchool.get(c.schoolId) ?? []), c]);
  const out: Message[] = [];
  for (const [schoolId, list] of bySchool) {
    const [school, roster] = await Promise.all([deps.orgs.get(schoolId), deps.rosters.get(schoolId)]);
    if (!school || !roster) continue;
    const { to } = crisisGroup(roster, beijingDay(now));
    if (!to.length) continue;
    const counts = new Map<string, number>();
    for (const c of list) counts.set(c.classId, (counts.get(c.classId) ?? 0) + 1);
    const items = [...counts].map(([classId, count]) => {
      const k = roster.classes[classId];
      return { classLabel: k ? classLabel(k) : '（已撤销的班级）', teacher: k?.teacher ?? '', count };
    });
    const mail = watchListMail({ school, day, items, link: `${deps.siteOrigin}/contacts`, to });
    out.push({ key: `cwatch#${schoolId}#${day}`, about: { kind: 'concern-alert', orgId: schoolId, rule: 'watch', day: compact(day) }, payload: mailPayload(mail) });
  }
  return out;
}

/** Every 5 minutes: a 紧急 raised over an hour ago and still not acknowledged goes again to the group and the principal. */
async function escalations(deps: ContactSweepDeps, now: Date): Promise<{ messages: Message[]; mark: { schoolId: string; logId: string }[] }> {
  const open = await deps.concerns.openUrgent(new Date(now.getTime() - ACK_WITHIN_MS).toISOString());
  const messages: Message[] = [];
  const mark: { schoolId: string; logId: string }[] = [];
  for (const c of open) {
    const [school, roster] = await Promise.all([deps.orgs.get(c.schoolId), deps.rosters.get(c.schoolId)]);
    if (!school || !roster) continue;
    const group = crisisGroup(roster, beijingDay(now));
    const to = [...new Set([...group.to, ...group.principals])];
    const k = roster.classes[c.classId];
    mark.push({ schoolId: c.schoolId, logId: c.logId });
    if (!to.length) continue;
    const mail = concernAlertMail({ school, classLabel: k ? classLabel(k) : '（已撤销的班级）', teacher: k?.teacher ?? '', raisedAt: c.raisedAt, link: `${deps.siteOrigin}/contacts/logs/${c.classId}/${c.logId}`, to, escalation: true });
    messages.push({ key: `${concernAlertKey(c.schoolId, c.logId, c.raisedAt).replace(/^concern#/, 'concern-esc#')}`, about: { kind: 'concern-alert', orgId: c.schoolId, rule: 'escalation' }, payload: mailPayload(mail) });
  }
  return { messages, mark };
}

/** Runs one job at its scheduled instant (a retry or a repeat plans the same keys and sends nothing twice). */
export async function contactSweep(deps: ContactSweepDeps, job: 'contact-reminders' | 'concern-alerts', at: Date): Promise<ContactSweepReport> {
  const report: ContactSweepReport = { job, at: at.toISOString(), reminders: 0, missed: 0, digests: 0, watchLists: 0, escalations: 0, queued: 0, already: 0 };
  const messages: Message[] = [];
  let mark: { schoolId: string; logId: string }[] = [];
  if (job === 'concern-alerts') {
    const e = await escalations(deps, at);
    messages.push(...e.messages);
    mark = e.mark;
    report.escalations = e.messages.length;
  } else {
    const hour = beijingHour(at);
    if (hour === REMINDER_HOUR || hour === 9) {
      const all = await schoolsWithRosters(deps);
      if (hour === REMINDER_HOUR) {
        const r = await reminders(deps, all, at);
        report.reminders = r.length;
        messages.push(...r);
      } else {
        const m = await missed(deps, all, at);
        const d = await digests(deps, at);
        report.missed = m.length;
        report.digests = d.length;
        messages.push(...m, ...d);
      }
    }
    if (hour === 8) {
      const w = await watchLists(deps, at);
      report.watchLists = w.length;
      messages.push(...w);
    }
  }
  if (messages.length) {
    const r = await enqueue({ ledger: deps.ledger, queue: deps.queue, now: deps.now }, messages);
    report.queued = r.queued.length;
    report.already = r.already.length;
  }
  // After the mail is on the outbox: a crash before this mark sends it again next run — under the same key, so once.
  for (const m of mark) await deps.concerns.escalated(m.schoolId, m.logId, deps.now().toISOString());
  return report;
}

