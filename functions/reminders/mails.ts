import type { RequiredDocument } from '../../schemas/campaigns.js';
import type { Org } from '../../schemas/orgs.js';
import { esc } from '../../web/html.js';
import { contactLine, DEFAULT_RECEIVER_NAME, type Routing } from '../plans/routing.js';
import { DAY_MS, formatBeijingWeekday } from '../shared/clock.js';
import type { Mail } from '../shared/mail.js';
import type { Owing, ReminderJob } from './jobs.js';

/**
 * The reminder and digest mails (issue 6, item 7): pure, typed templates from a ReminderJob — no AWS,
 * no I/O, no clock (the sweep's day is the deadline's day minus `daysLeft`). Simplified Chinese, a
 * text and an HTML part, every value in the HTML escaped. They carry no student detail (the jobs hold
 * none) and no org's data beyond what the mail is for: a school's reminder names the school, its own
 * route and contacts; a District digest only that District's schools; the city digest every org that
 * owes (it is for the Bureau and the Centre, who see everything anyway).
 */

export type OrgReminderJob = Extract<ReminderJob, { kind: 'org' }>;
export type DistrictDigestJob = Extract<ReminderJob, { kind: 'district-digest' }>;
export type CityDigestJob = Extract<ReminderJob, { kind: 'city-digest' }>;

/**
 * How much a digest lists, so a mail stays readable (and well under the ~100 KB at which webmail
 * clients start clipping HTML) when hundreds of schools owe. Whatever is cut is counted ("等 M 所")
 * and the mail points to the status page, which lists everything:
 * - `districtRows`: a District office's table of its schools — its working list to phone through,
 *   so generous (a Nanchang District has at most a few hundred schools);
 * - `namesPerDistrict`: the city digest names at most this many schools per District, then "等 M 所";
 * - `directRows`, `unreachableRows`: rows of the city digest's Direct-school and unreachable tables.
 */
export const DIGEST_LIMITS = { districtRows: 300, namesPerDistrict: 15, directRows: 100, unreachableRows: 100 } as const;

export const PLATFORM = '南昌市中小学心理服务报送平台';
const FOOTER = `${PLATFORM}（本邮件由系统自动发送，请勿直接回复）`;

// The look of the receipt and the invitation (functions/plans/receipt.ts, functions/campaigns/invite.ts).
const WRAP = `font-family:'PingFang SC','Microsoft YaHei',sans-serif;font-size:15px;line-height:1.7`;
const MUTED = 'color:#616e7c;font-size:13px';
const NOTE = 'background:#fff8e1;border-radius:6px;padding:8px 10px;font-size:14px';
const button = (link: string, label: string) =>
  `<p><a href="${esc(link)}" style="display:inline-block;background:#1d4e89;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${esc(label)}</a></p>
<p style="${MUTED}">如按钮无法点击，请复制以下链接到浏览器打开：<br>${esc(link)}<br>此链接专属于贵单位，请勿转发。</p>`;
/**
 * A list table: border and padding as attributes, not a style per cell, so a 300-row table stays small.
 * `cells` are already escaped HTML.
 */
const table = (head: string[], rows: string[][]) =>
  `<table border="1" cellpadding="5" style="border-collapse:collapse;border:1px solid #d9dee3;font-size:14px">
<tr style="background:#f0f4f8">${head.map((h) => `<th align="left">${esc(h)}</th>`).join('')}</tr>
${rows.map((r) => `<tr>${r.map((c) => `<td valign="top">${c}</td>`).join('')}</tr>`).join('\n')}
</table>`;
const para = (s: string, style?: string) => `<p${style ? ` style="${style}"` : ''}>${esc(s)}</p>`;

/** A header line: no line breaks or runs of white space, whatever a name holds. */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Where the deadline stands on the sweep's day, in the words every mail uses. */
export interface Due {
  state: 'before' | 'due-day' | 'overdue';
  /** "还有 7 天" / "今天截止" / "已逾期 3 天" (body). */
  phrase: string;
  /** "还有7天：" / "" / "逾期3天：" (subject, after the tag). */
  lead: string;
}

export function dueOf(daysLeft: number, rule?: OrgReminderJob['rule']): Due {
  if (!Number.isInteger(daysLeft)) throw new RangeError(`daysLeft must be a whole number of days: ${daysLeft}`);
  // A deadline earlier in the day than the sweep: overdue on the deadline's own day.
  if (rule === 'overdue' && daysLeft === 0) return { state: 'overdue', phrase: '今天已截止', lead: '已截止：' };
  if (daysLeft > 0) return { state: 'before', phrase: `还有 ${daysLeft} 天`, lead: `还有${daysLeft}天：` };
  if (daysLeft === 0) return { state: 'due-day', phrase: '今天截止', lead: '' };
  return { state: 'overdue', phrase: `已逾期 ${-daysLeft} 天`, lead: `逾期${-daysLeft}天：` };
}

