import * as z from 'zod/mini';
import { Cadence, ClassId, Day, RosterClass, RosterStaff, StaffId, StaffRole } from './contacts.js';

/**
 * The school roster's bodies (functions/contacts/roster.ts): POST /api/roster (JSON) and POST /roster (the page's
 * forms: the same fields as text; the roles as one checkbox each, `role-principal=on`). Each body names its
 * `action`. The roster item itself is schemas/contacts.ts `Roster`.
 */

/** Current classes a school may have (removed ones are kept, and count towards MAX_CLASS_ENTRIES). */
export const MAX_CLASSES = 200;
/** Classes kept in the item, removed ones included (the item stays far below DynamoDB's 400 KB). */
export const MAX_CLASS_ENTRIES = 600;
export const MAX_STAFF = 50;
export const MAX_STAFF_ENTRIES = 150;
/** The pasted CSV: 200 rows of Chinese text fit with room to spare. */
export const MAX_CSV_CHARS = 20_000;
/** The roster's form body limit (urlencoded Chinese is 9 bytes a character). */
export const ROSTER_MAX_BODY_BYTES = 256 * 1024;
/** A term is at most this long (a semester with its holidays, ~8 months). */
export const MAX_TERM_DAYS = 245;


export const ImportBody = /* @__PURE__ */ z.strictObject({
  action: z.literal('import'),
  csv: z.string().check(z.minLength(1, '请粘贴班级名单'), z.maxLength(MAX_CSV_CHARS, `名单过长（最多 ${MAX_CSV_CHARS} 个字符），请分批导入`)),
});
export type ImportBody = z.infer<typeof ImportBody>;

/** Add a class (no `classId`: by grade and label, as an import row) or edit one. */
export const ClassBody = /* @__PURE__ */ z.strictObject({ action: z.literal('class'), classId: z.optional(ClassId), grade: RosterClass.shape.grade, label: RosterClass.shape.label, teacher: RosterClass.shape.teacher, email: RosterClass.shape.email });
export type ClassBody = z.infer<typeof ClassBody>;

export const RemoveClassBody = /* @__PURE__ */ z.strictObject({ action: z.literal('remove-class'), classId: ClassId });
export type RemoveClassBody = z.infer<typeof RemoveClassBody>;

/** Add a staff member (no `staffId`: by e-mail) or edit one. */
export const StaffBody = /* @__PURE__ */ z.strictObject({
  action: z.literal('staff'),
  staffId: z.optional(StaffId),
  name: RosterStaff.shape.name,
  email: RosterStaff.shape.email,
  roles: z.array(StaffRole).check(z.minLength(1, '至少选择一个身份'), z.maxLength(3)),
});
export type StaffBody = z.infer<typeof StaffBody>;

export const RemoveStaffBody = /* @__PURE__ */ z.strictObject({ action: z.literal('remove-staff'), staffId: StaffId });
export type RemoveStaffBody = z.infer<typeof RemoveStaffBody>;

/** A head teacher (`h.<classId>`) or staff member (`s.<staffId>`). */
export const PersonRef = /* @__PURE__ */ z.string().check(z.regex(/^(h\.c|s\.s)[a-z2-7]{8}$/, '人员编号不正确'));
export const ResendBody = /* @__PURE__ */ z.strictObject({ action: z.literal('resend'), person: PersonRef });
export type ResendBody = z.infer<typeof ResendBody>;

export const CadenceBody = /* @__PURE__ */ z.strictObject({ action: z.literal('cadence'), every: Cadence });
export type CadenceBody = z.infer<typeof CadenceBody>;

export const TermBody = /* @__PURE__ */ z.strictObject({ action: z.literal('term'), start: Day, end: Day });
export type TermBody = z.infer<typeof TermBody>;

