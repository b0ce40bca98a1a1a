import { Match } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { CANARY_ENV } from '../../contracts/lambda-ecs-worker/canary-env';
import { LambdaEcsWorker } from '../../lib';
import { expectNoNagFindings, newTestStack, templateOf } from '../helpers/cdk';

describe('LambdaEcsWorker deploy canary (on by default)', () => {
  const stack = newTestStack('RenderCanary');
  const render = new LambdaEcsWorker(stack, 'Render');
  const template = templateOf(stack);
  const canary = render.deployCanary!;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);

  it('adds a trigger that invokes the canary function once the task definition, cluster and log group exist', () => {
    expect(canary).toBeDefined();
    const triggers = template.findResources('Custom::Trigger');
    expect(Object.keys(triggers)).toHaveLength(1);
    const [trigger] = Object.values(triggers) as Array<{ DependsOn: string[]; Properties: Record<string, unknown> }>;
    expect(trigger.DependsOn).toEqual(
      expect.arrayContaining([
        logicalId(render.taskDefinition),
        stack.getLogicalId(render.workerLogGroup.node.defaultChild as never),
        stack.getLogicalId(canary.node.findChild('Policy').node.defaultChild as never),
      ]),
    );
    // Invoked synchronously: a failed canary fails the deployment.
    expect(trigger.Properties).toMatchObject({ InvocationType: 'RequestResponse', Timeout: String(14 * 60 * 1000) });
  });

  it('runs the canary role of the pattern against this worker: task definition, container, network, log stream prefix', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 14 * 60,
      Environment: {
        Variables: Match.objectLike({
          [CANARY_ENV.clusterArn]: stack.resolve(render.cluster.clusterArn),
          [CANARY_ENV.taskDefinitionArn]: stack.resolve(render.taskDefinition.taskDefinitionArn),
          [CANARY_ENV.containerName]: 'Worker',
          [CANARY_ENV.assignPublicIp]: 'ENABLED',
          [CANARY_ENV.logGroupName]: stack.resolve(render.workerLogGroup.logGroupName),
          [CANARY_ENV.logStreamPrefix]: 'worker',
        }),
      },
    });
  });

  it('may only run this task definition in this cluster, pass its two roles to ECS, watch its tasks and read its log streams', () => {
    const policy = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('DeployCanaryPolicy') } });
    const [document] = Object.values(policy).map((p) => (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties.PolicyDocument);
    const statements = document.Statement.map((s) => ({ Sid: s.Sid, Action: s.Action, Resource: s.Resource, Condition: s.Condition }));
    const cluster = { ArnEquals: { 'ecs:cluster': stack.resolve(render.cluster.clusterArn) } };
    expect(statements).toEqual([
      { Sid: 'StartWorkers', Action: 'ecs:RunTask', Resource: stack.resolve(render.taskDefinition.taskDefinitionArn), Condition: cluster },
      {
        Sid: 'PassWorkerRoles',
        Action: 'iam:PassRole',
        Resource: expect.arrayContaining([stack.resolve(render.taskDefinition.taskRole.roleArn), stack.resolve(render.taskDefinition.executionRole!.roleArn)]),
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      { Sid: 'WatchCanaryTask', Action: 'ecs:DescribeTasks', Resource: expect.anything(), Condition: cluster },
      { Sid: 'ReadCanaryLog', Action: 'logs:GetLogEvents', Resource: expect.anything(), Condition: undefined },
    ]);
    expect(JSON.stringify(statements[2].Resource)).toMatch(/:task\//);
    expect(JSON.stringify(statements[3].Resource)).toContain(':log-stream:worker/Worker/*');
    expect(JSON.stringify(document)).not.toMatch(/"Resource":"\*"/);
  });

  it('passes cdk-nag', () => {
    expectNoNagFindings(stack);
  });
});

describe('LambdaEcsWorker deploy canary, turned off', () => {
  it('deployCanary: false adds no trigger and no canary function', () => {
    const stack = newTestStack('RenderNoCanary');
    const render = new LambdaEcsWorker(stack, 'Render', { deployCanary: false });
    expect(render.deployCanary).toBeUndefined();
    templateOf(stack).resourceCountIs('Custom::Trigger', 0);
  });

  it('is off by default for a custom workerImage (it may not know --canary), on when asked', () => {
    const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/example/renderer:1');
    const off = newTestStack('RenderCustomImage');
    new LambdaEcsWorker(off, 'Render', { workerImage: image });
    templateOf(off).resourceCountIs('Custom::Trigger', 0);
    const on = newTestStack('RenderCustomImageCanary');
    new LambdaEcsWorker(on, 'Render', { workerImage: image, deployCanary: true });
    templateOf(on).resourceCountIs('Custom::Trigger', 1);
  });
});
