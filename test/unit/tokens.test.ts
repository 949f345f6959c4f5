import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../functions/shared/errors.js';
import { type Grant, SESSION_TTL_SECONDS, signingKeySource, tokenSigner } from '../../functions/shared/tokens.js';
import { keyBytes, SIGNING_KEY } from './samples.js';

const grant: Grant = { orgId: 'dh-school-1', campaignId: '2019-plans', role: 'school', version: 3 };
const signer = tokenSigner(async () => keyBytes());

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const parts = (t: string) => t.split('.') as [string, string, string];
const payloadOf = (t: string) => JSON.parse(Buffer.from(parts(t)[1], 'base64url').toString('utf8')) as Record<string, unknown>;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token signed by hand: the header the signer itself issues (unless given), any claims, HMAC-SHA256/512 with any key. */
async function handSigned(
  claims: Record<string, unknown>,
  opts: { header?: string; alg?: 'sha256' | 'sha512'; key?: Uint8Array } = {},
) {
  const header = opts.header ?? parts(await signer.link(grant, 1))[0];
  const body = `${header}.${b64(claims)}`;
  return `${body}.${createHmac(opts.alg ?? 'sha256', opts.key ?? keyBytes()).update(body).digest('base64url')}`;
}

async function rejectsWith(p: Promise<unknown>, code: string, status = 401) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect(e).toMatchObject({ code, status });
  expect((e as AppError).message).toMatch(/[\u4e00-\u9fff]/);
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

