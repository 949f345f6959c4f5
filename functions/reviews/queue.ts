import { ReviewPageQuery } from '../../schemas/reviews.js';
import { reviewPage } from '../../web/reviews/page.js';
import { plansDeps } from '../plans/deps.js';
import { precheckBatch } from '../precheck/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { errorPage, htmlPage } from '../plans/page-response.js';
import { authenticate } from '../plans/service.js';
import { DAY_MS } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { cookie, httpRoute, query } from '../shared/http.js';
import { SESSION_COOKIE } from '../shared/tokens.js';
import { beijingDate, MAX_DUE_DAYS } from './rules.js';
import { reviewQueue } from './service.js';

const env = readEnv();
const ddb = ddbClient();
const deps = { ...plansDeps(env, ddb), prechecks: precheckBatch(ddb, env.TABLE_NAME) };

/**
 * GET /review — the reviewer's queue: a District office's schools, or the Direct schools for the Centre; its
 * forms post to POST /review (functions/reviews/decide.ts). Read-only.
 */
export const handler = httpRoute(
  async (event) => {
    const s = await authenticate(deps, cookie(event, SESSION_COOKIE));
    const q = query(event, ReviewPageQuery);
    const queue = await reviewQueue(deps, s);
    const now = deps.clock.now();
    const deadlineDay = beijingDate(new Date(s.campaign.deadline));
    const soon = beijingDate(new Date(now.getTime() + 3 * DAY_MS));
    const later = beijingDate(new Date(now.getTime() + 7 * DAY_MS));
    return htmlPage(
      200,
      reviewPage(
        { ...queue, today: beijingDate(now), defaultDue: deadlineDay >= soon ? deadlineDay : later, maxDue: beijingDate(new Date(now.getTime() + (MAX_DUE_DAYS - 1) * DAY_MS)) },
        q,
      ),
    );
  },
  { errors: 'page', page: errorPage(deps.campaigns) },
);
