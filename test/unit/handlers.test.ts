/**
 * The Lambda handlers over aws-sdk-client-mock: exact command inputs (keys, conditions), and the
 * HTTP contract — every bad input a 4xx with a code and a Chinese message, nothing written.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FALLBACK } from '../../functions/shared/http.js';
import { type Grant, tokenSigner } from '../../functions/shared/tokens.js';
import type { Campaign } from '../../schemas/campaigns.js';
import { type Org, routeKeyOf } from '../../schemas/orgs.js';
import type { OrgSummary, Upload } from '../../schemas/plans.js';
import { elfExecutable, minimalPdf } from '../fixtures/files.js';
import { campaign, keyBytes, orgs, SIGNING_KEY, summariesOf, upload, UPLOAD_ID } from './samples.js';

const TABLE = 'psy-table';
const AUDIT_TABLE = 'psy-audit';
const BUCKET = 'psy-bucket';
const SITE = 'https://psy.example.cn';
const NOW = '2019-06-20T02:00:00.000Z';
const MiB20 = 20 * 1024 * 1024;
/** Attempt and status keys as the data model names them (written out here, not taken from the store). */
const DOC_SK = (orgId: string, doc: string, id: string) => `UPLOAD#${orgId}#${doc}#${id}`;
const STATUS_SK = (orgId: string) => `STATUS#${orgId}`;
const PK = 'CAMPAIGN#2019-plans';
/** The sender the deployment configures: a Chinese display name (15 characters, 45 bytes: one RFC 2047 word). */
const SENDER_NAME = '南昌市未成年人心理健康辅导中心';
const MAIL_FROM = `${SENDER_NAME} <noreply@psy.example.cn>`;

const ENV: Record<string, string | undefined> = {
  TABLE_NAME: TABLE,
  AUDIT_TABLE,
  BUCKET_NAME: BUCKET,
  SITE_ORIGIN: SITE,
  SIGNING_KEY,
  AWS_REGION: 'cn-northwest-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTESTEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-access-key',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
  AWS_ENDPOINT_URL_DYNAMODB: undefined,
  AWS_ENDPOINT_URL_SESV2: undefined,
  SIGNING_SECRET_ARN: undefined,
  DOMAIN_CLOCK: undefined,
  // The validator sends receipts when MAIL_FROM is set (SES v2, mocked below).
  MAIL_FROM,
  LINK_TTL_DAYS: undefined,
};

const ddb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const ses = mockClient(SESv2Client);

type HttpHandler = (e: APIGatewayProxyEventV2) => Promise<{ statusCode?: number; headers: Record<string, string>; body?: string; cookies?: string[] }>;
type LambdaHandler = (e: APIGatewayProxyEventV2, c: Context) => ReturnType<HttpHandler>;

/** A Lambda context as the runtime passes it (middy reads getRemainingTimeInMillis to time out early). */
const lambdaContext = (remainingMs = 10_000): Context => {
  const deadline = performance.now() + remainingMs;
  return {
    functionName: 'unit',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:cn-northwest-1:123456789012:function:unit',
    memoryLimitInMB: '512',
    awsRequestId: 'aws-req-1',
    logGroupName: '/aws/lambda/unit',
    logStreamName: 'unit',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - performance.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};
const withContext = (h: LambdaHandler): HttpHandler => (e) => h(e, lambdaContext());
let rawHandlers: { createUpload: LambdaHandler; status: LambdaHandler; web: LambdaHandler; files: LambdaHandler };
let createUploadHandler: HttpHandler;
let statusHandler: HttpHandler;
let webHandler: HttpHandler;
let validateHandler: (e: unknown) => Promise<unknown>;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  // The handlers parse the environment and build their clients at module init.
  rawHandlers = {
    createUpload: (await import('../../functions/plans/create-upload.js')).handler,
    status: (await import('../../functions/plans/status.js')).handler,
    web: (await import('../../functions/plans/web.js')).handler,
    files: (await import('../../functions/plans/files.js')).handler,
  };
  createUploadHandler = withContext(rawHandlers.createUpload);
  statusHandler = withContext(rawHandlers.status);
  webHandler = withContext(rawHandlers.web);
  const validate = (await import('../../functions/plans/validate-upload.js')).handler;
  validateHandler = (e) => validate(e, lambdaContext());
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

// ------------------------------------------------------------------ a tiny table behind the DynamoDB mock
// Plain items here; what goes over the wire is marshalled (expected inputs are written as marshall(plain)).
// Reads answer by key: GetItem and BatchGetItem by pk|sk, Query by its key condition (base table or gsi1),
// in sort-key order and in pages of `pageSize` (AWS pages at 1 MB: small pages show every loop reads on).
// Writes are applied with their condition (only the expression forms the stores send; anything else
// throws, so a changed expression fails the test instead of passing unnoticed).

let table: Map<string, Record<string, unknown>>;
let pageSize: number;
const tkey = (k: Record<string, unknown>) => `${String(k.pk)}|${String(k.sk)}`;
const orgItem = (o: Org) => ({ pk: `ORG#${o.id}`, sk: 'ORG', gsi1pk: 'ORGS', gsi1sk: `${routeKeyOf(o)}#${o.id}`, ...o });
const campaignItem = (c: Campaign) => ({ pk: `CAMPAIGN#${c.id}`, sk: 'CAMPAIGN', gsi1pk: 'CAMPAIGNS', gsi1sk: `${c.deadline}#${c.id}`, ...c });
const uploadItem = (u: Upload) => ({ pk: `CAMPAIGN#${u.campaignId}`, sk: DOC_SK(u.orgId, u.document, u.uploadId), ...u });
/** A status item as the store writes it: with its place in the route index when it has a route. */
const summaryItem = (x: OrgSummary) => ({
  pk: `CAMPAIGN#${x.campaignId}`,
  sk: STATUS_SK(x.orgId),
  ...(x.routeKey ? { gsi1pk: `STATUS#${x.campaignId}`, gsi1sk: `${x.routeKey}#${x.orgId}` } : {}),
  ...x,
});
const put = (item: Record<string, unknown>) => table.set(tkey(item), structuredClone(item));
const stored = (pk: string, sk: string) => table.get(`${pk}|${sk}`);
/** A stored item as DynamoDB returns it (the store dropped undefined attributes when writing it). */
const wire = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true });
/** The inputs of recorded calls, in call order. */
const inputs = <I>(calls: readonly { args: readonly [{ input: I }] }[]): I[] => calls.map((c) => c.args[0].input);
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

type Conditional = Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;
function conditionHolds(current: Record<string, unknown> | undefined, input: Conditional): boolean {
  const c = input.ConditionExpression;
  if (c === undefined) return true;
  if (c === 'attribute_not_exists(pk)') return current === undefined;
  const m = /^(#\w+) = (:\w+)$/.exec(c);
  const name = m && input.ExpressionAttributeNames?.[m[1] ?? ''];
  const values = unmarshall(input.ExpressionAttributeValues ?? {});
  if (!m || !name || !((m[2] ?? '') in values)) throw new Error(`unit table: unsupported condition ${c}`);
  return current !== undefined && current[name] === values[m[2] ?? ''];
}
function applyUpdate(item: Record<string, unknown>, input: UpdateItemCommandInput): Record<string, unknown> {
  const m = /^SET (.+?)(?: REMOVE (.+))?$/.exec(input.UpdateExpression ?? '');
  if (!m || (input.ReturnValues ?? 'NONE') !== 'NONE') throw new Error(`unit table: unsupported update ${input.UpdateExpression}`);
  const values = unmarshall(input.ExpressionAttributeValues ?? {});
  const attr = (n: string) => {
    const a = n.startsWith('#') ? input.ExpressionAttributeNames?.[n] : n;
    if (!a) throw new Error(`unit table: no name for ${n}`);
    return a;
  };
  const next = { ...item };
  for (const set of (m[1] ?? '').split(', ')) {
    const [l = '', r = ''] = set.split(' = ');
    if (!(r in values)) throw new Error(`unit table: no value for ${r}`);
    next[attr(l)] = values[r];
  }
  for (const n of m[2]?.split(', ') ?? []) delete next[attr(n)];
  return next;
}
/** UpdateItem on the table, condition first (a test that interleaves another writer wraps it). */
async function tableUpdate(input: UpdateItemCommandInput) {
  const key = unmarshall(input.Key ?? {});
  const current = table.get(tkey(key));
  if (!conditionHolds(current, input)) throw conditionFailed();
  put(applyUpdate(current ?? key, input));
  return {};
}
function query(input: QueryCommandInput) {
  const v = unmarshall(input.ExpressionAttributeValues ?? {}) as Record<string, string>;
  const onIndex = input.IndexName === 'gsi1';
  if (input.IndexName !== undefined && !onIndex) throw new Error(`unit table: no index ${input.IndexName}`);
  const [hk, rk] = onIndex ? ['gsi1pk', 'gsi1sk'] : ['pk', 'sk'];
  const conditions: Record<string, [string | undefined, string]> = {
    'gsi1pk = :p': [v[':p'], ''],
    'gsi1pk = :p AND begins_with(gsi1sk, :r)': [v[':p'], v[':r'] ?? '\u0000'],
    'pk = :pk AND begins_with(sk, :p)': [v[':pk'], v[':p'] ?? '\u0000'],
  };
  const cond = conditions[input.KeyConditionExpression ?? ''];
  if (!cond || !cond[0] || onIndex !== input.KeyConditionExpression?.startsWith('gsi1pk')) throw new Error(`unit table: unsupported Query ${input.KeyConditionExpression}`);
  const [hash, prefix] = cond;
  const all = [...table.values()]
    .filter((i) => i[hk] === hash && String(i[rk]).startsWith(prefix))
    .sort((a, b) => (String(a[rk]) < String(b[rk]) ? -1 : 1));
  const after = input.ExclusiveStartKey ? unmarshall(input.ExclusiveStartKey) : undefined;
  const start = after ? all.findIndex((i) => tkey(i) === tkey(after)) + 1 : 0;
  if (after && start === 0) throw new Error('unit table: ExclusiveStartKey names no item');
  const page = all.slice(start, start + pageSize);
  const last = page.at(-1);
  const lastKey = last && (onIndex ? { pk: last.pk, sk: last.sk, gsi1pk: last.gsi1pk, gsi1sk: last.gsi1sk } : { pk: last.pk, sk: last.sk });
  return { Items: page.map(wire), ...(start + pageSize < all.length && lastKey ? { LastEvaluatedKey: marshall(lastKey) } : {}) };
}

const signer = tokenSigner(async () => keyBytes());
const grant = (o: Org, over: Partial<Grant> = {}): Grant => ({
  orgId: o.id,
  campaignId: campaign.id,
  role: o.kind === 'school' ? 'school' : o.kind === 'district' ? 'district' : 'city',
  version: o.tokenVersion,
  ...over,
});
const sessionCookie = async (o: Org, over: Partial<Grant> = {}) => `psy_session=${await signer.session(grant(o, over))}`;

function httpEvent(routeKey: string, over: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'unit',
      domainName: 'psy.example.cn',
      domainPrefix: 'psy',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '20/Jun/2019:02:00:00 +0000',
      timeEpoch: Date.parse(NOW),
    },
    ...over,
  };
}

