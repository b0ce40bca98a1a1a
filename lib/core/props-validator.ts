import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Bounds of a Duration prop, and the unit it must be a whole number of. */
export interface DurationRange {
  readonly min?: Duration;
  readonly max?: Duration;
  /** The unit CloudFormation takes the value in (SQS: seconds, EventBridge rates: minutes, TTL: days). */
  readonly unit?: 'seconds' | 'minutes' | 'days';
}

/** Bounds of a Size prop, and the unit CloudFormation takes it in (it must be a whole number of it). */
export interface SizeRange {
  readonly unit: 'bytes' | 'mebibytes' | 'gibibytes';
  readonly min?: number;
  readonly max?: number;
  /** Why the bounds are what they are, appended to the message. */
  readonly hint?: string;
}

const SIZE_FACTORY = { bytes: 'Size.bytes', mebibytes: 'Size.mebibytes', gibibytes: 'Size.gibibytes' } as const;
const SIZE_UNIT_NAME = { bytes: 'bytes', mebibytes: 'MiB', gibibytes: 'GiB' } as const;

const UNIT_MS = { seconds: 1000, minutes: 60_000, days: 86_400_000 } as const;
const UNIT_FACTORY = { seconds: 'Duration.seconds', minutes: 'Duration.minutes', days: 'Duration.days' } as const;

/**
 * The one props validator of the house (internal: not exported from the package). A construct records
 * every problem with its props, each naming the prop and saying what to change, and throws ONCE listing
 * them all, so a user fixes everything in one round. Values that are unresolved tokens (a CfnParameter,
 * an imported value) are skipped: they are only known at deploy time, where the service checks them.
 */
export class PropsValidator {
  private readonly found: string[] = [];

  /** @param construct the construct whose props these are (its path is in the error) @param typeName e.g. `LambdaEcsWorker` */
  constructor(
    private readonly construct: IConstruct,
    private readonly typeName: string,
  ) {}

  /** Records a problem, phrased as what to change. */
  public problem(message: string): this {
    this.found.push(message);
    return this;
  }

  /** Records problems found by a pure check (e.g. a contract's own validator). */
  public problems(messages: readonly string[]): this {
    this.found.push(...messages);
    return this;
  }

  /** `value`, when given and resolved, must be a whole number from `min` to `max`. */
  public wholeNumber(name: string, value: number | undefined, min: number, max = Number.POSITIVE_INFINITY, hint?: string): this {
    if (value === undefined || Token.isUnresolved(value)) return this;
    if (!Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `from ${min} to ${max}`;
      this.problem(`\`${name}\` must be a whole number ${range} (got ${value})${hint ? `: ${hint}` : ''}`);
    }
    return this;
  }

  /**
   * `value`, when given and resolved, must be a whole number of `range.unit` (default seconds) within the
   * range. Returns the value in that unit (a token stays a token), or undefined when absent or invalid.
   */
  public duration(name: string, value: Duration | undefined, range: DurationRange = {}): number | undefined {
    if (value === undefined) return undefined;
    const unit = range.unit ?? 'seconds';
    if (value.isUnresolved()) return convert(value, unit);
    const ms = value.toMilliseconds();
    if (ms % UNIT_MS[unit] !== 0) {
      const rounded = Math.max(1, Math.round(ms / UNIT_MS[unit]));
      this.problem(`\`${name}\` must be a whole number of ${unit} (got ${value.toHumanString()}): use e.g. ${UNIT_FACTORY[unit]}(${rounded})`);
      return undefined;
    }
    const tooShort = range.min !== undefined && ms < range.min.toMilliseconds();
    const tooLong = range.max !== undefined && ms > range.max.toMilliseconds();
    if (tooShort || tooLong) {
      const bounds =
        range.min && range.max
          ? `from ${range.min.toHumanString()} to ${range.max.toHumanString()}`
          : range.min
            ? `at least ${range.min.toHumanString()}`
            : `at most ${range.max!.toHumanString()}`;
      this.problem(`\`${name}\` must be ${bounds} (got ${value.toHumanString()})`);
      return undefined;
    }
    return convert(value, unit);
  }

