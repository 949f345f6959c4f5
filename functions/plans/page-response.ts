import { messagePage } from '../../web/pages.js';
import { type HttpResult, text } from '../shared/http.js';

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

/** An error on a page route is a Chinese page with the same status, not JSON. */
export const htmlError = (status: number, body: { error: { code: string; message: string } }) =>
  htmlPage(status, messagePage(status, ERROR_TITLES[status] ?? '请求有误', body.error.message));
