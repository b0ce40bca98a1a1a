// Jest's node environment, plus one copy per jest worker of aws-cdk-lib's CloudFormation validator
// (@aws/cloudformation-validate), shared by every test file that worker runs.
//
// Why: every synth validates its templates with that validator (as `cdk synth` does), and building its engine
// costs ~3 s of CPU. Jest gives each test file its own module registry, so each file built its own engine, and
// again each time a synth brought a resource type the engine was not built for: about half of a CDK unit test
// file's time. This environment's module is loaded once per worker, so its copy of the package and the engines
// it builds outlive a test file; test/helpers/shared-cfn-validate.ts hands that copy to aws-cdk-lib
// (jest.config.js maps the package's name to it). The engine is built from the same configuration (the same
// rules), so each template is validated exactly as before, by an engine built once per worker and configuration.
import { TestEnvironment } from 'jest-environment-node';
import { SHARED_VALIDATOR_GLOBAL } from './shared-validator-global';

// The copy aws-cdk-lib itself would load (its own dependency, not a second version).
const VALIDATOR_PATH = require.resolve('@aws/cloudformation-validate', { paths: [require.resolve('aws-cdk-lib')] });

/** The parts of the package this file touches (it is aws-cdk-lib's dependency, without types of its own here). */
interface Validator {
  readonly CompositeEngine: new (config?: unknown) => Engine;
}
interface Engine {
  free(): void;
}

let shared: Validator | undefined;

/**
 * `value` rebuilt from this realm's objects and arrays. A test file runs in its own realm, and the validator
 * accepts only plain objects of its own realm (its prototype check); anything else (its own TemplateContent,
 * strings, numbers, undefined) passes as it is.
 */
function inThisRealm(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value, inThisRealm);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(Object.getPrototypeOf(value) ?? Object.prototype) === null
    && Object.getPrototypeOf(value) !== Object.prototype && (Object.getPrototypeOf(value) as { constructor?: Function }).constructor?.name === 'Object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inThisRealm(item)]));
  }
  return value;
}

/** The validator package, with CompositeEngine built once per configuration and never freed by a test file. */
function sharedValidator(): Validator {
  if (shared) return shared;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const validator: Validator = require(VALIDATOR_PATH);
  const engines = new Map<string, Engine>();
  // aws-cdk-lib calls `new CompositeEngine(config)`, and `free()` on the engine it replaces or when it is
  // disposed; a constructor that returns an object makes `new` return that object.
  function CompositeEngine(config?: unknown): Engine {
    const key = JSON.stringify(config ?? null);
    let engine = engines.get(key);
    if (!engine) {
      engine = new validator.CompositeEngine(inThisRealm(config));
      engines.set(key, engine);
    }
    const kept = engine;
    return new Proxy(kept, {
      get: (target, property) => {
        if (property === 'free') return () => undefined;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? (...args: unknown[]) => value.apply(target, args.map(inThisRealm)) : value;
      },
    });
  }
  CompositeEngine.prototype = validator.CompositeEngine.prototype;
  shared = { ...validator, CompositeEngine } as unknown as Validator;
  return shared;
}

export default class CdkTestEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    (this.global as Record<string, unknown>)[SHARED_VALIDATOR_GLOBAL] = sharedValidator();
  }
}
