import * as z from 'zod';

/** Configuration every function reads at start-up; a missing value fails fast with its name. */
export const Env = z
  .object({
    TABLE_NAME: z.string().min(1),
    BUCKET_NAME: z.string().min(1).optional(),
    SITE_ORIGIN: z.url(),
    /** Cloud: the Secrets Manager secret holding the signing key (read through the Parameters and Secrets extension). */
    SIGNING_SECRET_ARN: z.string().min(1).optional(),
    /** Local and tests only: the signing key itself (≥ 32 bytes, base64url). */
    SIGNING_KEY: z.string().min(43).optional(),
    MAIL_FROM: z.string().min(3).optional(),
    /** Local only: domain clock anchor "<domain ISO>|<real ISO>"; unset in the cloud (real clock). */
    DOMAIN_CLOCK: z.string().regex(/^[^|]+\|[^|]+$/).optional(),
    /** Days a capability link stays valid (security time). */
    LINK_TTL_DAYS: z.coerce.number().int().min(1).max(366).default(60),
  })
  .refine((e) => e.SIGNING_SECRET_ARN || e.SIGNING_KEY, { message: 'SIGNING_SECRET_ARN or SIGNING_KEY is required' });
export type Env = z.infer<typeof Env>;
