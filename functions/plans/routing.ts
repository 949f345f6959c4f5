import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';

/** Who to call about a submission: a person, the org they belong to, and a phone number when known. */
export interface RoutingContact {
  name: string;
  /** The contact's org name. */
  who: string;
  phone?: string;
}

/**
 * Where an org's plans go, as the org should read it (invitation mail, receipt, upload page):
 * - `district`: a District school — its District office collects and checks them, then forwards them
 *   together to the Centre (先由县区收齐后统一报送);
 * - `direct`: a Direct school (and, for completeness, the Bureau or the Centre) — straight to the Centre;
 * - `self`: a District office — its own plans straight to the Centre, and it collects its schools'.
 */
export interface Routing {
  kind: 'district' | 'direct' | 'self';
  /** One Chinese sentence naming the route. */
  sentence: string;
  /** Whom to contact, nearest first: the District office (for its schools), then the Centre. */
  contacts: RoutingContact[];
}

/** The Centre's name when the receiving org is not known (e.g. not imported yet). */
export const DEFAULT_RECEIVER_NAME = '南昌市未成年人心理健康辅导中心';

/**
 * The route of `org`'s plans in `campaign`. `receiver` is the campaign's receiving org (the Centre),
 * `district` the org's District office (looked up by the caller from `org.districtId`; ignored for
 * other orgs). Pure: names only `org`, its District office and the receiver — never another school.
 * The District office's contact is its first contact with a phone number (else its first contact).
 */
export function routingOf(org: Org, campaign: Campaign, receiver: Org | undefined, district: Org | undefined): Routing {
  const centre = receiver?.name ?? DEFAULT_RECEIVER_NAME;
  const centreContact: RoutingContact = { name: campaign.contact.name, who: centre, phone: campaign.contact.phone };

  if (org.kind === 'school' && org.districtId) {
    const office = district?.id === org.districtId ? district : undefined;
    const officeName = office?.name ?? '所属县区教育局（教体办）';
    const first = office?.contacts.find((c) => c.phone) ?? office?.contacts[0];
    return {
      kind: 'district',
      sentence: `本校的方案先由${officeName}收齐、审核，再由其统一报送${centre}。`,
      contacts: [...(office && first ? [{ name: first.name, who: office.name, ...(first.phone ? { phone: first.phone } : {}) }] : []), centreContact],
    };
  }
  if (org.kind === 'district') {
    return {
      kind: 'self',
      sentence: `本单位的方案直接报送${centre}；辖区内各学校的方案先由本单位收齐、审核，再统一报送${centre}。`,
      contacts: [centreContact],
    };
  }
  if (org.kind === 'school') {
    return {
      kind: 'direct',
      sentence: `本校为直属学校${org.directKind ? `（${org.directKind}）` : ''}，方案直接报送${centre}。`,
      contacts: [centreContact],
    };
  }
  // The Bureau and the Centre submit nothing: they see where everyone's plans go.
  return { kind: 'direct', sentence: `各县区学校的方案由县区收齐、审核后统一报送${centre}；直属学校和各县区教育局（教体办）的方案直接报送${centre}。`, contacts: [centreContact] };
}

/** "东湖区教科体局 李老师（电话 0791-…）" — one line per contact, for text and (escaped) HTML. */
export const contactLine = (c: RoutingContact) => `${c.who} ${c.name}${c.phone ? `（电话 ${c.phone}）` : ''}`;
