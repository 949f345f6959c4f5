/**
 * Shared test data for the unit tests: a campaign, a small org registry (two Districts with their
 * schools, a Direct school, the Bureau and the Centre) and upload attempts. Real file bytes are in
 * ../fixtures/files.ts.
 */
import { Campaign, type CampaignInput } from '../../schemas/campaigns.js';
import { Org, routeKeyOf } from '../../schemas/orgs.js';
import type { OrgSummary, Upload } from '../../schemas/plans.js';
import { foldAccepted, foldRejected } from '../../functions/plans/rules.js';

export const SIGNING_KEY = 'unit-test-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const keyBytes = () => new TextEncoder().encode(SIGNING_KEY);

export const campaignInput: CampaignInput = {
  id: '2019-plans',
  title: '心理服务体系建设实施方案报送',
  noticeNo: '洪教健字〔2019〕1号',
  documents: [
    { kind: 'service-plan', title: '心理服务体系建设工作实施方案' },
    { kind: 'crisis-plan', title: '心理危机管理工作方案' },
  ],
  deadline: '2019-06-30T23:59:59.999+08:00',
  audience: 'all',
  receiverId: 'centre',
  contact: { name: '王老师', phone: '0791-86123456' },
};
export const campaign: Campaign = Campaign.parse(campaignInput);

const org = (o: Record<string, unknown>): Org => Org.parse({ contacts: [], tokenVersion: 1, ...o });
const mail = (name: string, email: string) => ({ name, email });

export const orgs = {
  bureau: org({ id: 'bureau', name: '南昌市教育局', kind: 'bureau', contacts: [mail('局办公室', 'office@bureau.example.cn')] }),
  centre: org({ id: 'centre', name: '南昌市未成年人心理健康辅导中心', kind: 'centre', contacts: [mail('王老师', 'wang@centre.example.cn')] }),
  dh: org({ id: 'dh', name: '东湖区教科体局', kind: 'district', contacts: [mail('李老师', 'li@dh.example.cn'), mail('李老师', 'LI@dh.example.cn')] }),
  dhSchool1: org({ id: 'dh-school-1', name: '东湖区第一小学', kind: 'school', districtId: 'dh', contacts: [mail('张老师', 'zhang@dh1.example.cn')] }),
  dhSchool2: org({ id: 'dh-school-2', name: '东湖区第二中学', kind: 'school', districtId: 'dh', contacts: [mail('赵老师', 'zhao@dh2.example.cn')] }),
  xh: org({ id: 'xh', name: '西湖区教科体局', kind: 'district', contacts: [] }),
  xhSchool1: org({ id: 'xh-school-1', name: '西湖区实验学校', kind: 'school', districtId: 'xh', contacts: [mail('陈老师', 'chen@xh1.example.cn')] }),
  direct1: org({ id: 'direct-1', name: '南昌市第一中学', kind: 'school', directKind: '局属学校', contacts: [mail('刘老师', 'liu@d1.example.cn')] }),
} satisfies Record<string, Org>;
export const allOrgs: Org[] = Object.values(orgs);

export const UPLOAD_ID = '0123456789abcdef0123456789abcdef';
export const uploadId = (n: number) => n.toString(16).padStart(32, '0');

/** An upload attempt with sensible defaults (a pending PDF of dh-school-1's service plan). */
export function upload(over: Partial<Upload> = {}): Upload {
  return {
    campaignId: campaign.id,
    orgId: 'dh-school-1',
    document: 'service-plan',
    uploadId: UPLOAD_ID,
    ext: 'pdf',
    originalName: '方案.pdf',
    declaredSize: 1000,
    by: 'school:dh-school-1',
    requestedAt: '2019-06-10T02:00:00.000Z',
    state: 'pending',
    ...over,
  };
}

/**
 * The status items the validator would leave after folding these attempts in this order (accepted and
 * rejected ones; pending ones are not folded), one per org.
 */
export function summariesOf(uploads: Upload[]): OrgSummary[] {
  const byOrg = new Map<string, OrgSummary | undefined>();
  for (const u of uploads) {
    const prev = byOrg.get(u.orgId);
    if (u.state === 'accepted') byOrg.set(u.orgId, foldAccepted(prev, u).next ?? prev);
    else if (u.state === 'rejected') byOrg.set(u.orgId, foldRejected(prev, u) ?? prev);
  }
  // Written with the org's route, as the validator's fold does (the route index, gsi1).
  const routes = new Map(allOrgs.map((o) => [o.id, routeKeyOf(o)]));
  return [...byOrg.values()].filter((s): s is OrgSummary => !!s).map((s) => ({ ...s, routeKey: routes.get(s.orgId) }));
}
