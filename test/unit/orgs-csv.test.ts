import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { formatOrgsCsv, parseOrgsCsv, type ParseOrgsCsvResult } from '../../functions/orgs/csv.js';
import { type Org, RESERVED_IDS } from '../../schemas/orgs.js';

const H = 'id,name,kind,district,direct_kind,contact_name,contact_email,contact_phone';
const BUREAU = 'bureau,南昌市教育局,bureau,,,王晓雯,bureau.office@example.org,0791-85550001';
const DISTRICT = 'd-donghu,东湖区教科体局,district,,,赵永红,donghu.jiaoyu@example.org,0791-85550002';
const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

function orgsOf(r: ParseOrgsCsvResult): Org[] {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.orgs;
}
function errorsOf(r: ParseOrgsCsvResult) {
  if (r.ok) throw new Error(`expected errors, got ${r.orgs.length} orgs`);
  return r.errors;
}
const byId = (orgs: Org[], id: string) => orgs.find((o) => o.id === id);

const EXPECTED_BASIC: Org[] = [
  {
    id: 'bureau',
    name: '南昌市教育局',
    kind: 'bureau',
    contacts: [{ name: '王晓雯', email: 'bureau.office@example.org', phone: '0791-85550001' }],
    tokenVersion: 1,
  },
  {
    id: 'd-donghu',
    name: '东湖区教科体局',
    kind: 'district',
    contacts: [{ name: '赵永红', email: 'donghu.jiaoyu@example.org', phone: '0791-85550002' }],
    tokenVersion: 1,
  },
  {
    id: 's-donghu-wutong',
    name: '东湖区梧桐小学',
    kind: 'school',
    districtId: 'd-donghu',
    contacts: [{ name: '刘明辉', email: 'wutong@example.com' }],
    tokenVersion: 1,
  },
];
const BASIC_LINES = [H, BUREAU, DISTRICT, 's-donghu-wutong,东湖区梧桐小学,school,d-donghu,,刘明辉,wutong@example.com,'];

