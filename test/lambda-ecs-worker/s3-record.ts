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

/** An EventBridge `Object Created` event from `aws.s3`, as the S3 user guide shows it (the key is not encoded). */
export function objectCreatedEvent(key: string, extra: { versionId?: string; etag?: string; bucket?: string } = {}): Record<string, unknown> {
  const bucket = extra.bucket ?? 'render-bucket';
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-11-22T00:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 10, etag: extra.etag ?? 'etag-1', ...(extra.versionId ? { 'version-id': extra.versionId } : {}), sequencer: '617f08299329d189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  };
}

/** The `s3:TestEvent` S3 sends to a destination when a notification configuration is written. */
export function s3TestEvent(bucket = 'render-bucket'): Record<string, unknown> {
  return { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-11-22T00:00:00.000Z', Bucket: bucket, RequestId: 'R', HostId: 'H' };
}
