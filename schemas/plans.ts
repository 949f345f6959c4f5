import * as z from 'zod/mini';
import { CampaignId, DocumentKind } from './ids.js';
import { Org, OrgId } from './orgs.js';

/** Upload allow-list: extension → the content type the POST policy pins and the magic bytes must show. */
export const FILE_TYPES = {
  pdf: { contentType: 'application/pdf', label: 'PDF' },
  doc: { contentType: 'application/msword', label: 'Word 97–2003 (.doc)' },
  docx: { contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', label: 'Word (.docx)' },
} as const;
export type FileExt = keyof typeof FILE_TYPES;
export const FileExt = z.enum(Object.keys(FILE_TYPES) as [FileExt, ...FileExt[]]);

/** Largest accepted plan file: 20 MiB. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** A pre-signed POST is valid for 10 minutes at most. */
export const UPLOAD_URL_TTL_SECONDS = 600;

/** POST /api/uploads */
export const CreateUploadBody = /* @__PURE__ */ z.strictObject({
  document: DocumentKind,
  fileName: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.trim(), /* @__PURE__ */ z.minLength(1, '请选择文件'), /* @__PURE__ */ z.maxLength(255, '文件名过长')),
  size: /* @__PURE__ */ z
    .int()
    .check(/* @__PURE__ */ z.minimum(1, '文件为空'), /* @__PURE__ */ z.maximum(MAX_UPLOAD_BYTES, `文件超过 ${MAX_UPLOAD_BYTES / 1024 / 1024} MB 上限`)),
});
export type CreateUploadBody = z.infer<typeof CreateUploadBody>;

export const UploadId = z.string().check(z.regex(/^[0-9a-f]{32}$/));

export const UploadState = z.enum(['pending', 'accepted', 'rejected']);
export type UploadState = z.infer<typeof UploadState>;

/**
 * Why an upload was not accepted. EXPIRED: the object arrived after its pre-signed POST (plus a grace
 * for slow uploads) had expired; REVOKED: the org's links were revoked after the attempt was issued;
 * BAD_KEY: the object was stored under a key other than the one the attempt was issued for.
 */
export const RejectReason = z.enum(['TYPE_MISMATCH', 'TOO_LARGE', 'EMPTY', 'MISSING', 'EXPIRED', 'REVOKED', 'BAD_KEY']);
export type RejectReason = z.infer<typeof RejectReason>;

/** One upload attempt; becomes a submission version when accepted. Stored in the campaign's item collection. */
export const Upload = z.object({
  campaignId: CampaignId,
  orgId: OrgId,
  document: DocumentKind,
  uploadId: UploadId,
  ext: FileExt,
  /** Original file name, sanitised; kept as metadata only. */
  originalName: z.string(),
  declaredSize: z.int(),
  /** Who asked for the upload link: the link's subject, e.g. "school:dh-xxx". */
  by: z.string(),
  requestedAt: z.string(),
  /** Security time: when the pre-signed POST expires (real clock). */
  postExpiresAt: z.optional(z.string()),
  /** The org's token version when the attempt was issued: a revocation since then rejects the file. */
  tokenVersion: z.optional(z.int()),
  state: UploadState,
  /** Set when validated (domain time). */
  receivedAt: z.optional(z.string()),
  size: z.optional(z.int()),
  sha256: z.optional(z.string()),
  late: z.optional(z.boolean()),
  acceptedKey: z.optional(z.string()),
  reason: z.optional(RejectReason),
  /** Set once the accepted version is recorded in the org's status: its number and receipt number. */
  version: z.optional(z.int()),
  receiptNo: z.optional(z.string()),
});
export type Upload = z.infer<typeof Upload>;

/** What identifies an attempt; never changes (no route, no name): a school that moves keeps its history. */
export type UploadRef = Pick<Upload, 'campaignId' | 'orgId' | 'document' | 'uploadId'>;

/**
 * The reviewer's latest decision on one document (a District office for its schools, the Centre for Direct
 * schools): about one accepted version. A newer version puts the document back in the reviewer's queue
 * (the decision stays, naming the version it was about, so the school still sees what it was asked to fix).
 * The full history is in the audit trail.
 */
