import { Duration, Fn, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgeCompliancePackFindings, acknowledgeNag, AlarmOverrides, AlarmTuning, applyAlarmActions, boundAlarm, countAlarm, defaultAlarmAgain, functionThrottleAlarm, PrebundledFunction, SecureBucket, wantsDashboard } from '../core';
import { HOUSE_DEFAULTS } from '../core/defaults';
import { newImageProcessingApiDashboard } from './dashboard';
import { withFunctionOptions } from '../core/builders';
import {
  base64Length,
  DEFAULT_LIMITS,
  DEFAULT_MEMORY_MIB,
  IMAGE_API_LIMIT_ENV,
  IMAGE_API_OPERATIONS,
} from '../../contracts/image-processing-api/limits';
import { ImageApiAuthorization, ImageProcessingApiProps } from './props';
import { ImageApiSite } from './site';
import { ImageStorage, storageEnvironment } from './originals';
import { ImageDelivery } from './delivery';
import { validateProps } from './validation';
import { fitDescriptionsToAwsLimits } from '../core/limits';
import { newPatternLogGroup } from '../core/log-groups';

/**
 * An HTTPS image-processing API (API Gateway REST → a sharp Lambda) speaking the original "Microservices
 * without the Servers" protocol, plus its web page served from a private S3 bucket through CloudFront.
 */
export class ImageProcessingApi extends Construct {
  /** The REST API. POST the original JSON protocol to `api.url`. */
  public readonly api: apigw.RestApi;
  /** The image function. */
  public readonly imageFunction: lambda.Function;
  /**
   * The image function.
   * @deprecated the same function as `imageFunction`; use `imageFunction`
   */
  public readonly function: lambda.Function;
  /**
   * The function with its role and log group.
   * @deprecated the same function as `imageFunction`; use `imageFunction` (its `role` and `logGroup`)
   */
  public readonly handler: PrebundledFunction;
  /** The API's custom domain name, with `apiDomain`: point your DNS at its `domainNameAliasDomainName`. */
  public readonly apiDomainName?: apigw.DomainName;
  /** Every alarm this construct created (`addServerErrorAlarm` adds to it); all get `alarmActions`. */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** Fires on any 5xx answer in a 5-minute period (made by default). */
  public serverErrorAlarm?: cloudwatch.Alarm;
  /** Fires when p95 latency stays above `maxLatency` for 15 minutes. */
  public readonly latencyAlarm: cloudwatch.Alarm;
  /** Fires when the image function is throttled (callers get 5xx or 429). */
  public readonly throttleAlarm: cloudwatch.Alarm;
  /** The pattern's dashboard, unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;
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
  /** The private bucket holding the web page (created, or yours). */
  public readonly siteBucket: s3.IBucket;
  /** The site bucket and its access-log bucket, when this construct created them. */
  public readonly siteStorage?: SecureBucket;
  /** The CloudFront distribution serving the web page. */
  public readonly distribution: cloudfront.Distribution;
  /** Security headers (CSP, HSTS, ...) of the web page. */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The bucket receiving CloudFront's access logs, when `distributionLogging` is on. */
  public readonly distributionLogBucket?: s3.Bucket;
  /** Copies the page and its `config.json` (the API URL) into the site bucket. */
  public readonly siteDeployment: s3deploy.BucketDeployment;
  /**
   * The role of the site deployment's provider function. CDK runs all site deployments of a stack on one
   * provider, so every ImageProcessingApi of a stack shares the first one's role (and its deployment logs).
   */
  public readonly siteDeploymentRole: iam.Role;
  /** The web page's URL. */
  public readonly siteUrl: string;
  /** The origins allowed by CORS. */
  public readonly allowedOrigins: string[];
  /** How callers authenticate. */
  public readonly authorization: ImageApiAuthorization;
  /** The bucket for originals (`originals/`, uploaded through presigned PUTs) and results delivered by URL (`results/`). */
  public readonly imageBucket: s3.IBucket;
  /** The image bucket with its access-log bucket. */
  public readonly imageStorage: SecureBucket;
  /** The API's GET method of the cached path (`GET /img/{proxy+}`), when `cachedDelivery` is on. */
  public readonly deliveryMethod?: apigw.Method;
  /** The CloudFront cache policy of the `/img/*` behaviour, when `cachedDelivery` is on. */
  public readonly deliveryCachePolicy?: cloudfront.CachePolicy;
  /** Base URL of the cached GET path: `${deliveryUrl}/<spec>/<key>`, when `cachedDelivery` is on. */
  public readonly deliveryUrl?: string;
  private readonly postMethod: apigw.Method;

