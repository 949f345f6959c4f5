import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import type { ReviewState } from '../../schemas/plans.js';
import { PRECHECK_STATUS_TEXT, type PrecheckResult } from '../../schemas/precheck.js';
import { MAX_COMMENT_CHARS, type ReviewFormError, type ReviewPageQuery } from '../../schemas/reviews.js';
import type { DocStatus, OrgStatus } from '../../functions/plans/rules.js';
import { beijingDate } from '../../functions/reviews/rules.js';
import { formatBeijing, formatBeijingShort, formatBeijingWeekday } from '../../functions/shared/clock.js';
import { esc, layout } from '../html.js';
import { REVIEW_BADGE, REVIEW_LABEL, size } from '../pages.js';

/** What the review page shows: the reviewer, its own plans (a District office), the schools it reviews. */
export interface ReviewView {
  campaign: Campaign;
  reviewer: Org;
  own?: OrgStatus;
  schools: OrgStatus[];
  /** Today in Beijing (2019-06-25): the earliest due date a return may set. */
  today: string;
  /** The due date a return form suggests. */
  defaultDue: string;
  /** The last date a return may set. */
  maxDue: string;
  /** The advisory pre-check of each latest version, by upload id. */
  prechecks?: Map<string, PrecheckResult>;
}

const CSS = `.item h3{font-size:16px;margin:0 0 4px}.item form{display:inline-block;margin:6px 8px 0 0}
.item textarea{display:block;width:100%;min-height:5em;font:inherit;margin:6px 0}.item input[type=date]{font:inherit;padding:4px}
.item details{margin-top:6px}.item summary{cursor:pointer;color:#1d4e89}.return button{background:#9b1c1c}
.counts span{display:inline-block;margin:0 12px 4px 0}.counts strong{font-size:20px}`;

const fileHref = (orgId: string, doc: string, version: number, open = false) =>
  `/files/${encodeURIComponent(orgId)}/${encodeURIComponent(doc)}/${version}${open ? '?open=1' : ''}`;

const anchor = (orgId: string, doc: string) => `r-${orgId}-${doc}`;

function hidden(r: OrgStatus, d: DocStatus, decision: 'accept' | 'return') {
  return `<input type="hidden" name="org" value="${esc(r.orgId)}"><input type="hidden" name="document" value="${esc(d.document)}">
<input type="hidden" name="version" value="${d.lastVersion ?? ''}"><input type="hidden" name="decision" value="${decision}">`;
}

function acceptForm(r: OrgStatus, d: DocStatus, label: string) {
  return `<form method="post" action="/review" class="accept">${hidden(r, d, 'accept')}<button type="submit">${label}</button></form>`;
}

function returnForm(v: ReviewView, r: OrgStatus, d: DocStatus, open: boolean) {
  return `<details class="return"${open ? ' open' : ''}><summary>${d.reviewState === 'returned' ? '修改退回意见' : '退回修改'}</summary>
<form method="post" action="/review">${hidden(r, d, 'return')}
<label>需要修改的内容（学校会收到这段文字）<textarea name="comment" required maxlength="${MAX_COMMENT_CHARS}" placeholder="例如：缺少“危机干预”部分，请补充处置流程和责任人。">${
    d.reviewState === 'returned' ? esc(d.review?.comment ?? '') : ''
  }</textarea></label>
<label>请于 <input type="date" name="dueDate" required min="${esc(v.today)}" max="${esc(v.maxDue)}" value="${esc(d.reviewState === 'returned' && d.review?.dueAt ? dateOf(d.review.dueAt) : v.defaultDue)}"> 前重新上传</label><br>
<button type="submit">退回并通知学校</button></form></details>`;
}

/** "2019-06-25" of a due instant (the end of a Beijing day). */
const dateOf = (iso: string) => beijingDate(new Date(iso));

