import { RosterPageQuery } from '../../schemas/roster.js';
import { rosterPage } from '../../web/contacts/roster-page.js';
import { orgPeek } from '../orgs/store.js';
import { orgSession } from './person.js';
import { contactPage as htmlPage, orgError } from './respond.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { readEnv } from '../shared/env.js';
import { cookie, httpRoute, query } from '../shared/http.js';
import { SESSION_COOKIE, signingKeySource, tokenSigner } from '../shared/tokens.js';
import { rosterView } from './roster-service.js';
import { rosterStore } from './store.js';

const env = readEnv();
const ddb = ddbClient();
const deps = {
  orgs: orgPeek(ddb, env.TABLE_NAME),
  tokens: tokenSigner(signingKeySource(env)),
  clock: clockOf(env),
  rosters: rosterStore(ddb, env.TABLE_NAME),
};

/**
 * GET /roster — the school's roster page for its administrator (the school's own session, any campaign's):
 * classes and head teachers, staff, term and cadence, with the forms that post to POST /roster
 * (functions/contacts/roster.ts). Read-only: the org and the roster item.
 * A District or the city: 403; no or an expired session: 401 — both as a Chinese page.
 */
export const handler = httpRoute(
  async (event) => {
    const s = await orgSession(deps, cookie(event, SESSION_COOKIE));
    return htmlPage(200, rosterPage(await rosterView(deps, s), query(event, RosterPageQuery)));
  },
  { errors: 'page', page: orgError },
);
