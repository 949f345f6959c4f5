import type { Cell, SchoolMatrix } from '../../functions/contacts/completeness.js';
import { periodLabel, periodShortLabel } from '../../functions/contacts/periods.js';
import { CHART_WIDTH, textWidth, wrap } from '../dashboard/charts.js';
import { esc } from '../html.js';

/**
 * The parent-contact pictures, drawn on the server as standalone SVG strings (as
 * web/dashboard/charts.ts: no chart library, no script, no external resource; every text through
 * esc(), every coordinate through num(), so no NaN, Infinity, raw < or bare & can reach the markup).
 *
 * - `matrixSvg`: the class × period matrix. Its size follows the counts (38 × 22 units a cell, text
 *   ≥ 11), and its width/height attributes equal its viewBox: it is meant to be shown at its own
 *   size (the page scrolls it sideways on a phone) rather than shrunk until 60 classes × 20 weeks
 *   are unreadable.
 * - `ratesBarsSvg`: one horizontal bar per school or District, 0–100 %, 360 units wide and 100 %
 *   of its container like the dashboard's bars.
 */

const FONT = 'font-family="PingFang SC,Hiragino Sans GB,Microsoft YaHei,WenQuanYi Zen Hei,sans-serif"';
const INK = '#1f2933';
const MUTED = '#52606d';

