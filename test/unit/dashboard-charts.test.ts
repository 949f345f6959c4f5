/**
 * The dashboard's SVG pictures: well-formed XML (checked with a real XML parser), bars proportional
 * to the counts, no NaN or Infinity anywhere, every name escaped, deterministic; edge cases.
 */
import * as xml from 'fast-xml-parser'; // in node_modules through s3rver; a real XML well-formedness check
import { describe, expect, it } from 'vitest';
import { type CurvePoint, dashboardRollup, type GroupRollup } from '../../functions/dashboard/rollup.js';
import { CHART_WIDTH, completenessBars, cumulativeCurve, dashboardPictures, tickStep, timelinessBars, wrap } from '../../web/dashboard/charts.js';
import { DEADLINE, groups, HOSTILE, NOW, orgs } from './dashboard-fixture.js';

interface El {
  tag: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

/**
 * Parses an SVG with fast-xml-parser (its validator refuses unclosed or crossed tags, a bare & or <
 * in text, repeated attributes), plus what that parser lets pass: one root, and attribute values
 * without a raw < or an & that is not an entity.
 */
function parseSvg(svg: string): El {
  const valid = xml.validate(svg);
  if (valid !== true) throw new Error(`not well-formed: ${JSON.stringify(valid)}`);
  for (const m of svg.matchAll(/\s[\w:-]+="([^"]*)"/g)) {
    const v = m[1]!;
    if (v.includes('<')) throw new Error(`raw < in an attribute: ${v}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(v)) throw new Error(`bare & in an attribute: ${v}`);
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
      for (const c of v as (Record<string, unknown> | string)[]) children.push(walk(k, c));
    }
    const t = node['#text'];
    return { tag, attrs: Array.isArray(attrs) ? attrs[0] : attrs, children, text: Array.isArray(t) ? t.join('') : String(t ?? '') };
  };
  return walk('svg', tree.svg[0]);
}

const all = (e: El): El[] => [e, ...e.children.flatMap(all)];
const NUMERIC = ['x', 'y', 'width', 'height', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'r', 'font-size', 'data-total', 'data-count', 'data-width'];

/** Well-formed, an SVG root with its namespace and a viewBox, role img and a title, every number finite. */
function checkSvg(svg: string): El {
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  const root = parseSvg(svg);
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(root.attrs.role).toBe('img');
  expect(root.attrs['aria-label']).toBeTruthy();
  expect(root.children.find((c) => c.tag === 'title')?.text).toBeTruthy();
  const vb = root.attrs.viewBox!.split(' ').map(Number);
  expect(vb).toHaveLength(4);
  expect(vb.every(Number.isFinite)).toBe(true);
  expect(vb[2]).toBe(CHART_WIDTH);
  expect(vb[3]).toBeGreaterThan(0);
  expect(root.attrs.width).toBe('100%');
  for (const el of all(root).slice(1)) {
    for (const k of NUMERIC) if (k in el.attrs) expect(Number.isFinite(Number(el.attrs[k])), `${el.tag} ${k}=${el.attrs[k]}`).toBe(true);
    if (el.attrs.width !== undefined) expect(Number(el.attrs.width)).toBeGreaterThanOrEqual(0);
    if (el.attrs.points !== undefined)
      for (const n of el.attrs.points.split(/[ ,]/)) expect(Number.isFinite(Number(n)), `points ${el.attrs.points}`).toBe(true);
  }
  return root;
}

const r = dashboardRollup(orgs, groups, { deadline: DEADLINE, now: NOW });
const group = (over: Partial<GroupRollup>): GroupRollup => ({ ...r.total, group: 'D#x', name: '某区', ...over });

/** Each bar: its total and its segments' counts and widths. */
const bars = (root: El) =>
  all(root)
    .filter((e) => e.tag === 'g' && e.attrs.class === 'bar')
    .map((g) => ({
      total: Number(g.attrs['data-total']),
      width: Number(g.attrs['data-width']),
      segs: g.children.filter((c) => c.tag === 'rect' && c.attrs.class === 'seg').map((c) => ({ key: c.attrs['data-key'], count: Number(c.attrs['data-count']), x: Number(c.attrs.x), w: Number(c.attrs.width) })),
    }));

describe('completenessBars', () => {
  it('one bar per group; segment widths proportional to the counts, side by side, filling the bar', () => {
    const root = checkSvg(completenessBars(r.groups));
    const b = bars(root);
    expect(b.map((x) => x.total)).toEqual([5, 0, 3]);
    const [dh, xh, direct] = b;
    expect(dh!.segs.map((s) => [s.key, s.count])).toEqual([
      ['accepted', 1],
      ['awaiting', 1],
      ['returned', 2],
      ['missing', 1], // dh-2 (dh-5 is returned and missing: counted once, as returned)
    ]);
    for (const bar of [dh!, direct!]) {
      let x = 0;
      for (const s of bar.segs) {
        expect(s.w).toBeCloseTo((bar.width * s.count) / bar.total, 0);
        expect(Math.abs(s.x - x)).toBeLessThanOrEqual(0.11);
        x += s.w;
      }
      expect(Math.abs(x - bar.width)).toBeLessThanOrEqual(0.3);
    }
    expect(xh!.segs).toEqual([]); // nothing expected: only the empty track
    expect(direct!.segs.map((s) => [s.key, s.count])).toEqual([
      ['accepted', 1],
      ['awaiting', 1],
      ['missing', 1],
    ]);
  });

  it('the numbers in words: uploaded/expected at the end, a legend line per bar, exempt as a count, a Chinese summary', () => {
    const svg = completenessBars(r.groups);
    expect(svg).toContain('>3/5</text>');
    expect(svg).toContain('>已审核通过 1</text>');
    expect(svg).toContain('>退回 2</text>');
    expect(svg).toContain('>免报 1</text>');
    expect(svg).toContain('<title>材料完整情况。东湖区教科体局：应交 5，已上传 3，已审核通过 1，待审核 1，退回 2，未交齐 2，免报 1；');
  });

  it('escapes names (a <script> and an &)', () => {
    const svg = completenessBars([group({ name: HOSTILE })]);
    checkSvg(svg);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; 学校');
  });

  it('a long name wraps above its bar, within the width', () => {
    const name = '南昌市某某某某某某某某经济技术开发区管理委员会教育体育办公室（直属）';
    const lines = wrap(name, 16, CHART_WIDTH);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('')).toBe(name);
    const svg = completenessBars([group({ name })]);
    checkSvg(svg);
    for (const l of lines) expect(svg).toContain(`>${l}</text>`);
  });

  it('empty groups, zero expected, all late: valid, finite', () => {
    checkSvg(completenessBars([]));
    expect(completenessBars([])).toContain('>暂无数据</text>');
    const zero = group({ expected: 0, exempt: 0, uploaded: 0, accepted: 0, awaiting: 0, returned: 0, missing: 0, late: 0, onTime: 0, overdue: 0, open: 0 });
    expect(bars(checkSvg(completenessBars([zero])))[0]!.segs).toEqual([]);
    // Inconsistent counts (more accepted than expected) never draw a negative or outsized segment.
    const odd = bars(checkSvg(completenessBars([group({ expected: 2, accepted: 5, awaiting: 0, returned: 0 })])))[0]!;
    expect(odd.segs.every((s) => s.w >= 0)).toBe(true);
  });

  it('deterministic', () => {
    expect(completenessBars(r.groups)).toBe(completenessBars(structuredClone(r.groups)));
  });
});

describe('timelinessBars', () => {
  it('on time / late / overdue / not yet due, proportional; the on-time rate at the end', () => {
    const svg = timelinessBars(r.groups);
    const b = bars(checkSvg(svg));
    expect(b[2]!.segs.map((s) => [s.key, s.count])).toEqual([
      ['onTime', 1],
      ['late', 1],
      ['overdue', 1],
    ]);
    for (const s of b[2]!.segs) expect(s.w).toBeCloseTo(b[2]!.width / 3, 0);
    expect(svg).toContain('>33%</text>');
    expect(svg).toContain('>60%</text>');
    expect(svg).toContain('>0%</text>'); // 西湖区: nothing expected, 0% (not NaN%)
  });

  it('all late: one full red bar; empty: a note', () => {
    const b = bars(checkSvg(timelinessBars([group({ expected: 4, late: 4, onTime: 0, overdue: 0, open: 0 })])))[0]!;
    expect(b.segs).toHaveLength(1);
    expect(b.segs[0]).toMatchObject({ key: 'late', count: 4, x: 0 });
    expect(b.segs[0]!.w).toBeCloseTo(b.width, 1);
    expect(timelinessBars([])).toContain('暂无数据');
    checkSvg(timelinessBars([]));
  });

  it('escapes names', () => {
    const svg = timelinessBars([group({ name: HOSTILE })]);
    checkSvg(svg);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&amp; 学校');
  });
});

describe('cumulativeCurve', () => {
  const line = (root: El, cls: string) => all(root).find((e) => e.attrs.class === cls);
  const points = (root: El) =>
    line(root, 'cumulative')!
      .attrs.points!.split(' ')
      .map((p) => p.split(',').map(Number) as [number, number]);

  it('the fixture: a point per day up to today, dashed expected line, 截止 at the deadline, today marked, 6月1日-style labels', () => {
    const svg = cumulativeCurve(r.curve, r.expected, r.deadline, r.now);
    const root = checkSvg(svg);
    const pts = points(root);
    expect(pts).toHaveLength(r.curve.length + 1); // zero at the first day's start, then each day's end
    // Rising, never falling; the last point at 5 of 8.
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeLessThanOrEqual(pts[i - 1]![1]);
    }
    const expected = line(root, 'expected')!;
    expect(expected.attrs['stroke-dasharray']).toBeTruthy();
    const yExp = Number(expected.attrs.y1);
    const yZero = pts[0]![1];
    expect(pts.at(-1)![1]).toBeCloseTo(yZero - ((yZero - yExp) * 5) / 8, 0);
    // The deadline (30 June 23:59:59.999 Beijing) sits at the end of 30 June: where the 30 June point is drawn.
    const deadline = line(root, 'deadline')!;
    const june30 = r.curve.findIndex((p) => p.day === '2019-06-30') + 1;
    expect(Number(deadline.attrs.x1)).toBeCloseTo(pts[june30]![0], 0);
    expect(svg).toContain('>截止 6月30日</text>');
    expect(svg).toContain('>今天 7月2日</text>');
    expect(svg).toContain('>6月20日</text>');
    expect(svg).toContain('>应交 8</text>');
    expect(line(root, 'today')).toBeDefined();
    expect(root.attrs['aria-label']).toBe('累计报齐单位数：截至7月2日已报齐 5 个，应交 8 个，截止日期 6月30日');
  });

  it('only days up to today are drawn; the axis still reaches the deadline', () => {
    const before = dashboardRollup(orgs, groups, { deadline: DEADLINE, now: '2019-06-25T02:00:00Z' });
    const root = checkSvg(cumulativeCurve(before.curve, before.expected, before.deadline, before.now));
    expect(before.curve.at(-1)!.day).toBe('2019-06-30');
    expect(points(root)).toHaveLength(before.curve.filter((p) => p.day <= '2019-06-25').length + 1);
    const lastX = points(root).at(-1)![0];
    expect(Number(line(root, 'deadline')!.attrs.x1)).toBeGreaterThan(lastX);
  });

  it('edge cases: no points, zero expected, one day, deadline before the first submission, nonsense input', () => {
    const cases: [CurvePoint[], number, string, string][] = [
      [[], 0, DEADLINE, NOW],
      [[], 10, DEADLINE, '2019-06-01T00:00:00Z'],
      [[{ day: '2019-06-30', count: 3 }], 3, DEADLINE, '2019-06-30T08:00:00Z'], // one day: deadline and now on it
      [[{ day: '2019-07-03', count: 1 }, { day: '2019-07-04', count: 2 }], 2, DEADLINE, '2019-07-04T08:00:00Z'], // deadline before them
      [[{ day: '2019-06-30', count: Number.NaN }, { day: 'not a day', count: 1 }], Number.POSITIVE_INFINITY, 'nonsense', 'nonsense'],
      [[{ day: '2019-06-30', count: 50 }], 5, DEADLINE, NOW], // more than expected
    ];
    for (const [p, e, d, n] of cases) {
      const svg = cumulativeCurve(p, e, d, n);
      const root = checkSvg(svg);
      for (const el of all(root)) {
        for (const k of ['x', 'x1', 'x2', 'cx']) if (k in el.attrs) expect(Number(el.attrs[k])).toBeGreaterThanOrEqual(0);
        for (const k of ['x1', 'x2', 'cx']) if (k in el.attrs) expect(Number(el.attrs[k])).toBeLessThanOrEqual(CHART_WIDTH);
      }
    }
    const early = checkSvg(cumulativeCurve(cases[3]![0], 2, DEADLINE, '2019-07-04T08:00:00Z'));
    // The deadline is on the axis, left of the first point.
    expect(Number(line(early, 'deadline')!.attrs.x1)).toBeLessThan(points(early)[0]![0]);
    expect(cumulativeCurve([], 0, DEADLINE, NOW)).toContain('尚无单位报齐');
  });

  it('round ticks', () => {
    expect([1, 4, 8, 10, 37, 2137].map(tickStep)).toEqual([1, 1, 2, 5, 10, 1000]);
  });

  it('deterministic', () => {
    expect(cumulativeCurve(r.curve, 8, DEADLINE, NOW)).toBe(cumulativeCurve(structuredClone(r.curve), 8, DEADLINE, NOW));
  });
});

describe('the XML check can fail', () => {
  it('refuses a bare &, a crossed tag, a raw < in an attribute', () => {
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg"><text>a & b</text></svg>')).toThrow();
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg"><g><text></g></text></svg>')).toThrow();
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg" aria-label="<b>"></svg>')).toThrow();
    expect(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg" aria-label="a & b"></svg>')).toThrow();
  });
});

describe('dashboardPictures (the page’s one image)', () => {
  it('nests the three pictures under their headings, one below the other, well formed and without NaN', () => {
    const svg = dashboardPictures(r.groups, r.curve, r.expected, DEADLINE, NOW);
    const root = checkSvg(svg);
    const nested = root.children.filter((c) => c.tag === 'svg');
    expect(nested).toHaveLength(3);
    const ys = nested.map((n) => Number(n.attrs.y));
    expect(ys[0]).toBeGreaterThan(0);
    expect(ys[1]).toBeGreaterThan(ys[0] as number);
    expect(ys[2]).toBeGreaterThan(ys[1] as number);
    const viewH = Number(/viewBox="0 0 360 ([\d.]+)"/.exec(svg)?.[1]);
    expect(viewH).toBeGreaterThan((ys[2] as number) + Number(nested[2]?.attrs.height));
    expect(svg).toContain('>材料完整情况</text>');
    expect(svg).toContain('>累计报齐单位数</text>');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});
