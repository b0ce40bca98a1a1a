// Every cdk-nag rule pack, in both major versions users run: cdk-nag 3 (a validation plugin, `validateScope`)
// and cdk-nag 2 (an Aspect, installed here as the npm alias `cdk-nag-v2`). One line per error-level finding:
// `RuleId[finding] at construct/path`.
import { App, Aspects, CfnResource } from 'aws-cdk-lib';
import * as nag3 from 'cdk-nag';
import * as nag2 from 'cdk-nag-v2';
import { IConstruct } from 'constructs';

/** The packs of cdk-nag 3 (NIST 800-53 rev 4 is superseded by rev 5 and left out). */
export const NAG3_PACKS: ReadonlyArray<{ readonly name: string; readonly create: () => nag3.NagPack }> = [
  { name: 'AwsSolutions', create: () => new nag3.AwsSolutionsChecks() },
  { name: 'HIPAA.Security', create: () => new nag3.HIPAASecurityChecks() },
  { name: 'NIST.800.53.R5', create: () => new nag3.NIST80053R5Checks() },
  { name: 'PCI.DSS.321', create: () => new nag3.PCIDSS321Checks() },
  { name: 'Serverless', create: () => new nag3.ServerlessChecks() },
];

/** Error-level findings of one cdk-nag 3 pack under `scope`, acknowledgements applied. */
export function nag3Findings(scope: IConstruct, pack: nag3.NagPack): string[] {
  // Aspects (the compliance acknowledgements among them) run when the app synthesizes, before cdk-nag 3 would.
  (scope.node.root as App).synth();
  const report = pack.validateScope(scope);
  return report.violations
    .filter((violation) => violation.severity === 'error')
    .flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath ?? resource.locations?.[0] ?? resource.resourceLogicalId}`),
    );
}

/** The cdk-nag 2 packs, each built with a logger that collects what it reports. */
export const NAG2_PACKS: ReadonlyArray<{ readonly name: string; readonly create: (props: nag2.NagPackProps) => nag2.NagPack }> = [
  { name: 'AwsSolutions', create: (props) => new nag2.AwsSolutionsChecks(props) },
  { name: 'HIPAA.Security', create: (props) => new nag2.HIPAASecurityChecks(props) },
  { name: 'NIST.800.53.R5', create: (props) => new nag2.NIST80053R5Checks(props) },
  { name: 'PCI.DSS.321', create: (props) => new nag2.PCIDSS321Checks(props) },
  { name: 'Serverless', create: (props) => new nag2.ServerlessChecks(props) },
];

/**
 * Synthesizes `app` with cdk-nag 2 packs applied as users apply them (`Aspects.of(app).add(pack)`, one or
 * several) and returns their error-level findings (and rule errors) that were not suppressed. Each finding's
 * rule id starts with its pack's name (`HIPAA.Security-...`), so one synth serves every pack.
 */
export function nag2Findings(app: App, create: ((props: nag2.NagPackProps) => nag2.NagPack) | Array<(props: nag2.NagPackProps) => nag2.NagPack>): string[] {
  const findings: string[] = [];
  const where = (resource: CfnResource) => resource.node.path;
  const logger: nag2.INagLogger = {
    onCompliance: () => undefined,
    onNonCompliance: (data) => {
      if (data.ruleLevel === nag2.NagMessageLevel.ERROR) findings.push(`${data.ruleId}${data.findingId ? `[${data.findingId}]` : ''} at ${where(data.resource)}`);
    },
    onSuppressed: () => undefined,
    onError: (data) => findings.push(`${data.ruleId} (rule error: ${data.errorMessage}) at ${where(data.resource)}`),
    onSuppressedError: () => undefined,
    onNotApplicable: () => undefined,
  };
  for (const createPack of Array.isArray(create) ? create : [create]) Aspects.of(app).add(createPack({ reports: false, additionalLoggers: [logger] }));
  try {
    app.synth();
  } catch (error) {
    // aws-cdk-lib 2.26x+ turns cdk-nag 2's error annotations into a failed synth; the findings are the report.
    if (findings.length === 0 || !/Validation ?Failed/i.test(String(error))) throw error;
  }
  return findings;
}
