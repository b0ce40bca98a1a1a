// ImageProcessingApi with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { ImageApiAuthorization, ImageProcessingApi, ImageProcessingApiProps } from 'cdk-compute-patterns';
import { inOneStack, Situation, SituationOptions, UserApp } from '../harness';

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
];
