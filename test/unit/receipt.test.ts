import { describe, expect, it } from 'vitest';
import { formatSize, type ReceiptInput, receiptMail } from '../../functions/plans/receipt.js';
import { routingOf } from '../../functions/plans/routing.js';
import { Org } from '../../schemas/orgs.js';
import { allOrgs, campaign, orgs } from './samples.js';

const CENTRE = '南昌市未成年人心理健康辅导中心';
const SHA = 'ab12cd34ef56789000112233445566778899aabbccddeeff0011223344556677';
/** 东湖区 with a second contact who has a phone: the receipt names that one. */
const dh = Org.parse({ ...orgs.dh, contacts: [{ name: '李老师', email: 'li@dh.example.cn' }, { name: '周老师', email: 'zhou@dh.example.cn', phone: '0791-86000001' }] });

function input(over: Partial<ReceiptInput> = {}): ReceiptInput {
  const org = over.org ?? orgs.dhSchool1;
  return {
    org,
    campaign,
    routing: routingOf(org, campaign, orgs.centre, dh),
    document: { kind: 'crisis-plan', title: '心理危机管理工作方案' },
    version: 2,
    receiptNo: 'HZ-2019-0001',
    originalName: '东湖一小 危机方案（修订）.docx',
    size: 1_572_864,
    sha256: SHA,
    receivedAt: '2019-06-20T02:05:00.000Z',
    late: false,
    link: 'https://psy.example.cn/l/a.b.c',
    linkTtlDays: 60,
    to: ['zhang@dh1.example.cn'],
    ...over,
  };
}

