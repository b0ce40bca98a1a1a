import { CfnResource, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/** One S3 notification configuration, as CloudFormation receives it. */
export interface BucketNotificationFilter {
  /** What it notifies (a resolved ARN, JSON-encoded when it is a reference). */
  readonly destination: string;
  readonly events: readonly string[];
  readonly prefix: string;
  readonly suffix: string;
}

function eventsOverlap(a: readonly string[], b: readonly string[]): boolean {
  const covers = (wide: string, narrow: string) => wide === narrow || (wide.endsWith(':*') && narrow.startsWith(wide.slice(0, -1)));
  return a.some((x) => b.some((y) => covers(x, y) || covers(y, x)));
}

/**
 * S3's rule: two configurations on one bucket overlap when they share an event type and a key could match
 * both (one prefix starts the other, one suffix ends the other). S3 refuses such a bucket configuration at deploy.
 */
export function overlaps(a: BucketNotificationFilter, b: BucketNotificationFilter): boolean {
  return (
    eventsOverlap(a.events, b.events) &&
    (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix)) &&
    (a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix))
  );
}

/** The bucket's notification configurations from CDK's Custom::S3BucketNotifications resource (none for imported buckets). */
function notificationsOf(bucket: s3.IBucket): BucketNotificationFilter[] {
  const resource = bucket.node.tryFindChild('Notifications')?.node.tryFindChild('Resource');
  if (!CfnResource.isCfnResource(resource)) return [];
  const stack = Stack.of(resource);
  // The notification configuration is rendered lazily; resolve the resource as it will be synthesized.
  const rendered = stack.resolve((resource as unknown as { _toCloudFormation(): any })._toCloudFormation()) as { Resources: Record<string, any> };
  const config = Object.values(rendered.Resources)[0]?.Properties?.NotificationConfiguration ?? {};
  const filters: BucketNotificationFilter[] = [];
  for (const [list, arnKey] of [
    ['LambdaFunctionConfigurations', 'LambdaFunctionArn'],
    ['QueueConfigurations', 'QueueArn'],
    ['TopicConfigurations', 'TopicArn'],
  ] as const) {
    for (const entry of config[list] ?? []) {
      const rules: Array<{ Name: string; Value: string }> = entry.Filter?.Key?.FilterRules ?? [];
      const rule = (name: string) => rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
      filters.push({ destination: JSON.stringify(entry[arnKey]), events: [entry.Event ?? entry.Events].flat(), prefix: rule('prefix'), suffix: rule('suffix') });
    }
  }
  return filters;
}

/**
 * Problems (for a validation hook, i.e. at synth, once every notification of the app is added) when the worker's
 * own trigger on `bucket` overlaps another notification configuration of the bucket, naming both filters.
 */
export function notificationOverlapProblems(scope: IConstruct, bucket: s3.IBucket, launcher: lambda.IFunction): string[] {
  const all = notificationsOf(bucket);
  const launcherArn = JSON.stringify(Stack.of(scope).resolve(launcher.functionArn));
  const ours = all.filter((f) => f.destination === launcherArn);
  const others = all.filter((f) => f.destination !== launcherArn);
  const problems: string[] = [];
  const show = (f: BucketNotificationFilter) => `prefix '${f.prefix}', suffix '${f.suffix}'`;
  for (const other of others) {
    const hit = ours.find((own) => overlaps(own, other));
    if (!hit) continue;
    problems.push(
      `LambdaEcsWorker '${scope.node.path}': its scene trigger on bucket ${bucket.node.path} (${show(hit)}, from \`inputPrefix\`/\`inputSuffixes\`) ` +
        `overlaps another notification of that bucket (${show(other)}, events ${other.events.join(', ')}), and S3 rejects overlapping ` +
        'notification configurations at deploy. Give the worker an `inputPrefix` your notification does not cover (or narrow yours), ' +
        'or trigger the launcher through EventBridge (`trigger: SceneTrigger.EVENTBRIDGE`), which does not conflict.',
    );
  }
  return problems;
}
