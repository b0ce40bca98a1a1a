/**
 * The benchmark's done-criterion, as pure functions over medians (issue #14):
 * - the default preset kills no job run by scale-in (the runs it redoes are the ones Spot interruptions kill);
 * - every baseline configuration is beaten by some preset of ours by a margin on one axis and no worse on
 *   the other: p95 wait ≤ 0.5× its p95 (or ≤ 1.15× the floor) at ≤ 1.05× its instance-hours, or
 *   instance-hours ≤ 0.8× its at a p95 no worse than its own.
 */
import { median } from '../stats';
import type { RunOutput } from './cli';
import type { SimResult } from './simulator';

export const MARGINS = {
  /** "Much faster": at most this share of the baseline's p95 ... */
  waitRatio: 0.5,
  /** ... or within this factor of the floor ... */
  floorRatio: 1.15,
  /** ... for at most this share of its instance-hours. */
  waitCostSlack: 1.05,
  /** "Much cheaper": at most this share of the baseline's instance-hours, at a p95 no worse. */
  costRatio: 0.8,
} as const;

/** The figures the criterion reads, each the median over seeds. */
export interface MedianFigures {
  readonly p50WaitSeconds: number;
  readonly p95WaitSeconds: number;
  readonly instanceHours: number;
  readonly lostJobs: number;
  readonly runsKilledByScaleIn: number;
  readonly spotInterruptions: number;
  readonly peakCapacity: number;
}

/** Medians of every policy's figures, the floor's p95 and the work, over runs of one trace with different seeds. */
export interface TraceMedians {
  readonly trace: string;
  readonly jobs: number;
  readonly seeds: number[];
  readonly workInstanceHours: number;
  readonly floorP95WaitSeconds: number;
  readonly floorCapacity: number;
  readonly policies: Record<string, MedianFigures>;
  /** Most runs any single seed saw a policy's scale-in kill (the criterion wants 0 for the default, not just a median of 0). */
  readonly worstRunsKilledByScaleIn: Record<string, number>;
}

export function medians(outputs: readonly RunOutput[]): TraceMedians {
  if (outputs.length === 0) throw new Error('medians of no runs');
  const names = Object.keys(outputs[0].results);
  const figure = (name: string, key: keyof MedianFigures) => median(outputs.map((o) => (o.results[name] as SimResult)[key] as number));
  const policies: Record<string, MedianFigures> = {};
  const worst: Record<string, number> = {};
  for (const name of names) {
    policies[name] = {
      p50WaitSeconds: figure(name, 'p50WaitSeconds'),
      p95WaitSeconds: figure(name, 'p95WaitSeconds'),
      instanceHours: figure(name, 'instanceHours'),
      lostJobs: figure(name, 'lostJobs'),
      runsKilledByScaleIn: figure(name, 'runsKilledByScaleIn'),
      spotInterruptions: figure(name, 'spotInterruptions'),
      peakCapacity: figure(name, 'peakCapacity'),
    };
    worst[name] = Math.max(...outputs.map((o) => o.results[name].runsKilledByScaleIn));
  }
  return {
    trace: outputs[0].trace,
    jobs: outputs[0].jobs,
    seeds: outputs.map((o) => o.seed),
    workInstanceHours: outputs[0].workInstanceHours,
    floorP95WaitSeconds: median(outputs.map((o) => o.floor.p95WaitSeconds)),
    floorCapacity: median(outputs.map((o) => o.floor.capacity)),
    policies,
    worstRunsKilledByScaleIn: worst,
  };
}

/** How `ours` beats `baseline`, or undefined when it does not (by the margins above). */
export function beats(ours: MedianFigures, baseline: MedianFigures, floorP95WaitSeconds: number): 'wait' | 'cost' | undefined {
  const fastEnough =
    ours.p95WaitSeconds <= MARGINS.waitRatio * baseline.p95WaitSeconds || ours.p95WaitSeconds <= MARGINS.floorRatio * floorP95WaitSeconds;
  if (fastEnough && ours.instanceHours <= MARGINS.waitCostSlack * baseline.instanceHours) return 'wait';
  if (ours.instanceHours <= MARGINS.costRatio * baseline.instanceHours && ours.p95WaitSeconds <= baseline.p95WaitSeconds) return 'cost';
  return undefined;
}

export interface Verdict {
  readonly trace: string;
  readonly baseline: string;
  /** The presets that beat it, with the axis. */
  readonly beatenBy: { preset: string; axis: 'wait' | 'cost' }[];
}

export interface CheckResult {
  readonly verdicts: Verdict[];
  /** Every way the criterion fails, in words; empty when it holds. */
  readonly failures: string[];
}

/** Applies the criterion to one trace's medians; `defaultPreset` is the row that must kill nothing. */
export function check(m: TraceMedians, presets: readonly string[], baselines: readonly string[], defaultPreset: string): CheckResult {
  const failures: string[] = [];
  for (const name of [...presets, ...baselines]) if (!m.policies[name]) failures.push(`${m.trace}: '${name}' did not run`);
  if (failures.length > 0) return { verdicts: [], failures };
  if (!m.policies[defaultPreset]) failures.push(`${m.trace}: the default preset '${defaultPreset}' did not run`);
  else if (m.worstRunsKilledByScaleIn[defaultPreset] > 0) {
    failures.push(`${m.trace}: the default preset '${defaultPreset}' killed ${m.worstRunsKilledByScaleIn[defaultPreset]} job runs by scale-in (seed worst case)`);
  }
  const verdicts = baselines.map((baseline) => {
    const beatenBy = presets.flatMap((preset) => {
      const axis = beats(m.policies[preset], m.policies[baseline], m.floorP95WaitSeconds);
      return axis ? [{ preset, axis }] : [];
    });
    if (beatenBy.length === 0) {
      const b = m.policies[baseline];
      failures.push(`${m.trace}: no preset beats ${baseline} (p95 ${b.p95WaitSeconds} s, ${b.instanceHours} instance-hours)`);
    }
    return { trace: m.trace, baseline, beatenBy };
  });
  return { verdicts, failures };
}
