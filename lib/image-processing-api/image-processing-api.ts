import { BOOTSTRAP_QUALIFIER_CONTEXT, DefaultStackSynthesizer, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { acknowledgeNag, HOUSE_DEFAULTS, packageRoot, PrebundledFunction, SECURE_BUCKET_DEFAULTS, SecureBucket } from '../core';
import {
  base64Length,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_MAX_INPUT_PIXELS,
  DEFAULT_MAX_OUTPUT_DIMENSION,
  EVENT_ENVELOPE_BYTES,
  IMAGE_API_LIMIT_ENV,
  IMAGE_API_OPERATIONS,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
} from './contract';

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
   * @default - fitted to `memorySize` by the handler: (memory − 256 MiB) ÷ 24 bytes per pixel, 55924053 at 1536 MiB
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

/** The directory holding the web page. `npm run build` copies it from `lib/image-processing-api/site`. */
export function imageApiSitePath(): string {
  const dir = path.join(packageRoot(), 'assets', 'image-processing-api-site');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`The image API web page is missing (${dir}/index.html). Run 'npm run build' (npm ci runs it through 'prepare').`);
  }
  return dir;
}

/**
 * An HTTPS image-processing API (API Gateway REST → a sharp Lambda) speaking the original "Microservices
 * without the Servers" protocol, plus its web page served from a private S3 bucket through CloudFront.
 */
export class ImageProcessingApi extends Construct {
  /** The REST API. POST the original JSON protocol to `api.url`. */
  public readonly api: apigw.RestApi;
  /** The image function. */
  public readonly function: lambda.Function;
  /** The function with its role and log group. */
  public readonly handler: PrebundledFunction;
  /** The API stage's access log group. */
  public readonly accessLogGroup: logs.LogGroup;
  /** The request model (JSON schema) API Gateway validates bodies against. */
  public readonly requestModel: apigw.Model;
  /** The validator that checks request bodies before the function runs. */
  public readonly requestValidator: apigw.RequestValidator;
  /** The API key, with `ImageApiAuthorization.API_KEY`. */
  public readonly apiKey?: apigw.IApiKey;
  /** The usage plan, with `ImageApiAuthorization.API_KEY`. */
  public readonly usagePlan?: apigw.UsagePlan;
  /** The private bucket holding the web page. */
  public readonly siteBucket: s3.Bucket;
  /** The site bucket and its access-log bucket. */
  public readonly siteStorage: SecureBucket;
  /** The CloudFront distribution serving the web page. */
  public readonly distribution: cloudfront.Distribution;
  /** Security headers (CSP, HSTS, ...) of the web page. */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The bucket receiving CloudFront's access logs, when `distributionLogging` is on. */
  public readonly distributionLogBucket?: s3.Bucket;
  /** Copies the page and its `config.json` (the API URL) into the site bucket. */
  public readonly siteDeployment: s3deploy.BucketDeployment;
  /** The role of the site deployment's provider function. */
  public readonly siteDeploymentRole: iam.Role;
  /** The web page's URL. */
  public readonly siteUrl: string;
  /** The origins allowed by CORS. */
  public readonly allowedOrigins: string[];
  /** How callers authenticate. */
  public readonly authorization: ImageApiAuthorization;
  private readonly postMethod: apigw.Method;

