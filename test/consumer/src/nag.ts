// cdk-nag as the user has it: cdk-nag 3 (a validation plugin; needs aws-cdk-lib's `Validations`, 2.257+) and
// cdk-nag 2 (an Aspect; installed under the npm alias `cdk-nag-v2`). Both are loaded at run time so the
// fixture also compiles and runs where only one is installed (the peer-floor run has no cdk-nag 3).
import * as cdk from 'aws-cdk-lib';
import { App, Aspects, CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The rule packs users run, by class name (the same in both major versions). */
export const PACKS = ['AwsSolutionsChecks', 'HIPAASecurityChecks', 'NIST80053R5Checks', 'PCIDSS321Checks', 'ServerlessChecks'] as const;
export type PackName = (typeof PACKS)[number];

interface Nag3Report {
  readonly violations: ReadonlyArray<{
    readonly ruleName: string;
    readonly severity?: string;
    readonly violatingResources: ReadonlyArray<{ readonly constructPath?: string; readonly resourceLogicalId?: string }>;
  }>;
}
type Nag3Module = Record<PackName, new () => { validateScope(scope: IConstruct): Nag3Report }>;

interface Nag2Data {
  readonly ruleId: string;
  readonly findingId?: string;
  readonly ruleLevel: string;
  readonly resource: CfnResource;
  readonly errorMessage?: string;
}
type Nag2Module = Record<PackName, new (props: object) => cdk.IAspect> & { NagMessageLevel: { ERROR: string } };

function load<T>(name: string): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch {
    return undefined;
  }
}

/** cdk-nag 3, when it is installed and this aws-cdk-lib can run it. */
export const NAG3: Nag3Module | undefined = (cdk as { Validations?: unknown }).Validations ? load<Nag3Module>('cdk-nag') : undefined;
/** cdk-nag 2 (`cdk-nag-v2`), when installed. */
export const NAG2: Nag2Module | undefined = load<Nag2Module>('cdk-nag-v2');

/** One unacknowledged error-level finding. */
export interface Finding {
  readonly rule: string;
  readonly path: string;
}

/** Runs a cdk-nag 3 pack over `scope` (after synthesis or before) and returns its error-level findings. */
export function nag3Findings(scope: IConstruct, pack: PackName): Finding[] {
  if (!NAG3) throw new Error('cdk-nag 3 is not installed (or this aws-cdk-lib has no Validations)');
  return new NAG3[pack]().validateScope(scope).violations
    .filter((violation) => (violation.severity ?? 'error') === 'error')
    .flatMap((violation) => violation.violatingResources.map((r) => ({ rule: violation.ruleName, path: r.constructPath ?? r.resourceLogicalId ?? '?' })));
}

/**
 * Applies a cdk-nag 2 pack to `app` as users do (`Aspects.of(app).add(new AwsSolutionsChecks())`) and returns
 * the list its error-level findings land in while the app synthesizes.
 */
export function applyNag2(app: App, pack: PackName): Finding[] {
  if (!NAG2) throw new Error('cdk-nag 2 (npm alias cdk-nag-v2) is not installed');
  const findings: Finding[] = [];
  const error = NAG2.NagMessageLevel.ERROR;
  const logger = {
    onCompliance: () => undefined,
    onNonCompliance: (d: Nag2Data) => {
      if (d.ruleLevel === error) findings.push({ rule: `${d.ruleId}${d.findingId ? `[${d.findingId}]` : ''}`, path: d.resource.node.path });
    },
    onSuppressed: () => undefined,
    onError: (d: Nag2Data) => findings.push({ rule: `${d.ruleId} (rule error: ${d.errorMessage})`, path: d.resource.node.path }),
    onSuppressedError: () => undefined,
    onNotApplicable: () => undefined,
  };
  Aspects.of(app).add(new NAG2[pack]({ reports: false, additionalLoggers: [logger] }));
  return findings;
}
