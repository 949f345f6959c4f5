import { CADENCE_LABEL, type RosterClass, type RosterStaff, STAFF_ROLE_LABEL, type StaffRole } from '../../schemas/contacts.js';
import {
  CSV_ISSUES,
  type CsvIssue,
  MAX_CLASSES,
  MAX_CSV_CHARS,
  ROLE_FIELD,
  type RosterDone,
  type RosterFormError,
  type RosterPageQuery,
} from '../../schemas/roster.js';
import { CADENCE_WORDS, type RosterView } from '../../functions/contacts/roster-service.js';
import { esc, layout } from '../html.js';

/**
 * The school roster page (GET /roster): the school's administrator keeps its classes and head teachers, its
 * staff, the term and the cadence. Every form posts to POST /roster (functions/contacts/roster.ts) and comes back
 * here with `?done=` or `?error=`. Mobile first: one column, each class a <details> that opens its forms.
 * Names and addresses only: the administrator never sees what a head teacher wrote.
 */

const CSS = `.cadence{font-size:17px;font-weight:600;color:#1d4e89;margin:4px 0}.cls summary,.stf summary{cursor:pointer;padding:6px 0}
.cls summary .muted,.stf summary .muted{margin-left:6px}.cls form,.stf form{margin:8px 0}
form label{display:block;margin:6px 0}input[type=text],input[type=email],input[type=date],textarea{font:inherit;padding:6px;width:100%;max-width:100%}
textarea{min-height:9em;font-family:monospace}.row2{display:flex;gap:8px}.row2 label{flex:1}.inline{display:inline-block;margin-right:12px}
.danger{background:#9b1c1c}.plain{background:#e4e7eb;color:#1f2933}.list{list-style:none;padding:0;margin:0}.list li{border-bottom:1px solid #e4e7eb}`;

const FORM_ERRORS: Record<RosterFormError, string> = {
  ROSTER_CSV_INVALID: '名单有问题，未导入任何班级（名册没有改变）。请按下面的提示修改后重新粘贴：',
  VALIDATION: '填写的内容不完整或格式不正确，请检查后重试。',
  CLASS_EXISTS: '名册中已有同一年级、同名的班级。',
  CLASS_NOT_FOUND: '名册中没有这个班级，请刷新页面。',
  STAFF_EXISTS: '已有人员使用这个邮箱。',
  STAFF_NOT_FOUND: '名册中没有这位人员，请刷新页面。',
  PERSON_REMOVED: '这个班级或人员已删除，不能再修改或发送链接。',
  TOO_MANY_CLASSES: `每所学校最多 ${MAX_CLASSES} 个班级。`,
  TOO_MANY_STAFF: '登记的人员过多。',
  TERM_INVALID: '学期开始日期不能晚于结束日期。',
  TERM_TOO_LONG: '一个学期最长约 8 个月，请检查日期。',
  TERM_OVER: '学期结束日期不能早于今天。',
  CADENCE_TOO_LATE: '本学期已不足一个月，不能再更改周期；请先设置下学期的日期。',
  BODY_TOO_LARGE: '粘贴的内容过多，请分批导入（每次几十个班级）。',
  BUSY: '名册正在被修改，请稍后再试。',
  OTHER: '操作未成功，请刷新页面后重试。',
};

const ISSUE_WORDS: Record<CsvIssue, string> = {
  columns: '列数不对（应为 年级、班级、班主任、邮箱 四列）',
  header: '表头不正确（应为 年级、班级、班主任、邮箱）',
  quote: '引号没有配对',
  grade: '年级为空或过长',
  label: '班级为空或过长',
  teacher: '班主任姓名为空或过长',
  email: '邮箱格式不正确',
  duplicate: '与前面的行重复（同一年级、同一班级）',
  'too-many': `超过 ${MAX_CLASSES} 个班级`,
  control: '含有换行或无法识别的字符',
};

const DONE: Record<RosterDone, string> = {
  import: '名单已导入。新班级和更换了班主任的班级，已向班主任发送个人专属链接。',
  class: '已保存班级。',
  'remove-class': '已删除班级，该班班主任的链接已停用。',
  staff: '已保存人员。',
  'remove-staff': '已删除人员，其链接已停用。',
  resend: '已重新发送专属链接。',
  'resend-already': '这一小时内已发送过，请稍后再试，或请对方查看邮箱的垃圾邮件。',
  cadence: '已保存家校联系周期。',
  term: '已保存学期日期。',
  unchanged: '名册没有变化。',
};

