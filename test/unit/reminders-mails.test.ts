import { describe, expect, it } from 'vitest';
import type { Owing, ReminderJob } from '../../functions/reminders/jobs.js';
import { type CityDigestJob, cityDigestMail, DIGEST_LIMITS, type DistrictDigestJob, districtDigestMail, type OrgReminderJob, reminderMail } from '../../functions/reminders/mails.js';
import { routingOf } from '../../functions/plans/routing.js';
import { beijingWeekday, formatBeijingWeekday } from '../../functions/shared/clock.js';
import type { Mail } from '../../functions/shared/mail.js';
import type { Campaign } from '../../schemas/campaigns.js';
import { Org } from '../../schemas/orgs.js';
import { allOrgs, campaign, orgs } from './samples.js';

const CENTRE = '南昌市未成年人心理健康辅导中心';
const LINK = 'https://psy.example.cn/l/a.b.c';
const [SERVICE, CRISIS] = campaign.documents as [Campaign['documents'][number], Campaign['documents'][number]];
/** 东湖区 with a contact who has a phone: a District school's reminder names that one first. */
const dh = Org.parse({ ...orgs.dh, contacts: [{ name: '李老师', email: 'li@dh.example.cn' }, { name: '周老师', email: 'zhou@dh.example.cn', phone: '0791-86000001' }] });
const wutong = Org.parse({ id: 's-donghu-wutong', name: '东湖区梧桐小学', kind: 'school', districtId: 'dh', contacts: [{ name: '吴老师', email: 'wu@wutong.example.cn', phone: '0791-86000002' }], tokenVersion: 1 });

