import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addImageProcessingApiExample } from './stacks/image-processing-api';
import { addLambdaEcsWorkerExample } from './stacks/lambda-ecs-worker';
import { addLambdaTestHarnessExample } from './stacks/lambda-test-harness';
import { addSpotFleetAutoscalerExample } from './stacks/spot-fleet-autoscaler';
import { addStrictExample } from './stacks/strict';
import { addTableTriggerExample } from './stacks/table-trigger';

/**
 * Every example stack, one per pattern. Each pattern owns its `bin/stacks/<pattern>.ts`; this list is
 * the only place that knows them all.
 */
export const EXAMPLE_STACKS: ReadonlyArray<(app: App) => void> = [
  addLambdaEcsWorkerExample,
  addTableTriggerExample,
  addSpotFleetAutoscalerExample,
  addImageProcessingApiExample,
  addLambdaTestHarnessExample,
  addStrictExample,
];

/** Builds the example app that `cdk synth` / `cdk deploy` use, with cdk-nag checking all of it. */
export function buildExampleApp(app: App): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  for (const addStack of EXAMPLE_STACKS) addStack(app);
  return app;
}
