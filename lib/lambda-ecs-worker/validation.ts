import { Duration, Token } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { JOB_TABLE_PARTITION_KEY } from '../../contracts/lambda-ecs-worker/render-job';
import { LAUNCHER_ENV } from '../../contracts/lambda-ecs-worker/launcher-env';
import { otherStackProblem, regionMismatches } from '../core';
import { secureQueuePropsProblems, validateFunctionOptions } from '../core/builders';
import { PropsValidator } from '../core/props-validator';
import { describeTable } from '../core/table-shape';
import { LambdaEcsWorkerProps, SceneTrigger } from './props';

/** Key endings of everything the worker writes under the output prefix (see renderOutputKeys). */
export const OUTPUT_SUFFIXES: ReadonlyArray<string> = ['.png', '.log'];

/** The key layout of a LambdaEcsWorker bucket. */
export interface KeyLayout {
  readonly inputPrefix: string;
  readonly inputSuffixes: readonly string[];
  readonly outputPrefix: string;
}

/**
 * Every problem with a key layout, phrased as what to change; empty when it is valid. Above all, an
 * object the worker writes must never match the notification filters, or each render would start
 * another render.
 */
export function validateKeyLayout(layout: KeyLayout): string[] {
  const errors: string[] = [];
  const { inputPrefix, inputSuffixes, outputPrefix } = layout;
  if (inputPrefix.startsWith('/')) errors.push(`inputPrefix '${inputPrefix}' must not start with '/': S3 keys have no leading slash`);
  if (outputPrefix === '') errors.push("outputPrefix must not be empty: give outputs a folder of their own, e.g. 'renders/'");
  if (outputPrefix.startsWith('/')) errors.push(`outputPrefix '${outputPrefix}' must not start with '/': S3 keys have no leading slash`);
  for (const [name, value] of [
    ['inputPrefix', inputPrefix],
    ['outputPrefix', outputPrefix],
  ] as const) {
    if (/[*?]/.test(value)) errors.push(`${name} '${value}' must be a literal prefix: S3 notification filters do not support wildcards`);
  }

  if (inputSuffixes.length === 0) errors.push("inputSuffixes must list at least one suffix, e.g. ['.zip']");
  for (const suffix of inputSuffixes) {
    if (suffix === '') errors.push("inputSuffixes must not contain '': an empty suffix matches every key, outputs included");
    else if (/[*?/]/.test(suffix)) errors.push(`inputSuffixes entry '${suffix}' must be a literal key ending without '/', '*' or '?'`);
  }
  const seen = new Set<string>();
  inputSuffixes.forEach((suffix, i) => {
    if (seen.has(suffix)) errors.push(`inputSuffixes lists '${suffix}' twice`);
    seen.add(suffix);
    inputSuffixes.forEach((other, j) => {
      if (i !== j && suffix !== '' && other !== suffix && other.endsWith(suffix)) {
        errors.push(
          `inputSuffixes '${other}' and '${suffix}' overlap (every key ending in '${other}' also ends in '${suffix}'), ` +
            'which S3 rejects for notifications on one prefix: keep only the shorter one',
        );
      }
    });
  });

  // Can an output key start with the input prefix? Outputs are `<outputPrefix><anything>`, so yes exactly when
  // one prefix starts with the other.
  const prefixesOverlap = outputPrefix.startsWith(inputPrefix) || inputPrefix.startsWith(outputPrefix);
  if (prefixesOverlap && outputPrefix !== '') {
    const retriggering = inputSuffixes.filter((suffix) => suffix !== '' && OUTPUT_SUFFIXES.some((out) => out.endsWith(suffix)));
    if (retriggering.length > 0) {
      errors.push(
        `outputs could re-trigger the pipeline: the output prefix '${outputPrefix}' overlaps the input prefix '${inputPrefix}' and ` +
          `the allowed suffix(es) ${retriggering.map((s) => `'${s}'`).join(', ')} match what the worker writes (${OUTPUT_SUFFIXES.join(', ')}). ` +
          "Use separate prefixes (e.g. inputPrefix 'scenes/', outputPrefix 'renders/')",
      );
    }
  }
  return errors;
}

const FARGATE_SIZES: Record<number, [number, number]> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
  8192: [16384, 61440],
  16384: [32768, 122880],
};

/** Values of props that have a deprecated alias or are read from the user's resources, resolved. */
export interface ResolvedWorkerProps {
  readonly backlogPerWorker: number;
  readonly workerMemoryMiB: number;
  /**
   * With the user's `queue`: its dead-letter queue and redrive count, and its visibility timeout when the app
   * created it (workers heartbeat by it).
   */
  readonly userQueueRedrive?: { readonly deadLetterQueue: sqs.IQueue; readonly maxReceiveCount: number; readonly visibilityTimeout?: Duration };
}

