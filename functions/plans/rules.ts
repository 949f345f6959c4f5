import type { Campaign } from '../../schemas/campaigns.js';
import { CITY_ROUTE_KEY, DIRECT_ROUTE_KEY, type Org, routeKeyOf } from '../../schemas/orgs.js';
import {
  type DocSummary,
  EXEMPTION_LABEL,
  type Exemption,
  type Extension,
  FILE_TYPES,
  type FileExt,
  MAX_UPLOAD_BYTES,
  type OrgSummary,
  type RejectReason,
  type Review,
  type ReviewState,
  type StatusFilter,
  type Upload,
} from '../../schemas/plans.js';
import { reviewStateOf } from '../reviews/rules.js';
import { beijingDay, formatBeijingExcel, formatBeijingShort } from '../shared/clock.js';
import { csvCell } from '../shared/csv.js';
import type { Role } from '../shared/tokens.js';
import { sniff } from './magic.js';

/** Pure rules of plan submission: keys, names, file checks, lateness and the status roll-up. */

export const incomingKey = (u: Pick<Upload, 'campaignId' | 'orgId' | 'document' | 'uploadId' | 'ext'>) =>
  `incoming/${u.campaignId}/${u.orgId}/${u.document}/${u.uploadId}.${u.ext}`;

export const acceptedKey = (u: Pick<Upload, 'campaignId' | 'orgId' | 'document' | 'uploadId' | 'ext'>) =>
  `accepted/${u.campaignId}/${u.orgId}/${u.document}/${u.uploadId}.${u.ext}`;

/** The extension of a file name if it is on the allow-list. */
export function allowedExt(fileName: string): FileExt | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(fileName.trim());
  const ext = m?.[1]?.toLowerCase();
  return ext && ext in FILE_TYPES ? (ext as FileExt) : undefined;
}

/** Keeps a file name fit for display: no path, no control or bidi characters, at most 120 characters. */
export function sanitiseFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069<>:"|?*]/g, '').trim();
  const chars = Array.from(clean); // whole characters: never cut a surrogate pair in half
  if (chars.length <= 120) return clean || 'file';
  const ext = /\.[A-Za-z0-9]{1,8}$/.exec(clean)?.[0] ?? '';
  return chars.slice(0, 120 - ext.length).join('') + ext;
}

/** Checks the bytes against the declared type: magic bytes must match, size within limits. */
export async function checkFile(bytes: Uint8Array, ext: FileExt): Promise<RejectReason | undefined> {
  if (bytes.byteLength === 0) return 'EMPTY';
  if (bytes.byteLength > MAX_UPLOAD_BYTES) return 'TOO_LARGE';
  return sniff(bytes) === ext ? undefined : 'TYPE_MISMATCH';
}

/** (A pure call: a bundle that does not show rejections leaves the messages out.) */
export const REJECT_MESSAGES: Record<RejectReason, string> = /* @__PURE__ */ (() => ({
  TYPE_MISMATCH: '文件内容与所选类型不符（可能是改了扩展名的其他文件），请上传真正的 PDF 或 Word 文件。',
  TOO_LARGE: `文件超过 ${MAX_UPLOAD_BYTES / 1024 / 1024} MB 上限，请压缩后重新上传。`,
  EMPTY: '文件为空，请重新选择。',
  MISSING: '上传未完成，请重新上传。',
  EXPIRED: '上传许可已过期（文件在许可过期后才到达），请重新选择文件上传。',
  REVOKED: '本单位的链接已停用，此次上传无效；请使用最新邮件中的链接重新上传。',
  BAD_KEY: '上传未按要求完成，请重新选择文件上传。',
}))();

export const isLate = (receivedAt: string, deadline: string) => Date.parse(receivedAt) > Date.parse(deadline);

/**
 * The deadline an org's lateness is judged by: the Bureau's extension, else the campaign's. (A District's
 * internal deadline for its schools only moves their reminders: functions/terms/rules.ts reminderDeadline.)
 */
