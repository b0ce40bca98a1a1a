import type { S3EventRecord } from 'aws-lambda';

/** An S3 notification record as AWS delivers it (key already form-encoded by the caller). */
export function s3Record(key: string, extra: { versionId?: string; eTag?: string; eventName?: string; bucket?: string } = {}): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2026-11-22T00:00:00.000Z',
    eventName: (extra.eventName ?? 'ObjectCreated:Put') as S3EventRecord['eventName'],
    userIdentity: { principalId: 'x' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'c',
      bucket: { name: extra.bucket ?? 'render-bucket', ownerIdentity: { principalId: 'x' }, arn: 'arn:aws:s3:::render-bucket' },
      object: { key, size: 10, eTag: extra.eTag ?? 'etag-1', versionId: extra.versionId, sequencer: '01' },
    },
  };
}
