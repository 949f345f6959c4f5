import {
  CONCERNS,
  CONTACTED,
  type ConcernItem,
  type ContactLog,
  FOLLOW_UP_MAX,
  type LogContent,
  METHODS,
  REASON_MAX,
  STAFF_ROLE_LABEL,
  type StaffRole,
  STUDENTS_MAX,
  SUMMARY_MAX,
  TOPICS,
} from '../../schemas/contacts.js';
import { formatBeijing, formatBeijingShort } from '../../functions/shared/clock.js';
import { esc, layout } from '../html.js';

/**
 * The parent-contact log pages (a head teacher's class, the form, one log, a staff member's school view).
 * Mobile-first (most head teachers open them on a phone, often inside WeChat): one column, big touch targets,
 * native controls, no script needed. Every value is escaped (esc); content is shown as text, never as HTML.
 */

export type { Cell as CellState } from '../../functions/contacts/completeness.js';
import type { Cell as CellState } from '../../functions/contacts/completeness.js';

export interface PeriodRow {
  id: string;
  label: string;
  state: CellState;
  /** May the head teacher mark it "no contact needed" (started, nothing recorded yet)? */
  canMarkNone: boolean;
}

export interface LogLine {
  classId: string;
  logId: string;
  date: string;
  method: string;
  contacted: string;
  topics: string[];
  concern: string;
  versions: number;
  periodLabel: string;
}

export interface HeadHomeView {
  school: string;
  classLabel: string;
  teacher: string;
  cadenceLine: string;
  current?: { label: string; state: CellState; logs: number };
  periods: PeriodRow[];
  logs: LogLine[];
  none: { periodLabel: string; reason: string; at: string }[];
  done?: string;
}

export interface StaffHomeView {
  school: string;
  name: string;
  roles: StaffRole[];
  cadenceLine: string;
  currentLabel?: string;
  concerns: (ConcernItem & { classLabel: string; teacher: string })[];
  classes: { classId: string; label: string; teacher: string; state: CellState }[];
  done?: string;
  error?: string;
}

export interface ClassLogsView {
  school: string;
  classLabel: string;
  teacher: string;
  logs: LogLine[];
  none: { periodLabel: string; reason: string; at: string; byName: string }[];
  staff: boolean;
}

export interface LogPageView {
  school: string;
  classLabel: string;
  classId: string;
  log: ContactLog;
  periodLabel: string;
  concern?: ConcernItem;
  mayCorrect: boolean;
  mayAck: boolean;
  staff: boolean;
  done?: string;
}

export interface FormView {
  school?: string;
  classLabel?: string;
  /** Today (Beijing), the latest contact day allowed. */
  today: string;
  termStart?: string;
  values: Partial<LogContent> & { logId?: string; newId?: string };
  error?: { code: string; message: string };
  cadenceLine?: string;
}

const CSS = `form.log label,form.log fieldset{display:block;margin:10px 0}form.log fieldset{border:1px solid #e4e7eb;border-radius:6px;padding:6px 10px}
form.log legend{font-weight:600;padding:0 4px}.opts label{display:inline-block;margin:4px 12px 4px 0;min-height:32px}
input[type=text],input[type=date],select,textarea{font:inherit;width:100%;padding:8px;border:1px solid #cbd2d9;border-radius:6px;background:#fff}
textarea{min-height:120px}input[type=radio],input[type=checkbox]{width:20px;height:20px;vertical-align:middle;margin-right:4px}
.c-urgent{background:#fde8e8;color:#9b1c1c}.c-watch{background:#fff3c4;color:#8a5a00}.c-none{background:#e4e7eb;color:#3e4c59}
.cell{display:inline-block;min-width:64px;text-align:center}.hint{font-size:13px;color:#616e7c;margin:2px 0}
.list a{display:block;padding:10px 0;border-bottom:1px solid #e4e7eb;color:inherit;text-decoration:none}.list a:last-child{border:0}
.big{display:block;text-align:center;margin:10px 0}.sum{white-space:pre-wrap;word-break:break-word}.ok-msg{background:#e3f9e5;color:#1f6d32;border-radius:6px;padding:8px 10px;margin:8px 0}
.urgent-box{border-left:4px solid #9b1c1c}th{white-space:nowrap}`;

