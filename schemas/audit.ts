import * as z from 'zod/mini';
import { DocumentKind } from './ids.js';
import { OrgId } from './orgs.js';

/**
 * The append-only audit trail (issue 7, item 6): every state change — upload, review, forwarding,
 * receipt, extension, exemption, deadline, link issued or revoked, download — as one event with its
 * actor, its (domain) time and the state before and after. Stored in a table of its own
 * (schemas/table.ts AUDIT_TABLE_DESIGN) that no function may update or delete in.
 */

export const AUDIT_ACTIONS = [
  'upload.accepted',
  'upload.rejected',
  'review.accepted',
  'review.returned',
  'bundle.forwarded',
  'bundle.received',
  'bundle.returned',
  'extension.granted',
  'extension.revoked',
  'exemption.granted',
  'exemption.revoked',
  'deadline.set',
  'link.issued',
  'links.revoked',
  'file.downloaded',
  'zip.downloaded',
  // Parent-contact logs (trail CONTACT_TRAIL; orgId is the school)
  'contact.logged',
  'contact.corrected',
  'contact.none',
  'contact.read',
  'contact.listed',
  'contact.exported',
  'contact.denied',
  'concern.acknowledged',
  'roster.changed',
  'person-link.issued',
] as const;
export const AuditAction = /* @__PURE__ */ z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/** What the pages and the CSV call each action. */
export const AUDIT_ACTION_LABEL: Readonly<Record<AuditAction, string>> = /* @__PURE__ */ Object.freeze({
  'upload.accepted': '文件已接收',
  'upload.rejected': '文件被拒收',
  'review.accepted': '审核通过',
  'review.returned': '退回修改',
  'bundle.forwarded': '打包报送',
  'bundle.received': '签收报送包',
  'bundle.returned': '退回报送包',
  'extension.granted': '批准延期',
  'extension.revoked': '撤销延期',
  'exemption.granted': '批准免报',
  'exemption.revoked': '撤销免报',
  'deadline.set': '设定截止时间',
  'link.issued': '生成专属链接',
  'links.revoked': '停用全部链接',
  'file.downloaded': '下载文件',
  'zip.downloaded': '下载压缩包',
  'contact.logged': '填写家校联系记录',
  'contact.corrected': '更正家校联系记录',
  'contact.none': '本期无需联系',
  'contact.read': '查阅家校联系记录',
  'contact.listed': '查阅记录列表',
  'contact.exported': '导出家校联系记录',
  'contact.denied': '越权访问被拒绝',
  'concern.acknowledged': '确认收到关注提醒',
  'roster.changed': '修改班级名册',
  'person-link.issued': '发送个人专属链接',
});

/**
 * What the page and the CSV call a field of `before` / `after`; a field not listed is shown by its own
 * name (callers that record new fields add them here).
 */
export const AUDIT_FIELD_LABEL: Readonly<Record<string, string>> = /* @__PURE__ */ Object.freeze({
  tokenVersion: '链接版本',
  validDays: '有效天数',
  deadline: '截止时间',
  dueAt: '修改期限',
  review: '审核状态',
  state: '状态',
  reason: '原因',
  // upload.accepted / upload.rejected (functions/plans/audit-events.ts)
  fileName: '文件名',
  size: '大小（字节）',
  sha256: 'SHA-256',
  late: '截止后提交',
  receiptNo: '回执编号',
  uploadedBy: '上传方',
  // zip.downloaded
  scope: '范围',
  files: '文件数',
  // extension / exemption / deadline (functions/terms/)
  kind: '免报类型',
  // parent-contact logs (functions/contacts/): ids and counts only, never content
  classId: '班级',
  logId: '记录',
  period: '周期',
  concern: '关注程度',
  level: '关注程度',
  count: '条数',
  person: '人员',
});

/**
 * Who made the change: `<role>:<orgId>` for a person acting through a link (`school:dh-x`,
 * `district:d-donghu`, `city:bureau`), `system:<function>` for a function acting on an event
 * (`system:validate-upload`), `cli` for the operator's command line.
 */
