import * as z from 'zod/mini';

const nonEmpty = z.string().check(z.minLength(1));

/** Configuration every function reads at start-up; a missing value fails fast with its name. */
export const Env = z.object({
  TABLE_NAME: nonEmpty,
  BUCKET_NAME: z.optional(nonEmpty),
  SITE_ORIGIN: z.url(),
  /** Cloud: the Secrets Manager secret holding the signing key (read through the Parameters and Secrets extension). */
  SIGNING_SECRET_ARN: z.optional(nonEmpty),
  /** Local and tests only: the signing key itself (≥ 32 bytes, base64url). */
  SIGNING_KEY: z.optional(z.string().check(z.minLength(43))),
  MAIL_FROM: z.optional(z.string().check(z.minLength(3))),
  /** SES configuration set every send names (bounce and complaint events are routed from it). */
  MAIL_CONFIGURATION_SET: z.optional(nonEmpty),
  /** The outbox queue (SQS) the sweep, the invitations and the SES-event handler put mail jobs on. */
  OUTBOX_QUEUE_URL: z.optional(z.url()),
  /** CLI only: the outbox's dead-letter queue (`npm run cli -- outbox` shows and redrives it). */
  OUTBOX_DLQ_URL: z.optional(z.url()),
  /** The mailer's share of the SES sending rate (mails per second per concurrent mailer); see README. */
  MAIL_RATE_PER_SECOND: z._default(z.coerce.number().check(z.positive(), z.maximum(500)), 1),
  /** Local only: domain clock anchor "<domain ISO>|<real ISO>"; unset in the cloud (real clock). */
  DOMAIN_CLOCK: z.optional(z.string().check(z.regex(/^[^|]+\|[^|]+$/))),
  /** Days a capability link stays valid (security time). */
  LINK_TTL_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(366)), 60),
  /** The audit trail's own table (append-only; functions granted `audit` and the CLI). */
  AUDIT_TABLE: z.optional(nonEmpty),
  /** The contact-log table (its own KMS key; functions granted `contactLogs` only). */
  CONTACTS_TABLE: z.optional(nonEmpty),
  /** Days a parent-contact log's content is kept (TTL in the cloud, filtered on read everywhere). */
  CONTACT_RETENTION_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(30), z.maximum(3650)), 1095),
});
export type Env = z.infer<typeof Env>;
