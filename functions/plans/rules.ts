import type { Campaign } from '../../schemas/campaigns.js';
import { DIRECT_ROUTE_KEY, type Org, routeKeyOf } from '../../schemas/orgs.js';
import { FILE_TYPES, type FileExt, MAX_UPLOAD_BYTES, type RejectReason, type Upload } from '../../schemas/plans.js';
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

export const REJECT_MESSAGES: Record<RejectReason, string> = {
  TYPE_MISMATCH: '文件内容与所选类型不符（可能是改了扩展名的其他文件），请上传真正的 PDF 或 Word 文件。',
  TOO_LARGE: `文件超过 ${MAX_UPLOAD_BYTES / 1024 / 1024} MB 上限，请压缩后重新上传。`,
  EMPTY: '文件为空，请重新选择。',
  MISSING: '上传未完成，请重新上传。',
};

export const isLate = (receivedAt: string, deadline: string) => Date.parse(receivedAt) > Date.parse(deadline);

/** Whether an org must hand in this campaign's documents. */
export function inAudience(c: Campaign, org: Org): boolean {
  if (c.audience === 'all') return org.kind === 'district' || org.kind === 'school';
  return c.audience.orgIds.includes(org.id);
}

/** Which orgs a session may see: a school itself, a District itself and its schools, the city everything. */
export function visibleRouteKey(role: Role, org: Org): { routeKey?: string; orgId?: string } {
  if (role === 'city') return {};
  if (role === 'district') return { routeKey: routeKeyOf(org) };
  return { routeKey: routeKeyOf(org), orgId: org.id };
}

export interface DocStatus {
  document: string;
  title: string;
  state: 'missing' | 'uploaded';
  versions: number;
  lastUploadAt?: string;
  late: boolean;
  lastFileName?: string;
  lastSize?: number;
  /** An upload newer than the last accepted version that was rejected: the page shows why. */
  rejected?: { reason: RejectReason; message: string; fileName: string; at: string };
  /** An upload still being checked. */
  pending: boolean;
  /** The ids of the uploads still being checked (the page polls until its own is done). */
  pendingIds: string[];
}

export interface OrgStatus {
  orgId: string;
  name: string;
  kind: Org['kind'];
  group: string;
  documents: DocStatus[];
  complete: boolean;
}

export interface GroupTotal {
  group: string;
  name: string;
  orgs: number;
  complete: number;
  late: number;
  byDocument: Record<string, number>;
}

const PENDING_STALE_MS = 15 * 60_000;

/**
 * Rolls upload attempts up into per org × document status, and totals per District and for Direct
 * schools. `named` supplies District names for groups whose office is not among `orgs`.
 */
