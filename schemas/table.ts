/** The one DynamoDB table's key design, read by the CDK stack and the local runtime alike. */
export const TABLE_DESIGN = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** Sparse: only what is due (status items of orgs that still owe something). */
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
  /** Cloud-side clean-up only (dynalite has no TTL); expired items are filtered on read. */
  ttlAttribute: 'ttl',
} as const;

/**
 * The audit trail's own table (functions/audit/store.ts), so that no function needs — or is given —
 * UpdateItem or DeleteItem on it: writers get PutItem only (always `attribute_not_exists(pk)`),
 * readers Query only. Keys hold only ids that never change (campaign, org, the event's own id):
 *   pk `AUDIT#<campaignId>`, sk `<at>#<orgId>#<id>`            — a campaign's trail in time order: one Query
 *   gsi1pk `AUDIT#<campaignId>#<orgId>`, gsi1sk `<at>#<id>`    — one org's trail in a campaign: one Query
 * No TTL: nothing in the trail expires.
 */
export const AUDIT_TABLE_DESIGN = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
} as const;

/**
 * The parent-contact logs' own table (schemas/contacts.ts): what a head teacher wrote, readable by its
 * school only. A table of its own because IAM grants by table and KMS by key: it is encrypted with a
 * customer-managed key that only the functions granted `contactLogs` may use (infra/contacts.ts), so the
 * rates, the roster and the sweeps — which read the main table — cannot read a log. Keys hold only ids
 * that never change (the school, our class id, the log id, the period):
 *   pk `SCHOOL#<school>`, sk `LOG#<classId>#<logId>`     — one log with every version
 *   pk `SCHOOL#<school>`, sk `NONE#<classId>#<period>`   — a period's "no contact needed" with its reason
 * No index, on purpose: an index would copy content (or its keys) out of the one place it is allowed;
 * every read is a GetItem or a Query on `SCHOOL#<school>` (`begins_with(sk, "LOG#<classId>#")`).
 * TTL `ttl` (CONTACT_RETENTION_DAYS) is the cloud-side clean-up only (dynalite has none, and AWS deletes
 * up to 48 h late): reads filter expired items themselves.
 */
export const CONTACTS_TABLE_DESIGN = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [],
  ttlAttribute: 'ttl',
} as const;
