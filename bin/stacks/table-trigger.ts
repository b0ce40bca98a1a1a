import { App } from 'aws-cdk-lib';

/** The TableTrigger example stack. (Placeholder until the pattern lands: adds nothing yet.) */
export function addTableTriggerExample(_app: App): void {}
