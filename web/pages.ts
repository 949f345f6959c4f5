import type { Campaign } from '../schemas/campaigns.js';
import type { Org } from '../schemas/orgs.js';
import { EXEMPTION_LABEL, type Exemption, FILE_TYPES, MAX_UPLOAD_BYTES, type StatusFilter } from '../schemas/plans.js';
import { type DocStatus, filterRows, grandTotal, type GroupTotal, type OrgStatus, remindedText } from '../functions/plans/rules.js';
import { formatBeijing, formatBeijingShort, formatBeijingWeekday } from '../functions/shared/clock.js';
import { esc, layout } from './html.js';

const ACCEPT = Object.entries(FILE_TYPES)
  .flatMap(([ext, t]) => [`.${ext}`, t.contentType])
  .join(',');
const TYPES = Object.values(FILE_TYPES)
  .map((t) => t.label)
  .join('、');
const MB = MAX_UPLOAD_BYTES / 1024 / 1024;

export const size = (n?: number) => (n === undefined ? '' : n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

/** Where an org's plans go and whom to call: shown on the upload page (and said in its mails). */
export interface RoutingView {
  sentence: string;
  contacts: { name: string; who: string; phone?: string }[];
}

export interface UploadView {
  campaign: Campaign;
  org: Org;
  documents: DocStatus[];
  routing: RoutingView;
  /** The org's official deadline (an extension, else the campaign's): lateness. */
  deadline?: string;
  /** The date the page asks for: the official one, or the District's internal deadline for its schools. */
  dueAt?: string;
  exemption?: Exemption;
}

const fileHref = (orgId: string, doc: string, version: number, open = false) =>
  `/files/${encodeURIComponent(orgId)}/${encodeURIComponent(doc)}/${version}${open ? '?open=1' : ''}`;

const tel = (phone: string) => `<a href="tel:${esc(phone.replace(/[^0-9+]/g, ''))}">${esc(phone)}</a>`;

/** What the reviewer decided, as the school reads it (`reviewed`: the org's plans are reviewed — a school). */
function reviewNote(d: DocStatus, reviewed: boolean) {
  const r = d.review;
  if (!reviewed || d.state !== 'uploaded') return '';
  if (!r) return '<p class="muted" data-review="submitted">已提交，等待审核。</p>';
  const comment = r.comment ? `<br>${esc(r.byName)}的意见：<span style="white-space:pre-wrap">${esc(r.comment)}</span>` : '';
  if (d.reviewState === 'accepted') return `<p class="note" data-review="accepted">第 ${r.version} 版已通过${esc(r.byName)}审核（${esc(formatBeijingShort(r.at))}）。${comment}</p>`;
  if (d.reviewState === 'returned')
    return `<div class="err" data-review="returned"><strong>第 ${r.version} 版已被退回，请修改后于 ${esc(r.dueAt ? formatBeijingWeekday(r.dueAt, true) : '')} 前重新上传。</strong>${comment}</div>`;
  return `<p class="note" data-review="submitted">第 ${d.lastVersion ?? ''} 版已提交，等待审核。${r.state === 'returned' ? `此前第 ${r.version} 版被退回。${comment}` : ''}</p>`;
}

function docState(d: DocStatus) {
  const parts: string[] = [];
  if (d.state === 'uploaded') {
    parts.push(`<span class="badge ok">已提交</span>`);
    parts.push(d.late ? `<span class="badge late">逾期提交</span>` : `<span class="badge ok">按时</span>`);
    parts.push(`<span class="muted" data-timeliness>${esc(d.timeliness ?? '')}</span>`);
  } else parts.push(`<span class="badge missing">未上传</span>`);
  if (d.pending) parts.push(`<span class="badge pending">正在检查刚上传的文件…</span>`);
  const rejected = d.rejected
    ? `<div class="err" data-rejected>上次上传的“${esc(d.rejected.fileName)}”未通过检查：${esc(d.rejected.message)}</div>`
    : '';
  return `<p class="state" data-state="${d.state}">${parts.join(' ')}</p>${rejected}`;
}

function history(orgId: string, d: DocStatus) {
  const versions = [...(d.history ?? [])].reverse();
  const rejections = d.rejections ?? [];
  if (!versions.length && !rejections.length) return '';
  const rows = versions
    .map(
      (v) => `<tr data-version="${v.version}"><td>第 ${v.version} 版${v.late ? '<br><span class="badge late">逾期</span>' : ''}</td>
<td>${esc(formatBeijingShort(v.at))}</td><td>${esc(v.name)}<br><span class="muted">${esc(size(v.size))} · 回执号 ${esc(v.receiptNo)}</span>
<br><span class="links"><a href="${fileHref(orgId, d.document, v.version, true)}" target="_blank" rel="noopener noreferrer">打开</a> · <a href="${fileHref(orgId, d.document, v.version)}">下载</a></span></td></tr>`,
    )
    .join('');
  const rej = rejections.length
    ? `<p class="muted">未通过检查的上传：</p><ul class="muted" data-rejections>${rejections
        .map((r) => `<li>${esc(formatBeijing(r.at))} “${esc(r.fileName)}”：${esc(r.message)}</li>`)
        .join('')}</ul>`
    : '';
  const label = versions.length ? `已提交的版本（${versions.length}）` : `未通过检查的上传（${rejections.length}）`;
  return `<details open><summary>${label}</summary>
${versions.length ? `<div class="scroll"><table class="versions"><thead><tr><th>版本</th><th>接收时间</th><th>文件</th></tr></thead><tbody>${rows}</tbody></table></div>
<p class="muted">在微信中如无法下载，请点右上角“…”，选择“在浏览器打开”。</p>` : ''}${rej}</details>`;
}

export function uploadPage(view: UploadView, now: Date, canSeeStatus: boolean) {
  const { org, campaign, documents: docs, routing, exemption } = view;
  const deadline = view.deadline ?? campaign.deadline;
  const due = view.dueAt ?? deadline;
  const overdue = now.getTime() > Date.parse(deadline);
  const done = docs.every((d) => d.state === 'uploaded');
  const body = `
<section class="card">
  <h2>${esc(org.name)}</h2>
  <p>请于 <strong data-due>${esc(formatBeijing(due))}（北京时间）</strong>前上传以下 ${docs.length} 份材料。${
    due === campaign.deadline ? '' : `<span class="muted">（${due === deadline ? '已批准延期' : '县区要求'}；全市截止 ${esc(formatBeijing(campaign.deadline))}）</span>`
  }</p>
  ${exemption ? `<p class="note" data-exempt>本单位已免报（${esc(EXEMPTION_LABEL[exemption.kind])}：${esc(exemption.reason)}），无需上传。</p>` : ''}
  <p data-routing>${esc(routing.sentence)}</p>
  ${overdue ? '<p class="err">报送截止时间已过，现在上传将记为逾期提交；已按时提交的材料再修改，仍记为按时提交，修改的版本单独标注。</p>' : ''}
  ${done ? '<p class="note">所有材料均已提交。如需修改，可上传新版本，系统会保留每一个版本并发送回执。</p>' : ''}
  <p class="muted">接受 ${esc(TYPES)} 文件，每个不超过 ${MB} MB。上传后系统会自动检查文件，检查通过即视为已提交，并向本单位联系人邮箱发送回执。</p>
  ${canSeeStatus ? '<p><a class="btn" href="/review">审核辖区学校方案</a> <a class="btn" href="/status">查看辖区学校报送情况</a> <a class="btn" href="/terms">免报与内部截止时间</a></p>' : ''}
</section>
${docs
  .map(
    (d) => `
<section class="card doc" data-doc="${esc(d.document)}">
  <h2>${esc(d.title)}</h2>
  ${docState(d)}
  ${reviewNote(d, org.kind === 'school')}
  ${history(org.id, d)}
  <form class="upload" method="post" enctype="multipart/form-data" action="/upload" data-doc="${esc(d.document)}">
    <label>选择文件（${esc(TYPES)}）<input type="file" name="file" accept="${ACCEPT}" required></label>
    <button type="submit">${d.state === 'uploaded' ? '上传新版本' : '上传'}</button>
    <progress value="0" max="100" hidden></progress>
    <p class="msg" role="status" aria-live="polite"></p>
  </form>
</section>`,
  )
  .join('')}
<section class="card">
  <h2>联系方式</h2>
  ${routing.contacts.map((c) => `<p>${esc(c.who)}　联系人：${esc(c.name)}${c.phone ? `　电话：${tel(c.phone)}` : ''}</p>`).join('')}
  <p class="muted">${esc(campaign.noticeNo)}</p>
</section>
<noscript><p class="err">请在浏览器设置中开启 JavaScript 后再上传。</p></noscript>`;
  return layout(`${campaign.title} - ${org.name}`, campaign.title, `${campaign.noticeNo} · 截止 ${formatBeijing(due)}（北京时间）`, body, {
    script: true,
  });
}

/** A document's review state in a word (status page, review page). */
export const REVIEW_LABEL = { missing: '未提交', submitted: '待审核', accepted: '审核通过', returned: '已退回' } as const;
export const REVIEW_BADGE = { missing: 'missing', submitted: 'pending', accepted: 'ok', returned: 'late' } as const;

const qs = (f: StatusFilter, over: Partial<StatusFilter> = {}) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...over })) if (v) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** Above this many orgs, the unfiltered status page shows the totals only (the city: ~2,000 schools). */
export const DETAIL_ROWS_UNFILTERED = 300;

