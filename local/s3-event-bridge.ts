import type { S3Event } from 'aws-lambda';

/**
 * Turns an s3rver event into the record real S3 would deliver to a notification target, correcting
 * s3rver's two infidelities here (never in the handler):
 * - s3rver puts the raw key in the record; S3 URL-encodes it form-style (`my scene+1 ü.zip` →
 *   `my+scene%2B1+%C3%BC.zip`), and handlers must decode it as they would on AWS;
 * - s3rver's bucket ARN is malformed; S3's is `arn:aws:s3:::<bucket>`.
 */
export function toAwsS3Event(s3rverEvent: S3Event): S3Event {
  return {
    Records: s3rverEvent.Records.map((record) => ({
      ...record,
      s3: {
        ...record.s3,
        bucket: { ...record.s3.bucket, arn: `arn:aws:s3:::${record.s3.bucket.name}` },
        object: { ...record.s3.object, key: encodeS3EventKey(record.s3.object.key) },
      },
    })),
  };
}

/** S3's form-style encoding of object keys in event notifications. */
export function encodeS3EventKey(rawKey: string): string {
  return encodeURIComponent(rawKey).replace(/%20/g, '+').replace(/%2F/g, '/');
}
