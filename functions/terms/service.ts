import type { AuditAction } from '../../schemas/audit.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import type { Exemption, Extension, OrgSummary, SchoolsDue } from '../../schemas/plans.js';
import type { ExemptionBody, ExtensionBody, SchoolsDeadlineBody, TermsBody, TermsWhat } from '../../schemas/terms.js';
import type { AuditWriter } from '../audit/store.js';
import { inAudience, inScope, scopeOf } from '../plans/rules.js';
import type { PlansDeps, Session } from '../plans/service.js';
import type { Audience, SummaryStore, TermsRegister } from '../plans/store.js';
import { AppError, forbidden, notFound } from '../shared/errors.js';
import { auditState, type Decider, exemptionOf, extensionOf, schoolsDueOf, type TermField, termsAuditId, withTerm } from './rules.js';

/** The domain core of extensions, exemptions and Districts' internal deadlines (functions/terms/rules.ts). */

export interface TermsDeps extends Pick<PlansDeps, 'orgs' | 'campaigns' | 'tokens' | 'clock'> {
  summaries: Pick<SummaryStore, 'get' | 'put' | 'register'>;
  /** Every change is appended (its id is the decision's revision: a repeat appends nothing). */
  audit: AuditWriter;
}

/** Attempts to write the status item before giving up (each lost race means another writer progressed). */
const WRITE_ATTEMPTS = 20;

const notYours = () => notFound('ORG_NOT_FOUND', '没有找到这个单位，或您无权为它办理。');

/** Which field, register and audit actions each kind of change uses. */
const KINDS = {
  extension: { field: 'extension', register: 'extended', set: 'extension.granted', revoke: 'extension.revoked' },
  exemption: { field: 'exemption', register: 'exempt', set: 'exemption.granted', revoke: 'exemption.revoked' },
  'schools-deadline': { field: 'schoolsDueAt', register: 'schoolsDue', set: 'deadline.set', revoke: 'deadline.set' },
} as const satisfies Record<TermsWhat, { field: TermField; register: TermsRegister; set: AuditAction; revoke: AuditAction }>;

export interface TermsOutcome {
  org: Org;
  what: TermsWhat;
  /** The term as it stands now (absent: none). */
  term?: Extension | Exemption | SchoolsDue;
  /** False when the item already said so (nothing written). */
  changed: boolean;
}

/**
 * Whose term a session may change, or a 403/404 that says who may. The Bureau (org kind `bureau`): an
 * extension or exemption of any org of the audience. A District office: exemptions of its own schools (not
 * itself, not another District's or a Direct school — those look unknown), and its schools' internal
 * deadline (on its own item). Schools and the Centre: nothing.
 */
async function targetOf(deps: TermsDeps, s: Session, what: TermsWhat, body: TermsBody): Promise<Org> {
  const bureau = s.org.kind === 'bureau';
  const district = s.org.kind === 'district';
  if (what === 'schools-deadline') {
    if (!district) throw forbidden('DISTRICT_ONLY', '内部截止时间由县区教育局（教体办）为本辖区学校设定。');
    return s.org;
  }
  if (what === 'extension' && !bureau) throw forbidden('BUREAU_ONLY', '延期由市教育局批准。');
  if (!bureau && !district) throw forbidden('EXEMPTION_NOT_ALLOWED', '免报由市教育局批准；县区教育局（教体办）可为本辖区学校登记免报。');
  const orgId = (body as ExtensionBody | ExemptionBody).org;
  if (district && orgId === s.org.id) throw forbidden('CANNOT_EXEMPT_SELF', '县区教育局（教体办）不能为本单位登记免报，请联系市教育局。');
  const target = orgId === s.org.id ? s.org : await deps.orgs.get(orgId);
  // Outside the scope, outside the audience and unknown look the same: no hint that an org exists.
  if (!target || !inAudience(s.campaign, target) || !inScope(scopeOf(s.grant.role, s.org), target) || (district && target.kind !== 'school')) throw notYours();
  return target;
}

/**
 * Sets or revokes one term. Only who may (targetOf); invalid input is a 4xx before anything is written. The
 * status item is written with its revision's condition (retried on a lost race); then the AUDIENCE item's
 * register and the audit trail — also when nothing changed, so that repeating a request after a crash between
 * the writes completes them (both are idempotent: the register entry is set to what the item says, the audit
 * entry's id and time are the decision's). A revocation's entry names the revision it was written at; a
 * repeat finds nothing to revoke and appends nothing.
 */
