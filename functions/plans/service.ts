import { createHash, randomBytes } from 'node:crypto';
import type { Campaign } from '../../schemas/campaigns.js';
import { DIRECT_ROUTE_KEY, type Org, routeKeyOf } from '../../schemas/orgs.js';
import type { IncomingRef } from '../../schemas/s3-events.js';
import { type CreateUploadBody, FILE_TYPES, MAX_UPLOAD_BYTES, type OrgSummary, type RejectReason, type Upload, UPLOAD_URL_TTL_SECONDS } from '../../schemas/plans.js';
import type { CampaignStore } from '../campaigns/store.js';
import type { OrgReader } from '../orgs/store.js';
import type { Clock } from '../shared/clock.js';
import { AppError, badRequest, Errors, notFound } from '../shared/errors.js';
import { type Grant, roleOf, type TokenSigner } from '../shared/tokens.js';
import {
  acceptedKey,
  allowedExt,
  checkFile,
  foldAccepted,
  foldRejected,
  incomingKey,
  inAudience,
  missingOf,
  reminderDeadline,
  restated,
  effectiveDeadline,
  inScope,
  isLate,
  LATE_ARRIVAL_GRACE_MS,
  receiptNoOf,
  sanitiseFileName,
  scopeOf,
  timelinessText,
  summarise,
  withAttempts,
} from './rules.js';
import type { SummaryReader, SummaryStore, UploadReader, UploadStore } from './store.js';
import type { ExportRequestContent } from '../../schemas/exports.js';
import { DIRECT_FOLDER, type ManifestRow, manifestCsv, type ZipPathItem, zipPaths } from './manifest.js';
import type { AuditWriter } from '../audit/store.js';
import { uploadAuditEvent } from './audit-events.js';

/** The domain core of plan submission. No AWS here: stores, object storage, signer and clock are ports. */

export interface Presigner {
  presignPost(input: { key: string; contentType: string; maxBytes: number; expiresSeconds: number }): Promise<{ url: string; fields: Record<string, string> }>;
}

export interface ObjectStore {
  /** The object's bytes (the exact version when given), or undefined if it is gone. */
  read(key: string, versionId?: string): Promise<Uint8Array | undefined>;
  /**
   * Stores exactly these bytes (the ones that were checked) under the key, only if no object is there
   * yet (S3 conditional write, If-None-Match: *): 'exists' when one already was.
   */
  writeNew(key: string, bytes: Uint8Array, contentType: string): Promise<'written' | 'exists'>;
  exists(key: string): Promise<boolean>;
}

/** What request handlers read with: readers only (functions granted read access get no writing code). */
export interface PlansDeps {
  orgs: OrgReader;
  campaigns: CampaignStore;
  uploads: UploadReader;
  summaries: SummaryReader;
  tokens: TokenSigner;
  clock: Clock;
}

export interface Session {
  grant: Grant;
  org: Org;
  campaign: Campaign;
}

/** Checks a grant against the stored org (revocation by token version) and campaign. */
async function resolve(deps: Pick<PlansDeps, 'orgs' | 'campaigns'>, grant: Grant, typ: 'link' | 'session'): Promise<Session> {
  const [org, campaign] = await Promise.all([deps.orgs.get(grant.orgId), deps.campaigns.get(grant.campaignId)]);
  if (!org || !campaign) throw typ === 'link' ? Errors.linkInvalid() : Errors.noSession();
  if (org.tokenVersion !== grant.version) throw Errors.linkRevoked();
  if (roleOf(org.kind) !== grant.role) throw typ === 'link' ? Errors.linkInvalid() : Errors.noSession();
  return { grant, org, campaign };
}

/** Exchanges a capability link for a short-lived session token. */
export async function openLink(deps: PlansDeps, token: string): Promise<{ session: string; role: Grant['role'] }> {
  const grant = await deps.tokens.verify(token, 'link');
  await resolve(deps, grant, 'link');
  return { session: await deps.tokens.session(grant), role: grant.role };
}

export async function authenticate(deps: Pick<PlansDeps, 'orgs' | 'campaigns' | 'tokens'>, sessionToken: string | undefined): Promise<Session> {
  if (!sessionToken) throw Errors.noSession();
  return resolve(deps, await deps.tokens.verify(sessionToken, 'session'), 'session');
}

