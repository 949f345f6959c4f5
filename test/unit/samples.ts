/**
 * Shared test data for the unit tests: a campaign, a small org registry (two Districts with their
 * schools, a Direct school, the Bureau and the Centre) and real file bytes built here.
 */
import { deflateRawSync } from 'node:zlib';
import { Campaign, type CampaignInput } from '../../schemas/campaigns.js';
import { Org } from '../../schemas/orgs.js';
import type { Upload } from '../../schemas/plans.js';

export const SIGNING_KEY = 'unit-test-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const keyBytes = () => new TextEncoder().encode(SIGNING_KEY);

export const campaignInput: CampaignInput = {
  id: '2019-plans',
  title: '心理服务体系建设实施方案报送',
  noticeNo: '洪教健字〔2019〕1号',
  documents: [
    { kind: 'service-plan', title: '心理服务体系建设工作实施方案' },
    { kind: 'crisis-plan', title: '心理危机管理工作方案' },
  ],
  deadline: '2019-06-30T23:59:59.999+08:00',
  audience: 'all',
  receiverId: 'centre',
  contact: { name: '王老师', phone: '0791-86123456' },
};
export const campaign: Campaign = Campaign.parse(campaignInput);

const org = (o: Record<string, unknown>): Org => Org.parse({ contacts: [], tokenVersion: 1, ...o });
const mail = (name: string, email: string) => ({ name, email });

export const orgs = {
  bureau: org({ id: 'bureau', name: '南昌市教育局', kind: 'bureau', contacts: [mail('局办公室', 'office@bureau.example.cn')] }),
  centre: org({ id: 'centre', name: '南昌市未成年人心理健康辅导中心', kind: 'centre', contacts: [mail('王老师', 'wang@centre.example.cn')] }),
  dh: org({ id: 'dh', name: '东湖区教科体局', kind: 'district', contacts: [mail('李老师', 'li@dh.example.cn'), mail('李老师', 'LI@dh.example.cn')] }),
  dhSchool1: org({ id: 'dh-school-1', name: '东湖区第一小学', kind: 'school', districtId: 'dh', contacts: [mail('张老师', 'zhang@dh1.example.cn')] }),
  dhSchool2: org({ id: 'dh-school-2', name: '东湖区第二中学', kind: 'school', districtId: 'dh', contacts: [mail('赵老师', 'zhao@dh2.example.cn')] }),
  xh: org({ id: 'xh', name: '西湖区教科体局', kind: 'district', contacts: [] }),
  xhSchool1: org({ id: 'xh-school-1', name: '西湖区实验学校', kind: 'school', districtId: 'xh', contacts: [mail('陈老师', 'chen@xh1.example.cn')] }),
  direct1: org({ id: 'direct-1', name: '南昌市第一中学', kind: 'school', directKind: '局属学校', contacts: [mail('刘老师', 'liu@d1.example.cn')] }),
} satisfies Record<string, Org>;
export const allOrgs: Org[] = Object.values(orgs);

export const UPLOAD_ID = '0123456789abcdef0123456789abcdef';
export const uploadId = (n: number) => n.toString(16).padStart(32, '0');

/** An upload attempt with sensible defaults (a pending PDF of dh-school-1's service plan). */
export function upload(over: Partial<Upload> = {}): Upload {
  return {
    campaignId: campaign.id,
    orgId: 'dh-school-1',
    routeKey: 'dh',
    document: 'service-plan',
    uploadId: UPLOAD_ID,
    ext: 'pdf',
    originalName: '方案.pdf',
    declaredSize: 1000,
    by: 'school:dh-school-1',
    requestedAt: '2019-06-10T02:00:00.000Z',
    state: 'pending',
    ...over,
  };
}

// ---------------------------------------------------------------- real file bytes

const ascii = (s: string) => new TextEncoder().encode(s);

