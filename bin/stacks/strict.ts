import { Annotations, App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ImageProcessingApi, LambdaEcsWorker, LambdaTestHarness, QueueWithDlq, SecureBucket, TableTrigger } from '../../lib';
import { newEncryptedAlarmTopic } from './alarm-topic';
import { addWorkerService } from './spot-fleet-autoscaler';
import { SSN_TRIGGER } from './table-trigger';

/** A year of logs: Control Tower's CT.CLOUDWATCH.PR.2 asks for at least 365 days. */
const LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** Where the strict example deploys. Give your own with `-c strict:account=... -c strict:siteDomain=... -c strict:siteCertificateArn=...`. */
function strictSettings(app: App) {
  const context = (name: string, fallback: string): string => (app.node.tryGetContext(`strict:${name}`) as string | undefined) ?? fallback;
  const account = context('account', '123456789012');
  return {
    // A concrete account: the image API's Lambda permissions then name it (CT.LAMBDA.PR.2). us-east-1, the
    // region of CloudFront's certificates, so the page's certificate lives beside the stack.
    env: { account, region: 'us-east-1' },
    siteDomain: context('siteDomain', 'images.example.com'),
    siteCertificateArn: context('siteCertificateArn', `arn:aws:acm:us-east-1:${account}:certificate/00000000-0000-0000-0000-000000000000`),
  };
}

/**
 * A stack in a concrete environment whose availability zones are named, not looked up: `Stack.availabilityZones`
 * would otherwise need AWS credentials at synth (CDK's documented way is to override this getter).
 */
class StrictStack extends Stack {
  public get availabilityZones(): string[] {
    return ['us-east-1a', 'us-east-1b'];
  }
}

/**
 * A customer-managed key with rotation (CT.KMS.PR.1) whose policy lets only AWS services create grants on it
 * (CT.KMS.PR.3): the statement Control Tower asks for, a Deny for any other principal.
 */
function newStrictKey(stack: Stack, id: string, description: string): kms.Key {
  const key = new kms.Key(stack, id, { enableKeyRotation: true, description });
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
  return key;
}

/** Log buckets keep their objects a year, like the log groups (CT.S3.PR.3 asks every bucket for a lifecycle). */
function keepLogsAYear(bucket: s3.IBucket | undefined): void {
  (bucket as s3.Bucket | undefined)?.addLifecycleRule({ id: 'expire-logs', expiration: Duration.days(365) });
}

/**
 * A data bucket as a governed account wants it: SSE-KMS with a bucket key (CT.S3.PR.10), versioned, old
 * versions expiring (CT.S3.PR.3, .6), access logs into a log bucket that keeps them a year.
 */
function newStrictBucket(stack: Stack, id: string, key: kms.IKey): SecureBucket {
  const storage = new SecureBucket(stack, id, {
    bucketProps: {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    },
  });
  keepLogsAYear(storage.accessLogBucket);
  return storage;
}

/**
 * The strict example: every pattern with every prop that satisfies one of AWS Control Tower's proactive controls
 * set (docs/compliance.md, "The strict example"), in one stack. Only the controls documented there as not
 * applicable fail on it. Idle, it costs what its NAT gateway, two keys, alarms and dashboards cost (`npm run cost`).
 */
