// The cost model: pure arithmetic over the list prices (prices.ts) and the synthesized templates. No AWS calls.
import { HOURS_PER_MONTH, PRICES } from './prices';

export type Prices = typeof PRICES;

/** One priced line of an estimate. */
export interface LineItem {
  readonly item: string;
  readonly usd: number;
}

export interface Estimate {
  readonly title: string;
  readonly items: LineItem[];
  readonly total: number;
}

const estimate = (title: string, items: LineItem[]): Estimate => ({ title, items, total: items.reduce((sum, line) => sum + line.usd, 0) });
const lambdaCost = (p: Prices, invocations: number, memoryGb: number, seconds: number, arm = true) =>
  (invocations * p.lambda.perMillionRequests) / 1e6 + invocations * memoryGb * seconds * (arm ? p.lambda.gbSecondArm : p.lambda.gbSecondX86);

/** What one render job uses; defaults are the construct's defaults and a 5-minute render. */
export interface WorkerJob {
  readonly renderMinutes: number;
  /** Task start (image pull) plus the idle minute before a worker exits, billed per job when each job gets its own worker. */
  readonly overheadMinutes: number;
  readonly vcpu: number;
  readonly memoryGb: number;
  readonly sceneMb: number;
  readonly pngMb: number;
  /** send, receive, delete, and one visibility heartbeat per half visibility timeout (150 s). */
  readonly sqsRequests: number;
  /** job record: created, started, progress updates, finished. */
  readonly dynamoWrites: number;
  readonly dynamoReads: number;
  readonly launcherMemoryGb: number;
  readonly launcherSeconds: number;
}

export const DEFAULT_WORKER_JOB: WorkerJob = {
  renderMinutes: 5,
  overheadMinutes: 1.5,
  vcpu: 1,
  memoryGb: 2,
  sceneMb: 1,
  pngMb: 2,
  sqsRequests: 3 + Math.ceil((5 * 60) / 150),
  dynamoWrites: 6,
  dynamoReads: 2,
  launcherMemoryGb: 0.25,
  launcherSeconds: 0.3,
};

/** Cost of 1000 render jobs on Fargate (Spot or on-demand, x86 as the default worker image), with everything around them. */
export function workerCostPer1000Jobs(p: Prices, job: WorkerJob = DEFAULT_WORKER_JOB, spot = true): Estimate {
  const jobs = 1000;
  const taskHours = (jobs * (job.renderMinutes + job.overheadMinutes)) / 60;
  const vcpuHour = spot ? p.fargate.spotVcpuHourX86 : p.fargate.vcpuHourX86;
  const gbHour = spot ? p.fargate.spotGbHourX86 : p.fargate.gbHourX86;
  return estimate(`LambdaEcsWorker, per 1000 jobs of ${job.renderMinutes} min (${job.vcpu} vCPU, ${job.memoryGb} GB, Fargate ${spot ? 'Spot' : 'on-demand'})`, [
    { item: `Fargate ${spot ? 'Spot' : 'on-demand'} (${taskHours.toFixed(1)} task-hours)`, usd: taskHours * (job.vcpu * vcpuHour + job.memoryGb * gbHour) },
    { item: 'public IPv4 while tasks run', usd: taskHours * p.vpc.publicIpv4Hour },
    { item: 'Lambda launcher', usd: lambdaCost(p, jobs, job.launcherMemoryGb, job.launcherSeconds) },
    { item: 'SQS requests', usd: (jobs * job.sqsRequests * p.sqs.perMillionRequests) / 1e6 },
    { item: 'S3 requests (scene PUT+GET, PNG and log PUT)', usd: (jobs * 3 * p.s3.perThousandPuts) / 1000 + (jobs * p.s3.perThousandGets) / 1000 },
    { item: 'S3 storage of scenes and PNGs, one month', usd: (jobs * (job.sceneMb + job.pngMb) * p.s3.gbMonth) / 1024 },
    { item: 'DynamoDB job records', usd: (jobs * job.dynamoWrites * p.dynamodb.perMillionWrites + jobs * job.dynamoReads * p.dynamodb.perMillionReads) / 1e6 },
  ]);
}