/** Issues the link for an org in a campaign (admin CLI). */
export async function issueLink(deps: Pick<PlansDeps, 'orgs' | 'campaigns' | 'tokens'>, orgId: string, campaignId: string, ttlDays: number) {
  const [org, campaign] = await Promise.all([deps.orgs.get(orgId), deps.campaigns.get(campaignId)]);
  if (!org) throw notFound('ORG_NOT_FOUND', `机构不存在：${orgId}`);
  if (!campaign) throw notFound('CAMPAIGN_NOT_FOUND', `活动不存在：${campaignId}`);
  const token = await deps.tokens.link({ orgId, campaignId, role: roleOf(org.kind), version: org.tokenVersion }, ttlDays);
  return { org, campaign, token };
}

export const newUploadId = () => randomBytes(16).toString('hex');

/** Prepares one upload: records the pending attempt and returns a pre-signed POST for a server-chosen key. */
export async function createUpload(
  deps: PlansDeps & { uploads: UploadStore; presigner: Presigner },
  s: Session,
  body: CreateUploadBody,
  uploadId = newUploadId(),
) {
  if (!inAudience(s.campaign, s.org)) throw new AppError(403, 'NOT_IN_AUDIENCE', '本单位不在此次报送范围内。');
  const doc = s.campaign.documents.find((d) => d.kind === body.document);
  if (!doc) throw badRequest('UNKNOWN_DOCUMENT', '没有这项报送材料。');
  const ext = allowedExt(body.fileName);
  if (!ext) throw badRequest('FILE_TYPE_NOT_ALLOWED', `只接受 ${Object.values(FILE_TYPES).map((t) => t.label).join('、')} 文件。`);
  const expiresAt = new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString(); // security time: the real clock
  const upload: Upload = {
    campaignId: s.campaign.id,
    orgId: s.org.id,
    document: doc.kind,
    uploadId,
    ext,
    originalName: sanitiseFileName(body.fileName),
    declaredSize: body.size,
    by: `${s.grant.role}:${s.org.id}`,
    requestedAt: deps.clock.now().toISOString(),
    postExpiresAt: expiresAt,
    tokenVersion: s.org.tokenVersion,
    state: 'pending',
  };
  const key = incomingKey(upload);
  const contentType = FILE_TYPES[ext].contentType;
  const post = await deps.presigner.presignPost({ key, contentType, maxBytes: MAX_UPLOAD_BYTES, expiresSeconds: UPLOAD_URL_TTL_SECONDS });
  await deps.uploads.create(upload);
  return { uploadId, document: doc.kind, url: post.url, fields: post.fields, expiresAt };
}

/** What the validator tells the receipt sender about an accepted, numbered version. */
export interface AcceptedVersion {
  org: Org;
  campaign: Campaign;
  upload: Upload & { state: 'accepted'; version: number; receiptNo: string };
  /** The document's first accepted version, when this one is a later correction. */
  first?: { at: string; late: boolean };
}

export type ValidateDeps = Pick<PlansDeps, 'campaigns' | 'orgs' | 'clock'> & {
  uploads: UploadStore;
  summaries: SummaryStore;
  objects: ObjectStore;
  /** Sends the receipt of an accepted version exactly once (send ledger); absent where no mail is sent. */
  receipt?: (v: AcceptedVersion) => Promise<unknown>;
  /** The audit trail: each attempt's outcome is appended once (id and time fixed by the attempt). */
  audit: AuditWriter;
};

/** Attempts to write an org's status item before giving up (each lost race means another writer progressed). */
const FOLD_ATTEMPTS = 20;

/**
 * Validates one incoming object. Safe to run twice at once and to repeat after a crash at any step:
 *  1. check the exact bytes S3 received (the version the event names) against the attempt;
 *  2. claim the attempt with a conditional pending → accepted/rejected write (one winner);
 *  3. only then store the checked bytes under accepted/, with a conditional write (one object version);
 *  4. fold the outcome into the org's status item (optimistic concurrency; numbers the version);
 *  5. append the outcome to the audit trail (`upload#<uploadId>` at the recorded arrival: once);
 *  6. send the receipt through the send ledger (exactly once).
 * A run that finds the attempt already final skips to the steps still owed.
 */