describe('parseOrgsCsv: encodings and layout', () => {
  it('reads UTF-8 with a BOM and without one, to the same orgs', () => {
    const plain = csv(...BASIC_LINES);
    expect(orgsOf(parseOrgsCsv(plain))).toEqual(EXPECTED_BASIC);
    expect(orgsOf(parseOrgsCsv(`\uFEFF${plain}`))).toEqual(EXPECTED_BASIC);
  });

  it('reads CRLF line ends, and counts lines the same way', () => {
    expect(orgsOf(parseOrgsCsv(BASIC_LINES.join('\r\n')))).toEqual(EXPECTED_BASIC);
    const bad = [H, BUREAU, 's-x,某小学,学堂,,,,,'].join('\r\n');
    expect(errorsOf(parseOrgsCsv(bad))).toEqual([
      { line: 3, reason: '类型“学堂”无效，应为 bureau/centre/district/school 或 市教育局/中心/县区/学校' },
    ]);
  });

  it('accepts Chinese headers, case-insensitive trimmed English headers and Chinese kind names', () => {
    const zh = csv(
      '编号,名称,类型,所属县区,直属类别,联系人,邮箱,电话',
      'bureau,南昌市教育局,市教育局,,,王晓雯,bureau.office@example.org,0791-85550001',
      'centre,南昌市未成年人心理健康辅导中心,中心,,,魏洪,centre.weihong@example.org,0791-86612885',
      'd-donghu,东湖区教科体局,县区,,,赵永红,donghu.jiaoyu@example.org,0791-85550002',
      'd-gaoxin,高新区教体办,教体办,,,叶鹏飞,gaoxin.jiaoyu@example.org,',
      's-donghu-wutong,东湖区梧桐小学,学校,d-donghu,,刘明辉,wutong@example.com,',
    );
    const orgs = orgsOf(parseOrgsCsv(zh));
    expect(orgs.map((o) => [o.id, o.kind])).toEqual([
      ['bureau', 'bureau'],
      ['centre', 'centre'],
      ['d-donghu', 'district'],
      ['d-gaoxin', 'district'],
      ['s-donghu-wutong', 'school'],
    ]);
    expect(byId(orgs, 'centre')?.contacts).toEqual([{ name: '魏洪', email: 'centre.weihong@example.org', phone: '0791-86612885' }]);

    const mixed = csv(' ID ,Name,KIND,所属县区,Contact_Email,联系人', 'bureau,南昌市教育局,Bureau,,a@example.org,甲');
    expect(orgsOf(parseOrgsCsv(mixed))).toEqual([
      { id: 'bureau', name: '南昌市教育局', kind: 'bureau', contacts: [{ name: '甲', email: 'a@example.org' }], tokenVersion: 1 },
    ]);
  });

  it('takes one row per contact; blank org columns on later rows; a row without contact adds none', () => {
    const text = csv(
      H,
      BUREAU,
      'd-xihu,西湖区教科体局,district,,,,,',
      'd-xihu,,,,,宋雅琴,xihu.jiaoyu@example.org,0791-85550004',
      'd-xihu,西湖区教科体局,district,,,彭立新,xihu.office@example.net,',
      'd-anyi,安义县教科体局,district,,,,,',
    );
    const orgs = orgsOf(parseOrgsCsv(text));
    expect(byId(orgs, 'd-xihu')).toEqual({
      id: 'd-xihu',
      name: '西湖区教科体局',
      kind: 'district',
      contacts: [
        { name: '宋雅琴', email: 'xihu.jiaoyu@example.org', phone: '0791-85550004' },
        { name: '彭立新', email: 'xihu.office@example.net' },
      ],
      tokenVersion: 1,
    });
    expect(byId(orgs, 'd-anyi')?.contacts).toEqual([]);
    expect(orgs).toHaveLength(3);
  });

  it('reads a Direct school of each of the three kinds', () => {
    const text = csv(
      H,
      BUREAU,
      's-direct-qingjin,南昌市青衿中学,school,,局属学校,许春梅,qingjin@example.com,',
      's-direct-yunjin,江西省云锦研究院附属小学,school,,省属事业单位办学校,廖国华,yunjin@example.com,',
      's-direct-hanmo,南昌翰墨书院学校,school,,市管民办学历教育学校,黎俊杰,hanmo@example.com,',
    );
    const orgs = orgsOf(parseOrgsCsv(text));
    expect(orgs.slice(1).map((o) => [o.id, o.directKind, o.districtId])).toEqual([
      ['s-direct-qingjin', '局属学校', undefined],
      ['s-direct-yunjin', '省属事业单位办学校', undefined],
      ['s-direct-hanmo', '市管民办学历教育学校', undefined],
    ]);
  });

  it('skips blank lines and all-comma lines but keeps counting them', () => {
    const text = csv(H, '', BUREAU, ',,,,,,,', '   ', 's-x,某某小学,school,d-none,,,,');
    expect(errorsOf(parseOrgsCsv(text))).toEqual([
      { line: 6, reason: '所属县区“d-none”不存在：应填写本文件或系统中已有的县区机构的编号' },
    ]);
  });
});

