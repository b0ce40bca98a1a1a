import { App } from 'aws-cdk-lib';

/** The SpotFleetAutoscaler example stack. (Placeholder until the pattern lands: adds nothing yet.) */
export function addSpotFleetAutoscalerExample(_app: App): void {}
