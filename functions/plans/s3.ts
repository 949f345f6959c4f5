import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

export function s3Objects(s3: S3Client, bucket: string): ObjectStore {
  return {
    async read(key) {
      try {
        const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return r.Body ? await r.Body.transformToByteArray() : undefined;
      } catch (e) {
        if (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound')) return undefined;
        throw e;
      }
    },
    async write(key, bytes, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }));
    },
  };
}
