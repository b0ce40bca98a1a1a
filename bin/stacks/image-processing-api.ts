import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { ImageProcessingApi } from '../../lib';

/**
 * The ImageProcessingApi example: the image API (public and throttled, like the original service) and
 * its web page on CloudFront, with a 5xx alarm.
 */
export function addImageProcessingApiExample(app: App): Stack {
  const stack = new Stack(app, 'ImageProcessingApiExample', {
    description: 'cdk-compute-patterns: image-processing API (API Gateway + sharp Lambda) and its web page',
  });
  const images = new ImageProcessingApi(stack, 'Images', {
    throttlingRateLimit: 20,
    throttlingBurstLimit: 40,
  });
  images.addServerErrorAlarm();
  new CfnOutput(stack, 'ApiUrl', { value: images.api.url, description: 'POST the image protocol here' });
  new CfnOutput(stack, 'SiteUrl', { value: images.siteUrl, description: 'The web page' });
  return stack;
}
