import type { Org } from '../../schemas/orgs.js';
import { esc } from '../../web/html.js';
import { formatBeijing } from '../shared/clock.js';
import type { Mail } from '../shared/mail.js';

/**
 * The contact logs' mails. None carries a student's name, reference or anything a head teacher wrote: an alert
 * names the school, the class and the head teacher, and links to the log, which opens only for a reader with
 * their own access (their personal link's session).
 */

const html = (paragraphs: string[], link: string, button: string, footer: string) => `<div style="font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7">
${paragraphs.map((p) => `<p style="white-space:pre-wrap">${esc(p)}</p>`).join('\n')}
<p><a href="${esc(link)}" style="display:inline-block;background:#1d4e89;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${esc(button)}</a></p>
<p style="color:#616e7c;font-size:13px">如按钮无法点击，请复制以下链接到浏览器打开：<br>${esc(link)}<br>${esc(footer)}</p></div>`;

const PERSONAL = '此链接是您本人的专属链接，请勿转发；如需更换，请联系学校管理员。';
const NEEDS_OWN_ACCESS = '打开记录需要您本人的专属链接（学校名册邮件中发送）；本邮件不含学生信息，请勿转发。';

/** A head teacher's or staff member's own link (new, or after the head teacher changed). */
export function personLinkMail(m: { school: Org; name: string; what: string; cadence: string; link: string; to: string }): Mail {
  const subject = `【家校联系记录】${m.school.name} ${m.what}专属链接`;
  const paragraphs = [
    `${m.name}老师：`,
    `${m.school.name}已在“家校联系记录”中登记您为${m.what}。请通过下面的专属链接填写和查看记录（手机、微信内均可打开）。`,
    m.cadence,
    '依据洪教健字〔2019〕1号通知附件2，班主任定期与家长联系并记录学生在校、在家的情况。记录严格保密，仅本班班主任、学校心理教师和校长（危机管理工作小组）可以查看。',
  ];
  return { to: [m.to], subject, text: [...paragraphs, m.link, PERSONAL].join('\n\n'), html: html(paragraphs, m.link, '打开家校联系记录', PERSONAL) };
}

/** An urgent concern: at once, to the school's crisis group. No student detail, no content. */
export function concernAlertMail(m: { school: Org; classLabel: string; teacher: string; raisedAt: string; link: string; to: string[]; escalation?: boolean }): Mail {
  const when = formatBeijing(m.raisedAt);
  const subject = m.escalation
    ? `【紧急·未确认】${m.school.name} ${m.classLabel} 的紧急关注已超过 1 小时无人确认`
    : `【紧急关注】${m.school.name} ${m.classLabel} 班主任报告了需要紧急关注的情况`;
  const paragraphs = [
    '学校心理危机管理工作小组：',
    m.escalation
      ? `${m.classLabel} 班主任 ${m.teacher} 于 ${when} 报告的紧急关注，至今无人确认收到。请校长立即安排处理，并在页面上确认。`
      : `${m.classLabel} 班主任 ${m.teacher} 于 ${when} 在家校联系记录中标记了“紧急”关注。请立即查看记录并联系班主任，按学校心理危机干预预案处理（生命至上）。`,
    '查看后请在页面上点击“确认收到”，系统会记录确认人和时间；1 小时内无人确认，将再次提醒并报告校长。',
  ];
  return { to: m.to, subject, text: [...paragraphs, m.link, NEEDS_OWN_ACCESS].join('\n\n'), html: html(paragraphs, m.link, '查看记录并确认', NEEDS_OWN_ACCESS) };
}

