import * as z from 'zod/mini';
import { OrgId } from './orgs.js';
import { ReminderPolicyInput } from './reminders.js';

import { CampaignId, DocumentKind } from './ids.js';

export { CampaignId, DocumentKind };

const text = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));

export const RequiredDocument = z.object({
  kind: DocumentKind,
  title: text(2, 60),
});
export type RequiredDocument = z.infer<typeof RequiredDocument>;

/** An instant with an explicit offset (e.g. 2019-06-30T23:59:59.999+08:00); stored as UTC ISO-8601. */
export const Instant = z.pipe(
  z.iso.datetime({ offset: true }),
  z.transform((s) => new Date(s).toISOString()),
);

export const Campaign = z
  .object({
    id: CampaignId,
    title: text(2, 100),
    noticeNo: text(2, 40),
    documents: z.array(RequiredDocument).check(z.minLength(1), z.maxLength(10)),
    deadline: Instant,
    /** "all": every District office and school; otherwise the listed orgs. */
    audience: z.union([z.literal('all'), z.object({ orgIds: z.array(OrgId).check(z.minLength(1)) })]),
    /** The org that receives the plans (the Centre). */
    receiverId: OrgId,
    contact: z.object({ name: text(1, 40), phone: text(5, 30) }),
    /** Set when the campaign is closed (`npm run cli -- close-campaign`): from then on nobody is reminded. */
    closedAt: z.optional(Instant),
    /** Reminder policy (schemas/reminders.ts); absent: the defaults (`policyOf`). */
    reminders: z.optional(ReminderPolicyInput),
  })
  .check(
    z.superRefine((c, ctx) => {
      const kinds = c.documents.map((d) => d.kind);
      if (new Set(kinds).size !== kinds.length) ctx.addIssue({ code: 'custom', message: '材料编号重复', path: ['documents'] });
    }),
  );
export type Campaign = z.infer<typeof Campaign>;
export type CampaignInput = z.input<typeof Campaign>;
