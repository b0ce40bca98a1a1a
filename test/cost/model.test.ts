// The cost model's arithmetic, with round prices so every expected figure can be checked by hand.
import { HOURS_PER_MONTH, PRICES } from '../../bench/cost/prices';
import {
  DEFAULT_WORKER_JOB,
  idleCostPerMonth,
  idleInventory,
  imageApiCostPer1000Requests,
  rateMinutes,
  tableTriggerCostPerMillionRecords,
  workerCostPer1000Jobs,
} from '../../bench/cost/model';

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
