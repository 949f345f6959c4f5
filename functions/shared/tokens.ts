import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import * as z from 'zod';
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

const Claims = z.object({
  sub: z.string(),
  cmp: z.string(),
  role: Role,
  v: z.number().int(),
  typ: z.enum(['link', 'session']),
});

/** Session cookie lifetime: short, so a forwarded phone or shared computer does not stay signed in. */
export const SESSION_TTL_SECONDS = 2 * 3600;
export const SESSION_COOKIE = 'psy_session';

export interface TokenSigner {
  link(grant: Grant, ttlDays: number): Promise<string>;
  session(grant: Grant): Promise<string>;
  verify(token: string, typ: 'link' | 'session'): Promise<Grant>;
}

/** HS256 tokens over a secret key. Expiry is security time: always the real clock. */
export function tokenSigner(getKey: () => Promise<Uint8Array>): TokenSigner {
  const sign = async (g: Grant, typ: 'link' | 'session', ttlSeconds: number) =>
    new SignJWT({ cmp: g.campaignId, role: g.role, v: g.version, typ })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(g.orgId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(await getKey());
  return {
    link: (g, ttlDays) => sign(g, 'link', ttlDays * 86400),
    session: (g) => sign(g, 'session', SESSION_TTL_SECONDS),
    async verify(token, typ) {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, await getKey(), { algorithms: ['HS256'] }));
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired) throw typ === 'link' ? Errors.linkExpired() : Errors.sessionExpired();
        throw typ === 'link' ? Errors.linkInvalid() : Errors.noSession();
      }
      const c = Claims.safeParse(payload);
      if (!c.success || c.data.typ !== typ) throw typ === 'link' ? Errors.linkInvalid() : Errors.noSession();
      return { orgId: c.data.sub, campaignId: c.data.cmp, role: c.data.role, version: c.data.v };
    },
  };
}

/**
 * The signing key: locally the SIGNING_KEY variable; in the cloud the Secrets Manager secret, read once
 * per container through the AWS Parameters and Secrets Lambda Extension (no SDK client in the bundle).
 */
export function signingKeySource(env: { SIGNING_KEY?: string | undefined; SIGNING_SECRET_ARN?: string | undefined }) {
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
