import { App, AppProps } from 'aws-cdk-lib';
import * as path from 'path';

// The same feature flags `cdk synth` uses, so tests and harnesses see the templates users deploy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT: Record<string, unknown> = require(path.join(__dirname, '..', 'cdk.json')).context;

/** An App with the project's cdk.json context. */
export function newTestApp(props: AppProps = {}): App {
  return new App({ ...props, context: { ...CDK_CONTEXT, ...props.context } });
}
