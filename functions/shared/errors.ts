/**
 * The one error a request can fail with on purpose: an HTTP status, a machine code and a plain zh-CN message.
 *
 * It follows middy's HTTP error convention (`statusCode`, `expose`, as @middy/util's createError makes them), so
 * every middy middleware treats it as an HTTP error: `expose` is true for a 4xx only, and a 5xx never shows its
 * message. functions/shared/http.ts formats it as `{error:{code,message}}` or as a page.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  /** middy's name for the status (http-error-handler and friends read this). */
  readonly statusCode: number;
  /** Whether the message may be shown to the caller: only for a 4xx. */
  readonly expose: boolean;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.statusCode = status;
    this.expose = status >= 400 && status < 500;
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details);
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);

export const Errors = {
  noSession: () => unauthorized('NO_SESSION', '请通过邮件中的链接进入本页面。'),
  sessionExpired: () => unauthorized('SESSION_EXPIRED', '登录已过期，请重新点击邮件中的链接。'),
  linkInvalid: () => unauthorized('LINK_INVALID', '链接无效，请确认复制完整，或联系市未成年人心理健康辅导中心重新发送。'),
  linkExpired: () => unauthorized('LINK_EXPIRED', '链接已过期，请联系市未成年人心理健康辅导中心重新发送。'),
  linkRevoked: () => unauthorized('LINK_REVOKED', '该链接已停用，请使用最新邮件中的链接。'),
  forbidden: () => forbidden('FORBIDDEN', '您没有查看该内容的权限。'),
};
