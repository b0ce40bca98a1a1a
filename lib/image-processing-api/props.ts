import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as logs from 'aws-cdk-lib/aws-logs';

/** Who may call the image API. */
export enum ImageApiAuthorization {
  /** Anyone, like the original service (throttled; the web page works as is). */
  NONE = 'NONE',
  /** Callers send an `x-api-key` header; a usage plan applies per-key throttling and a daily quota. */
  API_KEY = 'API_KEY',
  /** Callers sign requests with SigV4 and need `execute-api:Invoke` (see `grantInvoke`). */
  IAM = 'IAM',
}

/** Props for {@link ImageProcessingApi}. */
export interface ImageProcessingApiProps {
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
   * Largest decoded input image in bytes. Its base64 must fit in Lambda's 6 MB request payload.
   * @default 4 MiB (4194304)
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
   * box); larger results get a 422 before any pixel is decoded. Raise it with `memorySize`.
   * @default - fitted to `memorySize`: (memory − 256 MiB) ÷ 24 bytes per pixel, 55924053 at 1536 MiB
   */
  readonly maxOutputPixels?: number;
  /**
   * Memory of the image function in MiB (CPU grows with memory; sharp uses every core).
   * @default 1536
   */
  readonly memorySize?: number;
  /**
   * Maximum run time of one request (API Gateway gives up after 29 s).
   * @default Duration.seconds(28)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency of the image function, to cap cost and protect the account's pool.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retention of the function's logs and the API's access logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
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
   * CloudFront price class of the web page's distribution.
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;
}
