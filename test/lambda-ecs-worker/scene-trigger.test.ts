import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaEcsWorker, SceneTrigger } from '../../lib';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';

// The EVENTBRIDGE scene trigger: an EventBridge rule on the bucket's 'Object Created' events instead of a
// bucket notification. (The default, BUCKET_NOTIFICATION, is covered by construct.test.ts and its snapshot.)

const lambdaPermissionsFor = (template: Template, principal: string) =>
  Object.values(template.findResources('AWS::Lambda::Permission')).filter((permission) => permission.Properties.Principal === principal);

describe('LambdaEcsWorker with trigger: SceneTrigger.EVENTBRIDGE', () => {
  const stack = newTestStack('RenderEventBridge');
  const render = new LambdaEcsWorker(stack, 'Render', { trigger: SceneTrigger.EVENTBRIDGE });
  const template = templateOf(stack);
  const bucketId = stack.getLogicalId(render.bucket.node.defaultChild as s3.CfnBucket);

  it("sends the bucket's Object Created events under the input prefix with the input suffix to the launcher", () => {
    // The exposed rule is the template's one rule on S3 events.
    expect(Object.keys(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.objectLike({ source: ['aws.s3'] }) } }))).toEqual([
      stack.getLogicalId(render.sceneUploadRule!.node.defaultChild as never),
    ]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: bucketId }] }, object: { key: [{ wildcard: 'scenes/*.zip' }] } },
      },
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [stack.getLogicalId(render.launcherFunction.node.defaultChild as never), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [stack.getLogicalId(render.launcherDeadLetterQueue.node.defaultChild as never), 'Arn'] } },
        },
      ],
    });
  });

  it('lets EventBridge, and no longer S3, invoke the launcher', () => {
    expect(lambdaPermissionsFor(template, 'events.amazonaws.com').length).toBeGreaterThanOrEqual(2); // reconcile + uploads
    expect(lambdaPermissionsFor(template, 's3.amazonaws.com')).toEqual([]);
  });

  it("turns on the bucket's EventBridge delivery without any Lambda notification", () => {
    const [notifications] = Object.values(template.findResources('Custom::S3BucketNotifications'));
    expect(notifications.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: {} });
  });

  it('lets EventBridge put undeliverable events in the launcher dead-letter queue, and only from this rule', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [stack.getLogicalId(render.sceneUploadRule!.node.defaultChild as never), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });
});

describe('SceneTrigger.EVENTBRIDGE on an imported bucket with unusual prefix and suffixes', () => {
  const stack = newTestStack('RenderEventBridgeImported');
  const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'existing-bucket');
  const render = new LambdaEcsWorker(stack, 'Render', {
    bucket,
    trigger: SceneTrigger.EVENTBRIDGE,
    inputPrefix: 'in+coming/',
    inputSuffixes: ['.zip', '.ZIP', '+v2.scn'],
    outputPrefix: 'out/',
  });
  const template = templateOf(stack);

  it('filters on the parts of prefix and suffixes that no key encoding changes, leaving the exact check to the launcher', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: { bucket: { name: ['existing-bucket'] }, object: { key: [{ wildcard: 'in*.zip' }, { wildcard: 'in*.ZIP' }, { wildcard: 'in*v2.scn' }] } },
      }),
    });
    // The launcher still receives the exact prefix and suffixes to check the key against.
    const [launcher] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { INPUT_PREFIX: 'in+coming/' } } } }));
    expect(launcher.Properties.Environment.Variables.INPUT_SUFFIXES).toBe('.zip,.ZIP,+v2.scn');
    expect(Object.keys(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.objectLike({ source: ['aws.s3'] }) } }))).toEqual([
      stack.getLogicalId(render.sceneUploadRule!.node.defaultChild as never),
    ]);
  });

  it("adds EventBridge delivery to the imported bucket's existing configuration instead of replacing it", () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'existing-bucket',
      NotificationConfiguration: { EventBridgeConfiguration: {} },
      Managed: false,
    });
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expectNoNagFindings(stack);
  });
});