export const effectiveDeadline = (c: Pick<Campaign, 'deadline'>, s: Pick<OrgSummary, 'extension'> | undefined) => s?.extension?.dueAt ?? c.deadline;

/**
 * The deadline an org is reminded against (and its upload page asks for): the Bureau's extension; else, for a
 * school whose District office set an internal deadline for its schools, that date (never later than the
 * campaign's); else the campaign's. An extension replaces the District's internal date for that school: the
 * Bureau decided that school's date. Lateness never follows the internal date (effectiveDeadline).
 */
export function reminderDeadline(c: Pick<Campaign, 'deadline'>, s: Pick<OrgSummary, 'extension'> | undefined, org: Pick<Org, 'kind'>, district?: Pick<OrgSummary, 'schoolsDueAt'>) {
  const internal = org.kind === 'school' ? district?.schoolsDueAt?.dueAt : undefined;
  return s?.extension?.dueAt ?? (internal && internal < c.deadline ? internal : c.deadline);
}

/** Whether an org must hand in this campaign's documents. */
export function inAudience(c: Campaign, org: Org): boolean {
  if (c.audience === 'all') return org.kind === 'district' || org.kind === 'school';
  return c.audience.orgIds.includes(org.id);
}

/** The campaign's documents an org has no accepted version of (none when it is not in the audience, or exempt). */
export function missingOf(c: Campaign, org: Org | undefined, docs: OrgSummary['docs'], exemption?: Exemption): string[] {
  if (!org || exemption || !inAudience(c, org)) return [];
  return c.documents.filter((d) => !docs[d.kind]?.last).map((d) => d.kind);
}

/**
 * An org's status item as the registry and the campaign say now: its route, the org's snapshot (what a
 * sweep needs to address it), what it still owes, an empty reminder ledger when it had none. `prev`
 * undefined: the item the campaign's creation or an import writes for an org that has not uploaded yet.
 * Returns undefined when nothing would change (no write).
 */
export function restated(c: Campaign, org: Org, prev: OrgSummary | undefined): OrgSummary | undefined {
  const base: OrgSummary = prev ?? { campaignId: c.id, orgId: org.id, rev: 0, docs: {} };
  const next: OrgSummary = { ...base, routeKey: routeKeyOf(org), org, missing: missingOf(c, org, base.docs, base.exemption), reminded: base.reminded ?? {} };
  const same = (k: 'routeKey' | 'org' | 'missing' | 'reminded') => JSON.stringify(next[k]) === JSON.stringify(prev?.[k]);
  if (prev && same('routeKey') && same('org') && same('missing') && same('reminded')) return undefined;
  return { ...next, rev: base.rev + 1 };
}

/** Whose status a session may see: the city everything, a District office itself and its schools, a school itself. */
export type Scope = { kind: 'city' } | { kind: 'district'; routeKey: string } | { kind: 'org'; orgId: string };

export function scopeOf(role: Role, org: Org): Scope {
  if (role === 'city') return { kind: 'city' };
  if (role === 'district') return { kind: 'district', routeKey: routeKeyOf(org) };
  return { kind: 'org', orgId: org.id };
}

/** Decided on the target's current registry entry: a school that moved is seen by its new District only. */
export function inScope(scope: Scope, target: Org): boolean {
  if (scope.kind === 'city') return true;
  if (scope.kind === 'district') return routeKeyOf(target) === scope.routeKey;
  return target.id === scope.orgId;
}

/** A District office's short name for file names: 东湖区教科体局 → 东湖区. */
export const districtShortName = (name: string) => name.replace(/(教育科技体育局|教科体局|教育体育局|教体局|教体办|教育局)$/, '') || name;

