// The cost model's arithmetic, with round prices so every expected figure can be checked by hand; and the
// example stacks' idle cost, counted from their synthesized templates as `npm run cost` does.
import { EXAMPLE_STACKS } from '../../bin/example-app';
import { HOURS_PER_MONTH, PRICES } from '../../bench/cost/prices';
import {
  DEFAULT_WORKER_JOB,
  idleCostPerMonth,
  idleInventory,
  imageApiCostPer1000Requests,
  rateMinutes,
  tableTriggerCostPerMillionRecords,
  testHarnessCostPerRun,
  testHarnessMonitoringPerMonth,
  workerCostPer1000Jobs,
} from '../../bench/cost/model';
import { newTestApp } from '../helpers/cdk';

const line = (e: { items: { item: string; usd: number }[] }, prefix: string) => e.items.find((l) => l.item.startsWith(prefix))!.usd;

describe('cost model', () => {
  it('prices Fargate by task-hours × (vCPU × vCPU-hour + GB × GB-hour), Spot or on-demand', () => {
    const job = { ...DEFAULT_WORKER_JOB, renderMinutes: 9, overheadMinutes: 1, vcpu: 2, memoryGb: 4 };
    const prices = { ...PRICES, fargate: { ...PRICES.fargate, vcpuHourX86: 0.04, gbHourX86: 0.005, spotVcpuHourX86: 0.01, spotGbHourX86: 0.001 } };
    // 1000 jobs × 10 min = 166.67 task-hours
    expect(line(workerCostPer1000Jobs(prices, job, false), 'Fargate on-demand')).toBeCloseTo((1000 * 10 / 60) * (2 * 0.04 + 4 * 0.005), 6);
    expect(line(workerCostPer1000Jobs(prices, job, true), 'Fargate Spot')).toBeCloseTo((1000 * 10 / 60) * (2 * 0.01 + 4 * 0.001), 6);
  });

  it('sums its lines into the total', () => {
    const e = workerCostPer1000Jobs(PRICES);
    expect(e.total).toBeCloseTo(e.items.reduce((s, l) => s + l.usd, 0), 10);
    expect(e.items.every((l) => l.usd >= 0)).toBe(true);
  });

  it('prices 1000 image requests as API Gateway requests plus Lambda requests and GB-seconds', () => {
    const prices = { ...PRICES, apiGateway: { perMillionRestRequests: 4 }, lambda: { ...PRICES.lambda, perMillionRequests: 0.2, gbSecondX86: 0.00001 } };
    const e = imageApiCostPer1000Requests(prices, 2, 0.5);
    expect(line(e, 'API Gateway')).toBeCloseTo(0.004, 10);
    expect(line(e, 'Lambda')).toBeCloseTo(1000 * 0.2 / 1e6 + 1000 * 2 * 0.5 * 0.00001, 10);
  });

  it('prices a million trigger records per batch invocation and per record write', () => {
    const e = tableTriggerCostPerMillionRecords({ ...PRICES, dynamodb: { ...PRICES.dynamodb, perMillionReads: 0.25, perMillionWrites: 1 } }, 100);
    expect(line(e, 'Lambda trigger (10000 invocations')).toBeGreaterThan(0);
    expect(line(e, 'DynamoDB GetItem')).toBeCloseTo(1.25, 10);
  });

  it('prices a load test by count as one 512 MB harness invocation per test waiting for its target, and two writes per test', () => {
    const prices = { ...PRICES, lambda: { ...PRICES.lambda, perMillionRequests: 1, gbSecondArm: 0.00001 }, dynamodb: { ...PRICES.dynamodb, perMillionWrites: 1 } };
    const e = testHarnessCostPerRun(prices, 1000, 0.2, 0.05);
    expect(line(e, 'harness function (1001')).toBeCloseTo(1001 / 1e6 + 1001 * 0.5 * 0.25 * 0.00001, 10);
    expect(line(e, 'target invocations')).toBeCloseTo(1000 / 1e6 + 1000 * 0.125 * 0.2 * 0.00001, 10);
    expect(line(e, 'DynamoDB')).toBeCloseTo(2002 / 1e6, 10);
  });

  it('prices a month of monitoring runs: the gate, one invoker call, API request and endpoint invocation per test, and a result per test plus a summary', () => {
    const prices = { ...PRICES, apiGateway: { perMillionRestRequests: 4 }, dynamodb: { ...PRICES.dynamodb, perMillionWrites: 1 } };
    const e = testHarnessMonitoringPerMonth(prices, 100, 3);
    expect(line(e, 'API Gateway')).toBeCloseTo(300 * 4 / 1e6, 10);
    expect(line(e, 'DynamoDB')).toBeCloseTo(400 / 1e6, 10);
    expect(e.items.map((l) => l.item)).toEqual(expect.arrayContaining(['gate function (100 runs, 256 MB)', 'HTTPS invoker (300 calls, 256 MB)']));
  });

  it('reads rate() schedules in minutes and ignores cron', () => {
    expect(rateMinutes('rate(1 minute)')).toBe(1);
    expect(rateMinutes('rate(5 minutes)')).toBe(5);
    expect(rateMinutes('rate(2 hours)')).toBe(120);
    expect(rateMinutes('cron(0 12 * * ? *)')).toBeUndefined();
  });

  it('counts what is billed while idle from a template, and prices it per month', () => {
    const template = {
      Resources: {
        A1: { Type: 'AWS::CloudWatch::Alarm' },
        A2: { Type: 'AWS::CloudWatch::Alarm' },
        D: { Type: 'AWS::CloudWatch::Dashboard' },
        N: { Type: 'AWS::EC2::NatGateway' },
        E: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['s1', 's2'] } },
        G: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
        K: { Type: 'AWS::KMS::Key' },
        F: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, LoggingConfig: { LogGroup: { Ref: 'L' } } } },
        L: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
        R: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(10 minutes)', Targets: [{ Arn: { 'Fn::GetAtt': ['F', 'Arn'] } }] } },
      },
    };
    const inventory = idleInventory(template);
    expect(inventory).toEqual({
      alarms: 2,
      dashboards: 1,
      natGateways: 1,
      interfaceEndpointAzs: 2,
      kmsKeys: 1,
      scheduledRuns: [{ runsPerMonth: (HOURS_PER_MONTH * 60) / 10, memoryGb: 1, logRetentionDays: 30 }],
    });
    const e = idleCostPerMonth(PRICES, 'x', inventory);
    expect(line(e, 'CloudWatch alarms')).toBeCloseTo(2 * PRICES.cloudwatch.alarmMonth, 10);
    expect(line(e, 'NAT gateways')).toBeCloseTo(PRICES.vpc.natGatewayHour * HOURS_PER_MONTH, 10);
    expect(line(e, 'interface endpoint-AZs')).toBeCloseTo(2 * PRICES.vpc.interfaceEndpointAzHour * HOURS_PER_MONTH, 10);
    expect(line(e, 'KMS keys')).toBe(PRICES.kms.keyMonth);
  });
});

