import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';

/** Where an org's plans go and whom to call. (Placeholder until the routing module lands.) */
export interface Routing {
  kind: 'district' | 'direct' | 'self';
  sentence: string;
  contacts: { name: string; who: string; phone?: string }[];
}

export function routingOf(org: Org, campaign: Campaign, receiver: Org | undefined, district: Org | undefined): Routing {
  const centre = { name: campaign.contact.name, who: receiver?.name ?? '南昌市未成年人心理健康辅导中心', phone: campaign.contact.phone };
  if (org.kind === 'school' && district) {
    const c = district.contacts.find((x) => x.phone) ?? district.contacts[0];
    return {
      kind: 'district',
      sentence: `本校材料由${district.name}收齐审核后统一报送${centre.who}。`,
      contacts: [...(c ? [{ name: c.name, who: district.name, phone: c.phone }] : []), centre],
    };
  }
  return { kind: org.kind === 'school' ? 'direct' : 'self', sentence: `本单位材料直接报送${centre.who}。`, contacts: [centre] };
}
