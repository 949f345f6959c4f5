import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Admin } from '../admin.js';

export const SEED_CAMPAIGN = '2019-plans';
/** The school whose head teachers keep parent-contact logs in the demo (its roster is seeded). */
export const SEED_ROSTER_SCHOOL = 's-donghu-qingtan';
const here = import.meta.dirname;

/** Seeds a fresh local runtime: Nanchang's offices and fictional schools, the 2019 campaign, the invitations. */
export async function seed(ops: Admin) {
  const imported = await ops.importOrgs(readFileSync(resolve(here, 'orgs.csv'), 'utf8'));
  if (!imported.ok) throw new Error(`seed orgs.csv is invalid: ${JSON.stringify(imported.errors)}`);
  await ops.createCampaign(readFileSync(resolve(here, 'campaign-2019.json'), 'utf8'), true);
  const invites = await ops.sendInvites(SEED_CAMPAIGN);
  // One school's parent-contact roster (weekly, the default): four classes, its principal, crisis group and
  // psychology teacher — each mailed their own link. The term runs to the summer holiday.
  await ops.setRoster(SEED_ROSTER_SCHOOL, {
    csv: readFileSync(resolve(here, 'roster-qingtan.csv'), 'utf8'),
    term: { start: '2019-06-03', end: '2019-07-12' },
    staff: [
      { name: '林俊杰', email: 'qingtan.principal@example.com', roles: ['principal'] },
      { name: '周敏', email: 'qingtan.crisis@example.com', roles: ['crisis'] },
      { name: '陈思雨', email: 'qingtan.xinli@example.com', roles: ['psych', 'crisis'] },
    ],
  });
  return { orgs: imported.created + imported.updated, invites: invites.queued.length };
}
