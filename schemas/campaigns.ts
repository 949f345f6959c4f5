import * as z from 'zod';
import { OrgId } from './orgs.js';

export const CampaignId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,47}$/, '活动编号只能包含小写字母、数字和连字符');
export const DocumentKind = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, '材料编号只能包含小写字母、数字和连字符');

export const RequiredDocument = z.object({
  kind: DocumentKind,
  title: z.string().trim().min(2).max(60),
});
export type RequiredDocument = z.infer<typeof RequiredDocument>;

/** An instant with an explicit offset (e.g. 2019-06-30T23:59:59.999+08:00); stored as UTC ISO-8601. */
export const Instant = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s).toISOString());

export const Campaign = z
  .object({
    id: CampaignId,
    title: z.string().trim().min(2).max(100),
    noticeNo: z.string().trim().min(2).max(40),
    documents: z.array(RequiredDocument).min(1).max(10),
    deadline: Instant,
    /** "all": every District office and school; otherwise the listed orgs. */
    audience: z.union([z.literal('all'), z.object({ orgIds: z.array(OrgId).min(1) })]),
    /** The org that receives the plans (the Centre). */
    receiverId: OrgId,
    contact: z.object({ name: z.string().trim().min(1).max(40), phone: z.string().trim().min(5).max(30) }),
  })
  .superRefine((c, ctx) => {
    const kinds = c.documents.map((d) => d.kind);
    if (new Set(kinds).size !== kinds.length) ctx.addIssue({ code: 'custom', message: '材料编号重复', path: ['documents'] });
  });
export type Campaign = z.infer<typeof Campaign>;
export type CampaignInput = z.input<typeof Campaign>;
