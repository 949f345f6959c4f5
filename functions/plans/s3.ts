import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
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
    async exists(key) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (e) {
        // Without s3:ListBucket, S3 answers a missing key with 403 rather than 404.
        if (status(e) === 404 || status(e) === 403) return false;
        throw e;
      }
    },
  };
}
