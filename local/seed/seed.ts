import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Admin } from '../admin.js';

export const SEED_CAMPAIGN = '2019-plans';
const here = import.meta.dirname;

/** Seeds a fresh local runtime: Nanchang's offices and fictional schools, the 2019 campaign, the invitations. */
export async function seed(ops: Admin) {
  const imported = await ops.importOrgs(readFileSync(resolve(here, 'orgs.csv'), 'utf8'));
  if (!imported.ok) throw new Error(`seed orgs.csv is invalid: ${JSON.stringify(imported.errors)}`);
  await ops.createCampaign(readFileSync(resolve(here, 'campaign-2019.json'), 'utf8'), true);
  const invites = await ops.sendInvites(SEED_CAMPAIGN);
  return { orgs: imported.created + imported.updated, invites: invites.queued.length };
}
