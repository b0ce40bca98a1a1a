import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_QUEUE_DEPTH_POLICY, QUEUE_DEPTH_PRESETS, QueueDepthPolicy, validateQueueDepthPolicy } from '../../contracts/queue-depth-policy';
import { ENV } from '../../contracts/spot-fleet-autoscaler/config';
import { WORKER_CLI_ENV, workerScaleIn } from '../../contracts/spot-fleet-autoscaler/worker-env';
import { acknowledgePolicyWildcards, PrebundledFunction, regionMismatches } from '../core';
import { AlarmOverrides } from '../core/alarm-overrides';
import { validateFunctionOptions, withFunctionOptions } from '../core/builders';
import { FunctionOptions } from '../core/function-options';
import { AlarmTuning, applyAlarmActions, countAlarm, defaultAlarmAgain, functionThrottleAlarm, MonitoringProps, wantsDashboard } from '../core/monitoring';
import { PropsValidator } from '../core/props-validator';
import { newSpotFleetAutoscalerDashboard } from './dashboard';
import { ScaleInMode, ScalingTarget, ScalingTargetConfig, ScalingTargetKind } from './scaling-target';
import { WorkerFleetOptions, WorkerSpotFleet } from './worker-spot-fleet';

export type { QueueDepthPolicy } from '../../contracts/queue-depth-policy';

/** Props for {@link SpotFleetAutoscaler}. */
export interface SpotFleetAutoscalerProps extends MonitoringProps {
  /** The queue the workers consume; its depth (visible + in flight) drives the pool's size. */
  readonly queue: sqs.IQueue;
  /**
   * An existing pool to size: `ScalingTarget.spotFleetRequest('sfr-...')`, `.autoScalingGroup(group)`,
   * `.ecsService(service)` or `.workerSpotFleet(fleet)`. Give exactly one of `target` and `fleet`.
   * @default - none: `fleet` must be given
   */
  readonly target?: ScalingTarget;
  /**
   * Create a Spot Fleet of workers for this queue ({@link WorkerSpotFleet}) and size it.
   * Give exactly one of `target` and `fleet`.
   * @default - none: `target` must be given
   */
  readonly fleet?: WorkerFleetOptions;
  /**
   * How eagerly the pool follows its queue: sets `backlogPerWorker`, `scaleInCooldown`,
   * `idleBeforeScaleIn`, `scaleInHysteresisWorkers` and `workerIdleTimeout` (each prop given overrides the
   * preset's value). Measured in docs/spot-fleet-autoscaler.md.
   * @default ScalingPreset.BALANCED
   */
  readonly preset?: ScalingPreset;
  /**
   * Backlog (visible + in-flight messages) one worker should own: desired = ceil(backlog ÷ this).
   * For one message per worker at a time, 1; for workers with N parallel slots, N.
   * @default - the preset's: 1 (balanced, latency-first), 4 (cost-first)
   */
  readonly backlogPerWorker?: number;
  /**
   * Fewest workers. 0 lets the pool scale to zero after `idleBeforeScaleIn`.
   * @default 0
   */
  readonly minWorkers?: number;
  /**
   * Most workers.
   * @default 10
   */
  readonly maxWorkers?: number;
  /**
   * Time after any capacity change before the pool may shrink. Scale-out never waits.
   * @default - the preset's: 5 min (balanced), 2 min (cost-first), 10 min (latency-first)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * Time the queue must stay empty before the pool shrinks to `minWorkers`.
   * @default - the preset's: 5 min (balanced), 1 min (cost-first), 10 min (latency-first)
   */
  readonly idleBeforeScaleIn?: Duration;
  /**
   * Shrink only when the target is at least this many workers below the current size (hysteresis).
   * @default - the preset's: 1 (balanced, cost-first), 2 (latency-first)
   */
  readonly scaleInHysteresisWorkers?: number;
  /**
   * How the pool shrinks. The default never kills a busy worker: a Spot Fleet is lowered with
   * `noTermination` and its workers exit when idle; an Auto Scaling group's or ECS service's workers
   * protect themselves while busy. `TERMINATE_INSTANCES` is an explicit opt-in for workers that cannot
   * cooperate (busy workers are killed; their jobs run again).
   * @default - WORKERS_EXIT_WHEN_IDLE for a Spot Fleet, PROTECT_BUSY_WORKERS for an Auto Scaling group or ECS service
   */
  readonly scaleInMode?: ScaleInMode;
  /**
   * How often the autoscaler runs (whole minutes, 1 to 60). The same way LambdaEcsWorker's reconciler is scheduled
   * (`reconcileInterval`).
   * @default Duration.minutes(1)
   */
  readonly scalingInterval?: Duration;
  /**
   * How long a worker waits without a message before it exits (Spot Fleet) or releases its scale-in
   * protection (Auto Scaling group, ECS service). Passed to the workers as `WORKER_IDLE_SECONDS`
   * (`workerEnvironment`; set in a created fleet's user data). Keep it ≥ the schedule's interval.
   * @default - the preset's: 3 min (balanced), 1 min (cost-first), 10 min (latency-first)
   */
  readonly workerIdleTimeout?: Duration;
  /**
   * How often the autoscaler runs.
   * @deprecated use `scalingInterval` (a Duration); giving both is an error
   * @default events.Schedule.rate(Duration.minutes(1))
   */
  readonly schedule?: events.Schedule;
  /**
   * Settings of the autoscaler function, merged over its defaults (256 MiB, 30 s, Graviton).
   * @default - the defaults
   */
  readonly autoscalerFunctionProps?: FunctionOptions;
  /**
   * Only log decisions and emit metrics; never change capacity or write state tags.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * CloudWatch namespace of the decision metrics.
   * @default 'CdkComputePatterns/Autoscaler'
   */
  readonly metricNamespace?: string;
  /**
   * Value of the `Autoscaler` dimension of the decision metrics.
   * @default - a name unique to this construct in the app
   */
  readonly autoscalerName?: string;
}

