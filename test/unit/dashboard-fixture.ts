/**
 * A small hand-written dashboard: 东湖区 (accepted, returned, missing, returned-and-missing, exempt,
 * an extension that makes a July upload on time), 西湖区 with nobody in the audience, and three
 * Direct schools (one late, one awaiting review, one with a hostile name and nothing handed in).
 * Campaign deadline 30 June 2019 23:59:59.999 Beijing; now 2 July 10:00 Beijing.
 */
import type { DashboardGroup, DashboardOrg, DocReview } from '../../functions/dashboard/rollup.js';

export const DEADLINE = '2019-06-30T15:59:59.999Z';
export const NOW = '2019-07-02T02:00:00.000Z';
export const EXTENDED = '2019-07-05T15:59:59.999Z';
export const DIRECT_NAME = '直属学校（局属、省属事业单位办、市管民办）';
export const HOSTILE = '<script>alert(1)</script> & 学校';

const doc = (n: 1 | 2, state: DocReview, firstAt?: string, late = false) => ({
  document: n === 1 ? 'service-plan' : 'crisis-plan',
  title: n === 1 ? '心理服务体系建设工作实施方案' : '心理危机管理工作方案',
  state,
  ...(firstAt ? { firstAt } : {}),
  late,
});

const dh = (o: Omit<DashboardOrg, 'group' | 'groupName' | 'deadline' | 'kind'> & Partial<DashboardOrg>): DashboardOrg => ({
  kind: 'school',
  group: 'D#dh',
  groupName: '东湖区教科体局',
  deadline: DEADLINE,
  ...o,
});
const direct = (o: Omit<DashboardOrg, 'group' | 'groupName' | 'deadline' | 'kind'>): DashboardOrg => ({
  kind: 'school',
  group: 'DIRECT',
  groupName: DIRECT_NAME,
  deadline: DEADLINE,
  ...o,
});

export const orgs: DashboardOrg[] = [
  // Direct schools first and the District's out of order: the roll-up sorts.
  direct({ orgId: 'direct-3', name: HOSTILE, docs: [doc(1, 'missing'), doc(2, 'missing')] }),
  direct({ orgId: 'direct-1', name: '南昌市第一中学', docs: [doc(1, 'accepted', '2019-06-26T02:00:00.000Z'), doc(2, 'accepted', '2019-07-01T01:00:00.000Z', true)] }),
  direct({ orgId: 'direct-2', name: '南昌市第二中学', docs: [doc(1, 'submitted', '2019-06-30T09:00:00.000Z'), doc(2, 'submitted', '2019-06-30T10:00:00.000Z')] }),
  dh({ orgId: 'dh-5', name: '东湖区第五小学', docs: [doc(1, 'returned', '2019-06-27T02:00:00.000Z'), doc(2, 'missing')] }),
  dh({ orgId: 'dh-1', name: '东湖区第一小学', docs: [doc(1, 'accepted', '2019-06-25T01:00:00.000Z'), doc(2, 'returned', '2019-06-29T16:30:00.000Z')] }),
  dh({ orgId: 'dh', name: '东湖区教科体局', kind: 'district', docs: [doc(1, 'accepted', '2019-06-20T02:00:00.000Z'), doc(2, 'accepted', '2019-06-21T03:00:00.000Z')] }),
  dh({ orgId: 'dh-2', name: '东湖区第二中学', docs: [doc(1, 'submitted', '2019-06-28T08:00:00.000Z'), doc(2, 'missing')] }),
  // Exempt: its early upload neither counts nor starts the curve.
  dh({ orgId: 'dh-3', name: '东湖区第三小学', exempt: { reason: '学校已撤并' }, docs: [doc(1, 'submitted', '2019-06-01T02:00:00.000Z'), doc(2, 'missing')] }),
  // Extended to 5 July: its 1 July upload is on time (the validator decided `late` against this deadline).
  dh({ orgId: 'dh-4', name: '东湖区第四中学', deadline: EXTENDED, docs: [doc(1, 'submitted', '2019-06-24T02:00:00.000Z'), doc(2, 'submitted', '2019-07-01T04:00:00.000Z')] }),
];

export const groups: DashboardGroup[] = [
  { group: 'DIRECT', name: DIRECT_NAME },
  { group: 'D#xh', name: '西湖区教科体局' },
  { group: 'D#dh', name: '东湖区教科体局', forwardedAt: '2019-07-01T09:00:00.000Z', receivedAt: '2019-07-01T10:30:00.000Z' },
];
