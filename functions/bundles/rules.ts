import type { Bundle, BundleEntry, BundleExemption } from '../../schemas/bundles.js';
import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import type { OrgSummary } from '../../schemas/plans.js';
import { AppError, badRequest } from '../shared/errors.js';
import type { DocStatus, OrgStatus } from '../plans/rules.js';
import { effectiveDeadline, inAudience, isLate } from '../plans/rules.js';
import { reviewStateOf } from '../reviews/rules.js';

/**
 * Pure rules of forwarding: what a District office's bundle holds, when it may be forwarded, what changed
 * since the last one, and the Centre's answer.
 *
 *   (none) ──forward──► forwarded ──receive──► received ──(a school's plan changes)──► re-forward: a new bundle
 *                           └─────return────► returned ──forward──► a new bundle
 */

/** What forwarding needs of an org's row (a subset of the status page's OrgStatus, made without its roll-up). */
export type JDoc = Pick<DocStatus, 'document' | 'title' | 'state' | 'reviewState' | 'late' | 'lastVersion' | 'lastUploadId' | 'lastExt' | 'lastSize' | 'lastSha256' | 'lastFileName' | 'lastUploadAt'>;
export type JRow = Pick<OrgStatus, 'orgId' | 'name' | 'kind'> & { documents: JDoc[] };

/** The rows of a jurisdiction's orgs in the campaign's audience, straight from their status items. */
export function jurisdictionRows(c: Campaign, orgs: Org[], items: OrgSummary[]): JRow[] {
  const byOrg = new Map(items.map((x) => [x.orgId, x]));
  return orgs
    .filter((o) => inAudience(c, o))
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((o) => ({
      orgId: o.id,
      name: o.name,
      kind: o.kind,
      documents: c.documents.map((d) => {
        const doc = byOrg.get(o.id)?.docs[d.kind];
        const last = doc?.last;
        return {
          document: d.kind,
          title: d.title,
          state: last ? 'uploaded' : 'missing',
          reviewState: reviewStateOf(doc),
          // On time or late against the org's effective deadline (an extension counts), as on the status page.
          late: !!doc?.first && isLate(doc.first.at, effectiveDeadline(c, byOrg.get(o.id))),
          lastVersion: last?.version,
          lastUploadId: last?.uploadId,
          lastExt: last?.ext,
          lastSize: last?.size,
          lastSha256: last?.sha256,
          lastFileName: last?.name,
          lastUploadAt: last?.at,
        };
      }),
    }));
}

/** One file of a bundle before its zip path is chosen. */
export type PlannedEntry = Omit<BundleEntry, 'path'>;

/** A school the District must still act on before forwarding: accept its plans, or leave it out with a reason. */
export interface Blocker {
  orgId: string;
  name: string;
  /** "待审核：心理危机管理工作方案；未提交：…" */
  why: string;
}

const STATE_WORDS = { missing: '未提交', submitted: '待审核', returned: '已退回', accepted: '已通过' } as const;

/** Every document of the school accepted (the latest version each time). */
export const allAccepted = (r: JRow) => r.documents.every((d) => d.reviewState === 'accepted');

function why(r: JRow): string {
  const by = new Map<string, string[]>();
  for (const d of r.documents) if (d.reviewState !== 'accepted') by.set(STATE_WORDS[d.reviewState], [...(by.get(STATE_WORDS[d.reviewState]) ?? []), d.title]);
  return [...by].map(([w, titles]) => `${w}：${titles.join('、')}`).join('；');
}

const entriesOf = (r: JRow): PlannedEntry[] =>
  r.documents.map((d) => ({
    orgId: r.orgId,
    orgName: r.name,
    document: d.document,
    title: d.title,
    version: d.lastVersion ?? 0,
    uploadId: d.lastUploadId ?? '',
    ext: d.lastExt ?? 'pdf',
    size: d.lastSize ?? 0,
    sha256: d.lastSha256 ?? '',
    fileName: d.lastFileName ?? '',
    receivedAt: d.lastUploadAt ?? '',
    late: d.late,
  }));

export interface Jurisdiction {
  /** The District office's own row (its plans). */
  own: JRow | undefined;
  /** Its schools in the campaign's audience. */
  schools: JRow[];
  /** Schools the exemption register leaves out of the campaign (not asked for). */
  registerExempt?: ReadonlySet<string>;
}

/** Where the jurisdiction stands for a bundle: what would go in it and who still blocks it. */
export function readiness(j: Jurisdiction, exemptions: Record<string, string> = {}) {
  const ownMissing = j.own ? j.own.documents.filter((d) => d.state !== 'uploaded').map((d) => d.title) : [];
  const considered = j.schools.filter((r) => !j.registerExempt?.has(r.orgId));
  const named = considered.filter((r) => exemptions[r.orgId] !== undefined);
  const included = considered.filter((r) => exemptions[r.orgId] === undefined && allAccepted(r));
  const blockers: Blocker[] = considered.filter((r) => exemptions[r.orgId] === undefined && !allAccepted(r)).map((r) => ({ orgId: r.orgId, name: r.name, why: why(r) }));
  const entries = [...(j.own && !ownMissing.length ? entriesOf(j.own) : []), ...included.flatMap(entriesOf)];
  const exempted: BundleExemption[] = named.map((r) => ({ orgId: r.orgId, orgName: r.name, reason: exemptions[r.orgId] as string }));
  return { ownMissing, included, blockers, entries, exempted };
}