  /**
   * `value`, when given and resolved, must be a whole number of `range.unit` within the range. Returns the
   * value in that unit (a token stays a token, when it was given in that unit), or undefined when absent or invalid.
   */
  public size(name: string, value: Size | undefined, range: SizeRange): number | undefined {
    if (value === undefined) return undefined;
    // No options for a token: CDK refuses any rounding option on a token Size, even in its own unit.
    const inUnit = (rounding?: SizeRoundingBehavior) => {
      const options = rounding === undefined ? undefined : { rounding };
      return range.unit === 'bytes' ? value.toBytes(options) : range.unit === 'mebibytes' ? value.toMebibytes(options) : value.toGibibytes(options);
    };
    if (value.isUnresolved()) {
      try {
        return inUnit();
      } catch {
        this.problem(`\`${name}\` comes from a token, which can only be used in ${SIZE_UNIT_NAME[range.unit]}: use ${SIZE_FACTORY[range.unit]}(token)`);
        return undefined;
      }
    }
    const exact = inUnit(SizeRoundingBehavior.NONE);
    if (!Number.isInteger(exact)) {
      this.problem(
        `\`${name}\` must be a whole number of ${SIZE_UNIT_NAME[range.unit]} (got ${value.toHumanString()}): use e.g. ${SIZE_FACTORY[range.unit]}(${Math.max(1, Math.round(exact))})`,
      );
      return undefined;
    }
    const min = range.min ?? 0;
    const max = range.max ?? Number.POSITIVE_INFINITY;
    if (exact < min || exact > max) {
      const unit = SIZE_UNIT_NAME[range.unit];
      const bounds = max === Number.POSITIVE_INFINITY ? `at least ${min} ${unit}` : `from ${min} to ${max} ${unit}`;
      this.problem(`\`${name}\` must be ${bounds} (got ${value.toHumanString()})${range.hint ? `: ${range.hint}` : ''}`);
      return undefined;
    }
    return exact;
  }

  /**
   * Resolves a renamed prop: `current` is the new name, `deprecated` its old alias (still accepted). Giving both
   * is a problem unless both are resolved and equal (Durations by length). Returns the value to use.
   */
  public renamed<T>(
    current: { readonly name: string; readonly value: T | undefined },
    deprecated: { readonly name: string; readonly value: T | undefined },
  ): T | undefined {
    if (deprecated.value === undefined) return current.value;
    if (current.value === undefined) return deprecated.value;
    const known = !isUnresolvedValue(current.value) && !isUnresolvedValue(deprecated.value);
    if (!known || !sameValue(current.value, deprecated.value)) {
      this.problem(
        `\`${deprecated.name}\` is the deprecated name of \`${current.name}\`, and both are given${known ? ' with different values' : ''}: give only \`${current.name}\``,
      );
    }
    return current.value;
  }

  /** Throws one error listing every recorded problem; does nothing when there is none. */
  public throwIfInvalid(): void {
    if (this.found.length > 0) {
      throw new Error(`Invalid ${this.typeName} props at ${this.construct.node.path}:\n- ${this.found.join('\n- ')}`);
    }
  }
}

function convert(value: Duration, unit: 'seconds' | 'minutes' | 'days'): number {
  return unit === 'seconds' ? value.toSeconds() : unit === 'minutes' ? value.toMinutes() : value.toDays();
}

function isUnresolvedValue(value: unknown): boolean {
  return value instanceof Duration || value instanceof Size ? value.isUnresolved() : Token.isUnresolved(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Duration && b instanceof Duration) return a.toMilliseconds() === b.toMilliseconds();
  if (a instanceof Size && b instanceof Size) return a.toBytes() === b.toBytes();
  return a === b;
}