describe('tokenSigner', () => {
  it('round-trips a link and a session to the same grant', async () => {
    expect(await signer.verify(await signer.link(grant, 60), 'link')).toEqual(grant);
    expect(await signer.verify(await signer.session(grant), 'session')).toEqual(grant);
    const district: Grant = { orgId: 'dh', campaignId: '2019-plans', role: 'district', version: 1 };
    expect(await signer.verify(await signer.link(district, 1), 'link')).toEqual(district);
  });

  it('signs HS256 with the claims sub/cmp/role/v/typ and the expiry from the real clock', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T00:00:00.000Z'));
    const t0 = Date.parse('2026-03-01T00:00:00.000Z') / 1000;
    const link = await signer.link(grant, 60);
    expect(JSON.parse(Buffer.from(parts(link)[0], 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    expect(payloadOf(link)).toEqual({ sub: 'dh-school-1', cmp: '2019-plans', role: 'school', v: 3, typ: 'link', iat: t0, exp: t0 + 60 * 86400 });
    expect(payloadOf(await signer.session(grant))).toMatchObject({ typ: 'session', exp: t0 + SESSION_TTL_SECONDS });
  });

  it('a link is valid until its expiry and LINK_EXPIRED after (real clock moved)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.parse('2026-03-01T00:00:00.000Z');
    vi.setSystemTime(t0);
    const link = await signer.link(grant, 1);
    vi.setSystemTime(t0 + 86_400_000 - 1000);
    expect(await signer.verify(link, 'link')).toEqual(grant);
    vi.setSystemTime(t0 + 86_400_000 + 1000);
    await rejectsWith(signer.verify(link, 'link'), 'LINK_EXPIRED');
  });

  it('a session lasts two hours, then SESSION_EXPIRED', async () => {
    expect(SESSION_TTL_SECONDS).toBe(7200);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.parse('2026-03-01T08:00:00.000Z');
    vi.setSystemTime(t0);
    const session = await signer.session(grant);
    vi.setSystemTime(t0 + 7199_000);
    expect(await signer.verify(session, 'session')).toEqual(grant);
    vi.setSystemTime(t0 + 7201_000);
    await rejectsWith(signer.verify(session, 'session'), 'SESSION_EXPIRED');
  });

  it('rejects a tampered payload (signature kept) as LINK_INVALID', async () => {
    const [h, , s] = parts(await signer.link(grant, 60));
    const forged = `${h}.${b64({ ...payloadOf(await signer.link(grant, 60)), sub: 'dh', role: 'district' })}.${s}`;
    await rejectsWith(signer.verify(forged, 'link'), 'LINK_INVALID');
    const forgedVersion = `${h}.${b64({ ...payloadOf(await signer.link(grant, 60)), v: 99 })}.${s}`;
    await rejectsWith(signer.verify(forgedVersion, 'link'), 'LINK_INVALID');
  });

  it('rejects a tampered signature as LINK_INVALID (and a tampered session as NO_SESSION)', async () => {
    const flip = (t: string) => {
      const [h, p, s] = parts(t);
      const c = s[5] === 'A' ? 'B' : 'A';
      return `${h}.${p}.${s.slice(0, 5)}${c}${s.slice(6)}`;
    };
    await rejectsWith(signer.verify(flip(await signer.link(grant, 60)), 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify(flip(await signer.session(grant)), 'session'), 'NO_SESSION');
    await rejectsWith(signer.verify('not-a-token', 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify('', 'session'), 'NO_SESSION');
  });

  it('does not accept a session token as a link, nor a link as a session', async () => {
    await rejectsWith(signer.verify(await signer.session(grant), 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify(await signer.link(grant, 60), 'session'), 'NO_SESSION');
  });

  it('rejects a token signed with another key', async () => {
    const other = tokenSigner(async () => new TextEncoder().encode('another-key-of-enough-length-0123456789abcdefgh'));
    await rejectsWith(signer.verify(await other.link(grant, 60), 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify(await other.session(grant), 'session'), 'NO_SESSION');
  });

  it('rejects alg "none" (unsigned) and any algorithm other than HS256', async () => {
    const claims = { sub: 'dh-school-1', cmp: '2019-plans', role: 'city', v: 3, typ: 'link', exp: nowSeconds() + 3600 };
    // control: the same claims, hand-signed the way the signer signs, are accepted
    expect(await signer.verify(await handSigned(claims), 'link')).toEqual({ ...grant, role: 'city' });
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    await rejectsWith(signer.verify(none, 'link'), 'LINK_INVALID');
    const noneNoTyp = `${b64({ alg: 'none' })}.${b64(claims)}.`;
    await rejectsWith(signer.verify(noneNoTyp, 'link'), 'LINK_INVALID');
    const realHeaderNoSig = `${parts(await signer.link(grant, 1))[0]}.${b64(claims)}.`;
    await rejectsWith(signer.verify(realHeaderNoSig, 'link'), 'LINK_INVALID');
    const hs512 = await handSigned(claims, { header: b64({ alg: 'HS512', typ: 'JWT' }), alg: 'sha512' });
    await rejectsWith(signer.verify(hs512, 'link'), 'LINK_INVALID');
    const rs256Header = await handSigned(claims, { header: b64({ alg: 'RS256', typ: 'JWT' }) });
    await rejectsWith(signer.verify(rs256Header, 'link'), 'LINK_INVALID');
  });

  it('rejects a validly signed token with missing or wrong claims', async () => {
    const exp = nowSeconds() + 3600;
    const good = { sub: 'x-school', cmp: 'c-1', role: 'school', v: 1, typ: 'link', exp };
    expect(await signer.verify(await handSigned(good), 'link')).toEqual({ orgId: 'x-school', campaignId: 'c-1', role: 'school', version: 1 });
    const { v: _v, ...noV } = good;
    const { sub: _s, ...noSub } = good;
    await rejectsWith(signer.verify(await handSigned(noV), 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify(await handSigned(noSub), 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify(await handSigned({ ...good, role: 'admin' }), 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify(await handSigned({ ...good, v: '1' }), 'link'), 'LINK_INVALID');
    await rejectsWith(signer.verify(await handSigned({ ...good, typ: 'admin' }), 'link'), 'LINK_INVALID');
    const { exp: _e, ...noExp } = good;
    await rejectsWith(signer.verify(await handSigned(noExp), 'link'), 'LINK_INVALID'); // a token must expire
    await rejectsWith(signer.verify(await handSigned({ ...good, exp: nowSeconds() - 1 }), 'link'), 'LINK_EXPIRED');
  });
});

describe('tokenSigner against jose (an independent HS256 implementation)', () => {
  const claims = { sub: 'dh-school-1', cmp: '2019-plans', role: 'school', v: 3, typ: 'link' };
  const joseLink = (c: Record<string, unknown> = claims, ttl = '1h') =>
    new SignJWT(c).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime(ttl).sign(keyBytes());

  it('accepts a token signed by jose, and jose verifies ours', async () => {
    expect(await signer.verify(await joseLink(), 'link')).toEqual(grant);
    const { payload, protectedHeader } = await jwtVerify(await signer.link(grant, 60), keyBytes(), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ ...claims, exp: expect.any(Number), iat: expect.any(Number) });
  });

  /** jose-signed links whose signature contains each of "-" and "_" (base64url's own characters). */
  async function linksWithUrlAlphabet() {
    const found: Record<'-' | '_', string | undefined> = { '-': undefined, _: undefined };
    for (let i = 0; i < 200 && (!found['-'] || !found._); i += 1) {
      const t = await joseLink({ ...claims, cmp: `c-${i}` });
      const sig = parts(t)[2];
      for (const ch of ['-', '_'] as const) if (!found[ch] && sig.includes(ch)) found[ch] = t;
    }
    expect(found['-'] && found._).toBeTruthy();
    return found as Record<'-' | '_', string>;
  }

  it('refuses a signature that only decodes to the right bytes: extra characters, padding, the +/ alphabet, whitespace, unused bits', async () => {
    const token = await joseLink();
    const [h, p, s] = parts(token);
    expect(s).toHaveLength(43); // 32 bytes, unpadded: the last character carries 2 unused bits
    expect(await signer.verify(token, 'link')).toEqual(grant); // control

    const last = s.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBits = [1, 2, 3].map((x) => alphabet[alphabet.indexOf(last) ^ x] as string);
    const { '-': withDash, _: withUnderscore } = await linksWithUrlAlphabet();
    const swap = (t: string, from: string, to: string) => {
      const [th, tp, ts] = parts(t);
      return `${th}.${tp}.${ts.replaceAll(from, to)}`;
    };

    const tampered: Record<string, string> = {
      'trailing ~': `${token}~`,
      'a ~ inside': `${h}.${p}.${s.slice(0, 10)}~${s.slice(10)}`,
      'trailing !': `${token}!`,
      'padding =': `${token}=`,
      'padding ==': `${token}==`,
      'trailing space': `${token} `,
      'trailing newline': `${token}\n`,
      'trailing tab': `${token}\t`,
      'a space inside': `${h}.${p}.${s.slice(0, 20)} ${s.slice(20)}`,
      'leading space in the signature': `${h}.${p}. ${s}`,
      '+ for -': swap(withDash, '-', '+'),
      '/ for _': swap(withUnderscore, '_', '/'),
      'last character, other unused bits (1)': `${h}.${p}.${s.slice(0, -1)}${sameBits[0]}`,
      'last character, other unused bits (2)': `${h}.${p}.${s.slice(0, -1)}${sameBits[1]}`,
      'last character, other unused bits (3)': `${h}.${p}.${s.slice(0, -1)}${sameBits[2]}`,
      'payload with a trailing ~': `${h}.${p}~.${s}`,
      'payload with padding': `${h}.${p}=.${s}`,
      'header with padding': `${h}=.${p}.${s}`,
      'a fourth part': `${token}.`,
    };
    // Each decodes (leniently) to the very bytes of the real signature: only the exact string tells them apart.
    for (const name of ['trailing ~', 'padding =', 'trailing space', 'last character, other unused bits (1)']) {
      expect(Buffer.from(parts(tampered[name] as string)[2], 'base64url').equals(Buffer.from(s, 'base64url')), name).toBe(true);
    }
    for (const [name, t] of Object.entries(tampered)) {
      await rejectsWith(signer.verify(t, 'link'), 'LINK_INVALID').catch((e: unknown) => {
        throw new Error(`${name}: ${(e as Error).message}`);
      });
    }
    // The untampered tokens with - and _ are fine.
    expect(await signer.verify(withDash, 'link')).toMatchObject({ orgId: 'dh-school-1' });
    expect(await signer.verify(withUnderscore, 'link')).toMatchObject({ orgId: 'dh-school-1' });
    // Sessions: the same check (NO_SESSION).
    const session = await signer.session(grant);
    await rejectsWith(signer.verify(`${session}~`, 'session'), 'NO_SESSION');
    await rejectsWith(signer.verify(`${session}=`, 'session'), 'NO_SESSION');
  });

  it('refuses a jose token with another header (alg none, HS512, no typ) even with a right signature for it', async () => {
    const { typ: _t, ...rest } = claims;
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).setExpirationTime('1h').sign(keyBytes());
    await rejectsWith(signer.verify(hs512, 'link'), 'LINK_INVALID');
    const noTyp = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(keyBytes());
    await rejectsWith(signer.verify(noTyp, 'link'), 'LINK_INVALID');
    // A jose token without the typ claim: signed right, but not a link.
    await rejectsWith(signer.verify(await joseLink(rest), 'link'), 'LINK_INVALID');
  });
});

describe('signingKeySource', () => {
  const ARN = 'arn:aws-cn:secretsmanager:cn-northwest-1:123456789012:secret:psy-signing-AbCdEf';
  const SECRET = 'secret-from-secrets-manager-0123456789abcdefghijkl';
  const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

  it('uses SIGNING_KEY as the key bytes, without any network call', async () => {
    const fetchMock = vi.fn(async () => ok({ SecretString: 'x'.repeat(40) }));
    vi.stubGlobal('fetch', fetchMock);
    const get = signingKeySource({ SIGNING_KEY });
    expect(new TextDecoder().decode(await get())).toBe(SIGNING_KEY);
    expect(await get()).toEqual(keyBytes());
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('reads SIGNING_SECRET_ARN through the Parameters and Secrets extension, with the session token header, once', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'session-token-of-the-function');
    vi.stubEnv('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', undefined);
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => ok({ ARN, Name: 'psy-signing', SecretString: SECRET }));
    vi.stubGlobal('fetch', fetchMock);
    const get = signingKeySource({ SIGNING_SECRET_ARN: ARN });
    expect(new TextDecoder().decode(await get())).toBe(SECRET);
    expect(new TextDecoder().decode(await get())).toBe(SECRET);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls[0]).toEqual([
      'http://localhost:2773/secretsmanager/get?secretId=arn%3Aaws-cn%3Asecretsmanager%3Acn-northwest-1%3A123456789012%3Asecret%3Apsy-signing-AbCdEf',
      { headers: { 'X-Aws-Parameters-Secrets-Token': 'session-token-of-the-function' } },
    ]);
  });

  it('uses the extension port from PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'tok');
    vi.stubEnv('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', '2999');
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => ok({ SecretString: SECRET }));
    vi.stubGlobal('fetch', fetchMock);
    await signingKeySource({ SIGNING_SECRET_ARN: 'psy-signing' })();
    expect(fetchMock.mock.calls[0]?.[0]).toBe('http://localhost:2999/secretsmanager/get?secretId=psy-signing');
  });

  it('does not cache a failure: the next call asks the extension again', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'tok');
    const fetchMock = vi
      .fn(async (_url: string, _init?: RequestInit) => ok({ SecretString: SECRET }))
      .mockResolvedValueOnce(new Response('not ready', { status: 500 }))
      .mockRejectedValueOnce(new TypeError('fetch failed'));
    vi.stubGlobal('fetch', fetchMock);
    const get = signingKeySource({ SIGNING_SECRET_ARN: ARN });
    await expect(get()).rejects.toThrow('signing key: extension answered 500');
    await expect(get()).rejects.toThrow('fetch failed');
    expect(new TextDecoder().decode(await get())).toBe(SECRET);
    expect(new TextDecoder().decode(await get())).toBe(SECRET);
    expect(fetchMock).toHaveBeenCalledTimes(3);
  });

  it('refuses an empty or short secret, and a missing session token (no fetch)', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'tok');
    vi.stubGlobal('fetch', vi.fn(async () => ok({ SecretString: 'short' })));
    await expect(signingKeySource({ SIGNING_SECRET_ARN: ARN })()).rejects.toThrow('signing key: secret is empty or too short');
    vi.stubGlobal('fetch', vi.fn(async () => ok({})));
    await expect(signingKeySource({ SIGNING_SECRET_ARN: ARN })()).rejects.toThrow('signing key: secret is empty or too short');
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    const fetchMock = vi.fn(async () => ok({ SecretString: SECRET }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(signingKeySource({ SIGNING_SECRET_ARN: ARN })()).rejects.toThrow('AWS_SESSION_TOKEN is not set');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('a signer over the extension key verifies its own tokens and refuses ones signed with SIGNING_KEY', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'tok');
    vi.stubGlobal('fetch', vi.fn(async () => ok({ SecretString: SECRET })));
    const cloud = tokenSigner(signingKeySource({ SIGNING_SECRET_ARN: ARN }));
    expect(await cloud.verify(await cloud.link(grant, 60), 'link')).toEqual(grant);
    await rejectsWith(cloud.verify(await signer.link(grant, 60), 'link'), 'LINK_INVALID');
  });
});
