/**
 * Shared helpers of the integration tests: the operator (local/admin.ts) and direct readers of the
 * emulators' state, real HTTP with the session cookie carried by hand, the real pre-signed POST,
 * and the bytes of the files we upload.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { expect, inject } from 'vitest';
import { admin } from '../../local/admin.js';
import { ddbClient, queryAll } from '../../functions/shared/clients/dynamodb.js';
import { s3Client } from '../../functions/shared/clients/s3.js';
import { readEnv } from '../../functions/shared/env.js';
import { signingKeySource } from '../../functions/shared/tokens.js';

export const CAMPAIGN = '2019-plans';
export const SESSION_COOKIE = 'psy_session';
export const HAN = /[\u4e00-\u9fff]/;

/** Points this process's AWS SDK at the emulators; call at module top level, before using the others. */
export function useRuntime() {
  const env = inject('runtimeEnv');
  Object.assign(process.env, env);
  const e = readEnv(process.env);
  return {
    env,
    baseUrl: inject('baseUrl'),
    sesUrl: inject('sesUrl'),
    ops: admin(e, signingKeySource(e)),
    ddb: ddbClient(),
    s3: s3Client(),
    table: env.TABLE_NAME as string,
    bucket: env.BUCKET_NAME as string,
  };
}
export type Rt = ReturnType<typeof useRuntime>;

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  cookie?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export async function call(rt: Rt, path: string, c: Call = {}) {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.cookie) headers.cookie = c.cookie;
  let body: string | undefined = c.body;
  if (c.json !== undefined) {
    body = JSON.stringify(c.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${rt.baseUrl}${path}`, { method: c.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
  const text = await res.text();
  return { res, status: res.status, text, headers: res.headers, json: () => JSON.parse(text) as Record<string, any> };
}

/** Opens a capability link (full URL or path) without following the redirect; returns the cookie pair. */
export async function openLink(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  const text = await res.text();
  const setCookie = res.headers.getSetCookie();
  const session = setCookie.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return { res, status: res.status, text, headers: res.headers, setCookie: session, cookie: session?.split(';')[0] };
}

/** Issues a link as the operator and exchanges it for a session cookie ("psy_session=…"). */
export async function sessionFor(rt: Rt, orgId: string, campaignId = CAMPAIGN) {
  const { url } = await rt.ops.issueLink(orgId, campaignId);
  const opened = await openLink(url);
  expect(opened.status, `opening the link of ${orgId}`).toBe(302);
  expect(opened.cookie).toBeDefined();
  return { cookie: opened.cookie as string, link: url };
}

export const sessionToken = (cookie: string) => cookie.slice(`${SESSION_COOKIE}=`.length);

/** Asserts a JSON error: status, code and a Chinese message. */
export function expectJsonError(r: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const body = r.json();
  expect(body.error?.code, r.text).toBe(code);
  expect(body.error?.message).toMatch(HAN);
  expect(r.text).not.toMatch(/\bat .+:\d+:\d+|stack|Error:/);
}

/** Asserts an HTML error page in Chinese. */
export function expectHtmlError(r: { status: number; text: string; headers: Headers }, status: number, contains?: string) {
  expect(r.status, r.text.slice(0, 400)).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^text\/html/);
  expect(r.text).toMatch(/<html lang="zh-CN"/);
  expect(r.text).not.toContain('错误代码'); // the status is in the HTTP status; the page says whom to call instead
  if (contains) expect(r.text).toContain(contains);
  expect(r.text).not.toMatch(/\bat .+:\d+:\d+/);
}

// ---------------------------------------------------------------------------------------------
// Tokens (signed here as functions/shared/tokens.ts issues them — compact HS256 JWTs over
// SIGNING_KEY's UTF-8 bytes — to make expired or odd ones; jose is no longer a dependency, so node:crypto)

export async function signToken(
  rt: Rt,
  claims: { sub: string; cmp: string; role: string; v: unknown; typ: string },
  expSecondsFromNow: number,
) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64u(JSON.stringify({ ...claims, iat: now + Math.min(0, expSecondsFromNow) - 3600, exp: now + expSecondsFromNow }));
  const sig = createHmac('sha256', new TextEncoder().encode(rt.env.SIGNING_KEY)).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const b64u = (s: string) => Buffer.from(s).toString('base64url');
const unb64u = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

/** Changes one character in the middle of a token part (never the last one: its low bits may be padding). */
export function flipChar(token: string, part: 0 | 1 | 2) {
  const parts = token.split('.');
  const p = parts[part] as string;
  const i = Math.floor(p.length / 2);
  parts[part] = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
  return parts.join('.');
}

/** Rewrites the payload (e.g. another org's id) and keeps the original signature. */
export function forgePayload(token: string, change: Record<string, unknown>) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = { ...JSON.parse(unb64u(p)), ...change };
  return `${h}.${b64u(JSON.stringify(payload))}.${s}`;
}

export function unsignedToken(token: string) {
  const [, p] = token.split('.') as [string, string, string];
  return `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.`;
}

// ---------------------------------------------------------------------------------------------
// Uploads

export interface Presigned {
  url: string;
  fields: Record<string, string>;
  uploadId: string;
  document: string;
  expiresAt: string;
}

export async function requestUpload(rt: Rt, cookie: string, body: { document: string; fileName: string; size: number }) {
  const r = await call(rt, '/api/uploads', { cookie, json: body });
  expect(r.status, r.text).toBe(201);
  return r.json() as unknown as Presigned;
}

/** The browser's multipart POST to S3: every policy field, then the file last. */
export async function postToS3(p: Presigned, bytes: Uint8Array, fileName: string) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(p.fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(bytes)], { type: p.fields['Content-Type'] ?? 'application/octet-stream' }), fileName);
  const res = await fetch(p.url, { method: 'POST', body: fd });
  return { status: res.status, text: await res.text() };
}

/** The stored upload attempts of one org in a campaign (a Query on the campaign's item collection; keys hold no route). */
export async function uploadItems(rt: Rt, campaignId: string, orgId: string) {
  return queryAll<Record<string, any>>(rt.ddb, {
    TableName: rt.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
    ExpressionAttributeValues: { ':pk': `CAMPAIGN#${campaignId}`, ':p': `UPLOAD#${orgId}#` },
    ConsistentRead: true,
  });
}

