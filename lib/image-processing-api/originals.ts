import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IMAGE_API_STORAGE_ENV, MAX_URL_SECONDS, OUTPUT_PREFIX, SOURCE_PREFIX, StorageSettings } from '../../contracts/image-processing-api/storage';
import { acknowledgePolicyWildcards, SecureBucket } from '../core';

/** What the image bucket needs from the API. */
export interface ImageStorageOptions {
  readonly settings: StorageSettings;
  /** Days before originals and results are deleted. */
  readonly expiration: Duration;
  /** The API's `imageBucketEncryptionKey`: SSE-KMS with it instead of SSE-S3. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The bucket for originals of any size and results delivered by URL, and the function's least-privilege
 * access to it:
 * - the function reads only `originals/*` and writes only `results/*` with its own credentials;
 * - the presigned URLs it signs may PUT under `originals/*` and GET under `results/*`, granted to
 *   query-string-signed requests (s3:authType REST-QUERY-STRING) younger than an hour (s3:signatureAge), so
 *   the function cannot use those rights itself and a leaked URL dies with its signature;
 * - lifecycle rules delete both prefixes after `expiration` and abort incomplete uploads.
 */
export class ImageStorage extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly storage: SecureBucket;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, options: ImageStorageOptions) {
    super(scope, id);
    this.storage = new SecureBucket(this, 'Images', {
      bucketProps: {
        // Originals and results are transient copies of the client's files: versions would only keep them longer.
        versioned: false,
        // A bucket key cuts the KMS requests (and their cost) of SSE-KMS to about one per object burst.
        ...(options.encryptionKey ? { encryption: s3.BucketEncryption.KMS, encryptionKey: options.encryptionKey, bucketKeyEnabled: true } : {}),
        lifecycleRules: [
          { id: 'expire-originals', prefix: SOURCE_PREFIX, expiration: options.expiration, abortIncompleteMultipartUploadAfter: Duration.days(1) },
          { id: 'expire-results', prefix: OUTPUT_PREFIX, expiration: options.expiration, abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ],
      },
    });
    this.bucket = this.storage.bucket;
    this.encryptionKey = options.encryptionKey;
  }

  /** Lets browsers on `origins` PUT originals and GET results (the bucket's CORS). */
  public allowOrigins(origins: string[]): void {
    this.bucket.addCorsRule({
      allowedOrigins: origins.includes('*') ? ['*'] : origins,
      allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
      // The signed headers of the upload URL.
      allowedHeaders: ['content-type', 'if-none-match'],
      exposedHeaders: ['ETag'],
      maxAge: 600,
    });
  }

  /** The function's rights (see the class comment) and the environment that tells it the bucket. */
  public grantTo(fn: lambda.Function): iam.Policy {
    const objects = (prefix: string): string => this.bucket.arnForObjects(`${prefix}*`);
    const presignedOnly = {
      StringEquals: { 's3:authType': 'REST-QUERY-STRING' },
      NumericLessThanEquals: { 's3:signatureAge': String(MAX_URL_SECONDS * 1000) },
    };
    // A policy of its own, so the acknowledgement below covers these object prefixes and nothing else of the role.
    const policy = new iam.Policy(this, 'FunctionAccess', {
      statements: [
        new iam.PolicyStatement({ sid: 'ReadOriginals', actions: ['s3:GetObject'], resources: [objects(SOURCE_PREFIX)] }),
        new iam.PolicyStatement({ sid: 'WriteResults', actions: ['s3:PutObject'], resources: [objects(OUTPUT_PREFIX)] }),
        // Without ListBucket S3 answers a missing original with 403, not 404; listing is limited to the originals.
        new iam.PolicyStatement({
          sid: 'TellMissingOriginals',
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${SOURCE_PREFIX}*`] } },
        }),
        new iam.PolicyStatement({ sid: 'PresignedUploads', actions: ['s3:PutObject'], resources: [objects(SOURCE_PREFIX)], conditions: presignedOnly }),
        new iam.PolicyStatement({ sid: 'PresignedResults', actions: ['s3:GetObject'], resources: [objects(OUTPUT_PREFIX)], conditions: presignedOnly }),
        // SSE-KMS: S3 uses the key with the credentials of the request's signer (the function, also for the
        // presigned URLs): decrypt to read originals and results, a data key to write them.
        ...(this.encryptionKey
          ? [new iam.PolicyStatement({ sid: 'ImageBucketKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.encryptionKey.keyArn] })]
          : []),
      ],
    });
    fn.role!.attachInlinePolicy(policy);
    acknowledgePolicyWildcards(
      policy,
      'Object keys are chosen per request (originals/<uuid>.<ext>, results/<uuid>.<ext>): the grant is one prefix per action, ' +
        'and the uploads and result downloads only through presigned URLs younger than an hour.',
    );
    return policy;
  }
}

/** The handler's environment for `settings` in `bucket`. */
export function storageEnvironment(bucket: s3.IBucket, settings: StorageSettings): Record<string, string> {
  return {
    [IMAGE_API_STORAGE_ENV.bucket]: bucket.bucketName,
    [IMAGE_API_STORAGE_ENV.uploadUrlSeconds]: String(settings.uploadUrlSeconds),
    [IMAGE_API_STORAGE_ENV.resultUrlSeconds]: String(settings.resultUrlSeconds),
    [IMAGE_API_STORAGE_ENV.maxSourceBytes]: String(settings.maxSourceBytes),
    [IMAGE_API_STORAGE_ENV.deliveryWidths]: settings.deliveryWidths.join(','),
    [IMAGE_API_STORAGE_ENV.deliveryMaxAgeSeconds]: String(settings.deliveryMaxAgeSeconds),
  };
}
