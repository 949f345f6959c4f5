import * as z from 'zod/mini';

/**
 * A campaign's and a required document's ids, in a module of their own: schemas that only name a campaign or a
 * document (the audit trail, exports, status items) import these without the campaign schema and its reminder
 * policy, whose chained checks a bundler cannot prove free of side effects and so keeps in every bundle that
 * imports the module.
 */
export const CampaignId = /* @__PURE__ */ z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,47}$/, '活动编号只能包含小写字母、数字和连字符'));
export const DocumentKind = /* @__PURE__ */ z.string().check(z.regex(/^[a-z][a-z0-9-]{1,31}$/, '材料编号只能包含小写字母、数字和连字符'));
