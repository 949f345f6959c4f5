import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import type { Review } from '../../schemas/plans.js';
import { mailHtml } from '../../web/html.js';
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
  const paragraphs = [
    `${m.org.name}：`,
    head,
    `修改意见：\n${m.review.comment ?? ''}`,
    `请于 ${due}（北京时间）前通过下面的链接上传修改后的版本。`,
    `如有疑问，请联系：${m.reviewerContact}`,
    m.signature,
  ];
  return { to: m.to, subject, text: [...paragraphs.slice(0, 4), m.link, '此链接专属于贵校，请勿转发。', ...paragraphs.slice(4)].join('\n\n'), html: mailHtml(paragraphs, m.link, '打开报送页面') };
}
