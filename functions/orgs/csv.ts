/**
 * The org registry as CSV: what the Bureau keeps in a spreadsheet and imports with the CLI.
 *
 * Pure (no AWS, no fs): `parseOrgsCsv` turns the text of a file into `Org` items or into the
 * complete list of problems, each with the line number a user sees in a text editor or
 * spreadsheet (header = line 1). `formatOrgsCsv` writes the same format, so export → import
 * round-trips.
 *
 * Format: one row per contact. The first row of an id defines the org; further rows with the
 * same id add a contact and leave name/kind/district/direct_kind blank (or repeat them
 * exactly). A row whose contact columns are all blank adds no contact.
 */
import { parse, CsvError } from 'csv-parse/sync';
import type * as z from 'zod/mini';
import { Org, OrgId, type OrgKind, RESERVED_IDS } from '../../schemas/orgs.js';

export type OrgCsvField =
  | 'id'
  | 'name'
  | 'kind'
  | 'district'
  | 'direct_kind'
  | 'contact_name'
  | 'contact_email'
  | 'contact_phone';

/** The columns, in export order: English name, Chinese label (also accepted as a header), required. */
export const ORG_CSV_COLUMNS: readonly { field: OrgCsvField; label: string; aliases: readonly string[]; required: boolean }[] = [
  { field: 'id', label: '编号', aliases: ['id', '编号'], required: true },
  { field: 'name', label: '名称', aliases: ['name', '名称'], required: true },
  { field: 'kind', label: '类型', aliases: ['kind', '类型'], required: true },
  { field: 'district', label: '所属县区', aliases: ['district', '所属县区'], required: false },
  { field: 'direct_kind', label: '直属类别', aliases: ['direct_kind', '直属类别'], required: false },
  { field: 'contact_name', label: '联系人', aliases: ['contact_name', '联系人'], required: false },
  { field: 'contact_email', label: '邮箱', aliases: ['contact_email', '邮箱'], required: false },
  { field: 'contact_phone', label: '电话', aliases: ['contact_phone', '电话'], required: false },
];

const LABEL: Record<OrgCsvField, string> = Object.fromEntries(ORG_CSV_COLUMNS.map((c) => [c.field, c.label])) as Record<
  OrgCsvField,
  string
>;

const HEADER_ALIASES = new Map<string, OrgCsvField>(
  ORG_CSV_COLUMNS.flatMap((c) => c.aliases.map((a) => [a.toLowerCase(), c.field] as const)),
);

/** Accepted spellings of `kind` (compared trimmed and lower-cased). */
export const KIND_ALIASES: Readonly<Record<string, OrgKind>> = {
  bureau: 'bureau',
  市教育局: 'bureau',
  centre: 'centre',
  center: 'centre',
  中心: 'centre',
  辅导中心: 'centre',
  district: 'district',
  县区: 'district',
  县区教育局: 'district',
  教科体局: 'district',
  县区教科体局: 'district',
  教体办: 'district',
  school: 'school',
  学校: 'school',
};

export interface OrgsCsvError {
  /** Physical line in the file (header = 1); for a record with a quoted line break, its first line. */
  line: number;
  /** Plain zh-CN, without the "第 N 行：" prefix. */
  reason: string;
}

/** Something that does not stop the import but that the operator should know (same shape as an error). */
export type OrgsCsvWarning = OrgsCsvError;

export type ParseOrgsCsvResult = { ok: true; orgs: Org[]; warnings: OrgsCsvWarning[] } | { ok: false; errors: OrgsCsvError[] };

const KIND_HINT = '应为 bureau/centre/district/school 或 市教育局/中心/县区/学校';
const DIRECT_KIND_HINT = '应为 局属学校/省属事业单位办学校/市管民办学历教育学校';
const ID_HINT = '只能包含小写字母、数字和连字符，以字母或数字开头，2–48 位';
const PHONE_HINT = '只能包含数字、空格和 +-()，5–20 位，如 0791-86612885';
const RESERVED_HINT = `保留字有 ${RESERVED_IDS.join('、')}`;
const KIND_NAME: Record<OrgKind, string> = { bureau: '市教育局', centre: '辅导中心', district: '县区', school: '学校' };

interface Row {
  line: number;
  v: Record<OrgCsvField, string>;
}

interface Group {
  id: string;
  rows: Row[];
}