export async function validateUpload(
  deps: ValidateDeps,
  ref: IncomingRef & { versionId?: string },
  /** When S3 received the file (real time, from the event); defaults to now. */
  receivedReal: Date = new Date(),
): Promise<'accepted' | 'rejected' | 'ignored'> {
  let upload = await deps.uploads.get(ref);
  if (!upload) {
    console.warn(JSON.stringify({ level: 'WARN', msg: 'object without an upload attempt', key: ref.key }));
    return 'ignored';
  }
  const [campaign, org] = await Promise.all([deps.campaigns.get(ref.campaignId), deps.orgs.get(ref.orgId)]);
  if (!campaign) throw new Error(`validate: campaign ${ref.campaignId} of ${ref.key} does not exist`);
  let bytes: Uint8Array | undefined;
  let claimed = false;
  if (upload.state === 'pending') {
    bytes = await deps.objects.read(ref.key, ref.versionId);
    // On time or late by when the file arrived (domain time), not when it was checked.
    const receivedAt = deps.clock.at(receivedReal).toISOString();
    const reason = await rejection(upload, ref, org, bytes, receivedReal);
    const sha256 = bytes && !reason ? createHash('sha256').update(bytes).digest('hex') : undefined;
    const outcome = reason
      ? ({ state: 'rejected', receivedAt, reason, size: bytes?.byteLength } as const)
      : ({ state: 'accepted', receivedAt, size: bytes?.byteLength, sha256, late: isLate(receivedAt, campaign.deadline), acceptedKey: acceptedKey(upload) } as const);
    if (await deps.uploads.finish(ref, outcome)) {
      upload = { ...upload, ...outcome };
      claimed = true;
    } else {
      // Another run finished it first: what it recorded stands; our bytes are used only if they are the recorded ones.
      upload = (await deps.uploads.get(ref)) ?? upload;
    }
  }
  if (upload.state === 'rejected') {
    await fold(deps, campaign, (prev) => ({ next: foldRejected(prev, upload), version: 0 }), upload);
    await appendOutcome(deps, uploadAuditEvent(upload, org));
    return 'rejected';
  }
  if (upload.state !== 'accepted' || !upload.sha256 || !upload.acceptedKey) return 'ignored';
  const recorded = upload.sha256;
  const key = upload.acceptedKey;
  // Only the recorded bytes may go to accepted/, and only once (If-None-Match: a second writer gets 'exists').
  const sha = (b: Uint8Array | undefined) => (b ? createHash('sha256').update(b).digest('hex') : undefined);
  // A run that did not claim the attempt resumes: when the object is stored already, it is neither read
  // nor written again (a re-delivery costs no 20 MiB transfer, and not every S3 honours If-None-Match).
  if (claimed || !(await deps.objects.exists(key))) {
    if (sha(bytes) !== recorded) bytes = await deps.objects.read(ref.key, ref.versionId);
    if (sha(bytes) === recorded && bytes) await deps.objects.writeNew(key, bytes, FILE_TYPES[upload.ext].contentType);
    else if (!(await deps.objects.exists(key))) {
      // The recorded bytes are nowhere to be read: fail loudly (retries, then the failed-event queue).
      throw new Error(`validate: ${ref.key} is recorded as accepted (sha256 ${recorded}) but those bytes are not available`);
    }
  }
  const accepted = upload;
  const { version, summary } = await fold(deps, campaign, (prev) => foldAccepted(prev, accepted), accepted);
  const receiptNo = receiptNoOf(accepted);
  if (accepted.version !== version || accepted.receiptNo !== receiptNo) await deps.uploads.numbered(ref, version, receiptNo);
  await appendOutcome(deps, uploadAuditEvent(accepted, org, { version, receiptNo }));
  const first = summary?.docs[accepted.document]?.first;
  if (org && deps.receipt) {
    await deps.receipt({
      org,
      campaign,
      upload: { ...accepted, state: 'accepted', version, receiptNo },
      first: first && first.uploadId !== accepted.uploadId ? { at: first.at, late: first.late } : undefined,
    });
  }
  return 'accepted';
}

