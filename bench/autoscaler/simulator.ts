/**
 * A discrete-event simulator of a queue-driven worker pool, to compare scaling policies on an arrival trace.
 * Pure and deterministic: no clock, no I/O; all randomness (Spot interruptions, which instance a scale-in
 * removes) comes from a seeded PRNG, so the same trace, policy and seed give the same result.
 *
 * Model (see docs/spot-fleet-autoscaler.md, "Simulator"):
 * - Jobs arrive per the trace, wait in a FIFO queue, and run one at a time on a worker for their duration.
 * - The pool has a target capacity (a `maintain` Spot Fleet, an ASG's desired capacity, an ECS desired count).
 *   A new instance boots for `bootSeconds` before it takes work; it is billed from launch to termination.
 * - How the pool shrinks is the target's scale-in model (`SimPolicy.scaleIn`):
 *   - `terminate` (a Spot Fleet with its default ExcessCapacityTerminationPolicy, an ECS service or an Auto
 *     Scaling group whose workers do not protect themselves): the target picks its victims at random among
 *     live instances, busy or not;
 *   - `workers-exit` (a Spot Fleet lowered with `noTermination`): nobody is terminated; a worker idle for
 *     `idleExitSeconds` shuts its instance down, and the fleet replaces it only while it is below target;
 *   - `protect-busy` (an Auto Scaling group with instance scale-in protection, an ECS service with task
 *     scale-in protection): a worker is protected from its first message until it has been idle for
 *     `releaseAfterIdleSeconds`; the target removes only unprotected instances (booting ones first, then idle
 *     ones at random), and an instance that releases its protection while the pool is above target goes at once.
 *   A terminated busy worker (scale-in or Spot interruption) gets a 2-minute notice: it returns its
 *   in-flight message at once (the spot-interruption helper), takes no more work and is gone 120 s later.
 *   That job run is counted as killed (its work is lost; the job goes back to the queue and runs again).
 * - Spot interruptions hit each running instance as a Poisson process (`interruptionsPerInstanceHour`); a
 *   `maintain` pool replaces interrupted capacity at once.
 * - Every 60 s the queue's ApproximateNumberOfMessagesVisible and the pool's CPUUtilization (busy ÷ running
 *   workers × 100: the jobs are CPU-bound; no datapoint while nothing runs) are recorded as 1-minute CloudWatch
 *   datapoints; policies that read CloudWatch see only datapoints older than `metricLagSeconds`. Policies that
 *   read SQS directly see the queue as it is.
 * - The floor (`fifoFloor`): the p95 wait of FIFO scheduling on a fixed pool, all of it booted `bootSeconds`
 *   after the first arrival, never interrupted: no scaling policy with at most that capacity can do better.
 */

import { ScaleInMode } from '../../contracts/spot-fleet-autoscaler/config';

/** One job of a trace. */
export interface TraceJob {
  /** Seconds from the start of the trace. */
  readonly arrivalSeconds: number;
  /** How long one worker needs for it, in seconds. */
  readonly durationSeconds: number;
}

/** What a policy may look at when it runs. */
export interface PolicyView {
  readonly nowSeconds: number;
  /** SQS ApproximateNumberOfMessages right now (direct read, no lag). */
  readonly visibleMessages: number;
  /** SQS ApproximateNumberOfMessagesNotVisible right now (jobs being worked on). */
  readonly inFlightMessages: number;
  /** The pool's target capacity now. */
  readonly currentCapacity: number;
  /**
   * The 1-minute CloudWatch datapoints of `metric` in the `windowSeconds` before (now − metric lag), oldest
   * first; empty when none is visible yet.
   */
  cloudWatch(metric: CloudWatchMetric, windowSeconds: number): number[];
}

/** The CloudWatch metrics the simulator records (1-minute datapoints). */
export type CloudWatchMetric = 'ApproximateNumberOfMessagesVisible' | 'CPUUtilization';

/** How a target shrinks (see the model above): the construct's ScaleInMode values. */
export type ScaleInModel = `${ScaleInMode}`;

