import { formatBeijingExcel } from '../shared/clock.js';
import { csvCell } from '../shared/csv.js';
import { DOWNLOAD_URL_MAX_SECONDS, MANIFEST_NAME } from '../../schemas/exports.js';

/**
 * The HTTP side of exports, without the zip library: zip paths, the manifest, Content-Disposition
 * and the download port. (The zip itself, with yazl, is in export.ts: functions that only hand out
 * URLs do not bundle it.)
 */


// ── Ports ──────────────────────────────────────────────────────────────────────────────────────────

export interface Downloads {
  exists(key: string): Promise<boolean>;
  /** A pre-signed GET (security time: the real clock), valid ≤ DOWNLOAD_URL_MAX_SECONDS. */
  presignGet(key: string, opts: PresignGetOptions): Promise<string>;
}

export interface PresignGetOptions {
  /** The name the browser saves it under (Chinese allowed). */
  fileName: string;
  /** ASCII name for old browsers (default: fileName stripped to ASCII). */
  asciiFallback?: string;
  /** Show in the browser (PDF) instead of saving. */
  inline?: boolean;
  /** Response Content-Type (default: the object's own). */
  contentType?: string;
  /** 1 … DOWNLOAD_URL_MAX_SECONDS. */
  expiresSeconds: number;
}

export function checkExpiry(expiresSeconds: number): number {
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > DOWNLOAD_URL_MAX_SECONDS) {
    throw new RangeError(`expiresSeconds must be an integer in 1…${DOWNLOAD_URL_MAX_SECONDS}, got ${expiresSeconds}`);
  }
  return expiresSeconds;
}


// ── Paths ──────────────────────────────────────────────────────────────────────────────────────────

/** Folder of the orgs outside any District (Direct schools). */
export const DIRECT_FOLDER = '直属学校';