const HAN = /[\u4e00-\u9fff]/;
/** The Query CampaignStore.list() sends (the error pages' contact lookup). */
const isCampaignList = (input: QueryCommandInput) =>
  input.IndexName === 'gsi1' && (unmarshall(input.ExpressionAttributeValues ?? {}) as Record<string, unknown>)[':p'] === 'CAMPAIGNS';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
  table = new Map();
  pageSize = Number.POSITIVE_INFINITY;
  for (const o of Object.values(orgs)) put(orgItem(o));
  put(campaignItem(campaign));
  ddb.on(GetItemCommand).callsFake(async (input: GetItemCommandInput) => {
    const item = table.get(tkey(unmarshall(input.Key ?? {})));
    return item ? { Item: wire(item) } : {};
  });
  ddb.on(BatchGetItemCommand).callsFake(async (input: BatchGetItemCommandInput) => {
    const asked = Object.entries(input.RequestItems ?? {});
    if (asked.length !== 1 || asked[0]?.[0] !== TABLE) throw new Error('unit table: BatchGetItem on another table');
    const items = (asked[0][1].Keys ?? []).map((k) => table.get(tkey(unmarshall(k)))).filter((i) => i !== undefined);
    return { Responses: { [TABLE]: items.map(wire) } };
  });
  // CampaignStore.list() (the error pages' contact lookup) and every other Query, by key.
  ddb.on(QueryCommand).callsFake(async (input: QueryCommandInput) => query(input));
  ddb.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => {
    const item = unmarshall(input.Item ?? {});
    if (!conditionHolds(table.get(tkey(item)), input)) throw conditionFailed();
    put(item);
    return {};
  });
  ddb.on(UpdateItemCommand).callsFake(tableUpdate);
  ddb.on(DeleteItemCommand).callsFake(async (input: DeleteItemCommandInput) => {
    const key = tkey(unmarshall(input.Key ?? {}));
    if (!conditionHolds(table.get(key), input)) throw conditionFailed();
    table.delete(key);
    return {};
  });
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-msg-1' });
});

