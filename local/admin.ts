/**
 * Operator actions, shared by the CLI (local or against a deployment) and the local seeding:
 * import orgs, create a campaign, issue or revoke a link, send invitations, status.
 */
import { Campaign } from '../schemas/campaigns.js';
import type { Env } from '../schemas/env.js';
import { campaignStore } from '../functions/campaigns/store.js';
import { sendInvitations } from '../functions/campaigns/invite.js';
import { parseOrgsCsv } from '../functions/orgs/csv.js';
import { orgStore } from '../functions/orgs/store.js';
import { summarise } from '../functions/plans/rules.js';
import { issueLink } from '../functions/plans/service.js';
import { summaryStore, uploadStore } from '../functions/plans/store.js';
import { buildZip, manifestCsv, zipPaths } from '../functions/plans/export.js';
import { openRead } from '../functions/plans/s3.js';
import { exportSet } from '../functions/plans/service.js';
import { s3Client } from '../functions/shared/clients/s3.js';
import { routeKeyOf } from '../schemas/orgs.js';
import { createWriteStream } from 'node:fs';
import { ddbClient } from '../functions/shared/clients/dynamodb.js';
import { sesClient, sesMailer } from '../functions/shared/clients/sesv2.js';
import { anchoredClock, systemClock } from '../functions/shared/clock.js';
import { sendLedger } from '../functions/shared/mail.js';
import { tokenSigner } from '../functions/shared/tokens.js';

export class AdminError extends Error {}

export function admin(env: Env, signingKey: () => Promise<Uint8Array>) {
  const ddb = ddbClient();
  const orgs = orgStore(ddb, env.TABLE_NAME);
  const campaigns = campaignStore(ddb, env.TABLE_NAME);
  const summaries = summaryStore(ddb, env.TABLE_NAME);
  const tokens = tokenSigner(signingKey);
  const clock = env.DOMAIN_CLOCK ? anchoredClock(env.DOMAIN_CLOCK) : systemClock;
  const linkUrl = (token: string) => `${env.SITE_ORIGIN}/l/${token}`;

  return {
    clock,
    /** Validates the whole file first; any bad row imports nothing. */
    async importOrgs(csv: string) {
      const known = await orgs.list();
      const parsed = parseOrgsCsv(csv, known);
      if (!parsed.ok) return { ok: false as const, errors: parsed.errors };
      let created = 0;
      let updated = 0;
      for (const o of parsed.orgs) ((await orgs.upsert(o)) === 'created' ? created++ : updated++);
      return { ok: true as const, created, updated };
    },
    async createCampaign(json: string, replace = false) {
      let data: unknown;
      try {
        data = JSON.parse(json.replace(/^\uFEFF/, ''));
      } catch {
        throw new AdminError('活动文件不是有效的 JSON。');
      }
      const r = Campaign.safeParse(data);
      if (!r.success) throw new AdminError(`活动文件有误：${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('；')}`);
      if (!(await orgs.get(r.data.receiverId))) throw new AdminError(`接收单位不存在：${r.data.receiverId}（请先导入机构）`);
      if (r.data.audience !== 'all') {
        for (const id of r.data.audience.orgIds) if (!(await orgs.get(id))) throw new AdminError(`报送范围中的机构不存在：${id}`);
      }
      if (!replace && (await campaigns.get(r.data.id))) throw new AdminError(`活动已存在：${r.data.id}（如需覆盖请加 --replace）`);
      await campaigns.put(r.data);
      return r.data;
    },
    async issueLink(orgId: string, campaignId: string) {
      try {
        const { org, token } = await issueLink({ orgs, campaigns, tokens }, orgId, campaignId, env.LINK_TTL_DAYS);
        return { org, url: linkUrl(token) };
      } catch (e) {
        throw new AdminError((e as Error).message);
      }
    },
    async revokeLink(orgId: string) {
      if (!(await orgs.get(orgId))) throw new AdminError(`机构不存在：${orgId}`);
      return orgs.bumpTokenVersion(orgId);
    },
    async sendInvites(campaignId: string) {
      if (!env.MAIL_FROM) throw new AdminError('缺少 MAIL_FROM（发件地址）。');
      try {
        return await sendInvitations(
          {
            orgs,
            campaigns,
            tokens,
            mailer: sesMailer(sesClient(), env.MAIL_FROM),
            ledger: sendLedger(ddb, env.TABLE_NAME),
            clock,
            siteOrigin: env.SITE_ORIGIN,
            linkTtlDays: env.LINK_TTL_DAYS,
          },
          campaignId,
        );
      } catch (e) {
        throw new AdminError((e as Error).message);
      }
    },
    async status(campaignId: string) {
      const c = await campaigns.get(campaignId);
      if (!c) throw new AdminError(`活动不存在：${campaignId}`);
      const [all, sums] = await Promise.all([orgs.list(), summaries.list(campaignId)]);
      return { campaign: c, ...summarise(c, all, sums) };
    },
    /**
     * The city's zip (every org's latest accepted version + 清单.csv), streamed from S3 straight into
     * `out` with the same builder the export-zip function uses; every entry's sha256 is checked.
     */
    async download(campaignId: string, out: string) {
      const campaign = await campaigns.get(campaignId);
      if (!campaign) throw new AdminError(`活动不存在：${campaignId}`);
      const bureau = (await orgs.list(routeKeyOf({ id: '', kind: 'bureau' }))).find((o) => o.kind === 'bureau');
      if (!bureau) throw new AdminError('没有找到市教育局（bureau）机构，请先导入机构。');
      if (!env.BUCKET_NAME) throw new AdminError('缺少 BUCKET_NAME。');
      const bucket = env.BUCKET_NAME;
      const session = { grant: { orgId: bureau.id, campaignId, role: 'city' as const, version: bureau.tokenVersion }, org: bureau, campaign };
      const set = await exportSet({ orgs, campaigns, uploads: uploadStore(ddb, env.TABLE_NAME), summaries, tokens, clock }, session);
      const paths = zipPaths(set.entries.map((e) => e.item));
      const s3 = s3Client();
      const built = await buildZip(
        set.entries.map((e, i) => ({ path: paths[i] as string, key: e.key, size: e.size, sha256: e.sha256, receivedAt: e.receivedAt })),
        manifestCsv(set.manifest),
        (key) => openRead(s3, bucket, key),
        createWriteStream(out),
      );
      return { ...built, fileName: set.fileName };
    },
    listOrgs: () => orgs.list(),
    listCampaigns: () => campaigns.list(),
  };
}
export type Admin = ReturnType<typeof admin>;
