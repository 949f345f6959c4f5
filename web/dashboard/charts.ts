import type { CurvePoint, GroupRollup } from '../../functions/dashboard/rollup.js';
import { BEIJING_OFFSET_MS, DAY_MS } from '../../functions/shared/clock.js';
import { esc } from '../html.js';

/**
 * The dashboard's pictures, drawn on the server as small SVG strings (no chart library: three
 * charts of rectangles, lines and text are smaller and stricter by hand, and no script runs in the
 * page). Every text goes through esc(); every coordinate through num(), so no NaN or Infinity can
 * reach an attribute. The viewBox is 360 units wide (a phone's width) and the SVG 100% wide, so on
 * a phone a 16-unit text is about 15 px; the page caps the width on a desktop.
 */

export const CHART_WIDTH = 360;
const W = CHART_WIDTH;
const FONT = 'font-family="PingFang SC,Hiragino Sans GB,Microsoft YaHei,WenQuanYi Zen Hei,sans-serif"';
const INK = '#1f2933';
const MUTED = '#52606d';
/** A white outline behind a text drawn over lines (readable where it crosses the curve). */
const HALO = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"';

/** A coordinate or size: rounded to 0.1, never NaN or Infinity (0 instead). */
const num = (n: number) => (Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '0');
const clamp = (n: number, lo: number, hi: number) => (Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : lo);
const share = (n: number, d: number) => (d > 0 && Number.isFinite(n / d) ? n / d : 0);

/** Estimated width of a text at a font size: CJK and full-width characters 1 em, others about 0.6 em. */
export function textWidth(s: string, size: number): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? size : size * 0.6;
  return w;
}

