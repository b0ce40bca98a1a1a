import { Duration, Size } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FunctionOptions, MonitoringProps } from '../core';

/** Who may call the image API. */
export enum ImageApiAuthorization {
  /** Anyone, like the original service (throttled; the web page works as is). */
  NONE = 'NONE',
  /** Callers send an `x-api-key` header; a usage plan applies per-key throttling and a daily quota. */
  API_KEY = 'API_KEY',
  /** Callers sign requests with SigV4 and need `execute-api:Invoke` (see `grantInvoke`). */
  IAM = 'IAM',
}

/** A custom domain name and the ACM certificate that covers it. */
export interface CustomDomainOptions {
  /** The domain name, e.g. `images.example.com`. Point a DNS record at the target the construct exposes. */
  readonly domainName: string;
  /**
   * The certificate for `domainName`. For the web page (CloudFront) it must be in us-east-1; for the API it must
   * be in the stack's region. Checked at synth when the region is known.
   */
  readonly certificate: acm.ICertificate;
}

/** Props for {@link ImageProcessingApi}. */
export interface ImageProcessingApiProps extends MonitoringProps {
  /**
   * Alarm when the API's p95 latency stays above this for 15 minutes (3 periods of 5 minutes).
   * @default Duration.seconds(10)
   */
  readonly maxLatency?: Duration;
  /**
   * Browser origins allowed to call the API (CORS), e.g. `https://images.example.com`. Use `['*']` only
   * for a public API meant to be called from any page.
   * @default - the web page's own CloudFront origin only
   */
  readonly allowedOrigins?: string[];
  /**
   * Steady-state requests per second the API stage accepts (and each API key, with `API_KEY`).
   * @default 20
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests the API stage accepts above the rate.
   * @default 40
   */
  readonly throttlingBurstLimit?: number;
  /**
   * How callers authenticate.
   * @default ImageApiAuthorization.NONE
   */
  readonly authorization?: ImageApiAuthorization;
  /**
   * Requests per day per API key (only with `ImageApiAuthorization.API_KEY`).
   * @default 10000
   */
  readonly dailyQuotaPerApiKey?: number;
  /**
   * Largest decoded input image. Its base64 must fit in Lambda's 6 MB request payload.
   * @default Size.mebibytes(4)
   */
  readonly maxInputSize?: Size;
  /**
   * Largest decoded input image in bytes.
   * @deprecated use `maxInputSize` (a `Size`); giving both with different values is an error
   * @default 4194304
   */
  readonly maxInputBytes?: number;
  /**
   * Largest input image in pixels (width × height); larger images (decompression bombs) get a 413
   * before any pixel is decoded.
   * @default 40000000
   */
  readonly maxInputPixels?: number;
  /**
   * Largest width or height of an output image.
   * @default 8192
   */
  readonly maxOutputDimension?: number;
  /**
   * Largest image, in pixels, one request may produce at any step (an enlargement, a rotation's bounding
   * box); larger results get a 422 before any pixel is decoded. Raise it with `imageFunctionProps.memorySize`.
   * @default - fitted to the image function's memory: (memory − 256 MiB) ÷ 24 bytes per pixel, 55924053 at 1536 MiB
   */
  readonly maxOutputPixels?: number;
  /**
   * Settings of the image function, merged over its defaults: 1536 MiB (at least 512: sharp decodes in memory;
   * CPU grows with memory and sharp uses every core), 28 s (at most 29: API Gateway gives up then), x86_64.
   * `architecture` ARM_64 is refused while the asset ships only sharp's linux-x64 binaries.
   * @default - the defaults
   */
  readonly imageFunctionProps?: FunctionOptions;
  /**
   * Memory of the image function in MiB.
   * @deprecated use `imageFunctionProps.memorySize`; giving both with different values is an error
   * @default 1536
   */
  readonly memorySize?: number;
  /**
   * Maximum run time of one request.
   * @deprecated use `imageFunctionProps.timeout`; giving both with different values is an error
   * @default Duration.seconds(28)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency of the image function.
   * @deprecated use `imageFunctionProps.reservedConcurrentExecutions`; giving both with different values is an error
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Your bucket for the web page. The page's files (index.html, app.js, style.css, config.json) are copied to its
   * root and nothing else in it is deleted. CloudFront reads it with origin access control: for a bucket of your
   * app the bucket policy (and a KMS key policy) are updated; for an imported bucket add the statement CDK's
   * warning shows to its policy yourself. Keep it private (block public access) and SSL-only.
   * @default - a new private bucket (SecureBucket) with access logs
   */
  readonly siteBucket?: s3.IBucket;
  /**
   * A custom domain for the web page: CloudFront serves it with your certificate (us-east-1) and TLS 1.2 (2021
   * policy) at least; the page's URL (`siteUrl`) and the default CORS origins use it.
   * @default - the distribution's *.cloudfront.net name
   */
  readonly siteDomain?: CustomDomainOptions;
  /**
   * A custom domain for the API (a regional API Gateway domain name with TLS 1.2, mapped to the stage). Point your
   * DNS at `apiDomainName.domainNameAliasDomainName`.
   * @default - only the execute-api URL
   */
  readonly apiDomain?: CustomDomainOptions;
  /**
   * Retention of the function's logs, the API's access logs and the site deployment's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A customer-managed KMS key that CloudWatch Logs encrypts every log group this construct creates (the image function's, the API's access logs, the site deployment's) with (Control Tower's
   * CT.CLOUDWATCH.PR.3). It must be a symmetric key in the stack's region. A `kms.Key` of your app gets the
   * key-policy statement CloudWatch Logs needs (`logs.<region>.amazonaws.com`, for log groups of the key's
   * account); an imported key's policy must already have it (docs/compliance.md, "Encrypting the log groups").
   * @default - CloudWatch Logs' own encryption (service-owned keys)
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * X-Ray tracing for the API stage and the function.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Name of the API stage (the last part of the API URL).
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * API Gateway execution logging for every method. It needs the account-wide API Gateway CloudWatch
   * role to be configured (`AWS::ApiGateway::Account`), which this construct does not manage.
   * @default - off (access logs are always on)
   */
  readonly executionLoggingLevel?: apigw.MethodLoggingLevel;
  /**
   * ARN of a regional AWS WAF web ACL to associate with the API stage.
   * @default - no WAF
   */
  readonly apiWebAclArn?: string;
  /**
   * ARN of a global (us-east-1, CLOUDFRONT scope) AWS WAF web ACL for the web page's distribution.
   * @default - no WAF
   */
  readonly distributionWebAclArn?: string;
  /**
   * Write CloudFront standard access logs for the web page to a dedicated bucket.
   * @default true
   */
  readonly distributionLogging?: boolean;
  /**
   * Largest original a client may upload through `getUploadUrl` (the size is bound into the presigned PUT).
   * Pixels stay limited by `maxInputPixels`.
   * @default Size.mebibytes(32)
   */
  readonly maxSourceSize?: Size;
  /**
   * A customer-managed KMS key (in the stack's region) the image bucket (`imageBucket`: originals and results)
   * is encrypted with, SSE-KMS with a bucket key (Control Tower's CT.S3.PR.10). The image function gets
   * kms:Decrypt and kms:GenerateDataKey on it, which its presigned upload and result URLs use too.
   * @default - SSE-S3 (S3-managed keys)
   */
  readonly imageBucketEncryptionKey?: kms.IKey;
  /**
   * Lifetime of an upload URL (`getUploadUrl`), at most an hour.
   * @default Duration.minutes(5)
   */
  readonly uploadUrlExpiration?: Duration;
  /**
   * Lifetime of a result URL (`"deliver":"url"` or a result above the response budget), at most an hour.
   * @default Duration.minutes(15)
   */
  readonly resultUrlExpiration?: Duration;
  /**
   * How long originals and results stay in the image bucket (lifecycle rules), in whole days.
   * @default Duration.days(1)
   */
  readonly storedImageExpiration?: Duration;
  /**
   * Serve derived images at `https://<site>/img/<spec>/<key>` through the page's CloudFront distribution,
   * cached (a repeat costs no invocation). The GET method is public (keys are unguessable upload keys and the
   * spec is allow-listed), so it is off by default when `authorization` is API_KEY or IAM.
   * @default - true with ImageApiAuthorization.NONE, false otherwise
   */
  readonly cachedDelivery?: boolean;
  /**
   * The widths the cached GET path may produce (`w<width>`); with 3 filters and 4 formats they bound the
   * variants of one original.
   * @default [100, 200, 400, 800, 1200, 1600, 2400]
   */
  readonly deliveryWidths?: number[];
  /**
   * How long CloudFront and browsers keep a derived image (Cache-Control max-age).
   * @default Duration.days(1)
   */
  readonly deliveryCacheMaxAge?: Duration;
  /**
   * CloudFront price class of the web page's distribution.
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
}
