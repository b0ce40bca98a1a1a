// ImageProcessingApi with the user's site bucket, custom domains and function settings; renamed props.
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { outputPixelsFor } from '../../contracts/image-processing-api/limits';
import { ImageProcessingApi, ImageProcessingApiProps } from '../../lib';
import { expectNoNagFindings, newTestStack, TEST_ENV, templateOf } from '../helpers/cdk';

const CERT_US_EAST_1 = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const CERT_EU_WEST_1 = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

describe('ImageProcessingApi with your site bucket, custom domains and function settings', () => {
  const stack = newTestStack('ImagesYours');
  const siteBucket = new s3.Bucket(stack, 'UserSite', { enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  const images = new ImageProcessingApi(stack, 'Images', {
    siteBucket,
    siteDomain: { domainName: 'images.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'SiteCert', CERT_US_EAST_1) },
    apiDomain: { domainName: 'api.images.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'ApiCert', CERT_US_EAST_1) },
    imageFunctionProps: { memorySize: 2048, timeout: Duration.seconds(20), reservedConcurrentExecutions: 3, environment: { POWERTOOLS_LOG_LEVEL: 'WARN' } },
    maxInputSize: Size.mebibytes(2),
  });
  const alarm = images.addServerErrorAlarm();
  const template = templateOf(stack);
  const imageFunction = () => Object.values(template.findResources('AWS::Lambda::Function', { Properties: { MemorySize: 2048 } }));

  it('serves the page from your bucket, creates none, and never prunes your other objects', () => {
    expect(images.siteBucket).toBe(siteBucket);
    expect(images.siteStorage).toBeUndefined();
    // Your bucket, CloudFront's log bucket and the image bucket (originals, results) with its access logs.
    template.resourceCountIs('AWS::S3::Bucket', 4);
    template.hasResourceProperties('Custom::CDKBucketDeployment', { Prune: false, DestinationBucketName: { Ref: stack.getLogicalId(siteBucket.node.defaultChild as s3.CfnBucket) } });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: stack.getLogicalId(siteBucket.node.defaultChild as s3.CfnBucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' })]) },
    });
  });

  it('serves the page on your domain with your us-east-1 certificate and TLS 1.2 (2021) at least', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['images.example.com'],
        ViewerCertificate: { AcmCertificateArn: CERT_US_EAST_1, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      }),
    });
    expect(images.siteUrl).toBe('https://images.example.com');
    expect(images.allowedOrigins[0]).toBe('https://images.example.com');
    expect(images.allowedOrigins).toHaveLength(2);
  });

  it('maps your API domain to the stage with TLS 1.2', () => {
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.images.example.com',
      RegionalCertificateArn: CERT_US_EAST_1,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    // The construct exposes the very domain name it mapped (the resource above), not just something.
    const [domainId] = Object.keys(template.findResources('AWS::ApiGateway::DomainName'));
    expect(stack.getLogicalId(images.apiDomainName!.node.defaultChild as never)).toBe(domainId);
    expect(stack.resolve(images.apiDomainName!.domainName)).toEqual({ Ref: domainId });
  });

  it('merges imageFunctionProps over the image function defaults and keeps its limits', () => {
    const [fn] = imageFunction();
    expect(fn.Properties).toMatchObject({ Timeout: 20, ReservedConcurrentExecutions: 3, Architectures: ['x86_64'] });
    // maxOutputPixels' default follows the memory the function really gets (2048 MiB here).
    expect(fn.Properties.Environment.Variables).toMatchObject({
      POWERTOOLS_LOG_LEVEL: 'WARN',
      MAX_INPUT_BYTES: String(2 * 1024 * 1024),
      MAX_OUTPUT_PIXELS: String(outputPixelsFor(2048)),
    });
    expect(images.imageFunction).toBe(images.function);
  });

  it('lists the alarms it made', () => {
    expect(images.alarms).toEqual([alarm, images.latencyAlarm, images.throttleAlarm]);
    expect(images.serverErrorAlarm).toBe(alarm);
  });

  it('has no unacknowledged cdk-nag findings on what it created', () => {
    expectNoNagFindings(images);
  });
});

describe('ImageProcessingApi with an imported site bucket', () => {
  const stack = newTestStack('ImagesImportedSite');
  const images = new ImageProcessingApi(stack, 'Images', { siteBucket: s3.Bucket.fromBucketName(stack, 'Site', 'my-image-site') });
  const template = templateOf(stack);

  it('deploys the page into it without pruning and serves it through origin access control', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', { Prune: false, DestinationBucketName: 'my-image-site' });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', Match.anyValue());
    // CDK cannot change an imported bucket's policy: no policy is written for it (the docs say which statement to add).
    // (The other two: the image bucket's and its access-log bucket's.)
    template.resourceCountIs('AWS::S3::BucketPolicy', 3);
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(images);
  });
});