/** Cost of 1000 image API requests (API Gateway REST + the x86 image function). */
export function imageApiCostPer1000Requests(p: Prices, memoryGb = 1.5, seconds = 0.4): Estimate {
  const requests = 1000;
  return estimate(`ImageProcessingApi, per 1000 requests (${memoryGb} GB function, ${seconds * 1000} ms each)`, [
    { item: 'API Gateway REST requests', usd: (requests * p.apiGateway.perMillionRestRequests) / 1e6 },
    { item: 'Lambda image function', usd: lambdaCost(p, requests, memoryGb, seconds, false) },
  ]);
}

/** Cost of a million stream records through the trigger (batches of 100, one computed-attribute write each, 1 % invalid). */
export function tableTriggerCostPerMillionRecords(p: Prices, batchSize = 100, batchSeconds = 0.15, invalidShare = 0.01): Estimate {
  const records = 1e6;
  const invocations = records / batchSize;
  return estimate(`TableTrigger, per million records (batches of ${batchSize}, ${invalidShare * 100} % invalid)`, [
    { item: `Lambda trigger (${invocations} invocations, 256 MB)`, usd: lambdaCost(p, invocations, 0.25, batchSeconds) },
    { item: 'DynamoDB GetItem + UpdateItem of the computed attribute', usd: (records * p.dynamodb.perMillionReads + records * p.dynamodb.perMillionWrites) / 1e6 },
    { item: 'SNS alerts on invalid items', usd: (records * invalidShare * p.sns.perMillionPublishes) / 1e6 },
    { item: 'DynamoDB stream reads by Lambda', usd: 0 },
  ]);
}

/**
 * Cost of a load test by count (the original protocol): every iteration is one invocation of the harness
 * function (512 MB) that invokes the target synchronously and waits for it, writes its result and counts the
 * run down; the first invocation fans the iterations out, the last writes the summary.
 */
export function testHarnessCostPerRun(p: Prices, tests = 1000, targetSeconds = 0.1, harnessOverheadSeconds = 0.05): Estimate {
  return estimate(`LambdaTestHarness, per load test of ${tests} invocations of a 128 MB target (${targetSeconds * 1000} ms each)`, [
    { item: `harness function (${tests + 1} × 512 MB, waits for the target)`, usd: lambdaCost(p, tests + 1, 0.5, targetSeconds + harnessOverheadSeconds) },
    { item: 'target invocations', usd: lambdaCost(p, tests, 0.125, targetSeconds) },
    { item: 'DynamoDB: result + count-down per test, run, summary', usd: ((2 * tests + 2) * p.dynamodb.perMillionWrites) / 1e6 },
  ]);
}

/**
 * A month of the harness's monitoring schedule: each run, the gate (256 MB) runs the suite's HTTPS tests (4 at a
 * time) through the invoker (256 MB) against an API Gateway REST API and its x86 function, and writes a result
 * per test and a summary. Defaults: the example app's hourly suite of 3 tests of the image API.
 */
export function testHarnessMonitoringPerMonth(p: Prices, runsPerMonth = HOURS_PER_MONTH, tests = 3, endpointSeconds = 0.4, endpointMemoryGb = 1.5): Estimate {
  const calls = runsPerMonth * tests;
  const gateSeconds = Math.ceil(tests / 4) * (endpointSeconds + 0.1) + 0.1;
  return estimate(`LambdaTestHarness monitoring, per month of ${runsPerMonth} runs of ${tests} HTTPS tests (API Gateway + ${endpointMemoryGb} GB function, ${endpointSeconds * 1000} ms)`, [
    { item: `gate function (${runsPerMonth} runs, 256 MB)`, usd: lambdaCost(p, runsPerMonth, 0.25, gateSeconds) },
    { item: `HTTPS invoker (${calls} calls, 256 MB)`, usd: lambdaCost(p, calls, 0.25, endpointSeconds + 0.05) },
    { item: 'API Gateway REST requests', usd: (calls * p.apiGateway.perMillionRestRequests) / 1e6 },
    { item: 'the endpoint\'s function', usd: lambdaCost(p, calls, endpointMemoryGb, endpointSeconds, false) },
    { item: 'DynamoDB result and summary items', usd: (runsPerMonth * (tests + 1) * p.dynamodb.perMillionWrites) / 1e6 },
  ]);
}

/** What a deployed but idle stack holds, counted from its template. */
export interface IdleInventory {
  readonly alarms: number;
  readonly dashboards: number;
  readonly natGateways: number;
  /** Interface endpoints × the subnets (AZs) they sit in. */
  readonly interfaceEndpointAzs: number;
  readonly kmsKeys: number;
  /** Scheduled Lambda runs: per month, with the function's memory. */
  readonly scheduledRuns: { runsPerMonth: number; memoryGb: number; logRetentionDays: number }[];
}