afterEach(() => {
  ddb.reset();
  s3.reset();
  ses.reset();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// ==================================================================================== create-upload

describe('create-upload handler (POST /api/uploads)', () => {
  const validBody = { document: 'service-plan', fileName: '实施方案.pdf', size: 123_456 };
  const post = async (over: Partial<APIGatewayProxyEventV2> & { body?: string } = {}, who: Org = orgs.dhSchool1) =>
    createUploadHandler(
      httpEvent('POST /api/uploads', {
        headers: { 'content-type': 'application/json', origin: SITE },
        cookies: [await sessionCookie(who)],
        body: JSON.stringify(validBody),
        ...over,
      }),
    );
  const errorOf = (r: { body?: string }) => (JSON.parse(r.body ?? '{}') as { error: { code: string; message: string } }).error;

  it('writes the pending upload with attribute_not_exists(pk) under the exact key, and returns the pre-signed POST', async () => {
    const r = await post();
    expect(r.statusCode).toBe(201);
    expect(r.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(r.body ?? '') as { uploadId: string; document: string; url: string; fields: Record<string, string>; expiresAt: string };
    expect(body.uploadId).toMatch(/^[0-9a-f]{32}$/);
    const id = body.uploadId;
    const key = `incoming/2019-plans/dh-school-1/service-plan/${id}.pdf`;

    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: marshall({
        pk: 'CAMPAIGN#2019-plans',
        sk: `UPLOAD#dh-school-1#service-plan#${id}`, // no route in the key: a school that moves keeps its attempts
        campaignId: '2019-plans',
        orgId: 'dh-school-1',
        document: 'service-plan',
        uploadId: id,
        ext: 'pdf',
        originalName: '实施方案.pdf',
        declaredSize: 123_456,
        by: 'school:dh-school-1',
        requestedAt: NOW,
        postExpiresAt: '2019-06-20T02:10:00.000Z', // the POST's expiry (the validator refuses a file after it)
        tokenVersion: 1, // the org's links when issued (a revocation since then rejects the file)
        state: 'pending',
        ttl: Date.parse(NOW) / 1000 + 7 * 86400,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    // the session was checked against the stored org and campaign
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: marshall({ pk: 'ORG#dh-school-1', sk: 'ORG' }) });
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: marshall({ pk: 'CAMPAIGN#2019-plans', sk: 'CAMPAIGN' }) });

    expect(body.document).toBe('service-plan');
    expect(body.url).toBe(`https://${BUCKET}.s3.cn-northwest-1.amazonaws.com.cn/`);
    expect(body.fields.key).toBe(key);
    expect(body.fields['Content-Type']).toBe('application/pdf');
    expect(body.expiresAt).toBe('2019-06-20T02:10:00.000Z');
    const policy = JSON.parse(Buffer.from(body.fields.Policy ?? '', 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    expect(Date.parse(policy.expiration)).toBe(Date.parse('2019-06-20T02:10:00.000Z'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { bucket: BUCKET },
        { key },
        ['content-length-range', 1, MiB20],
        ['eq', '$Content-Type', 'application/pdf'],
      ]),
    );
    expect(s3.calls()).toHaveLength(0); // signing is local; nothing is sent to S3
  });

  it('accepts a body of exactly 20 MiB declared size', async () => {
    const r = await post({ body: JSON.stringify({ ...validBody, size: MiB20 }) });
    expect(r.statusCode).toBe(201);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.declaredSize).toEqual({ N: String(MiB20) });
  });

  const big = JSON.stringify({ ...validBody, fileName: `${'长'.repeat(6000)}.pdf` }); // > 16 KB in UTF-8
  const badInputs: [string, Partial<APIGatewayProxyEventV2>, number, string, string | RegExp][] = [
    ['malformed JSON', { body: '{"document":"service-plan",' }, 400, 'BAD_JSON', '请求内容不是有效的 JSON。'],
    ['an empty body', { body: '' }, 400, 'BAD_JSON', '请求内容不是有效的 JSON。'],
    ['a text/plain body', { headers: { 'content-type': 'text/plain', origin: SITE } }, 415, 'UNSUPPORTED_MEDIA_TYPE', '请求格式不正确（需要 JSON）。'],
    ['a form body', { headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SITE } }, 415, 'UNSUPPORTED_MEDIA_TYPE', '请求格式不正确（需要 JSON）。'],
    ['no content type', { headers: { origin: SITE } }, 415, 'UNSUPPORTED_MEDIA_TYPE', '请求格式不正确（需要 JSON）。'],
    ['size as a string', { body: JSON.stringify({ ...validBody, size: '123456' }) }, 400, 'VALIDATION', '字段 size：类型不正确'],
    ['fileName as a number', { body: JSON.stringify({ ...validBody, fileName: 42 }) }, 400, 'VALIDATION', '字段 fileName：类型不正确'],
    ['a missing fileName', { body: JSON.stringify({ document: 'service-plan', size: 1 }) }, 400, 'VALIDATION', '字段 fileName：缺少必填项'],
    ['a missing document', { body: JSON.stringify({ fileName: 'a.pdf', size: 1 }) }, 400, 'VALIDATION', '字段 document：缺少必填项'],
    ['an extra field (a client-chosen key)', { body: JSON.stringify({ ...validBody, key: 'accepted/x.pdf' }) }, 400, 'VALIDATION', '不认识的字段：key'],
    ['a JSON array', { body: '[]' }, 400, 'VALIDATION', /[\u4e00-\u9fff]/],
    ['JSON null', { body: 'null' }, 400, 'VALIDATION', /[\u4e00-\u9fff]/],
    ['size 0', { body: JSON.stringify({ ...validBody, size: 0 }) }, 400, 'VALIDATION', '字段 size：文件为空'],
    ['size over 20 MiB', { body: JSON.stringify({ ...validBody, size: MiB20 + 1 }) }, 400, 'VALIDATION', '字段 size：文件超过 20 MB 上限'],
    ['a fractional size', { body: JSON.stringify({ ...validBody, size: 1.5 }) }, 400, 'VALIDATION', /^字段 size：/],
    ['a blank fileName', { body: JSON.stringify({ ...validBody, fileName: '   ' }) }, 400, 'VALIDATION', '字段 fileName：请选择文件'],
    ['a badly formed document id', { body: JSON.stringify({ ...validBody, document: '../x' }) }, 400, 'VALIDATION', '字段 document：材料编号只能包含小写字母、数字和连字符'],
    ['a body over 16 KB', { body: big }, 413, 'BODY_TOO_LARGE', '请求内容过大。'],
    ['an unknown document', { body: JSON.stringify({ ...validBody, document: 'budget' }) }, 400, 'UNKNOWN_DOCUMENT', '没有这项报送材料。'],
    ['an executable', { body: JSON.stringify({ ...validBody, fileName: 'plan.pdf.exe' }) }, 400, 'FILE_TYPE_NOT_ALLOWED', /^只接受 PDF/],
  ];
  it.each(badInputs.map(([what, over, status, code, message]) => [what, status, code, message, over] as const))(
    '%s → %i %s, Chinese message, nothing written',
    async (_what, status, code, message, over) => {
    const r = await post(over);
    expect(r.statusCode).toBe(status);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const e = errorOf(r);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(HAN);
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    },
  );

  it('no cookie → 401 NO_SESSION, nothing read or written', async () => {
    const r = await post({ cookies: undefined });
    expect(r.statusCode).toBe(401);
    expect(errorOf(r)).toEqual({ code: 'NO_SESSION', message: '请通过邮件中的链接进入本页面。' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('a tampered session cookie → 401 NO_SESSION', async () => {
    const c = await sessionCookie(orgs.dhSchool1);
    const [h, , sig] = c.slice('psy_session='.length).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'dh', cmp: '2019-plans', role: 'district', v: 1, typ: 'session', exp: 2e9 })).toString('base64url');
    const r = await post({ cookies: [`psy_session=${h}.${payload}.${sig}`] });
    expect(r.statusCode).toBe(401);
    expect(errorOf(r).code).toBe('NO_SESSION');
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('a link token used as the session cookie → 401 NO_SESSION', async () => {
    const r = await post({ cookies: [`psy_session=${await signer.link(grant(orgs.dhSchool1), 60)}`] });
    expect(r.statusCode).toBe(401);
    expect(errorOf(r).code).toBe('NO_SESSION');
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('a malformed (not URL-decodable) session cookie → 401 NO_SESSION, not a 500', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const r = await post({ cookies: ['psy_session=%E0%A4%A'] });
    expect(r.statusCode).toBe(401);
    expect(errorOf(r).code).toBe('NO_SESSION');
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('a session of an older org token version → 401 LINK_REVOKED', async () => {
    put(orgItem({ ...orgs.dhSchool1, tokenVersion: 2 }));
    const r = await post({ cookies: [await sessionCookie(orgs.dhSchool1, { version: 1 })] });
    expect(r.statusCode).toBe(401);
    expect(errorOf(r)).toEqual({ code: 'LINK_REVOKED', message: '该链接已停用，请使用最新邮件中的链接。' });
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('an expired session (real clock moved 2 h on) → 401 SESSION_EXPIRED', async () => {
    const cookie = await sessionCookie(orgs.dhSchool1);
    vi.setSystemTime(Date.parse(NOW) + 2 * 3600_000 + 1000);
    const r = await post({ cookies: [cookie] });
    expect(r.statusCode).toBe(401);
    expect(errorOf(r).code).toBe('SESSION_EXPIRED');
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('an Origin from another site → 403 BAD_ORIGIN, before anything is read', async () => {
    const r = await post({ headers: { 'content-type': 'application/json', origin: 'https://evil.example.com' } });
    expect(r.statusCode).toBe(403);
    expect(errorOf(r)).toEqual({ code: 'BAD_ORIGIN', message: '请求来源不正确，请从报送页面上传。' });
    expect(ddb.calls()).toHaveLength(0);
    const sub = await post({ headers: { 'content-type': 'application/json', origin: 'https://psy.example.cn.evil.com' } });
    expect(sub.statusCode).toBe(403);
  });

  it('the Centre (not in the audience) → 403 NOT_IN_AUDIENCE', async () => {
    const r = await post({}, orgs.centre);
    expect(r.statusCode).toBe(403);
    expect(errorOf(r).code).toBe('NOT_IN_AUDIENCE');
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('an unexpected error (DynamoDB throws) → 500 INTERNAL with the fallback message only, no stack', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    ddb.on(GetItemCommand).rejects(new Error('connect ECONNREFUSED 10.0.0.7:443 (internal detail)'));
    const r = await post();
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body ?? '')).toEqual({
      error: { code: 'INTERNAL', message: '服务暂时不可用，请稍后再试；如持续出现，请联系市未成年人心理健康辅导中心。' },
    });
    expect(r.body).not.toContain('ECONNREFUSED');
    expect(r.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    expect(log).toHaveBeenCalledTimes(1);
  });
});

// ==================================================================================== validate-upload

describe('validate-upload handler (S3 ObjectCreated)', () => {
  const key = `incoming/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`;
  const dest = `accepted/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`;
  const Key = marshall({ pk: PK, sk: `UPLOAD#dh-school-1#service-plan#${UPLOAD_ID}` });
  /** The object version S3 names in the event (a versioned bucket). */
  const VERSION = '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo';
  const RECEIPT_NO = 'HJ20190620-0123456789';
  const LEDGER = `receipt#2019-plans#dh-school-1#service-plan#${UPLOAD_ID}`;
  const accepted = { results: [{ key, outcome: 'accepted' }] };
  const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  /** The attempt as create-upload wrote it a minute before the file arrived. */
  const attempt = upload({ requestedAt: '2019-06-20T01:59:00.000Z', postExpiresAt: '2019-06-20T02:09:00.000Z', tokenVersion: 1 });
  /** The attempt as a run that claimed it with these bytes recorded it. */
  const recorded = (pdf: Uint8Array, over: Partial<Upload> = {}) =>
    upload({ ...attempt, state: 'accepted', receivedAt: NOW, size: pdf.byteLength, sha256: sha256(pdf), late: false, acceptedKey: dest, ...over });
  const s3Event = (k: string, eventName = 'ObjectCreated:Post', versionId?: string) => ({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'cn-northwest-1',
        eventTime: NOW,
        eventName,
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: BUCKET, arn: `arn:aws-cn:s3:::${BUCKET}` },
          object: { key: k, size: 600, eTag: 'e', sequencer: '01', ...(versionId ? { versionId } : {}) },
        },
      },
    ],
  });
  const body = (bytes: Uint8Array) => ({ transformToByteArray: async () => bytes }) as unknown as GetObjectCommandOutput['Body'];

  // ---- the exact writes of one accepted version, in the order the validator makes them
  const claimAccepted = (pdf: Uint8Array) => ({
    TableName: TABLE,
    Key,
    UpdateExpression: 'SET #state = :state, #receivedAt = :receivedAt, #size = :size, #sha256 = :sha256, #late = :late, #acceptedKey = :acceptedKey REMOVE #ttl',
    ConditionExpression: '#state = :pending',
    ExpressionAttributeNames: {
      '#state': 'state',
      '#receivedAt': 'receivedAt',
      '#size': 'size',
      '#sha256': 'sha256',
      '#late': 'late',
      '#acceptedKey': 'acceptedKey',
      '#ttl': 'ttl',
    },
    ExpressionAttributeValues: marshall({
      ':pending': 'pending',
      ':state': 'accepted',
      ':receivedAt': NOW,
      ':size': pdf.byteLength,
      ':sha256': sha256(pdf),
      ':late': false,
      ':acceptedKey': dest,
    }),
  });
  const copy = (pdf: Uint8Array) => ({ Bucket: BUCKET, Key: dest, Body: pdf, ContentType: 'application/pdf', IfNoneMatch: '*' });
  /** The first fold of the org's status item: no item yet, so attribute_not_exists(pk). */
  const statusPut = (pdf: Uint8Array) => ({
    TableName: TABLE,
    Item: wire({
      pk: PK,
      sk: 'STATUS#dh-school-1',
      gsi1pk: 'STATUS#2019-plans', // the route index: the District's status is one Query
      gsi1sk: 'D#dh#dh-school-1',
      gsi2pk: 'OWING#2019-plans', // the owing index: the crisis plan is still missing
      gsi2sk: 'D#dh#dh-school-1',
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      rev: 1,
      routeKey: 'D#dh',
      org: orgs.dhSchool1,
      missing: ['crisis-plan'],
      reminded: {},
      docs: {
        'service-plan': {
          ids: [UPLOAD_ID],
          first: { uploadId: UPLOAD_ID, at: NOW, late: false },
          last: { uploadId: UPLOAD_ID, version: 1, at: NOW, late: false, name: '方案.pdf', size: pdf.byteLength, sha256: sha256(pdf), ext: 'pdf' },
          lateVersions: 0,
        },
      },
    }),
    ConditionExpression: 'attribute_not_exists(pk)',
  });
  const numbered = {
    TableName: TABLE,
    Key,
    UpdateExpression: 'SET #v = :v, #r = :r',
    ConditionExpression: '#state = :accepted',
    ExpressionAttributeNames: { '#v': 'version', '#r': 'receiptNo', '#state': 'state' },
    ExpressionAttributeValues: marshall({ ':v': 1, ':r': RECEIPT_NO, ':accepted': 'accepted' }),
  };
  const ledgerClaim = {
    TableName: TABLE,
    Item: marshall({
      pk: `MAIL#${LEDGER}`,
      sk: 'MAIL',
      key: LEDGER,
      about: { kind: 'receipt', campaignId: '2019-plans', orgId: 'dh-school-1', uploadId: UPLOAD_ID, to: ['zhang@dh1.example.cn'] },
      state: 'sending',
      claimedAt: NOW,
    }),
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  const ledgerSent = {
    TableName: TABLE,
    Key: marshall({ pk: `MAIL#${LEDGER}`, sk: 'MAIL' }),
    UpdateExpression: 'SET #s = :s, messageId = :m, sentAt = :t',
    ExpressionAttributeNames: { '#s': 'state' },
    ExpressionAttributeValues: marshall({ ':s': 'sent', ':m': 'ses-msg-1', ':t': NOW }),
  };
  const isClaim = (c: { args: [{ input: UpdateItemCommandInput }] }) => c.args[0].input.ConditionExpression === '#state = :pending';
  /**
   * The audit trail's entry of the attempt's outcome, in its own table: keyed by the attempt (`upload#<id>`) at its
   * recorded arrival, so every run writes the same key and only the first appends (attribute_not_exists).
   */
  const auditPut = (outcome: { action: 'upload.accepted'; version: number; after: Record<string, unknown> } | { action: 'upload.rejected'; after: Record<string, unknown> }) => ({
    TableName: AUDIT_TABLE,
    Item: wire({
      pk: 'AUDIT#2019-plans',
      sk: `${NOW}#dh-school-1#upload#${UPLOAD_ID}`,
      gsi1pk: 'AUDIT#2019-plans#dh-school-1',
      gsi1sk: `${NOW}#upload#${UPLOAD_ID}`,
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      at: NOW,
      id: `upload#${UPLOAD_ID}`,
      actor: 'system:validate-upload',
      document: 'service-plan',
      note: '东湖区第一小学 上传',
      ...outcome,
    }),
    ConditionExpression: 'attribute_not_exists(pk)',
  });
  const auditAccepted = (pdf: Uint8Array) =>
    auditPut({
      action: 'upload.accepted',
      version: 1,
      after: { fileName: '方案.pdf', size: pdf.byteLength, sha256: sha256(pdf), late: false, receiptNo: RECEIPT_NO, uploadedBy: 'school:dh-school-1' },
    });

  /** A versioned bucket's accepted/ keys: PutObject honours If-None-Match, HeadObject answers by key. */
  let bucket: Set<string>;
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    put(uploadItem(attempt));
    bucket = new Set();
    s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      if (input.IfNoneMatch === '*' && bucket.has(input.Key ?? '')) {
        throw new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'At least one of the pre-conditions you specified did not hold' });
      }
      bucket.add(input.Key ?? '');
      return {};
    });
    s3.on(HeadObjectCommand).callsFake(async (input: HeadObjectCommandInput) => {
      if (bucket.has(input.Key ?? '')) return { ContentLength: 1 };
      throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    });
  });

  it('accepts a real PDF: reads the event\'s version, claims with #state = :pending, only then writes accepted/ (If-None-Match), folds the status item, numbers the version', async () => {
    const pdf = minimalPdf();
    s3.on(GetObjectCommand).resolves({ Body: body(pdf) });
    expect(await validateHandler(s3Event(key, 'ObjectCreated:Post', VERSION))).toEqual(accepted);

    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key, ConsistentRead: true });
    expect(inputs(s3.commandCalls(GetObjectCommand))).toEqual([{ Bucket: BUCKET, Key: key, VersionId: VERSION }]);
    expect(inputs(s3.commandCalls(PutObjectCommand))).toEqual([copy(pdf)]);
    expect(s3).not.toHaveReceivedCommand(HeadObjectCommand); // the run that claimed does not ask whether accepted/ has it
    expect(inputs(ddb.commandCalls(UpdateItemCommand))).toEqual([claimAccepted(pdf), numbered, ledgerSent]);
    expect(inputs(ddb.commandCalls(PutItemCommand))).toEqual([statusPut(pdf), auditAccepted(pdf), ledgerClaim]);
    // claim → copy → status → number → audit: the bytes go to accepted/ only once the attempt is ours
    const [claim, number] = ddb.commandCalls(UpdateItemCommand);
    const [copyCall] = s3.commandCalls(PutObjectCommand);
    const [status, audit, receipt] = ddb.commandCalls(PutItemCommand);
    expect(claim && copyCall && status && number && audit && receipt).toBeTruthy();
    expect(claim?.calledBefore(copyCall!)).toBe(true);
    expect(copyCall?.calledBefore(status!)).toBe(true);
    expect(status?.calledBefore(number!)).toBe(true);
    expect(number?.calledBefore(audit!)).toBe(true);
    expect(audit?.calledBefore(receipt!)).toBe(true);
    expect(stored(PK, `UPLOAD#dh-school-1#service-plan#${UPLOAD_ID}`)).toMatchObject({ state: 'accepted', version: 1, receiptNo: RECEIPT_NO });
    expect(stored(PK, 'STATUS#dh-school-1')).toMatchObject({ rev: 1 });
  });

  it('sends exactly one receipt through SES v2, after claiming MAIL#receipt#… in the send ledger with attribute_not_exists(pk)', async () => {
    const pdf = minimalPdf();
    s3.on(GetObjectCommand).resolves({ Body: body(pdf) });
    expect(await validateHandler(s3Event(key, 'ObjectCreated:Post', VERSION))).toEqual(accepted);

    expect(ses.calls()).toHaveLength(1);
    const [mail] = ses.commandCalls(SendEmailCommand);
    expect(mail?.args[0].input).toEqual({
      FromEmailAddress: `=?UTF-8?B?${Buffer.from(SENDER_NAME).toString('base64')}?= <noreply@psy.example.cn>`,
      Destination: { ToAddresses: ['zhang@dh1.example.cn'] },
      // Which org's contact it went to: a bounce of it comes back with these tags (ses-events).
      EmailTags: [
        { Name: 'org', Value: 'dh-school-1' },
        { Name: 'campaign', Value: '2019-plans' },
        { Name: 'kind', Value: 'receipt' },
      ],
      Content: {
        Simple: {
          Subject: { Data: '【回执】心理服务体系建设工作实施方案（第 1 版）已收到 - 东湖区第一小学', Charset: 'UTF-8' },
          Body: { Text: { Data: expect.any(String), Charset: 'UTF-8' }, Html: { Data: expect.any(String), Charset: 'UTF-8' } },
        },
      },
    });
    const text = mail?.args[0].input.Content?.Simple?.Body?.Text?.Data ?? '';
    const lines = text.split('\n');
    for (const line of [
      '东湖区第一小学：',
      `回执编号：${RECEIPT_NO}`,
      '材料：心理服务体系建设工作实施方案（第 1 版）',
      '原文件名：方案.pdf',
      `文件校验码（SHA-256 前 12 位）：${sha256(pdf).slice(0, 12)}`,
      '收到时间：2019年6月20日 10:00（北京时间）',
    ]) {
      expect(lines).toContain(line);
    }
    expect(text).toMatch(/^提交状态：按时提交（/m);
    // the org's own link, signed for it
    const link = /^https:\/\/psy\.example\.cn\/l\/(\S+)$/m.exec(text)?.[1] ?? '';
    expect(await signer.verify(link, 'link')).toEqual(grant(orgs.dhSchool1));
    expect(mail?.args[0].input.Content?.Simple?.Body?.Html?.Data).toContain(RECEIPT_NO);

    // the ledger: claimed (conditional) after the version is numbered and before the send, marked sent after it
    const claims = ddb.commandCalls(PutItemCommand).filter((c) => String(unmarshall(c.args[0].input.Item ?? {}).pk).startsWith('MAIL#'));
    expect(inputs(claims)).toEqual([ledgerClaim]);
    const sent = ddb.commandCalls(UpdateItemCommand).filter((c) => String(unmarshall(c.args[0].input.Key ?? {}).pk).startsWith('MAIL#'));
    expect(inputs(sent)).toEqual([ledgerSent]);
    const number = ddb.commandCalls(UpdateItemCommand).find((c) => c.args[0].input.ConditionExpression === '#state = :accepted');
    expect(number?.calledBefore(claims[0]!)).toBe(true);
    expect(claims[0]?.calledBefore(mail!)).toBe(true);
    expect(mail?.calledBefore(sent[0]!)).toBe(true);
    expect(stored(`MAIL#${LEDGER}`, 'MAIL')).toMatchObject({ state: 'sent', messageId: 'ses-msg-1', sentAt: NOW });
  });

  it('a re-delivery after a full success sends no second mail: the ledger claim is refused (ConditionalCheckFailedException) and nothing else is written', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(minimalPdf()) });
    const event = s3Event(key, 'ObjectCreated:Post', VERSION);
    expect(await validateHandler(event)).toEqual(accepted);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    const before = structuredClone([...table]);
    ddb.resetHistory();
    s3.resetHistory();
    ses.resetHistory();

    expect(await validateHandler(event)).toEqual(accepted);
    expect(ses.calls()).toHaveLength(0);
    const puts = ddb.commandCalls(PutItemCommand);
    expect(inputs(puts)).toEqual([auditAccepted(minimalPdf()), ledgerClaim]);
    // the audit entry is there already (same key): appended nothing; the receipt went out before
    await expect(puts[0]?.returnValue).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(puts[1]?.returnValue).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(ddb).not.toHaveReceivedCommand(DeleteItemCommand); // the sent receipt's claim stays
    expect(inputs(s3.commandCalls(HeadObjectCommand))).toEqual([{ Bucket: BUCKET, Key: dest }]);
    expect(s3.calls()).toHaveLength(1);
    expect([...table]).toEqual(before);
  });

  it('SES refuses the send: the ledger claim is given back (DeleteItem while still "sending") and the event fails, so its retry sends the receipt', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(minimalPdf()) });
    ses.on(SendEmailCommand).rejectsOnce(new Error('Throttling: Maximum sending rate exceeded')).resolves({ MessageId: 'ses-msg-1' });
    const event = s3Event(key, 'ObjectCreated:Post', VERSION);
    await expect(validateHandler(event)).rejects.toThrow('Maximum sending rate exceeded');
    expect(inputs(ddb.commandCalls(DeleteItemCommand))).toEqual([
      {
        TableName: TABLE,
        Key: marshall({ pk: `MAIL#${LEDGER}`, sk: 'MAIL' }),
        ConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: marshall({ ':s': 'sending' }),
      },
    ]);
    expect(stored(`MAIL#${LEDGER}`, 'MAIL')).toBeUndefined();

    expect(await validateHandler(event)).toEqual(accepted);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 2);
    expect(stored(`MAIL#${LEDGER}`, 'MAIL')).toMatchObject({ state: 'sent', messageId: 'ses-msg-1' });
  });

  it('an executable renamed .pdf → rejected TYPE_MISMATCH, not copied; the rejection is folded, no version, no mail', async () => {
    const elf = elfExecutable();
    s3.on(GetObjectCommand).resolves({ Body: body(elf) });
    expect(await validateHandler(s3Event(key, 'ObjectCreated:Post', VERSION))).toEqual({ results: [{ key, outcome: 'rejected' }] });
    expect(inputs(s3.commandCalls(GetObjectCommand))).toEqual([{ Bucket: BUCKET, Key: key, VersionId: VERSION }]);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(inputs(ddb.commandCalls(UpdateItemCommand))).toEqual([
      {
        TableName: TABLE,
        Key,
        UpdateExpression: 'SET #state = :state, #receivedAt = :receivedAt, #reason = :reason, #size = :size REMOVE #ttl',
        ConditionExpression: '#state = :pending',
        ExpressionAttributeNames: { '#state': 'state', '#receivedAt': 'receivedAt', '#reason': 'reason', '#size': 'size', '#ttl': 'ttl' },
        ExpressionAttributeValues: marshall({ ':pending': 'pending', ':state': 'rejected', ':receivedAt': NOW, ':reason': 'TYPE_MISMATCH', ':size': elf.byteLength }),
      },
    ]);
    expect(inputs(ddb.commandCalls(PutItemCommand))).toEqual([
      {
        TableName: TABLE,
        Item: wire({
          pk: PK,
          sk: 'STATUS#dh-school-1',
          gsi1pk: 'STATUS#2019-plans',
          gsi1sk: 'D#dh#dh-school-1',
          gsi2pk: 'OWING#2019-plans',
          gsi2sk: 'D#dh#dh-school-1',
          campaignId: '2019-plans',
          orgId: 'dh-school-1',
          rev: 1,
          routeKey: 'D#dh',
          org: orgs.dhSchool1,
          missing: ['service-plan', 'crisis-plan'],
          reminded: {},
          docs: { 'service-plan': { ids: [], lateVersions: 0, rejected: { uploadId: UPLOAD_ID, at: NOW, reason: 'TYPE_MISMATCH', name: '方案.pdf' } } },
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      auditPut({ action: 'upload.rejected', after: { fileName: '方案.pdf', size: elf.byteLength, reason: 'TYPE_MISMATCH', uploadedBy: 'school:dh-school-1' } }),
    ]);
    expect(ses.calls()).toHaveLength(0);
  });

  it('an object that is gone (NoSuchKey) → rejected MISSING', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));
    expect(await validateHandler(s3Event(key))).toEqual({ results: [{ key, outcome: 'rejected' }] });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual(
      marshall({
        ':pending': 'pending',
        ':state': 'rejected',
        ':receivedAt': NOW,
        ':reason': 'MISSING',
      }),
    );
  });

  it('a ConditionalCheckFailedException on the claim (a concurrent run won) is not an error: the winner\'s record stands, accepted/ is checked with HeadObject, not written again', async () => {
    const pdf = minimalPdf();
    s3.on(GetObjectCommand).resolves({ Body: body(pdf) });
    // The other run claims the attempt and copies the object just before our claim reaches the table.
    ddb.on(UpdateItemCommand).callsFake(async (input: UpdateItemCommandInput) => {
      if (isClaim({ args: [{ input }] })) {
        put(uploadItem(recorded(pdf)));
        bucket.add(dest);
      }
      return tableUpdate(input);
    });
    await expect(validateHandler(s3Event(key, 'ObjectCreated:Post', VERSION))).resolves.toEqual(accepted);
    const claims = ddb.commandCalls(UpdateItemCommand).filter(isClaim);
    expect(inputs(claims)).toEqual([claimAccepted(pdf)]);
    await expect(claims[0]?.returnValue).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    // it read the attempt again, and resumed from what the winner recorded
    expect(ddb.commandCalls(GetItemCommand).filter((c) => c.args[0].input.Key?.sk?.S?.startsWith('UPLOAD#'))).toHaveLength(2);
    expect(inputs(s3.commandCalls(HeadObjectCommand))).toEqual([{ Bucket: BUCKET, Key: dest }]);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(inputs(ddb.commandCalls(PutItemCommand))).toEqual([statusPut(pdf), auditAccepted(pdf), ledgerClaim]);
    expect(inputs(ddb.commandCalls(UpdateItemCommand).filter((c) => !isClaim(c)))).toEqual([numbered, ledgerSent]);
  });

  it('a re-delivery after a crash between the claim and the copy: HeadObject finds nothing, the event\'s version is read again and written with If-None-Match', async () => {
    const pdf = minimalPdf();
    put(uploadItem(recorded(pdf)));
    s3.on(GetObjectCommand).resolves({ Body: body(pdf) });
    expect(await validateHandler(s3Event(key, 'ObjectCreated:Post', VERSION))).toEqual(accepted);
    expect(inputs(s3.commandCalls(HeadObjectCommand))).toEqual([{ Bucket: BUCKET, Key: dest }]);
    expect(inputs(s3.commandCalls(GetObjectCommand))).toEqual([{ Bucket: BUCKET, Key: key, VersionId: VERSION }]);
    expect(inputs(s3.commandCalls(PutObjectCommand))).toEqual([copy(pdf)]);
    expect(ddb.commandCalls(UpdateItemCommand).filter(isClaim)).toEqual([]); // not claimed again
    expect(inputs(ddb.commandCalls(PutItemCommand))).toEqual([statusPut(pdf), auditAccepted(pdf), ledgerClaim]);
  });

  it('a re-delivered event for an attempt already accepted, folded and numbered reads no object and writes nothing but the audit entry a crash lost (HeadObject only)', async () => {
    const done = recorded(minimalPdf(), { version: 1, receiptNo: RECEIPT_NO });
    put(uploadItem(done));
    for (const x of summariesOf([done])) put(summaryItem(x));
    put({ pk: `MAIL#${LEDGER}`, sk: 'MAIL', key: LEDGER, state: 'sent', claimedAt: NOW, messageId: 'ses-msg-0', sentAt: NOW });
    bucket.add(dest);
    const before = structuredClone([...table]);
    expect(await validateHandler(s3Event(key))).toEqual(accepted);
    expect(inputs(s3.commandCalls(HeadObjectCommand))).toEqual([{ Bucket: BUCKET, Key: dest }]);
    expect(s3.calls()).toHaveLength(1);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    // The run before stopped after numbering (the receipt went out, the trail has no entry): the entry is appended now.
    const puts = ddb.commandCalls(PutItemCommand);
    expect(inputs(puts)).toEqual([auditAccepted(minimalPdf()), ledgerClaim]);
    await expect(puts[0]?.returnValue).resolves.toEqual({});
    await expect(puts[1]?.returnValue).rejects.toBeInstanceOf(ConditionalCheckFailedException); // refused: the receipt went out before
    expect(ses.calls()).toHaveLength(0);
    const audit = `AUDIT#2019-plans|${NOW}#dh-school-1#upload#${UPLOAD_ID}`;
    expect([...table].filter(([k]) => k !== audit)).toEqual(before);
    expect(table.get(audit)).toMatchObject({ action: 'upload.accepted', version: 1, after: { receiptNo: RECEIPT_NO } });
    // A further delivery appends nothing.
    ddb.resetHistory();
    expect(await validateHandler(s3Event(key))).toEqual(accepted);
    await expect(ddb.commandCalls(PutItemCommand)[0]?.returnValue).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('any other DynamoDB error propagates, so the event is retried', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(minimalPdf()) });
    ddb.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    await expect(validateHandler(s3Event(key))).rejects.toThrow('ProvisionedThroughputExceededException');
  });

  it.each<[string, unknown]>([
    ['not an S3 event', { hello: 'world' }],
    ['an SQS-shaped event', { Records: [{ body: '{}', messageId: '1' }] }],
    ['null', null],
    ['a key outside incoming/', s3Event(`accepted/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`)],
    ['a key with a foreign layout', s3Event('incoming/../accepted/x.pdf')],
    ['an upload id that is not ours', s3Event(`incoming/2019-plans/dh-school-1/service-plan/${'z'.repeat(32)}.pdf`)],
  ])('%s → an error (retried, then the failed-event queue), with no DynamoDB or S3 call', async (_what, event) => {
    await expect(validateHandler(event)).rejects.toThrow(/validate-upload/);
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  it('an ObjectRemoved event is not ours to handle: nothing read, nothing written', async () => {
    expect(await validateHandler(s3Event(key, 'ObjectRemoved:Delete'))).toEqual({ results: [] });
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});

// ==================================================================================== status

describe('status handler (GET /api/status, GET /api/plans)', () => {
  const accepted = (over: Partial<Upload>) => upload({ state: 'accepted', late: false, size: 1000, sha256: 'ab'.repeat(32), ...over });
  /** dh-school-1's two documents, each accepted once (attempts and the status item the validator folded from them). */
  const dhSchool1 = [
    accepted({ receivedAt: '2019-06-15T00:00:00.000Z', version: 1 }),
    accepted({ uploadId: 'f'.repeat(32), document: 'crisis-plan', receivedAt: '2019-06-16T00:00:00.000Z', size: 5, sha256: 'cd'.repeat(32), version: 1 }),
  ];
  /** Outside the District: a school of another District and a Direct school, both with a status item. */
  const others = [
    accepted({ orgId: 'xh-school-1', uploadId: 'e'.repeat(32), receivedAt: '2019-06-17T00:00:00.000Z', by: 'school:xh-school-1', version: 1 }),
    accepted({ orgId: 'direct-1', uploadId: 'd'.repeat(32), receivedAt: '2019-06-18T00:00:00.000Z', by: 'school:direct-1', version: 1 }),
  ];
  /** A list compared without its order (reads made at once arrive in any order); duplicates still count. */
  const sortedJson = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
  const statusKeys = (...ids: string[]) => ids.map((o) => marshall({ pk: PK, sk: `STATUS#${o}` }));
  const statusQueries = () => inputs(ddb.commandCalls(QueryCommand)).filter((q) => !isCampaignList(q));
  const getKeys = () => inputs(ddb.commandCalls(GetItemCommand)).map((i) => tkey(unmarshall(i.Key ?? {})));
  beforeEach(() => {
    pageSize = 2; // every Query here reads more than one page
    for (const u of [...dhSchool1, ...others]) put(uploadItem(u));
    for (const x of summariesOf([...dhSchool1, ...others])) put(summaryItem(x));
  });
  const get = async (routeKey: string, who: Org, query?: Record<string, string>) =>
    statusHandler(httpEvent(routeKey, { cookies: [await sessionCookie(who)], queryStringParameters: query }));

  it('a District gets its jurisdiction as CSV: BOM, CRLF, content-disposition, from its orgs (Query gsi1 D#dh#, every page) and their status items (Query gsi1 STATUS#<campaign> D#dh#), no Scan', async () => {
    const r = await get('GET /api/status', orgs.dh, { format: 'csv' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe(
      `attachment; filename="status-2019-plans.csv"; filename*=UTF-8''${encodeURIComponent('心理服务体系建设实施方案报送-报送情况.csv')}`,
    );
    expect(r.body?.startsWith('\uFEFF所属县区/类别,直属类别,机构编号,机构名称,类型,联系人,联系电话,联系邮箱,提醒记录,心理服务体系建设工作实施方案-状态,')).toBe(true);
    const missing = '未上传,0,,,,,';
    expect(r.body?.slice(1).split('\r\n').slice(1)).toEqual([
      `东湖区教科体局,,dh,东湖区教科体局,县区,李老师,,li@dh.example.cn; LI@dh.example.cn,,${missing},${missing},`,
      '东湖区教科体局,,dh-school-1,东湖区第一小学,学校,张老师,,zhang@dh1.example.cn,,' +
        '已上传,1,2019-06-15 08:00,否,2019-06-15 08:00,方案.pdf,按时提交（6月15日 08:00）,' +
        '已上传,1,2019-06-16 08:00,否,2019-06-16 08:00,方案.pdf,按时提交（6月16日 08:00）,',
      `东湖区教科体局,,dh-school-2,东湖区第二中学,学校,赵老师,,zhao@dh2.example.cn,,${missing},${missing},`,
      '合计,,,3 个单位，报齐 1 个,,,,,,已上传 1,,,逾期 0,,,,已上传 1,,,逾期 0,,,,',
      '',
    ]);
    const orgsQuery = {
      TableName: TABLE,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p AND begins_with(gsi1sk, :r)',
      ExpressionAttributeValues: marshall({ ':p': 'ORGS', ':r': 'D#dh#' }),
    };
    const routeQuery = { ...orgsQuery, ExpressionAttributeValues: marshall({ ':p': 'STATUS#2019-plans', ':r': 'D#dh#' }) };
    // Exactly these reads; the orgs and the status items are read at once, so in no fixed order.
    expect(sortedJson(statusQueries())).toEqual(
      sortedJson([
        { ...orgsQuery, ExclusiveStartKey: undefined },
        { ...orgsQuery, ExclusiveStartKey: marshall({ pk: 'ORG#dh-school-1', sk: 'ORG', gsi1pk: 'ORGS', gsi1sk: 'D#dh#dh-school-1' }) },
        { ...routeQuery, ExclusiveStartKey: undefined },
      ]),
    );
    expect(ddb).not.toHaveReceivedCommand(BatchGetItemCommand);
    expect(getKeys().sort()).toEqual([`${PK}|CAMPAIGN`, 'ORG#dh|ORG']); // the session only
    expect(ddb).not.toHaveReceivedCommand(ScanCommand);
  });

  it('a school gets only itself: its own status item (GetItem), its District\'s name, no org listing', async () => {
    const r = await get('GET /api/status', orgs.dhSchool1);
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body ?? '') as { org: unknown; rows: { orgId: string; documents: { state: string }[] }[]; totals: { group: string; name: string }[] };
    expect(body.org).toEqual({ id: 'dh-school-1', name: '东湖区第一小学' });
    expect(body.rows.map((x) => x.orgId)).toEqual(['dh-school-1']);
    expect(body.rows[0]?.documents.map((d) => d.state)).toEqual(['uploaded', 'uploaded']);
    expect(body.totals.map((t) => [t.group, t.name])).toEqual([['D#dh', '东湖区教科体局']]);
    expect(statusQueries()).toEqual([]);
    expect(ddb).not.toHaveReceivedCommand(BatchGetItemCommand);
    expect(getKeys().sort()).toEqual([`${PK}|CAMPAIGN`, `${PK}|STATUS#dh-school-1`, 'ORG#dh-school-1|ORG', 'ORG#dh|ORG']);
  });

  it('the city (Bureau) reads every org (Query gsi1 ORGS) and every status item (Query begins_with STATUS#), every page, no BatchGetItem', async () => {
    const r = await get('GET /api/status', orgs.bureau);
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body ?? '') as { rows: { orgId: string; documents: { state: string }[] }[] };
    expect(Object.fromEntries(body.rows.map((x) => [x.orgId, x.documents.map((d) => d.state).join('/')]))).toEqual({
      dh: 'missing/missing',
      'dh-school-1': 'uploaded/uploaded',
      'dh-school-2': 'missing/missing',
      xh: 'missing/missing',
      'xh-school-1': 'uploaded/missing',
      'direct-1': 'uploaded/missing',
    });
    const queries = statusQueries();
    const orgPages = queries.filter((q) => q.IndexName === 'gsi1');
    const statusPages = queries.filter((q) => q.IndexName === undefined);
    expect(orgPages.length + statusPages.length).toBe(queries.length);
    expect(orgPages.map(({ ExclusiveStartKey: _, ...q }) => q)).toEqual(
      Array(4).fill({ TableName: TABLE, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: marshall({ ':p': 'ORGS' }) }),
    ); // 8 orgs, 2 a page
    expect(statusPages.map(({ ExclusiveStartKey: _, ...q }) => q)).toEqual(
      Array(2).fill({ TableName: TABLE, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: marshall({ ':pk': PK, ':p': 'STATUS#' }) }),
    ); // 3 status items
    expect(ddb).not.toHaveReceivedCommand(BatchGetItemCommand);
    expect(ddb).not.toHaveReceivedCommand(ScanCommand);
  });

  it('GET /api/plans is the own org even for a District: its status item (GetItem), its attempts (Query UPLOAD#dh#, every page), the receiver', async () => {
    const mine = [
      accepted({ orgId: 'dh', uploadId: 'a'.repeat(32), receivedAt: '2019-06-11T00:00:00.000Z', by: 'district:dh', version: 1, receiptNo: 'HJ20190611-AAAAAAAAAA' }),
      accepted({ orgId: 'dh', uploadId: 'b'.repeat(32), receivedAt: '2019-06-12T00:00:00.000Z', by: 'district:dh', version: 2, receiptNo: 'HJ20190612-BBBBBBBBBB' }),
      upload({ orgId: 'dh', uploadId: 'c'.repeat(32), document: 'crisis-plan', state: 'rejected', reason: 'TYPE_MISMATCH', receivedAt: '2019-06-13T00:00:00.000Z', by: 'district:dh' }),
    ];
    for (const u of mine) put(uploadItem(u));
    for (const x of summariesOf(mine)) put(summaryItem(x));
    const r = await get('GET /api/plans', orgs.dh);
    expect(r.statusCode).toBe(200);
    const body = JSON.parse(r.body ?? '') as {
      rows: { orgId: string; documents: { document: string; versions: number; history: { version: number; uploadId: string; receiptNo: string }[]; rejections: unknown[] }[] }[];
    };
    expect(body.rows.map((x) => x.orgId)).toEqual(['dh']);
    const [plan, crisis] = body.rows[0]?.documents ?? [];
    expect(plan?.versions).toBe(2);
    expect(plan?.history.map((h) => [h.version, h.uploadId, h.receiptNo])).toEqual([
      [1, 'a'.repeat(32), 'HJ20190611-AAAAAAAAAA'],
      [2, 'b'.repeat(32), 'HJ20190612-BBBBBBBBBB'],
    ]);
    expect(crisis?.history).toEqual([]);
    expect(crisis?.rejections).toHaveLength(1);
    // dh-school-1's attempts share the "UPLOAD#dh" prefix, not "UPLOAD#dh#": none of them shows up
    expect(r.body).not.toContain(UPLOAD_ID);
    expect(r.body).not.toContain('f'.repeat(32));

    const attempts = {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: marshall({ ':pk': PK, ':p': 'UPLOAD#dh#' }),
    };
    expect(statusQueries()).toEqual([
      { ...attempts, ExclusiveStartKey: undefined },
      { ...attempts, ExclusiveStartKey: marshall({ pk: PK, sk: DOC_SK('dh', 'service-plan', 'a'.repeat(32)) }) },
    ]);
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: marshall({ pk: PK, sk: 'STATUS#dh' }), ConsistentRead: true });
    expect(getKeys().sort()).toEqual([`${PK}|CAMPAIGN`, `${PK}|STATUS#dh`, 'ORG#centre|ORG', 'ORG#dh|ORG']); // session, own status, receiver (a District office has no District)
    expect(ddb).not.toHaveReceivedCommand(BatchGetItemCommand);
  });

  it('an unknown format or query parameter → 400 VALIDATION in Chinese; no cookie → 401', async () => {
    const queries: Record<string, string>[] = [{ format: 'xlsx' }, { format: 'csv', org: 'xh' }];
    for (const q of queries) {
      const r = await get('GET /api/status', orgs.dh, q);
      expect(r.statusCode).toBe(400);
      const e = (JSON.parse(r.body ?? '') as { error: { code: string; message: string } }).error;
      expect(e.code).toBe('VALIDATION');
      expect(e.message).toMatch(HAN);
    }
    const none = await statusHandler(httpEvent('GET /api/status'));
    expect(none.statusCode).toBe(401);
  });
  it('a school session on the GET /status page → 403 HTML page in Chinese, nothing queried', async () => {
    const r = await statusHandler(httpEvent('GET /status', { cookies: [await sessionCookie(orgs.dhSchool1)] }));
    expect(r.statusCode).toBe(403);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.body).toContain('<html lang="zh-CN">');
    expect(r.body).toContain('<title>没有权限</title>');
    expect(r.body).toContain('您没有查看该内容的权限。');
    expect(r.body).not.toContain('错误代码');
    // Nothing of the status was read: the only Query is the error page's contact lookup (the campaign list).
    expect(ddb.commandCalls(QueryCommand).filter((c) => !isCampaignList(c.args[0].input))).toEqual([]);
  });

  it('a District on the GET /status page gets its jurisdiction as an HTML page', async () => {
    const r = await statusHandler(httpEvent('GET /status', { cookies: [await sessionCookie(orgs.dh)] }));
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<tr data-org="dh-school-1">');
    expect(r.body).toContain('<tr data-org="dh-school-2">');
    expect(r.body).not.toContain('data-org="xh');
    expect(r.body).not.toContain('data-org="direct-1"');
    // each cell from the org's own status item
    const row = (org: string) => [...(r.body ?? '').matchAll(/<tr data-org="([^"]+)">(.*?)<\/tr>/gs)].find((m) => m[1] === org)?.[2];
    expect([...(row('dh-school-1') ?? '').matchAll(/data-state="(\w+)"/g)].map((m) => m[1])).toEqual(['uploaded', 'uploaded']);
    expect([...(row('dh-school-2') ?? '').matchAll(/data-state="(\w+)"/g)].map((m) => m[1])).toEqual(['missing', 'missing']);
    expect(sortedJson(statusQueries().map((q) => q.ExpressionAttributeValues))).toEqual(
      sortedJson([marshall({ ':p': 'ORGS', ':r': 'D#dh#' }), marshall({ ':p': 'ORGS', ':r': 'D#dh#' }), marshall({ ':p': 'STATUS#2019-plans', ':r': 'D#dh#' })]),
    );
    expect(ddb).not.toHaveReceivedCommand(BatchGetItemCommand);
  });

  it('no session on the GET /status page → 401 HTML page in Chinese', async () => {
    const r = await statusHandler(httpEvent('GET /status'));
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('请通过邮件中的链接进入本页面。');
  });

});