/** 东湖区-梧桐小学-心理危机管理工作方案-v2.pdf (a Direct school or a District office: its own name first). */
export function versionFileName(org: Org, district: Org | undefined, docTitle: string, version: number, ext: string) {
  const d = district && org.kind === 'school' ? districtShortName(district.name) : '';
  // "东湖区青檀中学" already says its District: no "东湖区-东湖区青檀中学".
  const parts = [...(d && !org.name.startsWith(d) ? [d] : []), org.name, docTitle, `v${version}`];
  return `${parts.join('-').replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_')}.${ext}`;
}

/** Receipt number of an accepted version: day of arrival (Beijing) and the attempt's id, e.g. HJ20190630-3FA9C2D1E0. */
export const receiptNoOf = (u: Pick<Upload, 'uploadId' | 'receivedAt'>) => `HJ${beijingDay(u.receivedAt ?? '')}-${u.uploadId.slice(0, 10).toUpperCase()}`;

/** How long after its POST expired an object may still arrive: S3 checks the policy when a slow upload starts, not when it ends. */
export const LATE_ARRIVAL_GRACE_MS = 30 * 60_000;

const emptyDoc = (): DocSummary => ({ ids: [], lateVersions: 0 });
const nextSummary = (prev: OrgSummary | undefined, u: Upload): OrgSummary =>
  structuredClone(prev ?? { campaignId: u.campaignId, orgId: u.orgId, rev: 0, docs: {} });

/**
 * Folds an accepted attempt into the org's status item. Idempotent: an attempt already folded keeps its
 * number and changes nothing (`next` is undefined). Versions are numbered in the order they are folded;
 * the first and last versions are chosen by arrival, so a race between two validators cannot turn an
 * on-time document late.
 */
export function foldAccepted(prev: OrgSummary | undefined, u: Upload): { version: number; next?: OrgSummary } {
  const known = prev?.docs[u.document]?.ids.indexOf(u.uploadId) ?? -1;
  if (known >= 0) return { version: known + 1 };
  const next = nextSummary(prev, u);
  const d = (next.docs[u.document] ??= emptyDoc());
  d.ids.push(u.uploadId);
  const version = d.ids.length;
  const at = u.receivedAt ?? u.requestedAt;
  const late = u.late ?? false;
  if (!d.first || at < d.first.at) d.first = { uploadId: u.uploadId, at, late };
  if (!d.last || at >= d.last.at)
    d.last = { uploadId: u.uploadId, version, at, late, name: u.originalName, size: u.size ?? 0, sha256: u.sha256 ?? '', ext: u.ext };
  if (late) d.lateVersions++;
  if (d.rejected && d.rejected.at <= at) delete d.rejected;
  next.rev++;
  return { version, next };
}

/** Folds a rejected attempt: shown while it is the newest thing that happened to the document. */
export function foldRejected(prev: OrgSummary | undefined, u: Upload): OrgSummary | undefined {
  const at = u.receivedAt ?? u.requestedAt;
  const d = prev?.docs[u.document];
  if (d?.rejected && (d.rejected.uploadId === u.uploadId || d.rejected.at > at)) return undefined;
  if (d?.last && d.last.at > at) return undefined;
  const next = nextSummary(prev, u);
  const nd = (next.docs[u.document] ??= emptyDoc());
  nd.rejected = { uploadId: u.uploadId, at, reason: u.reason ?? 'TYPE_MISMATCH', name: u.originalName };
  next.rev++;
  return next;
}

export interface VersionInfo {
  version: number;
  uploadId: string;
  at: string;
  late: boolean;
  name: string;
  size: number;
  sha256: string;
  receiptNo: string;
}

