import * as z from 'zod/mini';

/**
 * SES sending events as EventBridge delivers them from the configuration set (infra/reminders.ts):
 * detail-type "Email Bounced" or "Email Complaint Received", `detail` the SES event record
 * (eventType, mail with its tags, bounce or complaint). Only what ses-events uses is declared; other
 * fields pass through.
 */
const Recipient = z.object({ emailAddress: z.string().check(z.minLength(3), z.maxLength(320)) });

const Mail = z.object({
  messageId: z.optional(z.string()),
  /** Message tags as SES reports them: each name to a list of values (our `org`, `campaign`, `kind`). */
  tags: z.optional(z.record(z.string(), z.array(z.string()))),
});

export const SesBounce = z.object({
  eventType: z.literal('Bounce'),
  mail: Mail,
  bounce: z.object({
    /** Permanent: the address does not exist or refuses us for good; Transient / Undetermined: try again later. */
    bounceType: z.string(),
    bouncedRecipients: z.array(Recipient).check(z.minLength(1)),
    timestamp: z.optional(z.string()),
  }),
});

export const SesComplaint = z.object({
  eventType: z.literal('Complaint'),
  mail: Mail,
  complaint: z.object({
    complainedRecipients: z.array(Recipient).check(z.minLength(1)),
    timestamp: z.optional(z.string()),
  }),
});

export const SesEventBridgeEvent = z.object({
  source: z.literal('aws.ses'),
  'detail-type': z.enum(['Email Bounced', 'Email Complaint Received']),
  time: z.optional(z.string()),
  detail: z.discriminatedUnion('eventType', [SesBounce, SesComplaint]),
});
export type SesEventBridgeEvent = z.infer<typeof SesEventBridgeEvent>;
