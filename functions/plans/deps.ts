import type { Env } from '../../schemas/env.js';
import { auditWriter } from '../audit/store.js';
import { campaignStore } from '../campaigns/store.js';
import { orgReader, orgStore } from '../orgs/store.js';
import { ddbClient } from '../shared/clients/dynamodb.js';
import { clockOf } from '../shared/clock.js';
import { requireAuditTable } from '../shared/env.js';
import { signingKeySource, tokenSigner } from '../shared/tokens.js';
import type { PlansDeps, ValidateDeps } from './service.js';
import { summaryReader, summaryStore, uploadReader, uploadStore } from './store.js';


/** The stores that write (the validator) and the audit trail it appends to, built once per container from the parsed environment. */
export function storeDeps(env: Env, ddb = ddbClient()): Omit<ValidateDeps, 'objects' | 'receipt'> & { orgs: ReturnType<typeof orgStore> } {
  return {
    orgs: orgStore(ddb, env.TABLE_NAME),
    campaigns: campaignStore(ddb, env.TABLE_NAME),
    uploads: uploadStore(ddb, env.TABLE_NAME),
    summaries: summaryStore(ddb, env.TABLE_NAME),
    clock: clockOf(env),
    audit: auditWriter(ddb, requireAuditTable(env)),
  };
}

/**
 * Readers plus the token signer: for the request handlers, which check links and sessions and read
 * (a handler that writes adds its one writer, as create-upload adds the upload store).
 */
export function plansDeps(env: Env, ddb = ddbClient()): PlansDeps {
  return {
    orgs: orgReader(ddb, env.TABLE_NAME),
    campaigns: campaignStore(ddb, env.TABLE_NAME),
    uploads: uploadReader(ddb, env.TABLE_NAME),
    summaries: summaryReader(ddb, env.TABLE_NAME),
    clock: clockOf(env),
    tokens: tokenSigner(signingKeySource(env)),
  };
}

/** What a read-only page of the status items needs (no upload attempts): sessions, orgs, campaigns, status items. */
export function readerDeps(env: Env, ddb = ddbClient()): Omit<PlansDeps, 'uploads'> {
  return {
    orgs: orgReader(ddb, env.TABLE_NAME),
    campaigns: campaignStore(ddb, env.TABLE_NAME),
    summaries: summaryReader(ddb, env.TABLE_NAME),
    clock: clockOf(env),
    tokens: tokenSigner(signingKeySource(env)),
  };
}

export function requireBucket(env: Env): string {
  if (!env.BUCKET_NAME) throw new Error('Invalid configuration: BUCKET_NAME is required by this function');
  return env.BUCKET_NAME;
}