export interface DocStatus {
  document: string;
  title: string;
  state: 'missing' | 'uploaded';
  versions: number;
  /** The document's timeliness: its first accepted version arrived after the deadline. */
  late: boolean;
  firstAt?: string;
  /** The latest accepted version. */
  lastVersion?: number;
  lastUploadId?: string;
  lastExt?: FileExt;
  lastUploadAt?: string;
  lastLate?: boolean;
  lastFileName?: string;
  lastSize?: number;
  lastSha256?: string;
  /** Accepted versions that arrived after the deadline (late first, or corrections). */
  lateVersions: number;
  /** "按时提交（6月30日 23:59），7月1日 00:00 修改" */
  timeliness?: string;
  /** A rejected upload newer than the latest accepted version: the page shows why. */
  rejected?: { reason: RejectReason; message: string; fileName: string; at: string };
  /** Uploads still being checked (own org only; the page polls until its own is done). */
  pending: boolean;
  pendingIds: string[];
  /** Every accepted version, oldest first (own org only). */
  history?: VersionInfo[];
  /** Every rejected attempt, newest first (own org only). */
  rejections?: { at: string; fileName: string; message: string }[];
  /** Missing, waiting for review, accepted or returned (functions/reviews/rules.ts). */
  reviewState: ReviewState;
  /** The reviewer's latest decision, possibly about an older version (what the school was asked to fix). */
  review?: Review;
}

export interface OrgStatus {
  orgId: string;
  name: string;
  kind: Org['kind'];
  group: string;
  directKind?: string;
  contactName?: string;
  contactPhone?: string;
  emails: string[];
  /** Contact addresses that bounced or complained (no longer mailed). */
  bounced: string[];
  /** The Beijing days ("2019-06-23") on which the org was reminded (mail or group robot), oldest first. */
  remindedDays: string[];
  /** To whom: the addresses mailed and the group robots ("企业微信群", "钉钉群"), each once. */
  remindedTo: string[];
  documents: DocStatus[];
  complete: boolean;
  /** The Bureau's extension: lateness is judged by its `dueAt` (effectiveDeadline). */
  extension?: Extension;
  /** Exempt (免报): shown, but left out of the totals and never reminded. */
  exemption?: Exemption;
}

/** "已提醒 3 次：6月16日、6月23日、6月27日" (one per day, whatever the channels), or "" when never reminded. */
export function remindedText(days: string[]): string {
  if (!days.length) return '';
  const d = (day: string) => `${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;
  return `已提醒 ${days.length} 次：${days.map(d).join('、')}`;
}

const CHANNEL_NAME = { wecom: '企业微信群', dingtalk: '钉钉群' } as const;
/** The addresses and group chats an org's reminders went to, each once. */
const remindedToOf = (s: OrgSummary | undefined) => [
  ...new Set(Object.values(s?.reminded ?? {}).flatMap((e) => (e.channel === 'mail' ? e.to : [CHANNEL_NAME[e.channel]]))),
];

/** The distinct Beijing days of an org's reminder ledger. */
const remindedDaysOf = (s: OrgSummary | undefined) =>
  [...new Set(Object.values(s?.reminded ?? {}).map((e) => e.day ?? beijingDay(e.at)))].sort().map((d) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`);

export interface GroupTotal {
  group: string;
  name: string;
  orgs: number;
  complete: number;
  late: number;
  noEmail: number;
  byDocument: Record<string, number>;
}

/**
 * "按时提交（6月30日 23:59），7月1日 00:00 修改" / "逾期提交（7月1日 00:00）": late by `deadline` (the org's
 * effective deadline) when given, else as recorded at arrival.
 */
export function timelinessText(d: Pick<DocSummary, 'first' | 'last'>, deadline?: string): string | undefined {
  if (!d.first) return undefined;
  const head = `${(deadline ? isLate(d.first.at, deadline) : d.first.late) ? '逾期提交' : '按时提交'}（${formatBeijingShort(d.first.at)}）`;
  return d.last && d.last.uploadId !== d.first.uploadId ? `${head}，${formatBeijingShort(d.last.at)} 修改` : head;
}

const PENDING_STALE_MS = 15 * 60_000;

export const DIRECT_GROUP_NAME = '直属学校（局属、省属事业单位办、市管民办）';

