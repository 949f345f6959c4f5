import type { SectionFound, SectionSpec } from '../../schemas/precheck.js';

/**
 * Which of a document kind's sections (schemas/precheck.ts) a plan's text shows. Pure: text in, list out.
 *
 * Normalisation, so that a pattern is written once: NFKC (full-width letters, digits and punctuation →
 * half-width, （一） → (一), ：→ :, Kangxi radicals some PDFs carry → the usual characters, ① → 1 …),
 * then no whitespace at all inside a line (PDF text puts spaces between characters of justified lines
 * and around digits; Chinese does not separate words).
 */

/** Circled and parenthesised numbers NFKC turns into bare digits (① → 1) or leaves alone (❶): marked as numbering first. */
const CIRCLED = /[\u2460-\u2473\u24eb-\u24f4\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]/gu;

/** One normalised line per text line, empty ones dropped. */
export function normaliseLines(text: string): string[] {
  return text
    .replace(CIRCLED, '1.')
    .normalize('NFKC')
    .split(/\r\n|[\n\r\u2028\u2029\v\f]/u)
    .map((l) => l.replace(/\s+/gu, ''))
    .filter((l) => l.length > 0);
}

/**
 * Numbering at the start of a line (after normalisation): 第一章 / 第二部分, 一、 一. , (一) (1) , 1. 1、
 * 1) 2.1 , I. II、 , a bullet (DOCX paragraphs Word numbers itself get "• " from extract.ts).
 */
const NUMBERING =
  /^(?:第[一二三四五六七八九十百零〇\d]+[章节部分篇条项]|[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d{1,2}(?:\.\d{1,2})+(?![\d.])[、.)]?|\d{1,2}[、.)](?!\d)|[IVX]+[、.]|[•·●○◆◇■□▪▶►◎★☆\-*])[、.:]?/u;

/**
 * A short line of its own is a heading unless it ends like a sentence (the wrapped tail of a paragraph) or
 * lists things (a table cell "排查、疏导、报告").
 */
const SHORT_HEADING = 30;
const NOT_A_HEADING = /[。.;,:!?、]$|[、,;]/u;
/** The head of a numbered line: up to the first full stop, comma, colon or semicolon ("(一)强化组织领导。各部门…"). */
const HEAD_END = /[。;,:!?]/u;
const MAX_HEAD = 40;

/** The headings of a text: each heading line's head, numbering removed. */
export function headingsOf(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const numbered = NUMBERING.exec(line);
    if (numbered) {
      const rest = line.slice(numbered[0].length);
      const end = rest.search(HEAD_END);
      const head = (end < 0 ? rest : rest.slice(0, end)).slice(0, MAX_HEAD);
      if (head) out.push(head);
    } else if (line.length <= SHORT_HEADING && !NOT_A_HEADING.test(line)) {
      out.push(line);
    }
  }
  return out;
}

const compiled = new WeakMap<SectionSpec, RegExp>();
function patternOf(spec: SectionSpec): RegExp {
  let re = compiled.get(spec);
  if (!re) {
    re = new RegExp(spec.patterns.map((p) => `(?:${p})`).join('|'), 'u');
    compiled.set(spec, re);
  }
  return re;
}

/** Every section of `specs`, in order, with whether the text shows it. */
export function findSections(text: string, specs: readonly SectionSpec[]): SectionFound[] {
  const lines = normaliseLines(text);
  const headings = headingsOf(lines);
  // Lines joined without a break: a phrase a PDF wrapped across two lines is found whole.
  const all = lines.join('');
  return specs.map((s) => {
    const re = patternOf(s);
    const found = (s.scope ?? 'heading') === 'text' ? re.test(all) : headings.some((h) => re.test(h));
    return { key: s.key, label: s.label, found };
  });
}
