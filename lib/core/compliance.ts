import { CfnResource, IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { addMutatingAspect } from './aspects';
import { acknowledgeNagOnResource, NagAcknowledgement } from './nag';

/** The compliance packs whose rule ids share a suffix (`<pack>-<Rule>`). */
const REGULATED_PACKS = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];

/**
 * Why each compliance-pack finding on a resource the patterns create is acceptable, by resource type, with
 * the prop that changes it where there is one. docs/compliance.md ("cdk-nag rule packs") is the reader's copy
 * of this table: keep the two in step.
 */
const PACK_REASONS: Record<string, ReadonlyArray<{ readonly rule: string; readonly packs?: string[]; readonly reason: string }>> = {
  'AWS::S3::Bucket': [
    { rule: 'S3BucketReplicationEnabled', reason: 'Cross-Region replication needs a destination bucket in a Region the user picks; pass your own replicated bucket (bucket / siteBucket props) to have it.' },
    { rule: 'S3DefaultEncryptionKMS', reason: 'Buckets are SSE-S3 encrypted and SSL-only; S3 server access logs and CloudFront standard logs cannot be delivered to SSE-KMS buckets, and a bucket you pass (bucket / siteBucket) may use your KMS key.' },
    { rule: 'S3BucketVersioningEnabled', reason: 'Only the log buckets are unversioned: they receive write-once access logs that are never overwritten, and versioning would double their storage.' },
    { rule: 'S3BucketLoggingEnabled', reason: 'Only the log buckets do not log: logging access to the bucket that receives the access logs would recurse.' },
  ],
  'AWS::IAM::Policy': [
    { rule: 'IAMNoInlinePolicy', reason: "CDK's grants write least-privilege statements scoped to this pattern's ARNs into a policy attached to one role only; it is created and deleted with that role and cannot be attached elsewhere." },
  ],
  'AWS::CloudWatch::Alarm': [
    { rule: 'CloudWatchAlarmAction', reason: 'Where the alarm reaches someone (SNS topic, pager, chat) is the operator\'s choice; the alarm is exposed as a property for alarm.addAlarmAction(...).' },
  ],
  'AWS::DynamoDB::Table': [
    { rule: 'DynamoDBInBackupPlan', reason: 'Point-in-time recovery is on (35 days); AWS Backup plans are account-level resources that the operator assigns by tag or ARN.' },
  ],
  'AWS::Logs::LogGroup': [
    { rule: 'CloudWatchLogGroupEncrypted', reason: 'CloudWatch Logs encrypts every log group at rest with service-owned keys; give the pattern logEncryptionKey (a customer-managed KMS key) to encrypt its log groups with your key.' },
  ],
  'AWS::EC2::Subnet': [
    { rule: 'VPCSubnetAutoAssignPublicIpDisabled', reason: 'The default VPC has no NAT gateway (about 32 USD a month each): workers reach ECR, S3 and SQS through public IPs behind a security group with no inbound rule. Pass vpc with private subnets (and subnets) to avoid it.' },
  ],
  'AWS::EC2::Route': [
    { rule: 'VPCNoUnrestrictedRouteToIGW', reason: 'The public subnets of the NAT-free default VPC route to the internet gateway so workers reach AWS APIs; no inbound rule admits traffic. Pass vpc with private subnets to avoid it.' },
  ],
  'AWS::Lambda::Function': [
    { rule: 'LambdaConcurrency', reason: 'Reserved concurrency is carved out of the account-wide pool, which a library cannot size; set reservedConcurrentExecutions through the pattern\'s function props where a cap is wanted.' },
    { rule: 'LambdaInsideVPC', reason: 'The function calls only AWS APIs over TLS with IAM-signed requests and holds no network-reachable data; a VPC would add NAT or endpoint costs without narrowing what it can reach.' },
    { rule: 'LambdaDLQ', packs: [...REGULATED_PACKS, 'Serverless'], reason: 'The function is invoked synchronously (API Gateway, stream or queue event source with its own on-failure destination, the test harness\'s invoker and deploy gate), by a schedule that retries on the next tick, or (the test harness\'s load workers) asynchronously and deliberately never retried, since a retry would send its arrivals twice; its errors raise the construct\'s error alarm and the run\'s parts stay in its results table.' },
  ],
  'AWS::ApiGateway::Stage': [
    { rule: 'APIGWCacheEnabledAndEncrypted', reason: 'Responses are image transformations of the request body (POST); a stage cache would never hit and is billed per hour. GET sample responses are cached by CloudFront.' },
    { rule: 'APIGWExecutionLoggingEnabled', reason: 'Access logging is on (JSON, retained); execution logs would copy request bodies (users\' images) into CloudWatch Logs.' },
    { rule: 'APIGWSSLEnabled', reason: 'The integration is Lambda proxy, not an HTTP backend: there is no backend endpoint for a client certificate to authenticate to.' },
    { rule: 'APIGWAssociatedWithWAF', reason: 'A WAF web ACL is billed per ACL and rule; associate yours with the stage (api.deploymentStage.stageArn) where one is required.' },
  ],
  'AWS::SQS::Queue': [
    { rule: 'SQSRedrivePolicy', packs: ['Serverless'], reason: 'Only the dead-letter queues have no redrive policy: they are the end of the line, alarmed when they receive a message.' },
  ],
  'AWS::Lambda::EventInvokeConfig': [
    { rule: 'LambdaAsyncFailureDestination', packs: ['Serverless'], reason: 'The scheduled function retries on the next schedule tick and its failures raise the error alarm; an on-failure destination would hold only stale ticks. The test harness\'s load workers are never retried (a retry would send arrivals twice); their failures raise its error alarm and the run\'s parts stay in its results table.' },
  ],
  'AWS::Events::Rule': [
    { rule: 'EventBusDLQ', packs: ['Serverless'], reason: 'The schedule fires again at its next tick (every minute for the autoscaler; the test harness\'s monitoring schedule) and does the same work; a dead-lettered tick would be stale before anyone read it.' },
  ],
};

/**
 * Acknowledges, on every CloudFormation resource under `scope` (a pattern's own subtree, never the user's
 * resources), the HIPAA Security, NIST 800-53 rev 5, PCI DSS 3.2.1 and Serverless findings listed above, each
 * with its reason. An Aspect that runs before cdk-nag 2's (mutating priority) and before cdk-nag 3's
 * validation, so resources the construct creates later (alarms, grants' policies) are covered too.
 */
export function acknowledgeCompliancePackFindings(scope: IConstruct): void {
  addMutatingAspect(scope, COMPLIANCE_ACKNOWLEDGER);
}

const COMPLIANCE_ACKNOWLEDGER: IAspect = {
  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const reasons = PACK_REASONS[node.cfnResourceType];
    if (!reasons) return;
    const acks: NagAcknowledgement[] = reasons.flatMap(({ rule, packs, reason }) => (packs ?? REGULATED_PACKS).map((pack) => ({ id: `${pack}-${rule}`, reason })));
    acknowledgeNagOnResource(node, ...acks);
  },
};