/** A scaling policy under test: runs every `intervalSeconds`, returns the new target capacity. */
export interface SimPolicy {
  readonly name: string;
  readonly intervalSeconds: number;
  /** Capacity at the start of the simulation. */
  readonly initialCapacity: number;
  /**
   * How the pool shrinks (see the model above).
   * @default 'terminate'
   */
  readonly scaleIn?: ScaleInModel;
  /** For `workers-exit`: idle time after which a worker exits. @default 180 */
  readonly idleExitSeconds?: number;
  /** For `protect-busy`: idle time after which a worker releases its scale-in protection. @default 0 */
  readonly releaseAfterIdleSeconds?: number;
  decide(view: PolicyView): number;
}

export interface SimOptions {
  /** Seed of the PRNG (interruptions, scale-in victims). */
  readonly seed: number;
  /** Return the `timeline` (minute samples and job waits) for plotting. @default false */
  readonly recordTimeline?: boolean;
  /** From launch until a worker takes its first job. @default 90 */
  readonly bootSeconds?: number;
  /** Age a CloudWatch datapoint must have before alarms and metric reads see it. @default 120 */
  readonly metricLagSeconds?: number;
  /** Spot interruptions per running instance-hour. @default 0.02 */
  readonly interruptionsPerInstanceHour?: number;
  /** Time between a termination notice and the instance's end. @default 120 */
  readonly noticeSeconds?: number;
  /** Stop at the latest this long after the last arrival even if work remains. @default 86400 */
  readonly maxDrainSeconds?: number;
}

export interface JobCounts {
  readonly arrived: number;
  readonly done: number;
  readonly waiting: number;
  readonly running: number;
}

export interface SimResult {
  readonly policy: string;
  readonly jobs: JobCounts;
  /** Seconds from arrival to the start of the run that completed the job. */
  readonly p50WaitSeconds: number;
  readonly p95WaitSeconds: number;
  readonly maxWaitSeconds: number;
  /** Launch-to-termination time of every instance, until the simulation ends. */
  readonly instanceHours: number;
  /** Most messages waiting at once. */
  readonly peakBacklog: number;
  /** Job runs killed before finishing (by scale-in or Spot interruption); each job ran again later. */
  readonly lostJobs: number;
  /** Of `lostJobs`, those a scale-in killed (the rest, Spot interruptions). */
  readonly runsKilledByScaleIn: number;
  readonly spotInterruptions: number;
  readonly capacityChanges: number;
  readonly peakCapacity: number;
  /** When the simulation ended: the last job's completion (or the drain limit). */
  readonly endSeconds: number;
  /** With `SimOptions.recordTimeline`: what the plot draws. */
  readonly timeline?: Timeline;
}

/** Minute samples of the queue and the pool, and every completed job's wait at the time it started. */
export interface Timeline {
  readonly samples: { seconds: number; queueDepth: number; running: number; target: number }[];
  readonly waits: { startSeconds: number; waitSeconds: number }[];
}

/** Launch-to-ready time of a worker when the caller gives none. */
export const DEFAULT_BOOT_SECONDS = 90;

/** mulberry32: small, fast, good enough for simulation, and deterministic for a seed. */
export function prng(seed: number): () => number {
  // Scramble the seed first, so that nearby seeds (1, 2, 3...) do not start with similar draws.
  let a = Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type EventKind = 'arrival' | 'booted' | 'finish' | 'interrupt' | 'gone' | 'tick' | 'sample' | 'idle-exit' | 'release';
interface SimEvent {
  readonly time: number;
  readonly seq: number;
  readonly kind: EventKind;
  readonly ref?: number;
}

/** A binary min-heap on (time, seq): equal times run in scheduling order, so runs are reproducible. */
class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;
  get size(): number {
    return this.heap.length;
  }
  push(time: number, kind: EventKind, ref?: number): void {
    const heap = this.heap;
    heap.push({ time, seq: this.seq++, kind, ref });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }
  pop(): SimEvent | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}
const less = (a: SimEvent, b: SimEvent) => a.time < b.time || (a.time === b.time && a.seq < b.seq);

interface Instance {
  readonly id: number;
  readonly launchedAt: number;
  state: 'booting' | 'idle' | 'busy' | 'draining' | 'gone';
  job?: number;
  /** When it last became idle (for `workers-exit` and `protect-busy`). */
  idleSince?: number;
  /** Run counter of the job, to ignore finish events of runs that were killed. */
  run?: number;
  goneAt?: number;
}

interface Job {
  readonly arrival: number;
  readonly duration: number;
  runs: number;
  startedAt?: number;
  done: boolean;
}

