import * as z from 'zod/mini';

// Schemas use zod/mini (same package, tree-shakable API): full zod costs ~18 KB gzip more per Lambda.

/** Stable organisation id: lower-case latin letters, digits and dashes (used in keys and S3 prefixes). */
export const OrgId = z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,47}$/, '编号只能包含小写字母、数字和连字符（2–48 位）'));
export type OrgId = z.infer<typeof OrgId>;

export const OrgKind = z.enum(['bureau', 'centre', 'district', 'school']);
export type OrgKind = z.infer<typeof OrgKind>;

/** The three kinds of Direct school that submit straight to the Centre (notice 洪教健字〔2019〕1号). */
export const DirectKind = z.enum(['局属学校', '省属事业单位办学校', '市管民办学历教育学校']);
export type DirectKind = z.infer<typeof DirectKind>;

const text = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));

export const Contact = z.object({
  name: text(1, 40),
  email: z.email(),
  phone: z.optional(z.string().check(z.trim(), z.regex(/^[0-9+\-() ]{5,20}$/, '电话格式不正确'))),
});
export type Contact = z.infer<typeof Contact>;

export const Org = z
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
  );
export type Org = z.infer<typeof Org>;

/**
 * Where an org's submissions are grouped: a District school and its District office under the
 * District's id, Direct schools under "direct", the Bureau and Centre under "city".
 */
export function routeKeyOf(org: Pick<Org, 'id' | 'kind' | 'districtId'>): string {
  if (org.kind === 'district') return org.id;
  if (org.kind === 'school') return org.districtId ?? 'direct';
  return 'city';
}
