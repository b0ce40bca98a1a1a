import { DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { LocalEcs, startLocalEcs } from '../../local/local-ecs';
import { processIsAlive } from '../helpers/processes';

const TASK_DEF = 'arn:aws:ecs:us-east-1:000000000000:task-definition/sleeper:1';
const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

describe('local ECS stand-in (local/local-ecs.ts)', () => {
  let ecs: LocalEcs;
  let client: ECSClient;

  beforeAll(async () => {
    ecs = await startLocalEcs({
      // A "container" that prints its task environment and sleeps, so the test sees what a worker would get.
      taskDefinitions: { [TASK_DEF]: { environment: { QUEUE_URL: 'q-url' }, command: [process.execPath, '-e', 'console.log(process.env.QUEUE_URL, process.env.AWS_REGION); setTimeout(() => {}, 20000)'] } },
      awsEnvironment: { AWS_REGION: 'us-east-1' },
      spotCapacity: 1,
    });
    client = new ECSClient({ endpoint: ecs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  });

  afterAll(async () => {
    client?.destroy();
    await ecs?.stop();
  });

  it('answers RunTask through the real SDK, spawning one process per task, and reports Spot capacity failures', async () => {
    const out = await client.send(
      new RunTaskCommand({ cluster: 'render', taskDefinition: TASK_DEF, count: 3, startedBy: 'me', networkConfiguration: network, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }),
    );
    expect(out.tasks).toHaveLength(1);
    expect(out.failures?.map((f) => f.reason)).toEqual([expect.stringMatching(/Capacity is unavailable/), expect.stringMatching(/Capacity is unavailable/)]);
    const od = await client.send(new RunTaskCommand({ cluster: 'render', taskDefinition: TASK_DEF, count: 2, startedBy: 'me', networkConfiguration: network, launchType: 'FARGATE' }));
    expect(od.tasks).toHaveLength(2);
    expect(ecs.runningTasks().every((t) => processIsAlive(t.pid))).toBe(true);
    // Every task got the definition's environment and the local AWS environment.
    for (const task of ecs.tasks()) await ecs.waitForTaskOutput(task, (line) => line === 'q-url us-east-1');
  });

  it('lists tasks by cluster, startedBy and desired status, and describes them', async () => {
    await client.send(new RunTaskCommand({ cluster: 'render', taskDefinition: TASK_DEF, startedBy: 'someone-else', networkConfiguration: network }));
    const mine = await client.send(new ListTasksCommand({ cluster: 'render', startedBy: 'me', desiredStatus: 'RUNNING' }));
    expect(mine.taskArns).toHaveLength(3);
    expect((await client.send(new ListTasksCommand({ cluster: 'other' }))).taskArns).toEqual([]);
    const described = await client.send(new DescribeTasksCommand({ cluster: 'render', tasks: [mine.taskArns![0], 'nope'] }));
    expect(described.tasks?.[0]).toMatchObject({ lastStatus: 'RUNNING', startedBy: 'me' });
    expect(described.failures).toEqual([{ arn: 'nope', reason: 'MISSING' }]);
  });

  it('stops a task with SIGTERM and reports it STOPPED', async () => {
    const [task] = ecs.runningTasks();
    await client.send(new StopTaskCommand({ cluster: 'render', task: task.taskArn, reason: 'test' }));
    await ecs.waitForTaskStopped(task);
    expect(task).toMatchObject({ lastStatus: 'STOPPED', signal: 'SIGTERM', stoppedReason: 'test' });
    expect(processIsAlive(task.pid)).toBe(false);
  });

  it('rejects what ECS rejects', async () => {
    await expect(client.send(new RunTaskCommand({ taskDefinition: 'unknown', networkConfiguration: network }))).rejects.toThrow(/TaskDefinition not found/);
    await expect(client.send(new RunTaskCommand({ taskDefinition: TASK_DEF }))).rejects.toThrow(/Network Configuration must be provided/);
  });

  it('kills every task by PID on stop', async () => {
    const pids = ecs.runningTasks().map((t) => t.pid);
    expect(pids.length).toBeGreaterThan(0);
    await ecs.stop(2_000);
    expect(pids.filter(processIsAlive)).toEqual([]);
  });
});