export function addStrictExample(app: App): Stack {
  const settings = strictSettings(app);
  const stack = new StrictStack(app, 'StrictExample', {
    env: settings.env,
    description: 'cdk-compute-patterns: every pattern with the props that pass AWS Control Tower proactive controls',
  });
  // One key for logs and alarms (CloudWatch Logs and CloudWatch use it), one for the data buckets.
  const operationsKey = newStrictKey(stack, 'OperationsKey', 'Encrypts the strict example\'s log groups and alarm topic');
  const dataKey = newStrictKey(stack, 'DataKey', 'Encrypts the strict example\'s data buckets');
  const alarmActions: cloudwatch.IAlarmAction[] = [new cloudwatchActions.SnsAction(newEncryptedAlarmTopic(stack, operationsKey))];
  const logSettings = { logRetention: LOG_RETENTION, logEncryptionKey: operationsKey };
  const newLogGroup = (id: string) => new logs.LogGroup(stack, id, { retention: LOG_RETENTION, encryptionKey: operationsKey });

  // Private subnets behind one NAT gateway: no subnet hands out public IPs (CT.EC2.PR.11), no task gets one
  // (CT.ECS.PR.9). The NAT gateway is most of this stack's idle cost.
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: stack.availabilityZones,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
    ],
    gatewayEndpoints: {
      S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
    },
    flowLogs: { Rejected: { destination: ec2.FlowLogDestination.toCloudWatchLogs(newLogGroup('VpcFlowLogs')), trafficType: ec2.FlowLogTrafficType.REJECT } },
  });
  const privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED, enableFargateCapacityProviders: true });

  // ---- LambdaEcsWorker: your KMS bucket, private subnets, a year of encrypted logs ----
  const render = new LambdaEcsWorker(stack, 'Render', {
    bucket: newStrictBucket(stack, 'Scenes', dataKey).bucket,
    cluster,
    subnets: privateSubnets,
    assignPublicIp: false,
    maxWorkers: 2,
    alarmActions,
    ...logSettings,
  });

  // ---- TableTrigger ----
  const trigger = new TableTrigger(stack, 'People', {
    ...SSN_TRIGGER,
    triggerFunctionProps: { logRetention: LOG_RETENTION },
    logEncryptionKey: operationsKey,
    alarmActions,
  });

  // ---- SpotFleetAutoscaler: an ECS service of queue workers in the private subnets, without public IPs ----
  const jobs = new QueueWithDlq(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
  jobs.addDeadLetterAlarm().addAlarmAction(...alarmActions);
  addWorkerService(stack, jobs, {
    cluster,
    vpcSubnets: privateSubnets,
    assignPublicIp: false,
    logGroup: newLogGroup('QueueWorkerLogs'),
    autoscaler: { autoscalerFunctionProps: { logRetention: LOG_RETENTION }, logEncryptionKey: operationsKey, alarmActions },
  });

  // ---- ImageProcessingApi: your KMS site bucket, the image bucket under your key, a custom domain with TLS 1.2 ----
  const images = new ImageProcessingApi(stack, 'Images', {
    siteBucket: newStrictBucket(stack, 'Site', dataKey).bucket,
    imageBucketEncryptionKey: dataKey,
    siteDomain: {
      domainName: settings.siteDomain,
      certificate: acm.Certificate.fromCertificateArn(stack, 'SiteCertificate', settings.siteCertificateArn),
    },
    // Needs API Gateway's account-level CloudWatch role (docs/compliance.md).
    executionLoggingLevel: apigw.MethodLoggingLevel.ERROR,
    alarmActions,
    ...logSettings,
  });
  // CloudFront reads the KMS site bucket through origin access control: CDK lets it decrypt for this account's
  // distributions, since naming this one would make the key, the bucket and the distribution depend on each other.
  Annotations.of(stack).acknowledgeWarning(
    '@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac',
    "DataKey lets CloudFront decrypt only for distributions of this account (AWS:SourceArn distribution/*); one distribution's id would be a dependency cycle",
  );
  keepLogsAYear(images.imageStorage.accessLogBucket);
  keepLogsAYear(images.distributionLogBucket);

  // ---- LambdaTestHarness: unit and load tests of the image function ----
  new LambdaTestHarness(stack, 'Harness', {
    functions: [images.imageFunction],
    harnessFunctionProps: { logRetention: LOG_RETENTION },
    logEncryptionKey: operationsKey,
    alarmActions,
  });

  new CfnOutput(stack, 'BucketName', { value: render.bucket.bucketName, description: 'Upload scenes/<name>.zip here' });
  new CfnOutput(stack, 'TableName', { value: trigger.table.tableName });
  new CfnOutput(stack, 'SiteUrl', { value: images.siteUrl, description: `Point ${settings.siteDomain} at ${images.distribution.distributionDomainName}` });
  return stack;
}
