import * as z from 'zod/mini';
import { OrgId } from './orgs.js';

/**
 * Head teachers' parent-contact logs (家校联动; notice attachment 2, early prevention item 6).
 *
 * Where things live (README "Parent-contact logs" has the table):
 * - main table, no content — what the matrix, the rates, the reminders and the alerts read:
 *     `SCHOOL#<school>` / `ROSTER`            the school's classes, staff, cadence and term (one item, conditional on `rev`)
 *     `SCHOOL#<school>` / `CSUM#<period>`     the classes that logged (`logged`) or marked "no contact needed" (`none`)
 *                                             in that period: string sets, so adding a class twice counts it once
 *     `SCHOOL#<school>` / `CONCERN#<logId>`   a 关注/紧急 concern: class, level, when, acknowledged by whom; an open
 *                                             紧急 one is in the sparse gsi2 (`CONCERN#OPEN`, `<raisedAt>#<school>#<logId>`)
 * - the contact-log table (its own, encrypted with a customer-managed KMS key, no index, TTL `ttl`):
 *     `SCHOOL#<school>` / `LOG#<classId>#<logId>`     one log with every version
 *     `SCHOOL#<school>` / `NONE#<classId>#<period>`   "no contact needed" with its reason
 * Keys hold only ids that never change: the school, the class id (ours), the log id, the period.
 */

/** Our id of a class or a staff member (generated, never typed by a user): `c` / `s` + 8 base32 characters. */
export const ClassId = /* @__PURE__ */ (() => z.string().check(z.regex(/^c[a-z2-7]{8}$/, '班级编号不正确')))();
export type ClassId = z.infer<typeof ClassId>;
export const StaffId = /* @__PURE__ */ (() => z.string().check(z.regex(/^s[a-z2-7]{8}$/, '人员编号不正确')))();
export type StaffId = z.infer<typeof StaffId>;
/** A log's id: 12 random base32 characters, chosen when the form is opened (a double-tapped send writes one log). */
export const LogId = /* @__PURE__ */ (() => z.string().check(z.regex(/^[a-z2-7]{12}$/, '记录编号不正确')))();
export type LogId = z.infer<typeof LogId>;

/** A Beijing calendar day, `YYYY-MM-DD`. */
export const Day = /* @__PURE__ */ (() => z.string().check(
  z.regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, '日期格式应为 YYYY-MM-DD'),
  z.refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), '日期不存在'),
))();
export type Day = z.infer<typeof Day>;

/** weekly: ISO week, Monday–Sunday, Beijing time (`2019-W23`); monthly: calendar month (`2019-06`). */
export const Cadence = /* @__PURE__ */ (() => z.enum(['week', 'month']))();
export type Cadence = z.infer<typeof Cadence>;
export const CADENCE_LABEL: Readonly<Record<Cadence, string>> = { week: '每周', month: '每月' };
export const DEFAULT_CADENCE: Cadence = 'week';

export const PeriodId = /* @__PURE__ */ (() => z.string().check(z.regex(/^\d{4}-(W(0[1-9]|[1-4]\d|5[0-3])|(0[1-9]|1[0-2]))$/, '周期格式不正确')))();
export type PeriodId = z.infer<typeof PeriodId>;

/** A period as the matrix and the reminders see it: its id and its Beijing days (end inclusive), clipped to the term and the cadence's span. */
export interface Period {
  id: PeriodId;
  cadence: Cadence;
  start: Day;
  end: Day;
}

/** The cadence a school chose from a day on (the first entry's `from` is the term's start). */
export const CadenceSpan = /* @__PURE__ */ (() => z.object({ from: Day, every: Cadence }))();
export type CadenceSpan = z.infer<typeof CadenceSpan>;

export const StaffRole = /* @__PURE__ */ (() => z.enum(['principal', 'psych', 'crisis']))();
export type StaffRole = z.infer<typeof StaffRole>;
export const STAFF_ROLE_LABEL: Readonly<Record<StaffRole, string>> = { principal: '校长（危机小组组长）', psych: '心理教师', crisis: '危机小组成员' };

