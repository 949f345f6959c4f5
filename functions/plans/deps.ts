import type { Env } from '../../schemas/env.js';
import { campaignStore } from '../campaigns/store.js';
import { orgStore } from '../orgs/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { anchoredClock, systemClock } from '../shared/clock.js';
import { signingKeySource, tokenSigner } from '../shared/tokens.js';
import type { PlansDeps } from './service.js';
import { summaryStore, uploadStore } from './store.js';

/** The stores and the domain clock, built once per container from the parsed environment. */
export function storeDeps(env: Env, ddb = ddbClient()): Omit<PlansDeps, 'tokens'> {
  return {
    orgs: orgStore(ddb, env.TABLE_NAME),
    campaigns: campaignStore(ddb, env.TABLE_NAME),
    uploads: uploadStore(ddb, env.TABLE_NAME),
    summaries: summaryStore(ddb, env.TABLE_NAME),
    clock: env.DOMAIN_CLOCK ? anchoredClock(env.DOMAIN_CLOCK) : systemClock,
  };
}

/** The stores plus the token signer: for functions that check links and sessions. */
export const plansDeps = (env: Env): PlansDeps => ({ ...storeDeps(env), tokens: tokenSigner(signingKeySource(env)) });

export function requireBucket(env: Env): string {
  if (!env.BUCKET_NAME) throw new Error('Invalid configuration: BUCKET_NAME is required by this function');
  return env.BUCKET_NAME;
}