/** The p-th percentile (0..100) of sorted values, nearest-rank; 0 for an empty list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Validates a trace; returns every problem found (empty when it is usable). */
export function validateTrace(trace: unknown): string[] {
  if (!Array.isArray(trace)) return ['a trace must be a JSON array of { "arrivalSeconds": n, "durationSeconds": n }'];
  const errors: string[] = [];
  trace.forEach((job, i) => {
    if (errors.length >= 5) return;
    const a = (job as TraceJob)?.arrivalSeconds;
    const d = (job as TraceJob)?.durationSeconds;
    if (typeof a !== 'number' || !Number.isFinite(a) || a < 0) errors.push(`job ${i}: arrivalSeconds must be a number ≥ 0 (got ${JSON.stringify(a)})`);
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) errors.push(`job ${i}: durationSeconds must be a number > 0 (got ${JSON.stringify(d)})`);
  });
  return errors;
}

/** Runs `policy` over `trace`. */
export function simulate(trace: readonly TraceJob[], policy: SimPolicy, options: SimOptions): SimResult {
  const problems = validateTrace(trace);
  if (problems.length > 0) throw new Error(`invalid trace: ${problems.join('; ')}`);
  const bootSeconds = options.bootSeconds ?? DEFAULT_BOOT_SECONDS;
  const metricLag = options.metricLagSeconds ?? 120;
  const interruptRate = (options.interruptionsPerInstanceHour ?? 0.02) / 3600;
  const noticeSeconds = options.noticeSeconds ?? 120;
  const random = prng(options.seed);
  const scaleIn: ScaleInModel = policy.scaleIn ?? 'terminate';
  const idleExitSeconds = policy.idleExitSeconds ?? 180;
  const releaseAfterIdleSeconds = policy.releaseAfterIdleSeconds ?? 0;

  const jobs: Job[] = [...trace]
    .sort((x, y) => x.arrivalSeconds - y.arrivalSeconds)
    .map((j) => ({ arrival: j.arrivalSeconds, duration: j.durationSeconds, runs: 0, done: false }));
  const lastArrival = jobs.length ? jobs[jobs.length - 1].arrival : 0;
  const hardStop = lastArrival + (options.maxDrainSeconds ?? 86_400);
  const events = new EventQueue();
  jobs.forEach((job, i) => events.push(job.arrival, 'arrival', i));

  // The queue holds job indices; a returned message goes to the front (it is the oldest work).
  const queue: number[] = [];
  let queueHead = 0;
  const queued = () => queue.length - queueHead;
  const instances: Instance[] = [];
  const live = () => instances.filter((i) => i.state === 'booting' || i.state === 'idle' || i.state === 'busy');
  const samples: { time: number; values: Partial<Record<CloudWatchMetric, number>> }[] = [];
  const timelineSamples: Timeline['samples'] = [];
  let target = 0;
  let arrived = 0;
  let doneCount = 0;
  let running = 0;
  let peakBacklog = 0;
  let lostJobs = 0;
  let runsKilledByScaleIn = 0;
  let interruptions = 0;
  let capacityChanges = 0;
  let peakCapacity = 0;
  let now = 0;

  const launch = () => {
    const instance: Instance = { id: instances.length, launchedAt: now, state: 'booting' };
    instances.push(instance);
    events.push(now + bootSeconds, 'booted', instance.id);
    const interruptAt = now - Math.log(1 - random()) / interruptRate;
    if (Number.isFinite(interruptAt)) events.push(interruptAt, 'interrupt', instance.id);
  };
  const dispatch = () => {
    for (const instance of instances) {
      if (queued() === 0) break;
      if (instance.state !== 'idle') continue;
      const jobIndex = queue[queueHead++];
      const job = jobs[jobIndex];
      job.runs += 1;
      job.startedAt = now;
      instance.state = 'busy';
      instance.job = jobIndex;
      instance.run = job.runs;
      running += 1;
      events.push(now + job.duration, 'finish', instance.id);
    }
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
  };
  const becomeIdle = (instance: Instance) => {
    instance.state = 'idle';
    instance.idleSince = now;
    if (scaleIn === 'workers-exit') events.push(now + idleExitSeconds, 'idle-exit', instance.id);
    if (scaleIn === 'protect-busy') events.push(now + releaseAfterIdleSeconds, 'release', instance.id);
  };
  /** Scale-in protection (`protect-busy`): held from the first message until idle for releaseAfterIdleSeconds. */
  const unprotected = (instance: Instance) =>
    instance.state === 'booting' || (instance.state === 'idle' && now - instance.idleSince! >= releaseAfterIdleSeconds);
  /** Notice: return the in-flight message, stop taking work, end after the notice period. */
  const drain = (instance: Instance, byScaleIn: boolean) => {
    // A pending instance that never booted is cancelled at once; a running one gets the notice period.
    const endsIn = instance.state === 'booting' ? 0 : noticeSeconds;
    if (instance.state === 'busy') {
      lostJobs += 1;
      if (byScaleIn) runsKilledByScaleIn += 1;
      running -= 1;
      queue.splice(queueHead, 0, instance.job!);
      instance.job = undefined;
    }
    instance.state = 'draining';
    events.push(now + endsIn, 'gone', instance.id);
  };
  const setTarget = (capacity: number) => {
    const next = Math.max(0, Math.floor(capacity));
    if (next !== target) capacityChanges += 1;
    target = next;
    peakCapacity = Math.max(peakCapacity, target);
    reconcile();
  };
  /** A `maintain` pool: launch or remove instances until live capacity equals the target. */
  const reconcile = () => {
    const current = live();
    for (let missing = target - current.length; missing > 0; missing--) launch();
    let excess = scaleIn === 'workers-exit' ? 0 : current.length - target;
    while (excess > 0) {
      const candidates = live();
      if (scaleIn === 'protect-busy') {
        // Protected (busy) instances stay; pending ones go first (nothing to lose), then idle ones.
        const booting = candidates.filter((i) => i.state === 'booting');
        const free = booting.length > 0 ? booting : candidates.filter(unprotected);
        if (free.length === 0) break;
        const victim = free[Math.floor(random() * free.length)];
        // An unprotected instance holds no message: it is terminated without losing work.
        victim.state = 'gone';
        victim.goneAt = now;
      } else {
        drain(candidates[Math.floor(random() * candidates.length)], true);
      }
      excess -= 1;
    }
    dispatch();
  };

  setTarget(policy.initialCapacity);
  events.push(0, 'sample');
  events.push(0, 'tick');

  const allDone = () => doneCount === jobs.length;
  while (events.size > 0) {
    const event = events.pop()!;
    if (event.time > hardStop) break;
    // Once every job is done (and all have arrived), the run is over: what happens next costs nobody anything.
    if (allDone() && event.time >= lastArrival && jobs.length > 0) break;
    now = event.time;
    switch (event.kind) {
      case 'arrival':
        arrived += 1;
        queue.push(event.ref!);
        dispatch();
        peakBacklog = Math.max(peakBacklog, queued());
        break;
      case 'booted': {
        const instance = instances[event.ref!];
        if (instance.state === 'booting') {
          becomeIdle(instance);
          dispatch();
        }
        break;
      }
      case 'finish': {
        const instance = instances[event.ref!];
        if (instance.state !== 'busy' || instance.job === undefined) break;
        const job = jobs[instance.job];
        if (instance.run !== job.runs) break;
        job.done = true;
        doneCount += 1;
        running -= 1;
        becomeIdle(instance);
        instance.job = undefined;
        dispatch();
        break;
      }
      case 'interrupt': {
        const instance = instances[event.ref!];
        if (instance.state === 'gone' || instance.state === 'draining') break;
        interruptions += 1;
        drain(instance, false);
        reconcile(); // maintain: replace the lost capacity
        break;
      }
      case 'idle-exit': {
        // The worker found no message for idleExitSeconds and shut its instance down (no work is lost).
        const instance = instances[event.ref!];
        if (instance.state !== 'idle' || now - instance.idleSince! < idleExitSeconds) break;
        instance.state = 'gone';
        instance.goneAt = now;
        reconcile(); // replaced only if the pool is now below its target
        break;
      }
      case 'release': {
        // The worker released its protection; a pool above target now removes it.
        const instance = instances[event.ref!];
        if (instance.state === 'idle' && unprotected(instance)) reconcile();
        break;
      }
      case 'gone': {
        const instance = instances[event.ref!];
        instance.state = 'gone';
        instance.goneAt = now;
        break;
      }
      case 'sample': {
        const up = instances.filter((i) => i.state === 'idle' || i.state === 'busy');
        const busy = up.filter((i) => i.state === 'busy').length;
        samples.push({
          time: now,
          values: { ApproximateNumberOfMessagesVisible: queued(), ...(up.length > 0 ? { CPUUtilization: (100 * busy) / up.length } : {}) },
        });
        if (options.recordTimeline) timelineSamples.push({ seconds: now, queueDepth: queued(), running: live().length, target });
        events.push(now + 60, 'sample');
        break;
      }
      case 'tick': {
        const view: PolicyView = {
          nowSeconds: now,
          visibleMessages: queued(),
          inFlightMessages: running,
          currentCapacity: target,
          cloudWatch: (metric, windowSeconds) => {
            const end = now - metricLag;
            const points: number[] = [];
            // Newest first from the end: only the last window is read, so long runs stay linear.
            for (let k = samples.length - 1; k >= 0 && samples[k].time > end - windowSeconds; k--) {
              const value = samples[k].values[metric];
              if (samples[k].time <= end && value !== undefined) points.push(value);
            }
            return points.reverse();
          },
        };
        setTarget(policy.decide(view));
        events.push(now + policy.intervalSeconds, 'tick');
        break;
      }
    }
  }

  const end = now;
  const instanceSeconds = instances.reduce((sum, i) => sum + (Math.min(i.goneAt ?? end, end) - i.launchedAt), 0);
  const waits = jobs.filter((j) => j.done).map((j) => j.startedAt! - j.arrival).sort((a, b) => a - b);
  return {
    policy: policy.name,
    jobs: { arrived, done: doneCount, waiting: queued(), running },
    p50WaitSeconds: round(percentile(waits, 50)),
    p95WaitSeconds: round(percentile(waits, 95)),
    maxWaitSeconds: round(waits.length ? waits[waits.length - 1] : 0),
    instanceHours: round(instanceSeconds / 3600, 2),
    peakBacklog,
    lostJobs,
    runsKilledByScaleIn,
    spotInterruptions: interruptions,
    capacityChanges,
    peakCapacity,
    endSeconds: round(end),
    ...(options.recordTimeline
      ? { timeline: { samples: timelineSamples, waits: jobs.filter((j) => j.done).map((j) => ({ startSeconds: j.startedAt!, waitSeconds: j.startedAt! - j.arrival })) } }
      : {}),
  };
}

