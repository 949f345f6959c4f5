import type { Bundle } from '../../schemas/bundles.js';
import type { Campaign } from '../../schemas/campaigns.js';
import { mailHtml as wrap } from '../../web/html.js';
import { formatBeijing } from '../shared/clock.js';
import type { Mail } from '../shared/mail.js';

const schoolsOf = (b: Bundle) => new Set(b.entries.filter((e) => e.orgId !== b.districtId).map((e) => e.orgId)).size;

/** To the Centre: a District forwarded its jurisdiction (what is in it, who is left out and why, the cover note). */
export function forwardedMail(c: Campaign, b: Bundle, receiverName: string, link: string, to: string[]): Mail {
  const schools = schoolsOf(b);
  const subject = `【县区转报】${b.districtName} 第 ${b.seq} 批：学校方案 ${schools} 所${b.exemptions.length ? `（本批免报 ${b.exemptions.length} 所）` : ''}`;
  const paragraphs = [
    `${receiverName}：`,
    `${b.districtName}于 ${formatBeijing(b.at)} 转报了《${c.title}》（${c.noticeNo}）辖区方案（第 ${b.seq} 批）：本级方案及 ${schools} 所学校的方案，共 ${b.entries.length} 个文件。`,
    ...(b.exemptions.length ? [`本批免报：\n${b.exemptions.map((x) => `${x.orgName}：${x.reason}`).join('\n')}`] : []),
    ...(b.note ? [`转报说明：\n${b.note}`] : []),
    '请通过下面的链接查看、下载并确认接收（或退回）：',
  ];
  return { to, subject, text: [...paragraphs, link].join('\n\n'), html: wrap(paragraphs, `${link}`, '查看县区报送批次') };
}

/** To the District: the Centre received its bundle (回执), or returned it with a comment. */
export function answeredMail(c: Campaign, b: Bundle, link: string, to: string[]): Mail {
  const received = b.state === 'received';
  const subject = received ? `【回执】${b.answeredByName ?? '市未成年人心理健康辅导中心'}已接收${b.districtName}第 ${b.seq} 批方案` : `【退回】${b.districtName}第 ${b.seq} 批方案被退回，请修改后重新转报`;
  const paragraphs = [
    `${b.districtName}：`,
    received
      ? `贵单位于 ${formatBeijing(b.at)} 转报的《${c.title}》辖区方案（第 ${b.seq} 批，${b.entries.length} 个文件）已于 ${formatBeijing(b.answeredAt ?? b.at)} 由${b.answeredByName ?? '市未成年人心理健康辅导中心'}接收。`
      : `贵单位于 ${formatBeijing(b.at)} 转报的《${c.title}》辖区方案（第 ${b.seq} 批）被${b.answeredByName ?? '市未成年人心理健康辅导中心'}退回。`,
    ...(b.comment ? [`意见：\n${b.comment}`] : []),
    received ? '此邮件为接收回执，请留存。' : '请按意见处理后重新转报（系统会生成新的批次，原批次记录保留）。',
  ];
  return { to, subject, text: [...paragraphs, link].join('\n\n'), html: wrap(paragraphs, link, received ? '查看报送批次' : '打开转报页面') };
}
