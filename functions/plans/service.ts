import { createHash, randomBytes } from 'node:crypto';
import type { Campaign } from '../../schemas/campaigns.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import { type CreateUploadBody, FILE_TYPES, MAX_UPLOAD_BYTES, type Upload, UPLOAD_URL_TTL_SECONDS } from '../../schemas/plans.js';
import type { CampaignStore } from '../campaigns/store.js';
import type { OrgStore } from '../orgs/store.js';
import type { Clock } from '../shared/clock.js';
import { AppError, badRequest, Errors, notFound } from '../shared/errors.js';
import { type Grant, roleOf, type TokenSigner } from '../shared/tokens.js';
import { acceptedKey, allowedExt, checkFile, incomingKey, inAudience, isLate, sanitiseFileName, summarise, visibleRouteKey } from './rules.js';
import type { UploadStore } from './store.js';

/** The domain core of plan submission. No AWS here: stores, object storage, signer and clock are ports. */

export interface Presigner {
  presignPost(input: { key: string; contentType: string; maxBytes: number; expiresSeconds: number }): Promise<{ url: string; fields: Record<string, string> }>;
}

export interface ObjectStore {
  /** The object's bytes, or undefined if it is gone. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Stores exactly these bytes (the ones that were checked) under the key. */
  write(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
}

export interface PlansDeps {
  orgs: OrgStore;
  campaigns: CampaignStore;
  uploads: UploadStore;
  tokens: TokenSigner;
  clock: Clock;
}

export interface Session {
  grant: Grant;
  org: Org;
  campaign: Campaign;
}

/** Checks a grant against the stored org (revocation by token version) and campaign. */
async function resolve(deps: PlansDeps, grant: Grant, typ: 'link' | 'session'): Promise<Session> {
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

export async function authenticate(deps: PlansDeps, sessionToken: string | undefined): Promise<Session> {
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
  deps: PlansDeps & { presigner: Presigner },
  s: Session,
  body: CreateUploadBody,
  uploadId = newUploadId(),
) {
  if (!inAudience(s.campaign, s.org)) throw new AppError(403, 'NOT_IN_AUDIENCE', '本单位不在此次报送范围内。');
  const doc = s.campaign.documents.find((d) => d.kind === body.document);
  if (!doc) throw badRequest('UNKNOWN_DOCUMENT', '没有这项报送材料。');
  const ext = allowedExt(body.fileName);
  if (!ext) throw badRequest('FILE_TYPE_NOT_ALLOWED', `只接受 ${Object.values(FILE_TYPES).map((t) => t.label).join('、')} 文件。`);
  const upload: Upload = {
    campaignId: s.campaign.id,
    orgId: s.org.id,
    routeKey: routeKeyOf(s.org),
    document: doc.kind,
    uploadId,
    ext,
    originalName: sanitiseFileName(body.fileName),
    declaredSize: body.size,
    by: `${s.grant.role}:${s.org.id}`,
    requestedAt: deps.clock.now().toISOString(),
    state: 'pending',
  };
  const key = incomingKey(upload);
  const contentType = FILE_TYPES[ext].contentType;
  const post = await deps.presigner.presignPost({ key, contentType, maxBytes: MAX_UPLOAD_BYTES, expiresSeconds: UPLOAD_URL_TTL_SECONDS });
  await deps.uploads.create(upload);
  return {
    uploadId,
    document: doc.kind,
    url: post.url,
    fields: post.fields,
    expiresAt: new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString(),
  };
}

/**
 * Validates one incoming object. Idempotent: each step is safe to repeat, and an attempt that is
 * already accepted or rejected is left as it is.
 */
export async function validateUpload(
  deps: Pick<PlansDeps, 'campaigns' | 'orgs' | 'uploads' | 'clock'> & { objects: ObjectStore },
  ref: { key: string; campaignId: string; orgId: string; document: string; uploadId: string; ext: string },
  /** When S3 received the file (real time, from the event); defaults to now. */
  receivedReal?: Date,
): Promise<'accepted' | 'rejected' | 'ignored'> {
  const org = await deps.orgs.get(ref.orgId);
  if (!org) return 'ignored';
  const storeRef = { ...ref, routeKey: routeKeyOf(org) };
  const upload = await deps.uploads.get(storeRef);
  if (!upload || upload.state !== 'pending' || upload.ext !== ref.ext) return 'ignored';
  const campaign = await deps.campaigns.get(ref.campaignId);
  if (!campaign) return 'ignored';
  const bytes = await deps.objects.read(ref.key);
  // On time or late by when the file arrived, not when it was checked: a slow or re-delivered
  // event must not turn a 23:59 upload into a late one.
  const receivedAt = (receivedReal ? deps.clock.at(receivedReal) : deps.clock.now()).toISOString();
  const reason = bytes ? await checkFile(bytes, upload.ext) : 'MISSING';
  if (reason || !bytes) {
    await deps.uploads.finish(storeRef, { state: 'rejected', receivedAt, reason: reason ?? 'MISSING', size: bytes?.byteLength });
    return 'rejected';
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dest = acceptedKey(upload);
  // The checked bytes are written, not copied: the pre-signed POST stays usable for minutes, and a
  // copy could pick up something posted after the check.
  await deps.objects.write(dest, bytes, FILE_TYPES[upload.ext].contentType);
  await deps.uploads.finish(storeRef, {
    state: 'accepted',
    receivedAt,
    size: bytes.byteLength,
    sha256,
    late: isLate(receivedAt, campaign.deadline),
    acceptedKey: dest,
  });
  return 'accepted';
}

/** Status visible to a session: its own org, a District's jurisdiction, or everything for the city. */
export async function statusFor(deps: PlansDeps, s: Session, ownOnly = false) {
  const scope = ownOnly ? { routeKey: routeKeyOf(s.org), orgId: s.org.id } : visibleRouteKey(s.grant.role, s.org);
  const [orgs, uploads, district] = await Promise.all([
    scope.orgId ? Promise.resolve([s.org]) : deps.orgs.list(scope.routeKey),
    deps.uploads.list(s.campaign.id, scope),
    scope.orgId && s.org.districtId ? deps.orgs.get(s.org.districtId) : Promise.resolve(undefined),
  ]);
  return { campaign: s.campaign, ...summarise(s.campaign, orgs, uploads, deps.clock.now(), district ? [district] : []) };
}