/** Step 5: by every run that gets here ('exists' after the first), so a crash before it is repaired by the retry. */
async function appendOutcome(deps: Pick<ValidateDeps, 'audit'>, e: ReturnType<typeof uploadAuditEvent>) {
  if (e) await deps.audit.append(e);
}

/** Why the object cannot be accepted, or undefined. Security checks use the real clock. */
async function rejection(upload: Upload, ref: IncomingRef, org: Org | undefined, bytes: Uint8Array | undefined, receivedReal: Date): Promise<RejectReason | undefined> {
  // The exact key the attempt was issued for: not only its suffix (a key may name the attempt and go on, ".pdf/x.exe").
  if (ref.key !== incomingKey(upload)) return 'BAD_KEY';
  if (!org || (upload.tokenVersion !== undefined && org.tokenVersion !== upload.tokenVersion)) return 'REVOKED';
  if (upload.postExpiresAt && receivedReal.getTime() > Date.parse(upload.postExpiresAt) + LATE_ARRIVAL_GRACE_MS) return 'EXPIRED';
  if (!bytes) return 'MISSING';
  return checkFile(bytes, upload.ext);
}

/**
 * Read–modify–write of the org's status item with a condition on its revision; retried on a lost race.
 * The org is read after the status item, so a move or a contact change (the import restates the item and
 * bumps its revision after updating the org) either is seen here or makes this write lose and retry.
 * The write restates the route, the org's snapshot and what it still owes (the owing index) with the fold.
 */
async function fold(
  deps: Pick<ValidateDeps, 'summaries' | 'orgs'>,
  campaign: Campaign,
  step: (prev: OrgSummary | undefined) => { version: number; next?: OrgSummary },
  u: Upload,
): Promise<{ version: number; summary?: OrgSummary }> {
  for (let i = 0; i < FOLD_ATTEMPTS; i++) {
    const prev = await deps.summaries.get(u.campaignId, u.orgId);
    const r = step(prev);
    if (!r.next) return { version: r.version, summary: prev };
    const org = await deps.orgs.get(u.orgId);
    const next = org ? { ...r.next, routeKey: routeKeyOf(org), org, missing: missingOf(campaign, org, r.next.docs, r.next.exemption), reminded: r.next.reminded ?? {} } : r.next;
    if (await deps.summaries.put(next, prev?.rev)) return { version: r.version, summary: next };
    await new Promise((ok) => setTimeout(ok, 5 + Math.random() * 20 * (i + 1)));
  }
  throw new Error(`validate: status of ${u.orgId} in ${u.campaignId} kept changing; giving up (retried by the event source)`);
}

/**
 * Restates every status item of every campaign from the registry as it is now (after an import, a
 * campaign's creation or replacement, a bounce): each org of the audience gets its item (so the owing
 * index lists it until it has handed everything in), a moved school its new route, a changed contact its
 * new snapshot; an org no longer in the audience leaves the owing index. Idempotent and safe beside
 * running validators (conditional on the revision, retried). `only`: just these orgs (a bounce).
 * Returns how many items were written (`rerouted`: how many of them changed route).
 */