/** A minimal but complete PDF 1.4 (one empty page, correct xref offsets). */
export function minimalPdf(): Uint8Array {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return ascii(out);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = (CRC_TABLE[(c ^ x) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A ZIP archive (deflated entries, local headers + central directory + end record), written by hand. */
export function zip(entries: { name: string; data: string | Uint8Array }[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const DOS_TIME = 0x6000; // 12:00:00
  const DOS_DATE = ((2019 - 1980) << 9) | (6 << 5) | 10; // 2019-06-10
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const raw = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : Buffer.from(e.data);
    const comp = deflateRawSync(raw);
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, comp);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(comp.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

/** The smallest Word document Word itself opens: content types, package relationships, one paragraph. */
export function minimalDocx(text = '南昌市东湖区第一小学心理服务体系建设工作实施方案'): Uint8Array {
  return zip([
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
        '</Types>',
    },
    {
      name: '_rels/.rels',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
        '</Relationships>',
    },
    {
      name: 'word/document.xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
        `<w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`,
    },
  ]);
}

/** An Excel workbook's package (an Office zip, but not Word) — must not pass as a Word file. */
export const minimalXlsx = () =>
  zip([
    {
      name: '[Content_Types].xml',
      data:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '</Types>',
    },
    { name: 'xl/workbook.xml', data: '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>' },
  ]);

/** A plain zip (no Office parts) — must not pass as a Word file. */
export const plainZip = () => zip([{ name: 'readme.txt', data: '这不是 Word 文件' }, { name: 'data/a.csv', data: 'a,b\r\n1,2\r\n' }]);

/**
 * A small but well-formed OLE2 compound file (512-byte sectors): header, one FAT sector, one
 * directory sector (Root Entry + one stream) and the stream itself (4096 bytes, so no mini stream).
 * With the stream named "WordDocument" it is the container of a Word 97–2003 .doc; with "Workbook"
 * it is an .xls — same magic bytes, not a Word file.
 */
export function cfbFile(streamName: 'WordDocument' | 'Workbook' = 'WordDocument'): Uint8Array {
  const SECTOR = 512;
  const STREAM_SECTORS = 8;
  const b = Buffer.alloc(SECTOR * (3 + STREAM_SECTORS)); // header + FAT + directory + stream
  const ENDOFCHAIN = 0xfffffffe;
  const FREESECT = 0xffffffff;
  const FATSECT = 0xfffffffd;
  const NOSTREAM = 0xffffffff;
  // header
  b.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0);
  b.writeUInt16LE(0x003e, 24); // minor version
  b.writeUInt16LE(0x0003, 26); // major version 3
  b.writeUInt16LE(0xfffe, 28); // byte order
  b.writeUInt16LE(9, 30); // sector shift: 512
  b.writeUInt16LE(6, 32); // mini sector shift: 64
  b.writeUInt32LE(1, 44); // number of FAT sectors
  b.writeUInt32LE(1, 48); // first directory sector
  b.writeUInt32LE(4096, 56); // mini stream cutoff
  b.writeUInt32LE(ENDOFCHAIN, 60); // first mini FAT sector
  b.writeUInt32LE(0, 64); // number of mini FAT sectors
  b.writeUInt32LE(ENDOFCHAIN, 68); // first DIFAT sector
  b.writeUInt32LE(0, 72); // number of DIFAT sectors
  b.writeUInt32LE(0, 76); // DIFAT[0]: the FAT is sector 0
  for (let i = 1; i < 109; i++) b.writeUInt32LE(FREESECT, 76 + 4 * i);
  // sector 0: the FAT
  const fat = SECTOR;
  for (let i = 0; i < 128; i++) b.writeUInt32LE(FREESECT, fat + 4 * i);
  b.writeUInt32LE(FATSECT, fat);
  b.writeUInt32LE(ENDOFCHAIN, fat + 4); // directory: sector 1
  for (let i = 2; i < 2 + STREAM_SECTORS; i++) b.writeUInt32LE(i === 1 + STREAM_SECTORS ? ENDOFCHAIN : i + 1, fat + 4 * i);
  // sector 1: the directory
  const dir = SECTOR * 2;
  const entry = (at: number, name: string, type: number, child: number, start: number, size: number) => {
    const n = Buffer.from(`${name}\0`, 'utf16le');
    n.copy(b, at);
    b.writeUInt16LE(n.length, at + 64);
    b.writeUInt8(type, at + 66);
    b.writeUInt8(1, at + 67); // black
    b.writeUInt32LE(NOSTREAM, at + 68); // left sibling
    b.writeUInt32LE(NOSTREAM, at + 72); // right sibling
    b.writeUInt32LE(child, at + 76);
    b.writeUInt32LE(start, at + 116);
    b.writeUInt32LE(size, at + 120);
  };
  entry(dir, 'Root Entry', 5, 1, ENDOFCHAIN, 0);
  entry(dir + 128, streamName, 2, NOSTREAM, 2, SECTOR * STREAM_SECTORS);
  for (const at of [dir + 256, dir + 384]) {
    b.writeUInt32LE(NOSTREAM, at + 68);
    b.writeUInt32LE(NOSTREAM, at + 72);
    b.writeUInt32LE(NOSTREAM, at + 76);
  }
  // sectors 2..9: the stream (a Word FIB starts with wIdent 0xA5EC)
  if (streamName === 'WordDocument') b.writeUInt16LE(0xa5ec, SECTOR * 3);
  return new Uint8Array(b);
}

/** A 64-bit Linux ELF header. */
export function elfExecutable(): Uint8Array {
  const b = new Uint8Array(128);
  b.set([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00], 0);
  b.set([0x02, 0x00, 0x3e, 0x00, 0x01, 0x00, 0x00, 0x00], 16); // ET_EXEC, x86-64
  return b;
}

/** A Windows PE executable: MZ stub pointing at a PE header. */
export function peExecutable(): Uint8Array {
  const b = new Uint8Array(256);
  b.set(ascii('MZ'), 0);
  new DataView(b.buffer).setUint32(0x3c, 0x80, true);
  b.set([0x50, 0x45, 0x00, 0x00, 0x4c, 0x01], 0x80); // "PE\0\0", i386
  return b;
}