export const AuditActor = /* @__PURE__ */ z.string().check(
  z.regex(/^(cli|(school|district|city):[a-z0-9][a-z0-9-]{1,47}|system:[a-z0-9][a-z0-9-]{0,47}|person:[a-z0-9][a-z0-9-]{1,47}\/[hs]\.[cs][a-z2-7]{8})$/, '操作人格式不正确'),
);
export type AuditActor = z.infer<typeof AuditActor>;

/** `school:dh-x`, `district:d-donghu`, `city:bureau`: the actor of a person acting for an org in its role. */
export const actorOf = (role: 'school' | 'district' | 'city', orgId: string): AuditActor => `${role}:${orgId}`;

/**
 * Domain time as `Date#toISOString()` writes it (UTC, milliseconds): the one form whose string order
 * is time order, which the sort keys rely on.
 */
export const AuditInstant = /* @__PURE__ */ z.iso.datetime({ precision: 3 });

/**
 * Unique per event. An event handler derives it from what the event is about (e.g. the upload
 * attempt's id) and writes the same `at` (the recorded fact's time, not the clock's at writing), so a
 * redelivery writes the same key and appends nothing. Printable ASCII, no spaces.
 */
export const AuditEventId = /* @__PURE__ */ z.string().check(z.regex(/^[\x21-\x7e]{1,200}$/, '记录编号格式不正确'));

/** Largest `before` / `after` state, as JSON (the trail records what changed, not whole documents). */
export const MAX_STATE_JSON_CHARS = 8_000;
const State = /* @__PURE__ */ z.record(z.string(), z.unknown()).check(
  z.refine((v) => JSON.stringify(v).length <= MAX_STATE_JSON_CHARS, `变更内容超过 ${MAX_STATE_JSON_CHARS} 个字符`),
);

/**
 * The parent-contact logs' trail: not a campaign, and never one (`~` is outside a campaign id's alphabet).
 * Its events name the school as `orgId`; a person acting through their own link is `person:<school>/<h.class|s.staff>`.
 */
export const CONTACT_TRAIL = '~contacts';

export const AuditEvent = /* @__PURE__ */ z.object({
  /** A campaign's id, or CONTACT_TRAIL (one pattern, not a union: the union's code would sit in every bundle that appends). */
  campaignId: z.string().check(z.regex(/^([a-z0-9][a-z0-9-]{1,47}|~contacts)$/, '活动编号只能包含小写字母、数字和连字符')),
  /** The org the change is about (not necessarily the actor's). */
  orgId: OrgId,
  at: AuditInstant,
  id: AuditEventId,
  action: AuditAction,
  actor: AuditActor,
  /** The actor's name when the change was made (orgs are renamed; the trail keeps what it was). */
  actorName: z.optional(z.string().check(z.maxLength(80))),
  document: z.optional(DocumentKind),
  version: z.optional(z.int().check(z.minimum(1))),
  before: z.optional(State),
  after: z.optional(State),
  note: z.optional(z.string().check(z.maxLength(500, '备注最多 500 个字'))),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/**
 * `before`: the place in the trail to list back from (functions/audit/store.ts auditCursor) — an event's
 * `<at>#<orgId>#<id>`, or an instant.
 */
export const AuditCursor = /* @__PURE__ */ z.string().check(
  z.maxLength(300),
  z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z(#[a-z0-9][a-z0-9-]{1,47}#[\x21-\x7e]{1,200})?$/, '翻页位置不正确'),
);

/** GET /audit (the page): one org's trail or the whole campaign's, the latest first, back from `before`. */
export const AuditPageQuery = /* @__PURE__ */ z.strictObject({ org: z.optional(OrgId), before: z.optional(AuditCursor) });
export type AuditPageQuery = z.infer<typeof AuditPageQuery>;

/** GET /api/audit: as the page, as JSON or (`format=csv`) the whole trail as an Excel-friendly CSV. */
export const AuditQuery = /* @__PURE__ */ z.strictObject({ org: z.optional(OrgId), before: z.optional(AuditCursor), format: z.optional(z.enum(['json', 'csv'])) });
export type AuditQuery = z.infer<typeof AuditQuery>;