export async function syncStatus(
  deps: { orgs: OrgReader; campaigns: Pick<CampaignStore, 'list'>; summaries: SummaryStore },
  only?: { campaignIds?: string[]; orgIds?: string[] },
): Promise<{ written: number; rerouted: number }> {
  const all = await deps.orgs.list();
  const orgs = only?.orgIds ? all.filter((o) => only.orgIds?.includes(o.id)) : all;
  let written = 0;
  let rerouted = 0;
  for (const c of await deps.campaigns.list()) {
    if (only?.campaignIds && !only.campaignIds.includes(c.id)) continue;
    if (!only?.orgIds) {
      const counts: Record<string, number> = {};
      for (const o of orgs) if (inAudience(c, o)) counts[routeKeyOf(o)] = (counts[routeKeyOf(o)] ?? 0) + 1;
      await deps.summaries.setAudience(c.id, counts);
    }
    const items = new Map((only?.orgIds ? await Promise.all(orgs.map((o) => deps.summaries.get(c.id, o.id))) : await deps.summaries.list(c.id)).filter((x) => !!x).map((x) => [x.orgId, x]));
    for (const org of orgs) {
      if (!inAudience(c, org) && !items.has(org.id)) continue;
      let prev = items.get(org.id);
      for (let i = 0; i < FOLD_ATTEMPTS; i++) {
        const next = restated(c, org, prev);
        if (!next) break;
        if (await deps.summaries.put(next, prev?.rev)) {
          written++;
          if (prev && prev.routeKey !== next.routeKey) {
            rerouted++;
            // An exempt school that moved: the exemption register names its new route (the city digest's counts).
            if (next.exemption && next.routeKey) await deps.summaries.register(c.id, 'exempt', org.id, next.routeKey);
          }
          break;
        }
        prev = await deps.summaries.get(c.id, org.id);
      }
    }
  }
  return { written, rerouted };
}

/** The orgs a session may see and their status items: the city everything, a District its jurisdiction, a school itself. */
async function scopeData(deps: PlansDeps, s: Session) {
  const scope = scopeOf(s.grant.role, s.org);
  // The orgs and their status items are independent reads: made at once (one round trip, not two).
  const [orgs, summaries, district] = await Promise.all([
    scope.kind === 'city' ? deps.orgs.list() : scope.kind === 'district' ? deps.orgs.list(scope.routeKey) : [s.org],
    scope.kind === 'city'
      ? deps.summaries.list(s.campaign.id)
      : scope.kind === 'district'
        ? deps.summaries.listRoute(s.campaign.id, scope.routeKey)
        : deps.summaries.get(s.campaign.id, s.org.id).then((x) => (x ? [x] : [])),
    // A District school's District name, when the office itself is not in view (a school's own scope).
    scope.kind === 'org' && s.org.districtId ? deps.orgs.get(s.org.districtId) : undefined,
  ]);
  return { scope, orgs, summaries, named: district ? [district] : [] };
}

/** Status visible to a session: its own org, a District's jurisdiction, or everything for the city. */
export async function statusFor(deps: PlansDeps, s: Session) {
  const { orgs, summaries, named } = await scopeData(deps, s);
  return { campaign: s.campaign, ...summarise(s.campaign, orgs, summaries, named) };
}

/** One file of the session's zip, before its path is made safe and unique (zipPaths). */
export interface ExportItem {
  item: ZipPathItem;
  key: string;
  size: number;
  sha256: string;
  receivedAt: string;
}

/**
 * What the session's zip holds: the latest accepted version of each org × document in its scope
 * (`县区/学校/文档.扩展名`, Direct schools under 直属学校/), and the manifest rows. Keys come from the
 * status items the validator wrote, never from the caller.
 */
export async function exportSet(deps: PlansDeps, s: Session) {
  const { orgs, summaries, named } = await scopeData(deps, s);
  const { rows } = summarise(s.campaign, orgs, summaries, named);
  const byOrg = new Map(summaries.map((x) => [x.orgId, x]));
  const districtNames = new Map([...named, ...orgs].filter((o) => o.kind === 'district').map((o) => [routeKeyOf(o), o.name]));
  const entries: ExportItem[] = [];
  const manifest: ManifestRow[] = [];
  for (const r of rows) {
    const districtName = r.group === DIRECT_ROUTE_KEY ? '' : (districtNames.get(r.group) ?? r.group);
    // On time or late against the org's effective deadline (an extension counts), as on the status page.
    const deadline = effectiveDeadline(s.campaign, r);
    for (const doc of s.campaign.documents) {
      const d = byOrg.get(r.orgId)?.docs[doc.kind];
      if (!d?.last || !d.first) continue;
      const last = d.last;
      const firstLate = isLate(d.first.at, deadline);
      entries.push({
        item: { districtName, orgId: r.orgId, orgName: r.kind === 'district' ? `${r.name}（本级）` : r.name, title: doc.title, ext: last.ext },
        key: acceptedKey({ campaignId: s.campaign.id, orgId: r.orgId, document: doc.kind, uploadId: last.uploadId, ext: last.ext }),
        size: last.size,
        sha256: last.sha256,
        receivedAt: last.at,
      });
      manifest.push({
        orgName: r.name,
        districtName: districtName || DIRECT_FOLDER,
        documentTitle: doc.title,
        version: last.version,
        originalName: last.name,
        size: last.size,
        sha256: last.sha256,
        receivedAt: last.at,
        onTime: !firstLate,
        note: `${timelinessText(d, deadline) ?? ''}${isLate(last.at, deadline) && !firstLate ? '；本版为截止后的修改' : ''}`,
      });
    }
  }
  const scope = scopeOf(s.grant.role, s.org);
  const scopeName = scope.kind === 'city' ? '全市' : s.org.name;
  return { entries, manifest, scopeName, fileName: `${s.campaign.title}-${scopeName}.zip` };
}