function resolveKind(raw: string): OrgKind | undefined {
  return KIND_ALIASES[raw.trim().toLowerCase()];
}

function quoteZh(s: string): string {
  return `“${s}”`;
}

/**
 * Parses an org registry CSV. `known` are the orgs already stored (for district references and
 * the one-Bureau / one-Centre rule); an org in the file with the id of a known org replaces it.
 * New orgs get `tokenVersion: 1`; a caller updating a stored org keeps the stored version.
 */
export function parseOrgsCsv(text: string, known: Pick<Org, 'id' | 'kind'>[] = []): ParseOrgsCsvResult {
  const errors: OrgsCsvError[] = [];
  const fail = (line: number, reason: string): void => {
    errors.push({ line, reason });
  };
  const done = (): ParseOrgsCsvResult => ({ ok: false, errors: sortErrors(errors) });

  // One line-break convention, so physical lines are easy to count (csv-parse auto-detects only
  // the first kind it sees, and a file edited by hand can mix them).
  const normalised = (text.startsWith('\uFEFF') ? text.slice(1) : text).replace(/\r\n?/g, '\n');

  const garbled = normalised.indexOf('\uFFFD');
  if (garbled >= 0) {
    fail(
      lineAt(normalised, garbled),
      '文件不是 UTF-8 编码（出现乱码）：请在 Excel 中“另存为”并选择“CSV UTF-8（逗号分隔）”',
    );
    return done();
  }

  // ---- 1. CSV syntax -------------------------------------------------------------------
  let lastRecordEnd = 0;
  let records: { line: number; fields: string[] }[];
  try {
    const parsed = parse(normalised, {
      info: true,
      record_delimiter: '\n',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      on_record: (record: string[], ctx) => {
        lastRecordEnd = ctx.lines;
        return record;
      },
    }) as unknown as { record: string[]; info: { lines: number } }[];
    records = parsed.map(({ record, info }) => ({
      // `info.lines` is the line on which the record ends; step back over quoted line breaks.
      line: info.lines - record.reduce((n, f) => n + countNewlines(f), 0),
      fields: record,
    }));
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
      fail(nextNonBlankLine(normalised, lastRecordEnd), '引号未闭合：以英文双引号 " 开始的字段缺少结束的双引号');
    } else if (err.code === 'CSV_MAX_RECORD_SIZE') {
      fail(typeof err.lines === 'number' ? err.lines : lastRecordEnd + 1, '本行过长，请检查分隔符和引号');
    } else {
      fail(typeof err.lines === 'number' ? err.lines : lastRecordEnd + 1, `CSV 格式错误（${err.code}）`);
    }
    return done();
  }

  // Lines with only commas/spaces (spreadsheets export trailing blank rows like ",,,,,,,") are skipped.
  records = records.filter((r) => r.fields.some((f) => f.trim() !== ''));
  const headerRecord = records[0];
  if (!headerRecord) {
    fail(1, '文件中没有机构');
    return done();
  }

  // ---- 2. Header -----------------------------------------------------------------------
  const headerLine = headerRecord.line;
  const columnOf = new Map<OrgCsvField, number>();
  const unknown: string[] = [];
  headerRecord.fields.forEach((cell, index) => {
    const name = cell.replace(/^\uFEFF/, '').trim();
    if (name === '') return; // a blank header cell: the column must stay empty (checked per row)
    const field = HEADER_ALIASES.get(name.toLowerCase());
    if (!field) unknown.push(name);
    else if (columnOf.has(field)) fail(headerLine, `列${quoteZh(name)}重复（${field}/${LABEL[field]} 只能出现一次）`);
    else columnOf.set(field, index);
  });
  if (columnOf.size === 0) {
    fail(headerLine, `第一行应为表头，如 ${ORG_CSV_COLUMNS.map((c) => c.field).join(',')}`);
    return done();
  }
  if (unknown.length > 0) {
    fail(
      headerLine,
      `未知列${unknown.map(quoteZh).join('')}，可用的列为 ${ORG_CSV_COLUMNS.map((c) => `${c.field}/${c.label}`).join('、')}`,
    );
  }
  for (const c of ORG_CSV_COLUMNS) {
    if (c.required && !columnOf.has(c.field)) fail(headerLine, `缺少必填列 ${c.field}（${c.label}）`);
  }
  if (errors.length > 0) return done();

  // ---- 3. Rows -------------------------------------------------------------------------
  const usedIndexes = new Set(columnOf.values());
  const groups = new Map<string, Group>();
  for (const { line, fields } of records.slice(1)) {
    const stray = fields.findIndex((f, i) => !usedIndexes.has(i) && f.trim() !== '');
    if (stray >= 0) {
      fail(
        line,
        stray >= headerRecord.fields.length
          ? `本行有 ${fields.length} 列，多于表头的 ${headerRecord.fields.length} 列（含逗号的内容请用英文双引号括起来）`
          : `第 ${stray + 1} 列有内容但没有列名`,
      );
    }
    const v = Object.fromEntries(
      ORG_CSV_COLUMNS.map((c) => {
        const index = columnOf.get(c.field);
        return [c.field, index === undefined ? '' : (fields[index] ?? '').trim()];
      }),
    ) as Record<OrgCsvField, string>;
    for (const c of ORG_CSV_COLUMNS) {
      if (/\n/.test(v[c.field])) fail(line, `${c.label}不能包含换行`);
    }
    if (v.id === '') {
      fail(line, '编号不能为空');
      continue;
    }
    const group = groups.get(v.id);
    if (group) group.rows.push({ line, v });
    else groups.set(v.id, { id: v.id, rows: [{ line, v }] });
  }
  if (groups.size === 0 && errors.length === 0) {
    fail(headerLine, '文件中没有机构');
    return done();
  }

  // District names in the file, to give a hint when someone types a name instead of an id.
  const districtIdByName = new Map<string, string>();
  for (const g of groups.values()) {
    const first = g.rows[0]!;
    if (resolveKind(first.v.kind) === 'district') districtIdByName.set(first.v.name, g.id);
  }

  // ---- 4. One org per id -----------------------------------------------------------------
  interface Built {
    line: number;
    org: Org | undefined;
    id: string;
    kind: OrgKind | undefined;
    /** A District school whose district reference is well-formed: check that it exists. */
    districtRef: string | undefined;
  }
  const built: Built[] = [];
  for (const group of groups.values()) {
    const [first, ...rest] = group.rows as [Row, ...Row[]];
    const def = first.v;

    let kindReported = false;
    const kind = resolveKind(def.kind);
    if (def.kind === '') {
      fail(first.line, '类型不能为空');
      kindReported = true;
    } else if (!kind) {
      fail(first.line, `类型${quoteZh(def.kind)}无效，${KIND_HINT}`);
      kindReported = true;
    }

    // Further rows: same org columns or blank.
    for (const row of rest) {
      for (const field of ['name', 'kind', 'district', 'direct_kind'] as const) {
        const value = row.v[field];
        if (value === '') continue;
        if (field === 'kind') {
          const k = resolveKind(value);
          if (!k) {
            fail(row.line, `类型${quoteZh(value)}无效，${KIND_HINT}`);
            continue;
          }
          if (k === kind) continue;
        } else if (value === def[field]) {
          continue;
        }
        const was = def[field] === '' ? '（空）' : `的${quoteZh(def[field])}`;
        fail(
          row.line,
          `${LABEL[field]}${quoteZh(value)}与第 ${first.line} 行${was}不一致：同一编号的后续行只补充联系人，机构信息留空或与第一行相同`,
        );
      }
    }

    // Contacts: one per row that has any contact column filled.
    const contacts: { name: string; email: string; phone?: string }[] = [];
    const contactLines: number[] = [];
    const emailLine = new Map<string, number>();
    for (const row of group.rows) {
      const { contact_name: name, contact_email: email, contact_phone: phone } = row.v;
      if (name === '' && email === '' && phone === '') continue;
      const key = email.toLowerCase();
      const seen = emailLine.get(key);
      if (email !== '' && seen !== undefined) {
        fail(row.line, `邮箱${quoteZh(email)}在本机构中重复（第 ${seen} 行已填写）`);
        continue;
      }
      if (email !== '') emailLine.set(key, row.line);
      contacts.push(phone === '' ? { name, email } : { name, email, phone });
      contactLines.push(row.line);
    }

    // School routing: District school xor Direct school; only schools have either.
    let routingReported = false;
    if (kind === 'school' && def.district !== '' && def.direct_kind !== '') {
      fail(first.line, '学校不能同时填写所属县区和直属类别：区属学校只填所属县区，直属学校只填直属类别');
      routingReported = true;
    } else if (kind === 'school' && def.district === '' && def.direct_kind === '') {
      fail(first.line, '学校必须填写所属县区（区属学校）或直属类别（直属学校）之一');
      routingReported = true;
    } else if (kind && kind !== 'school' && (def.district !== '' || def.direct_kind !== '')) {
      fail(first.line, `只有学校可以填写${def.district !== '' ? '所属县区' : '直属类别'}`);
      routingReported = true;
    }

    const candidate = {
      id: group.id,
      name: def.name,
      kind: kind ?? def.kind,
      ...(def.district !== '' ? { districtId: def.district } : {}),
      ...(def.direct_kind !== '' ? { directKind: def.direct_kind } : {}),
      contacts,
      tokenVersion: 1,
    };
    const result = Org.safeParse(candidate);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const mapped = describeIssue(issue, {
          def,
          firstLine: first.line,
          contacts,
          contactLines,
          kindReported,
          routingReported,
          districtIdByName,
        });
        if (mapped) fail(mapped.line, mapped.reason);
      }
    }
    built.push({
      line: first.line,
      org: result.success ? result.data : undefined,
      id: group.id,
      kind,
      districtRef:
        kind === 'school' && !routingReported && OrgId.safeParse(def.district).success ? def.district : undefined,
    });
  }

  // ---- 5. Across rows and with the stored orgs --------------------------------------------
  const merged = new Map<string, OrgKind | undefined>(known.map((k) => [k.id, k.kind]));
  for (const b of built) merged.set(b.id, b.kind);

  for (const b of built) {
    if (b.districtRef === undefined) continue;
    if (!merged.has(b.districtRef)) {
      fail(b.line, `所属县区${quoteZh(b.districtRef)}不存在：应填写本文件或系统中已有的县区机构的编号`);
    } else {
      const k = merged.get(b.districtRef);
      if (k !== undefined && k !== 'district') {
        fail(b.line, `所属县区${quoteZh(b.districtRef)}不是县区机构（其类型为 ${k}）`);
      }
    }
  }

  const inFile = new Set(built.map((b) => b.id));
  for (const [kind, label, min] of [
    ['bureau', '市教育局', 1],
    ['centre', '辅导中心', 0],
  ] as const) {
    const keptKnown = known.filter((k) => k.kind === kind && !inFile.has(k.id)).map((k) => k.id);
    const fileOnes = built.filter((b) => b.kind === kind);
    let allowed = 1 - keptKnown.length;
    const holder = keptKnown[0] ?? fileOnes[0]?.id;
    for (const b of fileOnes) {
      if (allowed > 0) allowed -= 1;
      else fail(b.line, `${label}（类型 ${kind}）只能有一个，已有${quoteZh(holder ?? '')}`);
    }
    if (min > 0 && keptKnown.length + fileOnes.length === 0) {
      fail(headerLine, `没有${label}（类型 ${kind}）：文件或系统中必须有且只有一个`);
    }
  }

  if (errors.length > 0) return done();

  // ---- 6. Warnings: what imports but will not work as the operator expects ------------------
  // A District office or school counts as 应报 in every campaign for "all"; without an e-mail it
  // never gets the invitation or a reminder.
  const warnings: OrgsCsvWarning[] = [];
  for (const b of built) {
    const org = b.org!;
    if ((org.kind === 'school' || org.kind === 'district') && org.contacts.length === 0) {
      warnings.push({ line: b.line, reason: `${KIND_NAME[org.kind]}${quoteZh(org.name)}（${org.id}）没有联系邮箱，将无法收到邀请和提醒` });
    }
  }
  return { ok: true, orgs: built.map((b) => b.org!), warnings: sortErrors(warnings) };
}

