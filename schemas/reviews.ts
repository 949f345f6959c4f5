import * as z from 'zod/mini';
import { DocumentKind } from './ids.js';
import { OrgId } from './orgs.js';

/** The longest comment a reviewer may write (what to fix, or a note with an acceptance). */
export const MAX_COMMENT_CHARS = 500;

const Comment = z.optional(z.string().check(z.trim(), z.maxLength(MAX_COMMENT_CHARS, `意见不能超过 ${MAX_COMMENT_CHARS} 字`)));

/**
 * A reviewer's decision on one version of one document (POST /api/reviews as JSON, POST /review from the
 * page's form: every field a string there, so numbers come as text). `dueDate` is a Beijing calendar day: the
 * corrected version is due by its end.
 */
export const ReviewBody = z.strictObject({
  org: OrgId,
  document: DocumentKind,
  version: z.pipe(
    z.union([z.int(), z.string().check(z.regex(/^[1-9][0-9]{0,3}$/, '版本号不正确'))]),
    z.transform((v) => Number(v)),
  ),
  decision: z.enum(['accept', 'return']),
  comment: Comment,
  dueDate: z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 2019-06-25'))),
});
export type ReviewBody = z.infer<typeof ReviewBody>;

/**
 * Why a decision posted from the page's form was refused: the form goes back to the page (POST /review →
 * 303 /review?error=<code>), which says it next to the document (web/reviews/page.ts has the words). Codes
 * only: a message in the address could be anyone's words.
 */
export const REVIEW_FORM_ERRORS = [
  'COMMENT_REQUIRED',
  'DUE_DATE_REQUIRED',
  'DUE_DATE_INVALID',
  'DUE_DATE_PAST',
  'DUE_DATE_TOO_FAR',
  'NOT_LATEST_VERSION',
  'NOTHING_TO_REVIEW',
  'BUSY',
  'OTHER',
] as const;
export type ReviewFormError = (typeof REVIEW_FORM_ERRORS)[number];

/** GET /review: after a decision the page says what was done, or why not (and scrolls to it). */
export const ReviewPageQuery = z.strictObject({
  done: z.optional(z.enum(['accept', 'return'])),
  error: z.optional(z.enum(REVIEW_FORM_ERRORS)),
  org: z.optional(OrgId),
  doc: z.optional(DocumentKind),
});
export type ReviewPageQuery = z.infer<typeof ReviewPageQuery>;