/** A coordinate or size: rounded to 0.1, never NaN or Infinity (0 instead). */
const num = (n: number) => (Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '0');
const text = (x: number, y: number, s: string, size: number, attrs = '') =>
  `<text x="${num(x)}" y="${num(y)}" font-size="${size}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
const pct = (rate: number | undefined) => (rate === undefined || !Number.isFinite(rate) ? '—' : `${Math.round(Math.min(1, Math.max(0, rate)) * 100)}%`);

/** Cuts a text to `max` units wide, with '…' when cut. */
function fit(s: string, size: number, max: number): string {
  if (textWidth(s, size) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (textWidth(`${out + ch}…`, size) > max) break;
    out += ch;
  }
  return `${out}…`;
}

/** How each cell state is drawn; `mark` is a small text in the cell. */
export const CELL_STYLE: Readonly<Record<Cell, { fill: string; stroke?: string; strokeWidth?: number; mark?: string; markInk?: string; label: string }>> = {
  logged: { fill: '#2f8f46', label: '已记录' },
  none: { fill: '#9fb3c8', mark: '免', markInk: INK, label: '无需联系' },
  missing: { fill: '#c8312a', mark: '缺', markInk: '#ffffff', label: '缺失' },
  open: { fill: '#fff8e1', stroke: '#e0a800', strokeWidth: 2, label: '本期进行中' },
  future: { fill: '#f5f7fa', stroke: '#d9dee4', strokeWidth: 1, label: '未开始' },
  na: { fill: '#e4e7eb', label: '不适用' },
};
const LEGEND_ORDER: Cell[] = ['logged', 'none', 'missing', 'open', 'future', 'na'];

const CELL_W = 38;
const CELL_H = 22;
const GAP = 2;
const PAD = 8;
const LABEL_SIZE = 12;
const SMALL = 11;
const TITLE_SIZE = 16;
const MAX_LABEL_W = 200;

function cellSvg(state: Cell, x: number, y: number): string {
  const s = CELL_STYLE[state];
  const w = CELL_W - GAP;
  const h = CELL_H - GAP;
  // An outline is drawn inside the cell (inset by half its width) so neighbours never overlap.
  const inset = (s.strokeWidth ?? 0) / 2;
  const stroke = s.stroke ? ` stroke="${s.stroke}" stroke-width="${s.strokeWidth}"` : '';
  let out = `<rect class="cell" data-state="${state}" x="${num(x + inset)}" y="${num(y + inset)}" width="${num(w - 2 * inset)}" height="${num(h - 2 * inset)}" fill="${s.fill}"${stroke}/>`;
  if (s.mark) out += text(x + w / 2, y + h / 2 + 4, s.mark, SMALL, `fill="${s.markInk}" text-anchor="middle"`);
  return out;
}

/** The legend, wrapped to `width`; returns the SVG and the height used. */
function legend(x0: number, y0: number, width: number): { svg: string; height: number } {
  let x = x0;
  let y = y0 + LABEL_SIZE;
  let svg = '<g class="legend">';
  for (const state of LEGEND_ORDER) {
    const s = CELL_STYLE[state];
    const w = 18 + textWidth(s.label, LABEL_SIZE);
    if (x > x0 && x + w > x0 + width) {
      x = x0;
      y += LABEL_SIZE + 8;
    }
    const stroke = s.stroke ? ` stroke="${s.stroke}" stroke-width="${Math.min(1.5, s.strokeWidth ?? 1)}"` : ' stroke="#9aa5b1" stroke-width="0.5"';
    svg += `<rect class="key" data-state="${state}" x="${num(x)}" y="${num(y - LABEL_SIZE + 1)}" width="13" height="13" fill="${s.fill}"${stroke}/>`;
    if (s.mark) svg += text(x + 6.5, y - 1, s.mark, 9, `fill="${s.markInk}" text-anchor="middle"`);
    svg += text(x + 18, y, s.label, LABEL_SIZE, `fill="${INK}"`);
    x += w + 14;
  }
  return { svg: `${svg}</g>`, height: y - y0 + 8 };
}

/** "6/3": a period's first day, under its heading. */
const slashDay = (day: string) => `${Number(day.slice(5, 7))}/${Number(day.slice(8, 10))}`;

/**
 * The class × period matrix as a standalone SVG: a title, a legend, a heading per period ('W23' or
 * '6月', its first day under it), a row per class (grade and label; a long one cut with '…', the
 * whole in the row's <title>), done/expected at each row's end, the completion rate under each
 * period that is over ('—' under the others), coloured cells (see CELL_STYLE).
 */
export function matrixSvg(matrix: Pick<SchoolMatrix, 'classes' | 'periods' | 'cells' | 'perPeriod' | 'perClass' | 'total'>, opts: { title: string }): string {
  const { classes, periods, cells, perPeriod, perClass, total } = matrix;
  const rowName = (i: number) => `${classes[i]!.grade} ${classes[i]!.label}`;
  const labelW = Math.min(MAX_LABEL_W, Math.max(56, ...classes.map((_, i) => textWidth(rowName(i), LABEL_SIZE)))) + 8;
  const rightW = Math.max(44, ...perClass.map((c) => textWidth(`${c.done}/${c.expected}`, SMALL))) + 8;
  const gridW = periods.length * CELL_W;
  const width = Math.max(CHART_WIDTH, PAD + labelW + gridW + rightW + PAD);
  const inner = width - 2 * PAD;

  let y = PAD;
  let body = '';
  for (const line of wrap(opts.title, TITLE_SIZE, inner)) {
    y += TITLE_SIZE + 4;
    body += text(PAD, y, line, TITLE_SIZE, `fill="${INK}" font-weight="bold"`);
  }
  y += 8;
  const leg = legend(PAD, y, inner);
  body += leg.svg;
  y += leg.height + 10;

  const gx = PAD + labelW; // the grid's left
  if (!classes.length || !periods.length) {
    y += LABEL_SIZE + 4;
    body += text(PAD, y, !classes.length ? '暂无班级' : '暂无周期', LABEL_SIZE + 2, `fill="${MUTED}"`);
  } else {
    // Headings: the short label, then the first day.
    body += '<g class="periods">';
    periods.forEach((p, j) => {
      const cx = gx + j * CELL_W + (CELL_W - GAP) / 2;
      body += `<g class="period"><title>${esc(periodLabel(p))}</title>`;
      body += text(cx, y + LABEL_SIZE, periodShortLabel(p), LABEL_SIZE, `fill="${INK}" text-anchor="middle"`);
      body += text(cx, y + LABEL_SIZE + SMALL + 3, slashDay(p.start), SMALL, `fill="${MUTED}" text-anchor="middle"`);
      body += '</g>';
    });
    body += text(gx + gridW + 4, y + LABEL_SIZE + SMALL + 3, '完成', SMALL, `fill="${MUTED}"`);
    body += '</g>';
    y += LABEL_SIZE + SMALL + 10;

    // Rows.
    classes.forEach((c, i) => {
      const name = rowName(i);
      const tally = perClass[i];
      body += `<g class="row" data-class="${esc(c.id)}"><title>${esc(`${name}（班主任 ${c.teacher}）`)}</title>`;
      body += text(PAD, y + CELL_H / 2 + 3, fit(name, LABEL_SIZE, labelW - 8), LABEL_SIZE, `fill="${INK}"`);
      (cells[i] ?? []).forEach((state, j) => {
        body += cellSvg(state, gx + j * CELL_W, y);
      });
      if (tally) {
        const attn = tally.missedInARow >= 2;
        // Finished periods only: before the first one ends there is nothing to count yet (—, not 0/0).
        body += text(gx + gridW + 4, y + CELL_H / 2 + 3, tally.expected ? `${tally.done}/${tally.expected}` : '—', SMALL, `fill="${attn ? '#b42318' : MUTED}"${attn ? ' font-weight="bold"' : ''}`);
      }
      body += '</g>';
      y += CELL_H;
    });

    // Completion per period (over ones only).
    y += 4;
    body += '<g class="rates">';
    body += text(PAD, y + SMALL + 2, '完成率', SMALL, `fill="${MUTED}"`);
    perPeriod.forEach((p, j) => {
      body += text(gx + j * CELL_W + (CELL_W - GAP) / 2, y + SMALL + 2, p.over ? pct(p.rate) : '—', SMALL, `fill="${INK}" text-anchor="middle"`);
    });
    body += '</g>';
    y += SMALL + 8;
  }
  const height = y + PAD;

  const attention = perClass.filter((c) => c.missedInARow >= 2).length;
  const label = `${opts.title}。${classes.length} 个班级，${periods.length} 个周期；已结束周期完成 ${total.done}/${total.expected}（${pct(total.rate)}）${
    attention ? `；连续两期及以上缺失的班级 ${attention} 个` : ''
  }`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart contact-matrix" viewBox="0 0 ${num(width)} ${num(height)}" width="${num(width)}" height="${num(height)}" role="img" aria-label="${esc(label)}" ${FONT}>` +
    `<title>${esc(label)}</title><rect x="0" y="0" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>${body}</svg>`
  );
}

