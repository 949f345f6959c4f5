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
