import * as z from 'zod/mini';
import { Robots } from './robots.js';

// Schemas use zod/mini (same package, tree-shakable API): full zod costs ~18 KB gzip more per Lambda.

// Schemas whose definition chains checks (`.check(…)`) are wrapped in a pure IIFE: a bundler cannot prove a method
// call free of side effects, and would otherwise keep them in every bundle that imports this module for OrgId alone.

/**
 * Words that can never be an org id: route keys of old, URL path segments, audience keywords. Ids
 * name keys, S3 prefixes and links, so an id equal to one of these would be read as something else
 * (an org "all" in an audience list, an org "direct" joining the Direct schools' group …).
 */
export const RESERVED_IDS: readonly string[] = Object.freeze([
  'direct',
  'city',
  'all',
  'none',
  'orgs',
  'campaigns',
  'api',
  'admin',
  'status',
  'upload',
  'uploads',
  'files',
  'exports',
]);

export const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,47}$/;

/**
 * Stable organisation id: lower-case latin letters, digits and dashes, 2–48, starting with a letter
 * or digit (used in keys and S3 prefixes), never a reserved word. No `#` and no upper case, so an id
 * can never equal or prefix a route key (`D#…`, `DIRECT`, `CITY`).
 */
export const OrgId = z
  .string()
  .check(
    z.regex(ORG_ID_PATTERN, '编号只能包含小写字母、数字和连字符（2–48 位）'),
    z.refine((id) => !RESERVED_IDS.includes(id), { message: '编号是系统保留字，不能用作机构编号' }),
  );
export type OrgId = z.infer<typeof OrgId>;

export const OrgKind = z.enum(['bureau', 'centre', 'district', 'school']);
export type OrgKind = z.infer<typeof OrgKind>;

/** The three kinds of Direct school that submit straight to the Centre (notice 洪教健字〔2019〕1号). */
export const DirectKind = z.enum(['局属学校', '省属事业单位办学校', '市管民办学历教育学校']);
export type DirectKind = z.infer<typeof DirectKind>;

const text = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));

export const Contact = /* @__PURE__ */ (() =>
  z.object({
  name: text(1, 40),
  email: z.email(),
  phone: z.optional(z.string().check(z.trim(), z.regex(/^[0-9+\-() ]{5,20}$/, '电话格式不正确'))),
  /** Set when mail to this address bounced or drew a complaint (SES events): it is no longer mailed. */
  invalid: z.optional(z.object({ reason: z.enum(['bounce', 'complaint']), at: z.string() })),
}))();
export type Contact = z.infer<typeof Contact>;

export const Org = /* @__PURE__ */ (() =>
  z
  .object({
    id: OrgId,
    name: text(2, 80),
    kind: OrgKind,
    /** District schools: the District office they submit to. */
    districtId: z.optional(OrgId),
    /** Direct schools: which of the three Direct kinds. */
    directKind: z.optional(DirectKind),
    contacts: z.array(Contact).check(z.maxLength(10)),
    /** Bumped to revoke every link issued for this org. */
    tokenVersion: z.int().check(z.minimum(1)),
    /** Group robots its reminders also go to (schemas/robots.ts); set with the CLI, kept by every import. */
    robots: z.optional(Robots),
  })
  .check(
    z.superRefine((o, ctx) => {
      if (o.kind === 'school' && !o.districtId === !o.directKind) {
        ctx.addIssue({ code: 'custom', message: '学校必须且只能填写所属县区或直属类别之一' });
      }
      if (o.kind !== 'school' && (o.districtId || o.directKind)) {
        ctx.addIssue({ code: 'custom', message: '只有学校可以填写所属县区或直属类别' });
      }
    }),
  ))();
export type Org = z.infer<typeof Org>;

/** Route key of the Direct schools (they submit straight to the Centre). */
export const DIRECT_ROUTE_KEY = 'DIRECT';
/** Route key of the Bureau and the Centre. */
export const CITY_ROUTE_KEY = 'CITY';
/** Route key of a District office and its schools. */
export const districtRouteKey = (districtId: string) => `D#${districtId}`;

/**
 * Where an org's submissions are grouped: a District office and its schools under `D#<districtId>`,
 * Direct schools under `DIRECT`, the Bureau and Centre under `CITY`. Route keys contain upper case
 * or `#`, ids never do: the two namespaces cannot meet, whatever id an org is given.
 */
export function routeKeyOf(org: Pick<Org, 'id' | 'kind' | 'districtId'>): string {
  if (org.kind === 'district') return districtRouteKey(org.id);
  if (org.kind === 'school') return org.districtId ? districtRouteKey(org.districtId) : DIRECT_ROUTE_KEY;
  return CITY_ROUTE_KEY;
}
