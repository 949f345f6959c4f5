import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import { esc } from '../../web/html.js';
import type { OrgStore } from '../orgs/store.js';
import { contactLine, DEFAULT_RECEIVER_NAME, type Routing, routingOf } from '../plans/routing.js';
import { inAudience } from '../plans/rules.js';
import { formatBeijing } from '../shared/clock.js';
import { notFound } from '../shared/errors.js';
import type { LinkMailDeps, Mail } from '../shared/mail.js';
import { type About, enqueue, mailPayload, type OutboxClaims, type OutboxPayload, type OutboxQueue } from '../reminders/outbox.js';
import { roleOf } from '../shared/tokens.js';
import type { CampaignStore } from './store.js';

export interface InviteDeps extends Omit<LinkMailDeps, 'mailer' | 'ledger'> {
  orgs: Pick<OrgStore, 'list'>;
  campaigns: Pick<CampaignStore, 'get'>;
  /** The outbox: each invitation is claimed with its mail, then queued; the mailer sends it once. */
  ledger: OutboxClaims;
  queue: OutboxQueue;
}

export interface InviteReport {
  /** Put on the outbox now (the mailer sends them). */
  queued: { orgId: string; to: string[] }[];
  already: string[];
  skipped: { orgId: string; reason: string }[];
  failed: { orgId: string; error: string }[];
}

/** Who gets a link: every org that must submit, the receiving Centre, and the Bureau. */
export const invitees = (c: Campaign, orgs: Org[]) =>
  orgs.filter((o) => inAudience(c, o) || o.id === c.receiverId || o.kind === 'bureau');

/**
 * Puts each invitee's invitation on the outbox, once: the ledger key names campaign, org and token
 * version, so a second run queues nothing new, and a revoked-and-reissued link is sent again. An
 * invitation that could not be written (its link could not be signed) is reported and left for the
 * next run.
 */
export async function sendInvitations(deps: InviteDeps, campaignId: string): Promise<InviteReport> {
  const campaign = await deps.campaigns.get(campaignId);
  if (!campaign) throw notFound('CAMPAIGN_NOT_FOUND', `活动不存在：${campaignId}`);
  const orgs = await deps.orgs.list();
  const receiver = orgs.find((o) => o.id === campaign.receiverId);
  const report: InviteReport = { queued: [], already: [], skipped: [], failed: [] };
  const messages: { key: string; about: About; payload: OutboxPayload; to: string[] }[] = [];
  for (const org of invitees(campaign, orgs)) {
    const to = [...new Set(org.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))];
    if (to.length === 0) {
      report.skipped.push({ orgId: org.id, reason: '没有联系人邮箱' });
      continue;
    }
    try {
      const token = await deps.tokens.link({ orgId: org.id, campaignId: campaign.id, role: roleOf(org.kind), version: org.tokenVersion }, deps.linkTtlDays);
      const district = org.districtId ? orgs.find((o) => o.id === org.districtId && o.kind === 'district') : undefined;
      const routing = routingOf(org, campaign, receiver, district);
      const mail = invitationMail(campaign, org, routing, `${deps.siteOrigin}/l/${token}`, receiver?.name ?? DEFAULT_RECEIVER_NAME, deps.linkTtlDays, to);
      messages.push({ key: `invite#${campaign.id}#${org.id}#v${org.tokenVersion}`, about: { kind: 'invite', campaignId: campaign.id, orgId: org.id }, payload: mailPayload(mail), to });
    } catch (e) {
      report.failed.push({ orgId: org.id, error: (e as Error).message });
    }
  }
  const r = await enqueue({ ledger: deps.ledger, queue: deps.queue, now: () => deps.clock.now() }, messages);
  const queued = new Set(r.queued);
  for (const m of messages) {
    const orgId = m.about.orgId as string;
    if (queued.has(m.key)) report.queued.push({ orgId, to: m.to });
    else report.already.push(orgId);
  }
  return report;
}

/**
 * The invitation: what to hand in by when, where it goes (`routing`, from routingOf), the org's own
 * link and whom to call. Plain text and HTML; every value in the HTML is escaped.
 */
export function invitationMail(c: Campaign, org: Org, routing: Routing, link: string, receiverName: string, ttlDays: number, to: string[]): Mail {
  const deadline = formatBeijing(c.deadline);
  const role = roleOf(org.kind);
  const docs = c.documents.map((d, i) => `${i + 1}. ${d.title}`);
  const what =
    role === 'city'
      ? ['通过下面的链接可以查看各县区、各学校的报送情况，并下载汇总表。']
      : [
          `请于 ${deadline}（北京时间）前，通过下面的链接上传本单位的以下材料（PDF 或 Word 文件）：`,
          ...docs,
          '',
          `报送路径：${routing.sentence}`,
          ...(role === 'district' ? ['县区教育局（教体办）还可通过同一链接查看辖区内各学校的报送情况。'] : []),
        ];
  const contacts = routing.contacts.map(contactLine);
  const lines = [
    `${org.name}：`,
    '',
    `根据《${c.title}》（${c.noticeNo}）的要求，${what[0]}`,
    ...what.slice(1),
    '',
    link,
    '',
    `此链接专属于贵单位，请勿转发；有效期 ${ttlDays} 天。如链接失效，请联系${receiverName}。`,
    '联系人：',
    ...contacts,
    '',
    receiverName,
  ];
  const paragraphs = what
    .slice(1)
    .join('\n')
    .split(/\n\n/)
    .filter((p) => p !== '')
    .map((p) => `<p>${p.split('\n').map(esc).join('<br>')}</p>`)
    .join('\n');
  const html = `<div style="font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7">
<p>${esc(org.name)}：</p>
<p>根据《${esc(c.title)}》（${esc(c.noticeNo)}）的要求，${esc(what[0])}</p>
${paragraphs}
<p><a href="${esc(link)}" style="display:inline-block;background:#1d4e89;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${role === 'city' ? '查看报送情况' : '打开报送页面'}</a></p>
<p style="color:#616e7c;font-size:13px">如按钮无法点击，请复制以下链接到浏览器打开：<br>${esc(link)}</p>
<p style="color:#616e7c;font-size:13px">此链接专属于贵单位，请勿转发；有效期 ${esc(ttlDays)} 天。如链接失效，请联系${esc(receiverName)}。<br>联系人：<br>${contacts.map(esc).join('<br>')}</p>
<p>${esc(receiverName)}</p></div>`;
  return {
    to,
    subject: role === 'city' ? `【报送情况】${c.title}` : `【请于${formatBeijing(c.deadline, false)}前报送】${c.title}`,
    text: lines.join('\n'),
    html,
  };
}
