import { randomBytes } from 'node:crypto';
// Types only from schemas/audit.ts: the service imports this module, and a value import here would move
// schemas/audit.ts earlier in every bundle that has the service (review's among them), changing its gzip size.
import type { AuditActor, AuditEvent } from '../../schemas/audit.js';
import type { Org } from '../../schemas/orgs.js';
import type { Upload } from '../../schemas/plans.js';
import type { Session } from './service.js';

/**
 * The audit trail's entries for plan submission (schemas/audit.ts): an upload's outcome, recorded by the
 * validator, and a download, recorded by the files function. Pure: they build the event, the callers append it.
 */

/** The validator acts on S3's event, not for a person: the uploader is named in `after.uploadedBy`. */
export const VALIDATOR_ACTOR = 'system:validate-upload';

/**
 * An upload attempt's outcome. Its id is the attempt's (`upload#<uploadId>`) and its `at` the attempt's
 * recorded arrival (domain time, written once by the claim), so every run of the validator — a redelivery, a
 * second validator at once, a retry after a crash — builds the same key and appends nothing the second time.
 * An accepted attempt is recorded with its number and receipt number (known once it is folded).
 */
export function uploadAuditEvent(
  u: Upload,
  org: Pick<Org, 'name'> | undefined,
  numbered?: { version: number; receiptNo: string },
): AuditEvent | undefined {
  if (u.state !== 'accepted' && u.state !== 'rejected') return undefined;
  const common = {
    campaignId: u.campaignId,
    orgId: u.orgId,
    // Always set by the claim; the request time is the (equally fixed) fallback for an attempt recorded without it.
    at: u.receivedAt ?? u.requestedAt,
    id: `upload#${u.uploadId}`,
    actor: VALIDATOR_ACTOR,
    document: u.document,
    ...(org ? { note: `${org.name} 上传` } : {}),
  };
  if (u.state === 'rejected') {
    return { ...common, action: 'upload.rejected', after: { fileName: u.originalName, ...(u.size !== undefined ? { size: u.size } : {}), reason: u.reason, uploadedBy: u.by } };
  }
  if (!numbered) return undefined;
  return {
    ...common,
    action: 'upload.accepted',
    version: numbered.version,
    after: { fileName: u.originalName, size: u.size, sha256: u.sha256, late: u.late ?? false, receiptNo: numbered.receiptNo, uploadedBy: u.by },
  };
}

/** `school:dh-x`, `district:d-donghu`, `city:bureau` (schemas/audit.ts actorOf): who the session acts as. */
const sessionActor = (s: Session): AuditActor => `${s.grant.role}:${s.org.id}`;

/** A download's id: unique per request (each grant of a URL is its own event). */
export const downloadAuditId = () => `download#${randomBytes(8).toString('hex')}`;

/** A session was given one accepted version (`open`: to view in the browser, else to save). */
export function fileDownloadEvent(
  s: Session,
  file: { org: Pick<Org, 'id'>; document: { kind: string }; upload: { version: number } },
  open: boolean,
  now: Date,
): AuditEvent {
  return {
    campaignId: s.campaign.id,
    orgId: file.org.id,
    at: now.toISOString(),
    id: downloadAuditId(),
    action: 'file.downloaded',
    actor: sessionActor(s),
    actorName: s.org.name,
    document: file.document.kind,
    version: file.upload.version,
    note: open ? '打开' : '下载',
  };
}

/** A session was given its scope's zip (`files` plans in it). */
export function zipDownloadEvent(s: Session, files: number, now: Date): AuditEvent {
  return {
    campaignId: s.campaign.id,
    orgId: s.org.id,
    at: now.toISOString(),
    id: downloadAuditId(),
    action: 'zip.downloaded',
    actor: sessionActor(s),
    actorName: s.org.name,
    after: { scope: s.grant.role === 'city' ? '全市' : s.org.name, files },
  };
}
