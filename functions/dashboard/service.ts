import type { Campaign } from '../../schemas/campaigns.js';
import { CITY_ROUTE_KEY, DIRECT_ROUTE_KEY, type Org, routeKeyOf } from '../../schemas/orgs.js';
import type { Bundle } from '../../schemas/bundles.js';
import type { OrgSummary } from '../../schemas/plans.js';
import type { BundleStore } from '../bundles/store.js';
import { DIRECT_GROUP_NAME, effectiveDeadline, inAudience, isLate, scopeOf } from '../plans/rules.js';
import { reviewStateOf } from '../reviews/rules.js';
import type { PlansDeps, Session } from '../plans/service.js';
import { forbidden } from '../shared/errors.js';
import { type DashboardOrg, dashboardRollup } from './rollup.js';

/**
 * The dashboard's data for a session: the Bureau and the Centre see the city (or drill into one group), a
 * District office its own jurisdiction; schools have no dashboard. Read from the status items (one Query) and
 * the bundles (one Query: when each District forwarded, whether the Centre received it).
 */
export async function dashboardFor(deps: Pick<PlansDeps, 'orgs' | 'summaries' | 'clock'> & { bundles: Pick<BundleStore, 'list' | 'listAll'> }, s: Session, group?: string) {
  const scope = scopeOf(s.grant.role, s.org);
  if (scope.kind === 'org') throw forbidden('NO_DASHBOARD', '学校没有汇总统计页面；请在报送页面查看本校材料。');
  // A District office sees its own jurisdiction whatever the address says.
  const only = scope.kind === 'district' ? scope.routeKey : group;
  const [orgs, summaries, bundles] = await Promise.all([
    scope.kind === 'district' ? deps.orgs.list(scope.routeKey) : deps.orgs.list(),
    scope.kind === 'district' ? deps.summaries.listRoute(s.campaign.id, scope.routeKey) : deps.summaries.list(s.campaign.id),
    scope.kind === 'district' ? deps.bundles.list(s.campaign.id, s.org.id) : deps.bundles.listAll(s.campaign.id),
  ]);
  // Each District's latest bundle (the list is in District, then number, order).
  const latest = new Map(bundles.map((b) => [b.districtId, b]));
  const byOrg = new Map(summaries.map((x) => [x.orgId, x]));
  const names = new Map([...orgs, s.org].filter((o) => o.kind === 'district').map((o) => [routeKeyOf(o), o.name]));
  const groupName = (g: string) => (g === DIRECT_ROUTE_KEY ? DIRECT_GROUP_NAME : (names.get(g) ?? g.replace(/^D#/, '')));
  const rows = orgs
    .filter((o) => inAudience(s.campaign, o) && routeKeyOf(o) !== CITY_ROUTE_KEY)
    .map((o) => dashboardOrg(s.campaign, o, byOrg.get(o.id), groupName(routeKeyOf(o)), o.kind === 'district' ? latest.get(o.id) : undefined));
  const groups = [...new Set(rows.map((r) => r.group))].map((g) => {
    const b = latest.get(g.replace(/^D#/, ''));
    return { group: g, name: groupName(g), ...(b && g.startsWith('D#') ? { forwardedAt: b.at, ...(b.state === 'received' && b.answeredAt ? { receivedAt: b.answeredAt } : {}) } : {}) };
  });
  const rollup = dashboardRollup(rows, groups, { deadline: s.campaign.deadline, now: deps.clock.now(), ...(only ? { group: only } : {}) });
  return { rollup, group: scope.kind === 'district' ? undefined : group };
}

/** An org's row as the dashboard counts it, straight from its status item: each document's review state, first arrival, lateness. */
/**
 * A District office's own plans are not reviewed one by one: they count as accepted once the Centre has received
 * the bundle that holds the current version (`bundle`: the District's latest).
 */
export function dashboardOrg(c: Campaign, org: Org, item: OrgSummary | undefined, groupName: string, bundle?: Bundle): DashboardOrg {
  // Late against the org's effective deadline (an extension); an exempt org leaves the expected count.
  const deadline = effectiveDeadline(c, item);
  return {
    orgId: org.id,
    name: org.name,
    kind: org.kind,
    group: routeKeyOf(org),
    groupName,
    deadline,
    ...(item?.exemption ? { exempt: { reason: item.exemption.reason } } : {}),
    docs: c.documents.map((d) => {
      const doc = item?.docs[d.kind];
      const received = bundle?.state === 'received' && doc?.last && bundle.entries.some((e) => e.orgId === org.id && e.document === d.kind && e.uploadId === doc.last?.uploadId);
      return { document: d.kind, title: d.title, state: received ? 'accepted' : reviewStateOf(doc), ...(doc?.first ? { firstAt: doc.first.at } : {}), late: !!doc?.first && isLate(doc.first.at, deadline) };
    }),
  };
}