/** The sweep's day for a job `daysLeft` days before the 30 June deadline (ledger keys name it). */
const dayKey = (daysLeft: number) => new Date(Date.parse(campaign.deadline) - daysLeft * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
const ruleOf = (daysLeft: number) => (daysLeft > 0 ? 'before' : daysLeft === 0 ? 'due-day' : 'overdue');

function orgJob(over: Partial<OrgReminderJob> = {}): OrgReminderJob {
  const org = over.org ?? wutong;
  const daysLeft = over.daysLeft ?? 7;
  const rule = ruleOf(daysLeft);
  return {
    kind: 'org',
    key: `remind#${campaign.id}#${org.id}#${rule}${rule === 'before' ? `-${daysLeft}` : ''}#${dayKey(daysLeft)}`,
    campaign,
    org,
    rule,
    daysLeft,
    deadline: campaign.deadline,
    missing: [CRISIS],
    ...over,
  } satisfies ReminderJob;
}
const ctxOf = (org: Org) => ({ routing: routingOf(org, campaign, orgs.centre, org.districtId === 'dh' ? dh : undefined), link: LINK, to: [org.contacts[0]?.email ?? 'x@example.cn'] });

const owing = (org: Org, missing = [CRISIS], over: Partial<Owing> = {}): Owing => {
  const c = org.contacts.find((x) => x.phone) ?? org.contacts[0];
  return { org, missing, reachable: org.contacts.length > 0, ...(c ? { contact: { name: c.name, ...(c.phone ? { phone: c.phone } : {}) } } : {}), ...over };
};
const school = (district: string, i: number, name = `${district === 'dh' ? '东湖区' : '西湖区'}第${i}学校`) =>
  Org.parse({ id: `${district}-s-${i}`, name, kind: 'school', districtId: district, contacts: [{ name: `老师${i}`, email: `s${i}@${district}.example.cn`, phone: `0791-8${String(i).padStart(6, '0')}` }], tokenVersion: 1 });

function districtJob(over: Partial<DistrictDigestJob> = {}): DistrictDigestJob {
  const daysLeft = over.daysLeft ?? 3;
  return {
    kind: 'district-digest',
    key: `digest#${campaign.id}#dh#${dayKey(daysLeft)}`,
    campaign,
    district: dh,
    daysLeft,
    deadline: campaign.deadline,
    schools: [owing(orgs.dhSchool1, [SERVICE, CRISIS]), owing(wutong), owing(Org.parse({ ...orgs.dhSchool2, contacts: [] }))],
    ...over,
  } satisfies ReminderJob;
}

function cityJob(over: Partial<CityDigestJob> = {}): CityDigestJob {
  const daysLeft = over.daysLeft ?? 3;
  const xhOffice = owing(orgs.xh, [SERVICE, CRISIS], { contact: { name: '孙老师', phone: '0791-86000003' } });
  return {
    kind: 'city-digest',
    key: `digest#${campaign.id}#bureau#${dayKey(daysLeft)}`,
    campaign,
    recipient: orgs.bureau,
    daysLeft,
    deadline: campaign.deadline,
    districts: [
      { district: dh, owing: [owing(orgs.dhSchool1, [SERVICE, CRISIS]), owing(wutong)], expected: 4 },
      { district: orgs.xh, owing: [xhOffice], expected: 2 },
    ],
    direct: [owing(orgs.direct1, [SERVICE])],
    directExpected: 1,
    unreachable: [xhOffice],
    ...over,
  } satisfies ReminderJob;
}

const BAD = ['undefined', 'null', 'NaN', '[object', 'Invalid'];
function clean(m: Mail) {
  for (const part of [m.subject, m.text, m.html]) for (const bad of BAD) expect(part).not.toContain(bad);
  expect(m.subject).not.toMatch(/[\r\n]/);
}

describe('formatBeijingWeekday / beijingWeekday', () => {
  it.each([
    ['2019-06-30T23:59:59.999+08:00', '6月30日（星期日）', '6月30日（星期日）23:59'],
    ['2019-06-30T15:59:59.999Z', '6月30日（星期日）', '6月30日（星期日）23:59'],
    // Midnight in Beijing is still the evening before in UTC: the Beijing day and weekday win.
    ['2019-06-30T16:00:00.000Z', '7月1日（星期一）', '7月1日（星期一）00:00'],
    ['2019-06-23T01:00:00.000Z', '6月23日（星期日）', '6月23日（星期日）09:00'],
    ['2019-06-27T01:00:00.000Z', '6月27日（星期四）', '6月27日（星期四）09:00'],
    ['2019-05-09T00:00:00+08:00', '5月9日（星期四）', '5月9日（星期四）00:00'],
    ['2019-12-31T16:30:00.000Z', '1月1日（星期三）', '1月1日（星期三）00:30'],
    ['2020-02-29T04:00:00.000Z', '2月29日（星期六）', '2月29日（星期六）12:00'],
    ['2024-06-30T12:00:00+08:00', '6月30日（星期日）', '6月30日（星期日）12:00'],
    ['2025-06-30T12:00:00+08:00', '6月30日（星期一）', '6月30日（星期一）12:00'],
  ])('%s → %s', (iso, date, withTime) => {
    expect(formatBeijingWeekday(iso)).toBe(date);
    expect(formatBeijingWeekday(new Date(iso), true)).toBe(withTime);
  });

  it('agrees with the ICU calendar in Asia/Shanghai for every day of 2019 to 2020, at 00:00, 09:00 and 23:59', () => {
    const weekday = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', weekday: 'long' });
    const fields = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const part = (d: Date, type: Intl.DateTimeFormatPartTypes) => fields.formatToParts(d).find((p) => p.type === type)?.value;
    let checked = 0;
    for (let t = Date.parse('2019-01-01T00:00:00+08:00'); t < Date.parse('2021-01-01T00:00:00+08:00'); t += 86_400_000) {
      for (const offset of [0, 9 * 3600_000, 86_400_000 - 60_000]) {
        const d = new Date(t + offset);
        expect(beijingWeekday(d)).toBe(weekday.format(d));
        expect(formatBeijingWeekday(d, true)).toBe(`${part(d, 'month')}月${part(d, 'day')}日（${weekday.format(d)}）${part(d, 'hour')}:${part(d, 'minute')}`);
        checked++;
      }
    }
    expect(checked).toBe(731 * 3);
  });

  it('refuses an invalid date instead of printing "undefined"', () => {
    expect(() => formatBeijingWeekday('not a date')).toThrow(RangeError);
    expect(() => beijingWeekday(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('reminderMail', () => {
  it('a District school, 7 days before: what is missing, what is in, by when, its link, its office collects', () => {
    const m = reminderMail(orgJob(), ctxOf(wutong));
    expect(m.to).toEqual(['wu@wutong.example.cn']);
    expect(m.subject).toBe('【提醒】还有7天：请于6月30日（星期日）前报送心理危机管理工作方案 - 东湖区梧桐小学');
    const lines = m.text.split('\n');
    expect(lines[0]).toBe('东湖区梧桐小学：');
    for (const line of [
      '根据《心理服务体系建设实施方案报送》（洪教健字〔2019〕1号）的要求，贵单位须于 6月30日（星期日）23:59（北京时间）前报送有关材料，还有 7 天。',
      '截至 6月23日（星期日），平台尚未收到贵单位的以下材料：',
      '1. 心理危机管理工作方案',
      '以下材料已收到，无需重复提交：',
      '- 心理服务体系建设工作实施方案',
      `报送路径：本校的方案先由东湖区教科体局收齐、审核，再由其统一报送${CENTRE}。`,
      LINK,
      '东湖区教科体局 周老师（电话 0791-86000001）',
      `${CENTRE} 王老师（电话 0791-86123456）`,
    ])
      expect(lines).toContain(line);
    // The collecting office is named before the Centre.
    expect(m.text.indexOf('东湖区教科体局 周老师')).toBeLessThan(m.text.indexOf(`${CENTRE} 王老师`));
    expect(m.text).not.toMatch(/今天截止|逾期/);

    expect(m.html).toContain(`href="${LINK}"`);
    for (const s of ['6月30日（星期日）23:59', '还有 7 天', '<li><strong style="color:#9b1c1c">心理危机管理工作方案</strong></li>', '✓ 心理服务体系建设工作实施方案', '东湖区教科体局 周老师（电话 0791-86000001）'])
      expect(m.html).toContain(s);
    clean(m);
  });

  it('on the day itself and when overdue: the wording and the subject change', () => {
    const today = reminderMail(orgJob({ daysLeft: 0 }), ctxOf(wutong));
    expect(today.subject).toBe('【今天截止】请于6月30日（星期日）23:59前报送心理危机管理工作方案 - 东湖区梧桐小学');
    expect(today.text).toContain('前报送有关材料，今天截止。');
    expect(today.text).toContain('截至 6月30日（星期日），平台尚未收到');
    expect(today.text).not.toMatch(/还有|逾期/);
    expect(today.html).toContain('今天截止');

    const late = reminderMail(orgJob({ daysLeft: -3 }), ctxOf(wutong));
    expect(late.subject).toBe('【已逾期】逾期3天：请尽快补报心理危机管理工作方案，截止时间为6月30日（星期日） - 东湖区梧桐小学');
    expect(late.text).toContain('前报送有关材料，已逾期 3 天。');
    expect(late.text).toContain('截至 7月3日（星期三），平台尚未收到');
    expect(late.text).toContain('截止后仍可通过同一链接上传，系统将标注为逾期提交。');
    expect(late.text).not.toMatch(/还有|今天截止/);

    const tomorrow = reminderMail(orgJob({ daysLeft: 1 }), ctxOf(wutong));
    expect(tomorrow.subject).toBe('【提醒】还有1天：请于6月30日（星期日）前报送心理危机管理工作方案 - 东湖区梧桐小学');
    expect(tomorrow.text).toContain('截至 6月29日（星期六）');
    for (const m of [today, late, tomorrow]) clean(m);
  });

  it('names every missing document and says nothing is in when nothing is', () => {
    const m = reminderMail(orgJob({ daysLeft: 14, missing: [SERVICE, CRISIS] }), ctxOf(wutong));
    expect(m.subject).toBe('【提醒】还有14天：请于6月30日（星期日）前报送心理服务体系建设工作实施方案、心理危机管理工作方案 - 东湖区梧桐小学');
    expect(m.text).toContain('1. 心理服务体系建设工作实施方案\n2. 心理危机管理工作方案\n');
    expect(m.text).not.toContain('已收到');
    expect(m.text).toContain('截至 6月16日（星期日）');

    // Three or more missing: the subject stays short.
    const three = { ...campaign, documents: [...campaign.documents, { kind: 'census', title: '心理普查建档情况' }] };
    const m3 = reminderMail(orgJob({ campaign: three, missing: three.documents }), ctxOf(wutong));
    expect(m3.subject).toBe('【提醒】还有7天：请于6月30日（星期日）前报送心理服务体系建设工作实施方案等3份材料 - 东湖区梧桐小学');
    expect(m3.text).toContain('3. 心理普查建档情况');
  });

  it('uses the org’s own deadline', () => {
    const m = reminderMail(orgJob({ deadline: '2019-07-05T15:59:59.999Z', daysLeft: 2 }), ctxOf(wutong));
    expect(m.subject).toBe('【提醒】还有2天：请于7月5日（星期五）前报送心理危机管理工作方案 - 东湖区梧桐小学');
    expect(m.text).toContain('7月5日（星期五）23:59（北京时间）');
    expect(m.text).toContain('截至 7月3日（星期三）');
  });

  it('a Direct school reports straight to the Centre; a District office also sees its schools', () => {
    const direct = reminderMail(orgJob({ org: orgs.direct1, missing: [SERVICE] }), ctxOf(orgs.direct1));
    expect(direct.subject).toBe('【提醒】还有7天：请于6月30日（星期日）前报送心理服务体系建设工作实施方案 - 南昌市第一中学');
    expect(direct.text).toContain(`报送路径：本校为直属学校（局属学校），方案直接报送${CENTRE}。`);
    expect(direct.text).toContain(`联系人：\n${CENTRE} 王老师（电话 0791-86123456）\n`);
    expect(direct.text).toContain('- 心理危机管理工作方案');
    expect(direct.text).not.toContain('教科体局');

    const office = reminderMail(orgJob({ org: dh, daysLeft: -1 }), ctxOf(dh));
    expect(office.subject).toBe('【已逾期】逾期1天：请尽快补报心理危机管理工作方案，截止时间为6月30日（星期日） - 东湖区教科体局');
    expect(office.text).toContain(`报送路径：本单位的方案直接报送${CENTRE}；辖区内各学校的方案先由本单位收齐、审核，再统一报送${CENTRE}。`);
    expect(office.text).toContain('通过同一链接还可查看辖区内各学校的报送情况。');
    expect(direct.text).not.toContain('辖区内各学校的报送情况');
    for (const m of [direct, office]) clean(m);
  });

  it('carries nothing of another org', () => {
    const m = reminderMail(orgJob(), ctxOf(wutong));
    const others = allOrgs.filter((o) => !['dh', 'centre'].includes(o.id));
    for (const part of [m.subject, m.text, m.html]) {
      for (const o of others) expect(part).not.toContain(o.name);
      for (const e of [...allOrgs, dh].flatMap((o) => o.contacts.map((c) => c.email))) expect(part).not.toContain(e);
    }
  });

  it('refuses a job with nothing missing, or whose rule contradicts its days left', () => {
    expect(() => reminderMail(orgJob({ missing: [] }), ctxOf(wutong))).toThrow(/owes nothing/);
    expect(() => reminderMail(orgJob({ rule: 'before', daysLeft: 0 }), ctxOf(wutong))).toThrow(/rule before/);
    expect(() => reminderMail(orgJob({ rule: 'overdue', daysLeft: 3 }), ctxOf(wutong))).toThrow(/rule overdue/);
    expect(() => reminderMail(orgJob({ daysLeft: 1.5, rule: 'before' }), ctxOf(wutong))).toThrow(RangeError);
  });
});

describe('districtDigestMail', () => {
  it('names its schools that owe, what each lacks, whom to call; counts; the deadline with its weekday; its link', () => {
    const m = districtDigestMail(districtJob(), { link: LINK, to: ['li@dh.example.cn'] });
    expect(m.to).toEqual(['li@dh.example.cn']);
    expect(m.subject).toBe('【辖区提醒】还有3天：辖区内3所学校尚未报齐《心理服务体系建设实施方案报送》材料，6月30日（星期日）截止 - 东湖区教科体局');
    const lines = m.text.split('\n');
    expect(lines[0]).toBe('东湖区教科体局：');
    for (const line of [
      '《心理服务体系建设实施方案报送》（洪教健字〔2019〕1号）的报送截止时间为 6月30日（星期日）23:59（北京时间），还有 3 天。',
      '截至 6月27日（星期四），辖区内有 3 所学校尚未报齐材料（缺《心理服务体系建设工作实施方案》1 所、缺《心理危机管理工作方案》3 所），名单如下。',
      '其中 1 所学校没有联系邮箱，平台无法向其发送提醒，请电话通知。',
      '1. 东湖区第一小学：缺 心理服务体系建设工作实施方案、心理危机管理工作方案；联系人 张老师',
      '2. 东湖区梧桐小学：缺 心理危机管理工作方案；联系人 吴老师（电话 0791-86000002）',
      '3. 东湖区第二中学：缺 心理危机管理工作方案；联系人 未登记（无联系邮箱，未能发送提醒，请电话通知）',
      LINK,
      `如有疑问，请联系${CENTRE} 王老师（电话 0791-86123456）。`,
    ])
      expect(lines).toContain(line);
    // The table: one row per school, with the phone in its own column.
    expect(m.html).toContain('<th align="left">学校</th><th align="left">缺少的材料</th><th align="left">联系人</th><th align="left">电话</th>');
    expect(m.html).toContain('<tr><td valign="top">东湖区梧桐小学</td><td valign="top">心理危机管理工作方案</td><td valign="top">吴老师</td><td valign="top">0791-86000002</td></tr>');
    expect(m.html.match(/<tr><td/g)).toHaveLength(3);
    expect(m.html).toContain(`href="${LINK}"`);
    clean(m);
  });

  it('says 今天截止 on the day and 已逾期 after', () => {
    const today = districtDigestMail(districtJob({ daysLeft: 0 }), { link: LINK, to: [] });
    expect(today.subject).toBe('【今天截止】辖区内3所学校尚未报齐《心理服务体系建设实施方案报送》材料，6月30日（星期日）23:59截止 - 东湖区教科体局');
    expect(today.text).toContain('（北京时间），今天截止。');
    const late = districtDigestMail(districtJob({ daysLeft: -2 }), { link: LINK, to: [] });
    expect(late.subject).toBe('【已逾期】逾期2天：辖区内3所学校尚未报齐《心理服务体系建设实施方案报送》材料，6月30日（星期日）已截止 - 东湖区教科体局');
    expect(late.text).toContain('（北京时间），已逾期 2 天。');
    expect(late.text).toContain('截至 7月2日（星期二）');
  });

  it('never shows another District’s school, even when one slips into the job', () => {
    const m = districtDigestMail(districtJob({ schools: [...districtJob().schools, owing(orgs.xhSchool1), owing(orgs.direct1), owing(orgs.xh)] }), { link: LINK, to: [] });
    const others = allOrgs.filter((o) => !['dh', 'dh-school-1', 'dh-school-2', 'centre'].includes(o.id));
    for (const part of [m.subject, m.text, m.html]) {
      for (const o of others) expect(part).not.toContain(o.name);
      expect(part).not.toContain('chen@xh1.example.cn');
    }
    expect(m.subject).toContain('辖区内3所学校');
    // …and nothing at all when only strangers owe: no empty digest is sent.
    expect(() => districtDigestMail(districtJob({ schools: [owing(orgs.xhSchool1)] }), { link: LINK, to: [] })).toThrow(/no school of dh/);
    expect(() => districtDigestMail(districtJob({ schools: [] }), { link: LINK, to: [] })).toThrow(/no school of dh/);
  });

  it(`lists at most ${DIGEST_LIMITS.districtRows} schools and counts the rest`, () => {
    const many = Array.from({ length: DIGEST_LIMITS.districtRows + 20 }, (_, i) => owing(school('dh', i + 1)));
    const m = districtDigestMail(districtJob({ schools: many }), { link: LINK, to: [] });
    expect(m.subject).toContain(`辖区内${many.length}所学校`);
    expect(m.html.match(/<tr><td/g)).toHaveLength(DIGEST_LIMITS.districtRows);
    expect(m.text).toContain(`${DIGEST_LIMITS.districtRows}. 东湖区第${DIGEST_LIMITS.districtRows}学校：`);
    expect(m.text).not.toContain(`东湖区第${DIGEST_LIMITS.districtRows + 1}学校`);
    expect(m.text).toContain('另有 20 所学校未列出，请在辖区报送情况页面查看完整名单。');
    expect(m.html).toContain('另有 20 所学校未列出');
    expect(Buffer.byteLength(m.html)).toBeLessThan(100_000);
  });
});

describe('cityDigestMail', () => {
  it('per District the count and the names, the Direct schools, and who cannot be reached', () => {
    const m = cityDigestMail(cityJob(), { link: LINK, to: ['office@bureau.example.cn'] });
    expect(m.to).toEqual(['office@bureau.example.cn']);
    expect(m.subject).toBe('【报送情况】还有3天：尚有4个单位未报齐《心理服务体系建设实施方案报送》材料，6月30日（星期日）截止');
    const lines = m.text.split('\n');
    expect(lines[0]).toBe('南昌市教育局：');
    for (const line of [
      '《心理服务体系建设实施方案报送》（洪教健字〔2019〕1号）的报送截止时间为 6月30日（星期日）23:59（北京时间），还有 3 天。',
      '截至 6月27日（星期四），共有 4 个单位尚未报齐：各县区 3 个（县区教育局（教体办）1 个、学校 2 所），直属学校 1 所。',
      '按材料：缺《心理服务体系建设工作实施方案》3 个、缺《心理危机管理工作方案》3 个。',
      '其中 1 个单位没有联系邮箱，收不到提醒，见“无法联系的单位（无联系邮箱）”。',
      '一、各县区（未报齐 / 应报单位数）',
      '1. 东湖区教科体局：2 / 4',
      '   学校 2 所：东湖区第一小学、东湖区梧桐小学',
      '2. 西湖区教科体局：1 / 2',
      '   机关本级：缺 心理服务体系建设工作实施方案、心理危机管理工作方案',
      '二、直属学校（未报齐 1 / 应报 1）',
      '1. 南昌市第一中学：缺 心理服务体系建设工作实施方案；联系人 刘老师',
      '三、无法联系的单位（无联系邮箱）',
      '1. 西湖区教科体局（县区教育局（教体办））：缺 心理服务体系建设工作实施方案、心理危机管理工作方案；电话 0791-86000003',
      LINK,
    ])
      expect(lines).toContain(line);
    expect(m.text).not.toContain('完整名单请在报送情况页面查看');
    for (const s of ['<h3 style="font-size:16px;margin:16px 0 6px">三、无法联系的单位（无联系邮箱）</h3>', '<td valign="top">0791-86000003</td>', '学校 2 所：东湖区第一小学、东湖区梧桐小学', `href="${LINK}"`])
      expect(m.html).toContain(s);
    clean(m);
  });

  it('on the day, after it, with everyone reachable, and when all is in', () => {
    const today = cityDigestMail(cityJob({ daysLeft: 0, unreachable: [] }), { link: LINK, to: [] });
    expect(today.subject).toBe('【今天截止】尚有4个单位未报齐《心理服务体系建设实施方案报送》材料，6月30日（星期日）23:59截止');
    expect(today.text).toContain('三、无法联系的单位（无联系邮箱）\n无\n');
    expect(today.text).not.toContain('没有联系邮箱');

    const late = cityDigestMail(cityJob({ daysLeft: -5, recipient: orgs.centre }), { link: LINK, to: [] });
    expect(late.subject).toBe('【已逾期】逾期5天：尚有4个单位未报齐《心理服务体系建设实施方案报送》材料，6月30日（星期日）已截止');
    expect(late.text.split('\n')[0]).toBe(`${CENTRE}：`);
    expect(late.text).toContain('（北京时间），已逾期 5 天。');
    expect(late.text).toContain('截至 7月5日（星期五），');

    const done = cityDigestMail(
      cityJob({ daysLeft: -1, districts: [{ district: dh, owing: [], expected: 4 }], direct: [], unreachable: [] }),
      { link: LINK, to: [] },
    );
    expect(done.subject).toBe('【已逾期】逾期1天：《心理服务体系建设实施方案报送》材料已全部报齐，6月30日（星期日）已截止');
    expect(done.text).toContain('截至 7月1日（星期一），全部单位均已报齐。');
    expect(done.text).toContain('1. 东湖区教科体局：0 / 4，已全部报齐');
    expect(done.text).toContain('二、直属学校（未报齐 0 / 应报 1）\n无\n');
    for (const m of [today, late, done]) clean(m);
  });

  it('stays readable at city scale: per District a count and the first names, then 等 M 所', () => {
    // 13 Districts × 150 schools that all owe, 60 Direct schools, 130 unreachable.
    const districts = Array.from({ length: 13 }, (_, d) => {
      const district = Org.parse({ id: `d${d}`, name: `第${d}县区教体局`, kind: 'district', contacts: [], tokenVersion: 1 });
      const schools = Array.from({ length: 150 }, (_, i) =>
        owing(Org.parse({ id: `d${d}-s${i}`, name: `第${d}区学校${i}`, kind: 'school', districtId: district.id, contacts: [], tokenVersion: 1 }), [SERVICE, CRISIS]),
      );
      return { district, owing: schools, expected: 160 };
    });
    const direct = Array.from({ length: 120 }, (_, i) => owing(Org.parse({ id: `direct-x${i}`, name: `直属学校${i}`, kind: 'school', directKind: '局属学校', contacts: [], tokenVersion: 1 })));
    const unreachable = districts.flatMap((d) => d.owing.slice(0, 10));
    const m = cityDigestMail(cityJob({ districts, direct, directExpected: 130, unreachable }), { link: LINK, to: [] });
    const limit = DIGEST_LIMITS.namesPerDistrict;

    expect(m.subject).toBe(`【报送情况】还有3天：尚有${13 * 150 + 120}个单位未报齐《心理服务体系建设实施方案报送》材料，6月30日（星期日）截止`);
    expect(m.text).toContain(`为便于阅读，每个县区最多列出 ${limit} 所学校的名称，完整名单请在报送情况页面查看。`);
    const first = Array.from({ length: limit }, (_, i) => `第0区学校${i}`).join('、');
    expect(m.text).toContain(`1. 第0县区教体局：150 / 160\n   学校 150 所：${first} 等 150 所\n`);
    expect(m.html).toContain(`学校 150 所：${first} 等 150 所`);
    expect(m.text).not.toContain(`第0区学校${limit}、`);
    expect(m.text).not.toMatch(new RegExp(`第0区学校${limit}[^0-9]`));
    expect(m.text).toContain(`二、直属学校（未报齐 120 / 应报 130）`);
    expect(m.text).toContain(`${DIGEST_LIMITS.directRows}. 直属学校${DIGEST_LIMITS.directRows - 1}：`);
    expect(m.text).not.toContain(`直属学校${DIGEST_LIMITS.directRows}：`);
    expect(m.text).toContain(`另有 ${120 - DIGEST_LIMITS.directRows} 所直属学校未列出`);
    expect(m.text).toContain(`另有 ${130 - DIGEST_LIMITS.unreachableRows} 个单位未列出`);
    expect(m.text).toContain('1. 第0区学校0（第0县区教体局）：缺 心理服务体系建设工作实施方案、心理危机管理工作方案；电话 未登记');
    expect(Buffer.byteLength(m.html)).toBeLessThan(100_000);
    clean(m);
  });
});

describe('HTML escaping', () => {
  const evil = '<script>alert(1)</script>&"\'';
  const school = Org.parse({ ...wutong, name: `梧桐${evil}小学` });
  const office = Org.parse({ ...dh, name: `东湖${evil}局` });
  const badCampaign: Campaign = { ...campaign, title: `方案${evil}`, noticeNo: `洪${evil}`, contact: { name: `王${evil}`, phone: '0791-86123456' } };
  const badDoc = { kind: 'crisis-plan', title: `危机${evil}` };
  const badLink = 'https://psy.example.cn/l/a.b.c?x="><script>&y=1';
  const escaped = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

  function check(m: Mail, ...values: string[]) {
    expect(m.html).not.toMatch(/<script|alert\(1\)<\//);
    for (const v of values) expect(m.html).toContain(escaped(v));
    expect(m.html).toContain(`href="${escaped(badLink)}"`);
    // Text and subject are plain text: the values as they are.
    expect(m.text).toContain(values[0]);
  }

  it('escapes every value of a reminder', () => {
    const m = reminderMail(orgJob({ org: school, campaign: badCampaign, missing: [badDoc] }), {
      routing: routingOf(school, badCampaign, { ...orgs.centre, name: `中心${evil}` }, office),
      link: badLink,
      to: [],
    });
    check(m, school.name, badDoc.title, badCampaign.title, badCampaign.noticeNo, office.name, `中心${evil}`);
    expect(m.subject).toContain(school.name);
  });

  it('escapes every value of a District digest', () => {
    const s = Org.parse({ ...school, districtId: office.id });
    const m = districtDigestMail(
      districtJob({ campaign: badCampaign, district: office, schools: [owing(s, [badDoc], { contact: { name: `张${evil}`, phone: '0791-1' } })] }),
      { link: badLink, to: [] },
    );
    check(m, s.name, office.name, badDoc.title, badCampaign.title, `张${evil}`, `王${evil}`);
  });

  it('escapes every value of the city digest', () => {
    const xh = Org.parse({ ...orgs.xh, name: `西湖${evil}局` });
    const unreachable = owing(xh, [badDoc], { contact: { name: 'x', phone: '0791-2' }, reachable: false });
    const m = cityDigestMail(
      cityJob({
        campaign: badCampaign,
        recipient: Org.parse({ ...orgs.bureau, name: `教育局${evil}` }),
        districts: [
          { district: office, owing: [owing(school, [badDoc])], expected: 2 },
          { district: xh, owing: [unreachable], expected: 1 },
        ],
        direct: [owing(Org.parse({ ...orgs.direct1, name: `一中${evil}` }), [badDoc], { contact: { name: `刘${evil}` } })],
        unreachable: [unreachable],
      }),
      { link: badLink, to: [] },
    );
    check(m, `教育局${evil}`, school.name, office.name, xh.name, `一中${evil}`, `刘${evil}`, badDoc.title, badCampaign.title);
  });
});
