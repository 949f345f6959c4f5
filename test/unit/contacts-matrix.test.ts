/**
 * The contact-log pictures: well-formed XML (a real parser, as test/unit/dashboard-charts.test.ts),
 * no repeated attribute, every text escaped, one cell per class × period in its state's colour, a
 * legend, readable at 60 classes × 20 weeks; the rate bars.
 */
import * as xml from 'fast-xml-parser'; // in node_modules through s3rver; a real XML well-formedness check
import { describe, expect, it } from 'vitest';
import { type Cell, schoolMatrix, type SchoolMatrix } from '../../functions/contacts/completeness.js';
import { periodsBetween } from '../../functions/contacts/periods.js';
import type { PeriodSummary, Roster, RosterClass } from '../../schemas/contacts.js';
import { CHART_WIDTH, textWidth } from '../../web/dashboard/charts.js';
import { CELL_STYLE, matrixSvg, ratesBarsSvg } from '../../web/contacts/matrix.js';

interface El {
  tag: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

/** Well-formed (fast-xml-parser's validator: unclosed or crossed tags, bare & or < in text, repeated attributes), one root, no raw < or bare & in an attribute. */
function parseSvg(svg: string): El {
  const valid = xml.validate(svg);
  if (valid !== true) throw new Error(`not well-formed: ${JSON.stringify(valid)}`);
  for (const m of svg.matchAll(/\s[\w:-]+="([^"]*)"/g)) {
    const v = m[1]!;
    if (v.includes('<')) throw new Error(`raw < in an attribute: ${v}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(v)) throw new Error(`bare & in an attribute: ${v}`);
  }
  // Repeated attributes, checked on the raw tags too (not only through the validator).
  for (const tag of svg.matchAll(/<([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*\/?>/g)) {
    const names = [...tag[2]!.matchAll(/\s([\w:-]+)=/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) throw new Error(`repeated attribute in <${tag[1]}>: ${names.join(' ')}`);
  }
  const tree = xml.parse(svg, { ignoreAttributes: false, attributeNamePrefix: '', attrNodeName: '@', textNodeName: '#text', arrayMode: true, parseAttributeValue: false, parseNodeValue: false, trimValues: false });
  const roots = Object.keys(tree);
  if (roots.length !== 1 || roots[0] !== 'svg' || tree.svg.length !== 1) throw new Error(`one <svg> root expected, got ${roots.join(',')}`);
  const walk = (tag: string, node: Record<string, unknown> | string): El => {
    if (typeof node === 'string') return { tag, attrs: {}, children: [], text: node };
    const attrs = ((node['@'] as Record<string, string>[] | Record<string, string> | undefined) ?? {}) as Record<string, string>;
    const children: El[] = [];
    for (const [k, v] of Object.entries(node)) {
      if (k === '@' || k === '#text') continue;
      // A leaf's text comes as a string even in arrayMode: one child, not one per character.
      for (const c of (Array.isArray(v) ? v : [v]) as (Record<string, unknown> | string)[]) children.push(walk(k, c));
    }
    const t = node['#text'];
    return { tag, attrs: Array.isArray(attrs) ? attrs[0] : attrs, children, text: Array.isArray(t) ? t.join('') : String(t ?? '') };
  };
  return walk('svg', tree.svg[0]);
}

const all = (e: El): El[] => [e, ...e.children.flatMap(all)];
const NUMERIC = ['x', 'y', 'width', 'height', 'font-size', 'stroke-width', 'data-width'];

/** An SVG root with its namespace, a viewBox, role img, aria-label and a title; every number finite; every text ≥ 11 units. */
function checkSvg(svg: string): El {
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  expect(svg).not.toMatch(/href|<image|<script|url\(/); // nothing external, nothing that runs
  const root = parseSvg(svg);
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(root.attrs.role).toBe('img');
  expect(root.attrs['aria-label']).toBeTruthy();
  expect(root.children.find((c) => c.tag === 'title')?.text).toBe(root.attrs['aria-label']);
  const vb = root.attrs.viewBox!.split(' ').map(Number);
  expect(vb).toHaveLength(4);
  expect(vb.every((n) => Number.isFinite(n) && n >= 0)).toBe(true);
  for (const el of all(root).slice(1)) {
    for (const k of NUMERIC) if (k in el.attrs) expect(Number.isFinite(Number(el.attrs[k])), `${el.tag} ${k}=${el.attrs[k]}`).toBe(true);
    if (el.attrs.width !== undefined) expect(Number(el.attrs.width)).toBeGreaterThanOrEqual(0);
    if (el.tag === 'text' && !el.children.length && el.attrs['font-size']) {
      const size = Number(el.attrs['font-size']);
      // The legend's marks inside a 13-unit key are 9; everything read is ≥ 11.
      if (el.text !== '免' && el.text !== '缺') expect(size, el.text).toBeGreaterThanOrEqual(11);
    }
  }
  return root;
}

const HOSTILE = `<script>alert("x")</script> & '引号'`;

const cls = (grade: string, label: string, since: string, until?: string): RosterClass => ({
  grade,
  label,
  teacher: '王老师',
  email: 'teacher@example.cn',
  v: 1,
  since,
  ...(until ? { until } : {}),
});
const A = 'caaaaaaaa';
const B = 'cbbbbbbbb';
const C = 'ccccccccc';
const D = 'cdddddddd';
const term = { start: '2019-09-02', end: '2020-01-19' };
const roster: Roster = {
  schoolId: 'school-1',
  rev: 1,
  term,
  cadence: [{ from: '2019-09-02', every: 'week' }],
  classes: {
    [A]: cls('七年级', '1班', '2019-09-02'),
    [B]: cls('七年级', '2班', '2019-09-11'),
    [C]: cls('八年级', '1班', '2019-09-02', '2019-09-20'),
    [D]: cls('高一', HOSTILE, '2019-09-02'),
  },
  staff: {},
  updatedAt: '2019-09-23T01:00:00.000Z',
  updatedBy: 'sabcdefgh',
};
const sum = (period: string, logged: string[], none: string[] = []): PeriodSummary => ({ schoolId: 'school-1', period, logged, none });
const NOW = new Date('2019-09-25T04:00:00Z');
const periods = periodsBetween(roster.cadence, term, term.start, '2019-10-06');
const matrix = schoolMatrix(roster, [sum('2019-W36', [A, D]), sum('2019-W37', [A], [B, D]), sum('2019-W38', [B]), sum('2019-W39', [A])], periods, NOW);

const cellsOf = (root: El) => all(root).filter((e) => e.tag === 'rect' && e.attrs.class === 'cell');
const count = (cells: Cell[][], state: Cell) => cells.flat().filter((c) => c === state).length;
const STATES = Object.keys(CELL_STYLE) as Cell[];

describe('matrixSvg', () => {
  const svg = matrixSvg(matrix, { title: '南昌市某中学 家校联系完成情况' });

  it('the fixture has every state', () => {
    for (const s of STATES) expect(count(matrix.cells, s), s).toBeGreaterThan(0);
  });

  it('one cell per class × period, each in its state’s colour; 免 on the none cells, 缺 on the missing', () => {
    const root = checkSvg(svg);
    const cells = cellsOf(root);
    expect(cells).toHaveLength(matrix.classes.length * matrix.periods.length);
    expect(cells.map((c) => c.attrs['data-state'])).toEqual(matrix.cells.flat());
    for (const s of STATES) {
      const these = cells.filter((c) => c.attrs['data-state'] === s);
      expect(these, s).toHaveLength(count(matrix.cells, s));
      for (const c of these) {
        expect(c.attrs.fill).toBe(CELL_STYLE[s].fill);
        expect(c.attrs.stroke).toBe(CELL_STYLE[s].stroke);
      }
    }
    // The colours differ where the states must be told apart.
    expect(new Set(['logged', 'none', 'missing', 'open'].map((s) => CELL_STYLE[s as Cell].fill)).size).toBe(4);
    expect(CELL_STYLE.open.stroke).toBeTruthy();
    const rows = all(root).filter((e) => e.tag === 'g' && e.attrs.class === 'row');
    expect(rows).toHaveLength(matrix.classes.length);
    const marks = (t: string) => rows.flatMap((r) => r.children).filter((e) => e.tag === 'text' && e.text === t).length;
    expect(marks('免')).toBe(count(matrix.cells, 'none'));
    expect(marks('缺')).toBe(count(matrix.cells, 'missing'));
  });

  it('cells in a grid: a column per period, a row per class, within the picture', () => {
    const root = checkSvg(svg);
    const cells = cellsOf(root);
    const [, , w, h] = root.attrs.viewBox!.split(' ').map(Number) as [number, number, number, number];
    expect(Number(root.attrs.width)).toBe(w);
    expect(Number(root.attrs.height)).toBe(h);
    // Outlined cells are inset by half their stroke: compare centres.
    const xs = new Set(cells.map((c) => Math.round(Number(c.attrs.x) + Number(c.attrs.width) / 2)));
    const ys = new Set(cells.map((c) => Math.round(Number(c.attrs.y) + Number(c.attrs.height) / 2)));
    expect(xs.size).toBe(matrix.periods.length);
    expect(ys.size).toBe(matrix.classes.length);
    for (const c of cells) {
      expect(Number(c.attrs.x) + Number(c.attrs.width)).toBeLessThanOrEqual(w);
      expect(Number(c.attrs.y) + Number(c.attrs.height)).toBeLessThanOrEqual(h);
    }
  });

  it('headings, legend, rates, an accessible summary', () => {
    expect(svg).toContain('>W36</text>');
    expect(svg).toContain('>9/2</text>');
    expect(svg).toContain('<title>第36周（9月2日–9月8日）</title>');
    for (const s of STATES) expect(svg).toContain(`>${CELL_STYLE[s].label}</text>`);
    for (const l of ['已记录', '无需联系', '缺失', '本期进行中', '不适用']) expect(svg).toContain(`>${l}</text>`);
    expect(svg).toContain('>南昌市某中学 家校联系完成情况</text>');
    const root = checkSvg(svg);
    expect(root.attrs['aria-label']).toContain(`${matrix.classes.length} 个班级，${matrix.periods.length} 个周期`);
    expect(root.attrs['aria-label']).toContain(`已结束周期完成 ${matrix.total.done}/${matrix.total.expected}`);
    // Rates under the periods that are over, a dash under the others.
    const rates = all(root).find((e) => e.attrs.class === 'rates')!.children.filter((e) => e.tag === 'text').map((e) => e.text);
    expect(rates).toEqual(['完成率', ...matrix.perPeriod.map((p) => (p.over ? `${Math.round(p.rate! * 100)}%` : '—'))]);
  });

  it('escapes every text: a class label and a title with <script>, & and quotes', () => {
    const hostile = matrixSvg(matrix, { title: HOSTILE });
    checkSvg(hostile);
    expect(hostile).not.toContain('<script');
    expect(hostile).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;引号&#39;');
    // The hostile label (too long for the row) is cut with … and whole in the row's <title>.
    const root = parseSvg(hostile);
    const row = all(root).find((e) => e.tag === 'g' && e.attrs['data-class'] === D)!;
    expect(row.children.find((c) => c.tag === 'title')!.text).toContain('alert(&quot;x&quot;)');
  });

  it('60 classes × 20 weeks: sized from the counts, text ≥ 11, row labels clear of the grid', () => {
    const classes: Record<string, RosterClass> = {};
    const grades = ['七年级', '八年级', '九年级'];
    for (let i = 0; i < 60; i++) {
      const id = `c${'abcdefghijklmnopqrstuvwxyz234567'[i % 32]}${'abcdefghijklmnopqrstuvwxyz234567'[Math.floor(i / 32)]}aaaaaa`;
      classes[id] = cls(grades[i % 3]!, `${i + 1}班`, term.start);
    }
    const big: Roster = { ...roster, classes };
    const ps = periodsBetween(big.cadence, term, term.start, term.end);
    expect(ps).toHaveLength(20);
    const ids = Object.keys(classes);
    const sums = ps.map((p, j) => sum(p.id, ids.filter((_, i) => (i + j) % 3 === 0), ids.filter((_, i) => (i + j) % 7 === 0)));
    const m = schoolMatrix(big, sums, ps, new Date('2019-12-10T04:00:00Z'));
    const out = matrixSvg(m, { title: '某校' });
    const root = checkSvg(out);
    const cells = cellsOf(root);
    expect(cells).toHaveLength(1200);
    const [, , w, h] = root.attrs.viewBox!.split(' ').map(Number) as [number, number, number, number];
    expect(w).toBeGreaterThanOrEqual(20 * 30);
    expect(h).toBeGreaterThanOrEqual(60 * 20);
    const minCellX = Math.min(...cells.map((c) => Number(c.attrs.x)));
    for (const c of cells) {
      expect(Number(c.attrs.width)).toBeGreaterThanOrEqual(24);
      expect(Number(c.attrs.height)).toBeGreaterThanOrEqual(16);
    }
    for (const row of all(root).filter((e) => e.attrs.class === 'row')) {
      const label = row.children.find((c) => c.tag === 'text')!;
      expect(Number(label.attrs.x) + textWidth(label.text, Number(label.attrs['font-size']))).toBeLessThanOrEqual(minCellX);
    }
    expect(out.length).toBeLessThan(250_000);
  });

  it('empty: a note, still a valid picture', () => {
    const empty: SchoolMatrix = { ...matrix, classes: [], cells: [], perClass: [] };
    const svg0 = matrixSvg(empty, { title: '无班级' });
    checkSvg(svg0);
    expect(svg0).toContain('>暂无班级</text>');
    expect(cellsOf(parseSvg(svg0))).toHaveLength(0);
    const noPeriods = schoolMatrix(roster, [], [], NOW);
    expect(matrixSvg(noPeriods, { title: 't' })).toContain('>暂无周期</text>');
    checkSvg(matrixSvg(noPeriods, { title: 't' }));
  });

  it('deterministic', () => {
    expect(matrixSvg(structuredClone(matrix), { title: 'x' })).toBe(matrixSvg(matrix, { title: 'x' }));
  });

  it('before the first period ends, a class’s count is “—”, not 0/0', () => {
    const first = periods.slice(0, 1);
    const early = schoolMatrix(roster, [sum(first[0]!.id, [A])], first, new Date('2019-09-04T04:00:00Z'));
    const svgEarly = matrixSvg(early, { title: 't' });
    checkSvg(svgEarly);
    const rowA = all(parseSvg(svgEarly)).find((e) => e.tag === 'g' && e.attrs['data-class'] === A)!;
    const texts = all(rowA).filter((e) => e.tag === 'text').map((e) => e.text);
    expect(texts).toContain('—');
    expect(texts).not.toContain('0/0');
    // Once it has ended, the finished period is counted.
    const later = matrixSvg(schoolMatrix(roster, [sum(first[0]!.id, [A])], first, new Date('2019-09-10T04:00:00Z')), { title: 't' });
    expect(all(all(parseSvg(later)).find((e) => e.tag === 'g' && e.attrs['data-class'] === A)!).map((e) => e.text)).toContain('1/1');
  });
});

describe('ratesBarsSvg', () => {
  const bars = (root: El) =>
    all(root)
      .filter((e) => e.tag === 'g' && e.attrs.class === 'bar')
      .map((g) => ({
        rate: g.attrs['data-rate'],
        width: Number(g.attrs['data-width']),
        fill: g.children.find((c) => c.tag === 'rect' && c.attrs.class === 'fill'),
        end: g.children.filter((c) => c.tag === 'text').at(-1)!.text,
      }));

  it('bars proportional to the rates; a school without a roster says so', () => {
    const svg = ratesBarsSvg(
      [
        { name: '东湖区', rate: 0.5 },
        { name: '西湖区', rate: 1 },
        { name: '青山湖区', rate: 0 },
        { name: '某校', rate: undefined },
        { name: '另一校', rate: undefined, note: '尚无已结束周期' },
      ],
      { title: '2019年9月 家校联系完成率' },
    );
    const root = checkSvg(svg);
    expect(root.attrs.width).toBe('100%');
    expect(root.attrs.viewBox!.split(' ')[2]).toBe(String(CHART_WIDTH));
    const b = bars(root);
    expect(b.map((x) => x.end)).toEqual(['50%', '100%', '0%', '未导入名册', '尚无已结束周期']);
    expect(Number(b[0]!.fill!.attrs.width)).toBeCloseTo(b[0]!.width / 2, 0);
    expect(Number(b[1]!.fill!.attrs.width)).toBeCloseTo(b[1]!.width, 0);
    expect(b[2]!.fill).toBeUndefined();
    expect(b[3]!.fill).toBeUndefined();
    expect(b[3]!.rate).toBe('');
    expect(root.attrs['aria-label']).toBe('2019年9月 家校联系完成率。东湖区 50%；西湖区 100%；青山湖区 0%；某校 未导入名册；另一校 尚无已结束周期');
  });

  it('out-of-range and non-finite rates stay inside the bar; names escaped; empty', () => {
    const root = checkSvg(ratesBarsSvg([{ name: HOSTILE, rate: 1.7 }, { name: 'x', rate: Number.NaN }, { name: 'y', rate: -1 }], { title: HOSTILE }));
    const b = bars(root);
    expect(Number(b[0]!.fill!.attrs.width)).toBeCloseTo(b[0]!.width, 0);
    expect(b[0]!.end).toBe('100%');
    expect(b[1]!.end).toBe('未导入名册');
    expect(b[2]!.fill).toBeUndefined();
    const svg = ratesBarsSvg([{ name: HOSTILE, rate: 0.2 }], { title: 't' });
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;');
    expect(ratesBarsSvg([], { title: 't' })).toContain('>暂无数据</text>');
    checkSvg(ratesBarsSvg([], { title: 't' }));
  });
});

describe('the checks can fail', () => {
  it('refuses repeated attributes, a bare &, a raw < in an attribute', () => {
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg"><rect x="1" x="2"/></svg>')).toThrow();
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg"><text>a & b</text></svg>')).toThrow();
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg" aria-label="<b>"></svg>')).toThrow();
  });
});