export const TAG = { 'due-day': '【今天截止】', overdue: '【已逾期】' } as const;

/** The sweep's Beijing day: whole Beijing days before the deadline's (fixed UTC+8, so N × 24 h). */
export const sweepDay = (deadline: string, daysLeft: number) => formatBeijingWeekday(new Date(Date.parse(deadline) - daysLeft * DAY_MS));

export const titles = (docs: RequiredDocument[]) => docs.map((d) => d.title).join('、');
/** Subject form of a list of documents: both titles for one or two, else "A等3份材料". */
export const docsShort = (docs: RequiredDocument[]) => (docs.length <= 2 ? titles(docs) : `${docs[0]?.title ?? ''}等${docs.length}份材料`);

/** "张老师（电话 0791-…）", "张老师", or "未登记". */
const contactOf = (o: Owing) => (o.contact ? `${o.contact.name}${o.contact.phone ? `（电话 ${o.contact.phone}）` : ''}` : '未登记');
const phoneOf = (o: Owing) => o.contact?.phone ?? '未登记';
const UNREACHABLE_NOTE = '无联系邮箱，未能发送提醒，请电话通知';

/** "A、B、C" or, past `limit`, "A、B、…、O 等 40 所". */
function names(orgs: Org[], limit: number): string {
  const shown = orgs.slice(0, limit).map((o) => o.name).join('、');
  return orgs.length > limit ? `${shown} 等 ${orgs.length} 所` : shown;
}

/** Per document, how many of `owing` lack it: "缺《A》8 个、缺《B》10 个" (documents in campaign order). */
export function perDocument(docs: RequiredDocument[], owing: Owing[], unit: string): string {
  return docs
    .map((d) => [d, owing.filter((o) => o.missing.some((m) => m.kind === d.kind)).length] as const)
    .filter(([, n]) => n > 0)
    .map(([d, n]) => `缺《${d.title}》${n} ${unit}`)
    .join('、');
}

/**
 * A reminder to one org that still owes documents: what is due and by when (Beijing date with weekday),
 * "还有 N 天" / "今天截止" / "已逾期 N 天", exactly which documents are missing and which are already in,
 * the org's own link, who collects them (`ctx.routing`, from routingOf: its District office or the
 * Centre) and whom to call. Throws for a job with nothing missing (nobody who has done their part is
 * reminded) or a rule that contradicts `daysLeft`.
 */
export function reminderMail(job: OrgReminderJob, ctx: { routing: Routing; link: string; to: string[] }): Mail {
  const { org, campaign: c, missing } = job;
  if (missing.length === 0) throw new Error(`reminderMail: ${org.id} owes nothing in ${c.id} (${job.key})`);
  const due = dueOf(job.daysLeft, job.rule);
  if (due.state !== job.rule) throw new Error(`reminderMail: rule ${job.rule} but ${job.daysLeft} days left (${job.key})`);

  const deadline = formatBeijingWeekday(job.deadline, true);
  const missingKinds = new Set(missing.map((d) => d.kind));
  const received = c.documents.filter((d) => !missingKinds.has(d.kind));
  const intro = `根据《${c.title}》（${c.noticeNo}）的要求，贵单位须于 ${deadline}（北京时间）前报送有关材料，${due.phrase}。`;
  const asOf = `截至 ${sweepDay(job.deadline, job.daysLeft)}，平台尚未收到贵单位的以下材料：`;
  const receivedHead = '以下材料已收到，无需重复提交：';
  const late = due.state === 'overdue' ? '截止后仍可通过同一链接上传，系统将标注为逾期提交。' : undefined;
  const upload = '请通过本单位专属链接上传（PDF 或 Word 文件）：';
  const self = ctx.routing.kind === 'self' ? '通过同一链接还可查看辖区内各学校的报送情况。' : undefined;
  const route = `报送路径：${ctx.routing.sentence}`;
  const contacts = ctx.routing.contacts.map(contactLine);

  const text = [
    `${org.name}：`,
    '',
    intro,
    '',
    asOf,
    ...missing.map((d, i) => `${i + 1}. ${d.title}`),
    ...(received.length ? [receivedHead, ...received.map((d) => `- ${d.title}`)] : []),
    '',
    route,
    '',
    upload,
    ctx.link,
    '此链接专属于贵单位，请勿转发。',
    ...(late ? [late] : []),
    ...(self ? [self] : []),
    '',
    '联系人：',
    ...contacts,
    '',
    FOOTER,
  ].join('\n');

  const color = due.state === 'before' ? '#1d4e89' : due.state === 'due-day' ? '#8a5a00' : '#9b1c1c';
  const html = `<div style="${WRAP}">
<p>${esc(org.name)}：</p>
<p>根据《${esc(c.title)}》（${esc(c.noticeNo)}）的要求，贵单位须于 <strong>${esc(deadline)}</strong>（北京时间）前报送有关材料，<strong style="color:${color}">${esc(due.phrase)}</strong>。</p>
<p>${esc(asOf)}</p>
<ol>${missing.map((d) => `<li><strong style="color:#9b1c1c">${esc(d.title)}</strong></li>`).join('')}</ol>
${received.length ? `<p style="${MUTED}">${esc(receivedHead)}<br>${received.map((d) => `✓ ${esc(d.title)}`).join('<br>')}</p>` : ''}
${para(route)}
${late ? para(late, NOTE) : ''}
${button(ctx.link, '打开报送页面')}
${self ? para(self, MUTED) : ''}
<p style="${MUTED}">联系人：<br>${contacts.map(esc).join('<br>')}</p>
${para(FOOTER, MUTED)}</div>`;

  const docs = docsShort(missing);
  const date = formatBeijingWeekday(job.deadline);
  const subject =
    due.state === 'before'
      ? `【提醒】${due.lead}请于${date}前报送${docs}`
      : due.state === 'due-day'
        ? `${TAG['due-day']}请于${deadline}前报送${docs}`
        : `${TAG.overdue}${due.lead}请尽快补报${docs}，截止时间为${date}`;
  return { to: ctx.to, subject: oneLine(`${subject} - ${org.name}`), text, html };
}

