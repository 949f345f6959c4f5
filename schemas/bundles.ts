import * as z from 'zod/mini';
import { CampaignId, DocumentKind } from './ids.js';
import { OrgId } from './orgs.js';

/**
 * A District office's bundle (先将辖区内学校方案收齐统一发送): its own plans and each of its schools' accepted
 * version, forwarded together to the Centre. An immutable record — which versions, by whom, when, the cover
 * note, the schools left out and why, the zip it names (by the hash of its content) — whose only later change is
 * the Centre's answer: received (回执) or returned, once. A change after forwarding makes a new bundle; the old
 * one stays. Item: pk CAMPAIGN#<campaign>, sk BUNDLE#<district>#<seq, 4 digits>.
 */
export const BundleEntry = z.object({
  orgId: OrgId,
  orgName: z.string(),
  document: DocumentKind,
  title: z.string(),
  version: z.int(),
  uploadId: z.string(),
  ext: z.enum(['pdf', 'doc', 'docx']),
  size: z.int(),
  sha256: z.string(),
  /** The uploader's file name, when the version arrived, and whether its document was late. */
  fileName: z.string(),
  receivedAt: z.string(),
  late: z.boolean(),
  /** Its path in the zip (and in the manifest). */
  path: z.string(),
});
export type BundleEntry = z.infer<typeof BundleEntry>;

export const BundleExemption = z.object({ orgId: OrgId, orgName: z.string(), reason: z.string() });
export type BundleExemption = z.infer<typeof BundleExemption>;

export const BundleState = z.enum(['forwarded', 'received', 'returned']);
export type BundleState = z.infer<typeof BundleState>;

export const Bundle = z.object({
  campaignId: CampaignId,
  districtId: OrgId,
  districtName: z.string(),
  /** 1, 2, …: a re-forward is the next number. */
  seq: z.int().check(z.minimum(1)),
  at: z.string(),
  /** "district:<id>". */
  by: z.string(),
  note: z.optional(z.string()),
  entries: z.array(BundleEntry),
  exemptions: z.array(BundleExemption),
  /** The hash of the zip's content (schemas/exports.ts): the zip is exports/<campaign>/<hash>.zip. */
  exportHash: z.string(),
  fileName: z.string(),
  state: BundleState,
  /** The Centre's answer. */
  answeredAt: z.optional(z.string()),
  answeredBy: z.optional(z.string()),
  answeredByName: z.optional(z.string()),
  comment: z.optional(z.string()),
});
export type Bundle = z.infer<typeof Bundle>;

export const MAX_NOTE_CHARS = 1000;
export const MAX_REASON_CHARS = 200;

const Seq = z.pipe(
  z.union([z.int(), z.string().check(z.regex(/^[1-9][0-9]{0,3}$/, '批次号不正确'))]),
  z.transform((v) => Number(v)),
);
const Reason = z.string().check(z.trim(), z.minLength(1, '请写明该校本批次免报的原因'), z.maxLength(MAX_REASON_CHARS, `原因不能超过 ${MAX_REASON_CHARS} 字`));

/**
 * POST /api/bundles (JSON) and POST /bundles (the page's forms; a form's `exempt.<orgId>` fields become
 * `exemptions`): a District office forwards its jurisdiction; the Centre receives or returns a bundle.
 */
export const BundleBody = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('forward'),
    note: z.optional(z.string().check(z.trim(), z.maxLength(MAX_NOTE_CHARS, `说明不能超过 ${MAX_NOTE_CHARS} 字`))),
    /** Schools left out of this bundle, each with a reason (an exemption for this bundle only). */
    exemptions: z.optional(z.record(OrgId, Reason)),
  }),
  z.strictObject({ action: z.literal('receive'), district: OrgId, seq: Seq }),
  z.strictObject({
    action: z.literal('return'),
    district: OrgId,
    seq: Seq,
    comment: z.string().check(z.trim(), z.minLength(1, '退回时请写明原因'), z.maxLength(500, '意见不能超过 500 字')),
  }),
]);
export type BundleBody = z.infer<typeof BundleBody>;

/** What a refused form comes back with (GET /bundles?error=…): codes only, the page has the words. */
export const BUNDLE_FORM_ERRORS = ['NOT_READY', 'OWN_MISSING', 'NOTHING_CHANGED', 'UNKNOWN_SCHOOL', 'NOT_LATEST_BUNDLE', 'BUNDLE_ANSWERED', 'BUSY', 'OTHER'] as const;
export type BundleFormError = (typeof BUNDLE_FORM_ERRORS)[number];

/** GET /bundles. */
export const BundlePageQuery = z.strictObject({
  done: z.optional(z.enum(['forward', 'receive', 'return'])),
  error: z.optional(z.enum(BUNDLE_FORM_ERRORS)),
  district: z.optional(OrgId),
});
export type BundlePageQuery = z.infer<typeof BundlePageQuery>;

/** GET /bundles/{district}/{seq}/zip. */
export const BundleParams = z.object({ district: OrgId, seq: Seq });
