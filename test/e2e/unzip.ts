/** Reads a whole zip from memory with yauzl (a dev dependency): every entry's bytes and flags. */
import yauzl from 'yauzl';

export interface ZipEntry {
  path: string;
  bytes: Buffer;
  /** General purpose bit 11: the name is UTF-8 (without it Windows shows a Chinese name as mojibake). */
  utf8Name: boolean;
  /** 0 stored, 8 deflated. */
  method: number;
}

export function unzip(buf: Buffer): Promise<ZipEntry[]> {
  return new Promise((ok, fail) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: true }, (err, zip) => {
      if (err || !zip) return fail(err ?? new Error('no zip'));
      const out: ZipEntry[] = [];
      zip.on('error', fail);
      zip.on('end', () => ok(out));
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) return fail(err2 ?? new Error(`cannot read ${e.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', fail);
          stream.on('end', () => {
            out.push({ path: e.fileName, bytes: Buffer.concat(chunks), utf8Name: (e.generalPurposeBitFlag & 0x800) !== 0, method: e.compressionMethod });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
