/**
 * Every HTTP handler is `httpRoute(handler, options)`: a middy (@middy/core) handler with the official
 * middlewares where they fit and two small ones of ours.
 *
 *   before   @middy/http-header-normalizer   request header names in lower case
 *            jsonBody(Schema) (option `body`)  415 / 413 / 400 BAD_JSON around @middy/http-json-body-parser, then zod
 *   onError  errorResponse                     AppError → its 4xx; anything else → logged (JSON), 500 fallback only
 *   after    responseHeaders                   security headers (below), header names in lower case, Cache-Control: no-store by default
 *
 * Errors: @middy/http-error-handler is not in the chain. It turns an error with a `statusCode` into a response
 * whose body is the bare message (text/plain) and cannot render a page; we need `{error:{code,message}}` for
 * the API and a Chinese page for page routes. So AppError carries middy's `statusCode`/`expose` (errors.ts) and
 * `errorResponse` below formats our body, with http-error-handler's rule: only an exposed 4xx shows its
 * message, every other error is a 500 with the fallback message and nothing else.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { AppError, badRequest } from './errors.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> };
/** What every HTTP entry exports as `handler`. */
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode: status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

export const text = (status: number, body: string, contentType: string, headers: Record<string, string> = {}): HttpResult => ({
  statusCode: status,
  headers: { 'content-type': contentType, ...headers },
  body,
});

export const redirect = (location: string, cookies: string[] = []): HttpResult => ({ statusCode: 302, headers: { location }, cookies });

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export const FALLBACK: ErrorBody = { error: { code: 'INTERNAL', message: '服务暂时不可用，请稍后再试；如持续出现，请联系市未成年人心理健康辅导中心。' } };

/** Renders an error as a page (functions/plans/page-response.ts); must not throw. */
export type ErrorPage = (status: number, body: ErrorBody, event: HttpEvent) => HttpResult | Promise<HttpResult>;
export type ErrorFormat = 'json' | 'page';

/** A JSON body middleware made by `jsonBody(schema)`; the type parameter is the parsed body the handler gets. */
export interface BodyParser<B> extends middy.MiddlewareObj<HttpEvent, HttpResult> {
  readonly parses?: (body: B) => void;
}

export type RouteOptions<B> = {
  /** `jsonBody(Schema)`: the body must be `application/json`, ≤ 16 KB and valid; the handler gets it parsed. */
  body?: BodyParser<B>;
} & (
  | { errors: 'json' }
  | {
      /** Per request when a function (one Lambda serving pages and JSON). */
      errors: ErrorFormat | ((event: HttpEvent) => ErrorFormat);
      page: ErrorPage;
    }
);

/** The event as the handler sees it: with `body: jsonBody(Schema)`, `body` is the parsed and validated body. */
export type RouteEvent<B> = Omit<HttpEvent, 'body'> & { body: B };

/**
 * An HTTP handler with the project's middleware chain (see the top of this file):
 *
 *   export const handler = httpRoute(async (event) => json(201, await doIt(deps, event.body)), { errors: 'json', body: jsonBody(DoItBody) });
 *   export const handler = httpRoute(async (event) => htmlPage(200, …), { errors: 'page', page: errorPage(deps.campaigns) });
 */
export function httpRoute<B = string | undefined>(
  handler: (event: RouteEvent<B>, context: Context) => Promise<HttpResult>,
  options: RouteOptions<B>,
): HttpHandler {
  const chain = middy(handler as unknown as (event: HttpEvent, context: Context) => Promise<HttpResult>)
    .use(httpHeaderNormalizer())
    .use(responseHeaders)
    .use(errorResponse(options));
  // Only handlers that take a body import the parser (jsonBody): the others' bundles stay without it.
  if (options.body) chain.use(options.body);
  return chain as unknown as HttpHandler;
}

// ── Response headers ──────────────────────────────────────────────────────────────────────────────

