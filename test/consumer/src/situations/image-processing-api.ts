// ImageProcessingApi with the user's own resources and tokens. One entry per situation; add new props here.
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { ImageApiAuthorization, ImageProcessingApi, ImageProcessingApiProps } from 'cdk-compute-patterns';
import { ENV, Expectation, Situation, UserApp } from '../harness';

function imageApi(
  name: string,
  props: (user: UserApp, stack: Stack) => ImageProcessingApiProps,
  extra: { expect?: Expectation; pending?: string } = {},
): Situation {
  return {
    name: `ImageProcessingApi: ${name}`,
    expect: extra.expect,
    pending: extra.pending,
    build: (user) => {
      const stack = user.stack('Stack', { env: ENV });
      new ImageProcessingApi(stack, 'Images', props(user, stack));
    },
  };
}

export const IMAGE_PROCESSING_API_SITUATIONS: Situation[] = [
  imageApi('throttling limits from CfnParameters', (_u, stack) => ({
    throttlingRateLimit: new CfnParameter(stack, 'Rate', { type: 'Number', default: 20 }).valueAsNumber,
    throttlingBurstLimit: new CfnParameter(stack, 'Burst', { type: 'Number', default: 40 }).valueAsNumber,
  })),
  imageApi('allowed origin from a CfnParameter', (_u, stack) => ({ allowedOrigins: [new CfnParameter(stack, 'Origin', { default: 'https://example.com' }).valueAsString] })),
  imageApi('API keys, no distribution logs', () => ({ authorization: ImageApiAuthorization.API_KEY, distributionLogging: false })),
  imageApi('IAM authorization', () => ({ authorization: ImageApiAuthorization.IAM })),
];