  constructor(scope: Construct, id: string, props: ImageProcessingApiProps = {}) {
    super(scope, id);
    const limits = validateProps(props);
    this.authorization = props.authorization ?? ImageApiAuthorization.NONE;
    const retention = props.logRetention ?? HOUSE_DEFAULTS.logRetention;
    const tracing = props.tracing ?? true;

    // ---- the web page's storage and distribution ----
    this.siteStorage = new SecureBucket(this, 'Site');
    this.siteBucket = this.siteStorage.bucket;
    if (props.distributionLogging !== false) {
      // CloudFront standard logs are delivered with ACLs, so this bucket (alone) keeps ACLs enabled.
      this.distributionLogBucket = new s3.Bucket(this, 'DistributionLogs', {
        ...SECURE_BUCKET_DEFAULTS,
        versioned: false,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      });
      acknowledgeNag(this.distributionLogBucket, {
        id: 'AwsSolutions-S1',
        reason: 'This bucket only receives CloudFront access logs; logging access to the log bucket itself would recurse.',
      });
    }
    const apiDomain = Fn.join('', ['https://', '*.execute-api.', Stack.of(this).region, '.', Stack.of(this).urlSuffix]);
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Image API page: strict CSP allowing only the image API, HSTS, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: Fn.join('', [
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ",
            apiDomain,
            "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          ]),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Image processing API web page',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: this.distributionLogBucket !== undefined,
      logBucket: this.distributionLogBucket,
      logFilePrefix: this.distributionLogBucket ? 'cloudfront/' : undefined,
      webAclId: props.distributionWebAclArn,
    });
    this.siteUrl = `https://${this.distribution.distributionDomainName}`;
    acknowledgeNag(
      this.distribution,
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The image page is a public demo page with no region-specific content; geo restriction is left to the user.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the minimum TLS policy; attach a custom domain and certificate to choose TLSv1.2_2021.',
      },
    );
    if (!props.distributionWebAclArn) {
      acknowledgeNag(this.distribution, {
        id: 'AwsSolutions-CFR2',
        reason: 'The distribution serves three static files from a private bucket; a WAF web ACL (distributionWebAclArn) is optional and billed per ACL.',
      });
    }
    if (!this.distributionLogBucket) {
      acknowledgeNag(this.distribution, {
        id: 'AwsSolutions-CFR3',
        reason: 'CloudFront access logging was turned off explicitly through ImageProcessingApiProps.distributionLogging = false.',
      });
    }

