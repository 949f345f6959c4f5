import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { CampaignId } from './ids.js';
import { Env } from './env.js';
import { MAX_UPLOAD_BYTES } from './plans.js';

/**
 * Zip exports. The HTTP side writes an *export request* (what goes into the zip, already decided and
 * hashed) to `export-requests/<campaignId>/<hash>.json`; S3's ObjectCreated event starts the
 * export-zip function, which streams the zip to `exports/<campaignId>/<hash>.zip`. The hash names
 * the content, so a request written twice builds (at most) the same zip, and a zip that exists is
 * the zip of that request.
 */

export const EXPORT_REQUESTS_PREFIX = 'export-requests/';
export const EXPORTS_PREFIX = 'exports/';
/** The manifest's name at the root of every zip. */
export const MANIFEST_NAME = '清单.csv';
/** Files per zip: far above a campaign (≈ 2 × 400 orgs), far below zip64's entry count. */
export const MAX_EXPORT_ENTRIES = 5000;
/** Longest zip path (UTF-16 units); Windows' MAX_PATH is 260 including the folder it is unpacked to. */
export const MAX_ZIP_PATH = 200;
/** Largest manifest (it is held in memory and compressed in one go). */
export const MAX_MANIFEST_CHARS = 4 * 1024 * 1024;
/** A pre-signed download (GET) link is valid for 5 minutes at most: it is fetched right away. */
export const DOWNLOAD_URL_MAX_SECONDS = 300;

export const Sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'not a lower-case hex SHA-256'));

export const exportRequestKey = (campaignId: string, hash: string) => `${EXPORT_REQUESTS_PREFIX}${campaignId}/${hash}.json`;
export const zipKeyOf = (campaignId: string, hash: string) => `${EXPORTS_PREFIX}${campaignId}/${hash}.zip`;

const REQUEST_KEY = /^export-requests\/([a-z0-9][a-z0-9-]{1,47})\/([0-9a-f]{64})\.json$/;

/** `export-requests/<campaignId>/<hash>.json` → its parts; undefined for any other key. */
export function parseExportRequestKey(key: string): { campaignId: string; hash: string; zipKey: string } | undefined {
  const m = REQUEST_KEY.exec(key);
  if (!m) return undefined;
  const [, campaignId, hash] = m as unknown as [string, string, string];
  return { campaignId, hash, zipKey: zipKeyOf(campaignId, hash) };
}

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_SEGMENT = /[\u0000-\u001f\u007f\\\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A relative, '/'-separated path whose segments are all non-empty, not '.' or '..', and hold no
 * backslash, control or bidi character (functions/plans/export.ts `zipPaths` makes such paths).
 */
export function isSafeZipPath(path: string): boolean {
  if (path.length === 0 || path.length > MAX_ZIP_PATH) return false;
  return path.split('/').every((s) => s.length > 0 && s !== '.' && s !== '..' && !UNSAFE_IN_SEGMENT.test(s));
}

export const ExportEntry = z.strictObject({
  /** Path inside the zip, e.g. "东湖区/梧桐小学/心理危机管理工作方案.pdf". */
  path: z.string().check(z.refine(isSafeZipPath, 'unsafe zip path')),
  /** The accepted object: accepted/<campaignId>/… */
  key: z.string().check(z.regex(/^accepted\/[a-z0-9][a-z0-9-]{1,47}\/[A-Za-z0-9._\-/]+$/), z.maxLength(300)),
  size: z.int().check(z.minimum(1), z.maximum(MAX_UPLOAD_BYTES)),
  sha256: Sha256Hex,
  /**
   * Optional: when the version was received (ISO UTC). The zip entry's modification time is this
   * instant as Beijing wall-clock time; without it, a fixed time (see functions/plans/export.ts).
   */
  receivedAt: z.optional(z.iso.datetime()),
});
export type ExportEntry = z.infer<typeof ExportEntry>;

const contentShape = {
  campaignId: CampaignId,
  /** Suggested download name (Chinese allowed), e.g. "2019年心理服务方案-东湖区.zip". */
  fileName: z.string().check(z.minLength(1), z.maxLength(120), z.refine((s) => !UNSAFE_IN_SEGMENT.test(s) && !s.includes('/'), 'unsafe file name')),
  entries: z.array(ExportEntry).check(z.maxLength(MAX_EXPORT_ENTRIES)),
  /** Written into the zip as 清单.csv. */
  manifestCsv: z.string().check(z.maxLength(MAX_MANIFEST_CHARS)),
};

/** Paths unique (case-insensitively, as on Windows, and apart from the manifest), objects of this campaign. */
function checkEntries(r: { campaignId: string; entries: ExportEntry[] }, ctx: z.core.$RefinementCtx<unknown>) {
  const seen = new Set([MANIFEST_NAME.toLowerCase()]);
  for (const [i, e] of r.entries.entries()) {
    const p = e.path.toLowerCase();
    if (seen.has(p)) ctx.addIssue({ code: 'custom', message: `duplicate zip path ${e.path}`, path: ['entries', i, 'path'] });
    seen.add(p);
    if (!e.key.startsWith(`accepted/${r.campaignId}/`)) ctx.addIssue({ code: 'custom', message: 'object of another campaign', path: ['entries', i, 'key'] });
  }
}

/** What the hash covers: the request without its zipKey. */
export const ExportRequestContent = z.strictObject(contentShape).check(z.superRefine(checkEntries));
export type ExportRequestContent = z.infer<typeof ExportRequestContent>;

/** The object under export-requests/. */
export const ExportRequest = z
  .strictObject({ ...contentShape, zipKey: z.string().check(z.regex(/^exports\/[a-z0-9][a-z0-9-]{1,47}\/[0-9a-f]{64}\.zip$/)) })
  .check(z.superRefine(checkEntries));
export type ExportRequest = z.infer<typeof ExportRequest>;

/** JSON with object keys sorted at every level and no whitespace; undefined members left out. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** sha256 hex of the canonical JSON of the request without its zipKey (a zipKey passed in is ignored). */
export function canonicalHash(request: ExportRequestContent | ExportRequest): string {
  const { zipKey: _ignored, ...content } = request as ExportRequest;
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

/** The request as the HTTP side writes it: content + its zipKey, under exportRequestKey(campaignId, hash). */
export function exportRequestOf(content: ExportRequestContent): { key: string; hash: string; request: ExportRequest } {
  const hash = canonicalHash(content);
  return { key: exportRequestKey(content.campaignId, hash), hash, request: { ...content, zipKey: zipKeyOf(content.campaignId, hash) } };
}

/** The export-zip function's configuration: the bucket only (no table). */
export const ExportZipEnv = z.required(z.pick(Env, { BUCKET_NAME: true }));
export type ExportZipEnv = z.infer<typeof ExportZipEnv>;
