import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgePolicyWildcards } from '../core';
import { ScalingTargetConfig } from './scaling-target';

/**
 * The autoscaler's rights: GetQueueAttributes on its queue (depth straight from SQS, no CloudWatch lag), and
 * the bound target's statements in a policy of their own (returned), whose unavoidable wildcards are
 * acknowledged with the target's reason. The statements themselves come from the target (scaling-target.ts),
 * which alone knows what its kind of pool needs.
 */
export function grantAutoscalerAccess(scope: Construct, role: iam.IRole, queue: sqs.IQueue, target: ScalingTargetConfig): iam.Policy {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: [queue.queueArn] }));
  const targetPolicy = new iam.Policy(scope, 'TargetPolicy', { roles: [role], statements: target.statements });
  if (target.wildcardReason) acknowledgePolicyWildcards(targetPolicy, target.wildcardReason);
  return targetPolicy;
}

/**
 * The Spot Fleet role's policy (`FleetPolicy` in `scope`): launch, tag and terminate the instances of one
 * fleet, and pass the one worker role to EC2.
 */
export function newFleetPolicy(scope: Construct, fleetRole: iam.IRole, instanceRole: iam.IRole): iam.Policy {
  const stack = Stack.of(scope);
  const inAccount = (resource: string) => stack.formatArn({ service: 'ec2', resource, resourceName: '*' });
  // Instead of the AmazonEC2SpotFleetTaggingRole managed policy (account-wide PassRole, load balancers):
  const fleetPolicy = new iam.Policy(scope, 'FleetPolicy', {
    roles: [fleetRole],
    statements: [
      new iam.PolicyStatement({
        actions: ['ec2:DescribeImages', 'ec2:DescribeSubnets', 'ec2:DescribeInstanceStatus', 'ec2:RequestSpotInstances', 'ec2:RunInstances'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [instanceRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        actions: ['ec2:CreateTags'],
        resources: ['instance', 'volume', 'spot-instances-request', 'spot-fleet-request'].map(inAccount),
        conditions: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'RequestSpotInstances'] } },
      }),
      new iam.PolicyStatement({
        actions: ['ec2:TerminateInstances'],
        resources: [inAccount('instance')],
        conditions: { StringLike: { 'ec2:ResourceTag/aws:ec2spot:fleet-request-id': '*' } },
      }),
    ],
  });
  acknowledgePolicyWildcards(
    fleetPolicy,
    'Spot Fleet needs Describe* (no resource-level permissions) and RunInstances/RequestSpotInstances over images, subnets and network interfaces chosen at launch; tagging and termination are limited to instances Spot Fleet launched in this account and region, PassRole to the one worker role.',
  );
  return fleetPolicy;
}
