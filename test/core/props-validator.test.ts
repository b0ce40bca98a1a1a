import { CfnParameter, Duration, Size, Stack, Token } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as lib from '../../lib';
import { PropsValidator } from '../../lib/core/props-validator';
import { newTestStack } from '../helpers/cdk';

describe('PropsValidator', () => {
  const validator = () => new PropsValidator(new Stack(undefined, 'S'), 'Thing');

  it('collects every problem, names each prop, and throws once with the construct path', () => {
    const v = validator()
      .wholeNumber('maxWorkers', 0, 1, 1000)
      .wholeNumber('jobsPerWorker', 1.5, 1)
      .problem('give either cluster or vpc, not both');
    v.duration('cooldown', Duration.seconds(5), { min: Duration.minutes(1), max: Duration.hours(1) });
    expect(() => v.throwIfInvalid()).toThrow(
      'Invalid Thing props at S:\n' +
        '- `maxWorkers` must be a whole number from 1 to 1000 (got 0)\n' +
        '- `jobsPerWorker` must be a whole number ≥ 1 (got 1.5)\n' +
        '- give either cluster or vpc, not both\n' +
        '- `cooldown` must be from 1 minute to 1 hour (got 5 seconds)',
    );
  });

  it('does not throw when every value is valid or absent', () => {
    const v = validator().wholeNumber('a', 5, 1, 10).wholeNumber('b', undefined, 1, 10);
    expect(v.duration('c', Duration.minutes(2), { min: Duration.minutes(1) })).toBe(120);
    expect(v.duration('d', undefined)).toBeUndefined();
    expect(() => v.throwIfInvalid()).not.toThrow();
  });

  it('skips unresolved tokens: CloudFormation resolves them at deploy time', () => {
    const stack = new Stack();
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    const v = new PropsValidator(stack, 'Thing').wholeNumber('maxWorkers', count, 1, 1000);
    expect(v.duration('timeout', Duration.seconds(count), { min: Duration.seconds(30) })).toBe(count);
    expect(() => v.throwIfInvalid()).not.toThrow();
  });

  it('names the prop and the fix for a Duration that is not a whole number of its unit', () => {
    const v = validator();
    expect(v.duration('scaleInCooldown', Duration.millis(1500))).toBeUndefined();
    v.duration('reconcileInterval', Duration.seconds(90), { unit: 'minutes' });
    expect(() => v.throwIfInvalid()).toThrow(
      /`scaleInCooldown` must be a whole number of seconds \(got 1 second 500 millis\): use e.g. Duration.seconds\(2\)\n- `reconcileInterval` must be a whole number of minutes \(got 1 minute 30 seconds\): use e.g. Duration.minutes\(2\)/,
    );
  });
});

describe('constructs validate props through it', () => {
  it('accepts a CfnParameter for a numeric prop (LambdaEcsWorker, SpotFleetAutoscaler)', () => {
    const stack = newTestStack('Tokens');
    const max = new CfnParameter(stack, 'MaxWorkers', { type: 'Number', default: 3 }).valueAsNumber;
    const ecs = require('aws-cdk-lib/aws-ecs') as typeof import('aws-cdk-lib/aws-ecs');
    expect(() => new lib.LambdaEcsWorker(stack, 'Render', { maxWorkers: max, workerImage: ecs.ContainerImage.fromRegistry('x') })).not.toThrow();
    const queue = new sqs.Queue(stack, 'Q');
    expect(
      () => new lib.SpotFleetAutoscaler(stack, 'Scaler', { queue, maxWorkers: max, target: lib.ScalingTarget.spotFleetRequest('sfr-1') }),
    ).not.toThrow();
  });

  it('names the Duration prop a construct rejects', () => {
    const stack = newTestStack('Millis');
    const queue = new sqs.Queue(stack, 'Q');
    expect(
      () =>
        new lib.SpotFleetAutoscaler(stack, 'Scaler', {
          queue,
          target: lib.ScalingTarget.spotFleetRequest('sfr-1'),
          scaleInCooldown: Duration.millis(1500),
        }),
    ).toThrow(/Invalid SpotFleetAutoscaler props at Millis\/Scaler:\n- `scaleInCooldown` must be a whole number of seconds \(got 1 second 500 millis\)/);
  });
});

describe('the package root', () => {
  it('does not export internal helpers', () => {
    for (const name of ['HOUSE_DEFAULTS', 'packageRoot', 'handlerAssetPath', 'imageApiSitePath', 'PropsValidator', 'newOnFailureQueue', 'newLogOnlyLambdaRole']) {
      expect(Object.keys(lib)).not.toContain(name);
    }
  });
});

describe('PropsValidator.size and renamed', () => {
  const validator = () => new PropsValidator(new Stack(undefined, 'S'), 'Thing');
  const token = Token.asNumber({ resolve: () => 1 });

  it('accepts a token Size in the unit CloudFormation takes, and refuses one in another unit with the fix', () => {
    const v = validator();
    expect(Token.isUnresolved(v.size('memory', Size.mebibytes(token), { unit: 'mebibytes' }))).toBe(true);
    expect(v.size('volume', Size.mebibytes(token), { unit: 'gibibytes' })).toBeUndefined();
    expect(() => v.throwIfInvalid()).toThrow(/`volume` comes from a token, which can only be used in GiB: use Size.gibibytes\(token\)/);
  });

  it('converts whole units, and refuses fractions and values out of range, each with the fix', () => {
    const v = validator();
    expect(v.size('memory', Size.gibibytes(2), { unit: 'mebibytes', min: 128 })).toBe(2048);
    v.size('memory', Size.kibibytes(1536), { unit: 'mebibytes' });
    v.size('volume', Size.gibibytes(4), { unit: 'gibibytes', min: 8, max: 16384, hint: 'EBS gp3 limits' });
    expect(() => v.throwIfInvalid()).toThrow(
      /`memory` must be a whole number of MiB \(got 1.5 MiB\): use e.g. Size.mebibytes\(2\)\n- `volume` must be from 8 to 16384 GiB \(got 4 GiB\): EBS gp3 limits/,
    );
  });

  it('takes the new name, the old one alone, or both when they agree; refuses both when they differ or cannot be compared', () => {
    const v = validator();
    expect(v.renamed({ name: 'new', value: 2 }, { name: 'old', value: undefined })).toBe(2);
    expect(v.renamed({ name: 'new', value: undefined }, { name: 'old', value: 3 })).toBe(3);
    expect(v.renamed({ name: 'a', value: 4 }, { name: 'b', value: 4 })).toBe(4);
    v.throwIfInvalid();
    v.renamed({ name: 'backlog', value: 1 }, { name: 'jobs', value: 2 });
    v.renamed({ name: 'memory', value: token }, { name: 'memoryMiB', value: 2048 });
    expect(() => v.throwIfInvalid()).toThrow(
      /`jobs` is the deprecated name of `backlog`, and both are given with different values: give only `backlog`\n- `memoryMiB` is the deprecated name of `memory`, and both are given: give only `memory`/,
    );
  });
});