/**
 * The export request's content for the session's scope: each file's path in the zip made safe and
 * unique, and the manifest naming every file by that path. Written by the files function (and built
 * by export-zip), or built straight into a file by the CLI.
 */
export async function exportContent(deps: PlansDeps, s: Session): Promise<ExportRequestContent> {
  const set = await exportSet(deps, s);
  const paths = zipPaths(set.entries.map((e) => e.item));
  return {
    campaignId: s.campaign.id,
    fileName: set.fileName,
    entries: set.entries.map((e, i) => ({ path: paths[i] as string, key: e.key, size: e.size, sha256: e.sha256, receivedAt: e.receivedAt })),
    manifestCsv: manifestCsv(set.manifest.map((r, i) => ({ ...r, path: paths[i] }))),
  };
}

/**
 * The session's own org, per document, with every version, rejection and upload in progress (the upload page),
 * lateness against its effective deadline. `page`: also its District office's status item, for the date the
 * page asks for (`dueAt`: an internal deadline the District set for its schools, or the extension).
 */
export async function ownStatus(deps: PlansDeps, s: Session, page = false) {
  const [summary, attempts, district, receiver, districtStatus] = await Promise.all([
    deps.summaries.get(s.campaign.id, s.org.id),
    deps.uploads.listOrg(s.campaign.id, s.org.id),
    s.org.districtId ? deps.orgs.get(s.org.districtId) : Promise.resolve(undefined),
    deps.orgs.get(s.campaign.receiverId),
    page && s.org.districtId ? deps.summaries.get(s.campaign.id, s.org.districtId) : undefined,
  ]);
  const { rows } = summarise(s.campaign, [s.org], summary ? [summary] : [], district ? [district] : []);
  const now = deps.clock.now();
  const deadline = effectiveDeadline(s.campaign, summary);
  const documents = (rows[0]?.documents ?? []).map((d) => withAttempts(d, attempts, now, deadline));
  return {
    campaign: s.campaign,
    org: s.org,
    district,
    receiver,
    documents,
    deadline,
    dueAt: reminderDeadline(s.campaign, summary, s.org, districtStatus),
    ...(summary?.exemption ? { exemption: summary.exemption } : {}),
  };
}

/** An accepted version the session may open: never outside its scope, never a key the caller chose. */
export async function findVersion(deps: PlansDeps, s: Session, orgId: string, document: string, version: number) {
  const target = orgId === s.org.id ? s.org : await deps.orgs.get(orgId);
  // Outside the scope and unknown look the same: no hint that an org exists.
  if (!target || !inScope(scopeOf(s.grant.role, s.org), target)) throw notFound('FILE_NOT_FOUND', '没有找到这个文件，或您没有查看它的权限。');
  const doc = s.campaign.documents.find((d) => d.kind === document);
  const attempts = doc ? await deps.uploads.listOrg(s.campaign.id, target.id) : [];
  const u = attempts.find((a) => a.document === document && a.state === 'accepted' && a.version === version && a.acceptedKey);
  if (!doc || !u?.acceptedKey) throw notFound('FILE_NOT_FOUND', '没有找到这个文件，或您没有查看它的权限。');
  const district = target.districtId ? await deps.orgs.get(target.districtId) : undefined;
  return { org: target, district, document: doc, upload: u as Upload & { acceptedKey: string; version: number } };
}

export { routeKeyOf };
