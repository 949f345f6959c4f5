/**
 * Zip exports, AWS side, over aws-sdk-client-mock: the S3 adapters (HeadObject existence, the
 * multipart upload that is aborted — never completed — when the zip stream fails, pre-signed GETs
 * with a Content-Disposition) and the export-zip handler end to end.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, ExportIntegrityError, ExportRequestError, manifestCsv } from '../../functions/plans/export.js';
import { exists, s3Downloads } from '../../functions/plans/s3.js';
import { s3ExportObjects, ZIP_PART_BYTES } from '../../functions/plans/s3-zip.js';
import { s3Client } from '../../functions/shared/clients/s3.js';
import { lambdaContext } from '../../local/router.js';
import { type ExportEntry, exportRequestOf } from '../../schemas/exports.js';
import { sha256hex, unzipBuffer } from '../fixtures/unzip.js';

const BUCKET = 'psy-bucket';
const CAMPAIGN = '2019-plans';
const ENV: Record<string, string | undefined> = {
  BUCKET_NAME: BUCKET,
  AWS_REGION: 'cn-northwest-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTESTEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-access-key',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
  TABLE_NAME: undefined, // the zip builder has no table
};

const s3 = mockClient(S3Client);
const saved: Record<string, string | undefined> = {};
let exportZipHandler: (typeof import('../../functions/plans/export-zip.js'))['handler'];
const handler = (event: unknown) => exportZipHandler(event, lambdaContext('export-zip'));

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  exportZipHandler = (await import('../../functions/plans/export-zip.js')).handler;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterEach(() => s3.reset());

const notFound = () => new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
const forbidden = () => new S3ServiceException({ name: 'Forbidden', $fault: 'client', message: 'Forbidden', $metadata: { httpStatusCode: 403 } });
/** A GetObject body: arrives in 64 KiB chunks, a tick apart (as from a socket). */
const streamBody = (b: Uint8Array) => {
  async function* chunks() {
    for (let i = 0; i < b.length; i += 65_536) {
      await new Promise((ok) => setImmediate(ok));
      yield Buffer.from(b.subarray(i, i + 65_536));
    }
  }
  return Object.assign(Readable.from(chunks()), { transformToByteArray: async () => b }) as unknown as GetObjectCommandOutput['Body'];
};

/** What an uploaded body holds (PutObject / UploadPart bodies are Buffers here). */
const bodyOf = (input: { Body?: unknown }) => Buffer.from(input.Body as Uint8Array);

describe('exists (HeadObject)', () => {
  it('is true for an object, false on 404, and throws on 403 (no ListBucket: missing and forbidden look alike)', async () => {
    const client = s3Client();
    s3.on(HeadObjectCommand, { Key: 'exports/a.zip' }).resolves({ ContentLength: 1 });
    s3.on(HeadObjectCommand, { Key: 'exports/b.zip' }).rejects(notFound());
    s3.on(HeadObjectCommand, { Key: 'exports/c.zip' }).rejects(forbidden());
    expect(await exists(client, BUCKET, 'exports/a.zip')).toBe(true);
    expect(await exists(client, BUCKET, 'exports/b.zip')).toBe(false);
    await expect(exists(client, BUCKET, 'exports/c.zip')).rejects.toThrow('Forbidden');
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: BUCKET, Key: 'exports/a.zip' });
  });
});

describe('presignGet', () => {
  it('signs a GET that answers with the Content-Disposition, for at most 300 s, without checksum mode', async () => {
    const downloads = s3Downloads(s3Client(), BUCKET);
    const url = new URL(
      await downloads.presignGet(`exports/${CAMPAIGN}/${'a'.repeat(64)}.zip`, { fileName: '2019年心理服务方案.zip', asciiFallback: 'plans-2019.zip', expiresSeconds: 300 }),
    );
    expect(url.pathname).toBe(`/exports/${CAMPAIGN}/${'a'.repeat(64)}.zip`);
    expect(url.searchParams.get('response-content-disposition')).toBe(contentDisposition('2019年心理服务方案.zip', 'plans-2019.zip'));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('x-amz-checksum-mode')).toBeNull();
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);

    const inline = new URL(await downloads.presignGet('accepted/x/o/d/1.pdf', { fileName: '方案.pdf', inline: true, contentType: 'application/pdf', expiresSeconds: 60 }));
    expect(inline.searchParams.get('response-content-disposition')).toMatch(/^inline; filename="download\.pdf"; filename\*=UTF-8''/);
    expect(inline.searchParams.get('response-content-type')).toBe('application/pdf');
    expect(inline.searchParams.get('X-Amz-Expires')).toBe('60');

    for (const expiresSeconds of [301, 0, 1.5, 3600]) {
      await expect(downloads.presignGet('exports/x.zip', { fileName: 'x.zip', expiresSeconds })).rejects.toThrow(RangeError);
    }
  });
});