const STATE_LABEL: Record<CellState, [string, string]> = {
  logged: ['已记录', 'ok'],
  none: ['无需联系', 'pending'],
  missing: ['缺记录', 'missing'],
  open: ['本期待填', 'late'],
  future: ['未开始', 'c-none'],
  na: ['不适用', 'c-none'],
};
const stateBadge = (s: CellState) => `<span class="badge cell ${STATE_LABEL[s][1]}" data-state="${s}">${STATE_LABEL[s][0]}</span>`;
const concernClass = (c: string) => (c === '紧急' ? 'c-urgent' : c === '关注' ? 'c-watch' : 'c-none');
const concernBadge = (c: string) => `<span class="badge ${concernClass(c)}" data-concern="${esc(c)}">${c === '无' ? '无关注' : esc(c)}</span>`;
const doneLine = (done?: string) => (done ? `<p class="ok-msg" role="status">${esc(done)}</p>` : '');

const logLine = (l: LogLine) =>
  `<a href="/contacts/logs/${esc(l.classId)}/${esc(l.logId)}" data-log="${esc(l.logId)}"><strong>${esc(l.date)}</strong> ${esc(l.method)} · ${esc(l.contacted)} ${concernBadge(l.concern)}<br><span class="muted">${esc(l.periodLabel)} · ${esc(l.topics.join('、'))}${l.versions > 1 ? ` · 已更正 ${l.versions - 1} 次` : ''}</span></a>`;

/** A head teacher's own class: this period, the term so far, their logs. */
export function headHomePage(v: HeadHomeView): string {
  const cur = v.current
    ? `<section class="card"><h2>本期：${esc(v.current.label)}</h2><p>${stateBadge(v.current.state)}${v.current.logs ? `本期已记录 ${v.current.logs} 条。` : ''}</p>
<a class="btn big" href="/contacts/new">填写家校联系记录</a></section>`
    : `<section class="card"><p class="muted">今天不在本学期的记录周期内。</p><a class="btn big" href="/contacts/new">填写家校联系记录</a></section>`;
  const past = v.periods.filter((p) => p.state !== 'future');
  const periods = past.length
    ? `<section class="card"><h2>本学期各周期</h2><div class="scroll"><table><thead><tr><th>周期</th><th>状态</th><th></th></tr></thead><tbody>${past
        .map(
          (p) =>
            `<tr id="p-${esc(p.id)}"><td>${esc(p.label)}</td><td>${stateBadge(p.state)}</td><td>${
              p.canMarkNone
                ? `<details><summary>本期无需联系</summary><form method="post" action="/contacts"><input type="hidden" name="action" value="none"><input type="hidden" name="period" value="${esc(p.id)}"><label>原因（必填）<input type="text" name="reason" required minlength="2" maxlength="${REASON_MAX}" placeholder="例如：放假、考试周已在家长会统一沟通"></label><button type="submit">确认</button></form></details>`
                : ''
            }</td></tr>`,
        )
        .join('')}</tbody></table></div></section>`
    : '';
  const logs = `<section class="card"><h2>我的记录</h2>${v.logs.length ? `<div class="list">${v.logs.map(logLine).join('')}</div>` : '<p class="muted">还没有记录。</p>'}
${v.none.length ? `<h3>无需联系的周期</h3><ul>${v.none.map((n) => `<li>${esc(n.periodLabel)}：${esc(n.reason)}</li>`).join('')}</ul>` : ''}
<p><a href="/contacts/export.csv">下载本班记录（CSV，用于成长手册）</a></p></section>`;
  const body = `${doneLine(v.done)}<section class="card"><p><strong>${esc(v.classLabel)}</strong> 班主任 ${esc(v.teacher)}</p><p class="note">${esc(v.cadenceLine)}</p>
<p class="hint">记录内容严格保密：仅本班班主任、学校心理教师和校长（危机管理工作小组）可以查看。学生请用学号或代号，尽量少写个人信息。</p></section>${cur}${periods}${logs}`;
  return page(`${v.classLabel} 家校联系记录`, `${v.school} · 家校联系记录`, body);
}

function page(title: string, heading: string, body: string) {
  return layout(title, heading, '', `<style>${CSS}</style>${body}`);
}

const radios = (name: string, options: readonly string[], value: string | undefined, required = true) =>
  `<div class="opts">${options.map((o, i) => `<label><input type="radio" name="${name}" value="${esc(o)}"${value === o ? ' checked' : ''}${required && i === 0 ? ' required' : ''}>${esc(o)}</label>`).join('')}</div>`;

