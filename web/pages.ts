import type { Campaign } from '../schemas/campaigns.js';
import type { Org } from '../schemas/orgs.js';
import { FILE_TYPES, MAX_UPLOAD_BYTES } from '../schemas/plans.js';
import type { DocStatus, GroupTotal, OrgStatus } from '../functions/plans/rules.js';
import { formatBeijing } from '../functions/shared/clock.js';
import { esc, layout } from './html.js';

const ACCEPT = Object.entries(FILE_TYPES)
  .flatMap(([ext, t]) => [`.${ext}`, t.contentType])
  .join(',');
const TYPES = Object.values(FILE_TYPES)
  .map((t) => t.label)
  .join('、');
const MB = MAX_UPLOAD_BYTES / 1024 / 1024;

const size = (n?: number) => (n === undefined ? '' : n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

function docState(d: DocStatus) {
  const parts: string[] = [];
  if (d.state === 'uploaded') {
    parts.push(`<span class="badge ok">已上传</span>`);
    if (d.late) parts.push(`<span class="badge late">逾期提交</span>`);
    parts.push(
      `<span class="muted">共 ${d.versions} 版，最后一次 ${esc(formatBeijing(d.lastUploadAt ?? ''))}：${esc(d.lastFileName)}（${esc(size(d.lastSize))}）</span>`,
    );
  } else parts.push(`<span class="badge missing">未上传</span>`);
  if (d.pending) parts.push(`<span class="badge pending">正在检查刚上传的文件…</span>`);
  const rejected = d.rejected
    ? `<div class="err" data-rejected>上次上传的“${esc(d.rejected.fileName)}”未通过检查：${esc(d.rejected.message)}</div>`
    : '';
  return `<p class="state" data-state="${d.state}">${parts.join(' ')}</p>${rejected}`;
}

export function uploadPage(org: Org, campaign: Campaign, docs: DocStatus[], now: Date, receiverName: string, canSeeStatus: boolean) {
  const overdue = now.getTime() > Date.parse(campaign.deadline);
  const done = docs.every((d) => d.state === 'uploaded');
  const body = `
<section class="card">
  <h2>${esc(org.name)}</h2>
  <p>请于 <strong>${esc(formatBeijing(campaign.deadline))}（北京时间）</strong>前上传以下 ${docs.length} 份材料。</p>
  ${overdue ? '<p class="err">报送截止时间已过，现在上传将记为逾期提交。</p>' : ''}
  ${done ? '<p class="note">所有材料均已上传。如需修改，可重新上传，系统会保留每一个版本。</p>' : ''}
  <p class="muted">接受 ${esc(TYPES)} 文件，每个不超过 ${MB} MB。上传后系统会自动检查文件，检查通过即视为已提交。</p>
  ${canSeeStatus ? '<p><a class="btn" href="/status">查看辖区学校报送情况</a></p>' : ''}
</section>
${docs
  .map(
    (d) => `
<section class="card doc" data-doc="${esc(d.document)}">
  <h2>${esc(d.title)}</h2>
  ${docState(d)}
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
  <p>${esc(receiverName)}　联系人：${esc(campaign.contact.name)}　电话：<a href="tel:${esc(campaign.contact.phone.replace(/[^0-9+]/g, ''))}">${esc(campaign.contact.phone)}</a></p>
  <p class="muted">${esc(campaign.noticeNo)}</p>
</section>
<noscript><p class="err">请在浏览器设置中开启 JavaScript 后再上传。</p></noscript>`;
  return layout(`${campaign.title} - ${org.name}`, campaign.title, `${campaign.noticeNo} · 截止 ${formatBeijing(campaign.deadline)}（北京时间）`, body, {
    script: true,
  });
}

export function statusPage(
  viewer: Org,
  campaign: Campaign,
  rows: OrgStatus[],
  totals: GroupTotal[],
  now: Date,
  incompleteOnly = false,
) {
  const docs = campaign.documents;
  const all = rows.length;
  const complete = rows.filter((r) => r.complete).length;
  const totalsTable = `
<div class="scroll"><table id="totals"><thead><tr><th>县区 / 类别</th><th>应报单位</th><th>全部报齐</th>${docs
    .map((d) => `<th>${esc(d.title)}</th>`)
    .join('')}<th>有逾期</th></tr></thead><tbody>
${totals
  .map(
    (t) =>
      `<tr data-group="${esc(t.group)}"><td>${esc(t.name)}</td><td>${t.orgs}</td><td>${t.complete}</td>${docs
        .map((d) => `<td>${t.byDocument[d.kind] ?? 0}</td>`)
        .join('')}<td>${t.late}</td></tr>`,
  )
  .join('')}
</tbody></table></div>`;
  const cell = (d: DocStatus) =>
    d.state === 'uploaded'
      ? `<span class="badge ok">已上传</span>${d.late ? '<span class="badge late">逾期</span>' : ''}<br><span class="muted">${d.versions} 版 · ${esc(
          formatBeijing(d.lastUploadAt ?? ''),
        )}</span>`
      : `<span class="badge missing">未上传</span>`;
  const names = new Map(totals.map((t) => [t.group, t.name]));
  const shown = incompleteOnly ? rows.filter((r) => !r.complete) : rows;
  const filter = incompleteOnly
    ? `<p>只显示未报齐的 ${shown.length} 个单位 · <a href="/status">显示全部</a></p>`
    : `<p><a href="/status?show=incomplete">只看未报齐的单位（${all - complete} 个）</a></p>`;
  const detail = `${filter}
<div class="scroll"><table id="orgs"><thead><tr><th>所属</th><th>单位</th>${docs.map((d) => `<th>${esc(d.title)}</th>`).join('')}</tr></thead><tbody>
${shown
  .map(
    (r) =>
      `<tr data-org="${esc(r.orgId)}"><td>${esc(names.get(r.group) ?? r.group)}</td><td>${esc(r.name)}${r.kind === 'district' ? '（县区本级）' : ''}</td>${r.documents
        .map((d) => `<td data-doc="${esc(d.document)}" data-state="${d.state}">${cell(d)}</td>`)
        .join('')}</tr>`,
  )
  .join('')}
</tbody></table></div>`;
  const body = `
<section class="card">
  <h2>报送情况</h2>
  <p>截止时间：${esc(formatBeijing(campaign.deadline))}（北京时间）　当前：${esc(formatBeijing(now))}</p>
  <p><strong>${complete}</strong> / ${all} 个单位已报齐全部材料。</p>
  <p><a class="btn" href="/api/status?format=csv">下载 Excel 表格（CSV）</a></p>
</section>
<section class="card"><h2>按县区汇总</h2>${totalsTable}</section>
<section class="card"><h2>各单位明细</h2>${detail}</section>`;
  return layout(`报送情况 - ${campaign.title}`, campaign.title, `${viewer.name} · ${campaign.noticeNo}`, body);
}

/** Whom to call: the campaign's contact person and phone. */
export interface Contact {
  name: string;
  phone: string;
}

const telHref = (phone: string) => `tel:${phone.replace(/[^0-9+]/g, '')}`;

/**
 * A short page with one message (landing, errors); with a contact, the Centre's person and phone to call.
 * The page shows no status or error code (nothing a phone user could act on); the HTTP status carries it.
 */
export function messagePage(_status: number, title: string, message: string, contact?: Contact) {
  const help = contact
    ? `如有疑问，请联系南昌市未成年人心理健康辅导中心　联系人：${esc(contact.name)}　电话：<a href="${esc(telHref(contact.phone))}">${esc(contact.phone)}</a>`
    : '如有疑问，请联系南昌市未成年人心理健康辅导中心。';
  return layout(title, '南昌市中小学心理服务体系建设', '', `<section class="card"><h2>${esc(title)}</h2><p>${esc(message)}</p>
<p class="muted">${help}</p></section>`);
}
