// The consumer matrix's harness: build a user's app, synthesize it once, and judge the outcome. A situation
// passes when it synthesizes with no cdk-nag finding on anything the library created, or when it fails at
// synth with an error that names the prop and says what to change.
import { App, AppProps, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyNag2, Finding, NAG3, nag3Findings } from './nag';

/** The context `cdk init` writes into a new project's cdk.json: aws-cdk-lib's recommended feature flags. */
// The aws-cdk CLI copies this very file (lib/init-templates/.recommended-feature-flags.json is identical for
// aws-cdk 2.1148.1 and aws-cdk-lib 2.276.0), so the fixture reads it from the installed aws-cdk-lib.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const CDK_INIT_CONTEXT: Record<string, unknown> = require('aws-cdk-lib/recommended-feature-flags.json');

export const ENV = { account: '123456789012', region: 'us-east-1' };
export const OTHER_REGION = 'eu-west-1';

/** How the user created their App. */
export enum AppKind {
  /** `new App()` with no context at all, how most unit tests start. */
  PLAIN = 'new App()',
  /** An app with the feature flags `cdk init` writes. */
  CDK_INIT = 'cdk init flags',
}

/** The user's app, handed to a situation's `build`. */
export class UserApp {
  public readonly app: App;
  private readonly owned: IConstruct[] = [];
  /** cdk-nag 2's AwsSolutions findings, collected during synthesis where cdk-nag 3 cannot run (the peer floor). */
  private readonly nag2Findings?: Finding[];

  constructor(kind: AppKind, outdir: string, props: AppProps = {}) {
    const context = kind === AppKind.CDK_INIT ? { ...CDK_INIT_CONTEXT, ...props.context } : props.context;
    this.app = new App({ ...props, outdir, context });
    if (!NAG3) this.nag2Findings = applyNag2(this.app, 'AwsSolutionsChecks');
  }

  /** Unacknowledged AwsSolutions findings in the app (cdk-nag 3, or cdk-nag 2 where 3 cannot run). */
  public awsSolutionsFindings(): Finding[] {
    return this.nag2Findings ?? nag3Findings(this.app, 'AwsSolutionsChecks');
  }

  /** A stack of the user's. Env-agnostic unless `props.env` is given. */
  public stack(id: string, props: StackProps = {}): Stack {
    return new Stack(this.app, id, props);
  }

  /** Marks constructs the user created: findings on them are the user's, not the library's. */
  public own<T extends IConstruct>(construct: T): T {
    this.owned.push(construct);
    return construct;
  }

  /**
   * True when the user created something that looks context up by itself: an `ec2.Vpc` in an env-specific
   * stack reads the stack's availability zones from the `availability-zones` context provider.
   */
  public asksForLookups(): boolean {
    const envSpecific = (stack: Stack) => !Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region);
    return this.owned.some((c) => c instanceof ec2.Vpc && envSpecific(Stack.of(c)));
  }

  /** True when `constructPath` lies inside something the user created. */
  public isUsers(constructPath: string): boolean {
    return this.owned.some((c) => constructPath === c.node.path || constructPath.startsWith(`${c.node.path}/`));
  }
}

/** What must happen. */
export type Expectation =
  | { readonly kind: 'clean' }
  | {
      readonly kind: 'error';
      /** The prop the error must name. */
      readonly prop: string;
      /** What the message must also say (the change to make). */
      readonly says: RegExp;
    };

export const CLEAN: Expectation = { kind: 'clean' };
export const errorNaming = (prop: string, says: RegExp): Expectation => ({ kind: 'error', prop, says });

/**
 * The user's resources of one CloudFormation type that the construct must use instead of creating its own:
 * the app's templates hold exactly `count` resources of `type` (the user's; 0 when they are imported), and
 * every string of `referenced` (the user's ARNs or names) appears in them.
 */
export interface ResourceUse {
  readonly type: string;
  readonly count: number;
  readonly referenced?: readonly string[];
  /** Logical-id prefixes of the library's own documented resources of this type, left out of the count. */
  readonly besides?: readonly string[];
}

/** One user situation. */
export interface Situation {
  readonly name: string;
  /** @default AppKind.CDK_INIT */
  readonly app?: AppKind;
  readonly build: (user: UserApp) => void;
  /** @default CLEAN */
  readonly expect?: Expectation;
  /**
   * Set when the situation is known to fail until a change on another branch is merged: its failure is
   * reported as PENDING (not counted as failed), and a pass is reported as "now passes: remove `pending`".
   */
  readonly pending?: string;
  /** The user's resources that must be the ones used (checked when the situation synthesizes). @default none */
  readonly uses?: readonly ResourceUse[];
}

