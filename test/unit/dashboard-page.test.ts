/** The dashboard page: summary figures, the three charts, drill-down links, the CSV link, escaping, no script. */
import { describe, expect, it } from 'vitest';
import { dashboardRollup, type DashboardView } from '../../functions/dashboard/rollup.js';
import { csvHref, dashboardPage } from '../../web/dashboard/page.js';
import { DEADLINE, groups, HOSTILE, NOW, orgs } from './dashboard-fixture.js';

const view = (over: Partial<DashboardView> = {}, group?: string): DashboardView => ({
  title: '心理服务体系建设实施方案报送',
  noticeNo: '洪教健字〔2019〕1号',
  viewerName: '南昌市教育局',
  rollup: dashboardRollup(orgs, groups, { deadline: DEADLINE, now: NOW, ...(group ? { group } : {}) }),
  ...(group ? { group, query: `group=${encodeURIComponent(group)}` } : {}),
  ...over,
});
const kpis = (html: string) => [...html.matchAll(/<div class="kpi"><b>(\d+)<\/b><span>([^<]+)/g)].map((m) => [m[2], Number(m[1])]);

describe('dashboardPage: the city', () => {
  const html = dashboardPage(view());

  it('summary figures, forwarding, three charts, the groups table with drill-down links', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<html lang="zh-CN">');
    expect(kpis(html)).toEqual([
      ['应交（单位）', 8],
      ['已上传', 5],
      ['已审核通过', 2],
      ['退回', 2],
      ['逾期', 1],
      ['免报', 1],
    ]);
    expect(html).toContain('已转报 <strong>1</strong> / 2 个县区，中心已接收 1 个');
    // The pictures are one image of their own (GET /api/dashboard?format=svg): none is drawn in the page.
    expect(html).not.toContain('<svg');
    expect(html).toContain('<img class="chart" id="pictures" src="/api/dashboard?format=svg"');
    expect(html).toContain('<a href="/dashboard?group=D%23dh">东湖区教科体局</a>');
    expect(html).toContain('<a href="/dashboard?group=D%23xh">西湖区教科体局</a>');
    expect(html).toContain('<a href="/dashboard?group=DIRECT">直属学校（局属、省属事业单位办、市管民办）</a>');
    expect(html).toContain('<tr class="total"><td>合计</td><td class="n">8</td>');
    expect(html).toContain('href="/api/dashboard?format=csv"');
    // The city view lists no org rows (thousands of them): a District or the Direct schools' link does.
    expect(html).not.toContain('data-org=');
  });

  it('no script, no unescaped hostile text', () => {
    expect(html).not.toMatch(/<script/i);
  });
});

describe('dashboardPage: a group', () => {
  it('the Direct schools: their figures, each org linking to its status, names escaped, the CSV link keeps the group', () => {
    const html = dashboardPage(view({}, 'DIRECT'));
    expect(kpis(html)).toEqual([
      ['应交（单位）', 3],
      ['已上传', 2],
      ['已审核通过', 1],
      ['退回', 0],
      ['逾期', 1],
      ['免报', 0],
    ]);
    expect(html).toContain('<a href="/dashboard">← 返回全部县区</a>');
    expect(html).toContain('<a href="/status?q=direct-1">南昌市第一中学</a>');
    expect(html).toContain('<tr data-org="direct-3" data-state="missing">');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; 学校');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('href="/api/dashboard?group=DIRECT&amp;format=csv"');
    expect(html).toContain('src="/api/dashboard?group=DIRECT&amp;format=svg"');
  });

  it('a District (its own view: one group): forwarding, extensions, exemptions, per-document states', () => {
    const html = dashboardPage(view({ viewerName: '东湖区教科体局', group: undefined, query: '' }, 'D#dh'));
    expect(html).toContain('东湖区教科体局 · 完成情况');
    expect(html).toContain('转报：2019年7月1日 17:00 已转报，2019年7月1日 18:30 中心已接收。');
    expect(html).toContain('<a href="/status?q=dh-4">东湖区第四中学</a>');
    expect(html).toContain('截止时间：7月5日 23:59'); // dh-4's extension
    expect(html).toContain('原因：学校已撤并');
    expect(html).toContain('心理危机管理工作方案：<strong>已退回</strong>');
    expect(html.match(/<tr data-org=/g)).toHaveLength(6);
  });

  it('an unknown group says so', () => {
    const html = dashboardPage(view({}, 'D#nowhere'));
    expect(html).toContain('没有这个县区或类别的数据。');
    expect(html).not.toContain('NaN');
  });
});

describe('csvHref', () => {
  it('keeps the query, sets format=csv once', () => {
    expect(csvHref()).toBe('/api/dashboard?format=csv');
    expect(csvHref('?group=D%23dh')).toBe('/api/dashboard?group=D%23dh&format=csv');
    expect(csvHref('group=DIRECT&format=html')).toBe('/api/dashboard?group=DIRECT&format=csv');
  });
});