const chineseDate = (d: string) => `${Number(d.slice(0, 4))}年${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;
const monthDay = (d: string) => `${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`;
const hidden = (action: string, fields: Record<string, string> = {}) =>
  `<input type="hidden" name="action" value="${esc(action)}">${Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('')}`;
const post = (inner: string, attrs = '') => `<form method="post" action="/roster"${attrs}>${inner}</form>`;
const text = (name: string, label: string, value = '', extra = '') => `<label>${label}<input type="text" name="${name}" value="${esc(value)}" required${extra}></label>`;
const email = (value = '') => `<label>邮箱<input type="email" name="email" value="${esc(value)}" required maxlength="254" autocomplete="off" inputmode="email"></label>`;

function csvProblems(rows?: string) {
  if (!rows) return '';
  const items = rows.split(',').map((r) => {
    const [line, kind] = r.split(':') as [string, string];
    const words = (CSV_ISSUES as readonly string[]).includes(kind) ? ISSUE_WORDS[kind as CsvIssue] : '内容不正确';
    return `<li data-row="${esc(line)}" data-issue="${esc(kind)}">第 ${esc(line)} 行：${esc(words)}</li>`;
  });
  return `<ul>${items.join('')}</ul>`;
}

function classItem([id, c]: [string, RosterClass]) {
  return `<li class="cls" data-class="${esc(id)}"><details><summary><strong>${esc(c.grade)}${esc(c.label)}</strong><span class="muted">班主任 ${esc(c.teacher)}</span></summary>
<p class="muted">${esc(c.email)} · 专属链接第 ${c.v} 版（更换班主任会停用旧链接）· ${esc(chineseDate(c.since))}起</p>
${post(`${hidden('class', { classId: id })}<div class="row2">${text('grade', '年级', c.grade, ' maxlength="20"')}${text('label', '班级', c.label, ' maxlength="20"')}</div>${text('teacher', '班主任', c.teacher, ' maxlength="40"')}${email(c.email)}<button type="submit">保存</button>`)}
${post(`${hidden('resend', { person: `h.${id}` })}<button type="submit" class="plain">重新发送链接</button>`, ' class="inline"')}
${post(`${hidden('remove-class', { classId: id })}<button type="submit" class="danger">删除班级</button>`, ' class="inline"')}
</details></li>`;
}

const roleBoxes = (roles: StaffRole[] = []) =>
  (Object.keys(ROLE_FIELD) as StaffRole[]).map((r) => `<label class="inline"><input type="checkbox" name="${ROLE_FIELD[r]}"${roles.includes(r) ? ' checked' : ''}> ${esc(STAFF_ROLE_LABEL[r])}</label>`).join('');

function staffItem([id, s]: [string, RosterStaff]) {
  return `<li class="stf" data-staff="${esc(id)}"><details><summary><strong>${esc(s.name)}</strong><span class="muted">${esc(s.roles.map((r) => STAFF_ROLE_LABEL[r]).join('、'))}</span></summary>
<p class="muted">${esc(s.email)} · 专属链接第 ${s.v} 版</p>
${post(`${hidden('staff', { staffId: id })}${text('name', '姓名', s.name, ' maxlength="40"')}${email(s.email)}<div>${roleBoxes(s.roles)}</div><button type="submit">保存</button>`)}
${post(`${hidden('resend', { person: `s.${id}` })}<button type="submit" class="plain">重新发送链接</button>`, ' class="inline"')}
${post(`${hidden('remove-staff', { staffId: id })}<button type="submit" class="danger">删除人员</button>`, ' class="inline"')}
</details></li>`;
}

export function rosterPage(v: RosterView, q: RosterPageQuery = {}) {
  const r = v.roster;
  const flash = q.error
    ? `<div class="err" data-error="${esc(q.error)}">未能保存：${esc(FORM_ERRORS[q.error])}${q.error === 'ROSTER_CSV_INVALID' ? csvProblems(q.rows) : ''}</div>`
    : q.done
      ? `<p class="note" data-done="${esc(q.done)}">${esc(DONE[q.done])}${q.done === 'import' && q.n ? `（共 ${esc(q.n)} 行）` : ''}</p>`
      : '';
  const other = v.cadenceNow === 'week' ? 'month' : 'week';
  const when = v.periodOver
    ? `本学期已有周期结束：更改将自${monthDay(v.nextMonth)}起生效（已过去的周期保持不变）。`
    : '本学期还没有周期结束：更改从学期开始起生效。';
  const settings = `<section class="card" id="settings" data-cadence="${esc(v.cadenceNow)}"${v.pending ? ` data-pending="${esc(v.pending.from)}:${esc(v.pending.every)}"` : ''}><h2>周期与学期</h2>
<p class="cadence" data-cadence-line>${esc(v.cadenceLine)}</p>
<p>本学期：${esc(chineseDate(r.term.start))} 至 ${esc(chineseDate(r.term.end))}${v.stored ? '' : '（默认：从今天到 7 月 15 日或 1 月 31 日，请按本校校历修改）'}</p>
<p class="muted">周：每周一至周日（北京时间）；月：每个自然月。班主任每个周期至少填写一次家校联系记录，或说明本期无需联系。</p>
${post(`${hidden('cadence', { every: other })}<p class="muted">${esc(when)}</p><button type="submit">改为${esc(CADENCE_LABEL[other])}${v.periodOver ? `（自${esc(monthDay(v.nextMonth))}起）` : ''}</button>`)}
${v.pending ? post(`${hidden('cadence', { every: v.cadenceNow })}<button type="submit" class="plain">取消：继续${esc(CADENCE_LABEL[v.cadenceNow])}</button>`) : ''}
<details><summary>修改学期日期</summary>${post(`${hidden('term')}<div class="row2"><label>开始<input type="date" name="start" value="${esc(r.term.start)}" required></label><label>结束<input type="date" name="end" value="${esc(r.term.end)}" min="${esc(v.today)}" required></label></div><button type="submit">保存学期日期</button>`)}</details>
</section>`;
  const importForm = `<section class="card" id="import"><h2>导入班级名单</h2>
<p>从 Excel 复制四列（年级、班级、班主任、邮箱）粘贴到下面，或每行用逗号分隔。第一行可以是表头。已有的班级（同一年级、同一班级）会更新班主任；更换了班主任（邮箱不同）的班级，旧链接停用，新班主任收到新链接。导入不会删除班级。</p>
${post(`${hidden('import')}<label>班级名单<textarea name="csv" required maxlength="${MAX_CSV_CHARS}" placeholder="年级,班级,班主任,邮箱&#10;七年级,1班,王老师,wang@example.org&#10;七年级,2班,李老师,li@example.org"></textarea></label><button type="submit">导入</button>`)}
<p class="muted">任何一行有问题时，整份名单都不会导入，页面会指出是哪几行。最多 ${MAX_CLASSES} 个班级。</p></section>`;
  const classes = `<section class="card" id="classes" data-count="${v.classes.length}"><h2>班级（${v.classes.length}）</h2>
${v.classes.length ? `<ul class="list">${v.classes.map(classItem).join('')}</ul>` : '<p class="muted">还没有班级：请先导入名单，或逐个添加。</p>'}
<details><summary>添加一个班级</summary>${post(`${hidden('class')}<div class="row2">${text('grade', '年级', '', ' maxlength="20" placeholder="七年级"')}${text('label', '班级', '', ' maxlength="20" placeholder="1班"')}</div>${text('teacher', '班主任', '', ' maxlength="40"')}${email()}<button type="submit">添加</button>`)}</details>
${v.removedClasses.length ? `<details><summary class="muted">已删除的班级（${v.removedClasses.length}）</summary><ul>${v.removedClasses.map(([id, c]) => `<li data-removed-class="${esc(id)}">${esc(c.grade)}${esc(c.label)}（${esc(c.teacher)}）${esc(chineseDate(c.until ?? ''))}删除</li>`).join('')}</ul></details>` : ''}
</section>`;
  const staff = `<section class="card" id="staff" data-count="${v.staff.length}"><h2>校长、心理教师与危机小组（${v.staff.length}）</h2>
<p class="muted">他们通过各自的专属链接查看本校的家校联系记录、接收“紧急关注”提醒。</p>
${v.staff.length ? `<ul class="list">${v.staff.map(staffItem).join('')}</ul>` : '<p class="err">还没有登记人员：班主任标记“紧急”时，没有人会收到提醒。请至少登记校长和心理教师。</p>'}
<details${v.staff.length ? '' : ' open'}><summary>添加人员</summary>${post(`${hidden('staff')}${text('name', '姓名', '', ' maxlength="40"')}${email()}<div>${roleBoxes()}</div><button type="submit">添加</button>`)}</details>
</section>`;
  const body = `<style>${CSS}</style>
<section class="card"><h2>家校联系名册</h2><p class="cadence">${esc(v.cadenceLine)}</p>${flash}
<p class="muted">每位班主任和人员都会收到自己的专属链接（邮件），用于填写或查看记录。学校管理员只维护名册，看不到记录内容。</p></section>
${settings}${importForm}${classes}${staff}`;
  return layout(`家校联系名册 - ${v.school.name}`, '家校联系名册', `${v.school.name} · ${CADENCE_WORDS[v.cadenceNow]}`, body);
}
