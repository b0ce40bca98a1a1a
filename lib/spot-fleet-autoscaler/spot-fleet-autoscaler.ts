import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUE_DEPTH_PRESETS, QueueDepthPolicy } from '../../contracts/queue-depth-policy';
import { ENV } from '../../contracts/spot-fleet-autoscaler/config';
import { WORKER_CLI_ENV, workerScaleIn } from '../../contracts/spot-fleet-autoscaler/worker-env';
import { acknowledgeCompliancePackFindings, AlarmOverrides, AlarmTuning, applyAlarmActions, countAlarm, defaultAlarmAgain, functionThrottleAlarm, PrebundledFunction, wantsDashboard } from '../core';
import { newSpotFleetAutoscalerDashboard } from './dashboard';
import { withFunctionOptions } from '../core/builders';
import { grantAutoscalerAccess } from './permissions';
import { ScalingPreset, ScalingPresetSettings, SpotFleetAutoscalerProps } from './props';
import { ScaleInMode, ScalingTarget, ScalingTargetConfig, ScalingTargetKind } from './scaling-target';
import { validateProps, validateScaleInMode } from './validation';
import { WorkerSpotFleet } from './worker-spot-fleet';
import { fitDescriptionsToAwsLimits } from '../core/limits';

const SERVICE_NAME = 'spot-fleet-autoscaler';

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
    const validated = validateProps(this, props);
    this.preset = validated.preset;
    this.policy = validated.policy;
    this.workerIdleSeconds = validated.workerIdleSeconds;

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
    // The target's kind (and so the allowed modes) is known only once it is bound.
    validateScaleInMode(this, this.target, this.scaleInMode);
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
      logEncryptionKey: props.logEncryptionKey,
    }, props.autoscalerFunctionProps));
    this.autoscalerFunction = this.handler.function;
    this.function = this.autoscalerFunction;
    // A failed run is not retried: the next tick a minute later reads fresh numbers, and retries could
    // overlap with it (two runs racing on the same target).
    this.autoscalerFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    this.targetPolicy = grantAutoscalerAccess(this, this.handler.role, props.queue, this.target);

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
    // HIPAA, NIST 800-53 r5, PCI DSS 3.2.1 and Serverless findings on what this construct created (docs/compliance.md).
    acknowledgeCompliancePackFindings(this);
    fitDescriptionsToAwsLimits(this);
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