describe('the example stacks idle', () => {
  // One synth of every example stack, as `npm run cost` counts them (without the nag plugin: the cost is the same).
  const app = newTestApp();
  for (const addStack of EXAMPLE_STACKS) addStack(app);
  const assembly = app.synth();
  const idle = Object.fromEntries(assembly.stacks.map((stack) => [stack.stackName, idleCostPerMonth(PRICES, stack.stackName, idleInventory(stack.template))]));

  it.each(['LambdaEcsWorkerExample', 'TableTriggerExample', 'SpotFleetAutoscalerExample', 'ImageProcessingApiExample', 'LambdaTestHarnessExample'])('%s costs under $5 a month', (stack) => {
    expect(idle[stack].total).toBeLessThan(5);
  });

  it('counts the test harness example: its alarms, its dashboard and its hourly monitoring run', () => {
    const harness = idleInventory(assembly.getStackByName('LambdaTestHarnessExample').template);
    expect(harness).toMatchObject({ alarms: 5, dashboards: 1, natGateways: 0, interfaceEndpointAzs: 0, kmsKeys: 0 });
    expect(harness.scheduledRuns).toEqual([{ runsPerMonth: HOURS_PER_MONTH, memoryGb: 0.25, logRetentionDays: 30 }]);
    // The idle figure counts each monitoring run as an idle tick; with the suite's full work it stays under $5.
    expect(idle.LambdaTestHarnessExample.total + testHarnessMonitoringPerMonth(PRICES).total).toBeLessThan(5);
  });
});