/**
 * What a forward would write, or the 4xx that says why not: every school either accepted or named with a
 * reason, the District office's own plans handed in, and something different from the last bundle (unless the
 * Centre returned it).
 */
export function planForward(j: Jurisdiction, exemptions: Record<string, string>, latest: Bundle | undefined) {
  const known = new Set(j.schools.map((r) => r.orgId));
  const unknown = Object.keys(exemptions).filter((id) => !known.has(id) || j.registerExempt?.has(id));
  if (unknown.length) throw badRequest('UNKNOWN_SCHOOL', `免报名单中有不属于本辖区应报范围的单位：${unknown.join('、')}。`);
  const r = readiness(j, exemptions);
  if (r.ownMissing.length) throw new AppError(409, 'OWN_MISSING', `请先上传本单位的${r.ownMissing.join('、')}，再统一转报。`);
  if (r.blockers.length) {
    throw new AppError(
      409,
      'NOT_READY',
      `还有 ${r.blockers.length} 所学校的方案未审核通过：${r.blockers.slice(0, 5).map((b) => b.name).join('、')}${r.blockers.length > 5 ? ' 等' : ''}。请先审核，或将其列入本批次免报并写明原因。`,
      r.blockers,
    );
  }
  if (latest && latest.state !== 'returned' && !changesSince(latest, r.entries, r.exempted).length) {
    throw new AppError(409, 'NOTHING_CHANGED', `第 ${latest.seq} 批转报之后没有变化，无需重新转报。`);
  }
  return r;
}

/** "梧桐小学：心理危机管理工作方案 更新为第 3 版" — what differs between the last bundle and what would go now. */
export function changesSince(latest: Bundle, entries: PlannedEntry[], exempted: BundleExemption[]): string[] {
  const key = (e: { orgId: string; document: string }) => `${e.orgId}\u0000${e.document}`;
  const before = new Map(latest.entries.map((e) => [key(e), e]));
  const now = new Map(entries.map((e) => [key(e), e]));
  const out: string[] = [];
  for (const e of entries) {
    const b = before.get(key(e));
    if (!b) out.push(`${e.orgName}：${e.title} 新增第 ${e.version} 版`);
    else if (b.uploadId !== e.uploadId) out.push(`${e.orgName}：${e.title} 更新为第 ${e.version} 版`);
  }
  for (const b of latest.entries) if (!now.has(key(b))) out.push(`${b.orgName}：${b.title} 已不在可转报之列（已退回、有新版本待审核或已免报）`);
  const ex = (list: BundleExemption[]) => new Map(list.map((x) => [x.orgId, x.reason]));
  const [exBefore, exNow] = [ex(latest.exemptions), ex(exempted)];
  for (const [id, reason] of exNow) if (exBefore.get(id) !== reason) out.push(`${exempted.find((x) => x.orgId === id)?.orgName ?? id}：列入免报（${reason}）`);
  for (const [id] of exBefore) if (!exNow.has(id) && !entries.some((e) => e.orgId === id)) out.push(`${latest.exemptions.find((x) => x.orgId === id)?.orgName ?? id}：不再免报`);
  return out;
}

/**
 * What changed since the last bundle, as the District's page shows it ("需重新转报"): the same comparison, made
 * with the bundle's own exemptions standing (they are not re-decided by looking).
 */
export function staleness(j: Jurisdiction, latest: Bundle | undefined): string[] {
  if (!latest) return [];
  const exemptions = Object.fromEntries(latest.exemptions.filter((x) => j.schools.some((r) => r.orgId === x.orgId)).map((x) => [x.orgId, x.reason]));
  const r = readiness(j, exemptions);
  const changes = changesSince(latest, r.entries, r.exempted);
  for (const b of r.blockers) if (!latest.entries.some((e) => e.orgId === b.orgId)) changes.push(`${b.name}：${b.why}`);
  return [...new Set(changes)];
}

/** The Centre's answer to a bundle: only the latest one, only once (the same answer again changes nothing). */
export function answer(latest: Bundle | undefined, seq: number, state: 'received' | 'returned'): 'write' | 'unchanged' {
  if (!latest || latest.seq < seq) throw new AppError(404, 'BUNDLE_NOT_FOUND', '没有这个报送批次。');
  if (latest.seq !== seq) throw new AppError(409, 'NOT_LATEST_BUNDLE', `该县区已重新转报（第 ${latest.seq} 批），请处理最新批次。`);
  if (latest.state === state) return 'unchanged';
  if (latest.state !== 'forwarded') throw new AppError(409, 'BUNDLE_ANSWERED', `第 ${seq} 批已${latest.state === 'received' ? '接收' : '退回'}，不能再${state === 'received' ? '接收' : '退回'}。`);
  return 'write';
}

export const bundleMailKey = (campaignId: string, districtId: string, seq: number, what: 'forwarded' | 'received' | 'returned') => `bundle#${campaignId}#${districtId}#${seq}#${what}`;