describe('ImageProcessingApi bring-your-own validation', () => {
  const attempt = (props: (stack: Stack) => ImageProcessingApiProps, stack: Stack = newTestStack()) => () => new ImageProcessingApi(stack, 'Images', props(stack));
  const cert = (stack: Stack, arn: string) => acm.Certificate.fromCertificateArn(stack, `Cert${stack.node.children.length}`, arn);

  it.each<[string, (stack: Stack) => ImageProcessingApiProps, RegExp]>([
    ['a CloudFront certificate outside us-east-1', (s) => ({ siteDomain: { domainName: 'images.example.com', certificate: cert(s, CERT_EU_WEST_1) } }),
      /`siteDomain.certificate` is in eu-west-1, but CloudFront uses certificates from us-east-1 only/],
    ['an API certificate of another region', (s) => ({ apiDomain: { domainName: 'api.example.com', certificate: cert(s, CERT_EU_WEST_1) } }), /`apiDomain.certificate` .* is in eu-west-1/],
    ['a malformed domain name', (s) => ({ apiDomain: { domainName: 'https://api.example.com/', certificate: cert(s, CERT_US_EAST_1) } }), /`apiDomain.domainName` 'https:\/\/api.example.com\/' must be a domain name/],
    ['ARM_64 while only x64 sharp binaries ship', () => ({ imageFunctionProps: { architecture: lambda.Architecture.ARM_64 } }),
      /`imageFunctionProps.architecture` arm64 is not supported: the image function's asset ships sharp's linux-x64 binaries only/],
    ['an environment variable of the handler', () => ({ imageFunctionProps: { environment: { MAX_INPUT_BYTES: '1' } } }), /`imageFunctionProps.environment` must not set MAX_INPUT_BYTES/],
    ['too little memory for sharp', () => ({ imageFunctionProps: { memorySize: 256 } }), /`imageFunctionProps.memorySize` must be a whole number from 512 to 10240 \(got 256\): sharp needs/],
    ['a timeout API Gateway does not wait for', () => ({ imageFunctionProps: { timeout: Duration.seconds(60) } }), /`imageFunctionProps.timeout` must be from 1 second to 29 seconds/],
    ['memorySize and imageFunctionProps.memorySize that differ', () => ({ memorySize: 1024, imageFunctionProps: { memorySize: 2048 } }),
      /`memorySize` is the deprecated name of `imageFunctionProps.memorySize`, and both are given with different values/],
    ['timeout and imageFunctionProps.timeout that differ', () => ({ timeout: Duration.seconds(10), imageFunctionProps: { timeout: Duration.seconds(20) } }),
      /`timeout` is the deprecated name of `imageFunctionProps.timeout`/],
    ['maxInputSize too large for the payload', () => ({ maxInputSize: Size.mebibytes(5) }), /`maxInputSize` must be from 1 to \d+ bytes \(got 5 MiB\): its base64 must fit/],
    ['maxInputSize and maxInputBytes that differ', () => ({ maxInputSize: Size.mebibytes(1), maxInputBytes: 1000 }), /`maxInputBytes` is the deprecated name of `maxInputSize`/],
  ])('refuses %s, saying what to change', (_name, props, message) => {
    expect(attempt(props)).toThrow(message);
  });

  it('refuses a CloudFront certificate the app creates in a stack outside us-east-1', () => {
    const app = new App();
    const certStack = new Stack(app, 'Certs', { env: { ...TEST_ENV, region: 'eu-west-1' } });
    const certificate = new acm.Certificate(certStack, 'Cert', { domainName: 'images.example.com' });
    const stack = new Stack(app, 'Images', { env: { ...TEST_ENV, region: 'eu-west-1' } });
    expect(attempt(() => ({ siteDomain: { domainName: 'images.example.com', certificate } }), stack)).toThrow(/`siteDomain.certificate` is in eu-west-1/);
  });

  it('still accepts the deprecated names, and both names when they agree', () => {
    const stack = newTestStack();
    new ImageProcessingApi(stack, 'Images', { memorySize: 1024, imageFunctionProps: { memorySize: 1024 }, timeout: Duration.seconds(20), maxInputBytes: 1048576 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 20,
      Environment: { Variables: Match.objectLike({ MAX_INPUT_BYTES: '1048576' }) },
    });
  });
});
