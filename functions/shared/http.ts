import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { AppError, badRequest } from './errors.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> };

/** Headers on every response: no referrer (capability links), no sniffing, no caching of personal pages. */
const BASE_HEADERS = {
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode: status,
  headers: { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

export const text = (status: number, body: string, contentType: string, headers: Record<string, string> = {}): HttpResult => ({
  statusCode: status,
  headers: { ...BASE_HEADERS, 'content-type': contentType, ...headers },
  body,
});

export const redirect = (location: string, cookies: string[] = []): HttpResult => ({
  statusCode: 302,
  headers: { ...BASE_HEADERS, location },
  cookies,
});

export const errorBody = (e: AppError) => ({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });

const FALLBACK = { error: { code: 'INTERNAL', message: '服务暂时不可用，请稍后再试；如持续出现，请联系市未成年人心理健康辅导中心。' } };

/**
 * Wraps a request handler: an AppError becomes its 4xx with code and zh-CN message; anything else is
 * logged and answered with a 500 that carries only the fallback message.
 */
export function httpHandler(
  fn: (event: HttpEvent) => Promise<HttpResult>,
  renderError: (status: number, body: { error: { code: string; message: string } }) => HttpResult = (s, b) => json(s, b),
) {
  return async (event: HttpEvent): Promise<HttpResult> => {
    try {
      return await fn(event);
    } catch (e) {
      if (e instanceof AppError) return renderError(e.status, errorBody(e));
      console.error(JSON.stringify({ level: 'ERROR', msg: 'unhandled', route: event.routeKey, error: String(e), stack: (e as Error)?.stack }));
      return renderError(500, FALLBACK);
    }
  };
}

export const MAX_BODY_BYTES = 16 * 1024;

/** Parses and validates a JSON body; every failure is a 4xx with a code and a zh-CN message. */
export function jsonBody<S extends z.ZodMiniType>(event: HttpEvent, schema: S): z.infer<S> {
  const type = event.headers?.['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', '请求格式不正确（需要 JSON）。');
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new AppError(413, 'BODY_TOO_LARGE', '请求内容过大。');
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw badRequest('BAD_JSON', '请求内容不是有效的 JSON。');
  }
  return parseWith(schema, data);
}

/** Validates the query string against a strict schema. */
export function query<S extends z.ZodMiniType>(event: HttpEvent, schema: S): z.infer<S> {
  return parseWith(schema, { ...(event.queryStringParameters ?? {}) });
}

function parseWith<S extends z.ZodMiniType>(schema: S, data: unknown): z.infer<S> {
  const r = schema.safeParse(data, { reportInput: true });
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: zhIssue(i) }));
  const first = issues[0];
  throw badRequest('VALIDATION', first ? `${first.path ? `字段 ${first.path}：` : ''}${first.message}` : '请求内容无效。', issues);
}

/** zod's messages are English; ours are set in the schemas where they matter, the rest are said plainly here. */
function zhIssue(i: z.core.$ZodIssue): string {
  if (/[\u4e00-\u9fff]/.test(i.message)) return i.message;
  switch (i.code) {
    case 'invalid_type':
      return i.input === undefined ? '缺少必填项' : '类型不正确';
    case 'unrecognized_keys':
      return `不认识的字段：${i.keys.join('、')}`;
    case 'too_big':
      return '超出允许的范围';
    case 'too_small':
      return '低于允许的范围';
    case 'invalid_value':
      return '取值不在允许范围内';
    default:
      return '格式不正确';
  }
}

/** Reads a cookie from an HTTP API (payload 2.0) event. */
export function cookie(event: HttpEvent, name: string): string | undefined {
  const all = event.cookies ?? (event.headers?.cookie ? event.headers.cookie.split(/;\s*/) : []);
  for (const c of all) {
    const i = c.indexOf('=');
    if (i > 0 && c.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(c.slice(i + 1).trim());
      } catch {
        return undefined; // malformed percent-encoding: as if there were no cookie
      }
    }
  }
  return undefined;
}
