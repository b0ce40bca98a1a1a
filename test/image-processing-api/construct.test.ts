import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ImageApiAuthorization, ImageProcessingApi } from '../../lib';
import { DEFAULT_LIMITS, IMAGE_API_LIMIT_ENV, IMAGE_API_OPERATIONS, ImageLimits, outputPixelsFor } from '../../contracts/image-processing-api/limits';
import { expectNoNagFindings, newTestApp, newTestStack, templateOf } from '../helpers/cdk';

describe('ImageProcessingApi construct', () => {
  // One stack for the default construct, synthesized once.
  const stack = newTestStack('Images');
  const images = new ImageProcessingApi(stack, 'Images');
  images.addServerErrorAlarm();
  const template = templateOf(stack);

  it('runs the image function on x86_64 (the binaries its asset ships) with the limits in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: lambda.Runtime.NODEJS_24_X.name,
      Architectures: ['x86_64'],
      MemorySize: 1536,
      Timeout: 28,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          MAX_INPUT_BYTES: String(DEFAULT_LIMITS.maxInputBytes),
          MAX_INPUT_PIXELS: String(DEFAULT_LIMITS.maxInputPixels),
          MAX_OUTPUT_DIMENSION: String(DEFAULT_LIMITS.maxOutputDimension),
          MAX_OUTPUT_PIXELS: String(outputPixelsFor(1536)), // fitted to the default memory
          ALLOWED_ORIGINS: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('Distribution'), 'DomainName'] }]] },
        }),
      },
    });
    expect(images.function.architecture).toBe(lambda.Architecture.X86_64);
  });

  it('makes a regional REST API with image/* binary media types, throttling, access logs and tracing', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['image/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, MetricsEnabled: true })],
    });
  });

  it('validates POST bodies against the protocol model and lets the CORS preflight through', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      ApiKeyRequired: false,
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', TimeoutInMillis: 29000 },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({
        required: ['operation'],
        properties: Match.objectLike({
          operation: { type: 'string', enum: IMAGE_API_OPERATIONS },
          base64Image: { type: 'string', maxLength: Math.ceil(DEFAULT_LIMITS.maxInputBytes / 3) * 4 + 64 },
        }),
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        Type: 'MOCK',
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Origin': { 'Fn::Join': ['', ["'https://", Match.anyValue(), "'"]] },
            }),
          }),
        ],
      }),
    });
    const badBody = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: 'BAD_REQUEST_BODY' } }))[0];
    const rendered = (badBody.Properties.ResponseTemplates['application/json'] as string).replace('$context.error.messageString', '"Invalid request body"');
    expect(JSON.parse(rendered)).toMatchObject({ error: 'invalid_request', message: 'Invalid request body' });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"message":\\$context.error.messageString,"expected":"a JSON object with \\\\"operation\\\\" \\(ping, ') },
    });
  });

  it('lets only this API invoke the function, on its POST method and the GET delivery path', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((p) => p.Properties);
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) expect(permission.Principal).toBe('apigateway.amazonaws.com');
    expect(permissions.map((p) => JSON.stringify(p.SourceArn).match(/\/(POST|GET)\/[^"]*/)?.[0]).sort()).toEqual(['/GET/img/*', '/POST/']);
  });

  it('serves the page from a private bucket through CloudFront with origin access control and security headers', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', ResponseHeadersPolicyId: Match.anyValue() }),
        Origins: Match.arrayWith([Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } })]),
      }),
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.anyValue(), Override: true },
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31536000 }),
        }),
      }),
    });
  });

  it('deploys the page with a config.json holding the API URL', () => {
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0].Properties;
    expect(deployment.SourceObjectKeys).toHaveLength(2);
    const markers = JSON.stringify(deployment.SourceMarkers);
    expect(markers).toMatch(/ImagesApi[A-Za-z0-9]*/); // the API id and stage resolve at deploy time
    expect(deployment.DistributionPaths).toEqual(['/*']);
    expect(stack.resolve(images.siteUrl)).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/Distribution/), 'DomainName'] }]] });
  });

  it('exposes metric helpers on the API and the function', () => {
    expect(stack.resolve(images.metricServerErrors().metricName)).toBe('5XXError');
    expect(images.metricClientErrors().metricName).toBe('4XXError');
    expect(images.metricLatency().statistic).toBe('p90');
    expect(images.metricRequests().metricName).toBe('Count');
    expect(images.metricProcessingDuration().metricName).toBe('Duration');
    expect(images.metricFunctionErrors().metricName).toBe('Errors');
    expect(images.metricFunctionThrottles().metricName).toBe('Throttles');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Threshold: 1 });
  });

  it('matches the snapshot (asset hashes masked)', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });

  it('hands the handler every limit of the contract, with the contract defaults', () => {
    const expected = Object.fromEntries(
      (Object.keys(DEFAULT_LIMITS) as Array<keyof ImageLimits>).map((key) => [IMAGE_API_LIMIT_ENV[key], String(DEFAULT_LIMITS[key])]),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike(expected) },
    });
    expect(IMAGE_API_OPERATIONS).toEqual(['ping', 'getDimensions', 'identify', 'resize', 'thumbnail', 'convert', 'getSample', 'getUploadUrl']);
  });
});