export function statusPage(viewer: Org, campaign: Campaign, rows: OrgStatus[], totals: GroupTotal[], now: Date, filter: StatusFilter = {}) {
  const docs = campaign.documents;
  // Exempt orgs are listed (免报) but not counted, as in the totals.
  const counted = rows.filter((r) => !r.exemption);
  const all = counted.length;
  const complete = counted.filter((r) => r.complete).length;
  const sum = grandTotal(campaign, totals);
  const totalRow = (t: GroupTotal, head = false) =>
    `<tr${head ? ' class="total"' : ` data-group="${esc(t.group)}"`}><td>${
      head ? '<strong>合计</strong>' : `<a href="/status${qs({ group: t.group })}">${esc(t.name)}</a>`
    }</td><td>${t.orgs}</td><td>${t.complete}</td>${docs.map((d) => `<td>${t.byDocument[d.kind] ?? 0}</td>`).join('')}<td>${t.late}</td><td>${t.noEmail}</td></tr>`;
  const totalsTable = `
<div class="scroll"><table id="totals"><thead><tr><th>县区 / 类别</th><th>应报单位</th><th>全部报齐</th>${docs
    .map((d) => `<th>${esc(d.title)}</th>`)
    .join('')}<th>有逾期</th><th>无联系邮箱</th></tr></thead><tbody>
${totals.map((t) => totalRow(t)).join('')}${totals.length > 1 ? totalRow(sum, true) : ''}
</tbody></table></div>`;
  const cell = (r: OrgStatus, d: DocStatus) =>
    d.state === 'uploaded'
      ? `<span class="badge ${d.late ? 'late' : 'ok'}">${d.late ? '逾期提交' : '按时提交'}</span><br><span class="muted">${esc(d.timeliness ?? '')} · 共 ${d.versions} 版</span>${
          d.lastVersion ? `<br><a href="${fileHref(r.orgId, d.document, d.lastVersion)}">下载第 ${d.lastVersion} 版</a>` : ''
        }`
      : `<span class="badge missing">${r.exemption ? '免报' : '未上传'}</span>`;
  const review = (r: OrgStatus, d: DocStatus) => (r.kind === 'school' && d.state === 'uploaded' ? `<br><span class="badge ${REVIEW_BADGE[d.reviewState]}" data-review="${d.reviewState}">${REVIEW_LABEL[d.reviewState]}</span>` : '');
  const names = new Map(totals.map((t) => [t.group, t.name]));
  const filtered = Boolean(filter.show === 'incomplete' || filter.group || filter.doc || filter.q);
  // A whole city is thousands of rows (over a megabyte on a phone): unfiltered, the page shows the
  // totals and asks for a District or a search; the Excel file always has every row.
  const tooMany = !filtered && rows.length > DETAIL_ROWS_UNFILTERED;
  const shown = tooMany ? [] : filterRows(rows, filter);
  const option = (value: string, label: string, current?: string) => `<option value="${esc(value)}"${value === (current ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
  const filterForm = `<form method="get" action="/status" class="filters" style="display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:0 0 8px">
  ${totals.length > 1 ? `<select name="group" aria-label="县区">${option('', '全部县区')}${totals.map((t) => option(t.group, t.name, filter.group)).join('')}</select>` : ''}
  <select name="doc" aria-label="材料">${option('', '全部材料')}${docs.map((d) => option(d.kind, `未交：${d.title}`, filter.doc)).join('')}</select>
  <label><input type="checkbox" name="show" value="incomplete"${filter.show === 'incomplete' ? ' checked' : ''}> 只看未报齐</label>
  <input type="search" name="q" value="${esc(filter.q ?? '')}" placeholder="搜索单位名称" aria-label="搜索单位名称" style="flex:1;min-width:8em;font-size:15px;padding:6px">
  <button type="submit">筛选</button>${filtered ? ' <a href="/status">清除筛选</a>' : ''}
</form>
<p>${filtered ? `符合条件的 ${shown.length} 个单位` : `全部 ${all} 个单位 · <a href="/status?show=incomplete">只看未报齐的单位（${all - complete} 个）</a>`}</p>
${tooMany ? `<p class="note" data-too-many>单位较多（${all} 个），请选择县区或搜索单位名称查看明细；也可下载 Excel 表格查看全部单位。</p>` : ''}`;
  const detail = `${filterForm}
<div class="scroll"><table id="orgs"><thead><tr><th>所属</th><th>单位</th>${docs.map((d) => `<th>${esc(d.title)}</th>`).join('')}</tr></thead><tbody>
${shown
  .map(
    (r) =>
      `<tr data-org="${esc(r.orgId)}"><td>${esc(names.get(r.group) ?? r.group)}</td><td>${esc(r.name)}${r.kind === 'district' ? '（县区本级）' : ''}${
        !r.emails.length
          ? ' <span class="badge missing" data-no-email>无联系邮箱</span>'
          : r.bounced.length === r.emails.length
            ? ' <span class="badge missing" data-unreachable title="邮件被退回，请电话联系并更新联系邮箱">邮箱无效（退信）</span>'
            : ''
      }${r.exemption ? ` <span class="badge pending" data-exempt>免报（${esc(r.exemption.reason)}）</span>` : ''}${
        r.extension ? ` <span class="badge pending" data-extension>延期至 ${esc(formatBeijingShort(r.extension.dueAt))}</span>` : ''
      }${r.contactPhone ? `<br><span class="muted">${esc(r.contactName ?? '')} ${tel(r.contactPhone)}</span>` : ''}${
        r.remindedDays.length ? `<br><span class="muted" data-reminded title="${esc(`发至 ${r.remindedTo.join('、')}`)}">${esc(remindedText(r.remindedDays))}</span>` : ''
      }</td>${r.documents
        .map((d) => `<td data-doc="${esc(d.document)}" data-state="${d.state}">${cell(r, d)}${review(r, d)}</td>`)
        .join('')}</tr>`,
  )
  .join('')}
</tbody></table></div>`;
  const body = `
<section class="card">
  <h2>报送情况</h2>
  <p>截止时间：${esc(formatBeijing(campaign.deadline))}（北京时间）　当前：${esc(formatBeijing(now))}</p>
  <p><strong>${complete}</strong> / ${all} 个单位已报齐全部材料。${rows.length > all ? `<span class="muted" data-exempt-note>统计不含免报单位（${rows.length - all} 个）。</span>` : ''}</p>
  <p class="muted">按时与否以每份材料首次提交的时间为准；截止后上传的修改版本单独标注，不改变按时提交的认定。</p>
  <p><a class="btn" href="/api/status${qs({ ...filter, format: 'csv' } as StatusFilter)}">下载 Excel 表格（CSV）</a>
     <a class="btn" href="/files/zip" data-zip>下载全部已交文件（ZIP）</a>${viewer.kind === 'district' || viewer.id === campaign.receiverId ? ' <a class="btn" href="/review">审核方案</a>' : ''}</p>
  <p data-nav><a href="/dashboard">完成情况统计</a> · <a href="/bundles">县区转报</a>${viewer.kind === 'district' || viewer.kind === 'bureau' ? ' · <a href="/terms">延期与免报</a>' : ''}${viewer.kind === 'district' ? '' : ' · <a href="/audit">操作记录</a>'}</p>
</section>
<section class="card"><h2>按县区汇总</h2>${totalsTable}</section>
<section class="card"><h2>各单位明细</h2>${detail}</section>`;
  return layout(`报送情况 - ${campaign.title}`, campaign.title, `${viewer.name} · ${campaign.noticeNo}`, body);
}

/** While the zip is being built: the page reloads itself every few seconds and then gets the zip. */
export function exportBuildingPage(campaign: Campaign, fileName: string, files: number) {
  return layout(
    '正在打包',
    campaign.title,
    campaign.noticeNo,
    `<section class="card" data-building><h2>正在打包 ${files} 个文件…</h2>
<p>${esc(fileName)}</p><p>打包完成后会自动开始下载，请不要关闭本页。文件较多时可能需要一两分钟。</p>
<p class="muted">如长时间没有开始下载，请<a href="/files/zip">点此重试</a>，或<a href="/status">返回报送情况</a>。</p></section>`,
    { refreshSeconds: 3 },
  );
}

/** Whom to call: the campaign's contact person and phone. */
export interface Contact {
  name: string;
  phone: string;
}


/**
 * A short page with one message (landing, errors); with a contact, the Centre's person and phone to call.
 * The page shows no status or error code (nothing a phone user could act on); the HTTP status carries it.
 */
export function messagePage(_status: number, title: string, message: string, contact?: Contact) {
  const help = contact
    ? `如有疑问，请联系南昌市未成年人心理健康辅导中心　联系人：${esc(contact.name)}　电话：${tel(contact.phone)}`
    : '如有疑问，请联系南昌市未成年人心理健康辅导中心。';
  return layout(title, '南昌市中小学心理服务体系建设', '', `<section class="card"><h2>${esc(title)}</h2><p>${esc(message)}</p>
<p class="muted">${help}</p></section>`);
}
