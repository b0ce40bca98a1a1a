import { Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct, IConstruct } from 'constructs';
import * as library from '../../lib';
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

/** Library classes: a resource under one of them is the library's, never the test's scaffolding. */
const LIBRARY_CONSTRUCTS: Function[] = Object.values(library as Record<string, unknown>).filter(
  (value): value is Function => typeof value === 'function' && (value as Function).prototype instanceof Construct,
);

/**
 * Stack-level singletons CDK creates on a construct's behalf (bucket notification and deployment providers,
 * log retention, custom resource providers): the library's doing even though they sit outside it.
 */
const CDK_SINGLETON_ID = /^(Custom::|BucketNotificationsHandler|LogRetention[0-9a-f]{32}|AWS[0-9a-f]{32}|SingletonLambda|CDKMetadata$)/;

/**
 * Whether `construct` is scaffolding the test made itself (a VPC, a queue, a user's function brought to the
 * pattern): it is under no library construct and not under a stack-level singleton CDK made for one.
 */
export function isTestScaffolding(construct: IConstruct): boolean {
  const scopes = construct.node.scopes;
  if (scopes.some((scope) => LIBRARY_CONSTRUCTS.some((cls) => scope instanceof cls))) return false;
  const stackIndex = scopes.map((scope) => Stack.isStack(scope)).lastIndexOf(true);
  const topLevel = stackIndex >= 0 ? scopes[stackIndex + 1] : undefined;
  return topLevel !== undefined && !CDK_SINGLETON_ID.test(topLevel.node.id);
}

export interface NagFindingsOptions {
  /**
   * Report findings on the test's own scaffolding too (resources under no library construct).
   * @default false
   */
  readonly includeScaffolding?: boolean;
}

/**
 * The unacknowledged AwsSolutions findings under `scope`, one line each, `<rule id> at <construct path>:
 * <description>`, leaving out the test's own scaffolding (see isTestScaffolding) unless asked for.
 */
export function nagFindings(scope: IConstruct, options: NagFindingsOptions = {}): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  const byPath = new Map(scope.node.findAll().map((c) => [c.node.path, c]));
  return report.violations.flatMap((violation) =>
    violation.violatingResources.flatMap((resource) => {
      const path = resource.constructPath ?? resource.resourceLogicalId ?? '(unknown construct)';
      const construct = resource.constructPath ? byPath.get(resource.constructPath) : undefined;
      if (!options.includeScaffolding && construct && isTestScaffolding(construct)) return [];
      const where = resource.locations?.filter((l) => l !== 'Properties').join(', ');
      return [`${violation.ruleName} at ${path}${where ? ` (${where})` : ''}: ${violation.description}`];
    }),
  );
}

/** Asserts that `scope` has no unacknowledged AwsSolutions findings on the library's resources, listing each. */
export function expectNoNagFindings(scope: IConstruct, options?: NagFindingsOptions): void {
  expect(nagFindings(scope, options)).toEqual([]);
}
