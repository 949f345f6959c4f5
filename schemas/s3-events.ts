import * as z from 'zod/mini';

/** S3 events as AWS and the local emulator send them: the key of an incoming object, its time, the event. */

/**
 * S3 key of an incoming object: incoming/<campaign>/<org>/<document>/<uploadId>.<ext>. The suffix after
 * the upload id is kept as it came: a key that names an attempt but not its exact key (a POST to another
 * key is possible where no policy is enforced) is recorded as a rejection of that attempt.
 */
export const IncomingKey = z.pipe(
  z.string().check(z.regex(/^incoming\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+\/[0-9a-f]{32}(?:\..*)?$/s)),
  z.transform((key: string) => {
    const [, campaignId, orgId, document, last] = key.split('/') as [string, string, string, string, string];
    const uploadId = last.slice(0, 32);
    return { key, campaignId, orgId, document, uploadId, suffix: last.slice(32) };
  }),
);
export type IncomingRef = z.infer<typeof IncomingKey>;

/**
 * S3 key of an accepted version, as the validator writes it (functions/plans/rules.ts acceptedKey):
 * accepted/<campaign>/<org>/<document>/<uploadId>.<ext>. Only the validator writes there, so the key
 * must have exactly that form.
 */
export const AcceptedKey = z.pipe(
  z.string().check(z.regex(/^accepted\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+\/[0-9a-f]{32}\.[a-z0-9]{1,8}$/)),
  z.transform((key: string) => {
    const [, campaignId, orgId, document, last] = key.split('/') as [string, string, string, string, string];
    return { key, campaignId, orgId, document, uploadId: last.slice(0, 32), ext: last.slice(33) };
  }),
);
export type AcceptedRef = z.infer<typeof AcceptedKey>;

/**
 * An ISO-8601 instant in any form S3 or an emulator sends: extended or basic (2019-06-30T15:59:00.123Z,
 * 20190630T155900Z), any fraction, zone Z, ±hh:mm, ±hhmm or none (then UTC, as S3's clock is).
 */
export function parseInstant(s: string): Date | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac = '', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const offset = /^z$/i.test(zone) ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.replace(':', '').slice(3, 5) || 0));
  const t = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!, ms) - offset * 60_000;
  const check = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!));
  // No rollover: 2019-02-30 or 25:00 is not an instant.
  if (check.getUTCMonth() !== +mo! - 1 || check.getUTCDate() !== +d! || check.getUTCHours() !== +h! || +mi! > 59 || +se! > 60) return undefined;
  return new Date(t);
}

/**
 * S3 event keys are URL-encoded by AWS (a space as "+"); some emulators send them raw. Our keys only
 * use [a-z0-9-/.], which read the same either way; a key that is not valid percent-encoding can only
 * be raw, and is taken as it came (it then names no exact attempt key and is recorded as a rejection).
 */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/** The part of an S3 ObjectCreated notification the validator reads (cloud and s3rver alike). */
export const S3Event = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      /** When S3 received the object (real time), in any ISO-8601 form AWS or an emulator sends. */
      eventTime: z.optional(z.pipe(z.string(), z.transform((s, ctx) => parseInstant(s) ?? (ctx.issues.push({ code: 'custom', message: 'eventTime is not an ISO-8601 instant', input: s }), z.NEVER)))),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string(), size: z.optional(z.number()), versionId: z.optional(z.string()) }),
      }),
    }),
  ),
});
export type S3Event = z.infer<typeof S3Event>;

