import { createHash } from 'node:crypto';
import { type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { BEIJING_OFFSET_MS } from '../shared/clock.js';
import {
  canonicalHash,
  ExportRequest,
  type ExportEntry,
  isSafeZipPath,
  MANIFEST_NAME,
  parseExportRequestKey,
} from '../../schemas/exports.js';

/**
 * Zip exports, the domain side: the zip of an export request, streamed from object storage to
 * object storage (or to a local file), every entry checked against its SHA-256 on the way. No AWS
 * here: object storage is a port (functions/plans/s3.ts is its S3 adapter).
 */

export * from './manifest.js';

// ── Errors ─────────────────────────────────────────────────────────────────────────────────────────

/** An export request that cannot be understood (bad key, bad JSON, bad shape, hash that doesn't match). */
export class ExportRequestError extends Error {
  override readonly name = 'ExportRequestError';
}

/** An object whose bytes are not the ones the request (and so the manifest) names: nothing is published. */
export class ExportIntegrityError extends Error {
  override readonly name = 'ExportIntegrityError';
  constructor(
    readonly entry: Pick<ExportEntry, 'path' | 'key' | 'size' | 'sha256'>,
    readonly actual: { size: number; sha256?: string },
  ) {
    super(
      actual.sha256 === undefined
        ? `${entry.key} (${entry.path}): ${actual.size} bytes or more, expected ${entry.size}`
        : `${entry.key} (${entry.path}): ${actual.size} bytes with sha256 ${actual.sha256}, expected ${entry.size} bytes with sha256 ${entry.sha256}`,
    );
  }
}

// ── Ports ──────────────────────────────────────────────────────────────────────────────────────────

/** What the export-zip function needs from object storage. */
export interface ExportObjects {
  /** True if the object exists (false when it does not; any other failure throws). */
  exists(key: string): Promise<boolean>;
  /** The object's bytes, or undefined if it is gone. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** A stream of the object's bytes; rejects if it is missing. */
  openRead(key: string): Promise<Readable>;
  /**
   * Streams `body` to `key` (multipart), bounded memory. If `body` errors, rejects and leaves no
   * object under `key` (the multipart upload is aborted, never completed).
   */
  upload(key: string, body: Readable, contentType: string): Promise<void>;
}

/** What the HTTP side needs to hand out a zip (or a single file). */
// ── The export, end to end ─────────────────────────────────────────────────────────────────────────

export type ExportOutcome =
  | { outcome: 'exists'; zipKey: string }
  | { outcome: 'built'; zipKey: string; entries: number; bytes: number };

/**
 * Builds the zip of the export request stored under `requestKey`, unless its zip already exists
 * (idempotent: the key names the content, so two builds of one request write the same bytes).
 * Throws on a request it cannot understand and on any object that is not what the request says.
 */
export async function exportZip(objects: ExportObjects, requestKey: string): Promise<ExportOutcome> {
  const ref = parseExportRequestKey(requestKey);
  if (!ref) throw new ExportRequestError(`not an export request key: ${JSON.stringify(requestKey)}`);
  if (await objects.exists(ref.zipKey)) return { outcome: 'exists', zipKey: ref.zipKey };
  const bytes = await objects.read(requestKey);
  if (!bytes) throw new ExportRequestError(`export request ${requestKey} is gone (and its zip was never built)`);
  const request = parseExportRequest(requestKey, bytes);
  const built = await buildZip(request.entries, request.manifestCsv, (key) => objects.openRead(key), (zip) =>
    objects.upload(ref.zipKey, zip, 'application/zip'),
  );
  return { outcome: 'built', zipKey: ref.zipKey, ...built };
}

/** Parses and checks a stored request: shape, key ↔ campaign, zipKey and hash all agree. */
export function parseExportRequest(requestKey: string, bytes: Uint8Array): ExportRequest {
  const ref = parseExportRequestKey(requestKey);
  if (!ref) throw new ExportRequestError(`not an export request key: ${JSON.stringify(requestKey)}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ExportRequestError(`export request ${requestKey} is not UTF-8 JSON: ${(e as Error).message}`);
  }
  const parsed = ExportRequest.safeParse(json);
  if (!parsed.success) {
    const what = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
    throw new ExportRequestError(`export request ${requestKey} is malformed: ${what.join('; ')}`);
  }
  const request = parsed.data;
  if (request.campaignId !== ref.campaignId) throw new ExportRequestError(`export request ${requestKey} names campaign ${request.campaignId}`);
  if (request.zipKey !== ref.zipKey) throw new ExportRequestError(`export request ${requestKey} names zipKey ${request.zipKey}, expected ${ref.zipKey}`);
  const hash = canonicalHash(request);
  if (hash !== ref.hash) throw new ExportRequestError(`export request ${requestKey} hashes to ${hash}`);
  return request;
}

// ── The zip ────────────────────────────────────────────────────────────────────────────────────────

export type ZipInput = Pick<ExportEntry, 'path' | 'key' | 'size' | 'sha256' | 'receivedAt'>;
/** Opens one object's bytes (S3 GetObject, a local file, memory). */
export type OpenObject = (key: string) => Promise<Readable>;
/** Where the zip goes: a Writable (a file) or a consumer of the zip stream (a multipart upload). */
export type ZipSink = Writable | ((zip: Readable) => Promise<unknown>);

export interface BuiltZip {
  /** Plan files in the zip (the manifest not counted). */
  entries: number;
  /** Bytes of the zip. */
  bytes: number;
}

/** The DOS epoch (1980-01-01 00:00), the usual fixed time of reproducible zips. */
const DOS_EPOCH_BEIJING = '1979-12-31T16:00:00.000Z';

/**
 * Modification time of a zip entry. Zip (DOS) times have no zone; the people who unpack these zips
 * are in Beijing, so the time written is the Beijing wall-clock time of `iso` (the version's
 * receipt), with no UTC extra field, so the bytes don't depend on the zone of the machine that
 * builds them. Without a time: the DOS epoch. Deterministic, so two builds of one request are equal.
 */
export function zipMtime(iso: string | undefined): Date {
  const b = new Date(Date.parse(iso ?? DOS_EPOCH_BEIJING) + BEIJING_OFFSET_MS);
  // yazl reads local-time fields: give it a local time whose fields are Beijing's.
  return new Date(b.getUTCFullYear(), b.getUTCMonth(), b.getUTCDate(), b.getUTCHours(), b.getUTCMinutes(), b.getUTCSeconds());
}

/** Counts and hashes an entry's bytes as they pass; errors (before the entry ends) when they are not the expected ones. */
function verifier(e: ZipInput): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > e.size) return cb(new ExportIntegrityError(e, { size }));
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const sha256 = hash.digest('hex');
      cb(size === e.size && sha256 === e.sha256 ? null : new ExportIntegrityError(e, { size, sha256 }));
    },
  });
}

/**
 * Streams a zip of `entries` (stored, not compressed: PDF/DOC/DOCX don't shrink) and the manifest
 * (`清单.csv`, first, deflated) into `sink`. One object is open at a time and everything is
 * back-pressured, so memory stays bounded whatever the total. Each entry is hashed on the way and
 * compared with its sha256 and size: on a mismatch — or any read or sink failure — the zip stream is
 * destroyed with the error before it can end (a multipart upload is then aborted, never completed)
 * and this rejects with that error.
 *
 * The admin CLI writes the same zip to a local file:
 *   await buildZip(request.entries, request.manifestCsv, (key) => objects.openRead(key), createWriteStream(out));
 * (on rejection the file is partial: delete it).
 */
export async function buildZip(entries: readonly ZipInput[], manifestCsv: string, open: OpenObject, sink: ZipSink): Promise<BuiltZip> {
  const seen = new Set([MANIFEST_NAME.toLowerCase()]);
  for (const e of entries) {
    if (!isSafeZipPath(e.path)) throw new ExportRequestError(`unsafe zip path ${JSON.stringify(e.path)}`);
    if (seen.has(e.path.toLowerCase())) throw new ExportRequestError(`duplicate zip path ${JSON.stringify(e.path)}`);
    seen.add(e.path.toLowerCase());
  }

  const zip = new ZipFile();
  const out = zip.outputStream as unknown as Readable;
  let failure: { error: unknown } | undefined;
  let current: Readable | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    current?.destroy();
    out.destroy(error instanceof Error ? error : new Error(String(error)));
  };
  zip.on('error', fail);
  out.on('error', () => {}); // forwarded below; never an unhandled 'error'

  const latest = entries.reduce<string | undefined>((m, e) => (e.receivedAt && (!m || e.receivedAt > m) ? e.receivedAt : m), undefined);
  zip.addBuffer(Buffer.from(manifestCsv, 'utf8'), MANIFEST_NAME, { compress: true, mtime: zipMtime(latest), forceDosTimestamp: true });
  for (const e of entries) {
    // Lazy: yazl asks for an entry's stream only when the previous one is written.
    zip.addReadStreamLazy(e.path, { compress: false, size: e.size, mtime: zipMtime(e.receivedAt), forceDosTimestamp: true }, (cb) => {
      if (failure) return;
      open(e.key).then((src) => {
        if (failure) return void src.destroy();
        const check = verifier(e);
        src.on('error', fail);
        check.on('error', fail);
        current = src;
        cb(null, src.pipe(check));
      }, fail);
    });
  }
  zip.end();

  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  counted.on('error', () => {}); // a consumer that has not started reading yet must not crash the process
  out.on('error', (e) => counted.destroy(e));
  out.pipe(counted);

  try {
    if (typeof sink === 'function') await sink(counted);
    else await pipeline(counted, sink);
  } catch (e) {
    fail(e);
  }
  if (!failure && !counted.readableEnded) fail(new Error('the zip sink returned before reading the whole zip'));
  if (failure) throw failure.error;
  return { entries: entries.length, bytes };
}