export function summarise(campaign: Campaign, orgs: Org[], uploads: Upload[], now: Date, named: Org[] = []) {
  const byOrgDoc = new Map<string, Upload[]>();
  for (const u of uploads) {
    const k = `${u.orgId}/${u.document}`;
    byOrgDoc.set(k, [...(byOrgDoc.get(k) ?? []), u]);
  }
  const districtNames = new Map([...named, ...orgs].filter((o) => o.kind === 'district').map((o) => [routeKeyOf(o), o.name]));
  const rows: OrgStatus[] = orgs
    .filter((o) => inAudience(campaign, o))
    .map((org) => {
      const documents = campaign.documents.map((d): DocStatus => {
        const attempts = (byOrgDoc.get(`${org.id}/${d.kind}`) ?? []).sort((a, b) =>
          (a.receivedAt ?? a.requestedAt).localeCompare(b.receivedAt ?? b.requestedAt),
        );
        const accepted = attempts.filter((a) => a.state === 'accepted');
        const last = accepted.at(-1);
        const lastRejected = attempts.filter((a) => a.state === 'rejected').at(-1);
        const rejected =
          lastRejected && (!last || (lastRejected.receivedAt ?? '') > (last.receivedAt ?? ''))
            ? {
                reason: lastRejected.reason ?? 'TYPE_MISMATCH',
                message: REJECT_MESSAGES[lastRejected.reason ?? 'TYPE_MISMATCH'],
                fileName: lastRejected.originalName,
                at: lastRejected.receivedAt ?? lastRejected.requestedAt,
              }
            : undefined;
        // Attempts still being checked: fresh ones newer than the last finished attempt (an abandoned
        // POST, e.g. lost network before a successful retry, must not keep the document "pending").
        const lastFinished = attempts.filter((a) => a.state !== 'pending').reduce((t, a) => (a.requestedAt > t ? a.requestedAt : t), '');
        const pendingIds = attempts
          .filter((a) => a.state === 'pending' && a.requestedAt > lastFinished && now.getTime() - Date.parse(a.requestedAt) < PENDING_STALE_MS)
          .map((a) => a.uploadId);
        return {
          document: d.kind,
          title: d.title,
          state: last ? 'uploaded' : 'missing',
          versions: accepted.length,
          lastUploadAt: last?.receivedAt,
          late: last?.late ?? false,
          lastFileName: last?.originalName,
          lastSize: last?.size,
          rejected,
          pending: pendingIds.length > 0,
          pendingIds,
        };
      });
      return {
        orgId: org.id,
        name: org.name,
        kind: org.kind,
        group: routeKeyOf(org),
        documents,
        complete: documents.every((d) => d.state === 'uploaded'),
      };
    });
  const totals = new Map<string, GroupTotal>();
  for (const r of rows) {
    const t =
      totals.get(r.group) ??
      ({
        group: r.group,
        name: r.group === DIRECT_ROUTE_KEY ? '直属学校（局属、省属事业单位办、市管民办）' : (districtNames.get(r.group) ?? r.group),
        orgs: 0,
        complete: 0,
        late: 0,
        byDocument: Object.fromEntries(campaign.documents.map((d) => [d.kind, 0])),
      } satisfies GroupTotal);
    t.orgs++;
    if (r.complete) t.complete++;
    if (r.documents.some((d) => d.late)) t.late++;
    for (const d of r.documents) if (d.state === 'uploaded') t.byDocument[d.document] = (t.byDocument[d.document] ?? 0) + 1;
    totals.set(r.group, t);
  }
  return {
    rows: rows.sort((a, b) => byGroup(a.group, b.group) || kindOrder(a) - kindOrder(b) || a.orgId.localeCompare(b.orgId)),
    totals: [...totals.values()].sort((a, b) => byGroup(a.group, b.group)),
  };
}
const kindOrder = (r: OrgStatus) => (r.kind === 'district' ? 0 : 1);
/** Districts in id order, Direct schools last. */
const byGroup = (a: string, b: string) => Number(a === DIRECT_ROUTE_KEY) - Number(b === DIRECT_ROUTE_KEY) || a.localeCompare(b);

/** Excel-friendly CSV: UTF-8 with BOM, CRLF, every cell quoted when needed. */
export function statusCsv(campaign: Campaign, rows: OrgStatus[], groupName: (g: string) => string, fmt: (iso: string) => string) {
  const q = (v: string | number) => {
    const s = String(v);
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s; // no formula injection in Excel
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const head = ['所属', '机构编号', '机构名称', '类型'];
  for (const d of campaign.documents) head.push(`${d.title}-状态`, `${d.title}-版本数`, `${d.title}-最后上传(北京时间)`, `${d.title}-是否逾期`);
  const kindName = { bureau: '市教育局', centre: '中心', district: '县区', school: '学校' } as const;
  const lines = [head.map(q).join(',')];
  for (const r of rows) {
    const cells: (string | number)[] = [groupName(r.group), r.orgId, r.name, kindName[r.kind]];
    for (const d of r.documents)
      cells.push(d.state === 'uploaded' ? '已上传' : '未上传', d.versions, d.lastUploadAt ? fmt(d.lastUploadAt) : '', d.late ? '逾期' : '');
    lines.push(cells.map(q).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