// ==================================================================================== web

// ==================================================================================== files (downloads)

describe('files handler: every download granted is appended to the audit trail, a refused one is not', () => {
  const accepted = (over: Partial<Upload>) =>
    upload({ state: 'accepted', late: false, size: 1000, sha256: 'ab'.repeat(32), receivedAt: '2019-06-15T00:00:00.000Z', version: 1, acceptedKey: `accepted/2019-plans/dh-school-1/service-plan/${UPLOAD_ID}.pdf`, ...over });
  const v1 = accepted({});
  /** Another District's school: outside dh's scope. */
  const other = accepted({ orgId: 'xh-school-1', uploadId: 'e'.repeat(32), by: 'school:xh-school-1', acceptedKey: `accepted/2019-plans/xh-school-1/service-plan/${'e'.repeat(32)}.pdf` });
  let filesHandler: HttpHandler;
  beforeEach(() => {
    filesHandler = withContext(rawHandlers.files);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const u of [v1, other]) put(uploadItem(u));
    for (const x of summariesOf([v1, other])) put(summaryItem(x));
  });
  const get = async (routeKey: string, who: Org, over: Partial<APIGatewayProxyEventV2> = {}) => filesHandler(httpEvent(routeKey, { cookies: [await sessionCookie(who)], ...over }));
  const file = (org: string, document: string, version: string) => ({ pathParameters: { org, document, version } });
  const auditPuts = () => inputs(ddb.commandCalls(PutItemCommand)).filter((i) => i.TableName === AUDIT_TABLE);
  const auditItem = (i: PutItemCommandInput) => unmarshall(i.Item ?? {});

  it('one version, saved by the school: a 302 and one file.downloaded by school:<org> (PutItem on the audit table, attribute_not_exists), at domain now', async () => {
    const r = await get('GET /files/{org}/{document}/{version}', orgs.dhSchool1, file('dh-school-1', 'service-plan', '1'));
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toMatch(/^https:\/\/psy-bucket\.s3\./);
    const puts = auditPuts();
    expect(puts).toHaveLength(1);
    expect(puts[0]?.ConditionExpression).toBe('attribute_not_exists(pk)');
    const e = auditItem(puts[0]!);
    expect(e).toEqual({
      pk: 'AUDIT#2019-plans',
      sk: `${NOW}#dh-school-1#${e.id}`,
      gsi1pk: 'AUDIT#2019-plans#dh-school-1',
      gsi1sk: `${NOW}#${e.id}`,
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      at: NOW,
      id: expect.stringMatching(/^download#[0-9a-f]{16}$/),
      action: 'file.downloaded',
      actor: 'school:dh-school-1',
      actorName: '东湖区第一小学',
      document: 'service-plan',
      version: 1,
      note: '下载',
    });
    // Nothing else is written by a download.
    expect(inputs(ddb.commandCalls(PutItemCommand))).toHaveLength(1);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('opened (?open=1) by its District office: the file’s org, the District as actor, 打开; each request its own id', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await get('GET /files/{org}/{document}/{version}', orgs.dh, { ...file('dh-school-1', 'service-plan', '1'), queryStringParameters: { open: '1' } });
      expect(r.statusCode).toBe(302);
    }
    const events = auditPuts().map(auditItem);
    expect(events).toHaveLength(2);
    for (const e of events) expect(e).toMatchObject({ orgId: 'dh-school-1', actor: 'district:dh', actorName: '东湖区教科体局', action: 'file.downloaded', version: 1, note: '打开' });
    expect(events[0]?.id).not.toBe(events[1]?.id);
  });

  it.each<[string, Org, ReturnType<typeof file>]>([
    ['a version that does not exist', orgs.dhSchool1, file('dh-school-1', 'service-plan', '2')],
    ['another District’s school', orgs.dh, file('xh-school-1', 'service-plan', '1')],
    ['another school', orgs.dhSchool1, file('xh-school-1', 'service-plan', '1')],
    ['a document the campaign has not', orgs.dhSchool1, file('dh-school-1', 'no-such-doc', '1')],
  ])('%s: a 404 and nothing appended', async (_what, who, params) => {
    const r = await get('GET /files/{org}/{document}/{version}', who, params);
    expect(r.statusCode).toBe(404);
    expect(r.headers.location).toBeUndefined();
    expect(auditPuts()).toEqual([]);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('no session: a 401 and nothing appended', async () => {
    const r = await filesHandler(httpEvent('GET /files/{org}/{document}/{version}', file('dh-school-1', 'service-plan', '1')));
    expect(r.statusCode).toBe(401);
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
  });

  it('the trail cannot be written: no URL is given (a 5xx), so no download goes unrecorded', async () => {
    ddb.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const r = await get('GET /files/{org}/{document}/{version}', orgs.dhSchool1, file('dh-school-1', 'service-plan', '1'));
    expect(r.statusCode).toBe(500);
    expect(r.headers.location).toBeUndefined();
    expect(r.body ?? '').not.toContain('X-Amz-Signature');
  });

  it('the zip, when built: its URL and one zip.downloaded by the session, about its own org, with the scope and the number of files', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1 });
    const r = await get('GET /api/exports', orgs.dh);
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body ?? '{}')).toMatchObject({ state: 'ready', files: 1 });
    const events = auditPuts().map(auditItem);
    expect(events).toEqual([
      expect.objectContaining({
        campaignId: '2019-plans',
        orgId: 'dh',
        at: NOW,
        id: expect.stringMatching(/^download#[0-9a-f]{16}$/),
        action: 'zip.downloaded',
        actor: 'district:dh',
        actorName: '东湖区教科体局',
        after: { scope: '东湖区教科体局', files: 1 },
      }),
    ]);
    expect(events[0]?.document).toBeUndefined();
    // The Bureau's (the city's) zip, through the page's redirect.
    const city = await get('GET /files/zip', orgs.bureau);
    expect(city.statusCode).toBe(302);
    expect(auditPuts().map(auditItem).at(-1)).toMatchObject({ orgId: 'bureau', actor: 'city:bureau', after: { scope: '全市', files: 2 } });
  });

  it('the zip still being built: no URL, nothing appended (the request for it is written to S3 only)', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    s3.on(PutObjectCommand).resolves({});
    const r = await get('GET /api/exports', orgs.dh);
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body ?? '{}')).toMatchObject({ state: 'building' });
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
  });
});