/** One stored item by its exact key (GetItem, consistent). */
async function itemAt(rt: Rt, pk: string, sk: string) {
  const r = await rt.ddb.send(new GetItemCommand({ TableName: rt.table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
  return r.Item ? (unmarshall(r.Item) as Record<string, any>) : undefined;
}

export const uploadItem = (rt: Rt, campaignId: string, orgId: string, document: string, uploadId: string) =>
  itemAt(rt, `CAMPAIGN#${campaignId}`, `UPLOAD#${orgId}#${document}#${uploadId}`);

/** The org's status item in a campaign (what the validator folds). */
export const summaryItem = (rt: Rt, campaignId: string, orgId: string) => itemAt(rt, `CAMPAIGN#${campaignId}`, `STATUS#${orgId}`);

/**
 * Waits (bounded) until the validator has finished with an upload — its outcome recorded and, when
 * accepted, the version numbered (folded into the status item) — and returns the stored item.
 */
export async function waitValidated(rt: Rt, campaignId: string, orgId: string, document: string, uploadId: string, timeoutMs = 10_000) {
  // A call in the old form (…, routeKey, orgId, …) would poll a key that cannot exist: say so at once.
  if (typeof timeoutMs !== 'number') throw new Error('waitValidated(rt, campaignId, orgId, document, uploadId): attempt keys no longer hold the route key');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const item = await uploadItem(rt, campaignId, orgId, document, uploadId);
    if (item && item.state === 'rejected') return item;
    if (item && item.state === 'accepted' && item.version !== undefined) return item;
    if (Date.now() > until) throw new Error(`upload ${uploadId} of ${orgId}/${document} still ${item?.state ?? 'absent'} after ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** The pre-check result of one accepted version (functions/precheck/), or undefined while there is none. */
export const precheckItem = (rt: Rt, campaignId: string, orgId: string, document: string, uploadId: string) =>
  itemAt(rt, `CAMPAIGN#${campaignId}`, `PRECHECK#${orgId}#${document}#${uploadId}`);

/**
 * Waits (bounded) until the pre-check of an accepted version is stored — it runs on the accepted/ object
 * the validator writes, so it may land after waitValidated returns — and returns the stored item.
 */
export async function waitPrecheck(rt: Rt, campaignId: string, orgId: string, document: string, uploadId: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const item = await precheckItem(rt, campaignId, orgId, document, uploadId);
    if (item) return item;
    if (Date.now() > until) throw new Error(`no pre-check of ${orgId}/${document}/${uploadId} after ${timeoutMs} ms`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** Polls GET /api/plans (bounded) until no document of the org is pending. */
export async function waitPlansSettled(rt: Rt, cookie: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(rt, '/api/plans', { cookie });
    expect(r.status, r.text).toBe(200);
    const body = r.json();
    const docs = body.rows[0].documents as Record<string, any>[];
    if (docs.every((d) => !d.pending)) return body;
    if (Date.now() > until) throw new Error(`GET /api/plans still pending after ${timeoutMs} ms: ${r.text}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** Every object of the bucket (or under a prefix), with what would change if it were rewritten. */
export async function listObjects(rt: Rt, prefix = '', s3: S3Client = rt.s3) {
  const out: { key: string; size: number; etag: string; modified: string }[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: rt.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push({ key: o.Key ?? '', size: o.Size ?? -1, etag: o.ETag ?? '', modified: o.LastModified?.toISOString() ?? '' });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Imports test orgs (no contacts, so invitations never go to them); throws on a bad file. */
export async function importOrgs(rt: Rt, rows: string[]) {
  const csv = ['id,name,kind,district,direct_kind,contact_name,contact_email,contact_phone', ...rows].join('\n');
  const r = await rt.ops.importOrgs(csv);
  if (!r.ok) throw new Error(`test orgs rejected: ${JSON.stringify(r.errors)}`);
}

/** The seeded campaign as its seed file states it (what the pages must show). */
export function seedCampaign() {
  return JSON.parse(readFileSync(resolve(import.meta.dirname, '../../local/seed/campaign-2019.json'), 'utf8').replace(/^\uFEFF/, '')) as {
    id: string;
    title: string;
    noticeNo: string;
    deadline: string;
    documents: { kind: string; title: string }[];
    receiverId: string;
    contact: { name: string; phone: string };
  };
}

/** A Lambda context for calling a handler in-process (middy reads the remaining time). */
export const lambdaContext = (): Context =>
  ({
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    memoryLimitInMB: '1024',
    awsRequestId: 'test-request',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;