interface IssueContext {
  def: Record<OrgCsvField, string>;
  firstLine: number;
  contacts: { name: string; email: string; phone?: string }[];
  contactLines: number[];
  kindReported: boolean;
  routingReported: boolean;
  districtIdByName: Map<string, string>;
}

/** zod's messages are English: say the same per field in Chinese, on the right line. */
function describeIssue(issue: z.core.$ZodIssue, c: IssueContext): OrgsCsvError | null {
  const [head, index, leaf] = issue.path;
  const line = c.firstLine;
  switch (head) {
    case undefined:
      // The schema's own refinements (school routing): already said more precisely above.
      return c.routingReported ? null : { line, reason: issue.message };
    case 'id':
      if (RESERVED_IDS.includes(c.def.id)) return { line, reason: `编号${quoteZh(c.def.id)}是系统保留字，不能用作机构编号（${RESERVED_HINT}），请换一个编号` };
      return { line, reason: `编号${quoteZh(c.def.id)}无效：${ID_HINT}` };
    case 'name':
      if (c.def.name === '') return { line, reason: '名称不能为空' };
      if (issue.code === 'too_small') return { line, reason: `名称${quoteZh(c.def.name)}过短：至少 2 个字` };
      if (issue.code === 'too_big') return { line, reason: '名称过长：最多 80 个字' };
      return { line, reason: `名称${quoteZh(c.def.name)}无效` };
    case 'kind':
      return c.kindReported ? null : { line, reason: `类型${quoteZh(c.def.kind)}无效，${KIND_HINT}` };
    case 'districtId': {
      if (c.def.district === 'direct') return { line, reason: '所属县区“direct”无效：直属学校请将所属县区留空，并填写直属类别（局属学校/省属事业单位办学校/市管民办学历教育学校）' };
      if (RESERVED_IDS.includes(c.def.district)) return { line, reason: `所属县区${quoteZh(c.def.district)}是系统保留字，不是县区机构的编号（如 d-donghu）` };
      const hintId = c.districtIdByName.get(c.def.district);
      const hint = hintId ? `（${c.def.district} 的编号是 ${hintId}）` : '（如 d-donghu）';
      return { line, reason: `所属县区${quoteZh(c.def.district)}无效：应填写县区机构的编号而不是名称${hint}` };
    }
    case 'directKind':
      return { line, reason: `直属类别${quoteZh(c.def.direct_kind)}无效，${DIRECT_KIND_HINT}` };
    case 'contacts': {
      if (typeof index !== 'number') {
        if (issue.code === 'too_big') {
          return { line: c.contactLines[10] ?? line, reason: '联系人过多：每个机构最多 10 个' };
        }
        return { line, reason: `联系人无效：${issue.message}` };
      }
      const at = c.contactLines[index] ?? line;
      const contact = c.contacts[index];
      if (leaf === 'name') {
        if (issue.code === 'too_big') return { line: at, reason: '联系人姓名过长：最多 40 个字' };
        return { line: at, reason: '联系人不能为空（填写了邮箱或电话时必填）' };
      }
      if (leaf === 'email') {
        if (!contact?.email) return { line: at, reason: '邮箱不能为空（填写了联系人时必填）' };
        return { line: at, reason: `邮箱${quoteZh(contact.email)}格式不正确` };
      }
      if (leaf === 'phone') return { line: at, reason: `电话${quoteZh(contact?.phone ?? '')}格式不正确：${PHONE_HINT}` };
      return { line: at, reason: `联系人无效：${issue.message}` };
    }
    default:
      return { line, reason: `${issue.path.join('.')}：${issue.message}` };
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '\n') n += 1;
  return n;
}

