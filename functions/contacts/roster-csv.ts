import { RosterClass } from '../../schemas/contacts.js';
import { type CsvIssue, MAX_CLASSES } from '../../schemas/roster.js';

/**
 * The class list a school's administrator pastes into the roster page: 年级,班级,班主任,邮箱 — copied from Excel
 * (tab-separated, a cell with a tab, a quote or a line break quoted as "…") or typed as CSV (comma-separated).
 *
 * Hand-written rather than csv-parse (which functions/orgs/csv.ts uses in the CLI): csv-parse/sync is 7.9 KB
 * gzip, and the roster function sits at its bundle budget (≤ 1.30× the DynamoDB + SQS floor); this is ~1 KB and
 * stricter for the one shape it reads: one delimiter for the whole text (a tab if the first line has one, else a
 * comma), RFC 4180 quotes (`""` inside a quoted cell; only spaces may follow its closing quote; a quote inside an
 * unquoted cell is kept as it is), CRLF / LF / CR,
 * a BOM, blank lines skipped, cells trimmed and NFKC-normalised (full-width ＡＢ１２＠ → AB12@), trailing empty
 * cells (Excel's) ignored. test/unit/roster-csv.test.ts checks it, also against csv-parse on the same text.
 *
 * All or nothing: any problem → the complete list, each with the line number a user sees (header = line 1).
 */

export interface CsvRow {
  /** Line in the pasted text (the first line of a cell with a line break). */
  line: number;
  grade: string;
  label: string;
  teacher: string;
  email: string;
}

export interface CsvProblem {
  line: number;
  kind: CsvIssue;
  reason: string;
}

export type ParsedRoster = { ok: true; rows: CsvRow[]; header: boolean } | { ok: false; problems: CsvProblem[] };

const FIELDS = ['grade', 'label', 'teacher', 'email'] as const;
type Field = (typeof FIELDS)[number];
const HEADER: Record<string, Field> = {
  年级: 'grade',
  grade: 'grade',
  班级: 'label',
  班: 'label',
  class: 'label',
  班主任: 'teacher',
  姓名: 'teacher',
  teacher: 'teacher',
  邮箱: 'email',
  电子邮箱: 'email',
  email: 'email',
  'e-mail': 'email',
};
const LABEL: Record<Field, string> = { grade: '年级', label: '班级', teacher: '班主任', email: '邮箱' };

/** Records of cells, each with the line it starts on; an unterminated quote is reported at its line. */
export function splitRecords(text: string): { records: { line: number; cells: string[] }[]; unterminated?: number } {
  const s = text.replace(/^\uFEFF/, '');
  const firstLine = s.split(/\r\n|\r|\n/, 1)[0] ?? '';
  const delim = firstLine.includes('\t') ? '\t' : ',';
  const records: { line: number; cells: string[] }[] = [];
  let line = 1;
  let i = 0;
  let cells: string[] = [];
  let cell = '';
  let start = 1;
  let quotedCell = false;
  const endRecord = () => {
    cells.push(cell);
    records.push({ line: start, cells });
    cells = [];
    cell = '';
    quotedCell = false;
  };
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '"' && cell.trim() === '' && !quotedCell) {
      // A quoted cell: up to the closing quote ("" is one quote); only spaces may follow before the delimiter.
      const open = line;
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= s.length) return { records, unterminated: open };
        const d = s[j] as string;
        if (d === '"') {
          if (s[j + 1] === '"') {
            value += '"';
            j += 2;
            continue;
          }
          j++;
          break;
        }
        if (d === '\r' || d === '\n') {
          if (d === '\r' && s[j + 1] === '\n') j++;
          line++;
          value += '\n';
          j++;
          continue;
        }
        value += d;
        j++;
      }
      cell = value;
      quotedCell = true;
      i = j;
      while (i < s.length && (s[i] === ' ' || (delim !== '\t' && s[i] === '\t'))) i++;
      const n = s[i];
      if (n !== undefined && n !== delim && n !== '\r' && n !== '\n') return { records, unterminated: open };
      continue;
    }
    if (c === delim) {
      cells.push(cell);
      cell = '';
      quotedCell = false;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
      line++;
      start = line;
      continue;
    }
    if (quotedCell) return { records, unterminated: line };
    cell += c;
    i++;
  }
  if (cell !== '' || cells.length) endRecord();
  return { records };
}

