import type { AuditWriter } from '../audit/store.js';
import type { Bundle, BundleBody } from '../../schemas/bundles.js';
import { type ExportRequestContent, exportRequestOf } from '../../schemas/exports.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import { manifestCsv, zipPaths } from '../plans/manifest.js';
import { acceptedKey } from '../plans/rules.js';
import type { PlansDeps, Session } from '../plans/service.js';
import { enqueue, mailPayload, type OutboxClaims, type OutboxQueue } from '../reminders/outbox.js';
import { AppError, forbidden, notFound } from '../shared/errors.js';
import { roleOf } from '../shared/tokens.js';
import { answeredMail, forwardedMail } from './mails.js';
import { answer, bundleMailKey, type Jurisdiction, jurisdictionRows, planForward, staleness } from './rules.js';
import type { BundleStore } from './store.js';

/** The domain core of forwarding: a District office forwards its jurisdiction, the Centre receives or returns it. */

export type BundleReadDeps = Pick<PlansDeps, 'orgs' | 'campaigns' | 'summaries' | 'tokens' | 'clock'> & { bundles: Pick<BundleStore, 'list' | 'listAll' | 'get'> };

export interface BundleDeps extends BundleReadDeps {
  bundles: BundleStore;
  /** Where the zip's request goes (export-requests/…): the export-zip function builds the zip from it. */
  requests: { exists(key: string): Promise<boolean>; putJson(key: string, body: unknown): Promise<void> };
  ledger: OutboxClaims;
  queue: OutboxQueue;
  audit: AuditWriter;
  siteOrigin: string;
  linkTtlDays: number;
}

/** A District office's jurisdiction as the status items say now: its own plans and its schools'. */
export async function jurisdictionOf(deps: Pick<PlansDeps, 'orgs' | 'summaries'>, s: Session, district: Org): Promise<Jurisdiction> {
  const route = routeKeyOf(district);
  const [orgs, items] = await Promise.all([deps.orgs.list(route), deps.summaries.listRoute(s.campaign.id, route)]);
  const rows = jurisdictionRows(s.campaign, orgs, items);
  // Schools exempt in the register (functions/terms/) owe nothing: they neither block nor are named.
  const registerExempt = new Set(items.filter((x) => x.exemption).map((x) => x.orgId));
  return { own: rows.find((r) => r.orgId === district.id), schools: rows.filter((r) => r.kind === 'school'), registerExempt };
}

/**
 * The zip's content: every file of the bundle under 县区/学校/材料.ext with the manifest naming each by its path.
 * Made from the bundle's own record only, so the same bundle always names the same zip (its hash).
 */
export function bundleContent(b: Pick<Bundle, 'campaignId' | 'districtName' | 'fileName' | 'entries'>): ExportRequestContent {
  const rows = b.entries.map((e) => ({
    orgName: e.orgName,
    districtName: b.districtName,
    documentTitle: e.title,
    version: e.version,
    originalName: e.fileName,
    size: e.size,
    sha256: e.sha256,
    receivedAt: e.receivedAt,
    onTime: !e.late,
    note: '',
    path: e.path,
  }));
  return {
    campaignId: b.campaignId,
    fileName: b.fileName,
    entries: b.entries.map((e) => ({
      path: e.path,
      key: acceptedKey({ campaignId: b.campaignId, orgId: e.orgId, document: e.document, uploadId: e.uploadId, ext: e.ext }),
      size: e.size,
      sha256: e.sha256,
      receivedAt: e.receivedAt,
    })),
    manifestCsv: manifestCsv(rows),
  };
}

const onlyDistrict = () => forbidden('ONLY_DISTRICT', '只有县区教育局（教体办）可以转报辖区学校的方案。');
const onlyReceiver = () => forbidden('ONLY_RECEIVER', '只有市未成年人心理健康辅导中心可以接收或退回县区的报送批次。');