/** The roster writer's bodies by `action` (each strict; functions/shared/http.ts byAction picks one). */
export const ROSTER_BODIES = {
  import: ImportBody,
  class: ClassBody,
  'remove-class': RemoveClassBody,
  staff: StaffBody,
  'remove-staff': RemoveStaffBody,
  resend: ResendBody,
  cadence: CadenceBody,
  term: TermBody,
} as const;
export type RosterBody = z.infer<(typeof ROSTER_BODIES)[keyof typeof ROSTER_BODIES]>;
export type RosterAction = RosterBody['action'];
/** An unknown action fails on the `action` field alone. */
export const ROSTER_ACTIONS = ['import', 'class', 'remove-class', 'staff', 'remove-staff', 'resend', 'cadence', 'term'] as const satisfies readonly RosterAction[];
export const UnknownRosterAction = /* @__PURE__ */ (() => z.object({ action: z.enum(ROSTER_ACTIONS) }))();

/** The page's checkbox of each role (a field given twice is refused: one name each). */
export const ROLE_FIELD: Readonly<Record<StaffRole, string>> = { principal: 'role-principal', psych: 'role-psych', crisis: 'role-crisis' };

/** The form's fields as the JSON body: the role checkboxes become `roles`. */
export function rosterFromForm(fields: Record<string, string>): unknown {
  if (fields.action !== 'staff') return fields;
  const out: Record<string, unknown> = {};
  const roles: StaffRole[] = [];
  const byField = new Map(Object.entries(ROLE_FIELD).map(([role, f]) => [f, role as StaffRole]));
  for (const [k, v] of Object.entries(fields)) {
    const role = byField.get(k);
    if (role) roles.push(role);
    else out[k] = v;
  }
  out.roles = roles;
  return out;
}

/**
 * Why a form was refused: back to the page (POST /roster → 303 /roster?error=<code>), which has the words
 * (web/contacts/roster-page.ts). For a refused CSV also `rows`: `3:email,5:duplicate` (numbers and kinds only).
 */
export const ROSTER_FORM_ERRORS = [
  'ROSTER_CSV_INVALID',
  'VALIDATION',
  'CLASS_EXISTS',
  'CLASS_NOT_FOUND',
  'STAFF_EXISTS',
  'STAFF_NOT_FOUND',
  'PERSON_REMOVED',
  'TOO_MANY_CLASSES',
  'TOO_MANY_STAFF',
  'TERM_INVALID',
  'TERM_TOO_LONG',
  'TERM_OVER',
  'CADENCE_TOO_LATE',
  'BODY_TOO_LARGE',
  'BUSY',
  'OTHER',
] as const;
export type RosterFormError = (typeof ROSTER_FORM_ERRORS)[number];

/** What a pasted row can be wrong about (the page has the words of each). */
export const CSV_ISSUES = ['columns', 'header', 'quote', 'grade', 'label', 'teacher', 'email', 'duplicate', 'too-many', 'control'] as const;
export type CsvIssue = (typeof CSV_ISSUES)[number];

/** What the form did (`?done=`): the action, or a resend that had already gone out this hour. */
export const ROSTER_DONE = [...ROSTER_ACTIONS, 'resend-already', 'unchanged'] as const;
export type RosterDone = (typeof ROSTER_DONE)[number];

export const RosterPageQuery = /* @__PURE__ */ (() =>
  z.strictObject({
  done: z.optional(z.enum(ROSTER_DONE)),
  error: z.optional(z.enum(ROSTER_FORM_ERRORS)),
  /** `3:email,5:duplicate`: at most 20 rows. */
  rows: z.optional(z.string().check(z.maxLength(400), z.regex(/^\d{1,4}:[a-z-]{1,12}(,\d{1,4}:[a-z-]{1,12}){0,19}$/))),
  /** Lines imported (done=import). */
  n: z.optional(z.string().check(z.regex(/^\d{1,4}$/))),
}))();
export type RosterPageQuery = z.infer<typeof RosterPageQuery>;
