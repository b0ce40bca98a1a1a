/**
 * Runs scaling policies over an arrival trace and prints ONE JSON object on stdout.
 *
 *   npm run -s bench:autoscaler -- --trace bench/autoscaler/traces/bursty.json [--policy ours] [--seed 7]
 *       [--target spot-fleet|auto-scaling-group|ecs-service] [--plot out.svg] [--instance-hour-usd 0.031]
 *
 * Trace format: a JSON array of { "arrivalSeconds": n, "durationSeconds": n } (seconds from the start of
 * the trace; how long one worker needs for the job). Options --boot-seconds, --metric-lag-seconds and
 * --interruptions-per-hour change the model (defaults in simulator.ts); --target picks the target ours runs
 * on (how it shrinks). --plot writes an SVG (a panel per policy on one time axis: queue depth, running
 * capacity, job waits); each result's costUsd is its instance-hours × --instance-hour-usd (default a c7g.large
 * Spot hour from bench/cost/prices.ts). Without --policy, every policy runs. Beside the results: the floor (p95 wait of FIFO
 * on the most capacity any policy that ran reached, booted at the first arrival) and the work itself.
 */
import * as fs from 'fs';
import { PRICES } from '../cost/prices';
import { plotSvg } from './plot';
import { policiesFor, TARGET_SCALE_IN } from './policies';
import { DEFAULT_BOOT_SECONDS, fifoFloor, FloorResult, SimOptions, SimResult, simulate, TraceJob, validateTrace, workInstanceHours } from './simulator';

export interface CliArgs {
  readonly trace: string;
  readonly policies: string[];
  readonly target: string;
  readonly options: SimOptions;
  /** Where to write the SVG plot, if anywhere. */
  readonly plot?: string;
  /** Price of one instance-hour, for `costUsd`. */
  readonly instanceHourUsd: number;
}

/** What one CLI run prints. */
export interface RunOutput {
  readonly trace: string;
  readonly jobs: number;
  readonly seed: number;
  readonly target: string;
  /** The sum of the jobs' durations, in instance-hours. */
  readonly workInstanceHours: number;
  readonly floor: FloorResult;
  readonly results: Record<string, SimResult & { costUsd: number }>;
  /** The price `costUsd` multiplies instance-hours by (default: a c7g.large Spot hour, bench/cost/prices.ts). */
  readonly instanceHourUsd: number;
}

/** Parses argv (without node and script); throws a usage error naming what is wrong. */
export function parseArgs(argv: string[]): CliArgs {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith('--')) throw new Error(`unexpected argument '${flag}'`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    values[flag.slice(2)] = value;
    i++;
  }
  const known = ['trace', 'policy', 'seed', 'target', 'boot-seconds', 'metric-lag-seconds', 'interruptions-per-hour', 'plot', 'instance-hour-usd'];
  for (const key of Object.keys(values)) if (!known.includes(key)) throw new Error(`unknown option --${key} (known: ${known.map((k) => `--${k}`).join(', ')})`);
  if (!values.trace) throw new Error('--trace <file.json> is required');
  const target = values.target ?? 'spot-fleet';
  if (!TARGET_SCALE_IN[target]) throw new Error(`unknown target '${target}' (known: ${Object.keys(TARGET_SCALE_IN).join(', ')})`);
  const policyMakers = policiesFor(target);
  const policies = values.policy ? [values.policy] : Object.keys(policyMakers);
  for (const name of policies) if (!policyMakers[name]) throw new Error(`unknown policy '${name}' (known: ${Object.keys(policyMakers).join(', ')})`);
  const number = (key: string): number | undefined => {
    if (values[key] === undefined) return undefined;
    const n = Number(values[key]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a number ≥ 0 (got '${values[key]}')`);
    return n;
  };
  const seed = number('seed') ?? 1;
  if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number (got ${seed})`);
  return {
    trace: values.trace,
    policies,
    target,
    plot: values.plot,
    instanceHourUsd: number('instance-hour-usd') ?? PRICES.ec2.c7gLargeSpotHour,
    options: {
      recordTimeline: values.plot !== undefined,
      seed,
      bootSeconds: number('boot-seconds'),
      metricLagSeconds: number('metric-lag-seconds'),
      interruptionsPerInstanceHour: number('interruptions-per-hour'),
    },
  };
}

/** Loads and validates a trace file. */
export function loadTrace(file: string): TraceJob[] {
  let trace: unknown;
  try {
    trace = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read trace ${file}: ${(error as Error).message}`);
  }
  const problems = validateTrace(trace);
  if (problems.length > 0) throw new Error(`invalid trace ${file}: ${problems.join('; ')}`);
  return trace as TraceJob[];
}

export function run(argv: string[]): RunOutput {
  const args = parseArgs(argv);
  const trace = loadTrace(args.trace);
  const policies = policiesFor(args.target);
  const results: Record<string, SimResult & { costUsd: number }> = {};
  for (const name of args.policies) {
    const result = simulate(trace, policies[name](), args.options);
    results[name] = { ...result, costUsd: Math.round(result.instanceHours * args.instanceHourUsd * 100) / 100 };
  }
  if (args.plot) {
    fs.writeFileSync(args.plot, plotSvg(`${args.trace.split('/').pop()} on ${args.target} (seed ${args.options.seed}, $${args.instanceHourUsd}/instance-hour)`, results));
    for (const result of Object.values(results)) delete (result as { timeline?: unknown }).timeline;
  }
  const capacity = Math.max(1, ...Object.values(results).map((r) => r.peakCapacity));
  return {
    trace: args.trace,
    jobs: trace.length,
    seed: args.options.seed,
    target: args.target,
    workInstanceHours: workInstanceHours(trace),
    floor: fifoFloor(trace, capacity, args.options.bootSeconds ?? DEFAULT_BOOT_SECONDS),
    results,
    instanceHourUsd: args.instanceHourUsd,
  };
}

if (require.main === module) {
  try {
    process.stdout.write(`${JSON.stringify(run(process.argv.slice(2)), null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`bench:autoscaler: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