const SERVICE_NAME = 'spot-fleet-autoscaler';

/** Named trade-offs between wait and cost (the presets of the shared queue-depth policy). */
export enum ScalingPreset {
  /** Fewest instance-hours: four messages per worker (jobs queue a little), shrink and leave a minute after the queue empties. */
  COST_FIRST = 'cost-first',
  /** One message per worker, five quiet minutes before shrinking, workers leave after 3 idle minutes. */
  BALANCED = 'balanced',
  /** Shortest waits: one message per worker, workers kept ten minutes after the queue empties. */
  LATENCY_FIRST = 'latency-first',
}

/** The settings a {@link ScalingPreset} stands for. */
export interface ScalingPresetSettings {
  /** What it trades, in one line. */
  readonly summary: string;
  /** Backlog one worker owns. */
  readonly backlogPerWorker: number;
  /** No shrinking this long after a change. */
  readonly scaleInCooldown: Duration;
  /** The queue stays empty this long before the pool shrinks to its minimum. */
  readonly idleBeforeScaleIn: Duration;
  /** Shrink only this many workers below the current size or more. */
  readonly scaleInHysteresisWorkers: number;
  /** A worker exits or releases its protection after this long without a message. */
  readonly workerIdleTimeout: Duration;
}

/**
 * Sizes a worker pool from the depth of the queue it consumes, every minute, with the house's
 * queue-depth policy (backlog-per-worker target tracking, wake from zero at once, scale to zero after an
 * idle period, scale-in cooldown and hysteresis). Targets: a Spot Fleet it creates or an existing one,
 * an EC2 Auto Scaling group, or an ECS service.
 */
