import * as z from 'zod/mini';
import { DocumentKind } from './campaigns.js';
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

/** GET /review: after a decision the page says what was done (and scrolls to it). */
export const ReviewPageQuery = z.strictObject({
  done: z.optional(z.enum(['accept', 'return'])),
  org: z.optional(OrgId),
  doc: z.optional(DocumentKind),
});
export type ReviewPageQuery = z.infer<typeof ReviewPageQuery>;
