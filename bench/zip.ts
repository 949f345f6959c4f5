/**
 * Zip export measurement (not a timed assertion): a campaign-sized zip — ZIP_OBJECTS × ZIP_OBJECT_MB
 * of random bytes — built by the same buildZip (functions/plans/export.ts) the export-zip Lambda
 * runs, each into a fresh `node` process so peak RSS is the build's own:
 *  - "counting sink": the zip into a Writable that counts and drops it (the pipeline alone);
 *  - "lib-storage Upload": the zip through the real S3 adapter (s3ExportObjects → @aws-sdk/lib-storage,
 *    8 MiB parts, 4 in flight) over an S3Client whose transport answers from memory and drops the
 *    parts: signing, part buffering and back-pressure included, the network not.
 * The source generates each object on the fly (AES-256-CTR keystream, seeded by its index) and
 * streams it in 64 KiB chunks, like a GetObject body; its SHA-256 is computed beforehand, untimed.
 *
 *   npx tsx bench/zip.ts            (also run by `npm run bench`, not by `npm run budget`)
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const ZIP_OBJECTS = 60;
export const ZIP_OBJECT_MB = 5;
const CHUNK = 64 * 1024;
const MB = 1024 * 1024;
const MODES = ['counting sink', 'lib-storage Upload'] as const;
type Mode = (typeof MODES)[number];

/** Object i's bytes, streamed: AES-256-CTR keystream (key = i), deterministic and incompressible. */
function generated(i: number, size: number): Readable {
  const key = createHash('sha256').update(`bench-zip-${i}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n)));
    },
  });
}

async function sha256Of(s: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return h.digest('hex');
}

/** An S3Client transport that answers multipart calls from memory and counts (then drops) what is uploaded. */
function memoryS3Transport(counter: { bytes: number; parts: number; puts: number }) {
  const xml = (body: string) => new TextEncoder().encode(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  return {
    async handle(req: { method: string; query?: Record<string, unknown>; body?: unknown; path: string }) {
      const q = req.query ?? {};
      const size = (b: unknown) => (b instanceof Uint8Array ? b.byteLength : typeof b === 'string' ? Buffer.byteLength(b) : 0);
      let headers: Record<string, string> = {};
      let body = new Uint8Array();
      if (req.method === 'POST' && 'uploads' in q) {
        body = xml('<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>bench-upload</UploadId></InitiateMultipartUploadResult>');
      } else if (req.method === 'PUT' && 'partNumber' in q) {
        counter.bytes += size(req.body);
        counter.parts += 1;
        headers = { etag: `"part-${String(q.partNumber)}"` };
      } else if (req.method === 'POST' && 'uploadId' in q) {
        body = xml('<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>');
      } else if (req.method === 'PUT') {
        counter.bytes += size(req.body);
        counter.puts += 1;
        headers = { etag: '"single"' };
      } else if (req.method !== 'DELETE') throw new Error(`bench transport: ${req.method} ${req.path} not faked`);
      return { response: { statusCode: req.method === 'DELETE' ? 204 : 200, headers: { ...headers, 'content-length': String(body.byteLength) }, body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
}

interface ChildResult {
  mode: Mode;
  objects: number;
  inputBytes: number;
  zipBytes: number;
  ms: number;
  rssBeforeMb: number;
  peakRssMb: number;
  parts?: number;
}

/** Runs in the child: one build, prints a JSON line. */
async function child(mode: Mode): Promise<ChildResult> {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIABENCHFAKEKEY0000',
    AWS_SECRET_ACCESS_KEY: 'bench/fake/secret/key/0000000000000000000',
  });
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_ENDPOINT_URL')) delete process.env[k];
  const { buildZip, manifestCsv } = await import('../functions/plans/export.js');
  const { s3ExportObjects } = await import('../functions/plans/s3-zip.js');
  const { S3Client } = await import('@aws-sdk/client-s3');

  const size = ZIP_OBJECT_MB * MB;
  const entries = [];
  for (let i = 0; i < ZIP_OBJECTS; i++) {
    entries.push({ path: `东湖区/学校${String(i).padStart(3, '0')}/心理危机管理工作方案.pdf`, key: `accepted/bench/${i}`, size, sha256: await sha256Of(generated(i, size)) });
  }
  const csv = manifestCsv(
    entries.map((e, i) => ({ orgName: `学校${i}`, districtName: '东湖区', documentTitle: '心理危机管理工作方案', version: 1, originalName: `方案${i}.pdf`, size, sha256: e.sha256, receivedAt: '2019-06-30T15:00:00Z', onTime: true, note: '' })),
  );
  const open = async (key: string) => generated(Number(key.split('/').pop()), size);

  const counter = { bytes: 0, parts: 0, puts: 0 };
  const sink =
    mode === 'counting sink'
      ? new Writable({
          write(chunk: Buffer, _e, cb) {
            counter.bytes += chunk.length;
            cb();
          },
        })
      : (zip: Readable) =>
          s3ExportObjects(
            new S3Client({ requestHandler: memoryS3Transport(counter) as never, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
            'bench-bucket',
          ).upload('exports/bench/x.zip', zip, 'application/zip');

  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const built = await buildZip(entries, csv, open, sink);
  const ms = performance.now() - t0;
  if (counter.bytes !== built.bytes) throw new Error(`bench: sink saw ${counter.bytes} bytes, zip is ${built.bytes}`);
  return {
    mode,
    objects: entries.length,
    inputBytes: size * entries.length,
    zipBytes: built.bytes,
    ms,
    rssBeforeMb: rssBefore / MB,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    ...(mode === 'counting sink' ? {} : { parts: counter.parts }),
  };
}

/** Runs each mode in a fresh process; returns the rows. */
export function runZipBench(): ChildResult[] {
  const self = fileURLToPath(import.meta.url);
  return MODES.map((mode) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, '--child', mode], {
      cwd: resolve(self, '../..'),
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 16 * MB,
    });
    if (r.status !== 0) throw new Error(`zip bench (${mode}) failed (exit ${r.status}): ${r.stderr || r.error}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
  });
}

export function printZipBench(rows: ChildResult[]): void {
  const fmt = (n: number, d = 1) => n.toFixed(d);
  console.log(
    `\nZip export (bench/zip.ts): ${ZIP_OBJECTS} × ${ZIP_OBJECT_MB} MiB generated objects through buildZip (stored, SHA-256 checked), one fresh node process per row:`,
  );
  const head = ['sink', 'input MiB', 'zip MiB', 'parts', 'time s', 'MiB/s', 'RSS before MiB', 'peak RSS MiB'];
  const body = rows.map((r) => [
    r.mode,
    fmt(r.inputBytes / MB),
    fmt(r.zipBytes / MB),
    r.parts === undefined ? '–' : String(r.parts),
    fmt(r.ms / 1000, 2),
    fmt(r.inputBytes / MB / (r.ms / 1000), 0),
    fmt(r.rssBeforeMb),
    fmt(r.peakRssMb),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ');
  console.log([line(head), w.map((n) => '─'.repeat(n)).join('  '), ...body.map(line)].join('\n'));
  console.log('(time includes generating and hashing the source: AES-CTR + SHA-256 per object, as reading and checking from S3 would; no network)');
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const i = process.argv.indexOf('--child');
  if (i > 0) {
    child(process.argv[i + 1] as Mode).then(
      (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
      (e: unknown) => {
        console.error(e);
        process.exit(2);
      },
    );
  } else {
    printZipBench(runZipBench());
  }
}
