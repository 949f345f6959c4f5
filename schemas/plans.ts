import * as z from 'zod/mini';
import { CampaignId, DocumentKind } from './campaigns.js';
import { OrgId } from './orgs.js';

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
export const CreateUploadBody = z.strictObject({
  document: DocumentKind,
  fileName: z.string().check(z.trim(), z.minLength(1, '请选择文件'), z.maxLength(255, '文件名过长')),
  size: z.int().check(z.minimum(1, '文件为空'), z.maximum(MAX_UPLOAD_BYTES, `文件超过 ${MAX_UPLOAD_BYTES / 1024 / 1024} MB 上限`)),
});
export type CreateUploadBody = z.infer<typeof CreateUploadBody>;

export const UploadId = z.string().check(z.regex(/^[0-9a-f]{32}$/));

export const UploadState = z.enum(['pending', 'accepted', 'rejected']);
export type UploadState = z.infer<typeof UploadState>;

export const RejectReason = z.enum(['TYPE_MISMATCH', 'TOO_LARGE', 'EMPTY', 'MISSING']);
export type RejectReason = z.infer<typeof RejectReason>;

/** One upload attempt; becomes a submission version when accepted. Stored in the campaign's item collection. */
export const Upload = z.object({
  campaignId: CampaignId,
  orgId: OrgId,
  routeKey: z.string(),
  document: DocumentKind,
  uploadId: UploadId,
  ext: FileExt,
  /** Original file name, sanitised; kept as metadata only. */
  originalName: z.string(),
  declaredSize: z.int(),
  /** Who asked for the upload link: the link's subject, e.g. "school:dh-xxx". */
  by: z.string(),
  requestedAt: z.string(),
  state: UploadState,
  /** Set when validated (domain time). */
  receivedAt: z.optional(z.string()),
  size: z.optional(z.int()),
  sha256: z.optional(z.string()),
  late: z.optional(z.boolean()),
  acceptedKey: z.optional(z.string()),
  reason: z.optional(RejectReason),
});
export type Upload = z.infer<typeof Upload>;

/** S3 key of an incoming object: incoming/<campaign>/<org>/<document>/<uploadId>.<ext> */
export const IncomingKey = z.pipe(
  z.string().check(z.regex(/^incoming\/([a-z0-9-]+)\/([a-z0-9-]+)\/([a-z0-9-]+)\/([0-9a-f]{32})\.([a-z]+)$/)),
  z.transform((key: string) => {
    const m = key.split('/');
    const [uploadId, ext] = (m[4] as string).split('.') as [string, string];
    return { key, campaignId: m[1] as string, orgId: m[2] as string, document: m[3] as string, uploadId, ext };
  }),
);

/** The part of an S3 ObjectCreated notification the validator reads (cloud and s3rver alike). */
export const S3Event = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      /** When S3 received the object (real time). */
      eventTime: z.optional(z.iso.datetime({ offset: true })),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string(), size: z.optional(z.number()), versionId: z.optional(z.string()) }),
      }),
    }),
  ),
});
export type S3Event = z.infer<typeof S3Event>;

/** GET /api/status query. */
export const StatusQuery = z.strictObject({
  format: z.optional(z.enum(['json', 'csv'])),
});

/** GET /status (the page): everything, or only the orgs that have not handed in every document. */
export const StatusPageQuery = z.strictObject({
  show: z.optional(z.enum(['all', 'incomplete'])),
});
