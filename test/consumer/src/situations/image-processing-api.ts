// ImageProcessingApi with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ImageApiAuthorization, ImageProcessingApi, ImageProcessingApiProps } from 'cdk-compute-patterns';
import { ENV, errorNaming, inOneStack, Situation, SituationOptions, UserApp } from '../harness';

/** A situation: the props a user gives an ImageProcessingApi in their stack. */
const imageApi = (name: string, props: (user: UserApp, stack: Stack) => ImageProcessingApiProps, options?: SituationOptions): Situation =>
  inOneStack(`ImageProcessingApi: ${name}`, (user, stack) => new ImageProcessingApi(stack, 'Images', props(user, stack)), options);

export const IMAGE_PROCESSING_API_SITUATIONS: Situation[] = [
  imageApi('throttling limits from CfnParameters', (_u, stack) => ({
    throttlingRateLimit: new CfnParameter(stack, 'Rate', { type: 'Number', default: 20 }).valueAsNumber,
    throttlingBurstLimit: new CfnParameter(stack, 'Burst', { type: 'Number', default: 40 }).valueAsNumber,
  })),
  imageApi('allowed origin from a CfnParameter', (_u, stack) => ({ allowedOrigins: [new CfnParameter(stack, 'Origin', { default: 'https://example.com' }).valueAsString] })),
  imageApi('API keys, no distribution logs', () => ({ authorization: ImageApiAuthorization.API_KEY, distributionLogging: false })),
  imageApi('IAM authorization', () => ({ authorization: ImageApiAuthorization.IAM })),
  imageApi('maxInputBytes 0 and memorySize 100: both reported', () => ({ maxInputBytes: 0, memorySize: 100 }), {
    expect: errorNaming('maxInputBytes', /memorySize/),
  }),
  imageApi('memorySize from a CfnParameter', (_u, stack) => ({ memorySize: new CfnParameter(stack, 'Memory', { type: 'Number', default: 1536 }).valueAsNumber })),
  inOneStack("ImageProcessingApi: two in one stack share the one role and log group CDK's site-deployment provider runs with", (_u, stack) => {
    const one = new ImageProcessingApi(stack, 'One');
    const two = new ImageProcessingApi(stack, 'Two');
    const roles = stack.node.findAll().filter((c) => c instanceof iam.Role && c.node.id === 'SiteDeploymentRole');
    const logGroups = stack.node.findAll().filter((c) => c instanceof logs.LogGroup && c.node.id === 'SiteDeploymentLogs');
    if (roles.length !== 1 || logGroups.length !== 1 || two.siteDeploymentRole !== one.siteDeploymentRole || two.siteDeployment.handlerRole !== two.siteDeploymentRole) {
      throw new Error(`expected one shared site-deployment role and log group, got ${roles.length} role(s) and ${logGroups.length} log group(s)`);
    }
  }),
  // Bring your own: site bucket, custom domains, function settings; grantInvoke.
  imageApi("the user's site bucket", (user, stack) => ({
    siteBucket: user.own(new s3.Bucket(stack, 'Site', { enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL })),
  })),
  imageApi('site bucket from Bucket.fromBucketName', (_u, stack) => ({ siteBucket: s3.Bucket.fromBucketName(stack, 'Site', 'my-image-site') })),
  imageApi('custom domains for the page and the API with imported certificates', (_u, stack) => ({
    siteDomain: { domainName: 'images.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'SiteCert', certificateArn('us-east-1')) },
    apiDomain: { domainName: 'api.images.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'ApiCert', certificateArn(ENV.region)) },
  })),
  imageApi('a CloudFront certificate outside us-east-1', (_u, stack) => ({
    siteDomain: { domainName: 'images.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'SiteCert', certificateArn('eu-west-1')) },
  }), { expect: errorNaming('siteDomain.certificate', /us-east-1 only/) }),
  imageApi('imageFunctionProps and maxInputSize', () => ({
    imageFunctionProps: { memorySize: 2048, timeout: Duration.seconds(20), reservedConcurrentExecutions: 10 },
    maxInputSize: Size.mebibytes(2),
  })),
  imageApi('imageFunctionProps with ARM_64', () => ({ imageFunctionProps: { architecture: lambda.Architecture.ARM_64 } }), {
    expect: errorNaming('imageFunctionProps.architecture', /linux-x64/),
  }),
  inOneStack("ImageProcessingApi: IAM authorization with grantInvoke to the user's role", (user, stack) => {
    const images = new ImageProcessingApi(stack, 'Images', { authorization: ImageApiAuthorization.IAM });
    images.grantInvoke(user.own(new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() })));
  }),
];

function certificateArn(region: string): string {
  return `arn:aws:acm:${region}:${ENV.account}:certificate/11111111-2222-3333-4444-555555555555`;
}
