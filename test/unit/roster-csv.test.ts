import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseRosterCsv, splitRecords } from '../../functions/contacts/roster-csv.js';

const ok = (text: string) => {
  const r = parseRosterCsv(text);
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.problems)}`);
  return r;
};
const problems = (text: string, max?: number) => {
  const r = parseRosterCsv(text, max);
  if (r.ok) throw new Error('accepted');
  return r.problems;
};

describe('the pasted class list', () => {
  it('reads Excel’s tab-separated copy with its header, and comma-separated text without one, the same', () => {
    const tabs = ok('年级\t班级\t班主任\t邮箱\r\n七年级\t1班\t王芳\twang@example.org\r\n七年级\t2班\t李强\tli@example.org\r\n');
    const commas = ok('七年级,1班,王芳,wang@example.org\n七年级,2班,李强,li@example.org');
    expect(tabs.header).toBe(true);
    expect(commas.header).toBe(false);
    const strip = (rows: { line: number }[]) => rows.map(({ line: _l, ...r }) => r);
    expect(strip(tabs.rows)).toEqual(strip(commas.rows));
    expect(tabs.rows.map((r) => r.line)).toEqual([2, 3]);
    expect(commas.rows[1]).toEqual({ line: 2, grade: '七年级', label: '2班', teacher: '李强', email: 'li@example.org' });
  });

  it('drops a BOM, blank lines, trailing empty cells (Excel’s) and spaces; full-width characters are normalised', () => {
    const r = ok('\uFEFF年级,班级,班主任,邮箱\n\n 七年级 ,１班, 王芳 ,ｗａｎｇ＠example.org,,\n\n');
    expect(r.rows).toEqual([{ line: 3, grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' }]);
  });

  it('takes the header’s column order, in Chinese or English', () => {
    const r = ok('Email,Teacher,Grade,Class\nwang@example.org,王芳,七年级,1班');
    expect(r.rows[0]).toMatchObject({ grade: '七年级', label: '1班', teacher: '王芳', email: 'wang@example.org' });
  });

  it('reads quoted cells: a comma, a doubled quote; a quoted line break is refused as a character (with the record’s first line)', () => {
    expect(ok('"七年级","1班","王""小""芳",wang@example.org').rows[0]?.teacher).toBe('王"小"芳');
    expect(ok('七年级,"1,2班",王芳,wang@example.org').rows[0]?.label).toBe('1,2班');
    expect(problems('七年级,1班,"王\n芳",wang@example.org\n七年级,2班,李强,bad')).toEqual([
      { line: 1, kind: 'control', reason: expect.stringContaining('班主任') },
      { line: 3, kind: 'email', reason: expect.stringContaining('bad') },
    ]);
    expect(problems('七年级,1班,"王芳,wang@example.org')).toEqual([{ line: 1, kind: 'quote', reason: expect.stringContaining('引号') }]);
    expect(problems('七年级,1班,"王芳"x,wang@example.org')[0]?.kind).toBe('quote');
  });

  it('splits records as csv-parse does on the same text (commas, quotes, CRLF)', () => {
    const text = 'a,"b,1","c ""q"""\r\n"d\ne",f,g\r\nh,,i'; // (a CRLF inside quotes reads as LF here; a cell's line break is refused anyway)
    expect(splitRecords(text).records.map((r) => r.cells)).toEqual(parse(text, { relax_column_count: true }));
    const tsv = 'a\t"b\t1"\tc\nd\te\tf';
    expect(splitRecords(tsv).records.map((r) => r.cells)).toEqual(parse(tsv, { delimiter: '\t' }));
  });

  it('names every bad row with its line and why, and refuses the whole list', () => {
    const p = problems(['年级,班级,班主任,邮箱', '七年级,1班,王芳,wang@example.org', '七年级,2班,李强,li-at-example.org', '七年级,,张伟,zhang@example.org', '七年级,3班,赵敏'].join('\n'));
    expect(p.map((x) => [x.line, x.kind])).toEqual([
      [3, 'email'],
      [4, 'label'],
      [5, 'columns'],
    ]);
    expect(p[0]?.reason).toMatch(/邮箱.*li-at-example\.org.*格式不正确/);
  });

  it('refuses the same grade and class twice, naming the first row', () => {
    const p = problems('七年级,1班,王芳,wang@example.org\n七年级,2班,李强,li@example.org\n七年级,1班,张伟,zhang@example.org');
    expect(p).toEqual([{ line: 3, kind: 'duplicate', reason: '七年级1班 与第 1 行重复' }]);
  });

  it('refuses more rows than a school may have classes', () => {
    const rows = Array.from({ length: 4 }, (_, i) => `七年级,${i + 1}班,王芳,w${i}@example.org`).join('\n');
    expect(ok(rows).rows).toHaveLength(4);
    expect(problems(rows, 3)).toEqual([{ line: 4, kind: 'too-many', reason: expect.stringContaining('最多导入 3 个班级') }]);
    const many = Array.from({ length: 201 }, (_, i) => `八年级,${i + 1}班,王芳,w${i}@example.org`).join('\n');
    expect(problems(many)[0]?.kind).toBe('too-many');
  });

  it('refuses a header with a missing or unknown column, and an empty paste', () => {
    expect(problems('年级,班级,邮箱\n七年级,1班,wang@example.org')).toEqual([{ line: 1, kind: 'header', reason: expect.stringContaining('缺少 班主任') }]);
    expect(problems('年级,班级,班主任,邮箱,电话\n七年级,1班,王芳,wang@example.org,123')[0]?.reason).toContain('不认识的列：电话');
    expect(problems('\n \n')[0]?.kind).toBe('columns');
  });

  it('refuses too long a name', () => {
    expect(problems(`七年级,1班,${'王'.repeat(41)},wang@example.org`)[0]).toMatchObject({ line: 1, kind: 'teacher' });
  });
});