  constructor(scope: Construct, id: string, props: ImageProcessingApiProps = {}) {
    super(scope, id);
    const limits = validateProps(this, props);
    this.authorization = props.authorization ?? ImageApiAuthorization.NONE;
    const retention = props.logRetention ?? HOUSE_DEFAULTS.logRetention;
    const tracing = props.tracing ?? true;

    // ---- originals and results ----
    const images = new ImageStorage(this, 'ImageStorage', {
      settings: limits.storage,
      expiration: limits.storedImageExpiration,
      encryptionKey: props.imageBucketEncryptionKey,
    });
    this.imageStorage = images.storage;
    this.imageBucket = images.bucket;

    // ---- the web page's storage and distribution ----
    // The bucket by a wildcard of its region's endpoint, as the API: naming it would make the bucket (whose CORS
    // names the distribution) and the distribution (whose CSP would name the bucket) depend on each other.
    const s3Endpoints = Fn.join('', ['https://*.s3.', Stack.of(this).region, '.', Stack.of(this).urlSuffix]);
    const site = new ImageApiSite(this, props, [s3Endpoints]);
    this.siteStorage = site.siteStorage;
    this.siteBucket = site.siteBucket;
    this.distributionLogBucket = site.distributionLogBucket;
    this.responseHeadersPolicy = site.responseHeadersPolicy;
    this.distribution = site.distribution;
    this.siteUrl = site.siteUrl;

    // ---- the image function ----
    this.allowedOrigins = props.allowedOrigins ?? site.siteOrigins;
    images.allowOrigins(this.allowedOrigins);
    this.handler = new PrebundledFunction(this, 'Handler', withFunctionOptions({
      assetName: 'image-processing-api',
      description: 'Image operations (ping, getDimensions, identify, resize, thumbnail, convert, getSample) with sharp',
      // The asset ships sharp's linux-x64 (glibc) binaries; see lambda/image-processing-api/bundle.config.mjs.
      architecture: lambda.Architecture.X86_64,
      memorySize: DEFAULT_MEMORY_MIB,
      timeout: Duration.seconds(28),
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'image-processing-api',
        ALLOWED_ORIGINS: Fn.join(',', this.allowedOrigins),
        [IMAGE_API_LIMIT_ENV.maxRequestBytes]: String(limits.maxRequestBytes),
        [IMAGE_API_LIMIT_ENV.maxInputBytes]: String(limits.maxInputBytes),
        [IMAGE_API_LIMIT_ENV.maxInputPixels]: String(limits.maxInputPixels),
        [IMAGE_API_LIMIT_ENV.maxOutputDimension]: String(limits.maxOutputDimension),
        [IMAGE_API_LIMIT_ENV.maxResponseBytes]: String(DEFAULT_LIMITS.maxResponseBytes),
        ...(limits.maxOutputPixels === undefined ? {} : { [IMAGE_API_LIMIT_ENV.maxOutputPixels]: String(limits.maxOutputPixels) }),
        ...storageEnvironment(images.bucket, limits.storage),
      },
    }, limits.imageFunction));
    this.imageFunction = this.handler.function;
    images.grantTo(this.imageFunction);
    this.function = this.imageFunction;

    // ---- the API ----
    this.accessLogGroup = newPatternLogGroup(this, 'AccessLogs', { retention, encryptionKey: props.logEncryptionKey });
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
          expected: `a JSON object with "operation" (${IMAGE_API_OPERATIONS.join(', ')}), "base64Image" (at most ${maxBase64} characters) or "sourceKey" (from getUploadUrl), optional "inputExtension", "outputExtension", "width", "height", "customArgs" (array of strings), "deliver" ("url" or "inline"); getUploadUrl takes "contentType" and "contentLength"`,
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
          // Originals through S3: the handler checks each precisely; the gateway bounds their size.
          sourceKey: { type: apigw.JsonSchemaType.STRING, maxLength: 200 },
          deliver: { type: apigw.JsonSchemaType.STRING, enum: ['url', 'inline'] },
          contentType: { type: apigw.JsonSchemaType.STRING, maxLength: 64 },
          contentLength: { type: apigw.JsonSchemaType.INTEGER, minimum: 1 },
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
      new apigw.LambdaIntegration(this.imageFunction, { proxy: true, allowTestInvoke: false, timeout: Duration.seconds(29) }),
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

