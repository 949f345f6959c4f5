import { CONTACT_TRAIL } from '../../schemas/audit.js';
import {
  type Cadence,
  CADENCE_LABEL,
  type CadenceSpan,
  DEFAULT_CADENCE,
  type Day,
  type Roster,
  type RosterClass,
  type RosterStaff,
  STAFF_ROLE_LABEL,
} from '../../schemas/contacts.js';
import type { Org } from '../../schemas/orgs.js';
import {
  type ClassBody,
  MAX_CLASS_ENTRIES,
  MAX_CLASSES,
  MAX_STAFF,
  MAX_STAFF_ENTRIES,
  MAX_TERM_DAYS,
  type RosterBody,
  type StaffBody,
} from '../../schemas/roster.js';
import type { AuditWriter } from '../audit/store.js';
import type { OrgReader } from '../orgs/store.js';
import type { OrgSession as Session } from './person.js';
import { enqueue, mailPayload, type OutboxClaims, type OutboxQueue } from '../reminders/outbox.js';
import { BEIJING_OFFSET_MS, type Clock, DAY_MS } from '../shared/clock.js';
import { AppError, badRequest, forbidden, notFound } from '../shared/errors.js';
import type { PersonTokens, TokenSigner } from '../shared/tokens.js';
import { personLinkMail } from './mails.js';
import { type CsvRow, parseRosterCsv } from './roster-csv.js';
import { newId as randomId } from './service.js';
import type { RosterStore } from './store.js';

/**
 * The school roster (issue 8): the school's administrator — whoever holds the school's own link (org session,
 * role `school`) — keeps its classes and head teachers, its staff (principal, psychology teachers, crisis group),
 * its term and its cadence. New and changed personal links go out through the outbox. No AWS here; and no log
 * content anywhere near: this function has no access to the contact-log table.
 *
 * One item per school (`SCHOOL#<school>` / `ROSTER`), written with a condition on its `rev` and retried on a
 * lost race; a request that changes nothing writes nothing. Every change is appended to the contact trail with
 * ids and counts only (no names, no e-mail addresses).
 */

export interface RosterDeps {
  orgs: Pick<OrgReader, 'get'>;
  /** The administrator's session (an org's) and the links it mails (a person's). */
  tokens: TokenSigner & PersonTokens;
  clock: Clock;
  rosters: Pick<RosterStore, 'get' | 'put'>;
  ledger: OutboxClaims;
  queue: OutboxQueue;
  audit: AuditWriter;
  siteOrigin: string;
  linkTtlDays: number;
  /** Fresh ids (tests pass a predictable one): n base32 characters. */
  newId?: (n: number) => string;
}

/** Attempts to write the roster before giving up (each lost race means another writer progressed). */
const WRITE_ATTEMPTS = 20;

// ── Beijing days ─────────────────────────────────────────────────────────────────────────────────
// (functions/contacts/periods.ts computes the periods themselves; the roster needs only these few.)

