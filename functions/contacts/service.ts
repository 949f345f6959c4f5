import { randomBytes } from 'node:crypto';
import { CONTACT_TRAIL } from '../../schemas/audit.js';
import {
  type AckBody,
  type ClassId,
  type ContactLog,
  type LogBody,
  type LogContent,
  MAX_VERSIONS,
  type NoneBody,
  type Roster,
  type RosterClass,
  type RosterStaff,
  type StaffRole,
} from '../../schemas/contacts.js';
import type { Org } from '../../schemas/orgs.js';
import type { AuditWriter } from '../audit/store.js';
import type { OrgReader } from '../orgs/store.js';
import { enqueue, mailPayload, type OutboxClaims, type OutboxQueue } from '../reminders/outbox.js';
import type { Clock } from '../shared/clock.js';
import { AppError, badRequest, Errors, forbidden, notFound } from '../shared/errors.js';
import type { PersonGrant, PersonTokens } from '../shared/tokens.js';
import { concernAlertMail } from './mails.js';
import { beijingDay, periodById, periodOf } from './periods.js';
import type { ConcernStore, LogReader, LogStore, RosterStore, SummaryStore } from './store.js';

/**
 * The domain core of the parent-contact logs: who a person is (their own link), what they may read and write,
 * and the writes themselves. No AWS here; the stores, the clock, the signer, the outbox and the trail are ports.
 *
 * Who reads content: the class's head teacher (their class only), and the school's staff on the roster
 * (principal, psychology teachers, crisis group members). Nobody else — not the school's administrator (the
 * org's link: roster and counts), not the District, not the Bureau — and no function outside contact-pages
 * and contact-logs even has access to the table that holds it.
 */

export interface ContactReadDeps {
  rosters: Pick<RosterStore, 'get'>;
  orgs: Pick<OrgReader, 'get'>;
  tokens: PersonTokens;
  clock: Clock;
  audit: AuditWriter;
  logs: LogReader;
  concerns: Pick<ConcernStore, 'get' | 'list'>;
  summaries: Pick<SummaryStore, 'getMany'>;
}

export interface ContactWriteDeps extends Omit<ContactReadDeps, 'logs' | 'summaries' | 'concerns'> {
  logs: LogStore;
  summaries: Pick<SummaryStore, 'mark' | 'unmark'>;
  concerns: Pick<ConcernStore, 'raise' | 'ack' | 'get'>;
  ledger: OutboxClaims;
  queue: OutboxQueue;
  siteOrigin: string;
  retentionDays: number;
}

/** A person acting through their own link: a head teacher of one class, or a staff member of the school. */
export type Person =
  | { kind: 'head'; grant: PersonGrant; school: Org; roster: Roster; classId: ClassId; entry: RosterClass; name: string }
  | { kind: 'staff'; grant: PersonGrant; school: Org; roster: Roster; staffId: string; entry: RosterStaff; name: string; roles: StaffRole[] };

/** The trail's actor for a person. */
export const actorOfPerson = (p: Pick<Person, 'grant'>) => `person:${p.grant.schoolId}/${p.grant.person}`;

const base32 = (bytes: Buffer) => {
  const A = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (const b of bytes) out += A[b & 31];
  return out;
};
/** A fresh id of `n` base32 characters (5 random bits each; 12 characters: 60 bits). */
export const newId = (n: number) => base32(randomBytes(n));

/** Checks a person's grant against the roster: the entry exists, is current and has the same link version. */
async function resolvePerson(deps: Pick<ContactReadDeps, 'rosters' | 'orgs' | 'clock'>, grant: PersonGrant, typ: 'plink' | 'psession'): Promise<Person> {
  const invalid = typ === 'plink' ? Errors.linkInvalid() : Errors.noSession();
  const [school, roster] = await Promise.all([deps.orgs.get(grant.schoolId), deps.rosters.get(grant.schoolId)]);
  if (!school || school.kind !== 'school' || !roster) throw invalid;
  const today = beijingDay(deps.clock.now());
  const [kind, id] = grant.person.split('.') as ['h' | 's', string];
  if (kind === 'h') {
    const entry = roster.classes[id];
    if (!entry) throw invalid;
    if (entry.v !== grant.version || (entry.until && entry.until <= today)) throw Errors.linkRevoked();
    return { kind: 'head', grant, school, roster, classId: id, entry, name: entry.teacher };
  }
  const entry = roster.staff[id];
  if (!entry) throw invalid;
  if (entry.v !== grant.version || (entry.until && entry.until <= today)) throw Errors.linkRevoked();
  return { kind: 'staff', grant, school, roster, staffId: id, entry, name: entry.name, roles: entry.roles };
}

