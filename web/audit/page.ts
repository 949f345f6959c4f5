import type { AuditRow, AuditView } from '../../functions/audit/service.js';
import { esc, layout } from '../html.js';

/** A few rules of its own: each event is a block that reads on a phone, not a wide table. */
const STYLE = `<style>
.trail{list-style:none;margin:0;padding:0}
.trail li{background:#fff;border-radius:8px;padding:10px 12px;margin:0 0 8px;box-shadow:0 1px 2px rgba(0,0,0,.06);font-size:14px}
.trail .when{color:#616e7c;font-size:13px}.trail .who{margin:2px 0}.trail .org{font-weight:600}
.trail .changes{margin:4px 0 0;padding:0 0 0 16px;color:#323f4b}.trail .changes li{background:none;box-shadow:none;padding:0;margin:0}
.trail .note{margin:4px 0 0}
.filter input{font-size:15px;padding:6px 8px;width:12em;max-width:60%}.filter button{padding:6px 14px;font-size:15px}
.actions a{margin-right:12px}
</style>`;

const q = (params: Record<string, string | undefined>) => {
  const s = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`)
    .join('&');
  return s ? `?${s}` : '';
};

function row(r: AuditRow, linkOrg: boolean): string {
  const e = r.event;
  const doc = r.documentTitle ? `${esc(r.documentTitle)}${e.version !== undefined ? ` 第 ${esc(e.version)} 版` : ''}` : e.version !== undefined ? `第 ${esc(e.version)} 版` : '';
  const org = linkOrg ? `<a class="org" href="/audit${esc(q({ org: e.orgId }))}">${esc(r.orgName)}</a>` : `<span class="org">${esc(r.orgName)}</span>`;
  const changes = r.changes.length
    ? `<ul class="changes">${r.changes.map((c) => `<li title="${esc(c.field)}">${esc(c.label)}：${esc(c.before)} → ${esc(c.after)}</li>`).join('')}</ul>`
    : '';
  return `<li data-id="${esc(e.id)}" data-action="${esc(e.action)}">
<div class="when">${esc(r.time)}</div>
<div class="who">${org}　<span class="badge pending">${esc(r.actionLabel)}</span>${doc ? ` <span>${doc}</span>` : ''}</div>
<div class="muted">操作人：${esc(r.actorLabel)}</div>${changes}${e.note ? `<div class="note">备注：${esc(e.note)}</div>` : ''}
</li>`;
}

/**
 * The audit trail for the Bureau and the Centre (Simplified Chinese, phone first): the latest events
 * first, each with its time (Beijing), org, action, actor, document and version, what changed, note.
 */
export function auditPage(view: AuditView, filter: { before?: string } = {}): string {
  const scope = view.org ? view.org.name : '全部机构';
  const csv = `/api/audit${q({ org: view.org?.id, format: 'csv' })}`;
  const filterForm = `<form class="filter" method="get" action="/audit">
<label>机构编号 <input name="org" value="${esc(view.org?.id ?? '')}" placeholder="如 d-donghu" autocomplete="off" autocapitalize="none" spellcheck="false"></label>
<button type="submit">查看</button></form>`;
  const head = `<section class="card"><h2>操作记录：${esc(scope)}</h2>
<p class="muted">上传、审核、报送、签收、延期、免报、链接发放与停用、下载等每一次变更都记录在此，只增不改。时间为北京时间。</p>
${filterForm}
<p class="actions">${view.org ? '<a href="/audit">查看全部机构</a>' : ''}<a href="${esc(csv)}">导出 Excel（CSV，全部记录）</a></p></section>`;
  const newestFirst = [...view.rows].reverse();
  const list = newestFirst.length
    ? `<ol class="trail">${newestFirst.map((r) => row(r, !view.org)).join('')}</ol>`
    : `<section class="card"><p>${filter.before ? '没有更早的记录。' : '暂无记录。'}</p></section>`;
  const more = view.earlier ? `<p><a class="btn" href="/audit${esc(q({ org: view.org?.id, before: view.earlier }))}">更早的记录</a></p>` : '';
  const newer = filter.before ? `<p><a href="/audit${esc(q({ org: view.org?.id }))}">回到最新记录</a></p>` : '';
  return layout(`操作记录 - ${view.campaign.title}`, '操作记录', view.campaign.title, `${STYLE}${head}${list}${more}${newer}`);
}