/** 1-based line of a character offset in LF-normalised text. */
function lineAt(text: string, offset: number): number {
  return countNewlines(text.slice(0, offset)) + 1;
}

/** The first non-blank line after `line` (where an unterminated record began). */
function nextNonBlankLine(text: string, line: number): number {
  const lines = text.split('\n');
  for (let i = line; i < lines.length; i += 1) if (lines[i]!.trim() !== '') return i + 1;
  return line + 1;
}

function sortErrors(errors: OrgsCsvError[]): OrgsCsvError[] {
  const seen = new Set<string>();
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.line - b.e.line || a.i - b.i)
    .map(({ e }) => e)
    .filter((e) => {
      const key = `${e.line}\u0000${e.reason}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

// ---- Export ------------------------------------------------------------------------------

function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Writes orgs in the import format: English header, one row per contact (the org columns are
 * repeated on every row, so the sheet can be sorted and filtered), an org without contacts on
 * one row. UTF-8 BOM and CRLF, so Excel opens it as UTF-8.
 */
export function formatOrgsCsv(orgs: Org[]): string {
  const rows: string[][] = [ORG_CSV_COLUMNS.map((c) => c.field)];
  for (const o of orgs) {
    const base = [o.id, o.name, o.kind, o.districtId ?? '', o.directKind ?? ''];
    if (o.contacts.length === 0) rows.push([...base, '', '', '']);
    for (const c of o.contacts) rows.push([...base, c.name, c.email, c.phone ?? '']);
  }
  return `\uFEFF${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}
