import { Env } from '../../schemas/env.js';

/** Parses the environment once; a missing or malformed variable fails the cold start with its name. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const r = Env.safeParse(source);
  if (!r.success) {
    const what = r.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${what}`);
  }
  return r.data;
}

/** AUDIT_TABLE, for the functions granted `audit` (and the CLI): missing, the cold start fails naming it. */
export function requireAuditTable(env: Pick<Env, 'AUDIT_TABLE'>): string {
  if (!env.AUDIT_TABLE) throw new Error('Invalid configuration: AUDIT_TABLE is required by this function');
  return env.AUDIT_TABLE;
}

/** CONTACTS_TABLE, for the functions granted `contactLogs`: missing, the cold start fails naming it. */
export function requireContactsTable(env: Pick<Env, 'CONTACTS_TABLE'>): string {
  if (!env.CONTACTS_TABLE) throw new Error('Invalid configuration: CONTACTS_TABLE is required by this function');
  return env.CONTACTS_TABLE;
}
