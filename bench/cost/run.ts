// `npm run cost`: the cost model's table, from list prices (prices.ts) and the example app's synthesized templates.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from '../../bin/example-app';
import { Estimate, idleCostPerMonth, idleInventory, imageApiCostPer1000Requests, tableTriggerCostPerMillionRecords, testHarnessCostPerRun, testHarnessMonitoringPerMonth, workerCostPer1000Jobs } from './model';
import { PRICES } from './prices';

const usd = (value: number) => (value < 0.01 && value > 0 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`);

function print(e: Estimate): void {
  console.log(`\n${e.title}: ${usd(e.total)}`);
  for (const line of e.items) console.log(`  ${line.item.padEnd(62)} ${usd(line.usd).padStart(10)}`);
}

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-'));
process.env.CDK_VALIDATION ??= 'false';
const assembly = buildExampleApp(new App({ outdir })).synth();
console.log(`List prices ${PRICES.region}, recorded ${PRICES.asOf} (bench/cost/prices.ts); no free tier.`);
console.log('\n== Per unit of work');
print(workerCostPer1000Jobs(PRICES, undefined, true));
print(workerCostPer1000Jobs(PRICES, undefined, false));
print(imageApiCostPer1000Requests(PRICES));
print(tableTriggerCostPerMillionRecords(PRICES));
print(testHarnessCostPerRun(PRICES));
print(testHarnessMonitoringPerMonth(PRICES));
console.log('\n== Idle, per month, counted from the synthesized example stacks');
const summary: string[] = [];
for (const stack of assembly.stacks) {
  const e = idleCostPerMonth(PRICES, stack.stackName, idleInventory(stack.template));
  print(e);
  summary.push(`| ${stack.stackName} | ${usd(e.total)} | ${usd(e.total - e.items.find((i) => i.item.startsWith('CloudWatch dashboards'))!.usd)} |`);
}
console.log('\n| stack | idle $/month | without its dashboards (first 3 per account are free) |\n|---|---|---|');
summary.forEach((line) => console.log(line));
fs.rmSync(outdir, { recursive: true, force: true });
