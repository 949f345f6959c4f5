import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ExportObjects } from './export.js';
import { exists, openRead, s3Objects } from './s3.js';

/**
 * The export-zip function's S3 adapter. Apart from functions/plans/s3.ts on purpose: lib-storage's
 * Upload class survives tree-shaking (measured: +10.5 KB minified, +3.4 KB gzip in create-upload
 * and validate-upload when it was imported there), so only the zip builder's bundle carries it.
 */

/** Parts of the zip upload: 8 MiB each, 4 in flight (≈ 40 MB of buffers whatever the zip's size). */
export const ZIP_PART_BYTES = 8 * 1024 * 1024;
export const ZIP_PARTS_IN_FLIGHT = 4;

/** S3 adapter of the export-zip ports: objects in, a multipart upload (lib-storage) out. */
export function s3ExportObjects(s3: S3Client, bucket: string): ExportObjects {
  const objects = s3Objects(s3, bucket);
  return {
    exists: (key) => exists(s3, bucket, key),
    read: (key) => objects.read(key),
    openRead: (key) => openRead(s3, bucket, key),
    async upload(key, body, contentType) {
      // A body that errors makes done() reject and the multipart upload be aborted (never completed).
      const upload = new Upload({
        client: s3,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
        partSize: ZIP_PART_BYTES,
        queueSize: ZIP_PARTS_IN_FLIGHT,
      });
      await upload.done();
    },
  };
}