/**
 * The daily digest to a District office: its schools that still owe (a table: school, missing
 * documents, contact and phone; those without a contact e-mail flagged, since only the office can
 * reach them), counts per document, the deadline with its weekday and the office's own link to its
 * status page. Only the office's own schools: an entry that belongs to another District is dropped
 * here too (the planner should never put one in), so a planning mistake cannot leak another
 * District's names. Throws when none of its schools owes anything (no empty digest is sent).
 */
export function districtDigestMail(job: DistrictDigestJob, ctx: { link: string; to: string[] }): Mail {
  const { district, campaign: c } = job;
  const schools = job.schools.filter((o) => o.org.kind === 'school' && o.org.districtId === district.id && o.missing.length > 0);
  if (schools.length === 0) throw new Error(`districtDigestMail: no school of ${district.id} owes anything (${job.key})`);
  const due = dueOf(job.daysLeft);
  const deadline = formatBeijingWeekday(job.deadline, true);
  const shown = schools.slice(0, DIGEST_LIMITS.districtRows);
  const cut = schools.length - shown.length;
  const unreachable = schools.filter((o) => !o.reachable).length;

  const intro = `《${c.title}》（${c.noticeNo}）的报送截止时间为 ${deadline}（北京时间），${due.phrase}。`;
  const summary = `截至 ${sweepDay(job.deadline, job.daysLeft)}，辖区内有 ${schools.length} 所学校尚未报齐材料（${perDocument(c.documents, schools, '所')}），名单如下。`;
  const ask = `请督促各校尽快通过本校专属链接上传；各校报齐后，由贵单位审核并统一报送${DEFAULT_RECEIVER_NAME}。`;
  const noMail = unreachable ? `其中 ${unreachable} 所学校没有联系邮箱，平台无法向其发送提醒，请电话通知。` : undefined;
  const more = cut ? `另有 ${cut} 所学校未列出，请在辖区报送情况页面查看完整名单。` : undefined;
  const linkHead = '查看辖区各学校的报送情况（本单位专属链接，请勿转发）：';
  const contact = `如有疑问，请联系${DEFAULT_RECEIVER_NAME} ${c.contact.name}（电话 ${c.contact.phone}）。`;

  const text = [
    `${district.name}：`,
    '',
    intro,
    summary,
    ask,
    ...(noMail ? [noMail] : []),
    '',
    ...shown.map((o, i) => `${i + 1}. ${o.org.name}：缺 ${titles(o.missing)}；联系人 ${contactOf(o)}${o.reachable ? '' : `（${UNREACHABLE_NOTE}）`}`),
    ...(more ? [more] : []),
    '',
    linkHead,
    ctx.link,
    '',
    contact,
    '',
    FOOTER,
  ].join('\n');

  const rows = shown.map((o) => [
    `${esc(o.org.name)}${o.reachable ? '' : `<br><span style="color:#9b1c1c;font-size:12px">${esc(UNREACHABLE_NOTE)}</span>`}`,
    o.missing.map((d) => esc(d.title)).join('<br>'),
    esc(o.contact?.name ?? '未登记'),
    esc(phoneOf(o)),
  ]);
  const html = `<div style="${WRAP}">
<p>${esc(district.name)}：</p>
${para(intro)}
<p>${esc(summary)}${esc(ask)}</p>
${noMail ? para(noMail, NOTE) : ''}
${table(['学校', '缺少的材料', '联系人', '电话'], rows)}
${more ? para(more, MUTED) : ''}
${button(ctx.link, '查看辖区报送情况')}
${para(contact, MUTED)}
${para(FOOTER, MUTED)}</div>`;

  const what = `辖区内${schools.length}所学校尚未报齐《${c.title}》材料`;
  const date = formatBeijingWeekday(job.deadline);
  const subject =
    due.state === 'before'
      ? `【辖区提醒】${due.lead}${what}，${date}截止`
      : due.state === 'due-day'
        ? `${TAG['due-day']}${what}，${deadline}截止`
        : `${TAG.overdue}${due.lead}${what}，${date}已截止`;
  return { to: ctx.to, subject: oneLine(`${subject} - ${district.name}`), text, html };
}