describe('web handler (pages)', () => {
  it('GET /l/{token} swaps the link for an HttpOnly, Secure session cookie and a clean redirect', async () => {
    const link = await signer.link(grant(orgs.dhSchool1), 60);
    const r = await webHandler(httpEvent('GET /l/{token}', { pathParameters: { token: link } }));
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toBe('/upload');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.cookies).toHaveLength(1);
    const m = /^psy_session=([^;]+); Path=\/; Max-Age=7200; HttpOnly; SameSite=Lax; Secure$/.exec(r.cookies?.[0] ?? '');
    expect(m).not.toBeNull();
    expect(await signer.verify(m?.[1] ?? '', 'session')).toEqual(grant(orgs.dhSchool1));
    const city = await webHandler(httpEvent('GET /l/{token}', { pathParameters: { token: await signer.link(grant(orgs.bureau), 60) } }));
    expect(city.headers.location).toBe('/status');
  });

  it('a bad link → 401 HTML page in Chinese with no cookie set', async () => {
    const r = await webHandler(httpEvent('GET /l/{token}', { pathParameters: { token: 'garbage' } }));
    expect(r.statusCode).toBe(401);
    expect(r.cookies).toBeUndefined();
    expect(r.body).toContain('<title>无法打开页面</title>');
    expect(r.body).toContain('链接无效，请确认复制完整');
  });
});