/** The floor: FIFO scheduling on a fixed pool (see the model above). */
export interface FloorResult {
  /** Workers in the pool. */
  readonly capacity: number;
  readonly p95WaitSeconds: number;
}

/**
 * The p95 wait of FIFO scheduling on `capacity` workers that are all ready `bootSeconds` after the first
 * arrival and never interrupted: what no scaling policy that stays within `capacity` can beat.
 */
export function fifoFloor(trace: readonly TraceJob[], capacity: number, bootSeconds = DEFAULT_BOOT_SECONDS): FloorResult {
  const problems = validateTrace(trace);
  if (problems.length > 0) throw new Error(`invalid trace: ${problems.join('; ')}`);
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`the floor needs a capacity ≥ 1 (got ${capacity})`);
  const jobs = [...trace].sort((x, y) => x.arrivalSeconds - y.arrivalSeconds);
  if (jobs.length === 0) return { capacity, p95WaitSeconds: 0 };
  const freeAt = new Array<number>(capacity).fill(jobs[0].arrivalSeconds + bootSeconds);
  const waits = jobs.map((job) => {
    let soonest = 0;
    for (let w = 1; w < capacity; w++) if (freeAt[w] < freeAt[soonest]) soonest = w;
    const start = Math.max(job.arrivalSeconds, freeAt[soonest]);
    freeAt[soonest] = start + job.durationSeconds;
    return start - job.arrivalSeconds;
  });
  return { capacity, p95WaitSeconds: round(percentile(waits.sort((a, b) => a - b), 95)) };
}

/** The work itself: the sum of the jobs' durations, in instance-hours (no boot, no idle time). */
export function workInstanceHours(trace: readonly TraceJob[]): number {
  return round(trace.reduce((sum, job) => sum + job.durationSeconds, 0) / 3600, 2);
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
