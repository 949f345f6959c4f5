import { contactErrorPage } from '../../web/contacts/pages.js';
import { type ErrorPage, type HttpResult, text } from '../shared/http.js';

/**
 * The contact-log pages' policy, stricter than the plan pages': no script at all (the pages work without one),
 * no connections, images (the completeness pictures) and forms on this site only, never framed.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const contactPage = (status: number, body: string): HttpResult => text(status, body, 'text/html; charset=utf-8', { 'content-security-policy': CSP });

/** An error on a contact-log page route: the Chinese page with its reason (web/contacts/pages.ts contactErrorPage). */
export const contactError: ErrorPage = (status, body) => contactPage(status, contactErrorPage(status, body.error.message));
/** The same for the pages of an org's session (the roster, the completeness pages): whom to ask is the Centre. */
export const orgError: ErrorPage = (status, body) => contactPage(status, contactErrorPage(status, body.error.message, true));