describe('receiptMail', () => {
  it('says what was received, when, where it goes and whom to call, in text and HTML', () => {
    const m = receiptMail(input());
    expect(m.to).toEqual(['zhang@dh1.example.cn']);
    expect(m.subject).toBe('【回执】心理危机管理工作方案（第 2 版）已收到 - 东湖区第一小学');
    const lines = m.text.split('\n');
    expect(lines[0]).toBe('东湖区第一小学：');
    for (const line of [
      '回执编号：HZ-2019-0001',
      '报送事项：心理服务体系建设实施方案报送（洪教健字〔2019〕1号）',
      '材料：心理危机管理工作方案（第 2 版）',
      '原文件名：东湖一小 危机方案（修订）.docx',
      '文件大小：1.5 MB（1,572,864 字节）',
      '文件校验码（SHA-256 前 12 位）：ab12cd34ef56',
      '收到时间：2019年6月20日 10:05（北京时间）',
      '提交状态：按时提交（截止时间 2019年6月30日 23:59）',
      `报送路径：本校的方案先由东湖区教科体局收齐、审核，再由其统一报送${CENTRE}。`,
      'https://psy.example.cn/l/a.b.c',
      '东湖区教科体局 周老师（电话 0791-86000001）',
      `${CENTRE} 王老师（电话 0791-86123456）`,
    ])
      expect(lines).toContain(line);
    expect(m.text).toContain('查看本单位已提交的全部版本并下载');
    expect(m.text).toContain('有效期 60 天');
    expect(m.text).not.toContain('逾期');
    expect(m.text).not.toContain('截止后的修改');

    expect(m.html).toContain('href="https://psy.example.cn/l/a.b.c"');
    for (const s of ['HZ-2019-0001', '1.5 MB（1,572,864 字节）', 'ab12cd34ef56', '2019年6月20日 10:05（北京时间）', '按时提交', '东湖区教科体局 周老师（电话 0791-86000001）', `${CENTRE} 王老师（电话 0791-86123456）`])
      expect(m.html).toContain(s);
    expect(m.html).not.toContain(SHA.slice(0, 13));
    for (const part of [m.subject, m.text, m.html]) for (const bad of ['undefined', 'null', 'NaN', '[object']) expect(part).not.toContain(bad);
  });

  it('marks a late version, and a late correction of a document first submitted on time', () => {
    const late = receiptMail(input({ late: true, receivedAt: '2019-06-30T16:00:30.000Z' }));
    expect(late.text).toContain('收到时间：2019年7月1日 00:00（北京时间）');
    expect(late.text).toContain('提交状态：逾期提交（截止时间 2019年6月30日 23:59）');
    expect(late.text).not.toContain('按时提交');
    expect(late.html).toContain('逾期提交');

    const fix = receiptMail(input({ late: true, receivedAt: '2019-07-02T01:00:00.000Z', version: 3, firstOnTime: { at: '2019-06-28T07:30:00.000Z' } }));
    expect(fix.subject).toBe('【回执】心理危机管理工作方案（第 3 版）已收到 - 东湖区第一小学');
    expect(fix.text).toContain('提交状态：逾期提交');
    expect(fix.text).toContain('本文档已于 2019年6月28日 15:30（北京时间）按时提交，本版为截止后的修改。');
    expect(fix.html).toContain('本文档已于 2019年6月28日 15:30（北京时间）按时提交，本版为截止后的修改。');

    // firstOnTime means nothing for a version that is itself on time.
    expect(receiptMail(input({ firstOnTime: { at: '2019-06-01T00:00:00.000Z' } })).text).not.toContain('截止后的修改');
  });

  it('shows a Direct school and a District office their own route, with the Centre as contact', () => {
    const direct = receiptMail(input({ org: orgs.direct1, routing: routingOf(orgs.direct1, campaign, orgs.centre, undefined), to: ['liu@d1.example.cn'] }));
    expect(direct.text).toContain(`报送路径：本校为直属学校（局属学校），方案直接报送${CENTRE}。`);
    expect(direct.text).toContain(`联系人：\n${CENTRE} 王老师（电话 0791-86123456）\n`);
    expect(direct.text).not.toContain('教科体局');

    const office = receiptMail(input({ org: dh, routing: routingOf(dh, campaign, orgs.centre, undefined), to: ['li@dh.example.cn'] }));
    expect(office.subject).toBe('【回执】心理危机管理工作方案（第 2 版）已收到 - 东湖区教科体局');
    expect(office.text).toContain(`报送路径：本单位的方案直接报送${CENTRE}；辖区内各学校的方案先由本单位收齐、审核，再统一报送${CENTRE}。`);
  });

  it('carries nothing of another org', () => {
    const m = receiptMail(input());
    const others = allOrgs.filter((o) => !['dh-school-1', 'dh', 'centre'].includes(o.id));
    for (const part of [m.subject, m.text, m.html]) {
      for (const o of others) expect(part).not.toContain(o.name);
      for (const e of [...allOrgs, dh].flatMap((o) => o.contacts.map((c) => c.email))) expect(part).not.toContain(e);
    }
  });

  it('escapes every value in the HTML', () => {
    const evil = '<img src=x onerror=alert(1)>&"\'';
    const org = Org.parse({ ...orgs.dhSchool1, name: `东湖区${evil}学校` });
    const m = receiptMail(
      input({
        org,
        routing: routingOf(org, { ...campaign, contact: { name: `王${evil}`, phone: '0791-86123456' } }, { ...orgs.centre, name: `中心${evil}` }, { ...dh, name: `东湖${evil}局` }),
        campaign: { ...campaign, title: `方案${evil}`, noticeNo: `洪${evil}` },
        document: { kind: 'crisis-plan', title: `危机${evil}` },
        receiptNo: `R${evil}`,
        originalName: `${evil}.docx`,
        sha256: `<script>${SHA}`,
        link: 'https://psy.example.cn/l/a.b.c?x="><script>',
      }),
    );
    expect(m.html).not.toMatch(/<img|<script|onerror=alert\(1\)>|"><script/);
    expect(m.html).toContain('东湖区&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;学校');
    expect(m.html).toContain('href="https://psy.example.cn/l/a.b.c?x=&quot;&gt;&lt;script&gt;"');
    // The text part is plain text: the values as they are.
    expect(m.text).toContain(`原文件名：${evil}.docx`);
  });
});

describe('formatSize', () => {
  it.each([
    [812, '0.8 KB（812 字节）'],
    [20, '0.1 KB（20 字节）'],
    [1024, '1 KB（1,024 字节）'],
    [123_456, '120.6 KB（123,456 字节）'],
    [1_048_576, '1 MB（1,048,576 字节）'],
    [20 * 1024 * 1024, '20 MB（20,971,520 字节）'],
    [5_300_000, '5.05 MB（5,300,000 字节）'],
  ])('%d → %s', (n, s) => expect(formatSize(n)).toBe(s));
});

describe('routingOf', () => {
  const centreContact = { name: '王老师', who: CENTRE, phone: '0791-86123456' };

  it('a District school: its office collects, checks and forwards; office contact (with a phone) first, then the Centre', () => {
    expect(routingOf(orgs.dhSchool1, campaign, orgs.centre, dh)).toEqual({
      kind: 'district',
      sentence: `本校的方案先由东湖区教科体局收齐、审核，再由其统一报送${CENTRE}。`,
      contacts: [{ name: '周老师', who: '东湖区教科体局', phone: '0791-86000001' }, centreContact],
    });
    // No contact with a phone: the first contact, without a phone.
    expect(routingOf(orgs.dhSchool1, campaign, orgs.centre, orgs.dh).contacts).toEqual([{ name: '李老师', who: '东湖区教科体局' }, centreContact]);
    // An office with no contact, or none found: the Centre only; a wrong office is never named.
    expect(routingOf(orgs.xhSchool1, campaign, orgs.centre, orgs.xh).contacts).toEqual([centreContact]);
    const unknown = routingOf(orgs.xhSchool1, campaign, orgs.centre, dh);
    expect(unknown.sentence).toBe(`本校的方案先由所属县区教育局（教体办）收齐、审核，再由其统一报送${CENTRE}。`);
    expect(unknown.contacts).toEqual([centreContact]);
  });

  it('a Direct school reports straight to the Centre', () => {
    expect(routingOf(orgs.direct1, campaign, orgs.centre, undefined)).toEqual({
      kind: 'direct',
      sentence: `本校为直属学校（局属学校），方案直接报送${CENTRE}。`,
      contacts: [centreContact],
    });
  });

  it('a District office reports to the Centre itself and collects its schools', () => {
    expect(routingOf(dh, campaign, orgs.centre, dh)).toEqual({
      kind: 'self',
      sentence: `本单位的方案直接报送${CENTRE}；辖区内各学校的方案先由本单位收齐、审核，再统一报送${CENTRE}。`,
      contacts: [centreContact],
    });
  });

  it("names the receiver by its registry name, and the Centre's default name when it is unknown", () => {
    const renamed = { ...orgs.centre, name: '南昌市心理健康辅导中心' };
    expect(routingOf(orgs.direct1, campaign, renamed, undefined).sentence).toBe('本校为直属学校（局属学校），方案直接报送南昌市心理健康辅导中心。');
    expect(routingOf(orgs.direct1, campaign, undefined, undefined).contacts).toEqual([centreContact]);
  });
});