/** The log form (new or correction); after a refused send it comes back filled in, with the reason on top. */
export function logFormPage(v: FormView): string {
  const x = v.values;
  const correcting = !!x.logId;
  const err = v.error ? `<p class="err" role="alert" data-error="${esc(v.error.code)}">${esc(v.error.message)}</p>` : '';
  const topics = new Set(x.topics ?? []);
  const body = `${err}<form class="log card" method="post" action="/contacts">
<input type="hidden" name="action" value="log">${correcting ? `<input type="hidden" name="logId" value="${esc(x.logId)}">` : `<input type="hidden" name="newId" value="${esc(x.newId ?? '')}">`}
${v.classLabel ? `<p><strong>${esc(v.classLabel)}</strong>${correcting ? '：更正记录（原记录会保留）' : ''}</p>` : ''}${v.cadenceLine ? `<p class="hint">${esc(v.cadenceLine)}</p>` : ''}
<label>联系日期<input type="date" name="date" required max="${esc(v.today)}"${v.termStart ? ` min="${esc(v.termStart)}"` : ''} value="${esc(x.date ?? v.today)}"></label>
<fieldset><legend>联系方式</legend>${radios('method', METHODS, x.method)}</fieldset>
<label>联系对象<select name="contacted" required>${CONTACTED.map((c) => `<option${x.contacted === c ? ' selected' : ''}>${esc(c)}</option>`).join('')}</select></label>
<label>涉及学生（学号或代号，尽量少写）<input type="text" name="students" maxlength="${STUDENTS_MAX}" value="${esc(x.students ?? '')}" placeholder="例如：12号"></label>
<fieldset><legend>沟通话题（可多选）</legend><div class="opts">${TOPICS.map((t, i) => `<label><input type="checkbox" name="topic${i}" value="${esc(t)}"${topics.has(t as never) ? ' checked' : ''}>${esc(t)}</label>`).join('')}</div></fieldset>
<label>沟通内容<textarea name="summary" required maxlength="${SUMMARY_MAX}" placeholder="学生在校、在家的情况，家长反映的问题">${esc(x.summary ?? '')}</textarea></label>
<label>后续跟进（可不填）<textarea name="followUp" maxlength="${FOLLOW_UP_MAX}">${esc(x.followUp ?? '')}</textarea></label>
<fieldset><legend>关注程度</legend>${radios('concern', CONCERNS, x.concern ?? '无')}
<p class="hint">“关注”：列入学校心理危机管理工作小组的每日关注名单；“紧急”：提交后立即通知学校危机小组（邮件不含学生信息）。</p></fieldset>
<button type="submit" class="big">${correcting ? '保存更正' : '提交记录'}</button></form>
<p><a href="/contacts">返回</a></p>`;
  return page(correcting ? '更正家校联系记录' : '填写家校联系记录', `${v.school ?? ''} · 家校联系记录`, body);
}

/** One log with its versions; the author may correct it, staff may acknowledge its concern. */
export function logPage(v: LogPageView): string {
  const versions = v.log.versions;
  const cur = versions[versions.length - 1] as (typeof versions)[number];
  const concern = v.concern
    ? `<section class="card ${v.concern.level === '紧急' ? 'urgent-box' : ''}"><h2>关注：${concernBadge(v.concern.level)}</h2><p>提出时间：${esc(formatBeijing(v.concern.raisedAt))}</p>${
        v.concern.ackAt
          ? `<p data-acked>已由 ${esc(v.concern.ackByName ?? '')} 于 ${esc(formatBeijing(v.concern.ackAt))} 确认收到。</p>`
          : `<p class="missing badge">尚未确认</p>`
      }${
        v.mayAck
          ? `<form method="post" action="/contacts"><input type="hidden" name="action" value="ack"><input type="hidden" name="logId" value="${esc(v.log.logId)}"><button type="submit">确认收到</button></form>`
          : ''
      }</section>`
    : '';
  const field = (k: string, val: string) => `<tr><th>${k}</th><td class="sum">${esc(val)}</td></tr>`;
  const history =
    versions.length > 1
      ? `<section class="card"><h2>更正记录（共 ${versions.length} 版）</h2><details><summary>查看历次版本</summary>${versions
          .map(
            (ver, i) =>
              `<div><h3>第 ${i + 1} 版 · ${esc(formatBeijing(ver.at))} · ${esc(ver.byName)}</h3><table>${field('日期', ver.date)}${field('方式', `${ver.method} · ${ver.contacted}`)}${field('沟通内容', ver.summary)}${field('关注程度', ver.concern)}</table></div>`,
          )
          .join('')}</details></section>`
      : '';
  const body = `${doneLine(v.done)}${concern}<section class="card"><h2>${esc(v.classLabel)} · ${esc(cur.date)}</h2><table>
${field('周期', v.periodLabel)}${field('联系方式', cur.method)}${field('联系对象', cur.contacted)}${field('涉及学生', cur.students || '—')}${field('话题', cur.topics.join('、'))}
${field('沟通内容', cur.summary)}${field('后续跟进', cur.followUp ?? '—')}<tr><th>关注程度</th><td>${concernBadge(cur.concern)}</td></tr>${field('填写人', `${cur.byName} · ${formatBeijingShort(cur.at)}`)}</table>
${v.mayCorrect ? `<p><a class="btn" href="/contacts/new?log=${esc(v.log.logId)}">更正这条记录</a></p>` : ''}</section>${history}
<p><a href="${v.staff ? `/contacts?class=${esc(v.classId)}` : '/contacts'}">返回</a></p>`;
  return page(`${v.classLabel} 家校联系记录`, `${v.school} · 家校联系记录`, body);
}

