import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { CANARY_ENV } from '../../contracts/lambda-ecs-worker/canary-env';
import { acknowledgePolicyWildcards, PrebundledFunction } from '../core';
import type { LambdaEcsWorker } from './lambda-ecs-worker';
import { runWorkerTaskStatements } from './permissions';

/** The canary's Lambda timeout and the trigger's wait: a Fargate task starts, pulls and renders within this. */
const CANARY_TIMEOUT = Duration.minutes(14);

/** Where the canary runs the worker task: the workers' own network placement. */
export interface CanaryPlacement {
  readonly subnetIds: string[];
  readonly assignPublicIp: boolean;
  readonly logRetention: logs.RetentionDays;
  /**
   * What happens to the canary function's log group when it leaves the stack (the construct's `logRemovalPolicy`).
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The key the canary function's log group is encrypted with (the construct's `logEncryptionKey`).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * The deploy-time check of a LambdaEcsWorker: after `cdk deploy` created or changed the worker task
 * definition, a trigger (aws-cdk-lib/triggers) invokes a function that runs one worker task with
 * `--canary`. The worker renders a tiny embedded scene confined exactly like a job and exits; the function
 * waits for the task to stop and fails the deployment with the worker's own reason when it could not render
 * confined (no Landlock and no seccomp user notification on that compute, a broken image...). The trigger
 * runs again whenever the task definition changes: its ARN is in the function's configuration.
 */
export class DeployCanary extends Construct {
  /** The function the trigger invokes. */
  public readonly function: PrebundledFunction;
  /** The trigger: runs after the worker's task definition, cluster and log group exist. */
  public readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, worker: LambdaEcsWorker, placement: CanaryPlacement) {
    super(scope, id);
    const container = worker.container;
    this.function = new PrebundledFunction(this, 'Function', {
      assetName: 'lambda-ecs-worker',
      role: 'canary',
      description: `After each deploy, renders one canary scene on ${worker.node.path}'s worker task and fails the deployment if it cannot render confined`,
      timeout: CANARY_TIMEOUT,
      logRetention: placement.logRetention,
      logRemovalPolicy: placement.logRemovalPolicy,
      logEncryptionKey: placement.logEncryptionKey,
      environment: {
        [CANARY_ENV.clusterArn]: worker.cluster.clusterArn,
        [CANARY_ENV.taskDefinitionArn]: worker.taskDefinition.taskDefinitionArn,
        [CANARY_ENV.containerName]: container.containerName,
        [CANARY_ENV.subnetIds]: placement.subnetIds.join(','),
        [CANARY_ENV.securityGroupIds]: worker.securityGroups.map((sg) => sg.securityGroupId).join(','),
        [CANARY_ENV.assignPublicIp]: placement.assignPublicIp ? 'ENABLED' : 'DISABLED',
        [CANARY_ENV.logGroupName]: worker.workerLogGroup.logGroupName,
        [CANARY_ENV.logStreamPrefix]: 'worker',
      },
    });
    const policy = new iam.Policy(this, 'Policy', {
      roles: [this.function.role],
      statements: [
        ...runWorkerTaskStatements(worker, worker.taskDefinition.taskDefinitionArn),
        new iam.PolicyStatement({
          sid: 'WatchCanaryTask',
          actions: ['ecs:DescribeTasks'],
          resources: [Stack.of(worker).formatArn({ service: 'ecs', resource: 'task', resourceName: `${worker.cluster.clusterName}/*` })],
          conditions: { ArnEquals: { 'ecs:cluster': worker.cluster.clusterArn } },
        }),
        new iam.PolicyStatement({
          sid: 'ReadCanaryLog',
          actions: ['logs:GetLogEvents'],
          resources: [
            Stack.of(worker).formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${worker.workerLogGroup.logGroupName}:log-stream:worker/${container.containerName}/*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });
    acknowledgePolicyWildcards(
      policy,
      'Task ids and log stream names are assigned when the canary task starts: the wildcards stand only for those, within this one cluster and this one log group.',
    );
    this.trigger = new triggers.Trigger(this, 'Trigger', {
      handler: this.function.function,
      timeout: CANARY_TIMEOUT,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      executeAfter: [worker.taskDefinition, worker.cluster, worker.workerLogGroup],
    });
    // The policy must exist before the trigger invokes the function.
    this.trigger.node.addDependency(policy);
  }
}
