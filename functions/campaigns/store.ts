import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Campaign } from '../../schemas/campaigns.js';
import { type Ddb, queryAll, stripKeys } from '../shared/clients/dynamodb.js';

/** Campaigns. Item: pk CAMPAIGN#<id>, sk CAMPAIGN; gsi1: gsi1pk CAMPAIGNS, gsi1sk <deadline>#<id>. */
export const campaignKey = (id: string) => ({ pk: `CAMPAIGN#${id}`, sk: 'CAMPAIGN' });

export interface CampaignStore {
  get(id: string): Promise<Campaign | undefined>;
  list(): Promise<Campaign[]>;
  put(c: Campaign): Promise<void>;
}

export function campaignStore(ddb: Ddb, table: string): CampaignStore {
  return {
    async get(id) {
      const r = await ddb.send(new GetCommand({ TableName: table, Key: campaignKey(id) }));
      return r.Item ? Campaign.parse(stripKeys(r.Item)) : undefined;
    },
    async list() {
      const items = await queryAll<Record<string, unknown>>(ddb, {
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'CAMPAIGNS' },
      });
      return items.map((i) => Campaign.parse(stripKeys(i)));
    },
    async put(c) {
      await ddb.send(
        new PutCommand({
          TableName: table,
          Item: { ...campaignKey(c.id), gsi1pk: 'CAMPAIGNS', gsi1sk: `${c.deadline}#${c.id}`, ...c },
        }),
      );
    },
  };
}
