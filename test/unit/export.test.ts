/**
 * Zip exports, domain side: buildZip over in-memory streams read back with yauzl (an independent
 * unzip), the SHA-256 check that refuses to finish a zip whose manifest would lie, paths, manifest,
 * Content-Disposition, and the export request's schema and hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  beijingMinute,
  buildZip,
  contentDisposition,
  csvCell,
  DIRECT_FOLDER,
  ExportIntegrityError,
  type ExportObjects,
  ExportRequestError,
  exportZip,
  MANIFEST_HEADER,
  manifestCsv,
  parseExportRequest,
  safeSegment,
  type ZipInput,
  zipMtime,
  zipPaths,
} from '../../functions/plans/export.js';
import {
  canonicalHash,
  canonicalJson,
  type ExportRequestContent,
  exportRequestKey,
  exportRequestOf,
  isSafeZipPath,
  MANIFEST_NAME,
  parseExportRequestKey,
  zipKeyOf,
} from '../../schemas/exports.js';
import { parseCsv, sha256hex, unzipBuffer, unzipFile } from '../fixtures/unzip.js';

const CAMPAIGN = '2019-plans';
const HASH = 'a'.repeat(64);

/** An object store in memory: each open() yields the bytes in small chunks (so streaming is exercised). */
function memoryObjects(objects: Record<string, Uint8Array>) {
  const opened: string[] = [];
  const streams: Readable[] = [];
  const open = async (key: string) => {
    const bytes = objects[key];
    if (!bytes) throw Object.assign(new Error(`NoSuchKey: ${key}`), { name: 'NoSuchKey' });
    opened.push(key);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7919) chunks.push(Buffer.from(bytes.subarray(i, i + 7919)));
    const s = Readable.from(chunks, { objectMode: false });
    streams.push(s);
    return s;
  };
  return { open, opened, streams };
}

/** A sink like a multipart upload: keeps what it read, "publishes" only if the stream ended normally. */
function collectingSink() {
  const state: { published?: Buffer; error?: unknown; read: number } = { read: 0 };
  const sink = async (zip: Readable) => {
    const chunks: Buffer[] = [];
    try {
      for await (const c of zip) {
        chunks.push(c as Buffer);
        state.read += (c as Buffer).length;
      }
    } catch (e) {
      state.error = e;
      throw e;
    }
    state.published = Buffer.concat(chunks);
  };
  return { sink, state };
}

const entry = (path: string, key: string, bytes: Uint8Array, receivedAt?: string): ZipInput => ({
  path,
  key,
  size: bytes.length,
  sha256: sha256hex(bytes),
  ...(receivedAt ? { receivedAt } : {}),
});

function sample() {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50_000)]);
  const docx = Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(120_001)]);
  const doc = randomBytes(3);
  const objects: Record<string, Buffer> = {
    [`accepted/${CAMPAIGN}/dh-wutong/crisis-plan/0123.pdf`]: pdf,
    [`accepted/${CAMPAIGN}/dh-wutong/service-plan/4567.docx`]: docx,
    [`accepted/${CAMPAIGN}/zs-yizhong/crisis-plan/89ab.doc`]: doc,
  };
  const entries: ZipInput[] = [
    entry('东湖区/梧桐小学/心理危机管理工作方案.pdf', `accepted/${CAMPAIGN}/dh-wutong/crisis-plan/0123.pdf`, pdf, '2019-06-30T15:59:30.000Z'),
    entry('东湖区/梧桐小学/心理服务体系建设工作实施方案.docx', `accepted/${CAMPAIGN}/dh-wutong/service-plan/4567.docx`, docx, '2019-06-20T01:02:03.000Z'),
    entry('直属学校/南昌一中/心理危机管理工作方案.doc', `accepted/${CAMPAIGN}/zs-yizhong/crisis-plan/89ab.doc`, doc),
  ];
  const csv = manifestCsv([
    {
      orgName: '梧桐小学',
      districtName: '东湖区',
      documentTitle: '心理危机管理工作方案',
      version: 2,
      originalName: '危机方案(终稿).pdf',
      size: pdf.length,
      sha256: sha256hex(pdf),
      receivedAt: '2019-06-30T15:59:30.000Z',
      onTime: true,
      note: '按时提交（6月30日 23:59），7月1日 00:00 修改',
    },
  ]);
  return { objects, entries, csv, bytes: { pdf, docx, doc } };
}