/** Checks every prop and throws one error listing every problem, phrased as what to change. */
export function validateProps(
  scope: IConstruct,
  props: LambdaEcsWorkerProps,
  inputPrefix: string,
  inputSuffixes: string[],
  outputPrefix: string,
): ResolvedWorkerProps {
  const v = new PropsValidator(scope, 'LambdaEcsWorker');
  v.problems(validateKeyLayout({ inputPrefix, inputSuffixes, outputPrefix }));
  // Only bucket notifications are configured in the bucket's stack and point back at the launcher; an
  // EventBridge rule lives in the worker's stack and references the bucket one way.
  const notifies = (props.trigger ?? SceneTrigger.BUCKET_NOTIFICATION) === SceneTrigger.BUCKET_NOTIFICATION;
  const crossStackBucket =
    notifies &&
    props.bucket &&
    otherStackProblem(
      scope,
      'bucket',
      props.bucket,
      "CDK configures S3 notifications in the bucket's stack, and a launcher in another stack makes a dependency cycle between the two stacks",
      "Create the LambdaEcsWorker in the bucket's stack, import the bucket into this stack by name " +
        "(s3.Bucket.fromBucketName(this, 'Scenes', name)), or trigger the launcher from EventBridge (`trigger: SceneTrigger.EVENTBRIDGE`)",
    );
  if (crossStackBucket) v.problem(crossStackBucket);
  v.wholeNumber('maxWorkers', props.maxWorkers, 1, 1000);
  v.wholeNumber('backlogPerWorker', props.backlogPerWorker, 1, 10_000);
  v.wholeNumber('jobsPerWorker', props.jobsPerWorker, 1, 10_000);
  const backlogPerWorker =
    v.renamed({ name: 'backlogPerWorker', value: props.backlogPerWorker }, { name: 'jobsPerWorker', value: props.jobsPerWorker }) ?? 1;
  v.wholeNumber('maxReceiveCount', props.maxReceiveCount, 1, 1000);
  v.wholeNumber('maxPixels', props.maxPixels, 1, 2 ** 40);
  v.duration('visibilityTimeout', props.visibilityTimeout, { min: Duration.seconds(30), max: Duration.hours(12) });
  v.duration('maxJobAge', props.maxJobAge, { min: Duration.minutes(1), max: Duration.days(14) });
  v.duration('workerIdleTimeout', props.workerIdleTimeout, { min: Duration.seconds(0), max: Duration.days(1) });
  v.duration('renderTimeout', props.renderTimeout, { min: Duration.seconds(1), max: Duration.days(7) });
  // EventBridge rates are whole minutes.
  v.duration('reconcileInterval', props.reconcileInterval, { min: Duration.minutes(1), max: Duration.hours(1), unit: 'minutes' });
  // The launcher's TTL setting is in whole days.
  v.duration('jobRecordRetention', props.jobRecordRetention, { min: Duration.days(1), unit: 'days' });
  if (props.jobRecordRetention !== undefined && props.jobTable === false) {
    v.problem('jobRecordRetention has no effect with jobTable: false: remove one of them');
  }
  if (props.cluster && props.vpc) v.problem("give either cluster or vpc, not both: workers run in the cluster's own VPC");
  const memoryName = props.workerMemory !== undefined ? 'workerMemory' : 'workerMemoryMiB';
  const memoryFromSize = v.size('workerMemory', props.workerMemory, { unit: 'mebibytes' });
  const workerMemoryMiB =
    v.renamed({ name: 'workerMemory', value: memoryFromSize }, { name: 'workerMemoryMiB', value: props.workerMemoryMiB }) ?? 2048;
  const cpu = props.workerCpu ?? 1024;
  const memory = workerMemoryMiB;
  if (!Token.isUnresolved(cpu) && !Token.isUnresolved(memory)) {
    const range = FARGATE_SIZES[cpu];
    if (!range) v.problem(`\`workerCpu\` must be one of ${Object.keys(FARGATE_SIZES).join(', ')} (got ${cpu})`);
    else if (memory < range[0] || memory > range[1]) {
      v.problem(`\`${memoryName}\` for workerCpu ${cpu} must be from ${range[0]} to ${range[1]} (got ${memory})`);
    }
  }
  if (props.workerUser !== undefined && /^(root|0)(:|$)/.test(props.workerUser)) v.problem(`workerUser must not be root (got '${props.workerUser}')`);
  if (props.securityGroups && props.securityGroups.length === 0) v.problem('securityGroups must not be empty: leave it out for a new group without inbound rules');
  const userQueueRedrive = checkQueueProps(v, scope, props);
  checkJobTableProps(v, scope, props);
  validateFunctionOptions(v, 'launcherFunctionProps', props.launcherFunctionProps, {
    reservedEnvironment: [...Object.values(LAUNCHER_ENV), 'POWERTOOLS_SERVICE_NAME'],
  });
  v.throwIfInvalid();
  return { backlogPerWorker, workerMemoryMiB, userQueueRedrive };
}

