/**
 * Runs scaling policies over an arrival trace and prints ONE JSON object on stdout.
 *
 *   npm run -s bench:autoscaler -- --trace bench/autoscaler/traces/bursty.json [--policy ours] [--seed 7]
 *
 * Trace format: a JSON array of { "arrivalSeconds": n, "durationSeconds": n } (seconds from the start of
 * the trace; how long one worker needs for the job). Options --boot-seconds, --metric-lag-seconds and
 * --interruptions-per-hour change the model (defaults in simulator.ts). Without --policy, every policy runs.
 */
import * as fs from 'fs';
import { POLICIES } from './policies';
import { SimOptions, simulate, TraceJob, validateTrace } from './simulator';

export interface CliArgs {
  readonly trace: string;
  readonly policies: string[];
  readonly options: SimOptions;
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
  const known = ['trace', 'policy', 'seed', 'boot-seconds', 'metric-lag-seconds', 'interruptions-per-hour'];
  for (const key of Object.keys(values)) if (!known.includes(key)) throw new Error(`unknown option --${key} (known: ${known.map((k) => `--${k}`).join(', ')})`);
  if (!values.trace) throw new Error('--trace <file.json> is required');
  const policies = values.policy ? [values.policy] : Object.keys(POLICIES);
  for (const name of policies) if (!POLICIES[name]) throw new Error(`unknown policy '${name}' (known: ${Object.keys(POLICIES).join(', ')})`);
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
    options: {
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

export function run(argv: string[]): object {
  const args = parseArgs(argv);
  const trace = loadTrace(args.trace);
  const results: Record<string, object> = {};
  for (const name of args.policies) results[name] = simulate(trace, POLICIES[name](), args.options);
  return { trace: args.trace, jobs: trace.length, seed: args.options.seed, results };
}

if (require.main === module) {
  try {
    process.stdout.write(`${JSON.stringify(run(process.argv.slice(2)), null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`bench:autoscaler: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