    // ---- the image function ----
    this.allowedOrigins = props.allowedOrigins ?? [this.siteUrl];
    this.handler = new PrebundledFunction(this, 'Handler', {
      assetName: 'image-processing-api',
      description: 'Image operations (ping, getDimensions, identify, resize, thumbnail, convert, getSample) with sharp',
      // The asset ships sharp's linux-x64 (glibc) binaries; see lambda/image-processing-api/bundle.config.mjs.
      architecture: lambda.Architecture.X86_64,
      memorySize: props.memorySize ?? 1536,
      timeout: props.timeout ?? Duration.seconds(28),
      logRetention: retention,
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'image-processing-api',
        ALLOWED_ORIGINS: Fn.join(',', this.allowedOrigins),
        [IMAGE_API_LIMIT_ENV.maxRequestBytes]: String(limits.maxRequestBytes),
        [IMAGE_API_LIMIT_ENV.maxInputBytes]: String(limits.maxInputBytes),
        [IMAGE_API_LIMIT_ENV.maxInputPixels]: String(limits.maxInputPixels),
        [IMAGE_API_LIMIT_ENV.maxOutputDimension]: String(limits.maxOutputDimension),
        [IMAGE_API_LIMIT_ENV.maxResponseBytes]: String(LAMBDA_PAYLOAD_LIMIT_BYTES - 16 * 1024),
        ...(props.maxOutputPixels === undefined ? {} : { [IMAGE_API_LIMIT_ENV.maxOutputPixels]: String(props.maxOutputPixels) }),
      },
    });
    this.function = this.handler.function;

    // ---- the API ----
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention });
    const stageName = props.stageName ?? 'prod';
    const corsOrigin = this.allowedOrigins.includes('*') ? '*' : this.allowedOrigins[0];
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'Image processing API (original "Microservices without the Servers" protocol)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Only image responses are binary: JSON requests and the base64 JSON answers stay text.
      binaryMediaTypes: ['image/*'],
      cloudWatchRole: false,
      deployOptions: {
        stageName,
        tracingEnabled: tracing,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 20,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 40,
        loggingLevel: props.executionLoggingLevel,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: this.allowedOrigins,
        allowMethods: ['OPTIONS', 'POST'],
        allowHeaders: ['Content-Type', 'Accept', 'Authorization', 'X-Api-Key', 'X-Amz-Date', 'X-Amz-Security-Token'],
        maxAge: Duration.minutes(10),
      },
    });
    // API Gateway's own errors (validation, throttling, auth, payload too large) as JSON with CORS, so the
    // web page can show them too.
    const maxBase64 = base64Length(limits.maxInputBytes);
    const corsHeader = { 'Access-Control-Allow-Origin': `'${corsOrigin}'`, Vary: "'Origin'" };
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: corsHeader,
      // $context.error.validationErrorString holds unescaped quotes, so it cannot go into JSON safely; the
      // message and a fixed description of the protocol can.
      templates: {
        'application/json': JSON.stringify({
          error: 'invalid_request',
          message: '__MESSAGE__',
          expected: `a JSON object with "operation" (${IMAGE_API_OPERATIONS.join(', ')}), "base64Image" (at most ${maxBase64} characters), optional "inputExtension", "outputExtension", "width", "height", "customArgs" (array of strings)`,
        }).replace('"__MESSAGE__"', '$context.error.messageString'),
      },
    });
    this.api.addGatewayResponse('RequestTooLarge', {
      type: apigw.ResponseType.REQUEST_TOO_LARGE,
      statusCode: '413',
      responseHeaders: corsHeader,
      templates: { 'application/json': '{"error":"request_too_large","message":$context.error.messageString}' },
    });
    for (const [name, type] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(name, {
        type,
        responseHeaders: corsHeader,
        templates: { 'application/json': '{"error":"gateway_error","message":$context.error.messageString}' },
      });
    }

    this.requestModel = this.api.addModel('ImageRequest', {
      contentType: 'application/json',
      modelName: 'ImageRequest',
      description: 'The original image service protocol',
      schema: {
        schema: apigw.JsonSchemaVersion.DRAFT4,
        title: 'ImageRequest',
        type: apigw.JsonSchemaType.OBJECT,
        required: ['operation'],
        properties: {
          operation: { type: apigw.JsonSchemaType.STRING, enum: IMAGE_API_OPERATIONS },
          base64Image: { type: apigw.JsonSchemaType.STRING, maxLength: maxBase64 + 64 },
          inputExtension: { type: apigw.JsonSchemaType.STRING, maxLength: 16 },
          outputExtension: { type: apigw.JsonSchemaType.STRING, maxLength: 16 },
          width: { type: [apigw.JsonSchemaType.INTEGER, apigw.JsonSchemaType.STRING, apigw.JsonSchemaType.NULL] },
          height: { type: [apigw.JsonSchemaType.INTEGER, apigw.JsonSchemaType.STRING, apigw.JsonSchemaType.NULL] },
          customArgs: {
            type: [apigw.JsonSchemaType.ARRAY, apigw.JsonSchemaType.STRING, apigw.JsonSchemaType.NULL],
            maxItems: 32,
            maxLength: 2048,
          },
        },
      },
    });
    this.requestValidator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'image-request-body',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.postMethod = this.api.root.addMethod(
      'POST',
      new apigw.LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false, timeout: Duration.seconds(29) }),
      {
        requestValidator: this.requestValidator,
        requestModels: { 'application/json': this.requestModel },
        apiKeyRequired: this.authorization === ImageApiAuthorization.API_KEY,
        authorizationType: this.authorization === ImageApiAuthorization.IAM ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE,
      },
    );
    if (this.authorization === ImageApiAuthorization.API_KEY) {
      this.usagePlan = this.api.addUsagePlan('UsagePlan', {
        description: 'Per-key throttling and daily quota for the image API',
        throttle: { rateLimit: props.throttlingRateLimit ?? 20, burstLimit: props.throttlingBurstLimit ?? 40 },
        quota: { limit: props.dailyQuotaPerApiKey ?? 10000, period: apigw.Period.DAY },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      this.apiKey = this.api.addApiKey('ApiKey', { description: 'Key for the image API (send it as x-api-key)' });
      this.usagePlan.addApiKey(this.apiKey);
    }
    if (props.apiWebAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'ApiWebAcl', { resourceArn: this.api.deploymentStage.stageArn, webAclArn: props.apiWebAclArn });
    } else {
      acknowledgeNag(this.api, {
        id: 'AwsSolutions-APIG3',
        reason: 'The stage is throttled (rate and burst) and validates bodies; a WAF web ACL is optional (apiWebAclArn) because it is billed per ACL.',
      });
    }
    if (props.executionLoggingLevel === undefined) {
      acknowledgeNag(this.api, {
        id: 'AwsSolutions-APIG6',
        reason: 'Access logs are always on; execution logging needs the account-wide API Gateway CloudWatch role, so it is opt-in (executionLoggingLevel).',
      });
    }
    // cdk-nag checks every method, including the CORS preflight OPTIONS method, which must stay
    // unauthenticated for browsers to call the API.
    acknowledgeNag(this.api, {
      id: 'AwsSolutions-COG4',
      reason: 'The API authenticates with API keys or IAM (ImageApiAuthorization) rather than Cognito; the CORS preflight OPTIONS method must stay open.',
    });
    if (this.authorization !== ImageApiAuthorization.IAM) {
      acknowledgeNag(this.api, {
        id: 'AwsSolutions-APIG4',
        reason:
          this.authorization === ImageApiAuthorization.NONE
            ? 'Public by design, as the original service its clients were written for (ImageApiAuthorization.NONE); throttled per stage. Choose API_KEY or IAM to restrict it.'
            : 'Callers need an API key (usage plan with throttling and quota); the CORS preflight OPTIONS method must stay open.',
      });
    }

    // ---- the page and its runtime config ----
    const deploymentLogs = new logs.LogGroup(this, 'SiteDeploymentLogs', { retention });
    // An explicit role instead of the AWSLambdaBasicExecutionRole CDK would attach to its provider function.
    this.siteDeploymentRole = new iam.Role(this, 'SiteDeploymentRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the image API web page and its config.json into the site bucket',
    });
    this.siteDeploymentRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [deploymentLogs.logGroupArn] }),
    );
    this.siteDeployment = new s3deploy.BucketDeployment(this, 'SiteDeployment', {
      destinationBucket: this.siteBucket,
      sources: [
        s3deploy.Source.asset(imageApiSitePath()),
        s3deploy.Source.jsonData('config.json', {
          apiUrl: this.api.url,
          authorization: this.authorization,
          maxInputBytes: limits.maxInputBytes,
        }),
      ],
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=60')],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
      role: this.siteDeploymentRole,
      logGroup: deploymentLogs,
    });
    this.acknowledgeSiteDeploymentGrants();
  }

  /** Lets `grantee` call the API (for `ImageApiAuthorization.IAM`). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.postMethod.methodArn],
    });
  }

  /** API requests per period. */
  public metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.api.metricCount({ statistic: 'Sum', ...props });
  }

  /** 4xx answers (bad input, throttling, auth) per period. */
  public metricClientErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.api.metricClientError({ statistic: 'Sum', ...props });
  }

  /** 5xx answers per period. */
  public metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.api.metricServerError({ statistic: 'Sum', ...props });
  }

  /** End-to-end latency of API requests (p90 by default). */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.api.metricLatency({ statistic: 'p90', ...props });
  }

  /** Time the image function takes per request (p90 by default). */
  public metricProcessingDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricDuration({ statistic: 'p90', ...props });
  }

  /** Image function errors (crashes and timeouts, not 4xx answers). */
  public metricFunctionErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricErrors({ statistic: 'Sum', ...props });
  }

  /** Throttled invocations of the image function. */
  public metricFunctionThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricThrottles({ statistic: 'Sum', ...props });
  }

  /** An alarm on 5xx answers (any by default, in 5-minute periods). */
  public addServerErrorAlarm(id = 'ServerErrorAlarm', props: Partial<cloudwatch.CreateAlarmOptions> = {}): cloudwatch.Alarm {
    return this.metricServerErrors({ period: Duration.minutes(5) }).createAlarm(this, id, {
      alarmDescription: `5xx answers from ${this.node.path}: the image function failed or timed out.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
  }

  /**
   * CDK grants the BucketDeployment provider wildcard actions on the asset bucket's and the site bucket's
   * objects, and CloudFront invalidation on '*'. Each finding is acknowledged by its exact id on the role.
   */
  private acknowledgeSiteDeploymentGrants(): void {
    const stack = Stack.of(this);
    const reason = (what: string): string =>
      `CDK's BucketDeployment grants ${what} to copy the page folder from the CDK asset bucket into the site bucket; object wildcards are inherent to copying a folder.`;
    const siteBucketId = stack.getLogicalId(this.siteBucket.node.defaultChild as s3.CfnBucket);
    const acks = ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: reason(action),
    }));
    acks.push({ id: `AwsSolutions-IAM5[Resource::<${siteBucketId}.Arn>/*]`, reason: reason('access to every object of the site bucket') });
    acks.push({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudfront:CreateInvalidation/GetInvalidation granted by BucketDeployment to refresh the page after deploy; CDK scopes it to "*".',
    });
    const assetObjects = defaultAssetBucketObjectsArn(stack);
    if (assetObjects) acks.push({ id: `AwsSolutions-IAM5[Resource::${assetObjects}]`, reason: reason('read access to the CDK asset bucket objects') });
    acknowledgeNag(this.siteDeploymentRole, ...acks);
    // The provider function itself is a singleton at stack level, outside this construct.
    for (const child of stack.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      acknowledgeNag(child, {
        id: 'AwsSolutions-L1',
        reason: 'The CDK BucketDeployment provider pins its own Python runtime (it bundles the AWS CLI); CDK moves it forward with aws-cdk-lib releases.',
      });
    }
  }
}

