import type { Campaign } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import { esc } from '../../web/html.js';
import { formatBeijing } from '../shared/clock.js';
import type { Mail } from '../shared/mail.js';
import { contactLine, type Routing } from './routing.js';

/** What a receipt (回执) is about: one accepted version of one document of one org. */
export interface ReceiptInput {
  org: Org;
  campaign: Campaign;
  /** routingOf(org, campaign, receiver, district). */
  routing: Routing;
  document: { kind: string; title: string };
  /** 1 for the first accepted version of this document. */
  version: number;
  receiptNo: string;
  /** The sanitised original file name. */
  originalName: string;
  /** Bytes. */
  size: number;
  /** Hex SHA-256 of the stored bytes. */
  sha256: string;
  /** When S3 received the file, on the domain clock (ISO, UTC). */
  receivedAt: string;
  late: boolean;
  /** Present when this is a later correction of a document first submitted on time. */
  firstOnTime?: { at: string };
  /** The org's own link: its page lists every version and downloads them. */
  link: string;
  linkTtlDays: number;
  to: string[];
}

const PLATFORM = '南昌市中小学心理服务报送平台';

/** KB below 1 MiB, MB above, and the exact byte count: "0.8 KB（812 字节）", "1.5 MB（1,572,864 字节）". */
export function formatSize(bytes: number): string {
  const exact = `${String(Math.round(bytes)).replace(/\B(?=(\d{3})+$)/g, ',')} 字节`;
  const trim = (n: number, digits: number) => n.toFixed(digits).replace(/\.?0+$/, '');
  const human = bytes < 1024 * 1024 ? `${trim(Math.max(0.1, bytes / 1024), 1)} KB` : `${trim(bytes / 1024 / 1024, 2)} MB`;
  return `${human}（${exact}）`;
}

/**
 * The receipt mail for one accepted version: Simplified Chinese, text and HTML (every value escaped).
 * Pure: it shows only the org itself, its own route and contacts (`routing`) and the campaign — never
 * another org's name, file or status.
 */
export function receiptMail(r: ReceiptInput): Mail {
  const { org, campaign: c, document: d } = r;
  const at = formatBeijing(r.receivedAt);
  const deadline = formatBeijing(c.deadline);
  const status = r.late ? '逾期提交' : '按时提交';
  const correction = r.late && r.firstOnTime ? `本文档已于 ${formatBeijing(r.firstOnTime.at)}（北京时间）按时提交，本版为截止后的修改。` : undefined;
  const rows: [string, string][] = [
    ['回执编号', r.receiptNo],
    ['报送事项', `${c.title}（${c.noticeNo}）`],
    ['材料', `${d.title}（第 ${r.version} 版）`],
    ['原文件名', r.originalName],
    ['文件大小', formatSize(r.size)],
    ['文件校验码（SHA-256 前 12 位）', r.sha256.slice(0, 12).toLowerCase()],
    ['收到时间', `${at}（北京时间）`],
    ['提交状态', `${status}（截止时间 ${deadline}）`],
    ['报送路径', r.routing.sentence],
  ];
  const contacts = r.routing.contacts.map(contactLine);
  const intro = `贵单位提交的《${d.title}》（第 ${r.version} 版）已收到，文件已通过格式检查并妥善保存。本邮件为回执，请留存。`;
  const linkNote = `此链接专属于贵单位，请勿转发；有效期 ${r.linkTtlDays} 天。如需修改，可通过同一链接上传新版本，此前各版本均会保留。`;
  const text = [
    `${org.name}：`,
    '',
    intro,
    '',
    ...rows.map(([k, v]) => `${k}：${v}`),
    ...(correction ? [correction] : []),
    '',
    '查看本单位已提交的全部版本并下载：',
    r.link,
    linkNote,
    '',
    '联系人：',
    ...contacts,
    '',
    `${PLATFORM}（本邮件由系统自动发送，请勿直接回复）`,
  ].join('\n');

  const td = 'padding:4px 10px 4px 0;vertical-align:top';
  const html = `<div style="font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7">
<p>${esc(org.name)}：</p>
<p>${esc(intro)}</p>
<table style="border-collapse:collapse;font-size:14px">
${rows.map(([k, v]) => `<tr><td style="${td};color:#616e7c;white-space:nowrap">${esc(k)}</td><td style="${td}">${k === '提交状态' ? `<strong style="color:${r.late ? '#8a5a00' : '#1f6d32'}">${esc(status)}</strong>${esc(v.slice(status.length))}` : esc(v)}</td></tr>`).join('\n')}
</table>
${correction ? `<p style="background:#fff8e1;border-radius:6px;padding:8px 10px;font-size:14px">${esc(correction)}</p>` : ''}
<p><a href="${esc(r.link)}" style="display:inline-block;background:#1d4e89;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">查看全部版本并下载</a></p>
<p style="color:#616e7c;font-size:13px">如按钮无法点击，请复制以下链接到浏览器打开：<br>${esc(r.link)}<br>${esc(linkNote)}</p>
<p style="color:#616e7c;font-size:13px">联系人：<br>${contacts.map(esc).join('<br>')}</p>
<p style="color:#616e7c;font-size:13px">${esc(PLATFORM)}（本邮件由系统自动发送，请勿直接回复）</p></div>`;

  return {
    to: r.to,
    subject: `【回执】${d.title}（第 ${r.version} 版）已收到 - ${org.name}`,
    text,
    html,
  };
}