describe('parseOrgsCsv: errors carry the physical line number', () => {
  const one = (...rows: string[]) => errorsOf(parseOrgsCsv(csv(H, BUREAU, DISTRICT, ...rows)));

  it('empty file and header-only file: 文件中没有机构', () => {
    expect(errorsOf(parseOrgsCsv(''))).toEqual([{ line: 1, reason: '文件中没有机构' }]);
    expect(errorsOf(parseOrgsCsv('\uFEFF'))).toEqual([{ line: 1, reason: '文件中没有机构' }]);
    expect(errorsOf(parseOrgsCsv(`${H}\r\n`))).toEqual([{ line: 1, reason: '文件中没有机构' }]);
  });

  it('unknown and missing columns are reported on line 1, and nothing else', () => {
    const errors = errorsOf(parseOrgsCsv(csv('id,name,备注,level', 'bureau,南昌市教育局,x,y')));
    expect(errors.map((e) => e.line)).toEqual([1, 1]);
    expect(errors[0]!.reason).toMatch(/^未知列“备注”“level”，可用的列为 id\/编号、name\/名称、kind\/类型/);
    expect(errors[1]!.reason).toBe('缺少必填列 kind（类型）');
  });

  it('a data row in place of the header is reported as a missing header', () => {
    const errors = errorsOf(parseOrgsCsv(csv('bureau,南昌市教育局,bureau', 'd-a,某区教科体局,district')));
    expect(errors).toEqual([{ line: 1, reason: '第一行应为表头，如 id,name,kind,district,direct_kind,contact_name,contact_email,contact_phone' }]);
  });

  it('bad kind', () => {
    expect(one('s-x,某某小学,学堂,d-donghu,,,,')).toEqual([
      { line: 4, reason: '类型“学堂”无效，应为 bureau/centre/district/school 或 市教育局/中心/县区/学校' },
    ]);
  });

  it('bad and blank id, blank kind, short name', () => {
    expect(one('S_X,某某小学,school,d-donghu,,,,', ',某某小学,school,d-donghu,,,,', 's-y,某某小学,,,,,,', 's-z,学,school,d-donghu,,,,')).toEqual([
      { line: 4, reason: '编号“S_X”无效：只能包含小写字母、数字和连字符，以字母或数字开头，2–48 位' },
      { line: 5, reason: '编号不能为空' },
      { line: 6, reason: '类型不能为空' },
      { line: 7, reason: '名称“学”过短：至少 2 个字' },
    ]);
  });

  it('contact errors: bad e-mail, missing e-mail, missing name, bad phone', () => {
    expect(
      one(
        's-a,甲小学,school,d-donghu,,张三,not-an-email,',
        's-b,乙小学,school,d-donghu,,李四,,0791-85550009',
        's-c,丙小学,school,d-donghu,,,c@example.com,',
        's-d,丁小学,school,d-donghu,,王五,d@example.com,12ab',
      ),
    ).toEqual([
      { line: 4, reason: '邮箱“not-an-email”格式不正确' },
      { line: 5, reason: '邮箱不能为空（填写了联系人时必填）' },
      { line: 6, reason: '联系人不能为空（填写了邮箱或电话时必填）' },
      { line: 7, reason: '电话“12ab”格式不正确：只能包含数字、空格和 +-()，5–20 位，如 0791-86612885' },
    ]);
  });

  it('a later row of the same id that changes the org is an error on that row', () => {
    expect(
      one(
        's-a,甲小学,school,d-donghu,,张三,a1@example.com,',
        's-a,乙小学,,,,李四,a2@example.com,',
        's-a,,school,,局属学校,王五,a3@example.com,',
      ),
    ).toEqual([
      { line: 5, reason: '名称“乙小学”与第 4 行的“甲小学”不一致：同一编号的后续行只补充联系人，机构信息留空或与第一行相同' },
      { line: 6, reason: '直属类别“局属学校”与第 4 行（空）不一致：同一编号的后续行只补充联系人，机构信息留空或与第一行相同' },
    ]);
  });

  it('a repeated e-mail within one org is an error (case-insensitive); across orgs it is fine', () => {
    expect(
      one(
        's-a,甲小学,school,d-donghu,,张三,same@example.com,',
        's-a,,,,,李四,Same@Example.com,',
        's-b,乙小学,school,d-donghu,,王五,same@example.com,',
      ),
    ).toEqual([{ line: 5, reason: '邮箱“Same@Example.com”在本机构中重复（第 4 行已填写）' }]);
  });

  it('more than 10 contacts: reported on the 11th', () => {
    const rows = Array.from({ length: 11 }, (_, i) => `s-a,甲小学,school,d-donghu,,人${i},p${i}@example.com,`);
    expect(one(...rows)).toEqual([{ line: 14, reason: '联系人过多：每个机构最多 10 个' }]);
  });

  it('unknown district, a district that is not a District office, a name instead of an id', () => {
    expect(
      one(
        's-a,甲小学,school,d-nowhere,,,,',
        's-b,乙小学,school,s-a,,,,',
        's-c,丙小学,school,东湖区教科体局,,,,',
      ),
    ).toEqual([
      { line: 4, reason: '所属县区“d-nowhere”不存在：应填写本文件或系统中已有的县区机构的编号' },
      { line: 5, reason: '所属县区“s-a”不是县区机构（其类型为 school）' },
      { line: 6, reason: '所属县区“东湖区教科体局”无效：应填写县区机构的编号而不是名称（东湖区教科体局 的编号是 d-donghu）' },
    ]);
  });

  it('a district already stored (known) satisfies the reference; a stored school does not', () => {
    const text = csv(H, 's-a,甲小学,school,d-stored,,,,', 's-b,乙小学,school,s-stored,,,,');
    const known = [
      { id: 'bureau', kind: 'bureau' as const },
      { id: 'd-stored', kind: 'district' as const },
      { id: 's-stored', kind: 'school' as const },
    ];
    expect(errorsOf(parseOrgsCsv(text, known))).toEqual([{ line: 3, reason: '所属县区“s-stored”不是县区机构（其类型为 school）' }]);
    expect(orgsOf(parseOrgsCsv(csv(H, 's-a,甲小学,school,d-stored,,,,'), known)).map((o) => o.districtId)).toEqual(['d-stored']);
  });

  it('school routing: both district and direct_kind, neither, or a non-school with one', () => {
    expect(
      one(
        's-a,甲小学,school,d-donghu,局属学校,,,',
        's-b,乙小学,school,,,,,',
        'd-b,某区教科体局,district,d-donghu,,,,',
        's-c,丙小学,school,,市属学校,,,',
      ),
    ).toEqual([
      { line: 4, reason: '学校不能同时填写所属县区和直属类别：区属学校只填所属县区，直属学校只填直属类别' },
      { line: 5, reason: '学校必须填写所属县区（区属学校）或直属类别（直属学校）之一' },
      { line: 6, reason: '只有学校可以填写所属县区' },
      { line: 7, reason: '直属类别“市属学校”无效，应为 局属学校/省属事业单位办学校/市管民办学历教育学校' },
    ]);
  });

  it('exactly one Bureau and at most one Centre, across the file and the stored orgs', () => {
    const twoInFile = csv(H, BUREAU, 'centre,中心甲,centre,,,,,', 'bureau-2,另一个教育局,bureau,,,,,', 'centre-2,中心乙,中心,,,,,');
    expect(errorsOf(parseOrgsCsv(twoInFile))).toEqual([
      { line: 4, reason: '市教育局（类型 bureau）只能有一个，已有“bureau”' },
      { line: 5, reason: '辅导中心（类型 centre）只能有一个，已有“centre”' },
    ]);

    const stored = [{ id: 'bureau', kind: 'bureau' as const }];
    expect(errorsOf(parseOrgsCsv(csv(H, 'bureau-2,另一个教育局,bureau,,,,,'), stored))).toEqual([
      { line: 2, reason: '市教育局（类型 bureau）只能有一个，已有“bureau”' },
    ]);
    // The same id replaces the stored one: still one Bureau.
    expect(orgsOf(parseOrgsCsv(csv(H, BUREAU), stored))).toHaveLength(1);

    expect(errorsOf(parseOrgsCsv(csv(H, DISTRICT)))).toEqual([
      { line: 1, reason: '没有市教育局（类型 bureau）：文件或系统中必须有且只有一个' },
    ]);
  });

  it('counts a quoted multi-line field as several lines: the next record gets its physical line', () => {
    const text = csv(
      H,
      BUREAU,
      'd-donghu,东湖区教科体局,district,,,"赵永红",donghu.jiaoyu@example.org,0791-85550002',
      's-a,"甲小学",school,d-donghu,,张三,"a@example.com",',
      's-b,"乙',
      '小学",school,d-donghu,,李四,b@example.com,',
      's-c,丙小学,学堂,d-donghu,,,,',
    );
    expect(errorsOf(parseOrgsCsv(text))).toEqual([
      { line: 5, reason: '名称不能包含换行' },
      { line: 7, reason: '类型“学堂”无效，应为 bureau/centre/district/school 或 市教育局/中心/县区/学校' },
    ]);
    // Same with CRLF inside and outside the quotes.
    expect(errorsOf(parseOrgsCsv(text.replace(/\n/g, '\r\n'))).map((e) => e.line)).toEqual([5, 7]);
  });

  it('an unclosed quote is reported on the line where the field starts', () => {
    const text = csv(H, BUREAU, DISTRICT, 's-a,"甲小学,school,d-donghu,,,,', 's-b,乙小学,school,d-donghu,,,,');
    expect(errorsOf(parseOrgsCsv(text))).toEqual([
      { line: 4, reason: '引号未闭合：以英文双引号 " 开始的字段缺少结束的双引号' },
    ]);
  });

  it('more fields than the header (an unquoted comma) is an error on that line', () => {
    expect(one('s-a,甲小学,school,d-donghu,,张三,a@example.com,0791-85550001,多余')).toEqual([
      { line: 4, reason: '本行有 9 列，多于表头的 8 列（含逗号的内容请用英文双引号括起来）' },
    ]);
  });

  it('text decoded from GBK (replacement characters) is refused with a hint', () => {
    const errors = errorsOf(parseOrgsCsv(csv(H, BUREAU, 's-a,\uFFFD\uFFFD小学,school,d-donghu,,,,')));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.line).toBe(3);
    expect(errors[0]!.reason).toContain('CSV UTF-8');
  });

  it('reports every error of the file at once, sorted by line, and imports nothing', () => {
    const result = parseOrgsCsv(
      csv(
        H,
        BUREAU,
        DISTRICT,
        's-ok,好小学,school,d-donghu,,,,',
        's-a,甲小学,学堂,d-donghu,,,,',
        's-b,乙小学,school,d-none,,,,',
        's-c,丙小学,school,d-donghu,,张三,bad,',
        's-d,丁小学,school,d-donghu,局属学校,,,',
      ),
    );
    expect(result.ok).toBe(false);
    expect(errorsOf(result).map((e) => e.line)).toEqual([5, 6, 7, 8]);
    expect('orgs' in result).toBe(false);
  });

  it('test/fixtures/orgs-bad.csv gives the documented errors (with the seed stored)', () => {
    const seed = orgsOf(parseOrgsCsv(readFileSync(new URL('../../local/seed/orgs.csv', import.meta.url), 'utf8')));
    const bad = readFileSync(new URL('../fixtures/orgs-bad.csv', import.meta.url), 'utf8');
    const errors = errorsOf(parseOrgsCsv(bad, seed));
    expect(errors).toEqual([
      { line: 5, reason: '类型“学堂”无效，应为 bureau/centre/district/school 或 市教育局/中心/县区/学校' },
      { line: 6, reason: '所属县区“d-nowhere”不存在：应填写本文件或系统中已有的县区机构的编号' },
      { line: 7, reason: '学校不能同时填写所属县区和直属类别：区属学校只填所属县区，直属学校只填直属类别' },
      { line: 8, reason: '名称不能包含换行' },
      { line: 10, reason: '邮箱“not-an-email”格式不正确' },
      { line: 12, reason: '名称“坏样例区庚小学”与第 11 行的“坏样例区己小学”不一致：同一编号的后续行只补充联系人，机构信息留空或与第一行相同' },
      { line: 13, reason: '邮箱“Badtest-F.Xinli@example.com”在本机构中重复（第 11 行已填写）' },
      { line: 14, reason: '编号“S-BADTEST-G”无效：只能包含小写字母、数字和连字符，以字母或数字开头，2–48 位' },
      { line: 15, reason: '电话“12ab”格式不正确：只能包含数字、空格和 +-()，5–20 位，如 0791-86612885' },
      { line: 16, reason: '联系人不能为空（填写了邮箱或电话时必填）' },
      { line: 17, reason: '直属类别“市属学校”无效，应为 局属学校/省属事业单位办学校/市管民办学历教育学校' },
    ]);
    // Without the stored orgs the result is the same: the file brings its own Bureau.
    expect(errorsOf(parseOrgsCsv(bad))).toEqual(errors);
  });
});