describe('buildZip', () => {
  it('streams every entry (stored) and the manifest (deflated, first) into a zip any unzip reads back', async () => {
    const { objects, entries, csv } = sample();
    const store = memoryObjects(objects);
    const { sink, state } = collectingSink();
    const built = await buildZip(entries, csv, store.open, sink);

    const unzipped = await unzipBuffer(state.published!);
    expect(unzipped.map((e) => e.path)).toEqual([MANIFEST_NAME, ...entries.map((e) => e.path)]);
    expect(built).toEqual({ entries: 3, bytes: state.published!.length });
    const [manifest, ...files] = unzipped;
    expect(manifest!.bytes.toString('utf8')).toBe(csv);
    expect(manifest!.compressionMethod).toBe(8);
    for (const [i, f] of files.entries()) {
      const e = entries[i]!;
      expect(f.bytes.equals(Buffer.from(objects[e.key]!)), e.path).toBe(true);
      expect(f.sha256).toBe(e.sha256);
      expect(f.compressionMethod, e.path).toBe(0);
    }
    for (const f of unzipped) {
      expect(f.utf8Name, f.path).toBe(true);
      expect(f.extraFieldIds, f.path).toEqual([]); // no UTC timestamp field: DOS time only
    }
    // Opened one by one, in order.
    expect(store.opened).toEqual(entries.map((e) => e.key));
  });

  it('dates each entry at its receipt, Beijing wall-clock time; the manifest at the latest; none → 1980-01-01', async () => {
    const { objects, entries, csv } = sample();
    const { sink, state } = collectingSink();
    await buildZip(entries, csv, memoryObjects(objects).open, sink);
    const byPath = new Map((await unzipBuffer(state.published!)).map((e) => [e.path, e.wallClock.toISOString()]));
    expect(byPath.get('东湖区/梧桐小学/心理危机管理工作方案.pdf')).toBe('2019-06-30T23:59:30.000Z'); // 23:59:30 in Beijing
    expect(byPath.get('东湖区/梧桐小学/心理服务体系建设工作实施方案.docx')).toBe('2019-06-20T09:02:02.000Z'); // DOS: 2-second steps
    expect(byPath.get('直属学校/南昌一中/心理危机管理工作方案.doc')).toBe('1980-01-01T00:00:00.000Z');
    expect(byPath.get(MANIFEST_NAME)).toBe('2019-06-30T23:59:30.000Z');
  });

  it('is deterministic: the same request gives the same bytes, whatever the builder’s time zone', async () => {
    const { objects, entries, csv } = sample();
    const build = async () => {
      const { sink, state } = collectingSink();
      await buildZip(entries, csv, memoryObjects(objects).open, sink);
      return state.published!;
    };
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const a = await build();
      process.env.TZ = 'America/New_York';
      expect(new Date(2019, 5, 30).getTimezoneOffset()).toBe(240); // the zone change took effect
      const b = await build();
      expect(b.equals(a)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it.each([
    ['the first', 0],
    ['the last', 2],
  ])('refuses to finish the zip when %s entry’s bytes are not the listed ones (sha256)', async (_which, i) => {
    const { objects, entries, csv } = sample();
    const bad = entries.map((e, j) => (j === i ? { ...e, sha256: sha256hex('something else') } : e));
    const { sink, state } = collectingSink();
    const err = await buildZip(bad, csv, memoryObjects(objects).open, sink).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportIntegrityError);
    expect((err as ExportIntegrityError).entry.path).toBe(entries[i]!.path);
    expect((err as Error).message).toContain(entries[i]!.sha256);
    // The sink saw the error, not an end: a multipart upload would be aborted, never completed.
    expect(state.published).toBeUndefined();
    expect(state.error).toBe(err);
  });

  it('refuses an entry longer or shorter than listed, before reading all of a longer one', async () => {
    const { objects, entries, csv } = sample();
    for (const size of [entries[0]!.size - 1, entries[0]!.size + 1]) {
      const { sink, state } = collectingSink();
      const err = await buildZip([{ ...entries[0]!, size }], csv, memoryObjects(objects).open, sink).catch((e: unknown) => e);
      expect(err, String(size)).toBeInstanceOf(ExportIntegrityError);
      expect(state.published).toBeUndefined();
    }
  });

  it('rejects when an object cannot be opened or breaks mid-stream, and when the sink fails; sources are released', async () => {
    const { objects, entries, csv } = sample();
    // Missing object.
    const { [entries[1]!.key]: _gone, ...fewer } = objects;
    const missing = collectingSink();
    await expect(buildZip(entries, csv, memoryObjects(fewer).open, missing.sink)).rejects.toThrow(/NoSuchKey/);
    expect(missing.state.published).toBeUndefined();

    // A source that fails half-way (a dropped connection).
    const broken = async () => {
      const s = new PassThrough();
      s.write(Buffer.alloc(1000));
      setImmediate(() => s.destroy(new Error('socket hang up')));
      return s;
    };
    const b = collectingSink();
    await expect(buildZip(entries, csv, broken, b.sink)).rejects.toThrow('socket hang up');
    expect(b.state.published).toBeUndefined();

    // A sink that gives up (an upload error): buildZip rejects with it and destroys the open source.
    const store = memoryObjects(objects);
    const failing = async (zip: Readable) => {
      for await (const _ of zip) throw new Error('UploadPart failed');
    };
    await expect(buildZip(entries, csv, store.open, failing)).rejects.toThrow('UploadPart failed');
    expect(store.streams.every((s) => s.destroyed)).toBe(true);

    // A sink that returns without reading the zip is an error, not a success.
    await expect(buildZip(entries, csv, memoryObjects(objects).open, async () => {})).rejects.toThrow(/before reading the whole zip/);
  });

  it('refuses unsafe or duplicate paths (also against the manifest) before opening anything', async () => {
    const { objects, entries, csv } = sample();
    for (const path of ['../etc/passwd', '/abs.pdf', 'a//b.pdf', 'a\\b.pdf', '东湖区/./x.pdf', 'x\u0000.pdf', '']) {
      const store = memoryObjects(objects);
      await expect(buildZip([{ ...entries[0]!, path }], csv, store.open, collectingSink().sink), path).rejects.toBeInstanceOf(ExportRequestError);
      expect(store.opened).toEqual([]);
    }
    const refuses = (list: ZipInput[]) => expect(buildZip(list, csv, memoryObjects(objects).open, collectingSink().sink)).rejects.toThrow(/duplicate/);
    await refuses([entries[0]!, entries[0]!]);
    await refuses([entries[0]!, { ...entries[1]!, path: entries[0]!.path.replace('.pdf', '.PDF') }]); // one file on Windows
    await refuses([{ ...entries[0]!, path: '清单.CSV' }]);
  });

  it('builds an empty export (manifest only)', async () => {
    const { sink, state } = collectingSink();
    await buildZip([], manifestCsv([]), memoryObjects({}).open, sink);
    const unzipped = await unzipBuffer(state.published!);
    expect(unzipped.map((e) => e.path)).toEqual([MANIFEST_NAME]);
    expect(parseCsv(unzipped[0]!.bytes.toString('utf8'))).toEqual([[...MANIFEST_HEADER]]);
  });

  describe('into a local file (what `npm run cli -- download … --out file.zip` does)', () => {
    let dir: string | undefined;
    afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

    it('writes the same zip with a file stream as the sink', async () => {
      const { objects, entries, csv } = sample();
      dir = mkdtempSync(join(tmpdir(), 'zip-unit-'));
      const out = join(dir, '东湖区.zip');
      const built = await buildZip(entries, csv, memoryObjects(objects).open, createWriteStream(out));
      const file = readFileSync(out);
      expect(built.bytes).toBe(file.length);
      const { sink, state } = collectingSink();
      await buildZip(entries, csv, memoryObjects(objects).open, sink);
      expect(file.equals(state.published!)).toBe(true);
      expect((await unzipFile(out)).map((e) => e.sha256)).toEqual([sha256hex(csv), ...entries.map((e) => e.sha256)]);
    });

    it('rejects (the file is partial) when an entry does not match', async () => {
      const { objects, entries, csv } = sample();
      dir = mkdtempSync(join(tmpdir(), 'zip-unit-'));
      const bad = [{ ...entries[0]!, sha256: '0'.repeat(64) }];
      await expect(buildZip(bad, csv, memoryObjects(objects).open, createWriteStream(join(dir, 'x.zip')))).rejects.toBeInstanceOf(ExportIntegrityError);
    });
  });

  it('keeps memory bounded: a slow sink back-pressures the source instead of buffering it', async () => {
    // 40 MiB from one generated source; the sink holds each chunk for a tick and keeps nothing.
    const size = 40 * 1024 * 1024;
    const block = randomBytes(64 * 1024);
    const hash = createHash('sha256');
    for (let n = 0; n < size; n += block.length) hash.update(block);
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const open = async () =>
      new Readable({
        read() {
          if (produced >= size) return void this.push(null);
          produced += block.length;
          this.push(block);
        },
      });
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        consumed += chunk.length;
        maxAhead = Math.max(maxAhead, produced - consumed);
        setImmediate(cb);
      },
    });
    await buildZip([{ path: 'big.pdf', key: 'accepted/x/big', size, sha256: hash.digest('hex') }], '', open, sink);
    expect(consumed).toBeGreaterThan(size);
    expect(maxAhead).toBeLessThan(2 * 1024 * 1024); // stream buffers only, not the object
  });
});