/** A head teacher whose class has nothing for the period yet (near its end). */
export function contactReminderMail(m: { school: Org; classLabel: string; teacher: string; period: string; cadence: string; link: string; to: string }): Mail {
  const subject = `【家校联系提醒】${m.classLabel} ${m.period}尚未填写家校联系记录`;
  const paragraphs = [
    `${m.teacher}老师：`,
    `${m.school.name}${m.classLabel}在${m.period}还没有家校联系记录。请在本周期结束前与家长联系并记录；如本期确实无需联系，也请在页面上说明原因。`,
    m.cadence,
  ];
  return { to: [m.to], subject, text: [...paragraphs, m.link, PERSONAL].join('\n\n'), html: html(paragraphs, m.link, '填写家校联系记录', PERSONAL) };
}

/** The school's administrator: classes that missed two periods in a row (names of classes and teachers, no content). */
export function missedMail(m: { school: Org; classes: { label: string; teacher: string; missed: number }[]; link: string; to: string[] }): Mail {
  const subject = `【家校联系】${m.school.name}有 ${m.classes.length} 个班级连续两个周期未记录`;
  const paragraphs = [
    `${m.school.name}：`,
    `以下班级已连续两个或更多周期没有家校联系记录，请提醒班主任补记或说明原因：\n${m.classes.map((c) => `· ${c.label}（班主任 ${c.teacher}）：连续 ${c.missed} 个周期`).join('\n')}`,
    '完成情况可在“家校联系完成情况”页面查看（请先通过本校的报送系统链接登录）。',
  ];
  const footer = '本邮件只含班级和完成情况，不含任何记录内容。';
  return { to: m.to, subject, text: [...paragraphs, m.link, footer].join('\n\n'), html: html(paragraphs, m.link, '查看完成情况', footer) };
}

/** A District office's monthly digest: its schools' rates (counts only). */
export function districtDigestMail(m: { district: Org; month: string; rows: { name: string; rate?: number; noRoster: boolean; missing: number }[]; total?: number; link: string; to: string[] }): Mail {
  const pct = (r?: number) => (r === undefined ? '—' : `${Math.round(r * 100)}%`);
  const [y, mo] = m.month.split('-');
  const subject = `【家校联系月报】${m.district.name} ${y}年${Number(mo)}月各校家校联系完成率`;
  const sorted = [...m.rows].sort((a, b) => (a.rate ?? -1) - (b.rate ?? -1));
  const paragraphs = [
    `${m.district.name}：`,
    `${y}年${Number(mo)}月辖区学校班主任家校联系记录完成率为 ${pct(m.total)}（只统计数量，不含记录内容）。完成率较低的学校在前：`,
    sorted.map((r) => `· ${r.name}：${r.noRoster ? '尚未导入班级名册' : `${pct(r.rate)}${r.missing ? `，${r.missing} 个班级有缺记录` : ''}`}`).join('\n'),
    '请登录后查看各校明细并下载 CSV。',
  ];
  const footer = '本邮件只含完成情况统计，不含任何记录内容。';
  return { to: m.to, subject, text: [...paragraphs, m.link, footer].join('\n\n'), html: html(paragraphs, m.link, '查看完成情况', footer) };
}

/** The crisis group's daily list of 关注 (classes and teachers, how many; no student detail, no content). */
export function watchListMail(m: { school: Org; day: string; items: { classLabel: string; teacher: string; count: number }[]; link: string; to: string[] }): Mail {
  const subject = `【每日关注名单】${m.school.name} ${m.day} 有 ${m.items.reduce((n, i) => n + i.count, 0)} 条“关注”记录`;
  const paragraphs = [
    '学校心理危机管理工作小组：',
    `${m.day} 班主任在家校联系记录中标记为“关注”的情况：\n${m.items.map((i) => `· ${i.classLabel}（班主任 ${i.teacher}）：${i.count} 条`).join('\n')}`,
    '请打开页面查看记录，必要时与班主任沟通、研判（早发现、早报告、早研判）。',
  ];
  return { to: m.to, subject, text: [...paragraphs, m.link, NEEDS_OWN_ACCESS].join('\n\n'), html: html(paragraphs, m.link, '查看关注记录', NEEDS_OWN_ACCESS) };
}