    if (props.apiDomain) {
      this.apiDomainName = this.api.addDomainName('ApiDomain', {
        domainName: props.apiDomain.domainName,
        certificate: props.apiDomain.certificate,
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
    }

    if (limits.cachedDelivery) {
      const delivery = new ImageDelivery(this, 'Delivery', this.api, stageName, this.imageFunction, this.distribution, Duration.seconds(limits.storage.deliveryMaxAgeSeconds));
      this.deliveryMethod = delivery.method;
      this.deliveryCachePolicy = delivery.cachePolicy;
      this.deliveryUrl = `${site.siteUrl}/img`;
    }

    // ---- the page and its runtime config ----
    site.deploy({
      apiUrl: this.api.url,
      authorization: this.authorization,
      maxInputBytes: limits.maxInputBytes,
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
      uploads: true,
      deliveryUrl: this.deliveryUrl,
    });
    this.siteDeployment = site.siteDeployment!;
    this.siteDeploymentRole = site.siteDeploymentRole!;

    // CT.LAMBDA.PR.2: API Gateway's permissions to invoke the function name this account as well as the API.
    for (const permission of this.node.findAll().filter((c): c is lambda.CfnPermission => c instanceof lambda.CfnPermission)) {
      if (permission.principal === 'apigateway.amazonaws.com') permission.sourceAccount ??= Stack.of(this).account;
    }

    const tuning = new AlarmTuning(`ImageProcessingApi '${this.node.path}'`, props.alarmOverrides);
    this.addServerErrorAlarm('ServerErrorAlarm', tuning.for('ServerErrorAlarm'));
    const maxLatency = props.maxLatency ?? Duration.seconds(10);
    this.latencyAlarm = boundAlarm(this, 'LatencyAlarm', this.metricLatency({ statistic: 'p95', period: Duration.minutes(5) }),
      `p95 latency of ${this.node.path} above ${maxLatency.toHumanString()} for 15 minutes: images are too large for the function's memory, or it is cold.`,
      maxLatency.toMilliseconds(), tuning.for('LatencyAlarm'));
    this.throttleAlarm = functionThrottleAlarm(this, 'ThrottleAlarm', this.imageFunction, tuning.for('ThrottleAlarm'));
    this.alarms.push(this.latencyAlarm, this.throttleAlarm);
    tuning.assertAllKnown();
    applyAlarmActions(this, props.alarmActions);
    if (wantsDashboard(props)) this.dashboard = newImageProcessingApiDashboard(this);
    // HIPAA, NIST 800-53 r5, PCI DSS 3.2.1 and Serverless findings on what this construct created (docs/compliance.md).
    acknowledgeCompliancePackFindings(this);
    fitDescriptionsToAwsLimits(this);
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
    return this.imageFunction.metricDuration({ statistic: 'p90', ...props });
  }

  /** Image function errors (crashes and timeouts, not 4xx answers). */
  public metricFunctionErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.imageFunction.metricErrors({ statistic: 'Sum', ...props });
  }

  /** Throttled invocations of the image function. */
  public metricFunctionThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.imageFunction.metricThrottles({ statistic: 'Sum', ...props });
  }

  /**
   * An alarm on 5xx answers (any by default, in 5-minute periods). The construct makes `ServerErrorAlarm` by
   * default (change it with `alarmOverrides`); calling this again with that id and no changes returns it.
   */
  public addServerErrorAlarm(id = 'ServerErrorAlarm', props: AlarmOverrides = {}): cloudwatch.Alarm {
    const again = defaultAlarmAgain(this, id, props);
    if (again) return again;
    const alarm = countAlarm(this, id, this.metricServerErrors({ period: Duration.minutes(5) }),
      `5xx answers from ${this.node.path}: the image function failed or timed out.`, {}, props);
    this.serverErrorAlarm ??= alarm;
    this.alarms.push(alarm);
    return alarm;
  }

}
