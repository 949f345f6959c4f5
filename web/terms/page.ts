import type { Campaign } from '../../schemas/campaigns.js';
import { EXEMPTION_KINDS, EXEMPTION_LABEL } from '../../schemas/plans.js';
import { MAX_REASON_CHARS, type TermsFormError, type TermsPageQuery, type TermsWhat } from '../../schemas/terms.js';
import { beijingDate } from '../../functions/reviews/rules.js';
import { DAY_MS, formatBeijing, formatBeijingShort } from '../../functions/shared/clock.js';
import { MAX_EXTENSION_DAYS } from '../../functions/terms/rules.js';
import type { TermsData, TermsRow } from '../../functions/terms/service.js';
import { esc, layout } from '../html.js';

/** What the terms page shows: the data (functions/terms/service.ts termsPage), the campaign and today. */
export interface TermsView extends TermsData {
  campaign: Campaign;
  /** Today in Beijing (2019-06-25): the earliest internal deadline. */
  today: string;
}

const CSS = `.row h3{font-size:16px;margin:0 0 4px}.row form{margin:6px 0}.row details{margin-top:6px}.row summary{cursor:pointer;color:#1d4e89}
form label{display:block;margin:4px 0}input[type=text],input[type=search],select{font:inherit;padding:4px;max-width:100%}input[type=text]{width:100%}
input[type=date]{font:inherit;padding:4px}.revoke button{background:#9b1c1c}`;

/** Why a form was refused (POST /terms → 303 /terms?error=…). */
const FORM_ERRORS: Record<TermsFormError, string> = {
  DUE_DATE_REQUIRED: '请填写日期。',
  DUE_DATE_INVALID: '日期无效，请重新选择。',
  DUE_DATE_PAST: '内部截止日期不能早于今天。',
  EXTENSION_NOT_LATER: '延期后的截止日期应晚于原截止时间。',
  EXTENSION_TOO_FAR: `延期不能超过原截止时间后 ${MAX_EXTENSION_DAYS} 天。`,
  SCHOOLS_DUE_NOT_EARLIER: '内部截止时间应早于全市截止时间。',
  REASON_REQUIRED: '请填写原因。',
  KIND_REQUIRED: '请选择免报类型。',
  GRANTED_BY_BUREAU: '该校的免报由市教育局批准，县区不能修改或撤销。',
  CANNOT_EXEMPT_SELF: '不能为本单位登记免报，请联系市教育局。',
  ORG_NOT_FOUND: '没有找到这个单位，或您无权为它办理。',
  BUSY: '该单位的信息正在更新，请稍后再试。',
  OTHER: '操作未成功，请刷新页面后重试。',
};
const DONE: Record<TermsWhat, string> = { extension: '已保存延期', exemption: '已保存免报登记', 'schools-deadline': '已保存内部截止时间' };

const hidden = (what: TermsWhat, action: 'set' | 'revoke', org?: string) =>
  `<input type="hidden" name="what" value="${what}"><input type="hidden" name="action" value="${action}">${org ? `<input type="hidden" name="org" value="${esc(org)}">` : ''}`;
const revokeForm = (what: TermsWhat, label: string, org?: string) => `<form method="post" action="/terms" class="revoke">${hidden(what, 'revoke', org)}<button type="submit">${label}</button></form>`;
const reasonInput = (value: string | undefined, example: string) =>
  `<label>原因<input type="text" name="reason" required maxlength="${MAX_REASON_CHARS}" value="${esc(value ?? '')}" placeholder="例如：${example}"></label>`;

/** "免报（关停：…）· 东湖区教科体局 6月20日 10:00" / "延期至 2019年7月5日：…". */
function termsLine(r: TermsRow) {
  const parts: string[] = [];
  if (r.exemption)
    parts.push(
      `<span class="badge pending" data-exempt>免报（${esc(EXEMPTION_LABEL[r.exemption.kind])}）</span>${esc(r.exemption.reason)} <span class="muted">${esc(r.exemption.byName)} ${esc(formatBeijingShort(r.exemption.at))}</span>`,
    );
  if (r.extension)
    parts.push(
      `<span class="badge pending" data-extension>延期至 ${esc(formatBeijing(r.extension.dueAt, false))}</span>${esc(r.extension.reason)} <span class="muted">${esc(r.extension.byName)} ${esc(formatBeijingShort(r.extension.at))}</span>`,
    );
  return parts.length ? parts.map((p) => `<p>${p}</p>`).join('') : '<p class="muted">按全市截止时间报送，无延期、未免报。</p>';
}

/** One org with its terms and the forms the viewer may use; `anchor` false: listed again, without the row's id. */
function row(v: TermsView, r: TermsRow, anchor = true) {
  const bureau = v.viewer.kind === 'bureau';
  const deadline = Date.parse(v.campaign.deadline);
  const extension = bureau
    ? `<details><summary>${r.extension ? '修改延期' : '批准延期'}</summary><form method="post" action="/terms">${hidden('extension', 'set', r.org.id)}
<label>延期至 <input type="date" name="dueDate" required min="${beijingDate(new Date(deadline + DAY_MS))}" max="${beijingDate(new Date(deadline + MAX_EXTENSION_DAYS * DAY_MS))}" value="${
        r.extension ? beijingDate(new Date(r.extension.dueAt)) : ''
      }">（当日 23:59 前）</label>${reasonInput(r.extension?.reason, '受暴雨影响停课一周')}<button type="submit">保存延期</button></form></details>${r.extension ? revokeForm('extension', '撤销延期', r.org.id) : ''}`
    : '';
  const locked = !bureau && r.exemption?.by.startsWith('city:');
  const exemption = locked
    ? '<p class="muted">该校的免报由市教育局批准，如有变化请联系市教育局。</p>'
    : `<details><summary>${r.exemption ? '修改免报' : '登记免报'}</summary><form method="post" action="/terms">${hidden('exemption', 'set', r.org.id)}
<label>类型 <select name="kind" required>${EXEMPTION_KINDS.map((k) => `<option value="${k}"${r.exemption?.kind === k ? ' selected' : ''}>${EXEMPTION_LABEL[k]}</option>`).join('')}</select></label>${reasonInput(r.exemption?.reason, '学校已撤并，学生转入某校')}<button type="submit">保存免报</button></form></details>${r.exemption ? revokeForm('exemption', '撤销免报', r.org.id) : ''}`;
  return `<article class="card row"${anchor ? ` id="t-${esc(r.org.id)}"` : ''} data-org="${esc(r.org.id)}"><h3>${esc(r.org.name)}${r.org.kind === 'district' ? '（县区本级）' : ''}</h3>
${termsLine(r)}${extension}${exemption}</article>`;
}

