import { App } from 'aws-cdk-lib';

/** The ImageProcessingApi example stack. (Placeholder until the pattern lands: adds nothing yet.) */
export function addImageProcessingApiExample(_app: App): void {}