/**
 * The security headers, as @middy/http-security-headers wrote them with our options (no-referrer for the
 * capability links, nosniff, HSTS without preload; on pages also frame denial and COOP/CORP; no CSP — pages send
 * their own, page-response.ts). They are constants: the middleware spent 4.3 KB of every bundle computing them
 * (test/unit/handlers.test.ts pins the set).
 */
const SECURITY_HEADERS: Record<string, string> = {
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
};
const PAGE_HEADERS: Record<string, string> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/**
 * Runs last: one spelling per header (lower case, as HTTP/2 sends them; our builders and middy's middlewares
 * differ in case), no empty values, and `Cache-Control: no-store` unless the handler chose (personal pages).
 */
const responseHeaders: middy.MiddlewareObj<HttpEvent, HttpResult> = {
  after: (request) => tidyHeaders(request.response),
  onError: (request) => tidyHeaders(request.response),
};

function tidyHeaders(response: HttpResult | null | undefined) {
  if (!response) return;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers ?? {})) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  Object.assign(out, SECURITY_HEADERS, /^text\/html/i.test(out['content-type'] ?? '') ? PAGE_HEADERS : {});
  out['cache-control'] ??= 'no-store';
  response.headers = out;
}

// ── Errors ────────────────────────────────────────────────────────────────────────────────────────

export const errorBody = (e: AppError): ErrorBody => ({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });

function errorResponse(options: RouteOptions<never>): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const e = request.error;
      let status: number;
      let body: ErrorBody;
      if (e instanceof AppError && e.expose) {
        status = e.statusCode;
        body = errorBody(e);
      } else {
        // The log line names the route key, never the path (capability tokens travel in paths).
        console.error(
          JSON.stringify({
            level: 'ERROR',
            msg: 'unhandled',
            route: request.event.routeKey,
            requestId: request.context.awsRequestId,
            error: String(e),
            stack: (e as Error | null)?.stack,
          }),
        );
        status = 500;
        body = FALLBACK;
      }
      const format = options.errors === 'json' ? 'json' : typeof options.errors === 'function' ? options.errors(request.event) : options.errors;
      request.response = format === 'page' && 'page' in options ? await options.page(status, body, request.event) : json(status, body);
    },
  };
}

// ── JSON bodies ───────────────────────────────────────────────────────────────────────────────────

export const MAX_BODY_BYTES = 16 * 1024;
const JSON_TYPE = /^application\/json\b/i;
/**
 * Before the handler: content type, size, JSON (middy's parser, base64 aware; we check the content type
 * ourselves, to answer in Chinese), then the zod schema — each failure a 4xx with a code and a zh-CN message.
 */
export function jsonBody<S extends z.ZodMiniType>(schema: S): BodyParser<z.infer<S>> {
  const parse = httpJsonBodyParser({ disableContentTypeCheck: true } as Parameters<typeof httpJsonBodyParser>[0]).before!;
  return {
    before: async (request) => {
      const { headers, body, isBase64Encoded } = request.event;
      if (!JSON_TYPE.test(headers?.['content-type'] ?? '')) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', '请求格式不正确（需要 JSON）。');
      const bytes = body === undefined ? 0 : isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body);
      if (bytes > MAX_BODY_BYTES) throw new AppError(413, 'BODY_TOO_LARGE', '请求内容过大。');
      try {
        await parse(request as Parameters<typeof parse>[0]);
      } catch {
        throw badRequest('BAD_JSON', '请求内容不是有效的 JSON。');
      }
      (request.event as RouteEvent<unknown>).body = parseWith(schema, request.event.body);
    },
  };
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;
/**
 * The body of a route that a page's `<form method="post">` and a JSON client both call: urlencoded fields
 * (read with the platform's URLSearchParams; `fromForm` shapes them as the JSON body would be; an empty field
 * counts as absent, a field given twice is refused) or JSON — the same content-type, size and schema rules as
 * `jsonBody`, the same Chinese errors. Both read with built-ins: @middy/http-urlencode-body-parser and
 * @middy/http-json-body-parser together would add @middy/util (1.7 KB) to bundles that sit at their budget.
 */