/** A document's status; late (first and last version) derived against the org's effective deadline. */
function docStatus(title: string, kind: string, d: DocSummary | undefined, deadline: string): DocStatus {
  const last = d?.last;
  return {
    document: kind,
    title,
    state: last ? 'uploaded' : 'missing',
    versions: d?.ids.length ?? 0,
    late: d?.first ? isLate(d.first.at, deadline) : false,
    firstAt: d?.first?.at,
    lastVersion: last?.version,
    lastUploadId: last?.uploadId,
    lastExt: last?.ext,
    lastUploadAt: last?.at,
    lastLate: last && isLate(last.at, deadline),
    lastFileName: last?.name,
    lastSize: last?.size,
    lastSha256: last?.sha256,
    lateVersions: d?.lateVersions ?? 0,
    timeliness: d ? timelinessText(d, deadline) : undefined,
    rejected: d?.rejected
      ? { reason: d.rejected.reason, message: REJECT_MESSAGES[d.rejected.reason], fileName: d.rejected.name, at: d.rejected.at }
      : undefined,
    pending: false,
    pendingIds: [],
    reviewState: reviewStateOf(d),
    review: d?.review,
  };
}

/**
 * Adds what only the org's own attempts tell: every version with its receipt number, every rejection,
 * and the uploads still being checked (fresh ones newer than the last finished attempt: an abandoned
 * POST must not keep the document "pending").
 */
export function withAttempts(doc: DocStatus, attempts: Upload[], now: Date, deadline?: string): DocStatus {
  const mine = attempts.filter((a) => a.document === doc.document);
  // Still being checked: pending, or accepted but not yet numbered (the validator has claimed it and is
  // storing the file and folding the status item) — the page waits for it rather than show it missing.
  const inProgress = (a: Upload) => a.state === 'pending' || (a.state === 'accepted' && a.version === undefined);
  const lastFinished = mine.filter((a) => !inProgress(a)).reduce((t, a) => (a.requestedAt > t ? a.requestedAt : t), '');
  const pendingIds = mine
    .filter((a) => inProgress(a) && a.requestedAt > lastFinished && now.getTime() - Date.parse(a.requestedAt) < PENDING_STALE_MS)
    .map((a) => a.uploadId);
  const history = mine
    .filter((a) => a.state === 'accepted' && a.version !== undefined)
    .sort((a, b) => (a.version ?? 0) - (b.version ?? 0))
    .map((a) => ({
      version: a.version ?? 0,
      uploadId: a.uploadId,
      at: a.receivedAt ?? a.requestedAt,
      late: deadline ? isLate(a.receivedAt ?? a.requestedAt, deadline) : (a.late ?? false),
      name: a.originalName,
      size: a.size ?? 0,
      sha256: a.sha256 ?? '',
      receiptNo: a.receiptNo ?? receiptNoOf(a),
    }));
  const rejections = mine
    .filter((a) => a.state === 'rejected')
    .sort((a, b) => (b.receivedAt ?? b.requestedAt).localeCompare(a.receivedAt ?? a.requestedAt))
    .map((a) => ({ at: a.receivedAt ?? a.requestedAt, fileName: a.originalName, message: REJECT_MESSAGES[a.reason ?? 'TYPE_MISMATCH'] }));
  // The newest rejection, from the attempts themselves (the status item may be a moment behind).
  const newest = mine.filter((a) => a.state === 'rejected').sort((a, b) => (b.receivedAt ?? '').localeCompare(a.receivedAt ?? ''))[0];
  const rejected =
    newest && (!doc.lastUploadAt || (newest.receivedAt ?? '') > doc.lastUploadAt)
      ? { reason: newest.reason ?? 'TYPE_MISMATCH', message: REJECT_MESSAGES[newest.reason ?? 'TYPE_MISMATCH'], fileName: newest.originalName, at: newest.receivedAt ?? newest.requestedAt }
      : doc.rejected;
  return { ...doc, rejected, pending: pendingIds.length > 0, pendingIds, history, rejections };
}

/**
 * Rolls the orgs' status items up into per org × document status, and totals per District and for
 * Direct schools. `named` supplies District names for groups whose office is not among `orgs`.
 */
