/**
 * The local router (local/router.ts) over real HTTP: 503 "正在启动" until the handlers are loaded, then
 * the route table — and, like API Gateway's `$default` route, every other method or path to `web`.
 * DynamoDB is aws-sdk-client-mock (the 404 page looks up the contact).
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter } from '../../local/router.js';
import { campaign, SIGNING_KEY } from './samples.js';

const ENV: Record<string, string | undefined> = {
  TABLE_NAME: 'psy-table',
  BUCKET_NAME: 'psy-bucket',
  SITE_ORIGIN: 'http://127.0.0.1:3000',
  SIGNING_KEY,
  AWS_REGION: 'cn-northwest-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTESTEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-access-key',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
  AWS_ENDPOINT_URL_DYNAMODB: undefined,
  SIGNING_SECRET_ARN: undefined,
  DOMAIN_CLOCK: undefined,
  MAIL_FROM: 'noreply@psy.example.org',
  OUTBOX_QUEUE_URL: 'http://127.0.0.1:9/000000000000/outbox',
  AUDIT_TABLE: 'psy-audit',
  CONTACTS_TABLE: 'psy-contacts',
};
const saved: Record<string, string | undefined> = {};
const ddb = mockClient(DynamoDBClient);

let router: Awaited<ReturnType<typeof startRouter>>;
let base: string;

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  ddb.on(QueryCommand).resolves({ Items: [marshall({ pk: `CAMPAIGN#${campaign.id}`, sk: 'CAMPAIGN', ...campaign })] });
  router = await startRouter();
  await new Promise<void>((ok) => router.server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(router.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((ok) => router.server.close(ok));
  ddb.restore();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const get = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

describe('local router', () => {
  it('before the handlers are loaded: 503 with a Chinese page, or JSON under /api/, and Retry-After', async () => {
    for (const path of ['/', '/upload', '/l/abc', '/nope']) {
      const r = await get(path);
      expect(r.status, path).toBe(503);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('retry-after')).toBe('2');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.text).toContain('<html lang="zh-CN"');
      expect(r.text).toContain('正在启动，请稍候刷新');
      expect(r.text).not.toContain('not loaded');
    }
    const api = await get('/api/uploads', { method: 'POST', body: '{"document":"x"}', headers: { 'content-type': 'application/json' } });
    expect(api.status).toBe(503);
    expect(api.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(api.text)).toEqual({ error: { code: 'STARTING', message: '正在启动，请稍候刷新。' } });
  });

  it('once loaded: the route table, and every other method or path through the $default route to web', async () => {
    await router.load();
    const script = await get('/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('application/javascript; charset=utf-8');

    for (const [method, path] of [['GET', '/nope'], ['POST', '/upload'], ['GET', '/l/'], ['GET', '/l/a/b']] as const) {
      const r = await get(path, { method });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.text).toContain('页面不存在');
      expect(r.text).toContain(`联系人：${campaign.contact.name}`);
      expect(r.text).not.toContain('Not Found');
    }
    for (const [method, path] of [['GET', '/api/nope'], ['GET', '/api/uploads'], ['DELETE', '/api/status']] as const) {
      const r = await get(path, { method });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(JSON.parse(r.text).error.code).toBe('NOT_FOUND');
    }
  });
});