describe('parseOrgsCsv: reserved words are never ids', () => {
  const one = (...rows: string[]) => errorsOf(parseOrgsCsv(csv(H, BUREAU, DISTRICT, ...rows)));

  it('refuses a reserved word as an id, naming the line (direct, city: the old route keys)', () => {
    expect(one('direct,直属学校组,district,,,,,', 's-a,甲小学,school,d-donghu,,,,', 'city,城区教科体局,district,,,,,')).toEqual([
      {
        line: 4,
        reason: `编号“direct”是系统保留字，不能用作机构编号（保留字有 ${RESERVED_IDS.join('、')}），请换一个编号`,
      },
      {
        line: 6,
        reason: `编号“city”是系统保留字，不能用作机构编号（保留字有 ${RESERVED_IDS.join('、')}），请换一个编号`,
      },
    ]);
  });

  it('refuses every reserved word, and imports nothing', () => {
    for (const w of RESERVED_IDS) {
      const r = parseOrgsCsv(csv(H, BUREAU, `${w},某某小学,school,,局属学校,,,`));
      expect(r.ok, w).toBe(false);
      expect(errorsOf(r).map((e) => [e.line, e.reason.startsWith(`编号“${w}”是系统保留字`)]), w).toEqual([[3, true]]);
    }
  });

  it('a reserved word in the district column: "direct" gets the Direct-school hint, others are refused too', () => {
    expect(one('s-a,甲小学,school,direct,,,,', 's-b,乙小学,school,all,,,,')).toEqual([
      { line: 4, reason: '所属县区“direct”无效：直属学校请将所属县区留空，并填写直属类别（局属学校/省属事业单位办学校/市管民办学历教育学校）' },
      { line: 5, reason: '所属县区“all”是系统保留字，不是县区机构的编号（如 d-donghu）' },
    ]);
  });

  it('ids that only contain a reserved word are fine', () => {
    const orgs = orgsOf(parseOrgsCsv(csv(H, BUREAU, 'd-city,城区教科体局,district,,,甲,a@example.org,', 's-direct-a,直属甲校,school,,局属学校,乙,b@example.org,')));
    expect(orgs.map((o) => o.id)).toEqual(['bureau', 'd-city', 's-direct-a']);
  });
});

