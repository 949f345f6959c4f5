import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import type { OrgKind } from '../../schemas/orgs.js';
import { Errors } from './errors.js';

/** What a link or session lets its holder do: act for one org in one campaign, in the org's role. */
export const Role = z.enum(['school', 'district', 'city']);
export type Role = z.infer<typeof Role>;

export const roleOf = (kind: OrgKind): Role => (kind === 'school' ? 'school' : kind === 'district' ? 'district' : 'city');

export interface Grant {
  orgId: string;
  campaignId: string;
  role: Role;
  /** The org's token version when issued; bumping it on the org revokes every link and session. */
  version: number;
}

const Claims = /* @__PURE__ */ z.object({
  sub: z.string(),
  cmp: z.string(),
  role: Role,
  v: z.int(),
  typ: z.enum(['link', 'session']),
  exp: z.int(),
});

/** Session cookie lifetime: short, so a forwarded phone or shared computer does not stay signed in. */
export const SESSION_TTL_SECONDS = 2 * 3600;
export const SESSION_COOKIE = 'psy_session';

export interface TokenSigner {
  link(grant: Grant, ttlDays: number): Promise<string>;
  session(grant: Grant): Promise<string>;
  verify(token: string, typ: 'link' | 'session'): Promise<Grant>;
}

/** A person's own link and session for the parent-contact logs (a head teacher's class, a staff member): no campaign. */
export interface PersonTokens {
  personLink(grant: PersonGrant, ttlDays: number): Promise<string>;
  personSession(grant: PersonGrant): Promise<string>;
  verifyPerson(token: string, typ: 'plink' | 'psession'): Promise<PersonGrant>;
}

/**
 * What a person's link or session lets its holder do: act as one head teacher (`h.<classId>`) or one staff
 * member (`s.<staffId>`) of one school's roster. `version` is the roster entry's link version: a new head
 * teacher of the class bumps it, and every earlier link and session of the class stops working.
 * Its own token types (`plink`, `psession`) and cookie: an org's token is never a person's, nor the reverse.
 */
export interface PersonGrant {
  schoolId: string;
  person: string;
  version: number;
}
export const PERSON_COOKIE = 'psy_person';
const PersonClaims = /* @__PURE__ */ z.object({ sub: z.string(), per: z.string().check(z.regex(/^[hs]\.[cs][a-z2-7]{8}$/)), v: z.int(), typ: z.enum(['plink', 'psession']), exp: z.int() });

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');
/** One part of a compact JWT: unpadded base64url, nothing else (no '=', '+', '/', whitespace or other characters). */
const B64URL_PART = /^[A-Za-z0-9_-]+$/;
/** The only header we issue or accept: a token with any other (alg "none", RS256 …) is invalid. */
const HEADER = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Compact HS256 JWTs over a secret key (RFC 7519), on node:crypto: the whole format is a header we
 * fix, a JSON payload and an HMAC compared in constant time — a library (jose) costs 6 KB gzip in
 * every Lambda for algorithms we must refuse anyway. Expiry is security time: the real clock.
 * The two signers below (an org's, a person's) share it; each bundle takes only the one it uses.
 */
function jwt(getKey: () => Promise<Uint8Array>) {
  const mac = async (data: string) => createHmac('sha256', await getKey()).update(data).digest();
  return {
    async sign(claims: Record<string, unknown>, ttlSeconds: number) {
      const now = Math.floor(Date.now() / 1000);
      const body = `${HEADER}.${b64(JSON.stringify({ ...claims, iat: now, exp: now + ttlSeconds }))}`;
      return `${body}.${(await mac(body)).toString('base64url')}`;
    },
    /** The verified payload of a token of type `typ` (signature, header, shape, type and expiry checked). */
    async open<T extends { typ: string; exp: number }>(token: string, typ: string, schema: z.ZodMiniType<T>, linkLike: boolean): Promise<T> {
      const invalid = linkLike ? Errors.linkInvalid() : Errors.noSession();
      const parts = typeof token === 'string' ? token.split('.') : [];
      if (parts.length !== 3) throw invalid;
      const [header, body, signature] = parts as [string, string, string];
      if (header !== HEADER || !B64URL_PART.test(body) || !B64URL_PART.test(signature)) throw invalid;
      // Compare the signature as the exact string we would have written (canonical base64url), not
      // as decoded bytes: Node's decoder skips characters outside the alphabet, accepts '+', '/' and
      // '=' and ignores the unused low bits of the last character, so many strings decode the same.
      const expected = Buffer.from((await mac(`${header}.${body}`)).toString('base64url'), 'latin1');
      const given = Buffer.from(signature, 'latin1');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw invalid;
      }
      const c = schema.safeParse(payload);
      if (!c.success || c.data.typ !== typ) throw invalid;
      if (c.data.exp * 1000 <= Date.now()) throw linkLike ? Errors.linkExpired() : Errors.sessionExpired();
      return c.data;
    },
  };
}

