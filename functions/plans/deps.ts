import type { Env } from '../../schemas/env.js';
import { campaignStore } from '../campaigns/store.js';
import { orgStore } from '../orgs/store.js';
import { ddbDoc } from '../shared/clients/dynamodb.js';
import { anchoredClock, systemClock } from '../shared/clock.js';
import { signingKeySource, tokenSigner } from '../shared/tokens.js';
import type { PlansDeps } from './service.js';
import { uploadStore } from './store.js';

/** Builds the plans ports once per container from the parsed environment. */
export function plansDeps(env: Env, ddb = ddbDoc()): PlansDeps {
  return {
    orgs: orgStore(ddb, env.TABLE_NAME),
    campaigns: campaignStore(ddb, env.TABLE_NAME),
    uploads: uploadStore(ddb, env.TABLE_NAME),
    tokens: tokenSigner(signingKeySource(env)),
    clock: env.DOMAIN_CLOCK ? anchoredClock(env.DOMAIN_CLOCK) : systemClock,
  };
}

export function requireBucket(env: Env): string {
  if (!env.BUCKET_NAME) throw new Error('Invalid configuration: BUCKET_NAME is required by this function');
  return env.BUCKET_NAME;
}