export function summarise(campaign: Campaign, orgs: Org[], summaries: OrgSummary[], named: Org[] = []) {
  const byOrg = new Map(summaries.map((s) => [s.orgId, s]));
  const districtNames = new Map([...named, ...orgs].filter((o) => o.kind === 'district').map((o) => [routeKeyOf(o), o.name]));
  const rows: OrgStatus[] = orgs
    .filter((o) => inAudience(campaign, o))
    .map((org) => {
      const s = byOrg.get(org.id);
      const deadline = effectiveDeadline(campaign, s);
      const documents = campaign.documents.map((d) => docStatus(d.title, d.kind, s?.docs[d.kind], deadline));
      const contact = org.contacts.find((c) => c.phone) ?? org.contacts[0];
      return {
        orgId: org.id,
        name: org.name,
        kind: org.kind,
        group: routeKeyOf(org),
        directKind: org.directKind,
        contactName: contact?.name,
        contactPhone: contact?.phone,
        emails: org.contacts.map((c) => c.email),
        bounced: org.contacts.filter((c) => c.invalid).map((c) => c.email),
        remindedDays: remindedDaysOf(s),
        remindedTo: remindedToOf(s),
        documents,
        complete: documents.every((d) => d.state === 'uploaded'),
        ...(s?.extension ? { extension: s.extension } : {}),
        ...(s?.exemption ? { exemption: s.exemption } : {}),
      };
    });
  const totals = new Map<string, GroupTotal>();
  for (const r of rows) {
    const t =
      totals.get(r.group) ??
      ({
        group: r.group,
        name: groupName(r.group, districtNames),
        orgs: 0,
        complete: 0,
        late: 0,
        noEmail: 0,
        byDocument: Object.fromEntries(campaign.documents.map((d) => [d.kind, 0])),
      } satisfies GroupTotal);
    totals.set(r.group, t);
    // An exempt org is listed, but is not counted: the totals are of the orgs that must hand in.
    if (r.exemption) continue;
    t.orgs++;
    if (r.complete) t.complete++;
    if (r.documents.some((d) => d.late)) t.late++;
    if (r.emails.length === 0) t.noEmail++;
    for (const d of r.documents) if (d.state === 'uploaded') t.byDocument[d.document] = (t.byDocument[d.document] ?? 0) + 1;
  }
  return {
    rows: rows.sort((a, b) => byGroup(a.group, b.group) || kindOrder(a) - kindOrder(b) || a.orgId.localeCompare(b.orgId)),
    totals: [...totals.values()].sort((a, b) => byGroup(a.group, b.group)),
  };
}

/** The sum of group totals: the city-wide (or jurisdiction-wide) row. */
export function grandTotal(campaign: Campaign, totals: GroupTotal[]): GroupTotal {
  const t: GroupTotal = { group: '', name: '合计', orgs: 0, complete: 0, late: 0, noEmail: 0, byDocument: Object.fromEntries(campaign.documents.map((d) => [d.kind, 0])) };
  for (const g of totals) {
    t.orgs += g.orgs;
    t.complete += g.complete;
    t.late += g.late;
    t.noEmail += g.noEmail;
    for (const [k, n] of Object.entries(g.byDocument)) t.byDocument[k] = (t.byDocument[k] ?? 0) + n;
  }
  return t;
}