/**
 * The daily digest to the Bureau and to the Centre: how many orgs still owe, per document; per
 * District the office itself (when it owes) and its schools by name — at most
 * DIGEST_LIMITS.namesPerDistrict names, then "等 M 所", because with 2,000 schools a full list would
 * bury the counts the Bureau reads first (the status page has every name); the Direct schools, which
 * report to the Centre itself, as a table with their contact and phone; and a separate section
 * "无法联系的单位（无联系邮箱）": orgs that owe but have no contact e-mail, with a phone when known, so
 * someone calls them.
 */
export function cityDigestMail(job: CityDigestJob, ctx: { link: string; to: string[] }): Mail {
  const { recipient, campaign: c } = job;
  const due = dueOf(job.daysLeft);
  const deadline = formatBeijingWeekday(job.deadline, true);
  const districts = job.districts.map((d) => ({
    ...d,
    office: d.owing.find((o) => o.org.kind === 'district'),
    schools: d.owing.filter((o) => o.org.kind === 'school').map((o) => o.org),
  }));
  const inDistricts = job.districts.flatMap((d) => d.owing);
  const owing = [...inDistricts, ...job.direct];
  const offices = districts.filter((d) => d.office).length;
  const limit = DIGEST_LIMITS.namesPerDistrict;
  const truncated = districts.some((d) => d.schools.length > limit);
  const districtName = new Map(job.districts.map((d) => [d.district.id, d.district.name]));
  /** Where an unreachable org belongs, from the job itself (never another lookup). */
  const belongs = (o: Org) =>
    o.kind === 'district' ? '县区教育局（教体办）' : o.districtId ? (districtName.get(o.districtId) ?? '所属县区') : o.kind === 'school' ? '直属学校' : '市级单位';

  const intro = `《${c.title}》（${c.noticeNo}）的报送截止时间为 ${deadline}（北京时间），${due.phrase}。`;
  const asOf = `截至 ${sweepDay(job.deadline, job.daysLeft)}，`;
  const summary =
    owing.length === 0
      ? `${asOf}全部单位均已报齐。`
      : `${asOf}共有 ${owing.length} 个单位尚未报齐：各县区 ${inDistricts.length} 个（县区教育局（教体办）${offices} 个、学校 ${inDistricts.length - offices} 所），直属学校 ${job.direct.length} 所。`;
  const byDoc = owing.length ? `按材料：${perDocument(c.documents, owing, '个')}。` : undefined;
  const noMail = job.unreachable.length ? `其中 ${job.unreachable.length} 个单位没有联系邮箱，收不到提醒，见“无法联系的单位（无联系邮箱）”。` : undefined;
  const cutNote = truncated ? `为便于阅读，每个县区最多列出 ${limit} 所学校的名称，完整名单请在报送情况页面查看。` : undefined;

  const districtHead = '一、各县区（未报齐 / 应报单位数）';
  const districtText = districts.flatMap((d, i) => {
    const head = `${i + 1}. ${d.district.name}：${d.owing.length} / ${d.expected}`;
    if (d.owing.length === 0) return [`${head}，已全部报齐`];
    return [
      head,
      ...(d.office ? [`   机关本级：缺 ${titles(d.office.missing)}`] : []),
      ...(d.schools.length ? [`   学校 ${d.schools.length} 所：${names(d.schools, limit)}`] : []),
    ];
  });
  const directHead = `二、直属学校（未报齐 ${job.direct.length} / 应报 ${job.directExpected}）`;
  const direct = job.direct.slice(0, DIGEST_LIMITS.directRows);
  const directMore = job.direct.length > direct.length ? `另有 ${job.direct.length - direct.length} 所直属学校未列出，请在报送情况页面查看。` : undefined;
  const unreachHead = '三、无法联系的单位（无联系邮箱）';
  const unreach = job.unreachable.slice(0, DIGEST_LIMITS.unreachableRows);
  const unreachMore = job.unreachable.length > unreach.length ? `另有 ${job.unreachable.length - unreach.length} 个单位未列出，请在报送情况页面查看。` : undefined;
  const linkHead = '查看全市报送情况（可按县区筛选、下载汇总表和已交文件）：';

  const text = [
    `${recipient.name}：`,
    '',
    intro,
    summary,
    ...(byDoc ? [byDoc] : []),
    ...(noMail ? [noMail] : []),
    ...(cutNote ? [cutNote] : []),
    '',
    districtHead,
    ...(districtText.length ? districtText : ['无']),
    '',
    directHead,
    ...(direct.length ? direct.map((o, i) => `${i + 1}. ${o.org.name}：缺 ${titles(o.missing)}；联系人 ${contactOf(o)}`) : ['无']),
    ...(directMore ? [directMore] : []),
    '',
    unreachHead,
    ...(unreach.length ? unreach.map((o, i) => `${i + 1}. ${o.org.name}（${belongs(o.org)}）：缺 ${titles(o.missing)}；电话 ${phoneOf(o)}`) : ['无']),
    ...(unreachMore ? [unreachMore] : []),
    '',
    linkHead,
    ctx.link,
    '此链接专属于贵单位，请勿转发。',
    '',
    FOOTER,
  ].join('\n');

  const districtRows = districts.map((d) => [
    esc(d.district.name),
    `${esc(d.owing.length)} / ${esc(d.expected)}`,
    d.owing.length === 0
      ? '<span style="color:#1f6d32">已全部报齐</span>'
      : [
          ...(d.office ? [`机关本级：缺 ${esc(titles(d.office.missing))}`] : []),
          ...(d.schools.length ? [`学校 ${esc(d.schools.length)} 所：${esc(names(d.schools, limit))}`] : []),
        ].join('<br>'),
  ]);
  const none = `<p style="${MUTED}">无</p>`;
  const html = `<div style="${WRAP}">
<p>${esc(recipient.name)}：</p>
${para(intro)}
<p>${esc(summary)}${byDoc ? `<br>${esc(byDoc)}` : ''}</p>
${noMail ? para(noMail, NOTE) : ''}
${cutNote ? para(cutNote, MUTED) : ''}
<h3 style="font-size:16px;margin:16px 0 6px">${esc(districtHead)}</h3>
${districtRows.length ? table(['县区', '未报齐 / 应报', '未报齐的单位'], districtRows) : none}
<h3 style="font-size:16px;margin:16px 0 6px">${esc(directHead)}</h3>
${direct.length ? table(['学校', '缺少的材料', '联系人', '电话'], direct.map((o) => [esc(o.org.name), o.missing.map((d) => esc(d.title)).join('<br>'), esc(o.contact?.name ?? '未登记'), esc(phoneOf(o))])) : none}
${directMore ? para(directMore, MUTED) : ''}
<h3 style="font-size:16px;margin:16px 0 6px">${esc(unreachHead)}</h3>
${unreach.length ? table(['单位', '所属', '缺少的材料', '电话'], unreach.map((o) => [esc(o.org.name), esc(belongs(o.org)), o.missing.map((d) => esc(d.title)).join('<br>'), esc(phoneOf(o))])) : none}
${unreachMore ? para(unreachMore, MUTED) : ''}
${button(ctx.link, '查看全市报送情况')}
${para(FOOTER, MUTED)}</div>`;

  const date = formatBeijingWeekday(job.deadline);
  const what = owing.length ? `尚有${owing.length}个单位未报齐《${c.title}》材料` : `《${c.title}》材料已全部报齐`;
  const subject =
    due.state === 'before'
      ? `【报送情况】${due.lead}${what}，${date}截止`
      : due.state === 'due-day'
        ? `${TAG['due-day']}${what}，${deadline}截止`
        : `${TAG.overdue}${due.lead}${what}，${date}已截止`;
  return { to: ctx.to, subject: oneLine(subject), text, html };
}