const name = /* @__PURE__ */ (() => z.string().check(z.trim(), z.minLength(1, '不能为空'), z.maxLength(40, '最多 40 个字')))();
const label = /* @__PURE__ */ (() => z.string().check(z.trim(), z.minLength(1, '不能为空'), z.maxLength(20, '最多 20 个字')))();

export const RosterClass = /* @__PURE__ */ (() => z.object({
  /** 年级, e.g. 七年级 / 高一. */
  grade: label,
  /** 班级, e.g. 3班. */
  label,
  /** The head teacher (班主任). */
  teacher: name,
  email: z.email('邮箱格式不正确'),
  /** Link version: bumped when the head teacher changes (the old link stops working). */
  v: z.int().check(z.minimum(1)),
  /** The first day the class counts (periods that end before it are not expected of it). */
  since: Day,
  /** Set when the class is removed (that Beijing day): a period ending on or after it is not expected of the class; its links stop. */
  until: z.optional(Day),
}))();
export type RosterClass = z.infer<typeof RosterClass>;

export const RosterStaff = /* @__PURE__ */ (() => z.object({
  name,
  email: z.email('邮箱格式不正确'),
  roles: z.array(StaffRole).check(z.minLength(1, '至少选择一个身份'), z.maxLength(3)),
  v: z.int().check(z.minimum(1)),
  /** Removed: the link stops working. */
  until: z.optional(Day),
}))();
export type RosterStaff = z.infer<typeof RosterStaff>;

export const Roster = /* @__PURE__ */ (() => z.object({
  schoolId: OrgId,
  rev: z.int().check(z.minimum(1)),
  term: z.object({ start: Day, end: Day }),
  cadence: z.array(CadenceSpan).check(z.minLength(1)),
  classes: z.record(ClassId, RosterClass),
  staff: z.record(StaffId, RosterStaff),
  updatedAt: z.string(),
  updatedBy: z.string(),
}))();
export type Roster = z.infer<typeof Roster>;

/** The school-period summary: which classes logged, which marked "no contact needed". */
export interface PeriodSummary {
  schoolId: string;
  period: PeriodId;
  logged: ClassId[];
  none: ClassId[];
}

// ── Logs ─────────────────────────────────────────────────────────────────────────────────────────

export const METHODS = ['面谈', '电话', '家访', '家长会', '线上'] as const;
export const Method = /* @__PURE__ */ (() => z.enum(METHODS, { error: '联系方式只能是 面谈、电话、家访、家长会 或 线上' }))();
export const CONTACTED = ['父亲', '母亲', '祖父母', '其他监护人'] as const;
export const Contacted = /* @__PURE__ */ (() => z.enum(CONTACTED, { error: '联系对象只能是 父亲、母亲、祖父母 或 其他监护人' }))();
export const TOPICS = ['学习', '情绪', '人际', '家庭', '安全', '其他'] as const;
export const Topic = /* @__PURE__ */ (() => z.enum(TOPICS, { error: '话题只能是 学习、情绪、人际、家庭、安全 或 其他' }))();
export const CONCERNS = ['无', '关注', '紧急'] as const;
export const Concern = /* @__PURE__ */ (() => z.enum(CONCERNS, { error: '关注程度只能是 无、关注 或 紧急' }))();
export type Concern = z.infer<typeof Concern>;

export const SUMMARY_MAX = 2000;
export const FOLLOW_UP_MAX = 1000;
export const STUDENTS_MAX = 60;
export const REASON_MAX = 200;

/** Plain text: no control characters other than line breaks and tabs. */
const plain = (max: number, what: string) =>
  z.string().check(
    z.trim(),
    z.maxLength(max, `${what}最多 ${max} 个字`),
    z.refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), `${what}含有无法识别的字符`),
  );