export async function openPersonLink(deps: Pick<ContactReadDeps, 'rosters' | 'orgs' | 'clock' | 'tokens'>, token: string): Promise<string> {
  const grant = await deps.tokens.verifyPerson(token, 'plink');
  await resolvePerson(deps, grant, 'plink');
  return deps.tokens.personSession(grant);
}

export async function authenticatePerson(deps: Pick<ContactReadDeps, 'rosters' | 'orgs' | 'clock' | 'tokens'>, session: string | undefined): Promise<Person> {
  if (!session) throw Errors.noSession();
  return resolvePerson(deps, await deps.tokens.verifyPerson(session, 'psession'), 'psession');
}

/** May this person read the content of this class's logs? */
export const readsClass = (p: Person, classId: string) => (p.kind === 'head' ? p.classId === classId : true);

/** Records a refused request for content (the requester, what was asked for; never the content). */
export async function recordDenied(deps: Pick<ContactReadDeps, 'audit' | 'clock'>, who: { actor: string; name: string; schoolId: string }, what: string): Promise<void> {
  await deps.audit.append({
    campaignId: CONTACT_TRAIL,
    orgId: who.schoolId,
    at: deps.clock.now().toISOString(),
    id: `denied-${newId(12)}`,
    action: 'contact.denied',
    actor: who.actor as never,
    actorName: who.name.slice(0, 80),
    note: what.slice(0, 500),
  });
}

/** A request for content this person may not read: 404 (no hint that it exists), and the attempt is recorded. */
export async function denied(deps: Pick<ContactReadDeps, 'audit' | 'clock'>, who: { actor: string; name: string; schoolId: string }, what: string): Promise<never> {
  await recordDenied(deps, who, what);
  throw notFound('LOG_NOT_FOUND', '没有找到这条记录，或您无权查看。');
}

async function recordRead(deps: Pick<ContactReadDeps, 'audit' | 'clock'>, p: Person, action: 'contact.read' | 'contact.listed' | 'contact.exported', note: string, extra: { classId?: string; logId?: string; count?: number } = {}) {
  await deps.audit.append({
    campaignId: CONTACT_TRAIL,
    orgId: p.school.id,
    at: deps.clock.now().toISOString(),
    id: `${action}-${newId(12)}`,
    action,
    actor: actorOfPerson(p) as never,
    actorName: p.name.slice(0, 80),
    after: { ...(extra.classId ? { classId: extra.classId } : {}), ...(extra.logId ? { logId: extra.logId } : {}), ...(extra.count !== undefined ? { count: extra.count } : {}) },
    note,
  });
}

export const classLabel = (c: Pick<RosterClass, 'grade' | 'label'>) => `${c.grade}${c.label}`;

// ── Reads ────────────────────────────────────────────────────────────────────────────────────────

/** One log with its versions, for a reader of its class (recorded); anyone else gets 404 and the attempt is recorded. */
export async function readLog(deps: ContactReadDeps, p: Person, classId: string, logId: string) {
  const entry = p.roster.classes[classId];
  if (!entry || !readsClass(p, classId)) return denied(deps, { actor: actorOfPerson(p), name: p.name, schoolId: p.school.id }, `log ${classId}/${logId}`);
  const log = await deps.logs.get(p.school.id, classId, logId);
  if (!log) throw notFound('LOG_NOT_FOUND', '没有找到这条记录，或您无权查看。');
  await recordRead(deps, p, 'contact.read', `${classLabel(entry)} 的记录`, { classId, logId });
  const concern = await deps.concerns.get(p.school.id, logId);
  return { log, klass: entry, concern, mayCorrect: isAuthor(p, log) && log.versions.length < MAX_VERSIONS, mayAck: p.kind === 'staff' && !!concern && !concern.ackAt };
}