/** The user's queue or the new queue's props; returns the user's queue's redrive settings. */
function checkQueueProps(v: PropsValidator, scope: IConstruct, props: LambdaEcsWorkerProps): ResolvedWorkerProps['userQueueRedrive'] {
  const queue = props.queue;
  if (!queue) {
    if (props.deadLetterQueue) v.problem('`deadLetterQueue` describes your own `queue`: give `queue` too, or remove it (a new queue gets its own)');
    v.problems(secureQueuePropsProblems('queueProps', props.queueProps));
    if (props.queueProps?.fifo) v.problem('`queueProps.fifo` must not be true: jobs are independent, and the launcher sends no message group');
    if (props.queueProps?.visibilityTimeout) v.problem('`queueProps.visibilityTimeout` must not be set: use `visibilityTimeout`, which the workers read too');
    return undefined;
  }
  if (props.queueProps) v.problem('`queueProps` applies to a new queue only: remove it, or remove `queue`');
  if (queue.fifo) v.problem(`\`queue\` (${queue.node.path}) must be a standard queue, not FIFO: the launcher sends no message group`);
  v.problems(
    regionMismatches(scope, [
      { prop: 'queue', arn: queue.queueArn, why: 'the launcher, the workers and the alarms use SQS in their own region' },
      { prop: 'deadLetterQueue', arn: props.deadLetterQueue?.queueArn, why: 'the reconciler reads it in its own region' },
    ]),
  );
  const redrive = queue instanceof sqs.Queue ? queue.deadLetterQueue : undefined;
  if (queue instanceof sqs.Queue && !redrive) {
    v.problem(
      `\`queue\` (${queue.node.path}) must have a dead-letter queue, or a job that fails every delivery is lost: ` +
        'create it with deadLetterQueue: { queue: dlq, maxReceiveCount: 3 }',
    );
    return undefined;
  }
  if (redrive) {
    if (props.deadLetterQueue && props.deadLetterQueue !== redrive.queue) {
      v.problem(`\`deadLetterQueue\` (${props.deadLetterQueue.node.path}) is not the dead-letter queue of \`queue\` (${redrive.queue.node.path}): remove it`);
    }
    if (props.maxReceiveCount !== undefined && props.maxReceiveCount !== redrive.maxReceiveCount) {
      v.problem(`\`maxReceiveCount\` (${props.maxReceiveCount}) differs from the redrive policy of \`queue\` (${redrive.maxReceiveCount}): remove it`);
    }
    const visibilityTimeout = queueVisibilityTimeout(queue as sqs.Queue);
    if (visibilityTimeout && props.visibilityTimeout && !props.visibilityTimeout.isUnresolved() && props.visibilityTimeout.toSeconds() !== visibilityTimeout.toSeconds()) {
      v.problem(
        `\`visibilityTimeout\` (${props.visibilityTimeout.toHumanString()}) differs from the visibility timeout of \`queue\` (${visibilityTimeout.toHumanString()}): ` +
          "remove it (the workers heartbeat by the queue's)",
      );
    }
    return { deadLetterQueue: redrive.queue, maxReceiveCount: redrive.maxReceiveCount, visibilityTimeout };
  }
  // An imported queue: its redrive policy cannot be read at synth, so the user states it.
  if (!props.deadLetterQueue || props.maxReceiveCount === undefined) {
    v.problem(
      `\`queue\` (${queue.node.path}) is imported, so its redrive policy cannot be read: give \`deadLetterQueue\` (its redrive target) ` +
        'and `maxReceiveCount` (its redrive policy\'s maxReceiveCount); a queue without a dead-letter queue cannot be used',
    );
    return undefined;
  }
  return { deadLetterQueue: props.deadLetterQueue, maxReceiveCount: props.maxReceiveCount };
}

/** The user's job table must have the key the launcher and workers write. */
function checkJobTableProps(v: PropsValidator, scope: IConstruct, props: LambdaEcsWorkerProps): void {
  const table = props.existingJobTable;
  if (!table) return;
  if (props.jobTable === false) v.problem('`existingJobTable` with `jobTable: false`: remove one of them');
  v.problems(regionMismatches(scope, [{ prop: 'existingJobTable', arn: table.tableArn, why: 'the launcher and the workers write it in their own region' }]));
  const shape = describeTable(table);
  if (!shape.known) return;
  const partitionKey = shape.keySchema.find((key) => key.keyType === 'HASH');
  const sortKey = shape.keySchema.find((key) => key.keyType === 'RANGE');
  const keyType = partitionKey ? shape.attributeTypes[partitionKey.name] : undefined;
  if (!partitionKey || partitionKey.name !== JOB_TABLE_PARTITION_KEY || (keyType !== undefined && keyType !== 'S') || sortKey) {
    const got = shape.keySchema.map((key) => `${key.name} (${key.keyType}${shape.attributeTypes[key.name] ? `, ${shape.attributeTypes[key.name]}` : ''})`).join(', ');
    v.problem(
      `\`existingJobTable\` (${table.node.path}) must have the partition key '${JOB_TABLE_PARTITION_KEY}' of type String and no sort key ` +
        `(got ${got || 'no key schema'}): job records are written by that key`,
    );
  }
}

/** The visibility timeout of a queue the app creates (SQS's default, 30 s, when it sets none); undefined for a token. */
function queueVisibilityTimeout(queue: sqs.Queue): Duration | undefined {
  const seconds = (queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout;
  if (seconds === undefined) return Duration.seconds(30);
  return Token.isUnresolved(seconds) ? undefined : Duration.seconds(seconds);
}