/**
 * Forwards the District office's jurisdiction as a new bundle (planForward says when it may), writes the zip's
 * request (the export-zip function builds it), records it in the audit trail and mails the Centre. Two forwards
 * at once: one gets the number, the other a 409. The steps after the bundle's write are idempotent and are
 * repeated by the next forward if a crash cut them short.
 */
export async function forward(deps: BundleDeps, s: Session, body: Extract<BundleBody, { action: 'forward' }>): Promise<Bundle> {
  if (s.grant.role !== 'district') throw onlyDistrict();
  const [j, list] = await Promise.all([jurisdictionOf(deps, s, s.org), deps.bundles.list(s.campaign.id, s.org.id)]);
  const latest = list.at(-1);
  if (latest?.state === 'forwarded') await afterForward(deps, s, latest);
  const plan = planForward(j, body.exemptions ?? {}, latest);
  const seq = (latest?.seq ?? 0) + 1;
  const at = deps.clock.now().toISOString();
  const paths = zipPaths(plan.entries.map((e) => ({ districtName: s.org.name, orgId: e.orgId, orgName: e.orgId === s.org.id ? `${e.orgName}（本级）` : e.orgName, title: e.title, ext: e.ext })));
  const entries = plan.entries.map((e, i) => ({ ...e, path: paths[i] as string }));
  const fileName = `${s.campaign.title}-${s.org.name}-第${seq}批.zip`;
  const { hash } = exportRequestOf(bundleContent({ campaignId: s.campaign.id, districtName: s.org.name, fileName, entries }));
  const bundle: Bundle = {
    campaignId: s.campaign.id,
    districtId: s.org.id,
    districtName: s.org.name,
    seq,
    at,
    by: `district:${s.org.id}`,
    ...(body.note ? { note: body.note } : {}),
    entries,
    exemptions: plan.exempted,
    exportHash: hash,
    fileName,
    state: 'forwarded',
  };
  if (!(await deps.bundles.create(bundle))) throw new AppError(409, 'BUSY', '刚刚有另一次转报完成，请刷新页面查看。');
  await afterForward(deps, s, bundle);
  return bundle;
}

/** What follows a bundle's write: the zip's request, the audit entry, the Centre's mail — each once. */
async function afterForward(deps: BundleDeps, s: Session, b: Bundle) {
  const { key, request } = exportRequestOf(bundleContent(b));
  if (!(await deps.requests.exists(key))) await deps.requests.putJson(key, request);
  await deps.audit.append({
    campaignId: b.campaignId,
    orgId: b.districtId,
    at: b.at,
    id: `bundle#${b.districtId}#${b.seq}#forwarded`,
    action: 'bundle.forwarded',
    actor: b.by,
    actorName: b.districtName,
    after: { seq: b.seq, files: b.entries.length, schools: new Set(b.entries.map((e) => e.orgId)).size - 1, exemptions: b.exemptions.map((x) => `${x.orgName}：${x.reason}`) },
    ...(b.note ? { note: b.note } : {}),
  });
  const receiver = await deps.orgs.get(s.campaign.receiverId);
  const to = receiver ? [...new Set(receiver.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))] : [];
  if (!receiver || !to.length) return;
  const token = await deps.tokens.link({ orgId: receiver.id, campaignId: s.campaign.id, role: roleOf(receiver.kind), version: receiver.tokenVersion }, deps.linkTtlDays);
  await enqueue({ ledger: deps.ledger, queue: deps.queue, now: () => deps.clock.now() }, [
    {
      key: bundleMailKey(b.campaignId, b.districtId, b.seq, 'forwarded'),
      about: { kind: 'bundle', campaignId: b.campaignId, orgId: receiver.id },
      payload: mailPayload(forwardedMail(s.campaign, b, receiver.name, `${deps.siteOrigin}/l/${token}`, to)),
    },
  ]);
}

/**
 * The Centre's answer to a District's latest bundle: received (回执 to the District) or returned with a comment.
 * The same answer again changes nothing (and mails nothing twice); another answer to an answered bundle, or an
 * answer to a superseded one, is a 409.
 */
