import { CITY_ROUTE_KEY, type Org } from '../../schemas/orgs.js';
import type { SesEventBridgeEvent } from '../../schemas/ses-events.js';
import { esc } from '../../web/html.js';
import type { OrgContactWriter, OrgReader } from '../orgs/store.js';
import type { Mail } from '../shared/mail.js';
import { type About, enqueue, mailPayload, type OutboxClaims, type OutboxPayload, type OutboxQueue } from './outbox.js';
import type { SuppressionStore } from './suppressions.js';

/**
 * What a bounce or a complaint does (SES configuration set → EventBridge → ses-events):
 * 1. the address is suppressed: the outbox never mails it again (a permanent bounce or a complaint; a
 *    transient bounce — a full mailbox — changes nothing, SES has retried already and will again);
 * 2. the contact of the org the mail was about (its `org` tag) is marked invalid in the registry, and
 *    the org's status items are restated, so sweeps stop addressing it and an org left without a
 *    working address is listed as unreachable in the Bureau's digest; its page row says 邮箱无效（退信）;
 * 3. the Bureau is told, once per address and org, through the outbox: which org, which contact, whom to
 *    call and what to do.
 * Idempotent: a repeated event suppresses nothing new, changes no contact and sends no second alert.
 */
export interface BounceDeps {
  suppressions: SuppressionStore;
  orgs: Pick<OrgReader, 'get' | 'list'> & OrgContactWriter;
  /** Restates the org's status items from the registry (functions/plans/service.ts syncStatus). */
  restate: (orgId: string) => Promise<void>;
  ledger: OutboxClaims;
  queue: OutboxQueue;
  now: () => Date;
}

export interface BounceReport {
  reason: 'bounce' | 'complaint' | 'transient';
  addresses: string[];
  orgId?: string;
  contactsMarked: number;
  alertsQueued: number;
}

export async function handleSesEvent(deps: BounceDeps, event: SesEventBridgeEvent): Promise<BounceReport> {
  const d = event.detail;
  const recipients = d.eventType === 'Bounce' ? d.bounce.bouncedRecipients : d.complaint.complainedRecipients;
  const addresses = [...new Set(recipients.map((r) => r.emailAddress.trim().toLowerCase()))];
  const orgId = d.mail.tags?.org?.[0];
  if (d.eventType === 'Bounce' && d.bounce.bounceType !== 'Permanent') return { reason: 'transient', addresses, ...(orgId ? { orgId } : {}), contactsMarked: 0, alertsQueued: 0 };
  const reason = d.eventType === 'Bounce' ? 'bounce' : 'complaint';
  const at = (d.eventType === 'Bounce' ? d.bounce.timestamp : d.complaint.timestamp) ?? event.time ?? deps.now().toISOString();

  for (const address of addresses) await deps.suppressions.suppress({ address, reason, at, ...(orgId ? { orgId } : {}) });
  const org = orgId ? await deps.orgs.get(orgId) : undefined;
  let contactsMarked = 0;
  if (org) {
    for (const address of addresses) if (await deps.orgs.markContactInvalid(org.id, address, { reason, at })) contactsMarked++;
    await deps.restate(org.id);
  }
  // The org as it is now (its contacts marked): the alert says which addresses still work.
  const latest = org ? ((await deps.orgs.get(org.id)) ?? org) : undefined;

  const bureaus = (await deps.orgs.list(CITY_ROUTE_KEY)).filter((o) => o.kind === 'bureau');
  const messages: { key: string; about: About; payload: OutboxPayload }[] = [];
  for (const bureau of bureaus) {
    const to = [...new Set(bureau.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))].filter((a) => !addresses.includes(a));
    if (!to.length) continue;
    for (const address of addresses) {
      messages.push({
        key: `bounce#${address}#${org?.id ?? 'unknown'}#${bureau.id}`,
        about: { kind: 'bounce-alert', ...(org ? { orgId: org.id } : {}) },
        payload: mailPayload(bounceAlertMail({ org: latest, address, reason, to })),
      });
    }
  }
  const r = await enqueue(deps, messages);
  return { reason, addresses, ...(orgId ? { orgId } : {}), contactsMarked, alertsQueued: r.queued.length };
}

/**
 * The Bureau's alert: which org's address no longer works and why, what the service did (stopped mailing
 * it), and what to do (call the org, correct its address in the registry and import it again). Names no
 * student, carries no link.
 */
export function bounceAlertMail(a: { org?: Org; address: string; reason: 'bounce' | 'complaint'; to: string[] }): Mail {
  const who = a.org?.name ?? '（无法确定单位）';
  const contact = a.org?.contacts.find((c) => c.email.toLowerCase() === a.address);
  const why = a.reason === 'bounce' ? '邮件被对方邮件服务器退回（地址不存在或拒收）' : '收件人将本平台的邮件标记为垃圾邮件（投诉）';
  const left = a.org?.contacts.filter((c) => !c.invalid && c.email.toLowerCase() !== a.address) ?? [];
  const phone = a.org?.contacts.find((c) => c.phone)?.phone;
  const lines = [
    '市教育局：',
    '',
    `${who}的联系邮箱 ${a.address}${contact ? `（${contact.name}）` : ''}无法使用：${why}。`,
    '本平台已停止向该地址发送邮件（提醒、回执、邀请）。',
    left.length ? `该单位仍可通过以下邮箱收到提醒：${left.map((c) => c.email).join('、')}。` : '该单位已没有可用的联系邮箱，将收不到任何提醒，请尽快电话联系。',
    phone ? `联系电话：${phone}` : '该单位未登记联系电话。',
    '',
    '请核实正确的邮箱后更新机构名单并重新导入（npm run cli -- import-orgs）。',
    '',
    '南昌市中小学心理服务报送平台（本邮件由系统自动发送，请勿直接回复）',
  ];
  const html = `<div style="font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7">${lines.map((l) => (l ? `<p>${esc(l)}</p>` : '')).join('\n')}</div>`;
  return { to: a.to, subject: `【邮箱无法送达】${who.replace(/\s+/g, ' ')}的联系邮箱 ${a.address}`, text: lines.join('\n'), html };
}
