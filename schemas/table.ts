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