export interface RateRow {
  name: string;
  /** 0..1; undefined: unknown (shown as `note`, by default 未导入名册). */
  rate: number | undefined;
  /** What to show instead of a percentage when `rate` is undefined (default '未导入名册'). */
  note?: string;
}

const BAR_H = 20;
const NAME_SIZE = 14;

/** Horizontal bars of completion rates (0–100 %), one per row: the name above (wrapped), the bar, the percentage (or the note) at its end. */
export function ratesBarsSvg(rows: readonly RateRow[], opts: { title: string }): string {
  const W = CHART_WIDTH;
  const ends = rows.map((r) => (r.rate === undefined || !Number.isFinite(r.rate) ? (r.note ?? '未导入名册') : pct(r.rate)));
  const barW = W - Math.max(40, ...ends.map((e) => textWidth(e, NAME_SIZE))) - 8;
  let y = 0;
  let body = '';
  for (const line of wrap(opts.title, TITLE_SIZE, W)) {
    y += TITLE_SIZE + 4;
    body += text(0, y, line, TITLE_SIZE, `fill="${INK}" font-weight="bold"`);
  }
  y += 6;
  if (!rows.length) {
    y += NAME_SIZE + 6;
    body += text(0, y, '暂无数据', NAME_SIZE, `fill="${MUTED}"`);
  }
  rows.forEach((r, i) => {
    const known = r.rate !== undefined && Number.isFinite(r.rate);
    const rate = known ? Math.min(1, Math.max(0, r.rate as number)) : 0;
    body += `<g class="bar" data-rate="${known ? num(rate * 100) : ''}" data-width="${num(barW)}">`;
    for (const line of wrap(r.name, NAME_SIZE, W)) {
      y += NAME_SIZE + 4;
      body += text(0, y, line, NAME_SIZE, `fill="${INK}"`);
    }
    y += 4;
    body += `<rect x="0" y="${num(y)}" width="${num(barW)}" height="${BAR_H}" fill="#f0f4f8" stroke="#cbd2d9" stroke-width="1"/>`;
    if (known && rate > 0) body += `<rect class="fill" x="0" y="${num(y)}" width="${num(barW * rate)}" height="${BAR_H}" fill="#1d4e89"/>`;
    body += text(W, y + BAR_H / 2 + 5, ends[i]!, NAME_SIZE, `fill="${known ? INK : MUTED}" text-anchor="end"${known ? ' font-weight="bold"' : ''}`);
    y += BAR_H + 10;
    body += '</g>';
  });
  const height = y + 4;
  const summary = rows.map((r, i) => `${r.name} ${ends[i]}`).join('；');
  const label = `${opts.title}。${summary || '暂无数据'}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart contact-rates" viewBox="0 0 ${W} ${num(height)}" width="100%" role="img" aria-label="${esc(label)}" ${FONT}>` +
    `<title>${esc(label)}</title>${body}</svg>`
  );
}
