import { unzipSync } from 'fflate';

/**
 * The text of an accepted plan, from its bytes and extension. No AWS here, and it never throws: a file it
 * cannot read is an outcome ('failed', with why), not an error — the pre-check is advisory.
 *
 * - .docx: a zip of XML (fflate reads the one entry we need, word/document.xml); one line per paragraph
 *   (w:p), text from its runs (w:t), tabs and breaks as spaces and new lines. A paragraph Word numbers
 *   itself (w:numPr) or styles as a heading (outline level, heading style) starts with "• ", the numbering
 *   Word shows there, so that functions/precheck/sections.ts sees a heading. The mc:Fallback copy of a
 *   text box is skipped (it repeats mc:Choice).
 * - .pdf: PDF.js (through unpdf, its serverless build: one file, no worker, no canvas), page by page; a
 *   line per text line PDF.js reports. Chinese text from CID fonts with a ToUnicode map (what LibreOffice,
 *   Word and WPS embed) comes out as characters; a PDF whose pages carry (almost) no text is a scan.
 * - .doc (Word 97–2003): 'unsupported' — its text sits in a piece table inside an OLE file; no small,
 *   reliable, maintained reader exists for it, and a guess would mislead the reviewer.
 */
export type Extracted =
  | { status: 'ok' | 'no-text'; text: string; pages?: number }
  | { status: 'unsupported' | 'failed'; detail: string; pages?: number };

/** Below this many non-space characters per page on average, a PDF counts as having no text layer (a scan's watermark or page numbers are not a plan). */
export const MIN_CHARS_PER_PAGE = 10;
/** word/document.xml larger than this uncompressed is refused (a zip bomb; a 20 MiB plan's is far smaller). */
export const MAX_DOCUMENT_XML_BYTES = 64 * 1024 * 1024;

/** Characters that count: anything but whitespace and the heading marks this module adds. */
export const countChars = (text: string) => text.replace(/\s+|^• /gmu, '').length;

export async function extractText(bytes: Uint8Array, ext: string): Promise<Extracted> {
  try {
    switch (ext.toLowerCase()) {
      case 'docx':
        return docxText(bytes);
      case 'pdf':
        return await pdfText(bytes);
      case 'doc':
        return { status: 'unsupported', detail: 'Word 97–2003 (.doc)' };
      default:
        return { status: 'unsupported', detail: `.${ext}` };
    }
  } catch (e) {
    return { status: 'failed', detail: reasonOf(e) };
  }
}

// ── DOCX ─────────────────────────────────────────────────────────────────────────────────────────
const DOCUMENT_XML = 'word/document.xml';

function docxText(bytes: Uint8Array): Extracted {
  let tooLarge = false;
  const entries = unzipSync(bytes, {
    filter: (f) => {
      if (f.name !== DOCUMENT_XML) return false;
      if (f.originalSize > MAX_DOCUMENT_XML_BYTES) tooLarge = true;
      return !tooLarge;
    },
  });
  if (tooLarge) return { status: 'failed', detail: `${DOCUMENT_XML} over ${MAX_DOCUMENT_XML_BYTES / 1024 / 1024} MiB` };
  const xml = entries[DOCUMENT_XML];
  if (!xml) return { status: 'failed', detail: `no ${DOCUMENT_XML}` };
  const text = paragraphs(new TextDecoder('utf-8', { fatal: false }).decode(xml));
  return { status: countChars(text) > 0 ? 'ok' : 'no-text', text };
}

/**
 * One token at a time: a paragraph's start (self-closing for an empty one) or end, a text run, a tab or
 * break, or a property that marks a heading (numbering, outline level, a heading style).
 */
const TOKENS =
  /<w:p(?=[\s>/])[^>]*?(\/?)>|<\/w:p>|<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>|<w:(tab|br|cr)\b[^>]*\/>|<w:(numPr|outlineLvl)\b|<w:pStyle\s[^>]*w:val="([^"]*)"/g;
/** Style ids of headings: LibreOffice and English Word "Heading1", "Title"; Chinese Word "1".."9" (标题 1..9). */
const HEADING_STYLE = /^(heading\s*\d|title|[1-9]$|标题)/i;

export function paragraphs(xml: string): string {
  const body = xml.replace(/<mc:Fallback\b[\s\S]*?<\/mc:Fallback>/g, '');
  const lines: string[] = [];
  let line = '';
  let heading = false;
  const end = () => {
    const t = line.replace(/[^\S\n]+/g, ' ').trim();
    if (t) lines.push(heading ? `• ${t}` : t);
    line = '';
    heading = false;
  };
  for (const m of body.matchAll(TOKENS)) {
    const [tok, selfClosing, run, brk, mark, style] = m;
    if (run !== undefined) line += decodeXml(run);
    else if (brk !== undefined) line += brk === 'tab' ? ' ' : '\n';
    else if (mark !== undefined) heading = true;
    else if (style !== undefined) heading ||= HEADING_STYLE.test(style);
    else if (tok === '</w:p>' || selfClosing) end();
    else if (line.trim()) end(); // a paragraph starting inside one (a text box): the outer text so far is a line of its own
  }
  end();
  return lines.join('\n');
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] !== '#') return ENTITIES[e] ?? whole;
    const cp = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
    return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}

// ── PDF ──────────────────────────────────────────────────────────────────────────────────────────
async function pdfText(bytes: Uint8Array): Promise<Extracted> {
  // Loaded on the first PDF only: a DOCX never pays for parsing PDF.js.
  const { getDocumentProxy } = await import('unpdf');
  // PDF.js may take over the buffer it is given: hand it a copy, the caller's bytes stay as they were.
  const pdf = await getDocumentProxy(bytes.slice(), { verbosity: 0, useSystemFonts: false, stopAtErrors: false });
  try {
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      pages.push(content.items.map((i) => ('str' in i ? i.str + (i.hasEOL ? '\n' : '') : '')).join(''));
      page.cleanup();
    }
    const text = pages.join('\n');
    const enough = countChars(text) >= MIN_CHARS_PER_PAGE * Math.max(1, pdf.numPages);
    return { status: enough ? 'ok' : 'no-text', text, pages: pdf.numPages };
  } finally {
    await pdf.loadingTask.destroy();
  }
}

/** A short reason for the operator: PDF.js names its exceptions (PasswordException: encrypted; InvalidPDFException: damaged). */
function reasonOf(e: unknown): string {
  const name = e instanceof Error || (typeof e === 'object' && e !== null && 'name' in e) ? String((e as { name: unknown }).name) : 'Error';
  if (name === 'PasswordException') return 'encrypted PDF (password)';
  if (name === 'InvalidPDFException') return 'damaged PDF';
  const message = e instanceof Error ? e.message : String(e);
  return `${name}: ${message}`.slice(0, 200);
}
