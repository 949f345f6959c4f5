import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkExpiry, contentDisposition, type Downloads } from './manifest.js';
import type { ObjectStore, Presigner } from './service.js';

/** S3 adapters of the plans ports. */

export function s3Presigner(s3: S3Client, bucket: string): Presigner {
  return {
    async presignPost({ key, contentType, maxBytes, expiresSeconds }) {
      const { url, fields } = await createPresignedPost(s3, {
        Bucket: bucket,
        Key: key,
        Conditions: [
          ['content-length-range', 1, maxBytes],
          ['eq', '$Content-Type', contentType],
        ],
        Fields: { 'Content-Type': contentType },
        Expires: expiresSeconds,
      });
      return { url, fields };
    },
  };
}

const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

export function s3Objects(s3: S3Client, bucket: string): ObjectStore {
  return {
    async read(key, versionId) {
      try {
        const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
        return r.Body ? await r.Body.transformToByteArray() : undefined;
      } catch (e) {
        if (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.name === 'NoSuchVersion')) return undefined;
        throw e;
      }
    },
    async writeNew(key, bytes, contentType) {
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType, IfNoneMatch: '*' }));
        return 'written';
      } catch (e) {
        // 412: an object is there already; 409: a concurrent conditional write to the same key won.
        if (status(e) === 412 || status(e) === 409) return 'exists';
        throw e;
      }
    },
    exists: (key) => exists(s3, bucket, key),
  };
}

/** Writes a small JSON object (an export request). */
export async function putJson(s3: S3Client, bucket: string, key: string, body: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(body), ContentType: 'application/json; charset=utf-8' }));
}

/**
 * True if the object exists, false on 404. In AWS a missing key answers 404 only to a caller with
 * s3:ListBucket on the bucket — without it, 403, which throws here (see FunctionSpec grants.bucketList).
 */
export async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (e instanceof Error && (e.name === 'NotFound' || e.name === 'NoSuchKey' || status === 404)) return false;
    throw e;
  }
}

/** The object's bytes as a Node stream (GetObject); rejects if it is missing. */
export async function openRead(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!r.Body) throw new Error(`GetObject ${key}: no body`);
  return r.Body as Readable;
}

/**
 * S3 adapter of the download port: pre-signed GETs with a Content-Disposition (RFC 6266/5987) that
 * names the file, e.g. the Centre's zip. The client is the shared one (functions/shared/clients/s3.ts):
 * with responseChecksumValidation 'WHEN_REQUIRED' the URL asks for no checksum mode.
 */
export function s3Downloads(s3: S3Client, bucket: string): Downloads {
  return {
    exists: (key) => exists(s3, bucket, key),
    async presignGet(key, { fileName, asciiFallback, inline, contentType, expiresSeconds }) {
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ResponseContentDisposition: contentDisposition(fileName, asciiFallback, inline ?? false),
        ...(contentType ? { ResponseContentType: contentType } : {}),
      });
      return getSignedUrl(s3, command, { expiresIn: checkExpiry(expiresSeconds) });
    },
  };
}
