import type { Campaign } from '../../schemas/campaigns.js';
import type { OrgStatus } from '../plans/rules.js';
import { effectiveDeadline, scopeOf, summarise } from '../plans/rules.js';
import type { PlansDeps, Session } from '../plans/service.js';
import { forbidden } from '../shared/errors.js';
import { type DashboardOrg, dashboardRollup } from './rollup.js';

/**
 * The dashboard's data for a session: the Bureau and the Centre see the city (or drill into one group), a
 * District office its own jurisdiction; schools have no dashboard. Read from the status items (one Query),
 * nothing else.
 */
export async function dashboardFor(deps: PlansDeps, s: Session, group?: string) {
  const scope = scopeOf(s.grant.role, s.org);
  if (scope.kind === 'org') throw forbidden('NO_DASHBOARD', '学校没有汇总统计页面；请在报送页面查看本校材料。');
  // A District office sees its own jurisdiction whatever the address says.
  const only = scope.kind === 'district' ? scope.routeKey : group;
  const [orgs, summaries] = await Promise.all([
    scope.kind === 'district' ? deps.orgs.list(scope.routeKey) : deps.orgs.list(),
    scope.kind === 'district' ? deps.summaries.listRoute(s.campaign.id, scope.routeKey) : deps.summaries.list(s.campaign.id),
  ]);
  const { rows, totals } = summarise(s.campaign, orgs, summaries, scope.kind === 'district' ? [s.org] : []);
  const names = new Map(totals.map((t) => [t.group, t.name]));
  const rollup = dashboardRollup(
    rows.map((r) => dashboardOrg(s.campaign, r, names.get(r.group) ?? r.group)),
    totals.map((t) => ({ group: t.group, name: t.name })),
    { deadline: s.campaign.deadline, now: deps.clock.now(), ...(only ? { group: only } : {}) },
  );
  return { rollup, group: scope.kind === 'district' ? undefined : group };
}

/** An org's row as the dashboard counts it: each document's review state, first arrival and lateness. */
export function dashboardOrg(c: Campaign, r: OrgStatus, groupName: string): DashboardOrg {
  return {
    orgId: r.orgId,
    name: r.name,
    kind: r.kind,
    group: r.group,
    groupName,
    // Late against the org's effective deadline (an extension); an exempt org leaves the expected count.
    deadline: effectiveDeadline(c, r),
    ...(r.exemption ? { exempt: { reason: r.exemption.reason } } : {}),
    docs: r.documents.map((d) => ({ document: d.document, title: d.title, state: d.reviewState, ...(d.firstAt ? { firstAt: d.firstAt } : {}), late: d.late })),
  };
}
