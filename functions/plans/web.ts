import { readEnv } from '../shared/env.js';
import { notFound } from '../shared/errors.js';
import { cookie, type HttpEvent, httpRoute, redirect, text } from '../shared/http.js';
import { SESSION_COOKIE, SESSION_TTL_SECONDS } from '../shared/tokens.js';
import { messagePage, uploadPage } from '../../web/pages.js';
import { errorPage, htmlPage } from './page-response.js';
import { plansDeps } from './deps.js';
import { routingOf } from './routing.js';
import { authenticate, openLink, ownStatus } from './service.js';

const env = readEnv();
const deps = plansDeps(env);
const secure = new URL(env.SITE_ORIGIN).protocol === 'https:';

const sessionCookie = (token: string) =>
  `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${SESSION_TTL_SECONDS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

/** /api and /api/… are the JSON API: errors there are JSON, everywhere else a page. */
const isApiPath = (event: HttpEvent) => /^\/api(\/|$)/.test(event.rawPath ?? event.requestContext?.http?.path ?? '');

/**
 * Pages: the link exchange, the landing and upload pages, the client script — and the HTTP API's `$default`
 * route (every request no other route matches): a Chinese 404 page, or a JSON 404 under /api/.
 */
export const handler = httpRoute(
  async (event) => {
    switch (event.routeKey) {
      case 'GET /l/{token}': {
        const { session, role } = await openLink(deps, event.pathParameters?.token ?? '');
        // The token leaves the address bar at once: the clean URL carries nothing secret.
        return redirect(role === 'city' ? '/status' : '/upload', [sessionCookie(session)]);
      }
      case 'GET /upload': {
        const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
        if (s.grant.role === 'city') return redirect('/status');
        const own = await ownStatus(deps, s, true);
        const routing = routingOf(own.org, own.campaign, own.receiver, own.district);
        return htmlPage(200, uploadPage({ ...own, routing }, deps.clock.now(), s.grant.role === 'district'));
      }
      case 'GET /': {
        const token = cookie(event, SESSION_COOKIE);
        const s = token ? await authenticate(deps, token).catch(() => undefined) : undefined;
        if (s) return redirect(s.grant.role === 'city' ? '/status' : '/upload');
        return htmlPage(200, messagePage(200, '请通过邮件中的链接进入', '本系统用于接收各县区和学校的报送材料。请点击市未成年人心理健康辅导中心发给您单位的邮件中的链接。'));
      }
      default: // '$default'
        throw isApiPath(event as HttpEvent)
          ? notFound('NOT_FOUND', '没有这个接口，请从报送页面操作。')
          : notFound('NOT_FOUND', '您访问的页面不存在。请通过邮件中的链接进入报送页面。');
    }
  },
  { errors: (event) => (isApiPath(event) ? 'json' : 'page'), page: errorPage(deps.campaigns) },
);
