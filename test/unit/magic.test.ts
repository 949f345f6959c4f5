/**
 * The magic-byte check on what a word processor really writes: LibreOffice's .doc (Word 97), .docx,
 * .odt, .pdf and .rtf of one Chinese plan (test/fixtures/docs, made by make.sh from plan.html), with
 * the `file-type` package as the reference reader of the same bytes.
 */
import { readFileSync } from 'node:fs';
import { fileTypeFromBuffer } from 'file-type';
import { describe, expect, it } from 'vitest';
import { sniff } from '../../functions/plans/magic.js';
import { checkFile } from '../../functions/plans/rules.js';
import type { FileExt } from '../../schemas/plans.js';

const doc = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/docs/${name}`, import.meta.url)));
const real = { doc: doc('plan.doc'), docx: doc('plan.docx'), odt: doc('plan.odt'), pdf: doc('plan.pdf'), rtf: doc('plan.rtf'), html: doc('plan.html') };
const EXTS: FileExt[] = ['pdf', 'doc', 'docx'];

describe('the fixtures are what they say (so the tests below test something)', () => {
  it('are real word-processor files of the plan, Chinese headings included', () => {
    const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
    expect(latin1(real.pdf).slice(0, 9)).toMatch(/^%PDF-1\.\d\n/);
    expect(latin1(real.pdf)).toContain('WenQuanYiZenHei'); // a CJK font embedded: the headings are glyphs, not boxes
    expect(latin1(real.pdf)).toContain('%%EOF');
    expect(latin1(real.docx)).toContain('word/document.xml');
    expect(latin1(real.odt).slice(30, 38 + 39)).toBe('mimetypeapplication/vnd.oasis.opendocument.text');
    expect(Buffer.from(real.doc).includes(Buffer.from('组织机构', 'utf16le'))).toBe(true);
    expect(latin1(real.rtf).startsWith('{\\rtf1')).toBe(true);
    for (const b of Object.values(real)) expect(b.byteLength).toBeGreaterThan(1000);
  });
});

describe('sniff and checkFile on real documents', () => {
  it.each([
    ['plan.doc', 'doc'],
    ['plan.docx', 'docx'],
    ['plan.pdf', 'pdf'],
  ] as const)('%s is %s, accepted as that and refused as any other type', async (name, ext) => {
    const bytes = doc(name);
    expect(sniff(bytes)).toBe(ext);
    expect(await checkFile(bytes, ext)).toBeUndefined();
    for (const other of EXTS.filter((e) => e !== ext)) expect(await checkFile(bytes, other), `${name} as .${other}`).toBe('TYPE_MISMATCH');
  });

  it('refuses an .odt renamed .docx (a zip, but not Office Open XML), and as .doc or .pdf', async () => {
    expect(sniff(real.odt)).toBeUndefined();
    for (const ext of EXTS) expect(await checkFile(real.odt, ext)).toBe('TYPE_MISMATCH');
  });

  it('refuses an RTF or an HTML page saved under a .doc name (Word opens both; they are not Word 97 files)', async () => {
    for (const bytes of [real.rtf, real.html]) {
      expect(sniff(bytes)).toBeUndefined();
      expect(await checkFile(bytes, 'doc')).toBe('TYPE_MISMATCH');
    }
  });

  it('refuses a real .docx cut short in transfer (no central directory), and a .doc with its header damaged', async () => {
    expect(await checkFile(real.docx.slice(0, Math.floor(real.docx.length / 2)), 'docx')).toBe('TYPE_MISMATCH');
    const damaged = real.doc.slice();
    damaged[0] = 0;
    expect(await checkFile(damaged, 'doc')).toBe('TYPE_MISMATCH');
  });
});

describe('compared with file-type (reference only)', () => {
  it('agrees on every real file, and is narrower where file-type stops at the container', async () => {
    const seen: Record<string, { fileType?: string; sniff?: string }> = {};
    for (const [name, bytes] of Object.entries(real)) seen[name] = { fileType: (await fileTypeFromBuffer(bytes))?.ext, sniff: sniff(bytes) };
    expect(seen).toEqual({
      doc: { fileType: 'cfb', sniff: 'doc' }, // file-type: "some OLE compound file"; sniff: one with a WordDocument stream
      docx: { fileType: 'docx', sniff: 'docx' },
      odt: { fileType: 'odt', sniff: undefined },
      pdf: { fileType: 'pdf', sniff: 'pdf' },
      rtf: { fileType: 'rtf', sniff: undefined },
      html: { fileType: undefined, sniff: undefined },
    });
  });
});