/** What a head teacher writes (one version of a log). */
export const LogContent = /* @__PURE__ */ (() => z.strictObject({
  date: Day,
  method: Method,
  contacted: Contacted,
  /** Class-internal references (学号 or initials), as few as needed: never required to be a name. */
  students: plain(STUDENTS_MAX, '学生'),
  topics: z.array(Topic).check(z.minLength(1, '至少选择一个话题'), z.maxLength(TOPICS.length)),
  summary: plain(SUMMARY_MAX, '沟通内容').check(z.minLength(1, '请填写沟通内容')),
  followUp: z.optional(plain(FOLLOW_UP_MAX, '后续跟进')),
  concern: Concern,
}))();
export type LogContent = z.infer<typeof LogContent>;

export interface LogVersion extends LogContent {
  /** Domain time written. */
  at: string;
  /** Who wrote it (the head teacher's name at the time). */
  byName: string;
}

/** A stored log (the contact-log table): `versions` oldest first, the last is current. */
export interface ContactLog {
  schoolId: string;
  classId: ClassId;
  logId: LogId;
  /** The period of the current version's date. */
  period: PeriodId;
  /** The author: the head teacher's person id and link version (a later head teacher of the class is not the author). */
  author: { person: string; v: number };
  versions: LogVersion[];
  createdAt: string;
  /** Epoch seconds when it is no longer kept (retention); filtered on read, deleted by TTL. */
  ttl: number;
}

/** A log may be corrected this many times (each correction is a kept version). */
export const MAX_VERSIONS = 20;

/** POST a new log or a correction (`logId` set) — the head teacher's form or JSON. */
export const LogBody = /* @__PURE__ */ (() => z.strictObject({
  action: z.literal('log'),
  /** A correction of this log (its author only). */
  logId: z.optional(LogId),
  /** A new log's id, chosen by the form (or the client): sending it twice writes one log. Generated when absent. */
  newId: z.optional(LogId),
  content: LogContent,
}))();
export type LogBody = z.infer<typeof LogBody>;

/** POST "no contact needed" for a period, with its reason. */
export const NoneBody = /* @__PURE__ */ (() => z.strictObject({
  action: z.literal('none'),
  period: PeriodId,
  reason: plain(REASON_MAX, '原因').check(z.minLength(2, '请说明原因')),
}))();
export type NoneBody = z.infer<typeof NoneBody>;

/** POST acknowledge a concern (crisis group, principal, psychology teacher). */
export const AckBody = /* @__PURE__ */ (() => z.strictObject({
  action: z.literal('ack'),
  school: z.optional(OrgId),
  logId: LogId,
}))();
export type AckBody = z.infer<typeof AckBody>;

/** The writer's bodies by `action` (each strict; functions/shared/http.ts byAction picks one). */
export const CONTACT_WRITE_BODIES = { log: LogBody, none: NoneBody, ack: AckBody } as const;
/** An unknown action fails on the `action` field alone. */
export const UnknownContactAction = /* @__PURE__ */ (() => z.object({ action: z.enum(['log', 'none', 'ack']) }))();
export type ContactWriteBody = LogBody | NoneBody | AckBody;

// ── Concerns ─────────────────────────────────────────────────────────────────────────────────────

export interface ConcernItem {
  schoolId: string;
  classId: ClassId;
  logId: LogId;
  level: '关注' | '紧急';
  /** Domain time the log reached this level. */
  raisedAt: string;
  ackAt?: string;
  ackBy?: string;
  ackByName?: string;
  /** Set when the unacknowledged 紧急 concern was re-sent and escalated to the principal. */
  escalatedAt?: string;
}

/** An urgent concern not acknowledged within this long is re-sent and escalated to the principal. */
export const ACK_WITHIN_MS = 3600_000;

/** Days a log's content is kept (README "Parent-contact logs: data kept"): three school years. */
export const DEFAULT_RETENTION_DAYS = 1095;

/** What the contact logs' schedules deliver (functions/schedules.ts): `{ job, scheduledAt }`. */
export const ContactScheduledEvent = /* @__PURE__ */ (() => z.object({
  job: z.enum(['contact-reminders', 'concern-alerts']),
  scheduledAt: z.iso.datetime({ offset: true }),
}))();