/** Which of the sections the notice asks for the version shows (advisory; never blocks a decision). */
function precheck(v: ReviewView, d: DocStatus) {
  if (!d.lastUploadId || d.reviewState === 'missing') return '';
  const p = v.prechecks?.get(d.lastUploadId);
  const head = '<span class="muted">自动检查（仅供参考）：</span>';
  if (!p) return `<p data-precheck="pending">${head}<span class="muted">正在检查，稍后刷新可见。</span></p>`;
  if (p.status !== 'ok') return `<p data-precheck="${p.status}">${head}<span class="muted">${esc(PRECHECK_STATUS_TEXT[p.status])}</span></p>`;
  const missing = p.sections.filter((x) => !x.found);
  return `<p data-precheck="ok" data-missing="${missing.length}">${head}${p.sections
    .map((x) => `<span class="badge ${x.found ? 'ok' : 'late'}">${x.found ? '有' : '未见'}：${esc(x.label)}</span>`)
    .join('')}</p>`;
}

function item(v: ReviewView, r: OrgStatus, d: DocStatus) {
  const rev = d.review;
  const version =
    d.lastVersion !== undefined
      ? `<p>第 ${d.lastVersion} 版 · ${esc(formatBeijingShort(d.lastUploadAt ?? ''))} 上传 · <span class="badge ${d.late ? 'late' : 'ok'}">${d.late ? '逾期提交' : '按时提交'}</span>
<br><span class="muted">${esc(d.lastFileName ?? '')} · ${esc(size(d.lastSize))}${d.versions > 1 ? ` · 共 ${d.versions} 版` : ''}</span>
<br><a href="${fileHref(r.orgId, d.document, d.lastVersion, true)}" target="_blank" rel="noopener noreferrer">打开</a> · <a href="${fileHref(r.orgId, d.document, d.lastVersion)}">下载</a></p>`
      : '';
  const previous = rev
    ? `<p class="muted" data-previous>${
        d.reviewState === 'submitted'
          ? `第 ${rev.version} 版曾${rev.state === 'returned' ? '被退回' : '审核通过'}（${esc(formatBeijingShort(rev.at))}）${rev.comment ? `：${esc(rev.comment)}` : ''}`
          : `${esc(rev.byName)} ${esc(formatBeijingShort(rev.at))} ${rev.state === 'returned' ? `退回，要求 ${esc(rev.dueAt ? formatBeijingWeekday(rev.dueAt, true) : '')} 前重新上传` : '审核通过'}${rev.comment ? `：<span style="white-space:pre-wrap">${esc(rev.comment)}</span>` : ''}`
      }</p>`
    : '';
  const actions =
    d.reviewState === 'submitted'
      ? `${acceptForm(r, d, '审核通过')}${returnForm(v, r, d, false)}`
      : d.reviewState === 'returned'
        ? `${acceptForm(r, d, '改为审核通过')}${returnForm(v, r, d, false)}`
        : d.reviewState === 'accepted'
          ? returnForm(v, r, d, false)
          : '';
  const contact = r.contactPhone ? `<span class="muted">${esc(r.contactName ?? '')} <a href="tel:${esc(r.contactPhone.replace(/[^0-9+]/g, ''))}">${esc(r.contactPhone)}</a></span>` : '';
  return `<article class="card item" id="${esc(anchor(r.orgId, d.document))}" data-org="${esc(r.orgId)}" data-doc="${esc(d.document)}" data-review-state="${d.reviewState}">
<h3>${esc(r.name)} · ${esc(d.title)} <span class="badge ${REVIEW_BADGE[d.reviewState]}">${REVIEW_LABEL[d.reviewState]}</span></h3>
${contact}${version}${precheck(v, d)}${previous}${actions}</article>`;
}

/** Why a decision from the form was refused (POST /review → 303 /review?error=…). */
const FORM_ERRORS: Record<ReviewFormError, string> = {
  COMMENT_REQUIRED: '退回时请写明需要修改的内容。',
  DUE_DATE_REQUIRED: '退回时请填写重新提交的截止日期。',
  DUE_DATE_INVALID: '重新提交的截止日期不是有效日期。',
  DUE_DATE_PAST: '重新提交的截止日期不能早于今天。',
  DUE_DATE_TOO_FAR: '重新提交的截止日期太远，请选择 60 天以内的日期。',
  NOT_LATEST_VERSION: '该单位已提交了新的版本，请打开最新版本后再审核。',
  NOTHING_TO_REVIEW: '该单位尚未提交这份材料，无法审核。',
  BUSY: '该单位的材料正在更新，请稍后再试。',
  OTHER: '操作未成功，请刷新页面后重试。',
};