/**
 * The CDK asset bucket's objects ARN as cdk-nag prints it, for the default stack synthesizer
 * (`cdk-<qualifier>-assets-<account>-<region>/*`); undefined for other synthesizers.
 */
function defaultAssetBucketObjectsArn(stack: Stack): string | undefined {
  if (!(stack.synthesizer instanceof DefaultStackSynthesizer)) return undefined;
  const qualifier = stack.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  return `arn:${partition}:s3:::cdk-${qualifier}-assets-${account}-${region}/*`;
}

interface ResolvedLimits {
  readonly maxRequestBytes: number;
  readonly maxInputBytes: number;
  readonly maxInputPixels: number;
  readonly maxOutputDimension: number;
}

function validateProps(props: ImageProcessingApiProps): ResolvedLimits {
  const positive = (name: string, value: number | undefined, max: number, hint: string): void => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`ImageProcessingApi: ${name} must be a whole number from 1 to ${max} (got ${value}); ${hint}`);
    }
  };
  const maxInputBytes = props.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const maxBytesThatFit = Math.floor(((LAMBDA_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES) * 3) / 4);
  positive('maxInputBytes', maxInputBytes, maxBytesThatFit, "its base64 must fit in Lambda's 6 MB request payload");
  positive('maxInputPixels', props.maxInputPixels, 268_402_689, "sharp's own ceiling is 0x3FFF × 0x3FFF pixels");
  positive('maxOutputDimension', props.maxOutputDimension, 16384, 'larger outputs cannot be returned within 6 MB anyway');
  positive('maxOutputPixels', props.maxOutputPixels, 268_402_689, "sharp's own ceiling is 0x3FFF × 0x3FFF pixels");
  positive('throttlingRateLimit', props.throttlingRateLimit, 10000, 'the account default is 10000 requests per second');
  positive('throttlingBurstLimit', props.throttlingBurstLimit, 5000, 'the account default burst is 5000');
  positive('dailyQuotaPerApiKey', props.dailyQuotaPerApiKey, 1_000_000_000, 'use a daily request count');
  positive('memorySize', props.memorySize, 10240, 'Lambda allows 128 to 10240 MiB');
  if (props.memorySize !== undefined && props.memorySize < 512) {
    throw new Error(`ImageProcessingApi: memorySize ${props.memorySize} MiB is too small to decode images with sharp; use at least 512`);
  }
  if (props.timeout && !props.timeout.isUnresolved() && props.timeout.toSeconds() > 29) {
    throw new Error(`ImageProcessingApi: timeout must be at most 29 seconds, API Gateway's integration limit (got ${props.timeout.toSeconds()} s)`);
  }
  if (props.dailyQuotaPerApiKey !== undefined && props.authorization !== ImageApiAuthorization.API_KEY) {
    throw new Error('ImageProcessingApi: dailyQuotaPerApiKey applies only with authorization: ImageApiAuthorization.API_KEY');
  }
  if (props.allowedOrigins) {
    if (props.allowedOrigins.length === 0) throw new Error('ImageProcessingApi: allowedOrigins must not be empty; omit it to allow only the web page');
    for (const origin of props.allowedOrigins) {
      if (!Token.isUnresolved(origin) && origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        throw new Error(`ImageProcessingApi: allowed origin '${origin}' must look like https://example.com (scheme and host, no path) or be '*'`);
      }
    }
  }
  return {
    maxRequestBytes: LAMBDA_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES,
    maxInputBytes,
    maxInputPixels: props.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS,
    maxOutputDimension: props.maxOutputDimension ?? DEFAULT_MAX_OUTPUT_DIMENSION,
  };
}
