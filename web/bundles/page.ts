import type { Bundle, BundleFormError, BundlePageQuery } from '../../schemas/bundles.js';
import { MAX_NOTE_CHARS, MAX_REASON_CHARS } from '../../schemas/bundles.js';
import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import type { Jurisdiction } from '../../functions/bundles/rules.js';
import { readiness } from '../../functions/bundles/rules.js';
import { formatBeijing, formatBeijingShort } from '../../functions/shared/clock.js';
import { esc, layout } from '../html.js';

export type BundlesView =
  | { kind: 'district'; jurisdiction: Jurisdiction; bundles: Bundle[]; changes: string[] }
  | { kind: 'city'; bundles: Bundle[]; districts: Org[]; receiver: boolean };

const CSS = `.bundle{border-top:1px solid #e4e7eb;padding:8px 0}.bundle:first-child{border-top:0}
textarea,input[type=text]{display:block;width:100%;font:inherit;margin:4px 0 8px;padding:4px}.return button{background:#9b1c1c}
form{margin:6px 0}ul.tight{margin:4px 0;padding-left:1.2em}`;

const ERRORS: Record<BundleFormError, string> = {
  NOT_READY: '还有学校的方案未审核通过：请先审核，或将其列入本批次免报并写明原因。',
  OWN_MISSING: '请先上传本单位（县区本级）的全部方案，再统一转报。',
  NOTHING_CHANGED: '上次转报之后没有变化，无需重新转报。',
  UNKNOWN_SCHOOL: '免报名单中有不属于本辖区应报范围的单位。',
  NOT_LATEST_BUNDLE: '该县区已重新转报，请处理最新批次。',
  BUNDLE_ANSWERED: '该批次已接收或已退回，不能再次操作。',
  BUSY: '刚刚有另一次操作完成，请刷新页面查看。',
  OTHER: '操作未成功，请刷新页面后重试。',
};
const DONE = { forward: '已转报，市未成年人心理健康辅导中心会收到邮件通知。', receive: '已接收，并已向县区发送回执。', return: '已退回，并已邮件通知县区。' } as const;
const STATE = { forwarded: ['pending', '待中心接收'], received: ['ok', '中心已接收'], returned: ['late', '已退回'] } as const;

const zipHref = (b: Bundle) => `/bundles/${encodeURIComponent(b.districtId)}/${b.seq}/zip`;
const schoolsIn = (b: Bundle) => new Set(b.entries.filter((e) => e.orgId !== b.districtId).map((e) => e.orgId)).size;

function bundleBlock(b: Bundle, actions = '') {
  const [cls, label] = STATE[b.state];
  return `<div class="bundle" data-bundle="${esc(b.districtId)}-${b.seq}" data-state="${b.state}">
<p><strong>第 ${b.seq} 批</strong> <span class="badge ${cls}">${label}</span> ${esc(formatBeijingShort(b.at))} 转报 · 学校 ${schoolsIn(b)} 所 · 文件 ${b.entries.length} 个
 · <a href="${esc(zipHref(b))}" data-zip>下载压缩包（含清单）</a></p>
${b.exemptions.length ? `<p class="muted">本批免报：${b.exemptions.map((x) => `${esc(x.orgName)}（${esc(x.reason)}）`).join('、')}</p>` : ''}
${b.note ? `<p class="muted">转报说明：${esc(b.note)}</p>` : ''}
${b.answeredAt ? `<p class="muted">${esc(b.answeredByName ?? '')} ${esc(formatBeijingShort(b.answeredAt))} ${b.state === 'received' ? '接收' : '退回'}${b.comment ? `：${esc(b.comment)}` : ''}</p>` : ''}
${actions}</div>`;
}

