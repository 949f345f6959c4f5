import { TermsPageQuery } from '../../schemas/terms.js';
import { termsPage as termsHtml } from '../../web/terms/page.js';
import { plansDeps } from '../plans/deps.js';
import { errorPage, htmlPage } from '../plans/page-response.js';
import { authenticate } from '../plans/service.js';
import { readAudience } from '../plans/store.js';
import { beijingDate } from '../reviews/rules.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { readEnv } from '../shared/env.js';
import { cookie, httpRoute, query } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { termsPage } from './service.js';

const env = readEnv();
const ddb = ddbClient();
const deps = { ...plansDeps(env, ddb), audience: readAudience(ddb, env.TABLE_NAME) };

/**
 * GET /terms — the Bureau's extensions and exemptions (search an org, set or revoke), a District office's
 * exemptions of its schools and its schools' internal deadline; its forms post to POST /terms
 * (functions/terms/write.ts). Read-only: the AUDIENCE item's registers and the few status items they name.
 */
export const handler = httpRoute(
  async (event) => {
    const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
    const q = query(event, TermsPageQuery);
    const data = await termsPage(deps, s, q.q, q.org);
    return htmlPage(200, termsHtml({ ...data, campaign: s.campaign, today: beijingDate(deps.clock.now()) }, q));
  },
  { errors: 'page', page: errorPage(deps.campaigns) },
);
