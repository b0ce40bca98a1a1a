/**
 * The benchmark table in docs/spot-fleet-autoscaler.md: every policy on every shipped trace, the median of
 * seeds 1..5 for each figure, and ratios to the better baseline (the one with the lower p95 wait).
 *
 *   npx ts-node --transpile-only bench/autoscaler/table.ts
 */
import * as path from 'path';
import { run } from './cli';
import { median } from '../stats';

const SEEDS = [1, 2, 3, 4, 5];
const TRACES = ['steady', 'bursty', 'daily'];
const BASELINES = ['original-step', 'ecs-patterns-step'];

const lines = [
  '| trace (jobs) | policy | p50 wait s | p95 wait s | instance-hours | peak backlog | lost job runs | p95 vs better baseline | instance-hours vs better baseline |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const trace of TRACES) {
  const outputs = SEEDS.map((seed) => run(['--trace', path.join(__dirname, 'traces', `${trace}.json`), '--seed', String(seed)]) as any);
  const policies = Object.keys(outputs[0].results);
  const figure = (policy: string, key: string) => median(outputs.map((o) => o.results[policy][key]));
  const better = BASELINES.reduce((a, b) => (figure(a, 'p95WaitSeconds') <= figure(b, 'p95WaitSeconds') ? a : b));
  for (const policy of policies) {
    const ratio = (key: string) => (figure(policy, key) / figure(better, key)).toFixed(2);
    lines.push(
      `| ${trace} (${outputs[0].jobs}) | ${policy}${policy === better ? ' (better baseline)' : ''} | ${figure(policy, 'p50WaitSeconds')} | ${figure(policy, 'p95WaitSeconds')} | ${figure(policy, 'instanceHours')} | ${figure(policy, 'peakBacklog')} | ${figure(policy, 'lostJobs')} | ${ratio('p95WaitSeconds')} | ${ratio('instanceHours')} |`,
    );
  }
}
console.log(lines.join('\n'));