export class SpotFleetAutoscaler extends Construct {
  /** The autoscaler function. */
  public readonly autoscalerFunction: lambda.Function;
  /**
   * The scheduled handler.
   * @deprecated the same function as `autoscalerFunction`; use `autoscalerFunction` (its `role` and `logGroup`)
   */
  public readonly handler: PrebundledFunction;
  /**
   * The Lambda function.
   * @deprecated the same function as `autoscalerFunction`; use `autoscalerFunction`
   */
  public readonly function: lambda.Function;
  /** Every alarm this construct created (`addErrorAlarm` adds to it); all get `alarmActions`. */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** Fires when runs fail three 5-minute periods in a row: the pool is no longer sized to the queue. */
  public errorAlarm?: cloudwatch.Alarm;
  /** Fires when the autoscaler function is throttled (runs are skipped). */
  public readonly throttleAlarm: cloudwatch.Alarm;
  /** The pattern's dashboard, unless `dashboard` is false. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The EventBridge rule that runs it. */
  public readonly rule: events.Rule;
  /** The consumed queue. */
  public readonly queue: sqs.IQueue;
  /** The fleet the construct created, when `fleet` was given. */
  public readonly workerFleet?: WorkerSpotFleet;
  /** The bound target (kind, id, permissions). */
  public readonly target: ScalingTargetConfig;
  /** The effective policy, as the handler receives it. */
  public readonly policy: QueueDepthPolicy;
  /** The policy that grants the handler its rights on the target. */
  public readonly targetPolicy: iam.Policy;
  /** Namespace of the decision metrics. */
  public readonly metricNamespace: string;
  /** Value of the `Autoscaler` metric dimension. */
  public readonly autoscalerName: string;
  /** Whether the autoscaler only logs. */
  public readonly dryRun: boolean;
  /** How the pool shrinks. */
  public readonly scaleInMode: ScaleInMode;
  /** The preset the policy starts from. */
  public readonly preset: ScalingPreset;
  /** Seconds a worker waits idle before it exits or releases its protection. */
  public readonly workerIdleSeconds: number;
  /**
   * What the workers need to cooperate with this autoscaler's scale-in, as environment variables for
   * `assets/spot-fleet-worker/queue-worker.js`: `WORKER_SCALE_IN` (workers-exit, protect-instance,
   * protect-task or none) and `WORKER_IDLE_SECONDS`. A created fleet's user data exports them; put them in
   * your launch template or container otherwise.
   */
  public readonly workerEnvironment: { [name: string]: string };

  /** The settings behind a preset. */
  public static presetSettings(preset: ScalingPreset): ScalingPresetSettings {
    const p = QUEUE_DEPTH_PRESETS[preset];
    return {
      summary: p.summary,
      backlogPerWorker: p.backlogPerWorker,
      scaleInCooldown: Duration.seconds(p.scaleInCooldownSeconds),
      idleBeforeScaleIn: Duration.seconds(p.idleSecondsBeforeScaleIn),
      scaleInHysteresisWorkers: p.scaleInHysteresisWorkers,
      workerIdleTimeout: Duration.seconds(p.workerIdleSeconds),
    };
  }

