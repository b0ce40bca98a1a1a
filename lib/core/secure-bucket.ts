import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';

/** Props for {@link SecureBucket}. */
export interface SecureBucketProps {
  /**
   * Overrides merged over the secure defaults (block public access, SSL only, S3-managed
   * encryption, versioning, TLS 1.2, retained on stack deletion). Only use it to relax a
   * default on purpose.
   * @default - secure defaults only
   */
  readonly bucketProps?: s3.BucketProps;
  /**
   * Write S3 server access logs to a second, dedicated bucket.
   * Turn it off only when the account already captures data events with CloudTrail.
   * @default true
   */
  readonly serverAccessLogs?: boolean;
}

/** The secure defaults, exported so tests and docs can state them in one place. */
export const SECURE_BUCKET_DEFAULTS: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  encryption: s3.BucketEncryption.S3_MANAGED,
  versioned: true,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  removalPolicy: RemovalPolicy.RETAIN,
};

/**
 * An S3 bucket with the house's secure defaults and, unless turned off, a dedicated access-log bucket.
 */
export class SecureBucket extends Construct {
  /** The data bucket. */
  public readonly bucket: s3.Bucket;
  /** The server access log bucket, when `serverAccessLogs` is on. */
  public readonly accessLogBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    // Without this flag CDK grants log delivery through the LogDeliveryWrite ACL, which the bucket-owner-enforced
    // ownership of the log bucket forbids, and synth fails in any app whose cdk.json lacks the flag (a plain
    // `new App()`). Setting it on this construct alone makes CDK grant delivery with a bucket policy instead, the
    // same template in every app, without touching the user's other buckets.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const userProps = props.bucketProps ?? {};
    if (props.serverAccessLogs !== false && !userProps.serverAccessLogsBucket) {
      this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
        ...SECURE_BUCKET_DEFAULTS,
        // Access logs are append-only evidence; versioning them only adds cost.
        versioned: false,
        removalPolicy: userProps.removalPolicy ?? SECURE_BUCKET_DEFAULTS.removalPolicy,
      });
      acknowledgeNag(this.accessLogBucket, {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log bucket itself; logging it into another bucket would recurse without end.',
      });
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_DEFAULTS,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: this.accessLogBucket ? 'access-logs/' : undefined,
      ...userProps,
    });
    if (!this.accessLogBucket && !userProps.serverAccessLogsBucket) {
      acknowledgeNag(this.bucket, {
        id: 'AwsSolutions-S1',
        reason: 'Server access logging was turned off explicitly through SecureBucketProps.serverAccessLogs = false.',
      });
    }
  }
}