const section = (title: string, rows: string, empty: string, attr: string) => `<section ${attr}><h2 class="card">${title}</h2>${rows || `<p class="card muted">${empty}</p>`}</section>`;

/**
 * The terms page: the Bureau searches an org and grants, changes or revokes its extension or exemption, and
 * sees every one granted; a District office sets its schools' internal deadline and registers its schools'
 * exemptions. Every form posts to POST /terms (functions/terms/write.ts) and comes back here.
 */
export function termsPage(v: TermsView, q: TermsPageQuery = {}) {
  const bureau = v.viewer.kind === 'bureau';
  const shown = new Set((v.results ?? []).map((r) => r.org.id));
  const named = v.focus ?? (q.org ? [...(v.results ?? []), ...v.exempt, ...v.extended].find((r) => r.org.id === q.org) : undefined);
  const flash = q.error
    ? `<p class="err" data-error="${esc(q.error)}">未能保存${named ? `（${esc(named.org.name)}）` : ''}：${esc(FORM_ERRORS[q.error])}</p>`
    : q.done
      ? `<p class="note" data-done="${esc(q.done)}">${DONE[q.done]}${named && q.done !== 'schools-deadline' ? `：${esc(named.org.name)}` : ''}</p>`
      : '';
  const deadline = Date.parse(v.campaign.deadline);
  const own = bureau
    ? ''
    : `<section class="card" id="own" data-schools-due="${esc(v.schoolsDueAt?.dueAt ?? '')}"><h2>辖区学校内部截止时间</h2>
<p>${v.schoolsDueAt ? `辖区学校需于 <strong>${esc(formatBeijing(v.schoolsDueAt.dueAt))}</strong> 前上传（${esc(formatBeijingShort(v.schoolsDueAt.at))} 设定）。` : '未设定：辖区学校按全市截止时间提醒。'}</p>
<p class="muted">内部截止时间早于全市截止时间（${esc(formatBeijing(v.campaign.deadline))}），用于给辖区学校发提醒、在学校的上传页面显示；学校是否逾期仍按全市截止时间（或市教育局批准的延期）认定。</p>
<form method="post" action="/terms">${hidden('schools-deadline', 'set')}<label>辖区学校于 <input type="date" name="dueDate" required min="${esc(v.today)}" max="${beijingDate(new Date(deadline - DAY_MS))}" value="${
        v.schoolsDueAt ? beijingDate(new Date(v.schoolsDueAt.dueAt)) : ''
      }"> 当日 23:59 前上传</label><button type="submit">保存</button></form>${v.schoolsDueAt ? revokeForm('schools-deadline', '取消内部截止时间') : ''}</section>`;
  const search = `<section class="card"><h2>查找单位</h2><form method="get" action="/terms"><input type="search" name="q" value="${esc(q.q ?? '')}" placeholder="${
    bureau ? '单位名称或编号' : '辖区学校名称或编号'
  }" aria-label="单位名称"> <button type="submit">查找</button></form>${
    v.results ? `<p class="muted" data-results="${v.results.length}">找到 ${v.results.length} 个单位${v.more ? '（只显示前 20 个，请输入更完整的名称）' : ''}。</p>` : ''
  }</section>${(v.results ?? []).map((r) => row(v, r)).join('')}`;
  const focus = v.focus && !shown.has(v.focus.org.id) ? row(v, v.focus) : '';
  if (v.focus) shown.add(v.focus.org.id);
  // A register lists an org shown above again, without its anchor (one id per page).
  const listed = (rows: TermsRow[]) => rows.map((r) => row(v, r, !shown.has(r.org.id) && (shown.add(r.org.id), true))).join('');
  const intro = bureau
    ? `<p>截止时间：${esc(formatBeijing(v.campaign.deadline))}（北京时间）。批准延期的单位按延期后的日期认定是否逾期、接收提醒；免报的单位不计入应报和统计，也不再收到提醒。撤销后恢复。</p>`
    : '<p>可为本辖区学校登记免报（关停、合并、不适用等）：免报的学校不计入应报和统计，也不再收到提醒；撤销后恢复。延期由市教育局批准。</p>';
  const body = `<style>${CSS}</style>
<section class="card"><h2>${bureau ? '延期与免报' : '免报登记与内部截止时间'}</h2>${intro}${flash}<p><a href="/status">查看报送情况</a></p></section>
${focus}${own}${search}
${section(`免报登记（${v.exempt.length}）`, listed(v.exempt), '暂无免报单位。', 'data-section="exempt"')}
${bureau ? section(`已批准延期（${v.extended.length}）`, listed(v.extended), '暂无延期。', 'data-section="extended"') : ''}`;
  return layout(`延期与免报 - ${v.campaign.title}`, v.campaign.title, `${v.viewer.name} · ${v.campaign.noticeNo}`, body);
}
