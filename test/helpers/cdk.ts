import { Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { newTestApp } from '../../local/cdk-app';

export const TEST_ENV = { account: '123456789012', region: 'us-east-1' };

export { newTestApp };

/** A stack in a fresh test App, in a fixed account and region so templates are stable. */
export function newTestStack(id = 'TestStack', props: StackProps = {}): Stack {
  return new Stack(newTestApp(), id, { env: TEST_ENV, ...props });
}

/**
 * Template.fromStack synthesizes the whole app; cache per stack so a test file that makes many
 * assertions on one stack synthesizes it once.
 */
const templates = new WeakMap<Stack, Template>();
export function templateOf(stack: Stack): Template {
  let template = templates.get(stack);
  if (!template) {
    template = Template.fromStack(stack);
    templates.set(stack, template);
  }
  return template;
}

/** The unacknowledged AwsSolutions findings under `scope`, one line each: `Rule at path: description`. */
export function nagFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} at ${resource.locations?.[0] ?? resource.resourceLogicalId}: ${violation.description}`,
    ),
  );
}

/** Asserts that `scope` has no unacknowledged AwsSolutions findings, listing them when it has. */
export function expectNoNagFindings(scope: IConstruct): void {
  expect(nagFindings(scope)).toEqual([]);
}