export interface ZipPathItem {
  /** The District's name; undefined or empty for Direct schools (→ 直属学校/). */
  districtName?: string;
  /** Two orgs with the same name get separate folders. */
  orgId: string;
  orgName: string;
  /** The file's name without extension, e.g. the document's title. */
  title: string;
  /** pdf / doc / docx. */
  ext: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const WINDOWS_FORBIDDEN = /[\\/:*?"<>|]/g;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/**
 * One path segment that is safe on Windows, macOS and Linux: no control or bidi characters, no
 * `/ \ : * ? " < > |` (→ `_`), no run of dots, no leading or trailing dot or space, not a reserved
 * device name, at most `max` characters; never empty.
 */
export function safeSegment(s: string, max = 60): string {
  const tidy = (t: string) =>
    t
      .replace(/\s+/g, ' ')
      .replace(/^[.\s]+|[.\s]+$/g, '')
      .trim();
  let t = tidy(s.normalize('NFC').replace(CONTROL_OR_BIDI, '').replace(WINDOWS_FORBIDDEN, '_').replace(/\.{2,}/g, '.'));
  const chars = Array.from(t);
  if (chars.length > max) t = tidy(chars.slice(0, max).join(''));
  if (WINDOWS_RESERVED.test(t)) t = `_${t}`;
  return t || '_';
}

/** "name.ext" → "name (n).ext" */
const numbered = (name: string, n: number, ext: string) => `${name} (${n})${ext}`;

function unique(used: Set<string>, name: string, ext = ''): string {
  let candidate = `${name}${ext}`;
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = numbered(name, n, ext);
  used.add(candidate.toLowerCase());
  return candidate;
}

/**
 * Zip paths `<District>/<org>/<title>.<ext>` (Direct schools under `直属学校/`), in the order given:
 * every segment made safe (safeSegment), two orgs of the same name in one folder told apart by
 * ` (2)`, and two files of the same name in one org's folder likewise. Unique case-insensitively
 * (as on Windows), never the manifest's name.
 */
export function zipPaths(items: readonly ZipPathItem[]): string[] {
  const rootUsed = new Set([MANIFEST_NAME.toLowerCase()]);
  const groups = new Map<string, { name: string; orgNames: Set<string>; orgs: Map<string, { name: string; files: Set<string> }> }>();
  return items.map((it) => {
    const groupSeg = safeSegment(it.districtName?.trim() ? it.districtName : DIRECT_FOLDER, 30);
    let group = groups.get(groupSeg.toLowerCase());
    if (!group) {
      group = { name: unique(rootUsed, groupSeg), orgNames: new Set(), orgs: new Map() };
      groups.set(groupSeg.toLowerCase(), group);
    }
    let org = group.orgs.get(it.orgId);
    if (!org) {
      org = { name: unique(group.orgNames, safeSegment(it.orgName, 60)), files: new Set() };
      group.orgs.set(it.orgId, org);
    }
    const ext = /^[a-z0-9]{1,8}$/i.test(it.ext) ? `.${it.ext.toLowerCase()}` : '';
    const file = unique(org.files, safeSegment(it.title, 80), ext);
    return `${group.name}/${org.name}/${file}`;
  });
}

// ── Manifest ───────────────────────────────────────────────────────────────────────────────────────

export interface ManifestRow {
  orgName: string;
  /** The District's name; 直属学校 (or empty) for Direct schools. */
  districtName: string;
  documentTitle: string;
  version: number;
  originalName: string;
  size: number;
  sha256: string;
  /** ISO UTC; shown in Beijing time. */
  receivedAt: string;
  onTime: boolean;
  /** e.g. "按时提交（6月30日 23:59），7月1日 00:00 修改" */
  note: string;
  /** The file's path in the zip (so a row finds its file even when a name had to be made unique). */
  path?: string;
}

export const MANIFEST_HEADER = ['单位', '所属县区', '材料', '版本', '原文件名', '大小(字节)', 'SHA-256', '接收时间(北京时间)', '是否按时', '备注', '压缩包内路径'] as const;

/** "2019-06-30 23:59" in Beijing time: a form Excel reads as a date and time. */
export const beijingMinute = formatBeijingExcel;
export { csvCell };

export function manifestCsv(rows: readonly ManifestRow[]): string {
  const lines = [MANIFEST_HEADER.map(csvCell).join(',')];
  for (const r of rows) {
    const cells: (string | number)[] = [
      r.orgName,
      r.districtName,
      r.documentTitle,
      r.version,
      r.originalName,
      r.size,
      r.sha256,
      beijingMinute(r.receivedAt),
      r.onTime ? '按时' : '逾期',
      r.note,
      r.path ?? '',
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

// ── Content-Disposition ────────────────────────────────────────────────────────────────────────────

/** RFC 5987 attr-char: ALPHA DIGIT ! # $ & + - . ^ _ ` | ~ ; everything else percent-encoded (UTF-8). */
const rfc5987 = (s: string) => encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Printable ASCII without " \ % / and control characters, spaces collapsed (RFC 6266 §4.3, appendix D). */
function asciiOnly(s: string): string {
  return s
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\%/]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * `attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded UTF-8>` (RFC 6266 / RFC 5987),
 * or `inline; …`. The UTF-8 name loses control, bidi and path characters; the ASCII fallback
 * (given, or the name stripped to ASCII) also loses quotes, backslashes and percent signs, and
 * becomes "download.<ext>" when nothing readable is left.
 */
export function contentDisposition(fileName: string, asciiFallback?: string, inline = false): string {
  const name = fileName.replace(CONTROL_OR_BIDI, '').replace(/[\\/]/g, '_').trim() || 'download';
  const ext = /\.[A-Za-z0-9]{1,8}$/.exec(name)?.[0] ?? '';
  let fallback = asciiOnly(asciiFallback ?? name);
  if (!/[A-Za-z0-9]/.test(fallback.slice(0, fallback.length - (fallback.endsWith(ext) ? ext.length : 0)))) fallback = `download${ext}`;
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${rfc5987(name)}`;
}
