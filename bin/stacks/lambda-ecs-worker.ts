import { App } from 'aws-cdk-lib';

/** The LambdaEcsWorker example stack. (Placeholder until the pattern lands: adds nothing yet.) */
export function addLambdaEcsWorkerExample(_app: App): void {}
