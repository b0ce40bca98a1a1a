/**
 * The benchmark table in docs/spot-fleet-autoscaler.md and the README: every configuration on every shipped
 * trace, the median of seeds 1..5 for each figure, beside the floor and the work itself.
 *
 *   npx ts-node --transpile-only bench/autoscaler/table.ts            # the tables (markdown)
 *   npx ts-node --transpile-only bench/autoscaler/table.ts --check    # the done-criterion; exit 1 if it fails
 *
 * --check runs ours on every target (Spot Fleet, Auto Scaling group, ECS service: each shrinks its own way)
 * and evaluates the criterion of criterion.ts on each.
 */
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_QUEUE_DEPTH_PRESET, QUEUE_DEPTH_PRESETS, QueueDepthPresetName } from '../../contracts/queue-depth-policy';
import { run } from './cli';
import { check, CheckResult, medians, TraceMedians } from './criterion';
import { SHIPPED_TRACES } from './generate-traces';
import { BASELINES, presetRowName, TARGET_SCALE_IN } from './policies';

export const SEEDS = [1, 2, 3, 4, 5];
export const PRESET_ROWS = (Object.keys(QUEUE_DEPTH_PRESETS) as QueueDepthPresetName[]).map(presetRowName);
export const DEFAULT_ROW = presetRowName(DEFAULT_QUEUE_DEPTH_PRESET);

const traceFile = (name: string) => path.join(__dirname, 'traces', `${name}.json`);

/** Medians over SEEDS of every policy on one trace, ours on `target`. */
export function traceMedians(trace: string, target: string, extraArgs: string[] = []): TraceMedians {
  return { ...medians(SEEDS.map((seed) => run(['--trace', traceFile(trace), '--seed', String(seed), '--target', target, ...extraArgs]))), trace };
}

/** The criterion on every shipped trace and every target. */
export function checkAll(traces = Object.keys(SHIPPED_TRACES), targets = Object.keys(TARGET_SCALE_IN)): { target: string; result: CheckResult }[] {
  return targets.flatMap((target) =>
    traces.map((trace) => ({ target, result: check(traceMedians(trace, target), PRESET_ROWS, Object.keys(BASELINES), DEFAULT_ROW) })),
  );
}

function mainTable(): string[] {
  const lines = [
    '| trace (jobs, work) | configuration | p50 wait s | p95 wait s | instance-hours | runs killed by scale-in / by Spot | peak capacity | beaten by (axis) |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const trace of Object.keys(SHIPPED_TRACES)) {
    const m = traceMedians(trace, 'spot-fleet');
    const { verdicts } = check(m, PRESET_ROWS, Object.keys(BASELINES), DEFAULT_ROW);
    const label = `${trace} (${m.jobs}, ${m.workInstanceHours} h)`;
    for (const [name, f] of Object.entries(m.policies)) {
      const verdict = verdicts.find((v) => v.baseline === name);
      const beatenBy = verdict ? verdict.beatenBy.map((b) => `${b.preset} (${b.axis})`).join(', ') || '**none**' : '';
      const killedBySpot = f.lostJobs - f.runsKilledByScaleIn;
      lines.push(
        `| ${label} | ${name} | ${f.p50WaitSeconds} | ${f.p95WaitSeconds} | ${f.instanceHours} | ${f.runsKilledByScaleIn} / ${killedBySpot} | ${f.peakCapacity} | ${beatenBy} |`,
      );
    }
    lines.push(`| ${label} | **floor** (FIFO on ${m.floorCapacity} workers) | | ${m.floorP95WaitSeconds} | ≥ ${m.workInstanceHours} (the work) | | ${m.floorCapacity} | |`);
  }
  return lines;
}

/** Ours on the targets that shrink another way than the Spot Fleet (one row set per scale-in model). */
function targetsTable(): string[] {
  const lines = ['| trace | target (scale-in) | preset | p95 wait s | instance-hours | runs killed by scale-in / by Spot |', '|---|---|---|---:|---:|---:|'];
  const byModel = new Map<string, string[]>();
  for (const [target, model] of Object.entries(TARGET_SCALE_IN)) if (model !== TARGET_SCALE_IN['spot-fleet']) byModel.set(model, [...(byModel.get(model) ?? []), target]);
  for (const [model, targets] of byModel) {
    const target = targets[0];
    for (const trace of Object.keys(SHIPPED_TRACES)) {
      const m = traceMedians(trace, target);
      for (const name of PRESET_ROWS) {
        const f = m.policies[name];
        lines.push(`| ${trace} | ${targets.join(', ')} (${model}) | ${name} | ${f.p95WaitSeconds} | ${f.instanceHours} | ${f.runsKilledByScaleIn} / ${f.lostJobs - f.runsKilledByScaleIn} |`);
      }
    }
  }
  return lines;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`table: unknown argument(s) ${unknown.join(' ')} (known: --check)`);
    process.exit(2);
  }
  const started = Date.now();
  if (args.includes('--check')) {
    const results = checkAll();
    const failures = results.flatMap((r) => r.result.failures.map((f) => `[${r.target}] ${f}`));
    for (const { target, result } of results) {
      for (const v of result.verdicts) console.log(`[${target}] ${v.trace}: ${v.baseline} beaten by ${v.beatenBy.map((b) => `${b.preset} (${b.axis})`).join(', ') || 'NONE'}`);
    }
    console.log(failures.length === 0 ? 'criterion holds on every trace and target' : `criterion FAILS:\n${failures.join('\n')}`);
    console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    process.exit(failures.length === 0 ? 0 : 1);
  }
  console.log([...mainTable(), '', ...targetsTable()].join('\n'));
}
