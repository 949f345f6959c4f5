import type { Env } from '../../schemas/env.js';
import type { Org } from '../../schemas/orgs.js';
import type { OrgStore } from '../orgs/store.js';
import { Errors, forbidden } from '../shared/errors.js';
import { cookie, type HttpEvent } from '../shared/http.js';
import { type Grant, PERSON_COOKIE, roleOf, SESSION_COOKIE, signingKeySource, type TokenSigner, tokenSigner } from '../shared/tokens.js';
import type { ContactReadDeps } from './service.js';
import { authenticatePerson, type Person, recordDenied } from './service.js';

/** What the pages say after a form was accepted (POST /contacts → 303 …?done=…). */
export const DONE: Record<string, string> = { log: '记录已保存。', corrected: '更正已保存，原记录已保留。', none: '已标记本期无需联系。', ack: '已确认收到，确认人和时间已记录。', urgent: '记录已保存，学校危机小组已收到紧急通知。' };

/**
 * The person a content page is for (their own session). Without one: a District, the Bureau or a school's
 * administrator (their org session) is refused content with a 403 and the attempt is recorded; anyone else is
 * asked for their own link (401).
 */
export function personOf(env: Env, deps: ContactReadDeps) {
  /** Only to name an org whose session asks for content. */
  const orgTokens = tokenSigner(signingKeySource(env));
  return async (event: HttpEvent, what: string): Promise<Person> => {
    const token = cookie(event, PERSON_COOKIE);
    if (token) return authenticatePerson(deps, token);
    const orgSession = cookie(event, SESSION_COOKIE);
    const grant = orgSession ? await orgTokens.verify(orgSession, 'session').catch(() => undefined) : undefined;
    if (grant) {
      await recordDenied(deps, { actor: `${grant.role}:${grant.orgId}`, name: grant.orgId, schoolId: grant.orgId }, what);
      throw forbidden('NO_CONTENT_ACCESS', '家校联系记录的内容仅本班班主任、学校心理教师和校长（危机管理工作小组）可以查看；县区、市教育局和学校管理员可查看完成情况统计。');
    }
    throw Errors.noSession();
  };
}

/** An org's session without its campaign: the roster, the completeness pages (a school, a District, the city). */
export interface OrgSession {
  grant: Grant;
  org: Org;
}

/**
 * Checks an org's session as the plan pages do — signature, expiry, the org's token version (revocation) and role —
 * but not its campaign: the roster and the contact-log counts belong to the org, whatever campaign's link it used.
 */
export async function orgSession(deps: { orgs: Pick<OrgStore, 'get'>; tokens: Pick<TokenSigner, 'verify'> }, token: string | undefined): Promise<OrgSession> {
  if (!token) throw Errors.noSession();
  const grant = await deps.tokens.verify(token, 'session');
  const org = await deps.orgs.get(grant.orgId);
  if (!org || roleOf(org.kind) !== grant.role) throw Errors.noSession();
  if (org.tokenVersion !== grant.version) throw Errors.linkRevoked();
  return { grant, org };
}