/** Breaks a label into lines no wider than `max` (by character: Chinese names have no spaces). */
export function wrap(s: string, size: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const ch of s) {
    if (line && textWidth(line + ch, size) > max) {
      lines.push(line);
      line = '';
    }
    line += ch;
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

const svgOpen = (height: number, label: string, cls: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${cls}" viewBox="0 0 ${W} ${num(height)}" width="100%" role="img" aria-label="${esc(label)}" ${FONT}>` +
  `<title>${esc(label)}</title>`;

const text = (x: number, y: number, s: string, size: number, attrs = '') =>
  `<text x="${num(x)}" y="${num(y)}" font-size="${size}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;

interface Segment {
  key: string;
  label: string;
  count: number;
  fill: string;
  /** The text colour on this fill (contrast ≥ 4.5:1). */
  ink: string;
}

/** A token of a bar's legend line: a colour square, then "已审核通过 12". */
interface Token {
  label: string;
  fill?: string;
}

const NAME_SIZE = 16;
const BAR_H = 26;
const LEGEND_SIZE = 14;
const END_SIZE = 15;

/** A legend line of tokens, wrapped to the chart's width; returns the SVG and the height used. */
function legendLines(tokens: Token[], y0: number): { svg: string; height: number } {
  const lineH = LEGEND_SIZE + 6;
  let x = 0;
  let y = y0 + LEGEND_SIZE;
  let svg = '';
  for (const t of tokens) {
    const w = (t.fill ? 14 : 0) + textWidth(t.label, LEGEND_SIZE);
    if (x > 0 && x + w > W) {
      x = 0;
      y += lineH;
    }
    if (t.fill) {
      svg += `<rect x="${num(x)}" y="${num(y - LEGEND_SIZE + 2)}" width="10" height="10" fill="${t.fill}" stroke="#9aa5b1" stroke-width="0.5"/>`;
      x += 14;
    }
    svg += text(x, y, t.label, LEGEND_SIZE, `fill="${INK}"`);
    x += textWidth(t.label, LEGEND_SIZE) + 12;
  }
  return { svg, height: y - y0 + 6 };
}

interface BarRow {
  name: string;
  total: number;
  segments: Segment[];
  end: string;
  extra: Token[];
}

/** Horizontal stacked bars, one per row: the name above (wrapped), the bar, its end figure, a legend line of numbers. */
function stackedBars(rows: BarRow[], label: string, cls: string, empty: string): string {
  if (!rows.length) return `${svgOpen(40, label, cls)}${text(0, 26, empty, NAME_SIZE, `fill="${MUTED}"`)}</svg>`;
  // Room at the bars' end for the widest figure ("2137/2200"), the same for every bar.
  const barW = W - Math.max(40, ...rows.map((r) => textWidth(r.end, END_SIZE))) - 8;
  let y = 0;
  let body = '';
  for (const r of rows) {
    body += `<g class="bar" data-total="${r.total}" data-width="${num(barW)}">`;
    for (const line of wrap(r.name, NAME_SIZE, W)) {
      y += NAME_SIZE + 4;
      body += text(0, y, line, NAME_SIZE, `fill="${INK}" font-weight="bold"`);
    }
    y += 6;
    const top = y;
    // The track: the whole bar's width, visible when nothing is expected.
    body += `<rect x="0" y="${num(top)}" width="${num(barW)}" height="${BAR_H}" fill="#f0f4f8" stroke="#cbd2d9" stroke-width="1"/>`;
    let x = 0;
    for (const s of r.segments) {
      const w = barW * share(s.count, r.total);
      if (w <= 0) continue;
      body += `<rect class="seg" data-key="${s.key}" data-count="${s.count}" x="${num(x)}" y="${num(top)}" width="${num(w)}" height="${BAR_H}" fill="${s.fill}"/>`;
      const figure = String(s.count);
      if (w >= textWidth(figure, 14) + 8) body += text(x + w / 2, top + BAR_H / 2 + 5, figure, 14, `fill="${s.ink}" text-anchor="middle"`);
      x += w;
    }
    body += text(W, top + BAR_H / 2 + 6, r.end, END_SIZE, `fill="${INK}" font-weight="bold" text-anchor="end"`);
    y = top + BAR_H + 4;
    const legend = legendLines([...r.segments.map((s) => ({ label: `${s.label} ${s.count}`, fill: s.fill })), ...r.extra], y);
    body += legend.svg;
    y += legend.height + 14;
    body += '</g>';
  }
  return `${svgOpen(y, label, cls)}${body}</svg>`;
}

/** The bars' colours (white text on the three dark ones, ink on the light ones). */
export const COMPLETENESS_COLOURS = {
  accepted: { fill: '#1f6d32', ink: '#ffffff', label: '已审核通过' },
  awaiting: { fill: '#1d4e89', ink: '#ffffff', label: '待审核' },
  returned: { fill: '#b54708', ink: '#ffffff', label: '退回' },
  missing: { fill: '#d9dee4', ink: INK, label: '未交齐' },
} as const;

export const TIMELINESS_COLOURS = {
  onTime: { fill: '#1f6d32', ink: '#ffffff', label: '按时报齐' },
  late: { fill: '#b42318', ink: '#ffffff', label: '逾期' },
  overdue: { fill: '#f0b429', ink: INK, label: '已过截止未交齐' },
  open: { fill: '#d9dee4', ink: INK, label: '未到截止' },
} as const;

export type BarGroup = Pick<
  GroupRollup,
  'name' | 'expected' | 'exempt' | 'uploaded' | 'accepted' | 'awaiting' | 'returned' | 'missing' | 'late' | 'onTime' | 'overdue' | 'open'
>;

const seg = <K extends string>(colours: Record<K, { fill: string; ink: string; label: string }>, key: K, count: number): Segment => ({
  key,
  count: Number.isFinite(count) ? Math.max(0, count) : 0,
  ...colours[key],
});

/**
 * Completeness per group: accepted / awaiting review / returned / missing, as shares of the expected
 * orgs. The four are disjoint: an org with a returned document is counted as returned even when
 * another document is missing, so the missing segment is what is left. The exempt are a count
 * beside the bar, not a segment; the bar's end says uploaded/expected.
 */
export function completenessBars(groups: BarGroup[]): string {
  const rows: BarRow[] = groups.map((g) => ({
    name: g.name,
    total: g.expected,
    segments: [
      seg(COMPLETENESS_COLOURS, 'accepted', g.accepted),
      seg(COMPLETENESS_COLOURS, 'awaiting', g.awaiting),
      seg(COMPLETENESS_COLOURS, 'returned', g.returned),
      seg(COMPLETENESS_COLOURS, 'missing', g.expected - g.accepted - g.awaiting - g.returned),
    ],
    end: `${g.uploaded}/${g.expected}`,
    extra: [{ label: `免报 ${g.exempt}` }],
  }));
  const summary = groups
    .map((g) => `${g.name}：应交 ${g.expected}，已上传 ${g.uploaded}，已审核通过 ${g.accepted}，待审核 ${g.awaiting}，退回 ${g.returned}，未交齐 ${g.missing}，免报 ${g.exempt}`)
    .join('；');
  return stackedBars(rows, `材料完整情况。${summary || '暂无数据'}`, 'completeness', '暂无数据');
}

const pct = (n: number, d: number) => `${Math.round(share(n, d) * 100)}%`;

/** Timeliness per group: on time / late / overdue (missing after the deadline) / not yet due, as shares of the expected; the end says the on-time rate. */
export function timelinessBars(groups: BarGroup[]): string {
  const rows: BarRow[] = groups.map((g) => ({
    name: g.name,
    total: g.expected,
    segments: [
      seg(TIMELINESS_COLOURS, 'onTime', g.onTime),
      seg(TIMELINESS_COLOURS, 'late', g.late),
      seg(TIMELINESS_COLOURS, 'overdue', g.overdue),
      seg(TIMELINESS_COLOURS, 'open', g.open),
    ],
    end: pct(g.onTime, g.expected),
    extra: [],
  }));
  const summary = groups
    .map((g) => `${g.name}：应交 ${g.expected}，按时报齐 ${g.onTime}，逾期 ${g.late}，已过截止未交齐 ${g.overdue}，未到截止 ${g.open}，按时率 ${pct(g.onTime, g.expected)}`)
    .join('；');
  return stackedBars(rows, `按时情况。${summary || '暂无数据'}`, 'timeliness', '暂无数据');
}

/** "6月30日" for a Beijing day number (days since 1970-01-01 in Beijing). */
const dayLabel = (n: number) => {
  const d = new Date(n * DAY_MS);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
};
/** The Beijing day number of an instant, or of a "2019-06-30" day. */
const dayOfInstant = (t: number) => Math.floor((t + BEIJING_OFFSET_MS) / DAY_MS);
const dayOfString = (day: string) => Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);

/** A round tick step (1, 2 or 5 × 10ⁿ) giving about four ticks up to `max`. */
export function tickStep(max: number): number {
  const raw = Math.max(1, max) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  return Math.max(1, Math.round(step));
}

/**
 * The cumulative count of orgs that handed in everything, by Beijing day (a line through each day's
 * end, drawn up to today), against the expected total (dashed), the deadline (a vertical line, 截止)
 * and today (a shaded day). The axis runs from the first point (or the deadline, or today, if
 * earlier) to the last point, the deadline or today, whichever is latest.
 */
export function cumulativeCurve(points: CurvePoint[], expected: number, deadline: string | Date, now: string | Date): string {
  const H = 260;
  const top = 46; // two rows above the plot: 截止 (y 16), 今天 (y 36)
  const bottom = 36;
  const right = 12;
  const nowT = new Date(now).getTime();
  const deadlineT = new Date(deadline).getTime();
  const pts = points
    .map((p) => ({ day: dayOfString(p.day), count: Number.isFinite(p.count) ? Math.max(0, p.count) : 0 }))
    .filter((p) => Number.isFinite(p.day))
    .sort((a, b) => a.day - b.day);
  const nowDay = Number.isFinite(nowT) ? dayOfInstant(nowT) : undefined;
  const deadlineDay = Number.isFinite(deadlineT) ? dayOfInstant(deadlineT) : undefined;
  const days = [...pts.map((p) => p.day), ...(nowDay === undefined ? [] : [nowDay]), ...(deadlineDay === undefined ? [] : [deadlineDay])];
  const first = days.length ? Math.min(...days) : 0;
  const last = days.length ? Math.max(...days) : 0;
  const n = last - first + 1; // days on the axis, ≥ 1
  const exp = Number.isFinite(expected) ? Math.max(0, Math.round(expected)) : 0;
  const step = tickStep(Math.max(exp, ...pts.map((p) => p.count)));
  const yMax = Math.max(step, exp, ...pts.map((p) => p.count));
  const ticks: number[] = [];
  for (let t = 0; t <= yMax; t += step) ticks.push(t);
  const left = Math.max(28, ...ticks.map((t) => textWidth(String(t), 13))) + 10;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const shown = nowDay === undefined ? pts : pts.filter((p) => p.day <= nowDay);
  const latest = shown[shown.length - 1];

  // x of a day's start / of an instant (kept inside the plot); y of a count.
  const xDay = (d: number) => left + ((d - first) / n) * plotW;
  const xAt = (t: number) => clamp(left + (((t + BEIJING_OFFSET_MS) / DAY_MS - first) / n) * plotW, left, left + plotW);
  const y = (c: number) => top + plotH - (clamp(c, 0, yMax) / yMax) * plotH;
  /** Centred text unless it would leave the chart: then flush with the nearer edge. */
  const anchor = (x: number, width: number) => (x - width / 2 < 0 ? 'start' : x + width / 2 > W ? 'end' : 'middle');

  const label = `累计报齐单位数：${latest ? `截至${dayLabel(latest.day)}已报齐 ${latest.count} 个` : '尚无单位报齐'}，应交 ${exp} 个${
    deadlineDay === undefined ? '' : `，截止日期 ${dayLabel(deadlineDay)}`
  }`;
  let svg = svgOpen(H, label, 'curve');
  // Today: a shaded day.
  if (nowDay !== undefined) svg += `<rect class="today" x="${num(xDay(nowDay))}" y="${top}" width="${num(plotW / n)}" height="${plotH}" fill="#e6f0ff"/>`;
  // Axes, the y ticks with light grid lines.
  for (const t of ticks) {
    if (t > 0) svg += `<line x1="${num(left)}" y1="${num(y(t))}" x2="${num(left + plotW)}" y2="${num(y(t))}" stroke="#e4e7eb" stroke-width="1"/>`;
    svg += text(left - 6, y(t) + 5, String(t), 13, `fill="${MUTED}" text-anchor="end"`);
  }
  svg += `<line x1="${num(left)}" y1="${top + plotH}" x2="${num(left + plotW)}" y2="${top + plotH}" stroke="${MUTED}" stroke-width="1"/>`;
  svg += `<line x1="${num(left)}" y1="${top}" x2="${num(left)}" y2="${top + plotH}" stroke="${MUTED}" stroke-width="1"/>`;
  // The x labels: at most four days, evenly spaced, at the middle of their day.
  const every = Math.max(1, Math.ceil(n / 4));
  for (let i = 0; i < n; i += every) {
    const cx = xDay(first + i) + plotW / n / 2;
    const s = dayLabel(first + i);
    svg += `<line x1="${num(cx)}" y1="${top + plotH}" x2="${num(cx)}" y2="${top + plotH + 4}" stroke="${MUTED}" stroke-width="1"/>`;
    svg += text(cx, top + plotH + 20, s, 13, `fill="${MUTED}" text-anchor="${anchor(cx, textWidth(s, 13))}"`);
  }
  // The expected total: a dashed line, its label under it (above it when it is the axis).
  svg += `<line class="expected" x1="${num(left)}" y1="${num(y(exp))}" x2="${num(left + plotW)}" y2="${num(y(exp))}" stroke="${INK}" stroke-width="1.5" stroke-dasharray="6 4"/>`;
  // Its label: under the line at the left (above it when the line is the axis), or at the right
  // when the latest count's label would be there.
  const expLabel = `应交 ${exp}`;
  const ey = y(exp) + 18 <= top + plotH - 4 ? y(exp) + 18 : y(exp) - 6;
  const latestBox = latest ? { x: xDay(latest.day + 1), y: y(latest.count) } : undefined;
  const clash = latestBox && Math.abs(latestBox.y - ey) < 30 && latestBox.x < left + 6 + textWidth(expLabel, 14) + 40;
  svg += clash
    ? text(left + plotW - 4, ey, expLabel, 14, `fill="${INK}" text-anchor="end" ${HALO}`)
    : text(left + 6, ey, expLabel, 14, `fill="${INK}" ${HALO}`);
  // The deadline: a vertical line, 截止 in the first row above the plot.
  if (deadlineDay !== undefined) {
    const dx = xAt(deadlineT);
    const s = `截止 ${dayLabel(deadlineDay)}`;
    svg += `<line class="deadline" x1="${num(dx)}" y1="${top - 6}" x2="${num(dx)}" y2="${top + plotH}" stroke="#b42318" stroke-width="2"/>`;
    svg += text(dx, 16, s, 14, `fill="#b42318" text-anchor="${anchor(dx, textWidth(s, 14))}"`);
  }
  // The curve: from zero at the first day's start through each day's end, up to today.
  if (shown.length) {
    const coords = [`${num(xDay(shown[0]!.day))},${num(y(0))}`, ...shown.map((p) => `${num(xDay(p.day + 1))},${num(y(p.count))}`)];
    svg += `<polyline class="cumulative" points="${coords.join(' ')}" fill="none" stroke="#1d4e89" stroke-width="2.5" stroke-linejoin="round"/>`;
  }
  if (latest) {
    const lx = xDay(latest.day + 1);
    const ly = y(latest.count);
    const nearRight = lx > left + plotW - 40;
    svg += `<circle class="latest" cx="${num(lx)}" cy="${num(ly)}" r="4" fill="#1d4e89"/>`;
    if (latest.count > 0)
      svg += text(lx + (nearRight ? -8 : 8), ly + (ly < top + 20 ? 18 : -8), String(latest.count), 14, `fill="#1d4e89" font-weight="bold" text-anchor="${nearRight ? 'end' : 'start'}" ${HALO}`);
  }
  if (!latest?.count) svg += text(left + plotW / 2, top + plotH / 2, '尚无单位报齐', 14, `fill="${MUTED}" text-anchor="middle"`);
  // Today's label: its own row above the plot, under 截止's, so the two never meet.
  if (nowDay !== undefined) {
    const tx = xDay(nowDay) + plotW / n / 2;
    const s = `今天 ${dayLabel(nowDay)}`;
    svg += text(tx, 36, s, 13, `fill="#1d4e89" text-anchor="${anchor(tx, textWidth(s, 13))}"`);
  }
  return `${svg}</svg>`;
}

/**
 * The dashboard's three pictures in one SVG (GET /api/dashboard?format=svg, shown by the page as one image: one
 * more read of the status items, not three): completeness, timeliness, the cumulative curve, each under its
 * heading, each its own nested SVG of the same 360-unit width.
 */
export function dashboardPictures(groups: BarGroup[], points: CurvePoint[], expected: number, deadline: string | Date, now: string | Date): string {
  const parts: [string, string][] = [
    ['材料完整情况', completenessBars(groups)],
    ['按时情况', timelinessBars(groups)],
    ['累计报齐单位数', cumulativeCurve(points, expected, deadline, now)],
  ];
  let y = 0;
  let body = '';
  for (const [title, svg] of parts) {
    const h = Number(/viewBox="0 0 [\d.]+ ([\d.]+)"/.exec(svg)?.[1] ?? 0);
    body += text(0, y + 20, title, 18, `fill="${INK}" font-weight="bold"`);
    body += svg.replace('<svg xmlns="http://www.w3.org/2000/svg" ', `<svg x="0" y="${num(y + 32)}" height="${num(h)}" `).replace(' width="100%"', ` width="${W}"`);
    y += 32 + h + 24;
  }
  const label = parts.map(([t]) => t).join('、');
  return `${svgOpen(y, label, 'pictures')}${body}</svg>`;
}
