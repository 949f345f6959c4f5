import type { Campaign } from '../../schemas/campaigns.js';
import { type Contact, messagePage } from '../../web/pages.js';
import type { CampaignStore } from '../campaigns/store.js';
import { type ErrorPage, type HttpResult, text } from '../shared/http.js';

/** Pages load only our own script and talk only to our API and the S3 endpoint (the upload POST). */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  `connect-src 'self' ${process.env.AWS_ENDPOINT_URL_S3 ? new URL(process.env.AWS_ENDPOINT_URL_S3).origin : 'https://*.amazonaws.com https://*.amazonaws.com.cn'}`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const htmlPage = (status: number, body: string): HttpResult =>
  text(status, body, 'text/html; charset=utf-8', { 'content-security-policy': CSP });

const ERROR_TITLES: Record<number, string> = { 401: '无法打开页面', 403: '没有权限', 404: '页面不存在', 500: '服务暂时不可用' };

/** How long a container keeps the Centre's contact, and how long it waits before asking again after a failure. */
export const CONTACT_TTL_MS = 5 * 60_000;
export const CONTACT_RETRY_MS = 30_000;
/** An error page does not wait longer than this for the contact (the table may be what failed). */
export const CONTACT_TIMEOUT_MS = 2_000;

/**
 * The Centre's contact for error pages: the `contact` of the campaign with the latest deadline
 * (CampaignStore.list() is ordered by deadline). Looked up at most once per CONTACT_TTL_MS per container;
 * never throws — without it the page shows the generic line.
 */
export function contactLookup(campaigns: Pick<CampaignStore, 'list'>, now: () => number = () => Date.now()) {
  let cached: { value: Campaign['contact'] | undefined; until: number } | undefined;
  let inflight: Promise<Campaign['contact'] | undefined> | undefined;
  return async (): Promise<Contact | undefined> => {
    if (cached && now() < cached.until) return cached.value;
    inflight ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const timeout = new Promise<never>((_, fail) => {
          timer = setTimeout(() => fail(new Error('contact lookup timed out')), CONTACT_TIMEOUT_MS);
        });
        const list = await Promise.race([campaigns.list(), timeout]);
        const value = list.at(-1)?.contact;
        cached = { value, until: now() + CONTACT_TTL_MS };
        return value;
      } catch (e) {
        console.warn(JSON.stringify({ level: 'WARN', msg: 'error page without contact', error: String(e) }));
        cached = { value: undefined, until: now() + CONTACT_RETRY_MS };
        return undefined;
      } finally {
        clearTimeout(timer);
        inflight = undefined;
      }
    })();
    return inflight;
  };
}

/**
 * An error on a page route is a Chinese page with the same status, not JSON: the message, and whom to call
 * (no error code: a phone user cannot do anything with it).
 */
export function errorPage(campaigns: Pick<CampaignStore, 'list'>): ErrorPage {
  const contact = contactLookup(campaigns);
  return async (status, body) => htmlPage(status, messagePage(status, ERROR_TITLES[status] ?? '请求有误', body.error.message, await contact()));
}