/** A staff member's school view: open concerns first, then each class this period, links to a class's logs. */
export function staffHomePage(v: StaffHomeView): string {
  const open = v.concerns.filter((c) => !c.ackAt);
  const concernRow = (c: StaffHomeView['concerns'][number]) =>
    `<a href="/contacts/logs/${esc(c.classId)}/${esc(c.logId)}" data-concern-row="${esc(c.logId)}">${concernBadge(c.level)} <strong>${esc(c.classLabel)}</strong> 班主任 ${esc(c.teacher)}<br><span class="muted">${esc(formatBeijing(c.raisedAt))}${
      c.ackAt ? ` · ${esc(c.ackByName ?? '')} 已确认` : ' · 尚未确认'
    }</span></a>`;
  const body = `${doneLine(v.done)}${v.error ? `<p class="err" role="alert">${esc(v.error)}</p>` : ''}<section class="card"><p>${esc(v.name)}（${esc(v.roles.map((r) => STAFF_ROLE_LABEL[r]).join('、'))}）</p><p class="note">${esc(v.cadenceLine)}</p></section>
<section class="card"><h2>待确认的关注（${open.length}）</h2>${open.length ? `<div class="list">${open.map(concernRow).join('')}</div>` : '<p class="muted">没有待确认的关注。</p>'}</section>
<section class="card"><h2>各班${v.currentLabel ? `本期（${esc(v.currentLabel)}）` : ''}情况</h2><div class="scroll"><table><thead><tr><th>班级</th><th>班主任</th><th>本期</th></tr></thead><tbody>${v.classes
    .map((c) => `<tr><td><a href="/contacts?class=${esc(c.classId)}">${esc(c.label)}</a></td><td>${esc(c.teacher)}</td><td>${stateBadge(c.state)}</td></tr>`)
    .join('')}</tbody></table></div></section>
${v.concerns.length > open.length ? `<section class="card"><h2>近期关注记录</h2><div class="list">${v.concerns.filter((c) => c.ackAt).slice(0, 30).map(concernRow).join('')}</div></section>` : ''}
<p><a href="/contacts/export.csv">下载全校记录（CSV，用于成长手册）</a> · <a href="/contact-rates">完成情况（图表）</a></p>`;
  return page('家校联系记录', `${v.school} · 家校联系记录`, body);
}

/** One class's logs for its head teacher or the school's staff. */
export function classLogsPage(v: ClassLogsView): string {
  const body = `<section class="card"><h2>${esc(v.classLabel)}</h2><p>班主任 ${esc(v.teacher)}</p>${v.logs.length ? `<div class="list">${v.logs.map(logLine).join('')}</div>` : '<p class="muted">还没有记录。</p>'}
${v.none.length ? `<h3>无需联系的周期</h3><ul>${v.none.map((n) => `<li>${esc(n.periodLabel)}：${esc(n.reason)}（${esc(n.byName)}）</li>`).join('')}</ul>` : ''}</section><p><a href="/contacts">返回</a></p>`;
  return page(`${v.classLabel} 家校联系记录`, `${v.school} · 家校联系记录`, body);
}

const ERROR_TITLES: Record<number, string> = { 401: '请用您本人的专属链接进入', 403: '没有权限', 404: '没有找到', 409: '请刷新后重试' };

/**
 * An error on a contact-log page: the reason, and whom to ask — for a head teacher or a staff member that is
 * their school's administrator (who keeps the roster and sends the links), not the Centre.
 */
export function contactErrorPage(status: number, message: string, forOrg = false) {
  const title = forOrg && status === 401 ? '请通过本单位的链接进入' : (ERROR_TITLES[status] ?? (status >= 500 ? '服务暂时不可用' : '请求有误'));
  const help = forOrg ? '如本单位的链接失效，请联系南昌市未成年人心理健康辅导中心重新发送。' : '如链接失效或需要更换，请联系本校管理员重新发送您的专属链接。';
  return page(title, '家校联系记录', `<section class="card"><h2>${esc(title)}</h2><p>${esc(message)}</p>
<p class="muted">${help}</p>${forOrg ? '' : '<p><a href="/contacts">返回家校联系记录</a></p>'}</section>`);
}