function districtPage(v: Extract<BundlesView, { kind: 'district' }>) {
  const j = v.jurisdiction;
  const r = readiness(j);
  const latest = v.bundles.at(-1);
  const stale = latest && latest.state !== 'returned' && v.changes.length > 0;
  const status = !latest
    ? '<p>尚未转报。</p>'
    : latest.state === 'returned'
      ? `<p class="err" data-returned>第 ${latest.seq} 批已被退回${latest.comment ? `：${esc(latest.comment)}` : ''}。请处理后重新转报。</p>`
      : stale
        ? `<div class="err" data-stale><strong>第 ${latest.seq} 批转报之后有变化，需要重新转报：</strong><ul class="tight">${v.changes.slice(0, 20).map((c) => `<li>${esc(c)}</li>`).join('')}</ul></div>`
        : `<p class="note">第 ${latest.seq} 批已转报，${latest.state === 'received' ? '中心已接收' : '等待中心接收'}；之后没有变化。</p>`;
  const blockers = r.blockers.length
    ? `<p>以下 ${r.blockers.length} 所学校尚未全部审核通过。请先<a href="/review">审核</a>；如确需本批次不报（如学校已撤并、不适用），请写明原因：</p>
${r.blockers.map((b) => `<label data-blocker="${esc(b.orgId)}">${esc(b.name)}（${esc(b.why)}）<input type="text" name="exempt.${esc(b.orgId)}" maxlength="${MAX_REASON_CHARS}" placeholder="本批次免报的原因（不填则须先审核通过）"></label>`).join('')}`
    : '<p class="note">辖区学校的方案均已审核通过。</p>';
  const form = `<form method="post" action="/bundles" id="forward">
<input type="hidden" name="action" value="forward">
<p>将转报：本级方案${r.ownMissing.length ? `（<span class="err">未上传：${esc(r.ownMissing.join('、'))}</span>）` : ''}，以及 ${r.included.length} 所已审核通过学校的方案。</p>
${blockers}
<label>转报说明（可选）<textarea name="note" maxlength="${MAX_NOTE_CHARS}"></textarea></label>
<button type="submit">统一转报市未成年人心理健康辅导中心</button></form>`;
  return `<section class="card"><h2>辖区方案转报</h2>${status}${form}</section>
<section class="card"><h2>转报记录</h2>${v.bundles.length ? [...v.bundles].reverse().map((b) => bundleBlock(b)).join('') : '<p class="muted">暂无。</p>'}</section>`;
}

function cityPage(v: Extract<BundlesView, { kind: 'city' }>) {
  const byDistrict = new Map<string, Bundle[]>();
  for (const b of v.bundles) byDistrict.set(b.districtId, [...(byDistrict.get(b.districtId) ?? []), b]);
  const rows = v.districts
    .map((d) => {
      const list = byDistrict.get(d.id) ?? [];
      const latest = list.at(-1);
      const actions =
        v.receiver && latest?.state === 'forwarded'
          ? `<form method="post" action="/bundles" class="receive"><input type="hidden" name="action" value="receive"><input type="hidden" name="district" value="${esc(d.id)}"><input type="hidden" name="seq" value="${latest.seq}"><button type="submit">确认接收（发送回执）</button></form>
<details class="return"><summary>退回</summary><form method="post" action="/bundles"><input type="hidden" name="action" value="return"><input type="hidden" name="district" value="${esc(d.id)}"><input type="hidden" name="seq" value="${latest.seq}">
<label>退回原因（县区会收到这段文字）<textarea name="comment" required maxlength="500"></textarea></label><button type="submit">退回并通知县区</button></form></details>`
          : '';
      return `<section class="card" data-district="${esc(d.id)}"><h2>${esc(d.name)}</h2>${
        latest ? `${bundleBlock(latest, actions)}${list.length > 1 ? `<details><summary>更早的批次（${list.length - 1}）</summary>${list.slice(0, -1).reverse().map((b) => bundleBlock(b)).join('')}</details>` : ''}` : '<p class="muted">尚未转报。</p>'
      }</section>`;
    })
    .join('');
  const pending = v.districts.filter((d) => byDistrict.get(d.id)?.at(-1)?.state === 'forwarded').length;
  const none = v.districts.filter((d) => !byDistrict.has(d.id)).length;
  return `<section class="card"><h2>县区转报</h2><p>待接收 <strong>${pending}</strong> 个县区 · 尚未转报 ${none} 个县区</p>
${v.receiver ? '' : '<p class="muted">接收与退回由市未成年人心理健康辅导中心操作。</p>'}</section>${rows}`;
}

export function bundlesPage(campaign: Campaign, viewer: Org, v: BundlesView, q: BundlePageQuery = {}) {
  const flash = q.error ? `<p class="err" data-error="${esc(q.error)}">${esc(ERRORS[q.error])}</p>` : q.done ? `<p class="note" data-done="${esc(q.done)}">${esc(DONE[q.done])}</p>` : '';
  const body = `<style>${CSS}</style>
<section class="card"><p>截止时间：${esc(formatBeijing(campaign.deadline))}（北京时间）</p>${flash}
<p><a href="/review">方案审核</a> · <a href="/status">报送情况</a> · <a href="/dashboard">完成情况统计</a></p></section>
${v.kind === 'district' ? districtPage(v) : cityPage(v)}`;
  return layout(`县区转报 - ${campaign.title}`, campaign.title, `${viewer.name} · ${campaign.noticeNo}`, body);
}
