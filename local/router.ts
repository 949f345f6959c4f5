/**
 * Serves the route table (functions/routes.ts) over Node's HTTP server the way API Gateway's HTTP API
 * does: payload format 2.0 events in, structured results out, cookies as Set-Cookie.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { defaultRoute, type FunctionName, type FunctionSpec, functions, routes } from '../functions/routes.js';
import type { HttpResult } from '../functions/shared/http.js';
import { messagePage } from '../web/pages.js';

const ROOT = resolve(import.meta.dirname, '..');
/** API Gateway's own payload limit. */
const MAX_PAYLOAD = 10 * 1024 * 1024;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const compiled = routes.map((r) => {
  const names: string[] = [];
  const pattern = r.path.replace(/\{([a-zA-Z]+)\}/g, (_m, n: string) => {
    names.push(n);
    return '([^/]+)';
  });
  return { ...r, names, re: new RegExp(`^${pattern}$`) };
});

/** Like API Gateway: a parameter that isn't valid percent-encoding is passed on as it came. */
const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The matching route, or — like API Gateway — the `$default` route for any other method or path. */
function match(method: string, path: string): { routeKey: string; fn: FunctionName; params: Record<string, string> } {
  for (const r of compiled) {
    const m = r.method === method ? r.re.exec(path) : null;
    if (m) return { routeKey: `${r.method} ${r.path}`, fn: r.fn, params: Object.fromEntries(r.names.map((n, i) => [n, safeDecode(m[i + 1] as string)])) };
  }
  return { routeKey: defaultRoute.routeKey, fn: defaultRoute.fn, params: {} };
}

const STARTING = '正在启动，请稍候刷新';

/** Until every handler is imported: 503 with Retry-After, a Chinese page (or JSON under /api/). */
function starting(res: ServerResponse, path: string) {
  const common = { 'retry-after': '2', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' };
  if (/^\/api(\/|$)/.test(path)) {
    res.writeHead(503, { ...common, 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: { code: 'STARTING', message: `${STARTING}。` } }));
    return;
  }
  res.writeHead(503, { ...common, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
  res.end(messagePage(503, STARTING, '本地服务正在启动，几秒钟后刷新本页即可。'));
}

/** A Lambda context as the runtime gives it: the remaining time counts down from the function's timeout. */
export const lambdaContext = (name: FunctionName): Context => {
  const spec: FunctionSpec = functions[name];
  const deadline = Date.now() + (spec.timeoutSeconds ?? 10) * 1000;
  return {
    functionName: name,
    functionVersion: '$LATEST',
    awsRequestId: randomUUID(),
    memoryLimitInMB: String(spec.memoryMb ?? 512),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  } as unknown as Context;
};

export async function startRouter() {
  const handlers = new Map<FunctionName, Handler>();
  let ready = false;
  const invoke = async (fn: FunctionName, event: unknown) => {
    const h = handlers.get(fn);
    if (!h) throw new Error(`function ${fn} not loaded`);
    return h(event, lambdaContext(fn));
  };

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    if (!ready) {
      req.resume();
      starting(res, url.pathname);
      return;
    }
    const found = match(method, url.pathname);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_PAYLOAD) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' }));
        return;
      }
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'cookie') headers[k] = Array.isArray(v) ? v.join(',') : v;
    const textual = /^(application\/(json|x-www-form-urlencoded)|text\/)/i.test(headers['content-type'] ?? '');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: found.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      cookies: req.headers.cookie ? req.headers.cookie.split(/;\s*/) : undefined,
      queryStringParameters: url.search ? query : undefined,
      pathParameters: Object.keys(found.params).length ? found.params : undefined,
      body: body.length ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
      isBase64Encoded: body.length > 0 && !textual,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: headers.host ?? '127.0.0.1',
        domainPrefix: 'local',
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
        requestId: randomUUID(),
        routeKey: found.routeKey,
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
    };
    let result: HttpResult;
    try {
      result = (await invoke(found.fn, event)) as HttpResult;
    } catch (e) {
      // In the cloud an unhandled error is API Gateway's 500 "Internal Server Error".
      console.error(`[${found.fn}]`, e);
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
      return;
    }
    const out: Record<string, string | string[]> = { ...(result.headers ?? {}) };
    if (result.cookies?.length) out['set-cookie'] = result.cookies;
    res.writeHead(result.statusCode ?? 200, out);
    res.end(result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((e) => {
      console.error('[router]', e);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  return {
    server,
    invoke,
    /** Imports every handler (after the environment is set). */
    async load() {
      for (const [name, spec] of Object.entries(functions) as [FunctionName, (typeof functions)[FunctionName]][]) {
        const mod = (await import(resolve(ROOT, spec.entry))) as { handler: Handler };
        handlers.set(name, mod.handler);
      }
      ready = true;
    },
  };
}