describe('ImageProcessingApi options', () => {
  it('API_KEY: requires a key on POST (not on the preflight), with a usage plan, quota and throttle', () => {
    const stack = newTestStack('Keyed');
    const images = new ImageProcessingApi(stack, 'Images', {
      authorization: ImageApiAuthorization.API_KEY,
      dailyQuotaPerApiKey: 500,
      throttlingRateLimit: 5,
      throttlingBurstLimit: 10,
      allowedOrigins: ['https://app.example.com'],
      memorySize: 1024,
    });
    const template = templateOf(stack);
    // The output-pixel budget follows the memory when not set.
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Environment: { Variables: Match.objectLike({ MAX_OUTPUT_PIXELS: String(outputPixelsFor(1024)) }) } });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', ApiKeyRequired: true });
    const preflight = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
    expect(preflight).toHaveLength(1);
    expect(preflight[0].Properties.ApiKeyRequired).not.toBe(true);
    expect(preflight[0].Properties.AuthorizationType).toBe('NONE');
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 500, Period: 'DAY' },
      Throttle: { RateLimit: 5, BurstLimit: 10 },
    });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ALLOWED_ORIGINS: 'https://app.example.com' }) },
    });
    // The key the construct exposes is the one the usage plan admits.
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyId: stack.resolve(images.apiKey!.keyId), KeyType: 'API_KEY' });
    expectNoNagFindings(stack);
  });

  it('IAM: signs requests, grantInvoke scopes execute-api:Invoke to the POST method; env-agnostic stacks stay nag-clean', () => {
    const stack = new Stack(newTestApp(), 'Iam');
    const images = new ImageProcessingApi(stack, 'Images', {
      authorization: ImageApiAuthorization.IAM,
      distributionLogging: false,
      executionLoggingLevel: undefined,
      tracing: false,
      timeout: Duration.seconds(10),
      maxOutputPixels: 20_000_000,
    });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    images.grantInvoke(caller);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'execute-api:Invoke', Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }) })] },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: false });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MAX_OUTPUT_PIXELS: '20000000' }) } });
    template.resourceCountIs('AWS::S3::Bucket', 4); // site + image bucket, each with its access logs; no CloudFront log bucket
    expectNoNagFindings(stack);
  });

  it.each([
    [{ maxInputBytes: 5_000_000 }, /`maxInputBytes` must be a whole number from 1 to 4450848.*6 MB/],
    [{ maxInputPixels: 0 }, /`maxInputPixels` must be a whole number/],
    [{ maxOutputDimension: 100000 }, /maxOutputDimension/],
    [{ maxOutputPixels: 0 }, /`maxOutputPixels` must be a whole number from 1 to 268402689/],
    [{ memorySize: 256 }, /`memorySize` must be a whole number from 512 .*at least 512 MiB to decode images/],
    [{ timeout: Duration.seconds(60) }, /`timeout` must be from 1 second to 29 seconds \(got 1 minute\)/],
    [{ dailyQuotaPerApiKey: 10 }, /only with authorization: ImageApiAuthorization.API_KEY/],
    [{ allowedOrigins: [] }, /must not be empty/],
    [{ allowedOrigins: ['https://example.com/page'] }, /must look like https:\/\/example.com/],
    [{ throttlingRateLimit: 2.5 }, /throttlingRateLimit/],
  ])('rejects %j with a message saying what to change', (props, message) => {
    expect(() => new ImageProcessingApi(newTestStack('Bad'), 'Images', props)).toThrow(message);
  });
});
