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
    '按照南昌市教育局《关于加强中小学心理服务体系建设的通知》（洪教健字〔2019〕1号）附件2的要求，班主任每周或每月与家长联系，记录学生在校和在家的情况。记录内容严格保密，仅本班班主任、学校心理教师和校长（危机管理工作小组）可以查看。',
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
