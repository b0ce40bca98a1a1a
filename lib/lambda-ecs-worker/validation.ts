import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { otherStackProblem } from '../core/placement';
import { PropsValidator } from '../core/props-validator';
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

/** Checks every prop and throws one error listing every problem, phrased as what to change. */
export function validateProps(
  scope: IConstruct,
  props: LambdaEcsWorkerProps,
  inputPrefix: string,
  inputSuffixes: string[],
  outputPrefix: string,
): void {
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
  v.wholeNumber('jobsPerWorker', props.jobsPerWorker, 1, 10_000);
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
  const cpu = props.workerCpu ?? 1024;
  const memory = props.workerMemoryMiB ?? 2048;
  if (!Token.isUnresolved(cpu) && !Token.isUnresolved(memory)) {
    const range = FARGATE_SIZES[cpu];
    if (!range) v.problem(`\`workerCpu\` must be one of ${Object.keys(FARGATE_SIZES).join(', ')} (got ${cpu})`);
    else if (memory < range[0] || memory > range[1]) {
      v.problem(`\`workerMemoryMiB\` for workerCpu ${cpu} must be from ${range[0]} to ${range[1]} (got ${memory})`);
    }
  }
  if (props.workerUser !== undefined && /^(root|0)(:|$)/.test(props.workerUser)) v.problem(`workerUser must not be root (got '${props.workerUser}')`);
  if (props.securityGroups && props.securityGroups.length === 0) v.problem('securityGroups must not be empty: leave it out for a new group without inbound rules');
  v.throwIfInvalid();
}