export const Review = z.object({
  state: z.enum(['accepted', 'returned']),
  uploadId: z.string(),
  version: z.int(),
  /** The reviewer: "district:<id>" or "city:<id>". */
  by: z.string(),
  byName: z.string(),
  at: z.string(),
  /** What to fix (a return) or a note (an acceptance). */
  comment: z.optional(z.string()),
  /** A return: by when the corrected version is due (end of a Beijing day, UTC ISO). */
  dueAt: z.optional(z.string()),
  /** The status item's revision this decision was written at: names its mail and its audit entry. */
  seq: z.int(),
});
export type Review = z.infer<typeof Review>;

/** What a reviewer sees of a document: nothing yet, a version waiting for review, accepted, returned. */
export type ReviewState = 'missing' | 'submitted' | 'accepted' | 'returned';

/** One document's roll-up in an org's status item, maintained by the validator. */
export const DocSummary = z.object({
  /** Accepted upload ids in version order: version n is ids[n-1] (also what makes folding idempotent). */
  ids: z.array(z.string()),
  /** The earliest accepted version by arrival: the document is on time when this one is. */
  first: z.optional(z.object({ uploadId: z.string(), at: z.string(), late: z.boolean() })),
  /** The latest accepted version by arrival. */
  last: z.optional(
    z.object({ uploadId: z.string(), version: z.int(), at: z.string(), late: z.boolean(), name: z.string(), size: z.int(), sha256: z.string(), ext: FileExt }),
  ),
  /**
   * Accepted versions that arrived after the campaign's deadline, as recorded at arrival (like `first.late` and
   * `last.late`). Pages and exports derive lateness again against the org's effective deadline (an extension
   * granted later); this count is not restated.
   */
  lateVersions: z.int(),
  /** The latest rejected attempt, while it is newer than the latest accepted version. */
  rejected: z.optional(z.object({ uploadId: z.string(), at: z.string(), reason: RejectReason, name: z.string() })),
  /** The reviewer's latest decision (functions/reviews/). */
  review: z.optional(Review),
});
export type DocSummary = z.infer<typeof DocSummary>;

/**
 * One reminder that went out about an org (the reminder ledger shown on the Bureau's and the District's
 * pages): when, by which rule, through which channel, to whom. Keyed in `reminded` by its send-ledger key,
 * so recording it twice changes nothing.
 */
export const ReminderEntry = z.object({
  /** When it was sent (domain time). */
  at: z.string(),
  /** The Beijing day it was for, yyyymmdd (its sweep's day; what the pages list). */
  day: z.optional(z.string().check(z.regex(/^\d{8}$/))),
  /** e.g. before-7, due-day, overdue-3. */
  rule: z.string(),
  channel: z.enum(['mail', 'wecom', 'dingtalk']),
  /** Addresses (mail) or the robot's kind (group chats). */
  to: z.array(z.string()),
});
export type ReminderEntry = z.infer<typeof ReminderEntry>;

/** Why an org is exempt (免报): 关停 closed, 合并 merged, 不适用 not applicable, 其他 other. */
export const EXEMPTION_KINDS = ['closed', 'merged', 'not-applicable', 'other'] as const;
export type ExemptionKind = (typeof EXEMPTION_KINDS)[number];
export const EXEMPTION_LABEL: Readonly<Record<ExemptionKind, string>> = { closed: '关停', merged: '合并', 'not-applicable': '不适用', other: '其他' };

/**
 * The terms an org's status item may carry (functions/terms/): who decided (`by` "city:<id>" or
 * "district:<id>", `byName` as the org was named then) and when (`at`, domain time). The history is in the
 * audit trail.
 */