const ORDER: ReviewState[] = ['submitted', 'returned', 'accepted', 'missing'];
const HEADINGS: Record<ReviewState, string> = { submitted: '待审核', returned: '已退回，等待学校重新上传', accepted: '审核通过', missing: '尚未提交' };

/** The reviewer's page: the queue first (待审核), then returned, accepted and missing documents. */
export function reviewPage(v: ReviewView, q: ReviewPageQuery = {}) {
  const items = v.schools.flatMap((r) => r.documents.map((d) => ({ r, d })));
  const by = (s: ReviewState) =>
    items.filter((x) => x.d.reviewState === s).sort((a, b) => (b.d.lastUploadAt ?? '').localeCompare(a.d.lastUploadAt ?? '') || a.r.orgId.localeCompare(b.r.orgId));
  const count = (s: ReviewState) => items.filter((x) => x.d.reviewState === s).length;
  const at = q.org && q.doc ? items.find((x) => x.r.orgId === q.org && x.d.document === q.doc) : undefined;
  const done = q.done ? at : undefined;
  const flash = q.error
    ? `<p class="err" data-error="${esc(q.error)}">未能保存${at ? `（${esc(at.r.name)} · ${esc(at.d.title)}）` : ''}：${esc(FORM_ERRORS[q.error])}</p>`
    : done
      ? `<p class="note" data-done="${esc(q.done)}">${q.done === 'accept' ? '已审核通过' : '已退回并通知学校'}：${esc(done.r.name)} · ${esc(done.d.title)}</p>`
      : '';
  const own = v.own
    ? `<section class="card" data-own><h2>本单位材料</h2>${v.own.documents
        .map((d) => `<p data-doc="${esc(d.document)}">${esc(d.title)}：${d.state === 'uploaded' ? `<span class="badge ok">已提交第 ${d.lastVersion} 版</span>` : '<span class="badge missing">未上传</span>'}</p>`)
        .join('')}<p><a href="/upload">上传或更新本单位材料</a></p></section>`
    : '';
  const sections = ORDER.map((s) => {
    const list = by(s);
    if (!list.length) return '';
    const body = s === 'missing'
      ? `<ul>${[...new Map(list.map((x) => [x.r.orgId, x.r])).values()]
          .map((r) => `<li data-org="${esc(r.orgId)}">${esc(r.name)}：${esc(r.documents.filter((d) => d.reviewState === 'missing').map((d) => d.title).join('、'))}${
            r.contactPhone ? ` <span class="muted">${esc(r.contactName ?? '')} <a href="tel:${esc(r.contactPhone.replace(/[^0-9+]/g, ''))}">${esc(r.contactPhone)}</a></span>` : ''
          }</li>`)
          .join('')}</ul>`
      : list.map((x) => item(v, x.r, x.d)).join('');
    const wrap = s === 'accepted' || s === 'missing';
    return `<section data-section="${s}"><h2>${HEADINGS[s]}（${list.length}）</h2>${wrap ? `<details${s === 'missing' ? ' open' : ''} class="card"><summary>展开</summary>${body}</details>` : body}</section>`;
  }).join('');
  const scope = v.reviewer.kind === 'district' ? '辖区学校' : '直属学校';
  const body = `<style>${CSS}</style>
<section class="card"><h2>${esc(scope)}方案审核</h2>
<p>截止时间：${esc(formatBeijing(v.campaign.deadline))}（北京时间）</p>
<p class="counts">${ORDER.map((s) => `<span data-count="${s}">${HEADINGS[s].split('，')[0]} <strong>${count(s)}</strong></span>`).join('')}</p>
<p class="muted">请打开每份方案查看；符合要求的点“审核通过”，需要修改的点“退回修改”，写明修改意见和重新上传的截止日期，系统会立即邮件通知学校。学校重新上传后，会回到“待审核”。</p>
${flash}<p><a href="/status">报送情况</a> · <a href="/bundles">${v.reviewer.kind === 'district' ? '统一转报' : '县区转报'}</a> · <a href="/dashboard">完成情况统计</a></p></section>
${own}${sections || '<section class="card"><p>没有需要审核的学校。</p></section>'}`;
  return layout(`方案审核 - ${v.campaign.title}`, v.campaign.title, `${v.reviewer.name} · ${v.campaign.noticeNo}`, body);
}