export async function changeTerm(deps: TermsDeps, s: Session, what: TermsWhat, body: TermsBody): Promise<TermsOutcome> {
  const target = await targetOf(deps, s, what, body);
  const kind = KINDS[what];
  const now = deps.clock.now();
  const d: Decider = { by: `${s.grant.role}:${s.org.id}`, byName: s.org.name };
  const value =
    what === 'extension'
      ? extensionOf(s.campaign, body as ExtensionBody, d, now)
      : what === 'exemption'
        ? exemptionOf(body as ExemptionBody, d, now)
        : schoolsDueOf(s.campaign, body as SchoolsDeadlineBody, d, now);
  let outcome: { before?: OrgSummary; after?: OrgSummary; changed: boolean } | undefined;
  for (let i = 0; i < WRITE_ATTEMPTS && !outcome; i++) {
    const prev = await deps.summaries.get(s.campaign.id, target.id);
    // A District keeps to what it registered: an exemption the Bureau granted is the Bureau's to change.
    if (what === 'exemption' && s.org.kind === 'district' && prev?.exemption?.by.startsWith('city:')) {
      throw forbidden('GRANTED_BY_BUREAU', '该校的免报由市教育局批准，县区不能修改或撤销；如有变化请联系市教育局。');
    }
    const next = withTerm(s.campaign, target, prev, kind.field, value);
    if (!next) outcome = { before: prev, after: prev, changed: false };
    else if (await deps.summaries.put(next, prev?.rev)) outcome = { before: prev, after: next, changed: true };
    else await new Promise((ok) => setTimeout(ok, 5 + Math.random() * 20 * (i + 1)));
  }
  if (!outcome) throw new AppError(409, 'BUSY', '该单位的信息正在更新，请稍后再试。');
  const term = outcome.after?.[kind.field];
  const before = outcome.before?.[kind.field];
  await deps.summaries.register(s.campaign.id, kind.register, target.id, term ? (what === 'exemption' ? routeKeyOf(target) : (term as Extension).dueAt) : undefined);
  if (outcome.changed || term) {
    await deps.audit.append({
      campaignId: s.campaign.id,
      orgId: target.id,
      at: term?.at ?? now.toISOString(),
      id: termsAuditId(kind.field, target.id, term?.seq ?? (outcome.after as OrgSummary).rev),
      action: term ? kind.set : kind.revoke,
      actor: d.by,
      actorName: d.byName,
      ...(outcome.changed ? { before: auditState(kind.field, before) } : {}),
      after: auditState(kind.field, term),
      ...(what === 'schools-deadline' ? { note: term ? '县区为辖区学校设定内部截止时间（不改变逾期认定）' : '县区取消辖区学校的内部截止时间' } : {}),
    });
  }
  return { org: target, what, ...(term ? { term } : {}), changed: outcome.changed };
}

/** One org as the terms page lists it. */
export interface TermsRow {
  org: Org;
  extension?: Extension;
  exemption?: Exemption;
}

/** What the terms page shows (web/terms/page.ts). */
export interface TermsData {
  viewer: Org;
  /** The District's own status item's internal deadline for its schools. */
  schoolsDueAt?: SchoolsDue;
  /** The orgs exempt (a District: its schools), and (the Bureau) those with an extension. */
  exempt: TermsRow[];
  extended: TermsRow[];
  /** Orgs whose name or id contains `q` (at most SEARCH_LIMIT), and whether there were more. */
  results?: TermsRow[];
  more?: boolean;
  /** The org just changed or refused (`org` in the address), when the viewer may see it. */
  focus?: TermsRow;
}

export const SEARCH_LIMIT = 20;

/**
 * The terms page's data, read from the registers rather than the city: the AUDIENCE item (one GetItem) names
 * the exempt and extended orgs, whose status items are read one by one (a few); a search reads the org
 * registry (the Bureau's whole registry, a District's jurisdiction) and the matches' status items. The status
 * items are the truth: a register entry whose item no longer says so is not shown.
 */
export async function termsPage(deps: PlansDeps & { audience: SummaryStore['audience'] }, s: Session, q?: string, focusId?: string): Promise<TermsData> {
  const bureau = s.org.kind === 'bureau';
  if (!bureau && s.org.kind !== 'district') throw forbidden('NO_TERMS', '延期与免报由市教育局办理；县区教育局（教体办）可为本辖区学校登记免报、设定内部截止时间。');
  const route = routeKeyOf(s.org);
  const [audience, own] = await Promise.all([deps.audience(s.campaign.id), bureau ? undefined : deps.summaries.get(s.campaign.id, s.org.id)]);
  const mine = (o: Org) => bureau || (o.kind === 'school' && routeKeyOf(o) === route);
  const rowOf = async (id: string, org?: Org): Promise<TermsRow | undefined> => {
    const item = await deps.summaries.get(s.campaign.id, id);
    const o = org ?? item?.org;
    if (!o || !mine(o) || !inAudience(s.campaign, o)) return undefined;
    return { org: o, ...(item?.extension ? { extension: item.extension } : {}), ...(item?.exemption ? { exemption: item.exemption } : {}) };
  };
  const exemptIds = Object.entries(audience?.exempt ?? {}).filter(([, r]) => bureau || r === route).map(([id]) => id);
  const extendedIds = bureau ? Object.keys(audience?.extended ?? {}) : [];
  const rows = async (ids: string[]) => (await Promise.all(ids.map((id) => rowOf(id)))).filter((r): r is TermsRow => !!r);
  const needle = q?.toLowerCase();
  const matches = needle
    ? (await deps.orgs.list(bureau ? undefined : route)).filter((o) => mine(o) && inAudience(s.campaign, o) && (o.name.toLowerCase().includes(needle) || o.id.includes(needle)))
    : [];
  const [exempt, extended, results, focus] = await Promise.all([
    rows(exemptIds),
    rows(extendedIds),
    Promise.all(matches.slice(0, SEARCH_LIMIT).map((o) => rowOf(o.id, o))),
    focusId ? deps.orgs.get(focusId).then((o) => (o ? rowOf(o.id, o) : undefined)) : undefined,
  ]);
  return {
    viewer: s.org,
    ...(own?.schoolsDueAt ? { schoolsDueAt: own.schoolsDueAt } : {}),
    exempt: exempt.filter((r) => r.exemption),
    extended: extended.filter((r) => r.extension),
    ...(needle ? { results: results.filter((r): r is TermsRow => !!r), more: matches.length > SEARCH_LIMIT } : {}),
    ...(focus ? { focus } : {}),
  };
}

export type { Audience };
