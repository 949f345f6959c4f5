import type { FileExt } from '../../schemas/plans.js';

/**
 * What a file really is, from its bytes — only for the types on the upload allow-list.
 * Hand-written (≈60 lines) rather than `file-type`: that library detects hundreds of formats and
 * costs ~21 KB gzip in the validate Lambda, over its size budget; here we need three, and stricter:
 * - pdf:  "%PDF-" at offset 0;
 * - doc:  an OLE compound file (D0 CF 11 E0 A1 B1 1A E1) with a "WordDocument" stream (not .xls/.ppt);
 * - docx: a zip whose central directory lists [Content_Types].xml and word/document.xml (not any zip,
 *         not .xlsx/.pptx).
 */
export function sniff(bytes: Uint8Array): FileExt | undefined {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'pdf';
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return hasUtf16(bytes, 'WordDocument') ? 'doc' : undefined;
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    const names = zipEntryNames(bytes);
    return names?.has('[Content_Types].xml') && names.has('word/document.xml') ? 'docx' : undefined;
  }
  return undefined;
}

const startsWith = (b: Uint8Array, sig: number[]) => b.length >= sig.length && sig.every((x, i) => b[i] === x);

function hasUtf16(b: Uint8Array, s: string) {
  const needle = Buffer.from(s, 'utf16le');
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).includes(needle);
}

/** Entry names from a zip's central directory (no zip64: uploads are at most 20 MiB). */
function zipEntryNames(b: Uint8Array): Set<string> | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const min = Math.max(0, b.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = b.length - 22; i >= min; i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const names = new Set<string>();
  for (let n = 0; n < count; n++) {
    if (p + 46 > b.length || v.getUint32(p, true) !== 0x02014b50) return undefined;
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    if (p + 46 + nameLen > b.length) return undefined;
    names.add(Buffer.from(b.buffer, b.byteOffset + p + 46, nameLen).toString('utf8'));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}
