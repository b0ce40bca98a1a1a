import { IAspect, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { addMutatingAspect } from './aspects';

/** AWS's length limits on the descriptions the patterns write (they name construct paths, which can be deep). */
export const DESCRIPTION_LIMITS = {
  /** Lambda: "Function description can not be longer than 256 characters". */
  function: 256,
  /** EventBridge rule description. */
  rule: 512,
  /** IAM role description. */
  role: 1000,
  /** CloudWatch alarm description. */
  alarm: 1024,
} as const;

/**
 * `text` cut to `limit` characters, ending in '...' when cut (ASCII: IAM role descriptions admit only Latin-1);
 * tokens are left alone (their length is unknown at synth).
 */
export function fitToLimit(text: string, limit: number): string {
  if (Token.isUnresolved(text) || text.length <= limit) return text;
  return `${text.slice(0, limit - 3)}...`;
}

const DESCRIPTION_FITTER: IAspect = {
  visit(node: IConstruct): void {
    const fit = (value: string | undefined, limit: number) => (value === undefined ? undefined : fitToLimit(value, limit));
    if (node instanceof lambda.CfnFunction) node.description = fit(node.description, DESCRIPTION_LIMITS.function);
    else if (node instanceof events.CfnRule) node.description = fit(node.description, DESCRIPTION_LIMITS.rule);
    else if (node instanceof iam.CfnRole) node.description = fit(node.description, DESCRIPTION_LIMITS.role);
    else if (node instanceof cloudwatch.CfnAlarm) node.alarmDescription = fit(node.alarmDescription, DESCRIPTION_LIMITS.alarm);
  },
};

/**
 * Cuts the descriptions of what `scope` created (functions, schedule rules, roles, alarms) to AWS's limits, so a
 * deep construct path in a description never fails a synth or a deploy. Only the construct's own subtree.
 */
export function fitDescriptionsToAwsLimits(scope: IConstruct): void {
  addMutatingAspect(scope, DESCRIPTION_FITTER);
}