// ==================================================================================== the middy chain (httpRoute)

describe('every HTTP handler runs the middy chain', () => {
  const validBody = { document: 'service-plan', fileName: '实施方案.pdf', size: 123_456 };
  const uploadEvent = async (over: Partial<APIGatewayProxyEventV2> = {}) =>
    httpEvent('POST /api/uploads', {
      headers: { 'content-type': 'application/json', origin: SITE },
      cookies: [await sessionCookie(orgs.dhSchool1)],
      body: JSON.stringify(validBody),
      ...over,
    });
  const lowerCaseOnly = (headers: Record<string, string>) => expect(Object.keys(headers).filter((k) => k !== k.toLowerCase())).toEqual([]);


  it('security headers on every kind of response, one spelling each; pages keep their own CSP', async () => {
    const api = await createUploadHandler(await uploadEvent());
    const page = await webHandler(httpEvent('GET /'));
    const hop = await webHandler(httpEvent('GET /l/{token}', { pathParameters: { token: await signer.link(grant(orgs.dhSchool1), 60) } }));
    const asset = await withContext(rawHandlers.files)(httpEvent('GET /assets/app.js'));
    const errorPage = await statusHandler(httpEvent('GET /status'));
    expect([api.statusCode, page.statusCode, hop.statusCode, asset.statusCode, errorPage.statusCode]).toEqual([201, 200, 302, 200, 401]);
    for (const r of [api, page, hop, asset, errorPage]) {
      lowerCaseOnly(r.headers);
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['strict-transport-security']).toBe('max-age=15552000');
      expect(Object.values(r.headers).every((v) => typeof v === 'string' && v !== '')).toBe(true);
    }
    for (const r of [api, page, hop, errorPage]) expect(r.headers['cache-control']).toBe('no-store');
    expect(asset.headers['cache-control']).toBe('public, max-age=300');
    for (const r of [page, errorPage]) {
      expect(r.headers['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self';.*frame-ancestors 'none'/);
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
    expect(api.headers['content-security-policy']).toBeUndefined();
    expect(api.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(api.headers['x-frame-options']).toBeUndefined();
    expect(api.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('request header names in any case are understood (http-header-normalizer)', async () => {
    const r = await createUploadHandler(await uploadEvent({ headers: { 'Content-Type': 'application/json; charset=UTF-8', Origin: SITE } }));
    expect(r.statusCode).toBe(201);
    const evil = await createUploadHandler(await uploadEvent({ headers: { 'Content-Type': 'application/json', ORIGIN: 'https://evil.example.com' } }));
    expect(evil.statusCode).toBe(403);
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('a base64-encoded JSON body is parsed like a plain one', async () => {
    const r = await createUploadHandler(await uploadEvent({ body: Buffer.from(JSON.stringify(validBody)).toString('base64'), isBase64Encoded: true }));
    expect(r.statusCode).toBe(201);
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
  });

  it('a handler about to run out of time answers 500 with the fallback only (middy reads the Lambda context)', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    ddb.on(GetItemCommand).callsFake(() => new Promise(() => undefined)); // DynamoDB never answers
    const r = await rawHandlers.createUpload(await uploadEvent(), lambdaContext(60));
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body ?? '')).toEqual(FALLBACK);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(ddb).not.toHaveReceivedCommand(PutItemCommand);
    expect(log).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toMatchObject({ level: 'ERROR', msg: 'unhandled', route: 'POST /api/uploads', error: expect.stringContaining('TimeoutError') });
  });

  it('an unexpected error on a page route → 500 Chinese page with the fallback only, logged as one JSON line naming the route, not the path', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    ddb.on(GetItemCommand).rejects(new Error('connect ECONNREFUSED 10.0.0.7:443 (internal detail)'));
    const link = await signer.link(grant(orgs.dhSchool1), 60);
    const r = await webHandler(httpEvent('GET /l/{token}', { rawPath: `/l/${link}`, pathParameters: { token: link } }));
    expect(r.statusCode).toBe(500);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('<title>服务暂时不可用</title>');
    expect(r.body).toContain(FALLBACK.error.message);
    expect(r.body).not.toContain('ECONNREFUSED');
    expect(r.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(r.body).not.toContain('错误代码');
    expect(r.cookies ?? []).toEqual([]);
    expect(log).toHaveBeenCalledTimes(1);
    const line = String(log.mock.calls[0]?.[0]);
    expect(JSON.parse(line)).toMatchObject({ level: 'ERROR', route: 'GET /l/{token}', requestId: 'aws-req-1', error: expect.stringContaining('ECONNREFUSED') });
    expect(line).not.toContain(link);
  });
});

// ==================================================================================== $default route

describe('web handler as the $default route (unknown path or method)', () => {
  const unknown = (method: string, path: string) =>
    webHandler(httpEvent('$default', { rawPath: path, requestContext: { ...httpEvent('$default').requestContext, http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' } } }));

  it('a page path → 404 Chinese page with CSP, no error code', async () => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/upload'], ['GET', '/l/'], ['GET', '/apix']] as const) {
      const r = await unknown(method, path);
      expect(r.statusCode, `${method} ${path}`).toBe(404);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
      expect(r.body).toContain('<html lang="zh-CN">');
      expect(r.body).toContain('<title>页面不存在</title>');
      expect(r.body).toContain('您访问的页面不存在');
      expect(r.body).not.toContain('错误代码');
      expect(r.body).not.toContain('Not Found');
    }
  });

  it('an /api path → 404 JSON NOT_FOUND in Chinese', async () => {
    for (const [method, path] of [['GET', '/api/nope'], ['GET', '/api/uploads'], ['DELETE', '/api/status'], ['GET', '/api']] as const) {
      const r = await unknown(method, path);
      expect(r.statusCode, `${method} ${path}`).toBe(404);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = JSON.parse(r.body ?? '') as { error: { code: string; message: string } };
      expect(body.error.code).toBe('NOT_FOUND');
      expect(body.error.message).toMatch(HAN);
    }
  });

  it('reads nothing but (at most) the contact for the page', async () => {
    await unknown('GET', '/nope');
    expect(ddb.commandCalls(GetItemCommand)).toEqual([]);
    expect(ddb.commandCalls(QueryCommand).filter((c) => !isCampaignList(c.args[0].input))).toEqual([]);
  });
});

// ==================================================================================== the Centre's phone on error pages

describe('error pages show the contact of the latest campaign', () => {
  // The lookup is cached per container on the real clock; each test starts later than every earlier one.
  let day = 0;
  const later = () => vi.setSystemTime(Date.parse(NOW) + ++day * 86_400_000);
  const older = { ...campaign, id: '2018-plans', deadline: '2018-06-30T15:59:59.999Z', contact: { name: '旧联系人', phone: '0791-00000000' } };
  const latest = { ...campaign, id: '2019-plans', contact: { name: '魏洪', phone: '0791-86612885' } };
  let campaignLists: number;
  beforeEach(() => {
    later();
    campaignLists = 0;
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      if (!isCampaignList(input)) return { Items: [] };
      campaignLists++;
      return { Items: [older, latest].map((c) => wire(campaignItem(c))) }; // ordered by deadline, as the index returns them
    });
  });
  const badLink = () => webHandler(httpEvent('GET /l/{token}', { pathParameters: { token: 'garbage' } }));

  it('a 401 page names the person and a tap-to-call phone, and no error code', async () => {
    const r = await badLink();
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('链接无效');
    expect(r.body).toContain('联系人：魏洪');
    expect(r.body).toContain('电话：<a href="tel:079186612885">0791-86612885</a>');
    expect(r.body).not.toContain('旧联系人');
    expect(r.body).not.toContain('错误代码');
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: marshall({ ':p': 'CAMPAIGNS' }),
    });
  });

  it('the status page route shows it too (403)', async () => {
    const r = await statusHandler(httpEvent('GET /status', { cookies: [await sessionCookie(orgs.dhSchool1)] }));
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('联系人：魏洪');
  });

  it('is looked up once per container for 5 minutes, then again', async () => {
    for (let i = 0; i < 3; i++) expect((await badLink()).body).toContain('魏洪');
    expect(campaignLists).toBe(1);
    vi.setSystemTime(Date.now() + 4 * 60_000);
    await badLink();
    expect(campaignLists).toBe(1);
    vi.setSystemTime(Date.now() + 2 * 60_000);
    await badLink();
    expect(campaignLists).toBe(2);
  });

  it('a failed lookup shows the generic line, keeps the status, and is not retried at once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    ddb.on(QueryCommand).callsFake(() => {
      campaignLists++;
      throw new Error('ProvisionedThroughputExceededException');
    });
    const r = await badLink();
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('如有疑问，请联系南昌市未成年人心理健康辅导中心。');
    expect(r.body).not.toContain('联系人：');
    expect(warn).toHaveBeenCalled();
    const tries = campaignLists;
    await badLink();
    expect(campaignLists).toBe(tries);
  });

  it('no campaign yet: the generic line', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const r = await badLink();
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('如有疑问，请联系南昌市未成年人心理健康辅导中心。');
  });
});
