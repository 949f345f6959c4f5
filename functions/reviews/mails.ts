import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import type { Review } from '../../schemas/plans.js';
import { esc } from '../../web/html.js';
import { formatBeijingWeekday } from '../shared/clock.js';
import type { Mail } from '../shared/mail.js';

export interface ReturnMailInput {
  campaign: Campaign;
  org: Org;
  documentTitle: string;
  review: Review;
  /** The school's own link (to its upload page). */
  link: string;
  /** "东湖区教科体局 李老师（电话 0791-…）". */
  reviewerContact: string;
  /** Who signs: the District office or the Centre. */
  signature: string;
  to: string[];
}

/**
 * A returned plan: what to fix (the reviewer's words, as written), by when, the school's link, whom to call.
 * Plain text and HTML; every value in the HTML is escaped.
 */
export function returnMail(m: ReturnMailInput): Mail {
  const due = m.review.dueAt ? formatBeijingWeekday(m.review.dueAt, true) : '';
  const subject = `【需修改】${m.documentTitle}（第 ${m.review.version} 版）已退回，请于${due ? ` ${due} ` : ''}前重新上传`;
  const head = `根据《${m.campaign.title}》（${m.campaign.noticeNo}），贵校提交的“${m.documentTitle}”第 ${m.review.version} 版经${m.review.byName}审核，需要修改后重新上传。`;
  const lines = [
    `${m.org.name}：`,
    '',
    head,
    '',
    '修改意见：',
    m.review.comment ?? '',
    '',
    `请于 ${due}（北京时间）前通过下面的链接上传修改后的版本：`,
    m.link,
    '',
    '此链接专属于贵校，请勿转发。',
    `如有疑问，请联系：${m.reviewerContact}`,
    '',
    m.signature,
  ];
  const html = `<div style="font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7">
<p>${esc(m.org.name)}：</p>
<p>${esc(head)}</p>
<p><strong>修改意见：</strong></p>
<blockquote style="margin:0 0 12px;padding:8px 12px;background:#fff8e1;border-left:4px solid #f0b429;white-space:pre-wrap">${esc(m.review.comment ?? '')}</blockquote>
<p>请于 <strong>${esc(due)}（北京时间）</strong>前上传修改后的版本：</p>
<p><a href="${esc(m.link)}" style="display:inline-block;background:#1d4e89;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">打开报送页面</a></p>
<p style="color:#616e7c;font-size:13px">如按钮无法点击，请复制以下链接到浏览器打开：<br>${esc(m.link)}<br>此链接专属于贵校，请勿转发。</p>
<p>如有疑问，请联系：${esc(m.reviewerContact)}</p>
<p>${esc(m.signature)}</p></div>`;
  return { to: m.to, subject, text: lines.join('\n'), html };
}