/** A class's logs and "no contact needed" records (recorded as one read). */
export async function classLogs(deps: ContactReadDeps, p: Person, classId: string) {
  const entry = p.roster.classes[classId];
  if (!entry || !readsClass(p, classId)) return denied(deps, { actor: actorOfPerson(p), name: p.name, schoolId: p.school.id }, `class ${classId}`);
  const [logs, none] = await Promise.all([deps.logs.list(p.school.id, classId), deps.logs.listNone(p.school.id, classId)]);
  await recordRead(deps, p, 'contact.listed', `${classLabel(entry)} 的记录列表`, { classId, count: logs.length });
  return { klass: entry, classId, logs: logs.sort((a, b) => current(b).date.localeCompare(current(a).date) || b.createdAt.localeCompare(a.createdAt)), none };
}

/** Every log of the school (staff), or of the head teacher's class, for the CSV (recorded). */
export async function exportLogs(deps: ContactReadDeps, p: Person) {
  const logs = await deps.logs.list(p.school.id, p.kind === 'head' ? p.classId : undefined);
  await recordRead(deps, p, 'contact.exported', p.kind === 'head' ? `${classLabel(p.entry)} 的记录（CSV）` : '全校记录（CSV）', { count: logs.length });
  return logs.sort((a, b) => a.classId.localeCompare(b.classId) || current(a).date.localeCompare(current(b).date));
}

export const current = (log: ContactLog) => log.versions[log.versions.length - 1] as ContactLog['versions'][number];
const isAuthor = (p: Person, log: ContactLog) => log.author.person === p.grant.person && log.author.v === p.grant.version;

// ── Writes ───────────────────────────────────────────────────────────────────────────────────────

const sameContent = (a: LogContent, b: LogContent) =>
  a.date === b.date &&
  a.method === b.method &&
  a.contacted === b.contacted &&
  a.students === b.students &&
  a.summary === b.summary &&
  (a.followUp ?? '') === (b.followUp ?? '') &&
  a.concern === b.concern &&
  [...a.topics].sort().join() === [...b.topics].sort().join();

/** The contact day must be in the term, not in the future (Beijing), and not before the class was on the roster. */
function periodOfContent(deps: Pick<ContactWriteDeps, 'clock'>, p: Extract<Person, { kind: 'head' }>, content: LogContent) {
  const today = beijingDay(deps.clock.now());
  if (content.date > today) throw badRequest('DATE_IN_FUTURE', '联系日期不能晚于今天。');
  const period = periodOf(p.roster.cadence, p.roster.term, content.date);
  if (!period) throw badRequest('OUTSIDE_TERM', `联系日期不在本学期（${p.roster.term.start} 至 ${p.roster.term.end}）内。`);
  return period;
}

function headOnly(p: Person): Extract<Person, { kind: 'head' }> {
  if (p.kind !== 'head') throw forbidden('ONLY_HEAD_TEACHER', '只有本班班主任可以填写家校联系记录。');
  return p;
}

export interface LogOutcome {
  log: ContactLog;
  /** False when the same request was already recorded (nothing written). */
  changed: boolean;
  /** The concern alert was put on the outbox (紧急, first time at that level, with a crisis group to mail). */
  alerted?: boolean;
}

/**
 * A new log (the form's `newId`, or a generated one) or its author's correction (`logId`). A repeated send
 * writes nothing. The period's summary gets the class (a set: once), a concern is recorded, and a 紧急 one is
 * mailed to the crisis group through the outbox now — not at the next sweep.
 */
