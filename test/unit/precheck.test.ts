/**
 * The plan pre-check's domain on real documents: DOCX and PDF written by LibreOffice from Chinese HTML
 * plans (test/fixtures/docs/precheck/make.sh, ../plan.*), an image-only "scan", a Word 97 .doc, and bytes
 * that are no document at all. Then the section finder on its own, on the forms headings take.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countChars, decodeXml, extractText, paragraphs } from '../../functions/precheck/extract.js';
import { findSections, headingsOf, normaliseLines } from '../../functions/precheck/sections.js';
import { precheckDocument } from '../../functions/precheck/service.js';
import { CRISIS_PLAN_SECTIONS, PRECHECK_SECTIONS, PrecheckResult, SERVICE_PLAN_SECTIONS, sectionsFor } from '../../schemas/precheck.js';
import { minimalDocx, minimalPdf, plainZip, zip } from '../fixtures/files.js';

const DOCS = resolve(import.meta.dirname, '../fixtures/docs');
const doc = (name: string) => new Uint8Array(readFileSync(resolve(DOCS, name)));
const NOW = new Date('2019-06-20T02:00:00.000Z');
const ref = (document: string) => ({ campaignId: '2019-plans', orgId: 's-donghu-wutong', document, uploadId: '0123456789abcdef0123456789abcdef' });
const found = (r: { sections: { key: string; found: boolean }[] }) => r.sections.filter((s) => s.found).map((s) => s.key);
const missing = (r: { sections: { key: string; found: boolean }[] }) => r.sections.filter((s) => !s.found).map((s) => s.key);
const CRISIS_KEYS = ['organisation', 'prevention', 'warning', 'intervention', 'aftercare'];

describe('extractText on what LibreOffice writes', () => {
  it.each(['precheck/crisis-plan.pdf', 'precheck/crisis-plan.docx'])('%s: the Chinese headings come out as characters', async (name) => {
    const x = await extractText(doc(name), name.split('.').pop()!);
    expect(x.status).toBe('ok');
    if (!('text' in x)) throw new Error('no text');
    // The PDF's fonts are embedded CID subsets: only their ToUnicode maps make these characters.
    for (const heading of ['青山湖区湖坊小学心理危机管理工作方案', '一、组织机构及职责', '（一）建立早期预防系统', '（二）建立早期预警系统', '（三）心理危机干预', '（四）危机后处理']) {
      expect(x.text).toContain(heading);
    }
    expect(countChars(x.text)).toBeGreaterThan(400);
  });

  it('a PDF gives its page count; a DOCX none', async () => {
    expect(await extractText(doc('precheck/crisis-plan.pdf'), 'pdf')).toMatchObject({ status: 'ok', pages: 1 });
    expect(await extractText(doc('precheck/crisis-plan.docx'), 'docx')).not.toHaveProperty('pages');
  });

  it('an image-only PDF (a scan of the plan) has no text', async () => {
    expect(await extractText(doc('precheck/scan.pdf'), 'pdf')).toEqual({ status: 'no-text', text: '', pages: 1 });
  });

  it('a .doc (Word 97) is not guessed at', async () => {
    expect(await extractText(doc('plan.doc'), 'doc')).toEqual({ status: 'unsupported', detail: 'Word 97–2003 (.doc)' });
  });

  it('bytes that are no document fail, without throwing', async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
    const asPdf = await extractText(garbage, 'pdf');
    expect(asPdf.status).toBe('failed');
    expect(asPdf).toMatchObject({ detail: expect.any(String) });
    expect(await extractText(garbage, 'docx')).toMatchObject({ status: 'failed', detail: expect.any(String) });
    // A real PDF cut in half, a DOCX cut in half, a zip without word/document.xml, nothing at all.
    const pdf = doc('precheck/crisis-plan.pdf');
    await expect(extractText(pdf.slice(0, pdf.length / 2), 'pdf')).resolves.toHaveProperty('status');
    const docx = doc('precheck/crisis-plan.docx');
    expect((await extractText(docx.slice(0, docx.length / 2), 'docx')).status).toBe('failed');
    expect(await extractText(plainZip(), 'docx')).toEqual({ status: 'failed', detail: 'no word/document.xml' });
    expect((await extractText(new Uint8Array(0), 'pdf')).status).toBe('failed');
  });

  it('an empty DOCX and a PDF with a few characters a page have no text to check', async () => {
    expect(await extractText(minimalDocx(' '), 'docx')).toEqual({ status: 'no-text', text: '' });
    expect(await extractText(minimalPdf('p. 1'), 'pdf')).toMatchObject({ status: 'no-text', pages: 1 });
    expect(await extractText(minimalPdf('Nanchang crisis plan, section one'), 'pdf')).toMatchObject({ status: 'ok', pages: 1 });
  });

  it('leaves the caller’s bytes as they were', async () => {
    const pdf = doc('precheck/crisis-plan.pdf');
    const copy = pdf.slice();
    await extractText(pdf, 'pdf');
    expect(pdf).toEqual(copy);
  });
});

describe('DOCX paragraphs', () => {
  const w = (body: string) => `<?xml version="1.0"?><w:document xmlns:w="w" xmlns:mc="mc"><w:body>${body}</w:body></w:document>`;

  it('one line per paragraph, runs joined, tabs and breaks kept, entities decoded', () => {
    expect(paragraphs(w('<w:p><w:r><w:t>一、</w:t></w:r><w:r><w:t xml:space="preserve">组织 </w:t></w:r><w:r><w:t>机构</w:t></w:r></w:p><w:p/><w:p><w:r><w:t>A</w:t><w:tab/><w:t>B</w:t><w:br/><w:t>&lt;C&gt; &amp; &#x4e00;&#20108;</w:t></w:r></w:p>'))).toBe(
      '一、组织 机构\nA B\n<C> & 一二',
    );
  });

  it('marks a paragraph Word numbers or styles as a heading; skips the fallback copy of a text box', () => {
    const xml = w(
      '<w:p><w:pPr><w:pStyle w:val="1"/></w:pPr><w:r><w:t>组织机构</w:t></w:r></w:p>' +
        '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/></w:numPr></w:pPr><w:r><w:t>早期预警</w:t></w:r></w:p>' +
        '<w:p><w:pPr><w:pStyle w:val="a3"/></w:pPr><w:r><w:t>正文</w:t></w:r></w:p>' +
        '<w:p><w:r><mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:r><w:t>框内</w:t></w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>框内</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r></w:p>',
    );
    expect(paragraphs(xml)).toBe('• 组织机构\n• 早期预警\n正文\n框内');
  });

  it('ignores deleted text and field codes', () => {
    expect(paragraphs(w('<w:p><w:del><w:r><w:delText>旧</w:delText></w:r></w:del><w:r><w:instrText> PAGE </w:instrText><w:t>新</w:t></w:r></w:p>'))).toBe('新');
  });

  it('decodes only well-formed references', () => {
    expect(decodeXml('&quot;&apos;&nbsp;&#x110000;&#12290;')).toBe('"\'&nbsp;&#x110000;。');
  });

  it('reads a DOCX zipped by hand as well (stored entries, UTF-8 names)', async () => {
    const bytes = zip([{ name: 'word/document.xml', data: w('<w:p><w:r><w:t>（四）善后处理</w:t></w:r></w:p>') }]);
    expect(await extractText(bytes, 'docx')).toEqual({ status: 'ok', text: '（四）善后处理' });
  });
});

describe('precheckDocument: sections on real plans', () => {
  it.each(['precheck/crisis-plan.pdf', 'precheck/crisis-plan.docx'])('%s: a crisis plan with all five sections', async (name) => {
    const r = await precheckDocument(ref('crisis-plan'), name.split('.').pop()!, doc(name), NOW);
    expect(PrecheckResult.parse(r)).toEqual(r);
    expect(r).toMatchObject({ ...ref('crisis-plan'), status: 'ok', checkedAt: '2019-06-20T02:00:00.000Z' });
    expect(r.sections).toEqual([
      { key: 'organisation', label: '组织机构及职责', found: true },
      { key: 'prevention', label: '早期预防', found: true },
      { key: 'warning', label: '早期预警', found: true },
      { key: 'intervention', label: '危机干预', found: true },
      { key: 'aftercare', label: '善后处理（危机后处理）', found: true },
    ]);
  });

  it.each(['plan.pdf', 'plan.docx'])('%s: a crisis plan without 早期预警 and 善后处理 (its body speaks of 早发现 and a 危机干预 group)', async (name) => {
    const r = await precheckDocument(ref('crisis-plan'), name.split('.').pop()!, doc(name), NOW);
    expect(r.status).toBe('ok');
    expect(found(r)).toEqual(['organisation', 'prevention', 'intervention']);
    expect(missing(r)).toEqual(['warning', 'aftercare']);
  });

  it.each(['precheck/service-plan.pdf', 'precheck/service-plan.docx'])('%s: a service plan without 五、工作要求 and the ninth task', async (name) => {
    const r = await precheckDocument(ref('service-plan'), name.split('.').pop()!, doc(name), NOW);
    expect(r.status).toBe('ok');
    expect(r.sections.map((s) => s.key)).toEqual(SERVICE_PLAN_SECTIONS.map((s) => s.key));
    expect(missing(r)).toEqual(['requirements', 'task-teachers']);
  });

  it('a crisis plan checked as a service plan finds what the two share, not the rest', async () => {
    const r = await precheckDocument(ref('service-plan'), 'pdf', doc('precheck/crisis-plan.pdf'), NOW);
    expect(found(r)).toContain('organisation');
    expect(found(r)).not.toContain('guidance');
    expect(found(r)).not.toContain('tasks');
  });

  it('a scan: no-text, every section not found, its page count', async () => {
    const r = await precheckDocument(ref('crisis-plan'), 'pdf', doc('precheck/scan.pdf'), NOW);
    expect(r).toEqual({ ...ref('crisis-plan'), status: 'no-text', sections: CRISIS_PLAN_SECTIONS.map((s) => ({ key: s.key, label: s.label, found: false })), chars: 0, pages: 1, checkedAt: NOW.toISOString() });
  });

  it('a .doc: unsupported; garbage: failed with why — neither throws', async () => {
    const d = await precheckDocument(ref('crisis-plan'), 'doc', doc('plan.doc'), NOW);
    expect(d).toMatchObject({ status: 'unsupported', chars: 0, detail: 'Word 97–2003 (.doc)' });
    expect(missing(d)).toEqual(CRISIS_KEYS);
    const g = await precheckDocument(ref('crisis-plan'), 'pdf', new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 1, 2, 3]), NOW);
    expect(g).toMatchObject({ status: 'failed', chars: 0 });
    expect(g.detail).toBeTruthy();
    expect(PrecheckResult.parse(g)).toEqual(g);
  });

  it('a document kind without a list: text read, nothing to check', async () => {
    const r = await precheckDocument(ref('self-report'), 'docx', doc('precheck/crisis-plan.docx'), NOW);
    expect(r).toMatchObject({ status: 'ok', sections: [], chars: 493 });
  });
});

describe('findSections: the forms a heading takes', () => {
  const crisis = (text: string) => found({ sections: findSections(text, CRISIS_PLAN_SECTIONS) });

  it.each([
    ['一、组织机构及职责', 'organisation'],
    ['（一）组织领导', 'organisation'],
    ['(1) 领导小组', 'organisation'],
    ['１．组织机构', 'organisation'],
    ['1、组织架构', 'organisation'],
    ['2.1 工作机构与职责', 'organisation'],
    ['第一章 组织机构', 'organisation'],
    ['第二部分　早期预防', 'prevention'],
    ['① 早期预警', 'warning'],
    ['Ⅲ. 危机干预', 'intervention'],
    ['⼀、组 织 机 构', 'organisation'], // Kangxi radical ⼀ (U+2F00) and letter-spaced, as some PDFs carry them
    ['四、善后处理', 'aftercare'],
    ['（四）危机后处理', 'aftercare'],
    ['• 应急处置流程', 'intervention'],
    ['（一）强化组织领导。各部门和全市各级各类学校要高度重视心理服务体系建设工作，精心组织、落实落细。', 'organisation'],
    ['五、危机干预：发现学生出现心理危机时，班主任立即报告学校心理危机管理工作小组，当日上报。', 'intervention'],
  ])('%s → %s', (line, key) => {
    expect(crisis(`某某学校心理危机管理工作方案\n${line}\n正文。`)).toContain(key);
  });

  it('a heading of its own without numbering (short, not a sentence)', () => {
    expect(crisis('早期预警\n建立五个早机制。\n善后处理\n跟进。')).toEqual(['warning', 'aftercare']);
  });

  it('the same words inside sentences, wrapped lines and table cells are not sections', () => {
    const text = [
      '某某学校心理危机管理工作方案',
      '发现学生心理危机，班主任立即报告危机干预小组，当日上报学校组织机构负责人，做好善后处理与早期预警工作。',
      '即报告危机干预小组，做好早期预警。', // the wrapped tail of a paragraph: ends like a sentence
      '排查、预警、善后', // a table cell listing things
      '1号）要求，结合早期预警',
      '2019 年 5 月 9 日',
    ].join('\n');
    expect(crisis(text)).toEqual([]);
  });

  it('normalises lines: NFKC, no whitespace, empty lines dropped', () => {
    expect(normaliseLines('（一） 组 织\r\n\n　１．早期　预警\u2028⑵ 危机干预')).toEqual(['(一)组织', '1.早期预警', '(2)危机干预']);
  });

  it('heads of numbered lines stop at the first full stop, comma, colon or semicolon', () => {
    expect(headingsOf(['(一)强化组织领导。各部门', '一、组织机构:成立', '1.每学期开设,心理', '这是一句很长很长很长很长很长很长很长很长很长很长的正文没有标点也不算'])).toEqual([
      '强化组织领导',
      '组织机构',
      '每学期开设',
    ]);
  });

  it("'text' sections are found anywhere, across a PDF's line breaks", () => {
    const rooms = SERVICE_PLAN_SECTIONS.filter((s) => s.key === 'task-room' || s.key === 'task-census');
    expect(findSections('学校设立心理辅\n导室，每周开放不少于5小时。', rooms)).toEqual([
      { key: 'task-room', label: '任务五：心理辅导室设置', found: true },
      { key: 'task-census', label: '任务六：心理健康普查建档', found: false },
    ]);
  });
});

describe('the section lists (schemas/precheck.ts)', () => {
  const seed = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../local/seed/campaign-2019.json'), 'utf8')) as { documents: { kind: string }[] };

  it('cover every document kind of the seeded campaign', () => {
    expect(seed.documents.map((d) => d.kind).sort()).toEqual(Object.keys(PRECHECK_SECTIONS).sort());
    for (const d of seed.documents) expect(sectionsFor(d.kind).length).toBeGreaterThan(0);
    expect(sectionsFor('unknown-kind')).toEqual([]);
  });

  it('the crisis plan asks for the five sections of attachment 2; the service plan for the five headings and nine tasks of attachment 1', () => {
    expect(CRISIS_PLAN_SECTIONS.map((s) => s.key)).toEqual(CRISIS_KEYS);
    expect(SERVICE_PLAN_SECTIONS.filter((s) => (s.scope ?? 'heading') === 'heading').map((s) => s.label)).toEqual(['指导思想', '工作目标', '组织保障', '工作任务', '工作要求']);
    expect(SERVICE_PLAN_SECTIONS.filter((s) => s.scope === 'text')).toHaveLength(9);
  });

  it.each(Object.entries(PRECHECK_SECTIONS))('%s: unique keys, Chinese labels, patterns that compile and find their own label', (_kind, specs) => {
    expect(new Set(specs.map((s) => s.key)).size).toBe(specs.length);
    for (const s of specs) {
      expect(s.label).toMatch(/[\u4e00-\u9fff]/);
      expect(s.patterns.length).toBeGreaterThan(0);
      for (const p of s.patterns) expect(() => new RegExp(p, 'u')).not.toThrow();
      // Each section is found by a heading that is its own label (minus the 任务N： prefix of the tasks).
      const heading = `一、${s.label.replace(/^任务[一二三四五六七八九]：/, '').replace(/（.*）$/, '')}`;
      expect(findSections(`标题\n${heading}\n正文。`, [s])[0]?.found, `${s.key}: ${heading}`).toBe(true);
    }
  });
});
