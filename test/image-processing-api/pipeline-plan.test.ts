import { parseCustomArgs } from '../../lambda/image-processing-api/custom-args';
import {
  colourTransformOf,
  compose,
  executionOrder,
  planStages,
  rotatedSize,
  staysInRange,
} from '../../lambda/image-processing-api/pipeline-plan';

/** How convert plans become sharp pipelines: decided from the arguments and the header, before any pixel. */
const filters = (args: string[]) => parseCustomArgs(args, 8192).filters;
const stagesOf = (args: string[], width = 4000, height = 3000) => {
  const planned = planStages(executionOrder(filters(args), width, height), { width, height });
  return planned.map((s) => ({ geometric: s.geometric?.kind, colour: s.colour?.filters.map((f) => f.kind), size: `${s.width}x${s.height}` }));
};

describe('convert plan: stages', () => {
  it('runs each seed filter, alone or after a shrinking resize, as ONE pipeline', () => {
    for (const args of [['-negate'], ['-sepia-tone', '65%'], ['-colorspace', 'Gray'], ['-fill', 'black', '-colorize', '50%'], ['-fill', 'white', '-colorize', '50%']]) {
      expect(stagesOf(args)).toHaveLength(1);
      expect(stagesOf([...args, '-resize', '1024'])).toEqual([{ geometric: 'resize', colour: [expect.any(String)], size: '1024x768' }]);
    }
  });

  it('fuses consecutive colour filters into one transform while none of them can leave 0-255', () => {
    expect(stagesOf(['-negate', '-colorspace', 'Gray', '-fill', 'white', '-colorize', '30%', '-negate'])).toEqual([
      { geometric: undefined, colour: ['negate', 'grayscale', 'colorize', 'negate'], size: '4000x3000' },
    ]);
    // sepia can push a channel above 255; ImageMagick clips it before the next filter, so a new pass starts.
    expect(stagesOf(['-sepia-tone', '80%', '-negate'])).toEqual([
      { geometric: undefined, colour: ['sepia'], size: '4000x3000' },
      { geometric: undefined, colour: ['negate'], size: '4000x3000' },
    ]);
  });

  it('keeps a colour filter before a blur or an arbitrary rotation (sharp would run those first), but lets flips and quarter turns join', () => {
    expect(stagesOf(['-negate', '-blur', '2']).map((s) => s.geometric)).toEqual([undefined, 'blur']);
    expect(stagesOf(['-negate', '-rotate', '30']).map((s) => s.geometric)).toEqual([undefined, 'rotate']);
    expect(stagesOf(['-negate', '-flip'])).toEqual([{ geometric: 'flip', colour: ['negate'], size: '4000x3000' }]);
    expect(stagesOf(['-negate', '-rotate', '90'])).toEqual([{ geometric: 'rotate', colour: ['negate'], size: '3000x4000' }]);
    expect(stagesOf(['-rotate', '30', '-negate'])).toHaveLength(1);
  });

  it('knows every intermediate size, so the largest image of a plan is known before decoding', () => {
    const planned = planStages(filters(['-resize', '400%', '-resize', '10%']), { width: 1000, height: 500 });
    expect(planned.map((s) => `${s.width}x${s.height}`)).toEqual(['4000x2000', '400x200']);
    expect(rotatedSize(90, 40, 20)).toEqual({ width: 20, height: 40 });
    expect(rotatedSize(-180, 40, 20)).toEqual({ width: 40, height: 20 });
    expect(rotatedSize(45, 100, 100)).toEqual({ width: 142, height: 142 });
  });
});

describe('convert plan: colour transforms', () => {
  const apply = (t: ReturnType<typeof colourTransformOf>, rgb: number[]) => t.matrix.map((row, r) => row.reduce((s, v, c) => s + v * rgb[c], t.offset[r]));

  it('composes as applying one filter after the other', () => {
    const negate = colourTransformOf({ kind: 'negate' });
    const darken = colourTransformOf({ kind: 'colorize', color: [0, 0, 0], percent: 50 });
    const rgb = [200, 100, 40];
    expect(apply(compose(negate, darken), rgb)).toEqual(apply(darken, apply(negate, rgb)));
    expect(apply(compose(darken, negate), rgb)).toEqual([155, 205, 235]);
  });

  it('tells which transforms stay within 0-255', () => {
    expect(staysInRange(colourTransformOf({ kind: 'negate' }))).toBe(true);
    expect(staysInRange(colourTransformOf({ kind: 'grayscale' }))).toBe(true);
    expect(staysInRange(colourTransformOf({ kind: 'colorize', color: [255, 255, 255], percent: 70 }))).toBe(true);
    expect(staysInRange(colourTransformOf({ kind: 'sepia', percent: 65 }))).toBe(false);
    expect(staysInRange(colourTransformOf({ kind: 'sepia', percent: 0 }))).toBe(true);
  });
});