export async function writeLog(deps: ContactWriteDeps, person: Person, body: LogBody): Promise<LogOutcome> {
  const p = headOnly(person);
  const period = periodOfContent(deps, p, body.content);
  const at = deps.clock.now().toISOString();
  const version = { ...body.content, at, byName: p.name };
  let log: ContactLog;
  let changed = true;
  let movedFrom: string | undefined;
  if (body.logId) {
    const prev = await deps.logs.get(p.school.id, p.classId, body.logId);
    if (!prev) throw notFound('LOG_NOT_FOUND', '没有找到这条记录，或您无权查看。');
    if (!isAuthor(p, prev)) throw forbidden('NOT_THE_AUTHOR', '只有记录的填写人可以更正这条记录。');
    if (sameContent(current(prev), body.content)) {
      log = prev;
      changed = false;
    } else {
      if (prev.versions.length >= MAX_VERSIONS) throw new AppError(409, 'TOO_MANY_VERSIONS', `一条记录最多更正 ${MAX_VERSIONS - 1} 次，请新填一条记录。`);
      log = { ...prev, period: period.id, versions: [...prev.versions, version] };
      if (!(await deps.logs.update(log, prev.versions.length))) throw new AppError(409, 'CHANGED_MEANWHILE', '这条记录刚被更正过，请刷新页面后再试。');
      if (prev.period !== period.id) movedFrom = prev.period;
    }
  } else {
    const logId = body.newId ?? newId(12);
    log = {
      schoolId: p.school.id,
      classId: p.classId,
      logId,
      period: period.id,
      author: { person: p.grant.person, v: p.grant.version },
      versions: [version],
      createdAt: at,
      ttl: Math.floor(Date.parse(`${body.content.date}T00:00:00+08:00`) / 1000) + deps.retentionDays * 86400,
    };
    if (!(await deps.logs.create(log))) {
      const prev = await deps.logs.get(p.school.id, p.classId, logId);
      // The same form sent twice: the first one stands. Anything else under that id is not this person's to write.
      if (!prev || !isAuthor(p, prev)) throw new AppError(409, 'ID_TAKEN', '记录编号冲突，请刷新页面后重新填写。');
      log = prev;
      changed = false;
    }
  }
  // Also when unchanged: a repeat after a crash between the writes completes them (each is idempotent).
  await deps.summaries.mark(p.school.id, log.period, p.classId, 'logged');
  if (movedFrom) await unmarkIfEmpty(deps, p, movedFrom);
  if (changed) {
    await deps.audit.append({
      campaignId: CONTACT_TRAIL,
      orgId: p.school.id,
      at,
      id: `${log.logId}-v${log.versions.length}`,
      action: log.versions.length === 1 ? 'contact.logged' : 'contact.corrected',
      actor: actorOfPerson(p) as never,
      actorName: p.name.slice(0, 80),
      version: log.versions.length,
      // Never content: the class, the period and the concern level.
      after: { classId: p.classId, logId: log.logId, period: log.period, concern: current(log).concern },
    });
  }
  const concern = current(log).concern;
  const out: LogOutcome = { log, changed };
  if (concern !== '无') {
    const r = await deps.concerns.raise({ schoolId: p.school.id, classId: p.classId, logId: log.logId, level: concern, raisedAt: at });
    if (concern === '紧急' && (r.raised || (r.item.level === '紧急' && !r.item.ackAt))) out.alerted = await alertCrisisGroup(deps, p, log.logId, r.item.raisedAt);
  }
  return out;
}

/** A correction moved the log to another period: that period keeps the class only if another log of it is there. */
async function unmarkIfEmpty(deps: ContactWriteDeps, p: Extract<Person, { kind: 'head' }>, period: string) {
  const logs = await deps.logs.list(p.school.id, p.classId);
  if (logs.some((l) => l.period === period)) return;
  await deps.summaries.unmark(p.school.id, period, p.classId, 'logged');
}

