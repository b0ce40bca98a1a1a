import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { ImageProcessingApi } from '../../lib';
import { exampleAlarmActions } from './alarm-topic';

/**
 * The ImageProcessingApi example: the image API (public and throttled, like the original service) and
 * its web page on CloudFront, with its alarms notifying the app's alarm topic and execution logging on.
 */
export function addImageProcessingApiExample(app: App): Stack {
  const stack = new Stack(app, 'ImageProcessingApiExample', {
    description: 'cdk-compute-patterns: image-processing API (API Gateway + sharp Lambda) and its web page',
  });
  const images = new ImageProcessingApi(stack, 'Images', {
    throttlingRateLimit: 20,
    throttlingBurstLimit: 40,
    alarmActions: exampleAlarmActions(stack),
    // Execution logging (Control Tower's CT.APIGATEWAY.PR.1). It needs API Gateway's account-level CloudWatch
    // role, set once per account and region (docs/image-processing-api.md); the construct never sets it.
    executionLoggingLevel: apigw.MethodLoggingLevel.ERROR,
  });
  new CfnOutput(stack, 'ApiUrl', { value: images.api.url, description: 'POST the image protocol here' });
  new CfnOutput(stack, 'SiteUrl', { value: images.siteUrl, description: 'The web page' });
  return stack;
}
