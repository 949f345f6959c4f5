/** The one DynamoDB table's key design, read by the CDK stack and the local runtime alike. */
export const TABLE_DESIGN = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
  /** Cloud-side clean-up only (dynalite has no TTL); expired items are filtered on read. */
  ttlAttribute: 'ttl',
} as const;