const clean = (v: string) => v.normalize('NFKC').trim();
// Line breaks and tabs are refused in a cell too: a name or class never has one.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Parses the pasted list: every row checked with the roster's own field rules; duplicates and too many rows refused. */
export function parseRosterCsv(text: string, maxRows = MAX_CLASSES): ParsedRoster {
  const { records, unterminated } = splitRecords(text);
  if (unterminated !== undefined) return { ok: false, problems: [{ line: unterminated, kind: 'quote', reason: '引号没有配对，或引号后还有其他内容（以引号开头的内容需要以引号结束）' }] };
  const filled = records.map((r) => {
    const cells = r.cells.map(clean);
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    return { line: r.line, cells };
  }).filter((r) => r.cells.length > 0);
  const problems: CsvProblem[] = [];
  let order: Field[] = [...FIELDS];
  let header = false;
  const first = filled[0];
  if (first && first.cells.some((c) => HEADER[c.toLowerCase()] !== undefined)) {
    header = true;
    const named = first.cells.map((c) => HEADER[c.toLowerCase()]);
    const missing = FIELDS.filter((f) => !named.includes(f));
    const unknown = first.cells.filter((c) => HEADER[c.toLowerCase()] === undefined);
    const twice = FIELDS.filter((f) => named.filter((n) => n === f).length > 1);
    if (missing.length || unknown.length || twice.length) {
      const parts = [
        missing.length ? `缺少 ${missing.map((f) => LABEL[f]).join('、')} 列` : '',
        unknown.length ? `不认识的列：${unknown.join('、')}` : '',
        twice.length ? `重复的列：${twice.map((f) => LABEL[f]).join('、')}` : '',
      ].filter(Boolean);
      return { ok: false, problems: [{ line: first.line, kind: 'header', reason: `表头应为 年级、班级、班主任、邮箱（${parts.join('；')}）` }] };
    }
    order = named as Field[];
  }
  const data = header ? filled.slice(1) : filled;
  if (data.length > maxRows) {
    return { ok: false, problems: [{ line: (data[maxRows] as { line: number }).line, kind: 'too-many', reason: `一次最多导入 ${maxRows} 个班级（共 ${data.length} 行）` }] };
  }
  const rows: CsvRow[] = [];
  const seen = new Map<string, number>();
  for (const r of data) {
    if (r.cells.length !== order.length) {
      problems.push({ line: r.line, kind: 'columns', reason: `应有 ${order.length} 列（年级、班级、班主任、邮箱），这一行有 ${r.cells.length} 列` });
      continue;
    }
    const v = Object.fromEntries(order.map((f, k) => [f, r.cells[k] as string])) as Record<Field, string>;
    let bad = false;
    for (const f of FIELDS) {
      if (CONTROL.test(v[f])) {
        problems.push({ line: r.line, kind: 'control', reason: `${LABEL[f]}含有换行或无法识别的字符` });
        bad = true;
        continue;
      }
      const p = RosterClass.shape[f].safeParse(v[f]);
      if (!p.success) {
        const msg = p.error.issues[0]?.message ?? '';
        problems.push({ line: r.line, kind: f, reason: `${LABEL[f]}${/[\u4e00-\u9fff]/.test(msg) ? (f === 'email' ? `“${v[f]}”格式不正确` : msg) : '不正确'}` });
        bad = true;
      }
    }
    if (bad) continue;
    const key = `${v.grade}\u0000${v.label}`;
    const before = seen.get(key);
    if (before !== undefined) {
      problems.push({ line: r.line, kind: 'duplicate', reason: `${v.grade}${v.label} 与第 ${before} 行重复` });
      continue;
    }
    seen.set(key, r.line);
    rows.push({ line: r.line, ...v });
  }
  if (!rows.length && !problems.length) return { ok: false, problems: [{ line: 1, kind: 'columns', reason: '没有读到任何班级，请粘贴 年级、班级、班主任、邮箱 四列' }] };
  return problems.length ? { ok: false, problems } : { ok: true, rows, header };
}
