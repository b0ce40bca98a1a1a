/**
 * Scheduled autoscaler: sizes a worker pool (Spot Fleet, Auto Scaling group or ECS service) from the depth
 * of the queue its workers consume, with the shared queue-depth policy. One run per EventBridge tick:
 * read the queue, read the target, decide (state.ts), apply, log ONE structured line and emit metrics.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AutoscalerConfig, readConfig, ScaleInMode, ScalingTargetKind } from '../../contracts/spot-fleet-autoscaler/config';
import { AutoscalerState, planRun, RunPlan, stateFromTags, tagChanges } from './state';
import { AutoScalingGroupTarget, CapacityTarget, EcsServiceTarget, SpotFleetTarget } from './targets';

export const METRIC_NAMES = {
  backlog: 'Backlog',
  currentCapacity: 'CurrentCapacity',
  desiredCapacity: 'DesiredCapacity',
  capacityChanges: 'CapacityChanges',
} as const;

const logger = new Logger({ serviceName: 'spot-fleet-autoscaler' });
// Namespace from POWERTOOLS_METRICS_NAMESPACE (set by the construct, which builds its metric helpers from it).
const metrics = new Metrics({ serviceName: 'spot-fleet-autoscaler' });
const sqs = new SQSClient({});
const ec2 = new EC2Client({});
const autoscaling = new AutoScalingClient({});
const ecs = new ECSClient({});

/** In dry-run mode nothing is written to the target, so the idle timer lives here (best effort per container). */
let dryRunState: AutoscalerState = {};

function targetFor(config: AutoscalerConfig): CapacityTarget {
  switch (config.targetKind) {
    case ScalingTargetKind.SPOT_FLEET:
      return new SpotFleetTarget(ec2, config.targetId, config.scaleInMode === ScaleInMode.TERMINATE_INSTANCES);
    case ScalingTargetKind.AUTO_SCALING_GROUP:
      return new AutoScalingGroupTarget(autoscaling, config.targetId);
    case ScalingTargetKind.ECS_SERVICE:
      return new EcsServiceTarget(ecs, config.cluster!, config.targetId);
  }
}

async function queueDepth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const read = (name: 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible') => {
    const value = Number(out.Attributes?.[name]);
    if (!Number.isFinite(value)) throw new Error(`GetQueueAttributes returned no numeric ${name} for ${queueUrl}`);
    return value;
  };
  return { visible: read('ApproximateNumberOfMessages'), inFlight: read('ApproximateNumberOfMessagesNotVisible') };
}

/** One autoscaling run. Exported for tests; `now` is injectable for the same reason. */
export async function handler(_event?: unknown, _context?: unknown, now: () => number = Date.now): Promise<RunPlan> {
  const config = readConfig(process.env);
  const target = targetFor(config);
  metrics.addDimension('Autoscaler', config.autoscalerName);
  try {
    // Both reads first and together: the decision compares numbers taken at the same moment.
    const [depth, snapshot] = await Promise.all([queueDepth(config.queueUrl), target.describe()]);
    const nowSeconds = Math.floor(now() / 1000);
    const previous = config.dryRun ? dryRunState : stateFromTags(snapshot.tags);
    const plan = planRun(
      config.policy,
      previous,
      {
        visibleMessages: depth.visible,
        inFlightMessages: depth.inFlight,
        currentCapacity: snapshot.currentCapacity,
        busyReason: snapshot.busyReason,
        minCapacity: snapshot.minCapacity,
        maxCapacity: snapshot.maxCapacity,
        nowSeconds,
      },
      config.dryRun,
    );
    if (plan.apply) await target.setCapacity(plan.desiredCapacity);
    logger.info('scaling decision', {
      target: target.description,
      backlog: plan.decision.backlog,
      visible: depth.visible,
      inFlight: depth.inFlight,
      current: plan.decision.currentWorkers,
      desired: plan.desiredCapacity,
      action: plan.decision.action,
      applied: plan.apply,
      reason: plan.skippedBecause ? `${plan.decision.reason} (not applied: ${plan.skippedBecause})` : plan.decision.reason,
      dryRun: config.dryRun,
      scaleInMode: config.scaleInMode,
      preset: config.preset,
    });
    metrics.addMetric(METRIC_NAMES.backlog, MetricUnit.Count, plan.decision.backlog);
    metrics.addMetric(METRIC_NAMES.currentCapacity, MetricUnit.Count, plan.decision.currentWorkers);
    metrics.addMetric(METRIC_NAMES.desiredCapacity, MetricUnit.Count, plan.desiredCapacity);
    metrics.addMetric(METRIC_NAMES.capacityChanges, MetricUnit.Count, plan.apply ? 1 : 0);

    // After the decision is logged, so a failed tag write never hides what was done.
    if (config.dryRun) dryRunState = plan.nextState;
    else {
      // Only changed tags are written (a few writes per scaling episode, none in a steady minute); a
      // garbled tag counts as changed and is repaired. If this fails after a capacity change, the next
      // run sees capacity ≠ last-desired and counts it as a change now: the cooldown still holds.
      const changes = tagChanges(snapshot.tags, plan.nextState);
      if (Object.keys(changes).length > 0) await target.writeTags(changes);
    }
    return plan;
  } catch (error) {
    logger.error('autoscaler run failed', { target: target.description, error: error as Error });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
