import { App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { ImageProcessingApi, LambdaTestHarness, UnitTestDefinition } from '../../lib';
import { exampleAlarmActions } from './alarm-topic';
import { addImageProcessingApiExample } from './image-processing-api';

/** An 8×8 PNG, small enough to sit in a test event. */
export const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEUlEQVQImWM4EaCBFTEMLQkAaplQAdEjY8UAAAAASUVORK5CYII=';
/** Base64 of a PNG starts with the signature's encoding. */
const PNG_BASE64_PREFIX = 'iVBORw0KGgo';

/** The example image API's gate: ping, getSample and a resize, through its HTTPS endpoint. */
export function imageApiSuite(host: string, path: string): UnitTestDefinition[] {
  const request = (data: object) => ({ host, path, method: 'POST', data });
  return [
    { name: 'ping', https: request({ operation: 'ping' }), expectedStatusCode: 200, expectedJson: [{ path: '$.body', equalTo: 'pong' }] },
    { name: 'getSample', https: request({ operation: 'getSample' }), expectedStatusCode: 200, expectedJson: [{ path: '$.body', contains: PNG_BASE64_PREFIX }] },
    {
      name: 'resize',
      https: request({ operation: 'resize', base64Image: TINY_PNG_BASE64, width: 4, height: 4, outputExtension: 'png' }),
      expectedStatusCode: 200,
      expectedJson: [{ path: '$.body', contains: PNG_BASE64_PREFIX }],
      maxLatency: Duration.seconds(10),
    },
  ];
}

/**
 * The LambdaTestHarness example: tests the example ImageProcessingApi (its stack, made first when the app
 * has none). Its gate runs ping, getSample and a resize through the API's HTTPS endpoint right after
 * deployment and every hour, and its alarms notify the app's alarm topic; the output `LoadTestEvent` is a load test by rate to send to the harness.
 */
export function addLambdaTestHarnessExample(app: App): Stack {
  const apiStack = (app.node.tryFindChild('ImageProcessingApiExample') as Stack | undefined) ?? addImageProcessingApiExample(app);
  const images = apiStack.node.findChild('Images') as ImageProcessingApi;
  const stack = new Stack(app, 'LambdaTestHarnessExample', {
    description: 'cdk-compute-patterns: serverless test harness (unit, load and HTTPS tests of the image API, deploy gate)',
  });
  const host = `${images.api.restApiId}.execute-api.${apiStack.region}.${apiStack.urlSuffix}`;
  const path = `/${images.api.deploymentStage.stageName}/`;
  const harness = new LambdaTestHarness(stack, 'Harness', {
    alarmActions: exampleAlarmActions(stack),
    functions: [images.imageFunction],
    allowedHosts: ['*.execute-api.' + apiStack.region + '.' + apiStack.urlSuffix],
    maxRate: 40,
    deployGate: {
      testId: 'image-api-gate',
      tests: imageApiSuite(host, path),
      executeAfter: [images],
      monitoringSchedule: events.Schedule.rate(Duration.hours(1)),
    },
  });
  const loadTest = {
    operation: 'load',
    testId: 'image-api-load',
    // Within the API stage's throttle (20 requests per second): ramp to it, hold it.
    phases: [
      { duration: 30, arrivalRate: 1, rampTo: 15 },
      { duration: 60, arrivalRate: 15 },
    ],
    event: { operation: 'unit', function: harness.invokerFunction!.functionName, event: { options: { host, path, method: 'POST' }, data: { operation: 'ping' } }, expect: { statusCode: 200 } },
  };
  new CfnOutput(stack, 'HarnessFunctionName', { value: harness.harnessFunction.functionName, description: 'Send the test events here' });
  new CfnOutput(stack, 'ResultsTableName', { value: harness.table.tableName });
  new CfnOutput(stack, 'LoadTestEvent', { value: stack.toJsonString(loadTest), description: 'aws lambda invoke --function-name <HarnessFunctionName> --payload <this>' });
  return stack;
}
