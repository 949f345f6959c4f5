import { type Ddb, deleteItem, isConditionFailed, putItem, updateItem } from './clients/dynamodb.js';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Sends one mail; returns the provider's message id. */
export interface Mailer {
  send(m: Mail): Promise<string>;
}

/**
 * The send ledger: every mail is claimed under a key naming what it is about, with a condition,
 * before it is sent — so a re-run, a retry or a second delivery never sends it twice.
 * Item: pk MAIL#<key>, sk MAIL.
 */
export interface SendLedger {
  /** True if this caller now owns the send; false if it was sent (or is being sent) already. */
  claim(key: string, about: Record<string, unknown>, at: string): Promise<boolean>;
  sent(key: string, messageId: string, at: string): Promise<void>;
  /** Gives the claim back after a failed send, so the next run tries again. */
  release(key: string): Promise<void>;
}

export const mailKey = (key: string) => ({ pk: `MAIL#${key}`, sk: 'MAIL' });

export function sendLedger(ddb: Ddb, table: string): SendLedger {
  return {
    async claim(key, about, at) {
      try {
        await putItem(ddb, {
          TableName: table,
          Item: { ...mailKey(key), key, about, state: 'sending', claimedAt: at },
          ConditionExpression: 'attribute_not_exists(pk)',
        });
        return true;
      } catch (e) {
        if (isConditionFailed(e)) return false;
        throw e;
      }
    },
    async sent(key, messageId, at) {
      await updateItem(ddb, {
        TableName: table,
        Key: mailKey(key),
        UpdateExpression: 'SET #s = :s, messageId = :m, sentAt = :t',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': 'sent', ':m': messageId, ':t': at },
      });
    },
    async release(key) {
      await deleteItem(ddb, {
        TableName: table,
        Key: mailKey(key),
        ConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': 'sending' },
      });
    },
  };
}
