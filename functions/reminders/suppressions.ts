import { type Ddb, getItem, putItem } from '../shared/clients/dynamodb.js';

/**
 * Addresses that bounced or complained (SES events, functions/reminders/ses-events.ts): never mailed again
 * by the outbox. Item: pk SUPPRESS#<address, lower case>, sk SUPPRESS. (SES's account-level suppression
 * list does the same on its side; ours also covers the local runtime and says why on the Bureau's page.)
 */
export const suppressionKey = (address: string) => ({ pk: `SUPPRESS#${address.toLowerCase()}`, sk: 'SUPPRESS' });

export interface Suppression {
  address: string;
  reason: 'bounce' | 'complaint';
  at: string;
  /** Which org's contact it was, when the mail said (its SES tag). */
  orgId?: string;
}

export interface SuppressionReader {
  /** The given addresses that are suppressed (lower case). */
  suppressed(addresses: string[]): Promise<Set<string>>;
}

export interface SuppressionStore extends SuppressionReader {
  /** Records the address (the first reason stands). */
  suppress(s: Suppression): Promise<void>;
}

export function suppressionStore(ddb: Ddb, table: string): SuppressionStore {
  return {
    async suppressed(addresses) {
      const unique = [...new Set(addresses.map((a) => a.toLowerCase()))];
      const found = await Promise.all(unique.map((a) => getItem(ddb, { TableName: table, Key: suppressionKey(a) })));
      return new Set(unique.filter((_, i) => found[i]));
    },
    async suppress(s) {
      await putItem(ddb, {
        TableName: table,
        Item: { ...suppressionKey(s.address), ...s, address: s.address.toLowerCase() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }).catch((e: unknown) => {
        if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      });
    },
  };
}