/** Who gets a concern's alert: the crisis group (its members and the principal, its leader); else the psychology teachers. */
export function crisisGroup(roster: Roster, today: string): { to: string[]; principals: string[] } {
  const current = Object.values(roster.staff).filter((s) => !s.until || s.until > today);
  const group = current.filter((s) => s.roles.includes('crisis') || s.roles.includes('principal'));
  const pick = (list: RosterStaff[]) => [...new Set(list.map((s) => s.email.toLowerCase()))];
  return { to: pick(group.length ? group : current.filter((s) => s.roles.includes('psych'))), principals: pick(current.filter((s) => s.roles.includes('principal'))) };
}

export const concernAlertKey = (schoolId: string, logId: string, raisedAt: string) => `concern#${schoolId}#${logId}#${raisedAt}`;

async function alertCrisisGroup(deps: ContactWriteDeps, p: Extract<Person, { kind: 'head' }>, logId: string, raisedAt: string): Promise<boolean> {
  const { to } = crisisGroup(p.roster, beijingDay(deps.clock.now()));
  if (!to.length) return false;
  const mail = concernAlertMail({ school: p.school, classLabel: classLabel(p.entry), teacher: p.entry.teacher, raisedAt, link: `${deps.siteOrigin}/contacts/logs/${p.classId}/${logId}`, to });
  await enqueue({ ledger: deps.ledger, queue: deps.queue, now: () => deps.clock.now() }, [
    { key: concernAlertKey(p.school.id, logId, raisedAt), about: { kind: 'concern-alert', orgId: p.school.id }, payload: mailPayload(mail) },
  ]);
  return true;
}

/** "No contact needed" for a period that has started, with its reason (kept with the content); once per class and period. */
export async function markNone(deps: ContactWriteDeps, person: Person, body: NoneBody) {
  const p = headOnly(person);
  const period = periodById(p.roster.cadence, p.roster.term, body.period);
  if (!period) throw badRequest('UNKNOWN_PERIOD', '没有这个周期。');
  const today = beijingDay(deps.clock.now());
  if (period.start > today) throw badRequest('PERIOD_NOT_STARTED', '这个周期还没有开始。');
  const at = deps.clock.now().toISOString();
  const created = await deps.logs.putNone({
    schoolId: p.school.id,
    classId: p.classId,
    period: period.id,
    reason: body.reason,
    at,
    byName: p.name,
    ttl: Math.floor(Date.parse(`${period.end}T00:00:00+08:00`) / 1000) + deps.retentionDays * 86400,
  });
  await deps.summaries.mark(p.school.id, period.id, p.classId, 'none');
  if (created) {
    await deps.audit.append({
      campaignId: CONTACT_TRAIL,
      orgId: p.school.id,
      at,
      id: `none-${p.classId}-${period.id}`,
      action: 'contact.none',
      actor: actorOfPerson(p) as never,
      actorName: p.name.slice(0, 80),
      after: { classId: p.classId, period: period.id },
    });
  }
  return { period, changed: created };
}

/** A staff member acknowledges a concern of their school: the first acknowledgement is kept with its time. */
export async function acknowledge(deps: ContactWriteDeps, p: Person, body: AckBody) {
  if (p.kind !== 'staff') throw forbidden('ONLY_STAFF', '只有学校心理危机管理工作小组成员、校长和心理教师可以确认。');
  if (body.school && body.school !== p.school.id) return denied(deps, { actor: actorOfPerson(p), name: p.name, schoolId: p.school.id }, `ack ${body.school}/${body.logId}`);
  const at = deps.clock.now().toISOString();
  const r = await deps.concerns.ack(p.school.id, body.logId, actorOfPerson(p), p.name, at);
  if (!r.item) throw notFound('CONCERN_NOT_FOUND', '没有找到这条关注提醒。');
  if (r.acked) {
    await deps.audit.append({
      campaignId: CONTACT_TRAIL,
      orgId: p.school.id,
      at,
      id: `ack-${body.logId}-${r.item.raisedAt}`,
      action: 'concern.acknowledged',
      actor: actorOfPerson(p) as never,
      actorName: p.name.slice(0, 80),
      after: { classId: r.item.classId, logId: body.logId, level: r.item.level },
    });
  }
  return { concern: r.item, changed: r.acked };
}
