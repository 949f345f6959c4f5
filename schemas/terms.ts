import * as z from 'zod/mini';
import { OrgId } from './orgs.js';
import { EXEMPTION_KINDS } from './plans.js';

/**
 * Extensions, exemptions and a District's internal deadline for its schools (functions/terms/): the bodies of
 * POST /api/extensions, /api/exemptions, /api/schools-deadline (JSON) and of POST /terms (the page's forms:
 * the same fields as text, plus `what`). Dates are Beijing calendar days ("2019-07-05"): due by their end.
 * What a field must hold beyond its shape (a date after the deadline, a reason when setting) is checked by
 * functions/terms/rules.ts, with a code of its own.
 */

/** The longest reason the Bureau or a District may give. */
export const MAX_REASON_CHARS = 200;

const Reason = /* @__PURE__ */ z.optional(z.string().check(z.trim(), z.maxLength(MAX_REASON_CHARS, `原因不能超过 ${MAX_REASON_CHARS} 字`)));
const DueDate = /* @__PURE__ */ z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 2019-07-05')));
/** Set (grant or change) or revoke. */
const Action = /* @__PURE__ */ z.enum(['set', 'revoke']);

/** POST /api/extensions: the Bureau grants, changes or revokes an org's extension. */
export const ExtensionBody = /* @__PURE__ */ z.strictObject({ org: OrgId, action: Action, dueDate: DueDate, reason: Reason });
export type ExtensionBody = z.infer<typeof ExtensionBody>;

/** POST /api/exemptions: the Bureau (any org of the audience) or a District office (its own schools) exempts or revokes. */
export const ExemptionBody = /* @__PURE__ */ z.strictObject({ org: OrgId, action: Action, kind: z.optional(z.enum(EXEMPTION_KINDS)), reason: Reason });
export type ExemptionBody = z.infer<typeof ExemptionBody>;

/** POST /api/schools-deadline: a District office sets or removes its schools' internal deadline. */
export const SchoolsDeadlineBody = /* @__PURE__ */ z.strictObject({ action: Action, dueDate: DueDate });
export type SchoolsDeadlineBody = z.infer<typeof SchoolsDeadlineBody>;

/** What a form of the terms page changes (its hidden `what` field), and the JSON route of each. */
export const TERMS_WHAT = ['extension', 'exemption', 'schools-deadline'] as const;
export type TermsWhat = (typeof TERMS_WHAT)[number];
export const TERMS_BODY = { extension: ExtensionBody, exemption: ExemptionBody, 'schools-deadline': SchoolsDeadlineBody } as const;
export type TermsBody = ExtensionBody | ExemptionBody | SchoolsDeadlineBody;

/**
 * Why a form was refused: the form goes back to the page (POST /terms → 303 /terms?error=<code>), which has
 * the words (web/terms/page.ts). Codes only: a message in the address could be anyone's words.
 */
export const TERMS_FORM_ERRORS = [
  'DUE_DATE_REQUIRED',
  'DUE_DATE_INVALID',
  'DUE_DATE_PAST',
  'EXTENSION_NOT_LATER',
  'EXTENSION_TOO_FAR',
  'SCHOOLS_DUE_NOT_EARLIER',
  'REASON_REQUIRED',
  'KIND_REQUIRED',
  'GRANTED_BY_BUREAU',
  'CANNOT_EXEMPT_SELF',
  'ORG_NOT_FOUND',
  'BUSY',
  'OTHER',
] as const;
export type TermsFormError = (typeof TERMS_FORM_ERRORS)[number];

/** GET /terms: a search (`q`), the org just changed (`org`, with `done`), or why a form was refused (`error`). */
export const TermsPageQuery = /* @__PURE__ */ z.strictObject({
  q: z.optional(z.string().check(z.trim(), z.maxLength(40))),
  done: z.optional(z.enum(TERMS_WHAT)),
  error: z.optional(z.enum(TERMS_FORM_ERRORS)),
  org: z.optional(OrgId),
});
export type TermsPageQuery = z.infer<typeof TermsPageQuery>;