/** An org's links and sessions (plans, reviews, the dashboard …). */
export function tokenSigner(getKey: () => Promise<Uint8Array>): TokenSigner {
  const t = jwt(getKey);
  const sign = (g: Grant, typ: 'link' | 'session', ttlSeconds: number) => t.sign({ sub: g.orgId, cmp: g.campaignId, role: g.role, v: g.version, typ }, ttlSeconds);
  return {
    link: (g, ttlDays) => sign(g, 'link', ttlDays * 86400),
    session: (g) => sign(g, 'session', SESSION_TTL_SECONDS),
    async verify(token, typ) {
      const c = await t.open(token, typ, Claims, typ === 'link');
      return { orgId: c.sub, campaignId: c.cmp, role: c.role, version: c.v };
    },
  };
}

/** A person's links and sessions (the parent-contact logs). */
export function personTokens(getKey: () => Promise<Uint8Array>): PersonTokens {
  const t = jwt(getKey);
  const sign = (g: PersonGrant, typ: 'plink' | 'psession', ttlSeconds: number) => t.sign({ sub: g.schoolId, per: g.person, v: g.version, typ }, ttlSeconds);
  return {
    personLink: (g, ttlDays) => sign(g, 'plink', ttlDays * 86400),
    personSession: (g) => sign(g, 'psession', SESSION_TTL_SECONDS),
    async verifyPerson(token, typ) {
      const c = await t.open(token, typ, PersonClaims, typ === 'plink');
      return { schoolId: c.sub, person: c.per, version: c.v };
    },
  };
}

/**
 * The signing key: locally the SIGNING_KEY variable; in the cloud the Secrets Manager secret, read once
 * per container through the AWS Parameters and Secrets Lambda Extension (no SDK client in the bundle).
 */
export function signingKeySource(env: { SIGNING_KEY?: string | undefined; SIGNING_SECRET_ARN?: string | undefined }) {
  // Checked at construction, i.e. at cold start of the functions that sign or verify tokens (only those
  // get the secret): a missing key fails fast with its name.
  if (!env.SIGNING_KEY && !env.SIGNING_SECRET_ARN) throw new Error('Invalid configuration: SIGNING_SECRET_ARN or SIGNING_KEY is required by this function');
  let key: Promise<Uint8Array> | undefined;
  return () =>
    (key ??= (async () => {
      if (env.SIGNING_KEY) return new TextEncoder().encode(env.SIGNING_KEY);
      const url = `http://localhost:${process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773}/secretsmanager/get?secretId=${encodeURIComponent(String(env.SIGNING_SECRET_ARN))}`;
      const sessionToken = process.env.AWS_SESSION_TOKEN;
      if (!sessionToken) throw new Error('signing key: AWS_SESSION_TOKEN is not set (not running in Lambda?)');
      const res = await fetch(url, { headers: { 'X-Aws-Parameters-Secrets-Token': sessionToken } });
      if (!res.ok) throw new Error(`signing key: extension answered ${res.status}`);
      const body = (await res.json()) as { SecretString?: string };
      if (!body.SecretString || body.SecretString.length < 32) throw new Error('signing key: secret is empty or too short');
      return new TextEncoder().encode(body.SecretString);
    })().catch((e) => {
      key = undefined;
      throw e;
    }));
}