/** Minutes between runs of an EventBridge `rate(...)` expression; undefined for cron or other expressions. */
export function rateMinutes(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2].startsWith('minute') ? 1 : match[2].startsWith('hour') ? 60 : 1440;
  return Number(match[1]) * unit;
}

/** Counts what is billed while idle in a CloudFormation template. */
export function idleInventory(template: { Resources?: Record<string, { Type: string; Properties?: any }> }): IdleInventory {
  const resources = template.Resources ?? {};
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const interfaceEndpointAzs = ofType('AWS::EC2::VPCEndpoint')
    .filter(([, r]) => r.Properties?.VpcEndpointType === 'Interface')
    .reduce((sum, [, r]) => sum + (r.Properties?.SubnetIds?.length ?? 1), 0);
  const scheduledRuns = ofType('AWS::Events::Rule').flatMap(([, rule]) => {
    const minutes = rule.Properties?.ScheduleExpression ? rateMinutes(rule.Properties.ScheduleExpression) : undefined;
    if (!minutes) return [];
    return (rule.Properties?.Targets ?? []).flatMap((target: any) => {
      const functionId = target.Arn?.['Fn::GetAtt']?.[0];
      const fn = functionId ? resources[functionId] : undefined;
      if (fn?.Type !== 'AWS::Lambda::Function') return [];
      const logGroupId = fn.Properties?.LoggingConfig?.LogGroup?.Ref;
      const logRetentionDays = (logGroupId && resources[logGroupId]?.Properties?.RetentionInDays) ?? 30;
      return [{ runsPerMonth: (HOURS_PER_MONTH * 60) / minutes, memoryGb: (fn.Properties?.MemorySize ?? 128) / 1024, logRetentionDays }];
    });
  });
  return {
    alarms: ofType('AWS::CloudWatch::Alarm').length,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    natGateways: ofType('AWS::EC2::NatGateway').length,
    interfaceEndpointAzs,
    kmsKeys: ofType('AWS::KMS::Key').length,
    scheduledRuns,
  };
}

/** Assumptions about one idle scheduled run (a reconcile or autoscale tick that finds nothing to do). */
export const IDLE_RUN = { seconds: 0.2, logKb: 1, sqsRequests: 2 };

/** Monthly cost of an idle stack from its inventory. Dashboards are priced as if beyond the account's free three. */
export function idleCostPerMonth(p: Prices, title: string, inv: IdleInventory): Estimate {
  const runs = inv.scheduledRuns.reduce((sum, r) => sum + r.runsPerMonth, 0);
  const logGbPerMonth = (runs * IDLE_RUN.logKb) / 1024 / 1024;
  const storedLogGb = inv.scheduledRuns.reduce((sum, r) => sum + ((r.runsPerMonth * IDLE_RUN.logKb) / 1024 / 1024) * Math.min(r.logRetentionDays / 30, 120), 0);
  return estimate(title, [
    { item: `CloudWatch alarms (${inv.alarms})`, usd: inv.alarms * p.cloudwatch.alarmMonth },
    { item: `CloudWatch dashboards (${inv.dashboards}; the account's first 3 are free)`, usd: inv.dashboards * p.cloudwatch.dashboardMonth },
    { item: `NAT gateways (${inv.natGateways})`, usd: inv.natGateways * p.vpc.natGatewayHour * HOURS_PER_MONTH },
    { item: `interface endpoint-AZs (${inv.interfaceEndpointAzs})`, usd: inv.interfaceEndpointAzs * p.vpc.interfaceEndpointAzHour * HOURS_PER_MONTH },
    { item: `KMS keys (${inv.kmsKeys})`, usd: inv.kmsKeys * p.kms.keyMonth },
    {
      item: `scheduled Lambda runs (${Math.round(runs)}/month)`,
      usd: inv.scheduledRuns.reduce((sum, r) => sum + lambdaCost(p, r.runsPerMonth, r.memoryGb, IDLE_RUN.seconds), 0) + (runs * IDLE_RUN.sqsRequests * p.sqs.perMillionRequests) / 1e6,
    },
    { item: 'log ingestion and storage of those runs', usd: logGbPerMonth * p.cloudwatch.logsIngestGb + storedLogGb * p.cloudwatch.logsStoreGbMonth },
  ]);
}
