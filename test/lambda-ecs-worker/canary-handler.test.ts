import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { CANARY_ENV } from '../../contracts/lambda-ecs-worker/canary-env';
import { canaryLogStream, readCanaryConfig, reasonInLog, runCanary } from '../../lambda/lambda-ecs-worker/canary';

const ENV = {
  [CANARY_ENV.clusterArn]: 'arn:aws:ecs:eu-west-1:111111111111:cluster/workers',
  [CANARY_ENV.taskDefinitionArn]: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/worker:7',
  [CANARY_ENV.containerName]: 'Worker',
  [CANARY_ENV.subnetIds]: 'subnet-1,subnet-2',
  [CANARY_ENV.securityGroupIds]: 'sg-1',
  [CANARY_ENV.assignPublicIp]: 'ENABLED',
  [CANARY_ENV.logGroupName]: 'worker-logs',
  [CANARY_ENV.logStreamPrefix]: 'worker',
};
const TASK = 'arn:aws:ecs:eu-west-1:111111111111:task/workers/0123abcd';
const config = readCanaryConfig(ENV);
const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
const clients = { ecs: new ECSClient({}), logs: new CloudWatchLogsClient({}) };
let clock = 0;
const timing = { pollMs: 1000, deadlineMs: 60_000, sleep: async (ms: number) => void (clock += ms), now: () => clock };

function stopsWith(exitCode: number | undefined, extra: { stoppedReason?: string; reason?: string } = {}) {
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }], failures: [] });
  ecs
    .on(DescribeTasksCommand)
    .resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING' }] })
    .resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] })
    .resolves({ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', stoppedReason: extra.stoppedReason, containers: [{ name: 'Worker', exitCode, reason: extra.reason }] }] });
}

beforeEach(() => {
  ecs.reset();
  logs.reset();
  clock = 0;
});

describe('the deploy canary handler', () => {
  it('runs one worker task with --canary on the task definition, and resolves when it exits 0', async () => {
    stopsWith(0);
    await expect(runCanary(config, clients, timing)).resolves.toEqual({ taskArn: TASK, logStream: 'worker/Worker/0123abcd' });
    const run = ecs.commandCalls(RunTaskCommand)[0].args[0].input;
    expect(run).toMatchObject({
      cluster: ENV[CANARY_ENV.clusterArn],
      taskDefinition: ENV[CANARY_ENV.taskDefinitionArn],
      count: 1,
      launchType: 'FARGATE',
      startedBy: 'deploy-canary',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
      overrides: { containerOverrides: [{ name: 'Worker', command: ['--canary'] }] },
    });
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(3);
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(0);
  });

  it("fails with the worker's own reason from its log stream when it exits non-zero", async () => {
    stopsWith(3);
    const reason = 'POV-Ray cannot be confined on this host: no kernel confinement available (exit 121): neither Landlock nor seccomp user notification is available';
    logs.on(GetLogEventsCommand, { logGroupName: 'worker-logs', logStreamName: 'worker/Worker/0123abcd' }).resolves({
      events: [
        { message: JSON.stringify({ level: 'ERROR', message: `RENDERS REFUSED: ${reason}` }) },
        { message: JSON.stringify({ level: 'ERROR', message: `CANARY FAILED: ${reason}` }) },
      ],
    });
    await expect(runCanary(config, clients, timing)).rejects.toThrow(`The deployed POV-Ray worker cannot render confined, so every job would end FAILED: ${reason}. Canary task ${TASK}`);
  });

  it('without a log line, fails with the exit code in words and what ECS says', async () => {
    stopsWith(4, { stoppedReason: 'Essential container in task exited' });
    logs.on(GetLogEventsCommand).rejects(new Error('ResourceNotFoundException'));
    await expect(runCanary(config, clients, timing)).rejects.toThrow(
      /cannot render confined.*: the worker exited with 4 \(the canary scene did not render\); ECS: Essential container in task exited/,
    );
  });

  it('a container that never ran (image pull failed) fails with ECS reasons', async () => {
    stopsWith(undefined, { stoppedReason: 'CannotPullContainerError: pull access denied', reason: 'CannotPullContainerError' });
    logs.on(GetLogEventsCommand).resolves({ events: [] });
    await expect(runCanary(config, clients, timing)).rejects.toThrow(/the worker container never ran; CannotPullContainerError; ECS: CannotPullContainerError: pull access denied/);
  });

  it('fails when no task could be started, with RunTask’s failure', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY', detail: 'no capacity' }] });
    await expect(runCanary(config, clients, timing)).rejects.toThrow('The deploy canary could not start a worker task: RESOURCE:MEMORY (no capacity)');
  });

  it('fails at its deadline when the task never stops', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PENDING' }] });
    await expect(runCanary(config, clients, timing)).rejects.toThrow(/did not stop within 1 minutes \(last status PENDING\)/);
  });

  it('names every missing variable of its configuration', () => {
    expect(() => readCanaryConfig({})).toThrow(/CLUSTER_ARN, TASK_DEFINITION_ARN, CONTAINER_NAME, SUBNET_IDS, ASSIGN_PUBLIC_IP, WORKER_LOG_GROUP, WORKER_LOG_STREAM_PREFIX not set/);
  });

  it('reads the reason from JSON or plain log lines, and the stream name from the task ARN', () => {
    expect(reasonInLog(['plain', 'CANARY FAILED: the canary scene did not render (exit 1)'])).toBe('the canary scene did not render (exit 1)');
    expect(reasonInLog(['{"message":"canary rendered confined"}'])).toBeUndefined();
    expect(canaryLogStream({ logStreamPrefix: 'p', containerName: 'C' }, 'arn:aws:ecs:r:1:task/cluster/abc')).toBe('p/C/abc');
  });
});
