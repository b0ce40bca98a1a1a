import * as cdk from 'aws-cdk-lib';
import { CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { addMutatingAspect } from './aspects';

/** One cdk-nag finding acknowledged on a construct, with the reason it is acceptable there. */
export interface NagAcknowledgement {
  /**
   * Rule id of any cdk-nag pack, optionally narrowed to one finding, e.g. `AwsSolutions-IAM5[Resource::*]`,
   * `HIPAA.Security-LambdaInsideVPC` or `NIST.800.53.R5-IAMNoInlinePolicy`.
   */
  readonly id: string;
  /** Why the finding is acceptable for this resource. Must be specific (at least 20 characters). */
  readonly reason: string;
}

const MIN_REASON_LENGTH = 20;

/**
 * A rule id of any cdk-nag pack (`AwsSolutions-IAM5`, `HIPAA.Security-X`, `NIST.800.53.R5-X`, `PCI.DSS.321-X`,
 * `Serverless-X`), optionally with one finding in brackets (`AwsSolutions-IAM5[Resource::*]`).
 */
const RULE_ID = /^([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*-[A-Za-z0-9]+)(?:\[(.+)\])?$/;

/**
 * Acknowledges cdk-nag findings on `scope` (and its children), for cdk-nag 3 (a validation plugin, through
 * `Validations.of(scope).acknowledge`) and cdk-nag 2 (an Aspect, through the `cdk_nag` metadata it reads on
 * each resource). Keep the call next to the resource it concerns; a reason that does not explain the
 * exception is rejected so the audit trail stays useful. cdk-nag is never imported: it stays the user's choice.
 */
export function acknowledgeNag(scope: IConstruct, ...acknowledgements: NagAcknowledgement[]): void {
  for (const ack of acknowledgements) {
    if (!RULE_ID.test(ack.id)) {
      throw new Error(
        `cdk-nag rule id '${ack.id}' is malformed: expected a pack's rule id such as 'AwsSolutions-IAM5', ` +
          `'HIPAA.Security-LambdaInsideVPC' or 'NIST.800.53.R5-IAMNoInlinePolicy', optionally with one finding, e.g. 'AwsSolutions-IAM5[Resource::*]'`,
      );
    }
    if (ack.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(
        `The reason for acknowledging ${ack.id} on ${scope.node.path} is too vague ('${ack.reason}'): ` +
          `say why the finding is acceptable for this resource (at least ${MIN_REASON_LENGTH} characters).`,
      );
    }
    acknowledgeForValidationPlugins(scope, ack);
    NagV2Acknowledgements.of(scope).add(ack);
  }
}

/**
 * cdk-nag 3 reads acknowledgements from aws-cdk-lib's `Validations` (2.257+). aws-cdk-lib before 2.269 rejects
 * a finding id holding `::` (`...IAM4[Policy::arn:...]`), the form cdk-nag 3 reports granular findings in; there
 * the acknowledgement cannot be expressed, and cdk-nag 3 cannot run anyway (it reports the same ids), so it is
 * skipped rather than crashing the user's synth. cdk-nag 2 users are served by the metadata below on any version.
 */
function acknowledgeForValidationPlugins(scope: IConstruct, ack: NagAcknowledgement): void {
  const validations = (cdk as { Validations?: typeof cdk.Validations }).Validations;
  if (validations === undefined) return;
  try {
    validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason });
  } catch (error) {
    if (!/InvalidValidationId|Invalid validation rule ID/.test(String((error as Error)?.message ?? error) + String((error as { code?: string })?.code))) throw error;
  }
}

/** cdk-nag 2's suppression as it reads it from a resource's `cdk_nag` metadata (`rules_to_suppress`). */
interface NagV2Rule {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
  readonly is_reason_encoded?: boolean;
}

function toNagV2Rule(ack: NagAcknowledgement): NagV2Rule {
  const [, ruleId, finding] = RULE_ID.exec(ack.id)!;
  // cdk-nag 2 base64-encodes reasons with characters beyond Latin-1 (they cannot go into its annotations).
  const encoded = [...ack.reason].some((c) => c.codePointAt(0)! > 255);
  return {
    id: ruleId,
    reason: encoded ? Buffer.from(ack.reason).toString('base64') : ack.reason,
    ...(finding !== undefined ? { applies_to: [finding] } : {}),
    ...(encoded ? { is_reason_encoded: true } : {}),
  };
}

/** cdk-nag 2's pack base class, recognised by shape: the library never imports cdk-nag. */
function isNagV2Pack(aspect: IAspect): boolean {
  return typeof (aspect as { visit?: unknown }).visit === 'function' && 'readPackName' in (aspect as object);
}

/**
 * The acknowledgements on one scope, handed to cdk-nag 2: an Aspect that runs before cdk-nag 2's own
 * (mutating priority) writes them as `cdk_nag` metadata onto every CloudFormation resource under the scope,
 * including those created after the acknowledgement. It writes nothing unless a cdk-nag 2 pack is among the
 * aspects that apply to the resource, so templates (and users' snapshots) stay as they were for everyone else.
 */