export function formOrJsonBody<S extends z.ZodMiniType>(
  /** The body's schema, or one chosen from the data (a route whose bodies differ by `action`: no union schema to bundle). */
  schema: S | ((data: unknown) => S),
  fromForm: (fields: Record<string, string>) => unknown = (f) => f,
  /** A larger limit for a route that takes pasted text (the roster's CSV: a form percent-encodes a Chinese character as 9 bytes). */
  opts: { maxBytes?: number } = {},
): BodyParser<z.infer<S>> {
  const maxBytes = opts.maxBytes ?? MAX_BODY_BYTES;
  return {
    before: async (request) => {
      // A function that also serves pages: a GET has no body to parse.
      if (request.event.requestContext?.http?.method === 'GET') return;
      const { headers, body, isBase64Encoded } = request.event;
      const type = headers?.['content-type'] ?? '';
      const form = FORM_TYPE.test(type);
      if (!form && !JSON_TYPE.test(type)) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', '请求格式不正确（需要 JSON 或表单）。');
      const raw = body === undefined ? '' : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
      if (Buffer.byteLength(raw) > maxBytes) throw new AppError(413, 'BODY_TOO_LARGE', '请求内容过大。');
      let data: unknown;
      if (form) {
        const fields: Record<string, string> = {};
        const seen = new Set<string>();
        for (const [k, v] of new URLSearchParams(raw)) {
          if (seen.has(k)) throw badRequest('BAD_FORM', '表单内容无效，请返回页面重新提交。');
          seen.add(k);
          if (v !== '') fields[k] = v;
        }
        data = fromForm(fields);
      } else {
        try {
          data = JSON.parse(raw);
        } catch {
          throw badRequest('BAD_JSON', '请求内容不是有效的 JSON。');
        }
      }
      // The data stays on the event while the schema checks it (an error page may name the org and document).
      (request.event as RouteEvent<unknown>).body = data;
      (request.event as RouteEvent<unknown>).body = parseWith(typeof schema === 'function' ? schema(data) : schema, data);
    },
  };
}

/**
 * The schema of a body chosen by its `action` (own keys only: an action named `constructor` or `__proto__` is
 * unknown), or `unknown` — a schema of the `action` field alone, so that its error names the field. For a route
 * whose bodies differ by action: a union schema would bring zod's union code into the bundle for this one choice.
 */
export function byAction<M extends Record<string, z.ZodMiniType>>(schemas: M, unknown: z.ZodMiniType): (data: unknown) => M[keyof M] {
  return (data) => {
    const action = (data as { action?: unknown } | null)?.action;
    return (typeof action === 'string' && Object.hasOwn(schemas, action) ? schemas[action] : unknown) as M[keyof M];
  };
}

/**
 * A form or JSON post from another site is refused (CROSS_SITE). The session cookie is SameSite=Lax, so a
 * browser does not send it there anyway; this also covers one that ignores SameSite. `origin`: SITE_ORIGIN's.
 */
export function sameOrigin(event: Pick<HttpEvent, 'headers'>, origin: string) {
  const from = event.headers?.origin;
  if (from && from !== 'null' && from !== origin) throw new AppError(403, 'CROSS_SITE', '请在本系统的页面上操作。');
}

/** Validates the query string against a strict schema. */
export function query<S extends z.ZodMiniType>(event: Pick<HttpEvent, 'queryStringParameters'>, schema: S): z.infer<S> {
  return parseWith(schema, { ...(event.queryStringParameters ?? {}) });
}

/** Validates data against a schema: a 400 VALIDATION with a zh-CN message (what `jsonBody` and `query` do). */
export function parseWith<S extends z.ZodMiniType>(schema: S, data: unknown): z.infer<S> {
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

// ── Cookies ───────────────────────────────────────────────────────────────────────────────────────

/** Reads a cookie from an HTTP API (payload 2.0) event. */
export function cookie(event: Pick<HttpEvent, 'cookies' | 'headers'>, name: string): string | undefined {
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