describe('zipMtime', () => {
  it('gives yazl local fields equal to Beijing’s wall clock', () => {
    const d = zipMtime('2019-06-30T15:59:59.000Z');
    expect([d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()]).toEqual([2019, 6, 30, 23, 59, 59]);
    const e = zipMtime(undefined);
    expect([e.getFullYear(), e.getMonth(), e.getDate(), e.getHours()]).toEqual([1980, 0, 1, 0]);
  });
});

describe('zipPaths', () => {
  const item = (over: Partial<Parameters<typeof zipPaths>[0][number]> = {}) => ({
    districtName: '东湖区',
    orgId: 'dh-wutong',
    orgName: '梧桐小学',
    title: '心理危机管理工作方案',
    ext: 'pdf',
    ...over,
  });

  it('puts District schools under their District, Direct schools under 直属学校/', () => {
    expect(zipPaths([item(), item({ districtName: undefined, orgId: 'zs-1', orgName: '南昌一中', ext: 'DOCX' }), item({ districtName: ' ', orgId: 'zs-2', orgName: '南昌二中' })])).toEqual([
      '东湖区/梧桐小学/心理危机管理工作方案.pdf',
      `${DIRECT_FOLDER}/南昌一中/心理危机管理工作方案.docx`,
      `${DIRECT_FOLDER}/南昌二中/心理危机管理工作方案.pdf`,
    ]);
  });

  it('makes every segment safe: no separators, traversal, control/bidi or Windows-forbidden characters', () => {
    const paths = zipPaths([
      item({ districtName: '../..', orgName: 'a/b\\c', title: '方案:<初稿>|"终"?*' }),
      item({ orgId: 'o2', orgName: '..', title: '..' }),
      item({ orgId: 'o3', orgName: '学校\u0000\u202e名', title: ' . 方案. ', ext: '../x' }),
      item({ orgId: 'o4', orgName: 'CON', title: 'nul.txt' }),
      item({ orgId: 'o5', orgName: '长'.repeat(300), title: '题'.repeat(300) }),
    ]);
    expect(paths[0]).toBe('_/a_b_c/方案__初稿___终___.pdf');
    expect(paths[1]).toBe('东湖区/_/_.pdf');
    expect(paths[2]).toBe('东湖区/学校名/方案');
    expect(paths[3]).toBe('东湖区/_CON/_nul.txt.pdf');
    for (const p of paths) {
      expect(isSafeZipPath(p), p).toBe(true);
      expect(p).not.toMatch(/[\\:*?"<>|\u0000-\u001f\u202e]/);
      for (const seg of p.split('/')) expect(seg, p).not.toMatch(/^\.|\.$|^ | $/);
    }
    expect(Array.from(paths[4]!.split('/')[1]!)).toHaveLength(60);
  });

  it('numbers duplicates " (2)", " (3)": same file twice in an org, two orgs of one name, case-insensitively', () => {
    expect(
      zipPaths([
        item(),
        item(),
        item(),
        item({ orgId: 'dh-wutong-2' }), // another school with the same name
        item({ orgId: 'dh-wutong-2' }),
        item({ orgId: 'x', orgName: 'ABC', title: 'Plan' }),
        item({ orgId: 'y', orgName: 'abc', title: 'plan' }),
        item({ districtName: '清单.csv', orgId: 'z' }), // never the manifest's name at the root
      ]),
    ).toEqual([
      '东湖区/梧桐小学/心理危机管理工作方案.pdf',
      '东湖区/梧桐小学/心理危机管理工作方案 (2).pdf',
      '东湖区/梧桐小学/心理危机管理工作方案 (3).pdf',
      '东湖区/梧桐小学 (2)/心理危机管理工作方案.pdf',
      '东湖区/梧桐小学 (2)/心理危机管理工作方案 (2).pdf',
      '东湖区/ABC/Plan.pdf',
      '东湖区/abc (2)/plan.pdf',
      '清单.csv (2)/梧桐小学/心理危机管理工作方案.pdf',
    ]);
  });

  it('safeSegment never returns an empty segment', () => {
    for (const s of ['', '   ', '...', '\u0000', '\u202e']) expect(safeSegment(s)).toBe('_');
  });
});

describe('manifestCsv', () => {
  const row = {
    orgName: '梧桐小学',
    districtName: '东湖区',
    documentTitle: '心理危机管理工作方案',
    version: 2,
    originalName: '危机方案,"终稿".pdf',
    size: 123456,
    sha256: 'ab'.repeat(32),
    receivedAt: '2019-06-30T15:59:59.999Z',
    onTime: true,
    note: '按时提交（6月30日 23:59），7月1日 00:00 修改',
  };

  it('is UTF-8 with a BOM, CRLF, the header and one line per row, times in Beijing as "YYYY-MM-DD HH:mm"', () => {
    const csv = manifestCsv([row, { ...row, orgName: '南昌一中', districtName: '直属学校', receivedAt: '2019-06-30T16:00:00.000Z', onTime: false, version: 1, note: '' }]);
    expect(csv.startsWith('\uFEFF单位,所属县区,材料,版本,原文件名,大小(字节),SHA-256,接收时间(北京时间),是否按时,备注,压缩包内路径\r\n')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toEqual(['梧桐小学', '东湖区', '心理危机管理工作方案', '2', '危机方案,"终稿".pdf', '123456', 'ab'.repeat(32), '2019-06-30 23:59', '按时', row.note, '']);
    expect(rows[2]!.slice(7, 10)).toEqual(['2019-07-01 00:00', '逾期', '']);
  });

  it('guards against formula injection and quotes when needed', () => {
    for (const bad of ['=HYPERLINK("http://x")', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) expect(csvCell(bad)).toMatch(/^"?'/);
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(42)).toBe('42');
    const rows = parseCsv(manifestCsv([{ ...row, orgName: '=cmd|calc', originalName: '@x.pdf', note: '-备注' }]));
    expect(rows[1]!.slice(0, 1)).toEqual(["'=cmd|calc"]);
    expect(rows[1]![4]).toBe("'@x.pdf");
    expect(rows[1]![9]).toBe("'-备注");
  });

  it('beijingMinute formats in UTC+8 and refuses a non-instant', () => {
    expect(beijingMinute('2019-06-30T15:59:00Z')).toBe('2019-06-30 23:59');
    expect(beijingMinute('2019-12-31T16:00:00Z')).toBe('2020-01-01 00:00');
    expect(() => beijingMinute('not a date')).toThrow(RangeError);
  });
});

describe('contentDisposition', () => {
  it('names the file in UTF-8 (RFC 5987) with an ASCII fallback (RFC 6266)', () => {
    expect(contentDisposition('2019年心理服务方案-东湖区.zip', 'plans-2019-donghu.zip')).toBe(
      `attachment; filename="plans-2019-donghu.zip"; filename*=UTF-8''2019%E5%B9%B4%E5%BF%83%E7%90%86%E6%9C%8D%E5%8A%A1%E6%96%B9%E6%A1%88-%E4%B8%9C%E6%B9%96%E5%8C%BA.zip`,
    );
    expect(contentDisposition('方案.pdf', 'plan.pdf', true)).toMatch(/^inline; filename="plan\.pdf"; filename\*=UTF-8''%E6%96%B9%E6%A1%88\.pdf$/);
  });

  it('strips quotes, backslashes, percent signs, control and non-ASCII characters from the fallback', () => {
    const cd = contentDisposition('a"b\\c.zip', 'we"ird\\na%20me\u0001 东湖.zip');
    expect(cd).toContain('filename="weirdna20me .zip"');
    expect(cd).toContain("filename*=UTF-8''a%22b_c.zip");
    // No fallback given: the name stripped to ASCII; nothing readable left → download.<ext>.
    expect(contentDisposition('东湖区.zip')).toContain('filename="download.zip"');
    expect(contentDisposition('2019年方案.zip')).toContain('filename="2019.zip"');
    expect(contentDisposition('', '')).toBe(`attachment; filename="download"; filename*=UTF-8''download`);
  });

  it("percent-encodes what RFC 5987 does not allow raw (' ( ) * space ;), drops control and bidi characters", () => {
    const cd = contentDisposition("it's (final)*; v2\u202e\r\n.pdf", 'x.pdf');
    expect(cd).toContain("filename*=UTF-8''it%27s%20%28final%29%2A%3B%20v2.pdf");
    expect(cd).not.toMatch(/[\r\n\u202e]/);
    // The header value is one line of printable ASCII.
    expect(cd).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('export request', () => {
  const content = (): ExportRequestContent => {
    const { entries, csv } = sample();
    return { campaignId: CAMPAIGN, fileName: '2019年心理服务方案.zip', entries: entries.map((e) => ({ ...e })), manifestCsv: csv };
  };

  it('keys: export-requests/<campaign>/<hash>.json → exports/<campaign>/<hash>.zip', () => {
    expect(exportRequestKey(CAMPAIGN, HASH)).toBe(`export-requests/${CAMPAIGN}/${HASH}.json`);
    expect(zipKeyOf(CAMPAIGN, HASH)).toBe(`exports/${CAMPAIGN}/${HASH}.zip`);
    expect(parseExportRequestKey(exportRequestKey(CAMPAIGN, HASH))).toEqual({ campaignId: CAMPAIGN, hash: HASH, zipKey: zipKeyOf(CAMPAIGN, HASH) });
    for (const k of [`export-requests/${CAMPAIGN}/${HASH}.zip`, `export-requests/${CAMPAIGN}/${HASH.toUpperCase()}.json`, `export-requests/../${HASH}.json`, `exports/${CAMPAIGN}/${HASH}.json`]) {
      expect(parseExportRequestKey(k), k).toBeUndefined();
    }
  });

  it('canonicalHash ignores key order and the zipKey, and changes with any content', () => {
    const c = content();
    const shuffled = Object.fromEntries(Object.entries(c).reverse()) as ExportRequestContent;
    shuffled.entries = c.entries.map((e) => Object.fromEntries(Object.entries(e).reverse()) as typeof e);
    expect(canonicalHash(shuffled)).toBe(canonicalHash(c));
    expect(canonicalHash({ ...c, zipKey: 'exports/x/y.zip' } as never)).toBe(canonicalHash(c));
    expect(canonicalHash(c)).toBe(createHash('sha256').update(canonicalJson(c)).digest('hex'));
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
    expect(canonicalHash({ ...c, fileName: 'other.zip' })).not.toBe(canonicalHash(c));
    expect(canonicalHash({ ...c, entries: [...c.entries].reverse() })).not.toBe(canonicalHash(c));
  });

  it('parseExportRequest accepts what exportRequestOf writes', () => {
    const { key, request, hash } = exportRequestOf(content());
    expect(key).toBe(exportRequestKey(CAMPAIGN, hash));
    expect(request.zipKey).toBe(zipKeyOf(CAMPAIGN, hash));
    expect(parseExportRequest(key, Buffer.from(JSON.stringify(request)))).toEqual(request);
  });

  it('refuses requests that are not what their key says, or not well-formed', () => {
    const { key, request } = exportRequestOf(content());
    const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
    const cases: [string, string, unknown][] = [
      ['not JSON', key, '{"campaignId":'],
      ['not UTF-8', key, Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1')],
      ['bad key', `export-requests/${CAMPAIGN}/x.json`, request],
      ['hash mismatch', key, { ...request, fileName: 'changed.zip' }],
      ['zipKey elsewhere', key, { ...request, zipKey: zipKeyOf(CAMPAIGN, HASH) }],
      ['other campaign', exportRequestKey('2020-plans', key.split('/')[2]!.slice(0, 64)), request],
      ['unknown field', key, { ...request, extra: 1 }],
      ['unsafe path', key, { ...request, entries: [{ ...request.entries[0]!, path: '../x.pdf' }] }],
      ['object of another campaign', key, { ...request, entries: [{ ...request.entries[0]!, key: 'accepted/2020-plans/o/d/1.pdf' }] }],
      ['not under accepted/', key, { ...request, entries: [{ ...request.entries[0]!, key: `incoming/${CAMPAIGN}/o/d/1.pdf` }] }],
      ['duplicate path', key, { ...request, entries: [request.entries[0]!, request.entries[0]!] }],
      ['bad sha256', key, { ...request, entries: [{ ...request.entries[0]!, sha256: 'A'.repeat(64) }] }],
    ];
    for (const [what, k, body] of cases) {
      const raw = what === 'not UTF-8' ? Buffer.from([0x7b, 0xff, 0x7d]) : bytes(body);
      expect(() => parseExportRequest(k, raw), what).toThrow(ExportRequestError);
    }
  });
});

describe('exportZip (the function’s domain call)', () => {
  function fakeObjects(initial: Record<string, Uint8Array>) {
    const store = new Map(Object.entries(initial));
    const calls: string[] = [];
    const objects: ExportObjects = {
      async exists(key) {
        calls.push(`exists ${key}`);
        return store.has(key);
      },
      async read(key) {
        calls.push(`read ${key}`);
        return store.get(key);
      },
      async openRead(key) {
        const b = store.get(key);
        if (!b) throw new Error(`NoSuchKey ${key}`);
        return Readable.from([Buffer.from(b)]);
      },
      async upload(key, body, contentType) {
        calls.push(`upload ${key} ${contentType}`);
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c as Buffer);
        store.set(key, Buffer.concat(chunks)); // only reached when the stream ended normally
      },
    };
    return { objects, store, calls };
  }

  it('builds the zip under zipKey, then does nothing on a second delivery', async () => {
    const { objects: files, entries, csv } = sample();
    const { key, request } = exportRequestOf({ campaignId: CAMPAIGN, fileName: '方案.zip', entries, manifestCsv: csv });
    const fake = fakeObjects({ ...files, [key]: Buffer.from(JSON.stringify(request)) });

    const first = await exportZip(fake.objects, key);
    expect(first).toEqual({ outcome: 'built', zipKey: request.zipKey, entries: 3, bytes: fake.store.get(request.zipKey)!.length });
    expect(fake.calls).toEqual([`exists ${request.zipKey}`, `read ${key}`, `upload ${request.zipKey} application/zip`]);
    const unzipped = await unzipBuffer(Buffer.from(fake.store.get(request.zipKey)!));
    expect(unzipped.slice(1).map((e) => [e.path, e.sha256])).toEqual(entries.map((e) => [e.path, e.sha256]));

    fake.calls.length = 0;
    expect(await exportZip(fake.objects, key)).toEqual({ outcome: 'exists', zipKey: request.zipKey });
    expect(fake.calls).toEqual([`exists ${request.zipKey}`]);
  });

  it('throws, publishing nothing, on a bad key, a missing or malformed request, or a changed object', async () => {
    const { objects: files, entries, csv } = sample();
    const { key, request } = exportRequestOf({ campaignId: CAMPAIGN, fileName: '方案.zip', entries, manifestCsv: csv });

    await expect(exportZip(fakeObjects({}).objects, 'export-requests/whatever.json')).rejects.toBeInstanceOf(ExportRequestError);
    await expect(exportZip(fakeObjects({}).objects, key)).rejects.toThrow(/is gone/);
    const malformed = fakeObjects({ [key]: Buffer.from('{}') });
    await expect(exportZip(malformed.objects, key)).rejects.toBeInstanceOf(ExportRequestError);
    expect(malformed.store.has(request.zipKey)).toBe(false);

    const tampered = fakeObjects({ ...files, [entries[2]!.key]: Buffer.from('xyz'), [key]: Buffer.from(JSON.stringify(request)) });
    await expect(exportZip(tampered.objects, key)).rejects.toBeInstanceOf(ExportIntegrityError);
    expect(tampered.store.has(request.zipKey)).toBe(false);
  });
});