class NagV2Acknowledgements implements IAspect {
  private static readonly registry = new WeakMap<IConstruct, NagV2Acknowledgements>();

  public static of(scope: IConstruct): NagV2Acknowledgements {
    let acks = NagV2Acknowledgements.registry.get(scope);
    if (!acks) {
      acks = new NagV2Acknowledgements();
      NagV2Acknowledgements.registry.set(scope, acks);
      addMutatingAspect(scope, acks);
    }
    return acks;
  }

  private readonly rules: NagV2Rule[] = [];

  public add(ack: NagAcknowledgement): void {
    this.rules.push(toNagV2Rule(ack));
  }

  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node)) writeNagV2Metadata(node, this.rules);
  }
}

/** Adds `rules` to the resource's `cdk_nag` metadata, where a cdk-nag 2 pack applies to it. */
function writeNagV2Metadata(node: CfnResource, rules: NagV2Rule[]): void {
  if (!node.node.scopes.some((c) => cdk.Aspects.of(c).all.some(isNagV2Pack))) return;
  const metadata = (node.getMetadata('cdk_nag') ?? {}) as { rules_to_suppress?: NagV2Rule[] };
  const present = new Set((metadata.rules_to_suppress ?? []).map((rule) => JSON.stringify(rule)));
  const added = rules.filter((rule) => !present.has(JSON.stringify(rule)));
  if (added.length > 0) node.addMetadata('cdk_nag', { ...metadata, rules_to_suppress: [...(metadata.rules_to_suppress ?? []), ...added] });
}

/**
 * Acknowledges on one resource, at once, from inside an Aspect (where adding another Aspect would come too
 * late): for cdk-nag 3 through Validations, for cdk-nag 2 by writing its metadata directly.
 */
export function acknowledgeNagOnResource(node: CfnResource, ...acknowledgements: NagAcknowledgement[]): void {
  for (const ack of acknowledgements) acknowledgeForValidationPlugins(node, ack);
  writeNagV2Metadata(node, acknowledgements.map(toNagV2Rule));
}

/**
 * cdk-nag acknowledgements whose reason must say something, for the package's users (the function above is
 * the patterns' own entry point; this class is how every jsii language reaches it).
 */
export class NagAcknowledgements {
  /**
   * Acknowledges cdk-nag findings on `scope` (and its children), e.g. `{ id: 'AwsSolutions-IAM5[Resource::*]',
   * reason: '...' }`. Keep the call next to the resource it concerns. Throws when an id is malformed or a
   * reason is shorter than 20 characters.
   */
  public static acknowledge(scope: IConstruct, ...acknowledgements: NagAcknowledgement[]): void {
    acknowledgeNag(scope, ...acknowledgements);
  }

  private constructor() {}
}

/**
 * Acknowledges exactly the AwsSolutions-IAM5 findings that `policy` has now, one finding id per wildcard
 * (`AwsSolutions-IAM5[Resource::arn:...:instance/*]`), never the whole rule: a wildcard added to the
 * policy later is still reported. Call it after the last statement is added. The finding ids are built as
 * cdk-nag builds them (resolved document, CloudFormation references flattened to `<LogicalId>`).
 */
export function acknowledgePolicyWildcards(policy: iam.Policy, reason: string): string[] {
  const ids = acknowledgeCurrentWildcards(policy, reason);
  // A reference to another stack resolves to its final form (an import) only once the app is prepared, and
  // cdk-nag reports that form: acknowledge again then, from the validation phase that precedes the plugins.
  policy.node.addValidation({
    validate: () => {
      acknowledgeCurrentWildcards(policy, reason);
      return [];
    },
  });
  return ids;
}

function acknowledgeCurrentWildcards(policy: iam.Policy, reason: string): string[] {
  const document = Stack.of(policy).resolve(policy.document) as { Statement?: any[] };
  const findings = new Set<string>();
  for (const statement of document.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of [statement.Action ?? []].flat()) if (String(action).includes('*')) findings.add(`Action::${action}`);
    for (const resource of [statement.Resource ?? []].flat()) {
      const flat = flatten(resource);
      if (flat.includes('*')) findings.add(`Resource::${flat}`);
    }
  }
  const ids = [...findings].map((finding) => `AwsSolutions-IAM5[${finding}]`);
  if (ids.length > 0) acknowledgeNag(policy, ...ids.map((id) => ({ id, reason })));
  return ids;
}

/** CloudFormation value → the flat string cdk-nag reports (`Fn::Join` joined, `Ref` as `<Name>`). */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, any>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'];
    return (items as unknown[]).map(flatten).join(delimiter);
  }
  if (value['Fn::Sub']) return flatten(value['Fn::Sub']);
  if (value['Fn::GetAtt']) return `<${flatten(value['Fn::GetAtt'][0])}.${flatten(value['Fn::GetAtt'][1])}>`;
  if (value['Fn::ImportValue']) return flatten(value['Fn::ImportValue']);
  if (value.Ref) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
}
