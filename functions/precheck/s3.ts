import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * The one S3 call of the pre-check: an accepted version's bytes (the exact version the event names, when it
 * names one). Any failure throws — a missing object, a throttled or failed read — so that the event is
 * retried (and lands in the failed-events queue after Lambda's retries) rather than recorded as 'failed'.
 */
export async function readObject(s3: S3Client, bucket: string, key: string, versionId?: string): Promise<Uint8Array> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  if (!r.Body) throw new Error(`GetObject ${key}: no body`);
  return r.Body.transformToByteArray();
}
