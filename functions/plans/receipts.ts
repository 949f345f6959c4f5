import type { Org } from '../../schemas/orgs.js';
import { type LinkMailDeps, sendOnce } from '../shared/mail.js';
import { roleOf } from '../shared/tokens.js';
import type { OrgStore } from '../orgs/store.js';
import { receiptMail } from './receipt.js';
import { routingOf } from './routing.js';
import type { AcceptedVersion } from './service.js';

export interface ReceiptDeps extends LinkMailDeps {
  orgs: Pick<OrgStore, 'get'>;
}

/** The ledger key of a version's receipt: one per accepted attempt, whatever retries or re-deliveries follow. */
export const receiptKey = (u: AcceptedVersion['upload']) => `receipt#${u.campaignId}#${u.orgId}#${u.document}#${u.uploadId}`;

/**
 * Sends the receipt (回执) of an accepted version to the org's contacts, exactly once: the send is
 * claimed in the ledger first (a second run, a retried event or a concurrent validator sends nothing);
 * a send that fails gives the claim back and throws, so the event's retry tries again; a send that
 * left keeps its claim even if recording the message id fails.
 */
export function receiptSender(deps: ReceiptDeps) {
  return async (v: AcceptedVersion): Promise<'sent' | 'already' | 'no-contact'> => {
    const { org, campaign, upload } = v;
    // Not to an address that bounced or complained (functions/reminders/ses-events.ts marks it).
    const to = [...new Set(org.contacts.filter((c) => !c.invalid).map((c) => c.email.toLowerCase()))];
    if (to.length === 0) return 'no-contact';
    const about = { kind: 'receipt', campaignId: campaign.id, orgId: org.id, uploadId: upload.uploadId, to };
    return sendOnce({ ...deps, now: () => deps.clock.now() }, receiptKey(upload), about, async () => {
      const [receiver, district] = await Promise.all([
        deps.orgs.get(campaign.receiverId),
        org.districtId ? deps.orgs.get(org.districtId) : Promise.resolve<Org | undefined>(undefined),
      ]);
      const token = await deps.tokens.link({ orgId: org.id, campaignId: campaign.id, role: roleOf(org.kind), version: org.tokenVersion }, deps.linkTtlDays);
      const document = campaign.documents.find((d) => d.kind === upload.document) ?? { kind: upload.document, title: upload.document };
      const mail = receiptMail({
        org,
        campaign,
        routing: routingOf(org, campaign, receiver, district),
        document,
        version: upload.version,
        receiptNo: upload.receiptNo,
        originalName: upload.originalName,
        size: upload.size ?? 0,
        sha256: upload.sha256 ?? '',
        receivedAt: upload.receivedAt ?? deps.clock.now().toISOString(),
        late: upload.late ?? false,
        firstOnTime: v.first && !v.first.late ? { at: v.first.at } : undefined,
        link: `${deps.siteOrigin}/l/${token}`,
        linkTtlDays: deps.linkTtlDays,
        to,
      });
      // SES tags: a bounce of this receipt names the org whose contact it was.
      return { ...mail, tags: { org: org.id, campaign: campaign.id, kind: 'receipt' } };
    });
  };
}