export const beijingToday = (now: Date): Day => new Date(now.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
const dayMs = (d: Day) => Date.parse(`${d}T00:00:00Z`);
export const addDays = (d: Day, n: number): Day => new Date(dayMs(d) + n * DAY_MS).toISOString().slice(0, 10);
/** Days from a to b (b − a). */
export const daysBetween = (a: Day, b: Day) => Math.round((dayMs(b) - dayMs(a)) / DAY_MS);
/** The first day of the month after `d`. */
export function firstOfNextMonth(d: Day): Day {
  const [y, m] = d.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}
/** The last day of the period (ISO week Monday–Sunday, or calendar month) that contains `d`. */
export function periodEndOf(every: Cadence, d: Day): Day {
  if (every === 'month') return addDays(firstOfNextMonth(d), -1);
  const weekday = new Date(dayMs(d)).getUTCDay() || 7; // Monday 1 … Sunday 7
  return addDays(d, 7 - weekday);
}

/**
 * The default term of a new roster: from today to the next 15 July or 31 January, whichever comes first after
 * today (the end of the spring or the autumn semester, holidays excluded) — at most ~6.5 months. The school
 * corrects it on the page.
 */
export function defaultTerm(today: Day): { start: Day; end: Day } {
  const y = Number(today.slice(0, 4));
  const end = [`${y}-01-31`, `${y}-07-15`, `${y + 1}-01-31`].find((d) => d > today) as Day;
  return { start: today, end };
}

/** Has a period of the term ended before `today`? (the first period ends first). */
export function anyPeriodOver(r: Pick<Roster, 'term' | 'cadence'>, today: Day): boolean {
  const first = r.cadence[0] as CadenceSpan;
  const end = periodEndOf(first.every, r.term.start);
  return (end < r.term.end ? end : r.term.end) < today;
}

/** The cadence that applies on `day` (the last span that has started; the first before the term). */
export const cadenceOn = (r: Pick<Roster, 'cadence'>, day: Day): Cadence => (r.cadence.filter((c) => c.from <= day).at(-1) ?? (r.cadence[0] as CadenceSpan)).every;

export const CADENCE_WORDS: Readonly<Record<Cadence, string>> = { week: '每周（周一至周日，北京时间）', month: '每月（自然月，北京时间）' };
const monthDay = (d: Day) => `${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;
const chineseDate = (d: Day) => `${Number(d.slice(0, 4))}年${monthDay(d)}`;

/** "本校家校联系周期：每周（周一至周日，北京时间）。自7月1日起改为每月。" — the page's and the mail's line. */
export function cadenceLine(r: Pick<Roster, 'cadence' | 'term'>, today: Day): string {
  const now = cadenceOn(r, today);
  const pending = r.cadence.filter((c) => c.from > today && c.from > r.term.start);
  return [`本校家校联系周期：${CADENCE_WORDS[now]}。`, ...pending.map((p) => `自${monthDay(p.from)}起改为${CADENCE_LABEL[p.every]}。`)].join('');
}

// ── Who ──────────────────────────────────────────────────────────────────────────────────────────

/** The school's administrator: a school's own session (any campaign's). A District or the city: 403. */
export function schoolOf(s: Session): Org {
  if (s.grant.role !== 'school' || s.org.kind !== 'school') throw forbidden('ONLY_SCHOOL', '班级名册由学校自己维护，请使用本校的链接进入；县区和市教育局只查看填写情况。');
  return s.org;
}

export const actorOfSchool = (school: Pick<Org, 'id'>) => `school:${school.id}`;

/** A person's reference in tokens, keys and the trail: `h.<classId>` or `s.<staffId>`. */
export type PersonRef = `h.${string}` | `s.${string}`;

// ── The changes (pure) ───────────────────────────────────────────────────────────────────────────

export interface Change {
  roster: Roster;
  changed: boolean;
  /** People whose link is new in this change (a new class or staff member, a new head teacher, a new address). */
  links: PersonRef[];
  /** People the request named (a repeat of a change that crashed before its mails mails these: the ledger keeps it once). */
  touched: PersonRef[];
  /** For the trail and the answer: ids only. */
  added: string[];
  updated: string[];
  removed: string[];
  note: string;
}

interface Ctx {
  today: Day;
  newId: (n: number) => string;
}

const lower = (s: string) => s.toLowerCase();
const classKey = (c: Pick<RosterClass, 'grade' | 'label'>) => `${c.grade}\u0000${c.label}`;
const isCurrent = (e: { until?: string | undefined }) => !e.until;

export function newRoster(schoolId: string, today: Day, at: string, by: string): Roster {
  const term = defaultTerm(today);
  return { schoolId, rev: 1, term, cadence: [{ from: term.start, every: DEFAULT_CADENCE }], classes: {}, staff: {}, updatedAt: at, updatedBy: by };
}

function freshId(prefix: 'c' | 's', taken: Record<string, unknown>, ctx: Ctx): string {
  for (;;) {
    const id = `${prefix}${ctx.newId(8)}`;
    if (!Object.hasOwn(taken, id)) return id;
  }
}

const empty = (r: Roster, note: string): Change => ({ roster: r, changed: false, links: [], touched: [], added: [], updated: [], removed: [], note });

/** Upserts classes by (grade, label) among the current ones: a new head teacher (another address) gets a new link version. */
export function upsertClasses(r0: Roster, rows: Pick<CsvRow, 'grade' | 'label' | 'teacher' | 'email'>[], ctx: Ctx, note: string): Change {
  const r = structuredClone(r0);
  const out = empty(r, note);
  const byKey = new Map(Object.entries(r.classes).filter(([, c]) => isCurrent(c)).map(([id, c]) => [classKey(c), id]));
  const fresh = rows.filter((row) => !byKey.has(classKey(row))).length;
  if (byKey.size + fresh > MAX_CLASSES) throw badRequest('TOO_MANY_CLASSES', `每所学校最多 ${MAX_CLASSES} 个班级（现有 ${byKey.size} 个，本次新增 ${fresh} 个）。`);
  if (Object.keys(r.classes).length + fresh > MAX_CLASS_ENTRIES) throw badRequest('TOO_MANY_CLASSES', '名册中的班级（含已删除的）过多，请联系市未成年人心理健康辅导中心。');
  for (const row of rows) {
    const id = byKey.get(classKey(row));
    if (id === undefined) {
      const cid = freshId('c', r.classes, ctx);
      r.classes[cid] = { grade: row.grade, label: row.label, teacher: row.teacher, email: row.email, v: 1, since: ctx.today };
      byKey.set(classKey(row), cid);
      out.added.push(cid);
      out.links.push(`h.${cid}`);
      out.touched.push(`h.${cid}`);
      continue;
    }
    const c = r.classes[id] as RosterClass;
    out.touched.push(`h.${id}`);
    if (lower(c.email) !== lower(row.email)) {
      r.classes[id] = { ...c, teacher: row.teacher, email: row.email, v: c.v + 1 };
      out.links.push(`h.${id}`);
      out.updated.push(id);
    } else if (c.teacher !== row.teacher || c.email !== row.email) {
      r.classes[id] = { ...c, teacher: row.teacher, email: row.email };
      out.updated.push(id);
    }
  }
  out.changed = out.added.length + out.updated.length > 0;
  return out;
}

/** Edits one class (its grade, label, head teacher, address), or adds one by (grade, label) when no id is given. */
export function editClass(r0: Roster, body: Omit<ClassBody, 'action'>, ctx: Ctx): Change {
  if (!body.classId) return upsertClasses(r0, [body], ctx, '添加班级');
  const c = r0.classes[body.classId];
  if (!c) throw notFound('CLASS_NOT_FOUND', '名册中没有这个班级。');
  if (!isCurrent(c)) throw badRequest('PERSON_REMOVED', '这个班级已删除，不能再修改；如需恢复，请重新添加。');
  const other = Object.entries(r0.classes).find(([id, o]) => id !== body.classId && isCurrent(o) && classKey(o) === classKey(body));
  if (other) throw new AppError(409, 'CLASS_EXISTS', `名册中已有 ${body.grade}${body.label}。`);
  const r = structuredClone(r0);
  const out = empty(r, '修改班级');
  out.touched.push(`h.${body.classId}`);
  const newTeacher = lower(c.email) !== lower(body.email);
  const next: RosterClass = { ...c, grade: body.grade, label: body.label, teacher: body.teacher, email: body.email, v: newTeacher ? c.v + 1 : c.v };
  if (JSON.stringify(next) === JSON.stringify(c)) return out;
  r.classes[body.classId] = next;
  out.changed = true;
  out.updated.push(body.classId);
  if (newTeacher) out.links.push(`h.${body.classId}`);
  return out;
}

/** Removes a class from today: its link stops; its periods after today are not expected. A repeat changes nothing. */
export function removeClass(r0: Roster, classId: string, ctx: Ctx): Change {
  const c = r0.classes[classId];
  if (!c) throw notFound('CLASS_NOT_FOUND', '名册中没有这个班级。');
  const out = empty(r0, '删除班级');
  if (!isCurrent(c)) return out;
  const r = structuredClone(r0);
  r.classes[classId] = { ...c, until: ctx.today };
  return { ...out, roster: r, changed: true, removed: [classId] };
}

/** Adds (by address, among the current staff) or edits a staff member; a new address is a new link. */
export function editStaff(r0: Roster, body: Omit<StaffBody, 'action'>, ctx: Ctx): Change {
  const roles = [...new Set(body.roles)].sort();
  const sameAddress = (id: string, s: RosterStaff) => id !== body.staffId && isCurrent(s) && lower(s.email) === lower(body.email);
  const r = structuredClone(r0);
  if (!body.staffId) {
    const found = Object.entries(r.staff).find(([id, s]) => sameAddress(id, s));
    if (found) return editStaff(r0, { ...body, staffId: found[0] }, ctx);
    const current = Object.values(r.staff).filter(isCurrent).length;
    if (current >= MAX_STAFF) throw badRequest('TOO_MANY_STAFF', `每所学校最多登记 ${MAX_STAFF} 名人员。`);
    if (Object.keys(r.staff).length >= MAX_STAFF_ENTRIES) throw badRequest('TOO_MANY_STAFF', '名册中的人员（含已删除的）过多，请联系市未成年人心理健康辅导中心。');
    const sid = freshId('s', r.staff, ctx);
    r.staff[sid] = { name: body.name, email: body.email, roles, v: 1 };
    return { ...empty(r, '添加人员'), changed: true, links: [`s.${sid}`], touched: [`s.${sid}`], added: [sid] };
  }
  const s = r0.staff[body.staffId];
  if (!s) throw notFound('STAFF_NOT_FOUND', '名册中没有这位人员。');
  if (!isCurrent(s)) throw badRequest('PERSON_REMOVED', '这位人员已删除，不能再修改；如需恢复，请重新添加。');
  if (Object.entries(r0.staff).some(([id, o]) => sameAddress(id, o))) throw new AppError(409, 'STAFF_EXISTS', '已有人员使用这个邮箱。');
  const newAddress = lower(s.email) !== lower(body.email);
  const next: RosterStaff = { ...s, name: body.name, email: body.email, roles, v: newAddress ? s.v + 1 : s.v };
  const out = { ...empty(r, '修改人员'), touched: [`s.${body.staffId}`] as PersonRef[] };
  if (JSON.stringify(next) === JSON.stringify({ ...s, roles: [...s.roles].sort() })) return out;
  r.staff[body.staffId] = next;
  return { ...out, changed: true, updated: [body.staffId], links: newAddress ? [`s.${body.staffId}`] : [] };
}

export function removeStaff(r0: Roster, staffId: string, ctx: Ctx): Change {
  const s = r0.staff[staffId];
  if (!s) throw notFound('STAFF_NOT_FOUND', '名册中没有这位人员。');
  const out = empty(r0, '删除人员');
  if (!isCurrent(s)) return out;
  const r = structuredClone(r0);
  r.staff[staffId] = { ...s, until: ctx.today };
  return { ...out, roster: r, changed: true, removed: [staffId] };
}

/** Drops a span that repeats the one before it. */
const tidy = (spans: CadenceSpan[]) => spans.filter((s, i) => i === 0 || s.every !== (spans[i - 1] as CadenceSpan).every);

/**
 * The cadence rule: while no period of the term has ended, the choice replaces the history (it applies from the
 * term's start); after that, it applies from the first day of next month (a period already counted keeps its
 * shape), replacing a change not yet begun. Choosing the cadence in force withdraws such a change.
 */
export function setCadence(r0: Roster, every: Cadence, ctx: Ctx): Change {
  const out = empty(r0, `家校联系周期改为${CADENCE_LABEL[every]}`);
  let cadence: CadenceSpan[];
  if (!anyPeriodOver(r0, ctx.today)) cadence = [{ from: r0.term.start, every }];
  else {
    const from = firstOfNextMonth(ctx.today);
    const kept = r0.cadence.filter((c) => c.from < from);
    const inForce = (kept.at(-1) ?? (r0.cadence[0] as CadenceSpan)).every;
    if (inForce !== every && from > r0.term.end) throw badRequest('CADENCE_TOO_LATE', `本学期将于 ${chineseDate(r0.term.end)} 结束，不能再更改周期；请先设置下学期的日期。`);
    cadence = tidy(inForce === every ? kept : [...kept, { from, every }]);
  }
  if (JSON.stringify(cadence) === JSON.stringify(r0.cadence)) return out;
  return { ...out, roster: { ...structuredClone(r0), cadence }, changed: true };
}

/**
 * The term's dates: start ≤ end, at most MAX_TERM_DAYS, not over already. The cadence follows: the one in force
 * on the new start applies from it (a later term: the one in force at the old term's end); changes within the
 * new dates are kept.
 */
export function setTerm(r0: Roster, start: Day, end: Day, ctx: Ctx): Change {
  if (start > end) throw badRequest('TERM_INVALID', '学期开始日期不能晚于结束日期。');
  if (daysBetween(start, end) + 1 > MAX_TERM_DAYS) throw badRequest('TERM_TOO_LONG', `一个学期最长 ${MAX_TERM_DAYS} 天（约 8 个月）。`);
  if (end < ctx.today) throw badRequest('TERM_OVER', '学期结束日期不能早于今天。');
  const out = empty(r0, '修改学期日期');
  if (start === r0.term.start && end === r0.term.end) return out;
  const at = start > r0.term.end ? cadenceOn(r0, r0.term.end) : cadenceOn(r0, start);
  const cadence = tidy([{ from: start, every: at }, ...r0.cadence.filter((c) => c.from > start && c.from <= end)]);
  return { ...out, roster: { ...structuredClone(r0), term: { start, end }, cadence }, changed: true };
}

// ── Writes ───────────────────────────────────────────────────────────────────────────────────────

export interface RosterOutcome {
  roster: Roster;
  changed: boolean;
  added: string[];
  updated: string[];
  removed: string[];
  /** People whose link went on the outbox with this request. */
  mailed: string[];
  /** Rows read from the CSV (import). */
  rows?: number;
}

const whatOf = (roster: Roster, person: PersonRef): { name: string; email: string; what: string; v: number } | undefined => {
  const [kind, id] = person.split('.') as ['h' | 's', string];
  if (kind === 'h') {
    const c = roster.classes[id];
    return c && isCurrent(c) ? { name: c.teacher, email: c.email, what: `${c.grade}${c.label}班主任`, v: c.v } : undefined;
  }
  const s = roster.staff[id];
  return s && isCurrent(s) ? { name: s.name, email: s.email, what: s.roles.map((r) => STAFF_ROLE_LABEL[r]).join('、'), v: s.v } : undefined;
};

export const personLinkKey = (schoolId: string, person: string, v: number) => `plink#${schoolId}#${person}#v${v}`;
/** A resend's key: at most one an hour (domain time, Beijing). */
export const resendKey = (schoolId: string, person: string, v: number, now: Date) =>
  `${personLinkKey(schoolId, person, v)}#r${new Date(now.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 13).replace(/[-T]/g, '')}`;

/** Puts the people's link mails on the outbox (each key once) and records each link that went on it. */
async function mailLinks(deps: RosterDeps, school: Org, roster: Roster, people: PersonRef[], resend?: Date): Promise<string[]> {
  const today = beijingToday(deps.clock.now());
  const term = `本学期：${chineseDate(roster.term.start)} 至 ${chineseDate(roster.term.end)}。`;
  const messages = [];
  const keyOf = new Map<string, PersonRef>();
  for (const person of [...new Set(people)]) {
    const w = whatOf(roster, person);
    if (!w) continue;
    const token = await deps.tokens.personLink({ schoolId: school.id, person, version: w.v }, deps.linkTtlDays);
    const mail = personLinkMail({ school, name: w.name, what: w.what, cadence: `${cadenceLine(roster, today)}${term}`, link: `${deps.siteOrigin}/c/${token}`, to: w.email });
    const key = resend ? resendKey(school.id, person, w.v, resend) : personLinkKey(school.id, person, w.v);
    keyOf.set(key, person);
    messages.push({ key, about: { kind: 'person-link' as const, orgId: school.id }, payload: mailPayload(mail) });
  }
  if (!messages.length) return [];
  const { queued } = await enqueue({ ledger: deps.ledger, queue: deps.queue, now: () => deps.clock.now() }, messages);
  const at = deps.clock.now().toISOString();
  const mailed: string[] = [];
  for (const key of queued) {
    const person = keyOf.get(key) as PersonRef;
    const w = whatOf(roster, person) as { v: number };
    mailed.push(person);
    await deps.audit.append({
      campaignId: CONTACT_TRAIL,
      orgId: school.id,
      at,
      id: `plink-${person}-v${w.v}${resend ? `-${key.slice(key.lastIndexOf('#') + 1)}` : ''}`,
      action: 'person-link.issued',
      actor: actorOfSchool(school) as never,
      actorName: school.name.slice(0, 80),
      after: { person, v: w.v },
      note: resend ? '重新发送个人专属链接' : '发送个人专属链接',
    });
  }
  return mailed.sort();
}

const countOf = (r: Roster) => ({
  rev: r.rev,
  classes: Object.values(r.classes).filter(isCurrent).length,
  staff: Object.values(r.staff).filter(isCurrent).length,
  cadence: r.cadence.map((c) => `${c.from}:${c.every}`).join(' '),
  term: `${r.term.start}..${r.term.end}`,
});

/**
 * One change of the school's roster. Bad input is a 4xx before anything is written (a refused CSV: 400
 * ROSTER_CSV_INVALID with every row's problem in `details`, the roster untouched). The roster is written with
 * its revision's condition, retried on a lost race (409 BUSY after WRITE_ATTEMPTS); the change is appended to
 * the trail; the new links are mailed through the outbox (one mail per person and link version, ever). A
 * request that changes nothing writes nothing and mails the people it names again only if their mail never
 * reached the outbox (the ledger's key is the link version): a repeat after a crash completes it.
 */
export async function changeRoster(deps: RosterDeps, s: Session, body: Exclude<RosterBody, { action: 'resend' }>): Promise<RosterOutcome> {
  const school = schoolOf(s);
  let rows: CsvRow[] | undefined;
  if (body.action === 'import') {
    const parsed = parseRosterCsv(body.csv);
    if (!parsed.ok) {
      const shown = parsed.problems.slice(0, 5).map((p) => `第 ${p.line} 行：${p.reason}`).join('；');
      throw badRequest('ROSTER_CSV_INVALID', `名单有 ${parsed.problems.length} 处问题，未导入任何班级。${shown}${parsed.problems.length > 5 ? '……' : ''}`, parsed.problems);
    }
    rows = parsed.rows;
  }
  const now = deps.clock.now();
  const at = now.toISOString();
  const ctx: Ctx = { today: beijingToday(now), newId: deps.newId ?? randomId };
  const actor = actorOfSchool(school);
  let outcome: { prev?: Roster; change: Change } | undefined;
  for (let i = 0; i < WRITE_ATTEMPTS && !outcome; i++) {
    const prev = await deps.rosters.get(school.id);
    const base = prev ?? newRoster(school.id, ctx.today, at, actor);
    const change = apply(base, body, rows, ctx);
    if (!change.changed) outcome = { prev, change };
    else {
      const next: Roster = { ...change.roster, rev: prev ? prev.rev + 1 : 1, updatedAt: at, updatedBy: actor };
      if (await deps.rosters.put(next, prev?.rev)) outcome = { prev, change: { ...change, roster: next } };
      else await new Promise((ok) => setTimeout(ok, 5 + Math.random() * 20 * (i + 1)));
    }
  }
  if (!outcome) throw new AppError(409, 'BUSY', '名册正在被修改，请稍后再试。');
  const { prev, change } = outcome;
  if (change.changed) {
    await deps.audit.append({
      campaignId: CONTACT_TRAIL,
      orgId: school.id,
      at,
      id: `roster-r${change.roster.rev}`,
      action: 'roster.changed',
      actor: actor as never,
      actorName: school.name.slice(0, 80),
      version: change.roster.rev,
      ...(prev ? { before: countOf(prev) } : {}),
      after: { ...countOf(change.roster), added: change.added, updated: change.updated, removed: change.removed, newLinks: change.links },
      note: change.note,
    });
  }
  const mailed = await mailLinks(deps, school, change.roster, change.changed ? change.links : change.touched);
  return { roster: change.roster, changed: change.changed, added: change.added, updated: change.updated, removed: change.removed, mailed, ...(rows ? { rows: rows.length } : {}) };
}

function apply(base: Roster, body: Exclude<RosterBody, { action: 'resend' }>, rows: CsvRow[] | undefined, ctx: Ctx): Change {
  switch (body.action) {
    case 'import':
      return upsertClasses(base, rows ?? [], ctx, `导入班级名单（${rows?.length ?? 0} 行）`);
    case 'class':
      return editClass(base, body, ctx);
    case 'remove-class':
      return removeClass(base, body.classId, ctx);
    case 'staff':
      return editStaff(base, body, ctx);
    case 'remove-staff':
      return removeStaff(base, body.staffId, ctx);
    case 'cadence':
      return setCadence(base, body.every, ctx);
    case 'term':
      return setTerm(base, body.start, body.end, ctx);
  }
}

/** Sends a person's current link again: at most once an hour (a second request within the hour sends nothing). */
export async function resendLink(deps: RosterDeps, s: Session, person: PersonRef): Promise<{ person: string; mailed: boolean }> {
  const school = schoolOf(s);
  const roster = await deps.rosters.get(school.id);
  const [kind, id] = person.split('.') as ['h' | 's', string];
  const entry = kind === 'h' ? roster?.classes[id] : roster?.staff[id];
  if (!roster || !entry) throw notFound(kind === 'h' ? 'CLASS_NOT_FOUND' : 'STAFF_NOT_FOUND', kind === 'h' ? '名册中没有这个班级。' : '名册中没有这位人员。');
  if (!isCurrent(entry)) throw badRequest('PERSON_REMOVED', '已删除的班级或人员没有专属链接。');
  const mailed = await mailLinks(deps, school, roster, [person], deps.clock.now());
  return { person, mailed: mailed.length > 0 };
}

// ── The page's data ──────────────────────────────────────────────────────────────────────────────

/** The order of grades as schools name them (小学 一年级 … 高三); anything else after, by name. */
const GRADES = ['一年级', '二年级', '三年级', '四年级', '五年级', '六年级', '七年级', '八年级', '九年级', '高一', '高二', '高三'];
const GRADE_ALIASES: Record<string, string> = { 初一: '七年级', 初二: '八年级', 初三: '九年级', 高一年级: '高一', 高二年级: '高二', 高三年级: '高三' };
const gradeRank = (g: string) => {
  const i = GRADES.indexOf(GRADE_ALIASES[g] ?? g);
  return i < 0 ? GRADES.length : i;
};
const byClass = ([, a]: [string, RosterClass], [, b]: [string, RosterClass]) =>
  gradeRank(a.grade) - gradeRank(b.grade) || a.grade.localeCompare(b.grade) || a.label.localeCompare(b.label, undefined, { numeric: true });

/** What the roster page shows (web/contacts/roster-page.ts): names, addresses and link versions — never a log. */
export interface RosterView {
  school: Org;
  roster: Roster;
  /** False: nothing stored yet (the defaults are shown; the first change stores them). */
  stored: boolean;
  today: Day;
  cadenceNow: Cadence;
  /** A change that begins later (the first day of next month). */
  pending?: CadenceSpan;
  /** Whether a period of the term has ended: a new cadence then applies from `nextMonth`. */
  periodOver: boolean;
  nextMonth: Day;
  cadenceLine: string;
  classes: [string, RosterClass][];
  removedClasses: [string, RosterClass][];
  staff: [string, RosterStaff][];
  removedStaff: [string, RosterStaff][];
}

export async function rosterView(deps: Pick<RosterDeps, 'rosters' | 'clock'>, s: Session): Promise<RosterView> {
  const school = schoolOf(s);
  const now = deps.clock.now();
  const today = beijingToday(now);
  const stored = await deps.rosters.get(school.id);
  const roster = stored ?? newRoster(school.id, today, now.toISOString(), actorOfSchool(school));
  const classes = Object.entries(roster.classes).sort(byClass);
  const staff = Object.entries(roster.staff).sort(([, a], [, b]) => a.name.localeCompare(b.name));
  const pending = roster.cadence.find((c) => c.from > today && c.from > roster.term.start);
  return {
    school,
    roster,
    stored: !!stored,
    today,
    cadenceNow: cadenceOn(roster, today),
    ...(pending ? { pending } : {}),
    periodOver: anyPeriodOver(roster, today),
    nextMonth: firstOfNextMonth(today),
    cadenceLine: cadenceLine(roster, today),
    classes: classes.filter(([, c]) => isCurrent(c)),
    removedClasses: classes.filter(([, c]) => !isCurrent(c)),
    staff: staff.filter(([, x]) => isCurrent(x)),
    removedStaff: staff.filter(([, x]) => !isCurrent(x)),
  };
}