describe('parseOrgsCsv: warnings', () => {
  it('a school or District office without a contact e-mail imports, with a warning on its line', () => {
    const r = parseOrgsCsv(
      csv(
        H,
        'bureau,南昌市教育局,bureau,,,,,',
        'centre,辅导中心,centre,,,,,',
        DISTRICT,
        'd-xihu,西湖区教科体局,district,,,,,',
        's-donghu-a,东湖区甲小学,school,d-donghu,,,,',
        's-donghu-b,东湖区乙小学,school,d-donghu,,王五,b@example.com,',
        's-direct-c,直属丙校,school,,局属学校,,,',
        's-direct-c,,,,,,,',
      ),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.orgs.map((o) => o.id)).toEqual(['bureau', 'centre', 'd-donghu', 'd-xihu', 's-donghu-a', 's-donghu-b', 's-direct-c']);
    // The Bureau and the Centre are not asked to submit: no warning for them.
    expect(r.warnings).toEqual([
      { line: 5, reason: '县区“西湖区教科体局”（d-xihu）没有联系邮箱，将无法收到邀请和提醒' },
      { line: 6, reason: '学校“东湖区甲小学”（s-donghu-a）没有联系邮箱，将无法收到邀请和提醒' },
      { line: 8, reason: '学校“直属丙校”（s-direct-c）没有联系邮箱，将无法收到邀请和提醒' },
    ]);
  });

  it('no warnings when every District office and school has an e-mail', () => {
    const r = parseOrgsCsv(csv(...BASIC_LINES));
    expect(r).toEqual({ ok: true, orgs: EXPECTED_BASIC, warnings: [] });
  });
});

