import { Campaign } from '../../schemas/campaigns.js';
import { type Ddb, getItem, putItem, queryAll, stripKeys } from '../shared/clients/dynamodb.js';

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
      const item = await getItem(ddb, { TableName: table, Key: campaignKey(id) });
      return item ? Campaign.parse(stripKeys(item)) : undefined;
    },
    async list() {
      const items = await queryAll(ddb, {
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'CAMPAIGNS' },
      });
      return items.map((i) => Campaign.parse(stripKeys(i)));
    },
    async put(c) {
      await putItem(ddb, {
        TableName: table,
        Item: { ...campaignKey(c.id), gsi1pk: 'CAMPAIGNS', gsi1sk: `${c.deadline}#${c.id}`, ...c },
      });
    },
  };
}
