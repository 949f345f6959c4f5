import type { DashboardView, DocReview, GroupRollup, OrgRollup, OrgState, OrgTimeliness } from '../../functions/dashboard/rollup.js';
import { percent } from '../../functions/dashboard/rollup.js';
import { formatBeijing, formatBeijingShort } from '../../functions/shared/clock.js';
import { DIRECT_ROUTE_KEY } from '../../schemas/orgs.js';
import { esc, layout } from '../html.js';

/**
 * The completeness/timeliness dashboard (the Bureau, the Centre; a District for its schools):
 * the summary figures, three server-drawn charts, a table per group with drill-down links and, in a
 * group's view, a row per org linking to its status. No script.
 */

const CSS = `
.kpis{display:grid;grid-template-columns:repeat(3,1fr);gap:8px;margin:8px 0}
.kpi{background:#f0f4f8;border-radius:6px;padding:8px 10px}
.kpi b{display:block;font-size:24px;line-height:1.2}.kpi span{font-size:13px;color:#616e7c}
@media (min-width:720px){.kpis{grid-template-columns:repeat(6,1fr)}}
svg.chart,img.chart{display:block;width:100%;max-width:520px;height:auto;margin:4px 0 8px}
@media (min-width:880px){.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}.pair>.card{margin:0 0 12px}}
td.n,th.n{text-align:right;white-space:nowrap}
.sticky td:first-child,.sticky th:first-child{position:sticky;left:0;background:#fff;min-width:7.5em;max-width:12em;z-index:1;box-shadow:1px 0 0 #e4e7eb}
.sticky th:first-child{background:#f0f4f8;z-index:2}
tr.total td{font-weight:bold;background:#f9fafb}
.sticky tr.total td:first-child{background:#f9fafb}
.docs{margin:0;padding:0;list-style:none;font-size:13px;min-width:13em}
td.when{white-space:nowrap}
.badge.exempt{background:#eef0f3;color:#52606d}
`;

const STATE_BADGE: Record<OrgState, [string, string]> = {
  accepted: ['ok', '已审核通过'],
  awaiting: ['pending', '待审核'],
  returned: ['late', '退回修改'],
  missing: ['missing', '未交齐'],
  exempt: ['exempt', '免报'],
};
const TIME_BADGE: Record<OrgTimeliness, [string, string]> = {
  onTime: ['ok', '按时'],
  late: ['late', '逾期'],
  overdue: ['missing', '已过截止'],
  open: ['pending', '未到截止'],
  exempt: ['', ''],
};
const DOC_STATE: Record<DocReview, string> = { missing: '未上传', submitted: '待审核', accepted: '已通过', returned: '已退回' };

const badge = ([cls, label]: [string, string]) => (label ? `<span class="badge ${cls}">${esc(label)}</span>` : '');
const groupHref = (group: string) => `/dashboard?group=${encodeURIComponent(group)}`;

/** The CSV link keeps the current query (a group's view exports that group). */
export function csvHref(query = ''): string {
  const p = new URLSearchParams(query.replace(/^\?/, ''));
  p.delete('format');
  p.set('format', 'csv');
  return `/api/dashboard?${p.toString()}`;
}

/** The pictures are one image of their own (GET /api/dashboard?format=svg, drawn by functions/dashboard/data.ts). */
export function curveHref(query = ''): string {
  const p = new URLSearchParams(query.replace(/^\?/, ''));
  p.set('format', 'svg');
  return `/api/dashboard?${p.toString()}`;
}

function forwardedCell(g: GroupRollup) {
  if (g.group === DIRECT_ROUTE_KEY) return '<span class="muted">直报中心</span>';
  if (!g.group.startsWith('D#')) return '';
  if (!g.forwardedAt) return '<span class="badge missing">未转报</span>';
  return `${esc(formatBeijingShort(g.forwardedAt))}<br>${g.receivedAt ? `<span class="badge ok">中心已接收</span>` : '<span class="badge pending">待中心接收</span>'}`;
}

function groupsTable(groups: GroupRollup[], total: GroupRollup, links: boolean) {
  const row = (g: GroupRollup, isTotal = false) =>
    `<tr${isTotal ? ' class="total"' : ` data-group="${esc(g.group)}"`}><td>${
      isTotal ? '合计' : links ? `<a href="${esc(groupHref(g.group))}">${esc(g.name)}</a>` : esc(g.name)
    }</td><td class="n">${g.expected}</td><td class="n">${g.uploaded}<br><span class="muted">${percent(g.uploadedRate)}</span></td><td class="n">${g.accepted}<br><span class="muted">${percent(g.acceptedRate)}</span></td><td class="n">${g.awaiting}</td><td class="n">${g.returned}</td><td class="n">${g.missing}</td><td class="n">${g.late}</td><td class="n">${g.onTime}<br><span class="muted">${percent(g.onTimeRate)}</span></td><td class="n">${g.exempt}</td><td>${isTotal ? '' : forwardedCell(g)}</td></tr>`;
  return `<div class="scroll"><table id="groups" class="sticky"><thead><tr><th>县区 / 类别</th><th class="n">应交</th><th class="n">已上传</th><th class="n">已审核通过</th><th class="n">待审核</th><th class="n">退回</th><th class="n">未交齐</th><th class="n">逾期</th><th class="n">按时报齐</th><th class="n">免报</th><th>转报</th></tr></thead><tbody>
${groups.map((g) => row(g)).join('\n')}${groups.length > 1 ? `\n${row(total, true)}` : ''}
</tbody></table></div>`;
}

