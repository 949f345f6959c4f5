import { S3Client } from '@aws-sdk/client-s3';

/** The S3 client; endpoint from AWS_ENDPOINT_URL_S3 when set (emulator, path-style). */
export const s3Client = () =>
  new S3Client({
    forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
    // No client checksums: browsers can't add them to a pre-signed POST, and s3rver would store the framing.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