/** What a situation expects, and in which app it runs. */
export interface SituationOptions {
  /** @default CLEAN */
  readonly expect?: Expectation;
  /** See {@link Situation.pending}. */
  readonly pending?: string;
  /** @default AppKind.CDK_INIT */
  readonly app?: AppKind;
  /**
   * Deploy the stack to {@link ENV}; false for an env-agnostic stack.
   * @default true
   */
  readonly env?: boolean;
  /** See {@link Situation.uses}. */
  readonly uses?: readonly ResourceUse[];
}

/** A situation with one stack of the user's, named 'Stack'. */
export function inOneStack(name: string, build: (user: UserApp, stack: Stack) => void, options: SituationOptions = {}): Situation {
  return {
    name,
    app: options.app,
    expect: options.expect,
    pending: options.pending,
    uses: options.uses,
    build: (user) => build(user, user.stack('Stack', options.env === false ? {} : { env: ENV })),
  };
}

export interface Outcome {
  readonly situation: Situation;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

/** Unacknowledged AwsSolutions findings in `app` that are not on the user's own constructs. */
export function libraryFindings(user: UserApp): string[] {
  return user
    .awsSolutionsFindings()
    .filter((finding) => !user.isUsers(finding.path))
    .map((finding) => `${finding.rule} at ${finding.path}`);
}

/** Builds and synthesizes one situation in a temporary outdir, and judges it. */
export function runSituation(situation: Situation): Outcome {
  const started = Date.now();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-cdk-out-'));
  const expectation = situation.expect ?? CLEAN;
  let result: { ok: boolean; detail: string };
  try {
    let user: UserApp | undefined;
    let error: unknown;
    let templates: unknown[] = [];
    let lookups: string[] = [];
    try {
      user = new UserApp(situation.app ?? AppKind.CDK_INIT, outdir);
      situation.build(user);
      const assembly = user.app.synth();
      templates = assembly.stacks.map((stack) => stack.template);
      lookups = (assembly.manifest.missing ?? []).map((missing) => missing.key);
    } catch (e) {
      error = e;
    }
    result = judge(expectation, error, error === undefined && user ? libraryFindings(user) : []);
    // Context the app would have to look up (`cdk synth` fails without credentials or a committed
    // cdk.context.json), where nothing of the user's asked for a lookup: the library's constructs need none.
    if (result.ok && error === undefined && lookups.length > 0 && !user!.asksForLookups()) {
      result = { ok: false, detail: `synth needs context lookups the user did not ask for: ${lookups.join(', ')}` };
    }
    if (result.ok && error === undefined && situation.uses) {
      const misuse = resourceMisuse(templates, situation.uses);
      if (misuse.length > 0) result = { ok: false, detail: `the user's resources are not the ones used: ${misuse.join('; ')}` };
      else result = { ok: true, detail: `${result.detail}; uses the user's ${situation.uses.map((u) => u.type).join(', ')}` };
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  return { situation, ...result, ms: Date.now() - started };
}

/** What is wrong with how the templates use the user's resources (empty when right). */
export function resourceMisuse(templates: readonly unknown[], uses: readonly ResourceUse[]): string[] {
  const resources = templates.flatMap((t) => Object.entries((t as { Resources?: Record<string, { Type: string }> }).Resources ?? {}));
  const text = JSON.stringify(templates);
  const problems: string[] = [];
  for (const use of uses) {
    const found = resources.filter(([id, r]) => r.Type === use.type && !(use.besides ?? []).some((prefix) => id.startsWith(prefix))).map(([id]) => id);
    if (found.length !== use.count) problems.push(`expected ${use.count} ${use.type} (the user's), found ${found.length}: ${found.join(', ') || 'none'}`);
    for (const ref of use.referenced ?? []) if (!text.includes(ref)) problems.push(`${ref} (the user's ${use.type}) is not referenced`);
  }
  return problems;
}

function judge(expectation: Expectation, error: unknown, findings: string[]): { ok: boolean; detail: string } {
  const message = error instanceof Error ? error.message : error === undefined ? undefined : String(error);
  if (expectation.kind === 'clean') {
    if (message !== undefined) return { ok: false, detail: `synth threw: ${firstLines(message)}` };
    if (findings.length > 0) return { ok: false, detail: `${findings.length} library nag finding(s):\n      ${findings.join('\n      ')}` };
    return { ok: true, detail: 'synthesized, 0 library nag findings' };
  }
  if (message === undefined) {
    return { ok: false, detail: `synthesized (${findings.length} library findings), but should fail naming \`${expectation.prop}\`` };
  }
  const namesProp = new RegExp(`\\b${expectation.prop}\\b`).test(message);
  const says = expectation.says.test(message);
  if (namesProp && says) return { ok: true, detail: `failed as it should: ${firstLines(message, 1)}` };
  return {
    ok: false,
    detail: `the error ${namesProp ? '' : `does not name \`${expectation.prop}\` `}${says ? '' : `does not say ${expectation.says} `}: ${firstLines(message)}`,
  };
}

function firstLines(message: string, n = 3): string {
  return message.split('\n').slice(0, n).join(' | ');
}