function orgsTable(orgs: OrgRollup[], campaignDeadline: string) {
  if (!orgs.length) return '<p class="muted">暂无应报单位。</p>';
  const row = (o: OrgRollup) => {
    const extended = o.deadline !== campaignDeadline ? `<br><span class="muted">截止时间：${esc(formatBeijingShort(o.deadline))}</span>` : '';
    const exempt = o.exempt ? `<br><span class="muted">原因：${esc(o.exempt.reason)}</span>` : '';
    const docs = o.exempt
      ? ''
      : `<ul class="docs">${o.docs.map((d) => `<li>${esc(d.title)}：<strong>${esc(DOC_STATE[d.state])}</strong>${d.state !== 'missing' && d.late ? '（逾期提交）' : ''}</li>`).join('')}</ul>`;
    return `<tr data-org="${esc(o.orgId)}" data-state="${o.state}"><td><a href="/status?q=${esc(encodeURIComponent(o.orgId))}">${esc(o.name)}</a>${
      o.kind === 'district' ? '（县区本级）' : ''
    }<br>${badge(STATE_BADGE[o.state])}${badge(TIME_BADGE[o.timeliness])}${extended}${exempt}</td><td>${docs}</td><td class="when">${
      o.completedAt ? esc(formatBeijingShort(o.completedAt)) : ''
    }</td></tr>`;
  };
  return `<div class="scroll"><table id="orgs" class="sticky"><thead><tr><th>单位</th><th>材料</th><th>报齐时间</th></tr></thead><tbody>
${orgs.map(row).join('\n')}
</tbody></table></div>`;
}

export function dashboardPage(view: DashboardView): string {
  const r = view.rollup;
  const drilled = view.group !== undefined ? r.groups.find((g) => g.group === view.group) : undefined;
  const c = drilled ?? r.total;
  const single = drilled ?? (r.groups.length === 1 ? r.groups[0] : undefined);
  const kpi = (value: number, label: string, sub = '') => `<div class="kpi"><b>${value}</b><span>${esc(label)}${sub ? `<br>${esc(sub)}` : ''}</span></div>`;
  const f = r.forwarding;
  const forwarding =
    !drilled && f.districts > 1
      ? `<p>县区转报：已转报 <strong>${f.forwarded}</strong> / ${f.districts} 个县区，中心已接收 ${f.received} 个。</p>`
      : single && single.group.startsWith('D#')
        ? `<p>转报：${single.forwardedAt ? `${esc(formatBeijing(single.forwardedAt))} 已转报${single.receivedAt ? `，${esc(formatBeijing(single.receivedAt))} 中心已接收` : '，待中心接收'}` : '尚未转报'}。</p>`
        : '';
  const heading = single ? `${single.name} · 完成情况` : '完成情况';
  const groupsShown = drilled ? [drilled] : r.groups;
  const orgs = single ? r.orgs.filter((o) => o.group === single.group) : [];
  const body = `<style>${CSS}</style>
<section class="card" id="summary">
  <h2>${esc(heading)}</h2>
  ${view.group !== undefined ? `<p><a href="/dashboard">← 返回全部县区</a></p>` : ''}
  ${view.group !== undefined && !drilled ? '<p class="note">没有这个县区或类别的数据。</p>' : ''}
  <p class="muted">截止时间：${esc(formatBeijing(r.deadline))}（北京时间）<br>统计时间：${esc(formatBeijing(r.now))}</p>
  <div class="kpis">
    ${kpi(c.expected, '应交（单位）')}
    ${kpi(c.uploaded, '已上传', percent(c.uploadedRate))}
    ${kpi(c.accepted, '已审核通过', percent(c.acceptedRate))}
    ${kpi(c.returned, '退回')}
    ${kpi(c.late, '逾期')}
    ${kpi(c.exempt, '免报')}
  </div>
  ${forwarding}
  <p class="muted">单位全部材料均已上传计为“已上传”，全部通过县区审核计为“已审核通过”；是否逾期以每份材料首次提交的时间和该单位的截止时间（含延期）为准；免报单位不计入应交。</p>
  <p><a class="btn" href="${esc(csvHref(view.query))}">下载汇总表（CSV）</a></p>
</section>
<section class="card"><h2>图示</h2><img class="chart" id="pictures" src="${esc(curveHref(view.query))}" alt="${esc(`材料完整情况、按时情况与累计报齐单位数（应交 ${c.expected}，已上传 ${c.uploaded}，已审核通过 ${c.accepted}，退回 ${c.returned}，逾期 ${c.late}）`)}" width="360">
<p class="muted">条形图：各县区（直属学校）单位的材料完整情况与按时情况；曲线：每天结束时已交齐全部材料的单位数（按最后一份材料首次到达的时间计），虚线为应交单位数。</p></section>
<section class="card"><h2>${single ? '汇总' : '按县区汇总'}</h2>${groupsTable(groupsShown, r.total, !drilled)}</section>
${single ? `<section class="card"><h2>各单位明细</h2><p class="muted">点单位名称查看其报送情况与文件。</p>${orgsTable(orgs, r.deadline)}</section>` : ''}`;
  return layout(`完成情况 - ${view.title}`, view.title, `${view.viewerName} · ${view.noticeNo}`, body);
}