describe('upload (lib-storage)', () => {
  const mockMultipart = () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"single"' });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'mpu-1' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"part-${input.PartNumber}"` }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    s3.on(AbortMultipartUploadCommand).resolves({});
  };

  it('puts a small zip in one PutObject with its content type', async () => {
    mockMultipart();
    await s3ExportObjects(s3Client(), BUCKET).upload('exports/x/1.zip', Readable.from([Buffer.from('PK small')]), 'application/zip');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: BUCKET, Key: 'exports/x/1.zip', ContentType: 'application/zip' });
    expect(bodyOf(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toString()).toBe('PK small');
    expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  });

  it('uploads a large zip in 8 MiB parts and completes it', async () => {
    mockMultipart();
    const data = randomBytes(ZIP_PART_BYTES * 2 + 123);
    await s3ExportObjects(s3Client(), BUCKET).upload('exports/x/2.zip', Readable.from([data.subarray(0, 1000), data.subarray(1000)]), 'application/zip');
    expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, { Bucket: BUCKET, Key: 'exports/x/2.zip', ContentType: 'application/zip' });
    // No checksum algorithm is asked for (requestChecksumCalculation: WHEN_REQUIRED).
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input.ChecksumAlgorithm).toBeUndefined();
    const parts = s3.commandCalls(UploadPartCommand).map((c) => c.args[0].input).sort((a, b) => a.PartNumber! - b.PartNumber!);
    expect(parts.map((p) => [p.PartNumber, bodyOf(p).length])).toEqual([
      [1, ZIP_PART_BYTES],
      [2, ZIP_PART_BYTES],
      [3, 123],
    ]);
    expect(Buffer.concat(parts.map(bodyOf)).equals(data)).toBe(true);
    expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      UploadId: 'mpu-1',
      MultipartUpload: { Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"part-${n}"` })) },
    });
    expect(s3).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
  });

  it('aborts the multipart upload, never completing it, when the stream fails after the first part', async () => {
    mockMultipart();
    const body = new PassThrough();
    const done = s3ExportObjects(s3Client(), BUCKET).upload('exports/x/3.zip', body, 'application/zip');
    body.write(randomBytes(ZIP_PART_BYTES + 10));
    await new Promise((ok) => setTimeout(ok, 50));
    body.destroy(new Error('sha256 mismatch'));
    await expect(done).rejects.toThrow('sha256 mismatch');
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: BUCKET, Key: 'exports/x/3.zip', UploadId: 'mpu-1' });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('export-zip handler', () => {
  function scenario(sizes: number[], tamper?: number) {
    const objects = sizes.map((n, i) => ({ key: `accepted/${CAMPAIGN}/o-${i}/crisis-plan/${String(i).padStart(32, '0')}.pdf`, bytes: randomBytes(n) }));
    const entries: ExportEntry[] = objects.map((o, i) => ({ path: `东湖区/学校${i}/心理危机管理工作方案.pdf`, key: o.key, size: o.bytes.length, sha256: sha256hex(o.bytes) }));
    const { key, request } = exportRequestOf({ campaignId: CAMPAIGN, fileName: '东湖区.zip', entries, manifestCsv: manifestCsv([]) });
    s3.on(HeadObjectCommand, { Key: request.zipKey }).rejects(notFound());
    s3.on(GetObjectCommand, { Key: key }).callsFake(() => ({ Body: streamBody(Buffer.from(JSON.stringify(request))) }));
    for (const [i, o] of objects.entries()) {
      const served = i === tamper ? Buffer.concat([o.bytes.subarray(1), Buffer.from('x')]) : o.bytes;
      s3.on(GetObjectCommand, { Key: o.key }).callsFake(() => ({ Body: streamBody(served) }));
    }
    s3.on(PutObjectCommand).resolves({});
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'mpu-9' });
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3.on(CompleteMultipartUploadCommand).resolves({});
    s3.on(AbortMultipartUploadCommand).resolves({});
    return { key, request, objects };
  }
  const event = (key: string) => ({
    Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: '2019-07-01T02:00:00.000Z', s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(key) } } }], // URL-encoded, even the "/" (as some emulators send it)
  });

  it('builds the zip of the request under its zipKey (application/zip), every entry as listed', async () => {
    const { key, request, objects } = scenario([10_000, 20_000]);
    expect(await handler(event(key))).toEqual({ results: [{ key, outcome: 'built' }] });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: BUCKET, Key: request.zipKey });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, Key: request.zipKey, ContentType: 'application/zip' });
    const unzipped = await unzipBuffer(bodyOf(put));
    expect(unzipped.slice(1).map((e) => [e.path, e.sha256])).toEqual(request.entries.map((e) => [e.path, e.sha256]));
    expect(unzipped.slice(1).every((e, i) => e.bytes.equals(objects[i]!.bytes))).toBe(true);
  });

  it('does nothing when the zip exists already (a re-delivered event)', async () => {
    const { key, request } = scenario([100]);
    s3.on(HeadObjectCommand, { Key: request.zipKey }).resolves({ ContentLength: 1 });
    expect(await handler(event(key))).toEqual({ results: [{ key, outcome: 'exists' }] });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('throws (→ retries, then the failed-event queue) on an event or request it cannot understand', async () => {
    await expect(handler({ hello: 'world' })).rejects.toThrow(/not an S3 event/);
    await expect(handler(event('export-requests/not-a-hash.json'))).rejects.toBeInstanceOf(ExportRequestError);
    const { key, request } = scenario([100]);
    s3.on(GetObjectCommand, { Key: key }).callsFake(() => ({ Body: streamBody(Buffer.from(JSON.stringify({ ...request, fileName: 'changed.zip' }))) }));
    await expect(handler(event(key))).rejects.toThrow(/hashes to/);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('throws and publishes nothing when an object is not the one listed (single-part zip)', async () => {
    const { key } = scenario([1000, 2000], 1);
    await expect(handler(event(key))).rejects.toBeInstanceOf(ExportIntegrityError);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('aborts the multipart upload when an object past the first part is not the one listed', async () => {
    const { key } = scenario([6 * 1024 * 1024, 10 * 1024 * 1024], 1);
    await expect(handler(event(key))).rejects.toBeInstanceOf(ExportIntegrityError);
    expect(s3).toHaveReceivedCommand(UploadPartCommand);
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'mpu-9' });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});
