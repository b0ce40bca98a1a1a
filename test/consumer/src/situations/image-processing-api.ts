// ImageProcessingApi with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ImageApiAuthorization, ImageProcessingApi, ImageProcessingApiProps } from 'cdk-compute-patterns';
import { errorNaming, inOneStack, Situation, SituationOptions, UserApp } from '../harness';

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
];
