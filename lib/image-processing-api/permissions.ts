import { BOOTSTRAP_QUALIFIER_CONTEXT, DefaultStackSynthesizer, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../core/nag';

/**
 * CDK grants the BucketDeployment provider wildcard actions on the asset bucket's and the site bucket's
 * objects, and CloudFront invalidation on '*'. Each finding is acknowledged by its exact id on the role.
 */
export function acknowledgeSiteDeploymentGrants(scope: Construct, siteBucket: s3.IBucket, role: iam.IRole): void {
  const stack = Stack.of(scope);
  const reason = (what: string): string =>
    `CDK's BucketDeployment grants ${what} to copy the page folder from the CDK asset bucket into the site bucket; object wildcards are inherent to copying a folder.`;
  const siteBucketId = stack.getLogicalId(siteBucket.node.defaultChild as s3.CfnBucket);
  const acks = ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({
    id: `AwsSolutions-IAM5[Action::${action}]`,
    reason: reason(action),
  }));
  acks.push({ id: `AwsSolutions-IAM5[Resource::<${siteBucketId}.Arn>/*]`, reason: reason('access to every object of the site bucket') });
  acks.push({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'cloudfront:CreateInvalidation/GetInvalidation granted by BucketDeployment to refresh the page after deploy; CDK scopes it to "*".',
  });
  const assetObjects = defaultAssetBucketObjectsArn(stack);
  if (assetObjects) acks.push({ id: `AwsSolutions-IAM5[Resource::${assetObjects}]`, reason: reason('read access to the CDK asset bucket objects') });
  acknowledgeNag(role, ...acks);
  // The provider function itself is a singleton at stack level, outside this construct.
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    acknowledgeNag(child, {
      id: 'AwsSolutions-L1',
      reason: 'The CDK BucketDeployment provider pins its own Python runtime (it bundles the AWS CLI); CDK moves it forward with aws-cdk-lib releases.',
    });
  }
}

/**
 * The CDK asset bucket's objects ARN as cdk-nag prints it, for the default stack synthesizer
 * (`cdk-<qualifier>-assets-<account>-<region>/*`); undefined for other synthesizers.
 */
function defaultAssetBucketObjectsArn(stack: Stack): string | undefined {
  if (!(stack.synthesizer instanceof DefaultStackSynthesizer)) return undefined;
  const qualifier = stack.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  return `arn:${partition}:s3:::cdk-${qualifier}-assets-${account}-${region}/*`;
}
