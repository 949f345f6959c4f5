import { type Ddb, getItem, putItem } from '../shared/clients/dynamodb.js';

/**
 * "This campaign's sweep of this Beijing day is done": written once every job of the day is claimed and
 * on the queue, so that a repeated delivery of the schedule (Scheduler's retry, a redelivery, a second
 * `npm run tick` the same day) reads one item and stops, instead of re-planning and re-claiming every
 * job (each refused claim costs a write, and reading its state a read). A sweep that crashed before the
 * mark writes none, and its repetition takes the full path, which repairs what was left half done.
 * Item: pk CAMPAIGN#<campaign>, sk SWEPT#<yyyymmdd>.
 */
export interface SweepMarks {
  done(campaignId: string, day: string): Promise<boolean>;
  mark(campaignId: string, day: string, summary: { at: string; planned: number; queued: number }): Promise<void>;
}

const markKey = (campaignId: string, day: string) => ({ pk: `CAMPAIGN#${campaignId}`, sk: `SWEPT#${day}` });

export function sweepMarks(ddb: Ddb, table: string): SweepMarks {
  return {
    async done(campaignId, day) {
      return !!(await getItem(ddb, { TableName: table, Key: markKey(campaignId, day) }));
    },
    async mark(campaignId, day, summary) {
      await putItem(ddb, { TableName: table, Item: { ...markKey(campaignId, day), ...summary } });
    },
  };
}