  constructor(scope: Construct, id: string, props: SpotFleetAutoscalerProps) {
    super(scope, id);
    const v = new PropsValidator(this, 'SpotFleetAutoscaler');
    this.preset = props.preset ?? ScalingPreset.BALANCED;
    const preset = QUEUE_DEPTH_PRESETS[this.preset];
    if (!preset) v.problem(`\`preset\` must be one of ${Object.values(ScalingPreset).join(', ')} (got '${props.preset}')`);
    this.policy = {
      backlogPerWorker: props.backlogPerWorker ?? preset?.backlogPerWorker,
      minWorkers: props.minWorkers ?? DEFAULT_QUEUE_DEPTH_POLICY.minWorkers,
      maxWorkers: props.maxWorkers ?? DEFAULT_QUEUE_DEPTH_POLICY.maxWorkers,
      scaleInCooldownSeconds: v.duration('scaleInCooldown', props.scaleInCooldown) ?? preset?.scaleInCooldownSeconds,
      idleSecondsBeforeScaleIn: v.duration('idleBeforeScaleIn', props.idleBeforeScaleIn) ?? preset?.idleSecondsBeforeScaleIn,
      scaleInHysteresisWorkers: props.scaleInHysteresisWorkers ?? preset?.scaleInHysteresisWorkers,
    };
    this.workerIdleSeconds = v.duration('workerIdleTimeout', props.workerIdleTimeout, { min: Duration.seconds(1) }) ?? preset?.workerIdleSeconds;
    if (preset) v.problems(validateQueueDepthPolicy(this.policy, Token.isUnresolved).map(toPropNames));
    v.problems(
      regionMismatches(this, [
        { prop: 'queue', arn: props.queue.queueArn, why: "the autoscaler reads the queue's depth with an SQS client of its own region" },
      ]),
    );
    if ((props.target === undefined) === (props.fleet === undefined)) {
      v.problem('give exactly one of `target` (an existing pool) and `fleet` (a Spot Fleet to create)');
    }
    v.duration('scalingInterval', props.scalingInterval, { min: Duration.minutes(1), max: Duration.hours(1), unit: 'minutes' });
    if (props.scalingInterval && props.schedule) v.problem('`schedule` is the deprecated form of `scalingInterval`, and both are given: give only `scalingInterval`');
    validateFunctionOptions(v, 'autoscalerFunctionProps', props.autoscalerFunctionProps, {
      reservedEnvironment: [...Object.values(ENV), 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME'],
    });
    v.throwIfInvalid();

    this.queue = props.queue;
    this.dryRun = props.dryRun ?? false;
    this.metricNamespace = props.metricNamespace ?? 'CdkComputePatterns/Autoscaler';
    this.autoscalerName = props.autoscalerName ?? Names.uniqueId(this);
    // A created fleet's user data carries the worker environment, which depends on the mode: a Spot
    // Fleet's default mode is known before the fleet exists.
    const fleetMode = props.scaleInMode ?? ScaleInMode.WORKERS_EXIT_WHEN_IDLE;
    if (props.fleet) {
      this.workerFleet = new WorkerSpotFleet(this, 'Fleet', {
        ...props.fleet,
        initialCapacity: props.fleet.initialCapacity ?? this.policy.minWorkers,
        queue: props.queue,
        workerEnvironment: {
          [WORKER_CLI_ENV.scaleIn]: workerScaleIn(ScalingTargetKind.SPOT_FLEET, fleetMode),
          [WORKER_CLI_ENV.idleSeconds]: String(this.workerIdleSeconds),
          [WORKER_CLI_ENV.shutdownOnIdle]: String(fleetMode === ScaleInMode.WORKERS_EXIT_WHEN_IDLE),
        },
      });
    }
    const target = props.target ?? ScalingTarget.workerSpotFleet(this.workerFleet!);
    this.target = target.bind(this);
    this.scaleInMode = props.scaleInMode ?? this.target.defaultScaleInMode;
    if (!this.target.scaleInModes.includes(this.scaleInMode)) {
      v.problem(
        `\`scaleInMode\` ${modeName(this.scaleInMode)} does not apply to a ${this.target.kind} target ` +
          `(use ${this.target.scaleInModes.map(modeName).join(' or ')}): a Spot Fleet shrinks by workers exiting when idle, ` +
          'an Auto Scaling group or ECS service by protecting busy workers',
      );
    }
    // The target's kind (and so the allowed modes) is known only once it is bound.
    v.throwIfInvalid();
    target.prepareWorkers(this, this.scaleInMode);
    this.workerEnvironment = {
      [WORKER_CLI_ENV.scaleIn]: workerScaleIn(this.target.kind, this.scaleInMode),
      [WORKER_CLI_ENV.idleSeconds]: String(this.workerIdleSeconds),
    };

    this.handler = new PrebundledFunction(this, 'Handler', withFunctionOptions({
      assetName: 'spot-fleet-autoscaler',
      description: `Sizes ${this.target.kind} ${this.node.path} from queue depth`,
      timeout: Duration.seconds(30),
      environment: {
        [ENV.targetKind]: this.target.kind,
        [ENV.targetId]: this.target.targetId,
        ...(this.target.clusterName ? { [ENV.cluster]: this.target.clusterName } : {}),
        [ENV.queueUrl]: props.queue.queueUrl,
        [ENV.policy]: Stack.of(this).toJsonString(this.policy),
        [ENV.dryRun]: String(this.dryRun),
        [ENV.scaleInMode]: this.scaleInMode,
        // The preset is already resolved into the policy; the handler logs its name with each decision.
        [ENV.preset]: this.preset,
        [ENV.autoscalerName]: this.autoscalerName,
        POWERTOOLS_METRICS_NAMESPACE: this.metricNamespace,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      },
    }, props.autoscalerFunctionProps));
    this.autoscalerFunction = this.handler.function;
    this.function = this.autoscalerFunction;
    // A failed run is not retried: the next tick a minute later reads fresh numbers, and retries could
    // overlap with it (two runs racing on the same target).
    this.autoscalerFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    // Depth straight from SQS (no CloudWatch lag): GetQueueAttributes on this queue only.
    this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: [props.queue.queueArn] }));
    this.targetPolicy = new iam.Policy(this, 'TargetPolicy', { roles: [this.handler.role], statements: this.target.statements });
    if (this.target.wildcardReason) acknowledgePolicyWildcards(this.targetPolicy, this.target.wildcardReason);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Runs the queue-depth autoscaler ${this.node.path}`,
      schedule: props.scalingInterval ? events.Schedule.rate(props.scalingInterval) : (props.schedule ?? events.Schedule.rate(Duration.minutes(1))),
      targets: [new targets.LambdaFunction(this.autoscalerFunction, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    const tuning = new AlarmTuning(`SpotFleetAutoscaler '${this.node.path}'`, props.alarmOverrides);
    this.addErrorAlarm('ErrorAlarm', tuning.for('ErrorAlarm'));
    this.throttleAlarm = functionThrottleAlarm(this, 'ThrottleAlarm', this.autoscalerFunction, tuning.for('ThrottleAlarm'));
    this.alarms.push(this.throttleAlarm);
    tuning.assertAllKnown();
    applyAlarmActions(this, props.alarmActions);
    if (wantsDashboard(props)) this.dashboard = newSpotFleetAutoscalerDashboard(this);
  }

  /** A decision metric the handler emits every run (EMF), with this autoscaler's dimensions. */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName,
      dimensionsMap: { service: SERVICE_NAME, Autoscaler: this.autoscalerName },
      period: Duration.minutes(1),
      statistic: 'Maximum',
      ...props,
    });
  }

  /** Backlog the autoscaler saw (visible + in-flight messages). */
  public metricBacklog(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Backlog', props);
  }

  /** The pool's capacity before each decision. */
  public metricCurrentCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CurrentCapacity', props);
  }

  /** The capacity the policy wanted. */
  public metricDesiredCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DesiredCapacity', props);
  }

  /** Capacity changes made (0 or 1 per run; Sum over a period counts them). */
  public metricCapacityChanges(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CapacityChanges', { statistic: 'Sum', ...props });
  }

  /** Failed runs (e.g. the target was deleted or permissions are missing). */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.autoscalerFunction.metricErrors({ period: Duration.minutes(5), ...props });
  }

  /**
   * An alarm that fires when runs fail for `evaluationPeriods` periods in a row (default 3 × 5 min). The
   * construct makes `ErrorAlarm` by default (change it with `alarmOverrides`); calling this again with that
   * id and no changes returns it.
   */
  public addErrorAlarm(id = 'ErrorAlarm', props: AlarmOverrides = {}): cloudwatch.Alarm {
    const again = defaultAlarmAgain(this, id, props);
    if (again) return again;
    const alarm = countAlarm(this, id, this.metricErrors(),
      `The autoscaler ${this.node.path} fails: its pool is no longer sized to the queue.`, { evaluationPeriods: 3 }, props);
    this.errorAlarm ??= alarm;
    this.alarms.push(alarm);
    return alarm;
  }
}

const modeName = (mode: ScaleInMode) => Object.entries(ScaleInMode).find(([, value]) => value === mode)?.[0] ?? String(mode);

/** The policy speaks in seconds; these props take Durations. Keep the messages in the user's terms. */
function toPropNames(message: string): string {
  return message
    .replace('`scaleInCooldownSeconds`', '`scaleInCooldown` (in whole seconds)')
    .replace('`idleSecondsBeforeScaleIn`', '`idleBeforeScaleIn` (in whole seconds)');
}