const Decided = {
  by: z.string(),
  byName: z.string(),
  at: z.string(),
  /** The status item's revision the decision was written at: names its audit entry (a repeat appends nothing). */
  seq: z.int(),
};
/** A per-org extension granted by the Bureau: the org's own deadline (the end of a Beijing day, UTC ISO). */
export const Extension = z.object({ dueAt: z.string(), reason: z.string(), ...Decided });
export type Extension = z.infer<typeof Extension>;
/** An exemption (免报): the org owes nothing while it stands (it leaves the owing index and the counts). */
export const Exemption = z.object({ kind: z.enum(EXEMPTION_KINDS), reason: z.string(), ...Decided });
export type Exemption = z.infer<typeof Exemption>;
/** A District office's internal deadline for its schools (on its own status item): reminders follow it, lateness does not. */
export const SchoolsDue = z.object({ dueAt: z.string(), ...Decided });
export type SchoolsDue = z.infer<typeof SchoolsDue>;

/**
 * An org's status in a campaign: pk CAMPAIGN#<campaign>, sk STATUS#<org>; written with optimistic
 * concurrency on `rev`. Every org of the audience has one from the campaign's creation (the import and
 * `create-campaign` write them), so the orgs that still owe something are one Query of the sparse
 * owing index (gsi2: present only while `missing` is not empty) — a sweep reads what is due, not the city.
 */
export const OrgSummary = z.object({
  campaignId: CampaignId,
  orgId: OrgId,
  rev: z.int(),
  /** The org's route when last written (the route index, gsi1); the import moves it when a school moves. */
  routeKey: z.optional(z.string()),
  docs: z.record(z.string(), DocSummary),
  /**
   * The org as the registry said when the item was last written (import, campaign creation, a fold, a
   * bounce): what a sweep needs to address and name it without reading the registry.
   */
  org: z.optional(Org),
  /** The campaign's documents the org has no accepted version of (in the owing index while non-empty). */
  missing: z.optional(z.array(DocumentKind)),
  /** The reminder ledger: what went out about this org, by send-ledger key. */
  reminded: z.optional(z.record(z.string(), ReminderEntry)),
  /** The Bureau's extension: the org's effective deadline (lateness and reminders) instead of the campaign's. */
  extension: z.optional(Extension),
  /** An exemption (免报): `missing` is empty while it stands. */
  exemption: z.optional(Exemption),
  /** On a District office's item: its schools' internal deadline (their reminders and upload page; not lateness). */
  schoolsDueAt: z.optional(SchoolsDue),
});
export type OrgSummary = z.infer<typeof OrgSummary>;

/** Filters of the status page and API: incomplete only, one District (route key), one document missing, a name search. */
const StatusFilter = {
  show: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['all', 'incomplete'])),
  group: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(60))),
  doc: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(40))),
  q: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.trim(), /* @__PURE__ */ z.maxLength(40))),
};

/** GET /api/plans: the session's own org; no parameters (there is no way to ask for another org). */
export const OwnQuery = /* @__PURE__ */ z.strictObject({});

/** GET /api/status query. */
export const StatusQuery = /* @__PURE__ */ z.strictObject({ format: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['json', 'csv'])), ...StatusFilter });

/** GET /status (the page). */
export const StatusPageQuery = /* @__PURE__ */ z.strictObject(StatusFilter);
export type StatusFilter = z.infer<typeof StatusPageQuery>;

/** GET /files/{org}/{document}/{version}: one accepted version, as a download or opened in the browser. */
export const FileParams = /* @__PURE__ */ z.object({
  org: OrgId,
  document: DocumentKind,
  version: /* @__PURE__ */ z.pipe(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^[1-9][0-9]{0,3}$/, '版本号不正确')), /* @__PURE__ */ z.transform(Number)),
});
export const FileQuery = /* @__PURE__ */ z.strictObject({ open: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['1'])) });

/** GET /dashboard: one group (a District's route key, or DIRECT) to drill into. */
export const DashboardPageQuery = /* @__PURE__ */ z.strictObject({ group: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(60))) });
/** GET /api/dashboard: the same, as JSON or CSV. */
export const DashboardQuery = /* @__PURE__ */ z.strictObject({
  group: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(60))),
  format: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['json', 'csv', 'svg'])),
});
