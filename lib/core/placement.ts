import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Where a resource given in props must live relative to the construct using it. These checks return
 * problems (phrased as what to change) instead of throwing, so a construct can report every problem at once.
 */

/** One resource ARN given in props that must be in the construct's own region. */
export interface RegionalArn {
  /** The prop the ARN came from, e.g. `queue` or `table` (named in the message). */
  readonly prop: string;
  /** The resource's ARN (a token when it is created in the app; then it is always in the stack's region). */
  readonly arn: string | undefined;
  /** Why the region matters for this resource, e.g. 'Lambda reads a DynamoDB stream only in its own region'. */
  readonly why: string;
}

/** The region an ARN names, when the ARN and its region are known at synth time (not tokens). */
export function knownRegionOf(arn: string | undefined): string | undefined {
  if (arn === undefined || Token.isUnresolved(arn)) return undefined;
  const region = Arn.split(arn, ArnFormat.NO_RESOURCE_NAME).region;
  return region && !Token.isUnresolved(region) ? region : undefined;
}

/**
 * A problem for each ARN whose region is known and differs from the known region of `scope`'s stack.
 * Nothing is reported when either region is a token (an env-agnostic stack, a resource created in the app).
 */
export function regionMismatches(scope: IConstruct, arns: RegionalArn[]): string[] {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.region)) return [];
  const problems: string[] = [];
  for (const { prop, arn, why } of arns) {
    const region = knownRegionOf(arn);
    if (region === undefined || region === stack.region) continue;
    problems.push(
      `\`${prop}\` (${arn}) is in ${region}, but stack ${stack.stackName} deploys to ${stack.region}: ${why}. ` +
        `Give a resource in ${stack.region}, or create this construct in a stack with env.region '${region}'`,
    );
  }
  return problems;
}

/**
 * A problem when `resource` (given as `prop`) belongs to another stack than `scope` although the
 * construct must configure it from its own stack; `advice` says what to do instead.
 */
export function otherStackProblem(scope: IConstruct, prop: string, resource: IConstruct, why: string, advice: string): string | undefined {
  const here = Stack.of(scope);
  const there = Stack.of(resource);
  if (here === there) return undefined;
  return `\`${prop}\` (${resource.node.path}) belongs to stack ${there.node.path}, but ${scope.node.path} is in stack ${here.node.path}: ${why}. ${advice}`;
}