export async function answerBundle(deps: BundleDeps, s: Session, body: Exclude<BundleBody, { action: 'forward' }>): Promise<Bundle> {
  if (s.org.id !== s.campaign.receiverId) throw onlyReceiver();
  const district = await deps.orgs.get(body.district);
  if (!district || district.kind !== 'district') throw notFound('BUNDLE_NOT_FOUND', '没有这个报送批次。');
  const state = body.action === 'receive' ? 'received' : 'returned';
  let latest = (await deps.bundles.list(s.campaign.id, district.id)).at(-1);
  if (answer(latest, body.seq, state) === 'write') {
    const a = { state, answeredAt: deps.clock.now().toISOString(), answeredBy: `city:${s.org.id}`, answeredByName: s.org.name, ...(body.action === 'return' ? { comment: body.comment } : {}) } as const;
    if (!(await deps.bundles.answer(s.campaign.id, district.id, body.seq, a))) {
      // Someone answered first: what they answered stands (the same answer is fine, another one a 409).
      latest = await deps.bundles.get(s.campaign.id, district.id, body.seq);
      answer(latest, body.seq, state);
    }
    latest = await deps.bundles.get(s.campaign.id, district.id, body.seq);
  }
  const b = latest as Bundle;
  await deps.audit.append({
    campaignId: b.campaignId,
    orgId: b.districtId,
    at: b.answeredAt as string,
    id: `bundle#${b.districtId}#${b.seq}#${b.state}`,
    action: b.state === 'received' ? 'bundle.received' : 'bundle.returned',
    actor: b.answeredBy as string,
    actorName: b.answeredByName,
    before: { state: 'forwarded', seq: b.seq },
    after: { state: b.state, seq: b.seq },
    ...(b.comment ? { note: b.comment } : {}),
  });
  const to = [...new Set(district.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))];
  if (to.length) {
    const token = await deps.tokens.link({ orgId: district.id, campaignId: s.campaign.id, role: roleOf(district.kind), version: district.tokenVersion }, deps.linkTtlDays);
    await enqueue({ ledger: deps.ledger, queue: deps.queue, now: () => deps.clock.now() }, [
      {
        key: bundleMailKey(b.campaignId, b.districtId, b.seq, b.state as 'received' | 'returned'),
        about: { kind: 'bundle', campaignId: b.campaignId, orgId: district.id },
        payload: mailPayload(answeredMail(s.campaign, b, `${deps.siteOrigin}/l/${token}`, to)),
      },
    ]);
  }
  return b;
}

/** The bundles page: a District office its readiness, what changed since its last bundle and its history; the Centre and the Bureau every District's. */
export async function bundlesView(deps: BundleReadDeps, s: Session) {
  if (s.grant.role === 'school') throw forbidden('SCHOOL_NO_BUNDLES', '学校的方案由所属县区教育局（教体办）统一转报。');
  if (s.grant.role === 'district') {
    const [j, list] = await Promise.all([jurisdictionOf(deps, s, s.org), deps.bundles.list(s.campaign.id, s.org.id)]);
    const latest = list.at(-1);
    return { kind: 'district' as const, jurisdiction: j, bundles: list, changes: staleness(j, latest) };
  }
  const [all, districts] = await Promise.all([deps.bundles.listAll(s.campaign.id), deps.orgs.list()]);
  return { kind: 'city' as const, bundles: all, districts: districts.filter((o) => o.kind === 'district'), receiver: s.org.id === s.campaign.receiverId };
}

/** A bundle the session may download: its District's own, or any for the Bureau and the Centre. */
export async function bundleFor(deps: BundleReadDeps, s: Session, districtId: string, seq: number): Promise<Bundle> {
  const mine = s.grant.role === 'city' || (s.grant.role === 'district' && s.org.id === districtId);
  const b = mine ? await deps.bundles.get(s.campaign.id, districtId, seq) : undefined;
  if (!b) throw notFound('BUNDLE_NOT_FOUND', '没有这个报送批次，或您没有查看它的权限。');
  return b;
}