describe('formatOrgsCsv', () => {
  const orgs: Org[] = [
    { id: 'bureau', name: '南昌市教育局', kind: 'bureau', contacts: [{ name: '王晓雯', email: 'b@example.org', phone: '0791-85550001' }], tokenVersion: 1 },
    { id: 'centre', name: '南昌市未成年人心理健康辅导中心', kind: 'centre', contacts: [], tokenVersion: 1 },
    {
      id: 'd-donghu',
      name: '东湖区教科体局',
      kind: 'district',
      contacts: [
        { name: '赵永红', email: 'z@example.org', phone: '0791-85550002' },
        { name: '胡静怡', email: 'h@example.net' },
      ],
      tokenVersion: 1,
    },
    { id: 's-donghu-a', name: '东湖区"梧桐",小学', kind: 'school', districtId: 'd-donghu', contacts: [{ name: '刘明辉', email: 'l@example.com' }], tokenVersion: 1 },
    { id: 's-direct-a', name: '南昌市青衿中学', kind: 'school', directKind: '市管民办学历教育学校', contacts: [], tokenVersion: 1 },
  ];

  it('writes a BOM, the English header, CRLF and one row per contact', () => {
    const text = formatOrgsCsv(orgs);
    expect(text.startsWith(`\uFEFF${H}\r\n`)).toBe(true);
    const lines = text.slice(1).split('\r\n');
    expect(lines).toEqual([
      H,
      'bureau,南昌市教育局,bureau,,,王晓雯,b@example.org,0791-85550001',
      'centre,南昌市未成年人心理健康辅导中心,centre,,,,,',
      'd-donghu,东湖区教科体局,district,,,赵永红,z@example.org,0791-85550002',
      'd-donghu,东湖区教科体局,district,,,胡静怡,h@example.net,',
      's-donghu-a,"东湖区""梧桐"",小学",school,d-donghu,,刘明辉,l@example.com,',
      's-direct-a,南昌市青衿中学,school,,市管民办学历教育学校,,,',
      '',
    ]);
  });

  it('round-trips: parse(format(orgs)) equals orgs', () => {
    expect(orgsOf(parseOrgsCsv(formatOrgsCsv(orgs)))).toEqual(orgs);
  });
});
