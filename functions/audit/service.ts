import { AUDIT_ACTION_LABEL, AUDIT_FIELD_LABEL, type AuditAction, type AuditEvent } from '../../schemas/audit.js';
import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import type { OrgReader } from '../orgs/store.js';
import { formatBeijing, formatBeijingExcel } from '../shared/clock.js';
import { csvFile } from '../shared/csv.js';
import { forbidden, notFound } from '../shared/errors.js';
import type { Role } from '../shared/tokens.js';
import { type AuditReader, auditCursor } from './store.js';

/** The domain of the Bureau's view of the audit trail. No AWS here: the org registry and the trail are ports. */

export interface AuditViewDeps {
  orgs: OrgReader;
  audit: AuditReader;
}

/** Who is looking: the session's org and role, in one campaign (a plans Session fits). */
export interface AuditViewer {
  grant: { role: Role };
  org: Pick<Org, 'id' | 'name'>;
  campaign: Pick<Campaign, 'id' | 'title' | 'documents'>;
}

/** Events shown per page and per JSON answer (the latest first); the CSV has them all. */
export const AUDIT_PAGE_SIZE = 200;

/** One field that changed: what it was and what it became, as text ('—' for none). */
export interface AuditChange {
  field: string;
  /** Its Chinese name (AUDIT_FIELD_LABEL), or the field itself. */
  label: string;
  before: string;
  after: string;
}

/** One event as the page, the JSON and the CSV show it. */
export interface AuditRow {
  event: AuditEvent;
  /** Its place in the trail (`before=` of the next page back). */
  cursor: string;
  /** "2019年6月30日 23:59" (Beijing). */
  time: string;
  orgName: string;
  actionLabel: string;
  actorLabel: string;
  documentTitle?: string;
  changes: AuditChange[];
}

export interface AuditView {
  campaign: { id: string; title: string };
  /** Set when the view is one org's trail. */
  org?: { id: string; name: string };
  /** Time order (oldest first). */
  rows: AuditRow[];
  /** More events before the first row: list back from here (`before=`). */
  earlier?: string;
}

/** Only the Bureau and the Centre (role `city`) read the trail: it names every org's changes. */
export function assertCanReadAudit(viewer: Pick<AuditViewer, 'grant'>): void {
  if (viewer.grant.role !== 'city') throw forbidden('AUDIT_CITY_ONLY', '操作记录仅向市教育局和市未成年人心理健康辅导中心开放。');
}

/**
 * The trail of the viewer's campaign, or of one org in it: the latest `AUDIT_PAGE_SIZE` events before
 * `before` (or, with `all`, every one), with the names and labels the page and the CSV show.
 */
export async function auditTrail(deps: AuditViewDeps, viewer: AuditViewer, q: { org?: string; before?: string; all?: boolean }): Promise<AuditView> {
  assertCanReadAudit(viewer);
  const campaignId = viewer.campaign.id;
  const limit = q.all ? undefined : AUDIT_PAGE_SIZE + 1;
  let events: AuditEvent[];
  let names: Map<string, string>;
  let org: AuditView['org'];
  if (q.org) {
    const o = await deps.orgs.get(q.org);
    if (!o) throw notFound('ORG_NOT_FOUND', `没有编号为 ${q.org} 的机构。`);
    org = { id: o.id, name: o.name };
    // One org's trail is short: read it whole (one Query of the index) and cut it here.
    const all = await deps.audit.listOrg(campaignId, o.id);
    const earlier = q.before === undefined ? all : all.filter((e) => auditCursor(e) < (q.before as string));
    events = limit === undefined ? earlier : earlier.slice(-limit);
    names = new Map([[o.id, o.name]]);
    // The actors' names (a District acting on its school, the Bureau …), each one GetItem.
    const actors = [...new Set(events.map((e) => actorOrgId(e.actor)).filter((id): id is string => id !== undefined && !names.has(id)))];
    for (const a of await Promise.all(actors.map((id) => deps.orgs.get(id)))) if (a) names.set(a.id, a.name);
  } else {
    [events, names] = await Promise.all([
      deps.audit.listCampaign(campaignId, { limit, before: q.before }),
      deps.orgs.list().then((list) => new Map(list.map((o) => [o.id, o.name]))),
    ]);
  }
  const more = limit !== undefined && events.length === limit;
  if (more) events = events.slice(1);
  const titles = new Map(viewer.campaign.documents.map((d) => [d.kind, d.title]));
  const rows = events.map((e) => rowOf(e, names, titles));
  return {
    campaign: { id: viewer.campaign.id, title: viewer.campaign.title },
    ...(org ? { org } : {}),
    rows,
    ...(more && rows[0] ? { earlier: rows[0].cursor } : {}),
  };
}

/** `district:d-donghu` → `d-donghu`; `cli`, `system:…` → undefined. */
const actorOrgId = (actor: string) => /^(?:school|district|city):(.+)$/.exec(actor)?.[1];

function actorLabel(e: AuditEvent, names: Map<string, string>): string {
  if (e.actor === 'cli') return '管理员（命令行）';
  if (e.actor.startsWith('system:')) return `系统（${e.actor.slice('system:'.length)}）`;
  const id = actorOrgId(e.actor) ?? e.actor;
  return e.actorName ?? names.get(id) ?? id;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A recorded value as text: instants in Beijing time, objects as JSON, nothing as '—'. */
function valueText(v: unknown): string {
  if (v === undefined || v === null || v === '') return '—';
  if (typeof v === 'string') return ISO.test(v) && Number.isFinite(Date.parse(v)) ? formatBeijing(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The fields of before and after, in the order they first appear, each with both sides. */
export function changesOf(e: Pick<AuditEvent, 'before' | 'after'>): AuditChange[] {
  const fields = [...new Set([...Object.keys(e.before ?? {}), ...Object.keys(e.after ?? {})])];
  return fields.map((field) => ({ field, label: AUDIT_FIELD_LABEL[field] ?? field, before: valueText(e.before?.[field]), after: valueText(e.after?.[field]) }));
}

function rowOf(e: AuditEvent, names: Map<string, string>, titles: Map<string, string>): AuditRow {
  return {
    event: e,
    cursor: auditCursor(e),
    time: formatBeijing(e.at),
    orgName: names.get(e.orgId) ?? e.orgId,
    actionLabel: AUDIT_ACTION_LABEL[e.action as AuditAction] ?? e.action,
    actorLabel: actorLabel(e, names),
    ...(e.document ? { documentTitle: titles.get(e.document) ?? e.document } : {}),
    changes: changesOf(e),
  };
}

/** The trail as an Excel-friendly CSV (UTF-8 with BOM, CRLF; cells made inert): one row per event, in time order. */
export function auditCsv(view: AuditView): string {
  const head = ['时间(北京时间)', '机构编号', '机构名称', '操作', '操作代码', '操作人', '操作人编号', '材料', '版本', '变更', '变更前(JSON)', '变更后(JSON)', '备注', '记录编号'];
  const rows = view.rows.map((r) => [
    formatBeijingExcel(r.event.at),
    r.event.orgId,
    r.orgName,
    r.actionLabel,
    r.event.action,
    r.actorLabel,
    r.event.actor,
    r.documentTitle ?? '',
    r.event.version ?? '',
    r.changes.map((c) => `${c.label}：${c.before} → ${c.after}`).join('；'),
    r.event.before ? JSON.stringify(r.event.before) : '',
    r.event.after ? JSON.stringify(r.event.after) : '',
    r.event.note ?? '',
    r.event.id,
  ]);
  return csvFile([head, ...rows]);
}
