import { type PrecheckRef, type PrecheckResult, sectionsFor } from '../../schemas/precheck.js';
import { countChars, extractText } from './extract.js';
import { findSections } from './sections.js';

/**
 * The pre-check of one accepted version: its text (extract.ts), then the sections its document kind asks
 * for (sections.ts, schemas/precheck.ts). Pure apart from the clock's reading passed in: the same bytes
 * give the same result. Never throws for what the file contains — a file it cannot read is a 'failed' result.
 */
export async function precheckDocument(ref: PrecheckRef, ext: string, bytes: Uint8Array, now: Date): Promise<PrecheckResult> {
  const x = await extractText(bytes, ext);
  const specs = sectionsFor(ref.document);
  const base = { campaignId: ref.campaignId, orgId: ref.orgId, document: ref.document, uploadId: ref.uploadId, checkedAt: now.toISOString() };
  const pages = x.pages === undefined ? {} : { pages: x.pages };
  const none = specs.map((s) => ({ key: s.key, label: s.label, found: false }));
  if ('text' in x) {
    const chars = countChars(x.text);
    return x.status === 'ok'
      ? { ...base, status: 'ok', sections: findSections(x.text, specs), chars, ...pages }
      : { ...base, status: 'no-text', sections: none, chars, ...pages };
  }
  return { ...base, status: x.status, sections: none, chars: 0, detail: x.detail, ...pages };
}