function groupName(group: string, districtNames: Map<string, string>) {
  if (group === DIRECT_ROUTE_KEY) return DIRECT_GROUP_NAME;
  if (group === CITY_ROUTE_KEY) return '市教育局、辅导中心';
  return districtNames.get(group) ?? group.replace(/^D#/, '');
}

/** The rows a filter keeps: incomplete only, one group, one document missing, a name or id search. */
export function filterRows(rows: OrgStatus[], f: StatusFilter): OrgStatus[] {
  const q = f.q?.toLowerCase();
  return rows.filter(
    (r) =>
      (f.show !== 'incomplete' || (!r.complete && !r.exemption)) &&
      (!f.group || r.group === f.group) &&
      (!f.doc || r.documents.some((d) => d.document === f.doc && d.state === 'missing')) &&
      (!q || r.name.toLowerCase().includes(q) || r.orgId.includes(q)),
  );
}

const kindOrder = (r: OrgStatus) => (r.kind === 'district' ? 0 : 1);
/** Districts in route-key order, Direct schools last. */
const byGroup = (a: string, b: string) => Number(a === DIRECT_ROUTE_KEY) - Number(b === DIRECT_ROUTE_KEY) || a.localeCompare(b);

/** "免报（关停：学校已撤销）", "延期至 2019-07-05 23:59：暴雨停课" (both, joined by "；"), or "". */
export const termsText = (r: Pick<OrgStatus, 'exemption' | 'extension'>) =>
  [
    r.exemption ? `免报（${EXEMPTION_LABEL[r.exemption.kind]}：${r.exemption.reason}）` : '',
    r.extension ? `延期至 ${formatBeijingExcel(r.extension.dueAt)}：${r.extension.reason}` : '',
  ]
    .filter(Boolean)
    .join('；');

/** Excel-friendly CSV: UTF-8 with BOM, CRLF, times as "2019-06-30 23:59", a totals row last. */
export function statusCsv(campaign: Campaign, rows: OrgStatus[], totals: GroupTotal[]) {
  const names = new Map(totals.map((t) => [t.group, t.name]));
  const head = ['所属县区/类别', '直属类别', '机构编号', '机构名称', '类型', '联系人', '联系电话', '联系邮箱', '提醒记录'];
  for (const d of campaign.documents)
    head.push(`${d.title}-状态`, `${d.title}-版本数`, `${d.title}-首次提交(北京时间)`, `${d.title}-是否逾期`, `${d.title}-最后上传(北京时间)`, `${d.title}-最新文件名`, `${d.title}-说明`);
  head.push('免报/延期');
  const kindName = { bureau: '市教育局', centre: '中心', district: '县区', school: '学校' } as const;
  const lines = [head.map(csvCell).join(',')];
  for (const r of rows) {
    const cells: (string | number)[] = [
      names.get(r.group) ?? r.group,
      r.directKind ?? '',
      r.orgId,
      r.name,
      kindName[r.kind],
      r.contactName ?? '',
      r.contactPhone ?? '',
      r.emails.length ? r.emails.map((e) => (r.bounced.includes(e) ? `${e}（退信）` : e)).join('; ') : '无联系邮箱',
      r.remindedDays.length ? `${remindedText(r.remindedDays)}（发至 ${r.remindedTo.join('、')}）` : '',
    ];
    for (const d of r.documents)
      cells.push(
        d.state === 'uploaded' ? '已上传' : r.exemption ? '免报' : '未上传',
        d.versions,
        d.firstAt ? formatBeijingExcel(d.firstAt) : '',
        d.state === 'uploaded' ? (d.late ? '是' : '否') : '',
        d.lastUploadAt ? formatBeijingExcel(d.lastUploadAt) : '',
        d.lastFileName ?? '',
        d.timeliness ?? '',
      );
    cells.push(termsText(r));
    lines.push(cells.map(csvCell).join(','));
  }
  const sum = grandTotal(campaign, totals);
  const foot: (string | number)[] = ['合计', '', '', `${sum.orgs} 个单位，报齐 ${sum.complete} 个`, '', '', '', sum.noEmail ? `无联系邮箱 ${sum.noEmail} 个` : '', ''];
  for (const d of campaign.documents) {
    const late = rows.filter((r) => !r.exemption && r.documents.some((x) => x.document === d.kind && x.late)).length;
    foot.push(`已上传 ${sum.byDocument[d.kind] ?? 0}`, '', '', `逾期 ${late}`, '', '', '');
  }
  const exempt = rows.filter((r) => r.exemption).length;
  foot.push(exempt ? `免报 ${exempt} 个（不计入合计）` : '');
  lines.push(foot.map(csvCell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
