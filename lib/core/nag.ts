import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/** One cdk-nag finding acknowledged on a construct, with the reason it is acceptable there. */
export interface NagAcknowledgement {
  /** Rule id, optionally narrowed to one finding, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** Why the finding is acceptable for this resource. Must be specific (at least 20 characters). */
  readonly reason: string;
}

const MIN_REASON_LENGTH = 20;

/**
 * Acknowledges cdk-nag findings on `scope` (and its children). Keep the call next to the resource it
 * concerns; a reason that does not explain the exception is rejected so the audit trail stays useful.
 */
export function acknowledgeNag(scope: IConstruct, ...acknowledgements: NagAcknowledgement[]): void {
  for (const ack of acknowledgements) {
    if (!/^[A-Za-z0-9]+-[A-Za-z0-9]+(\[.+\])?$/.test(ack.id)) {
      throw new Error(`cdk-nag rule id '${ack.id}' is malformed: expected e.g. 'AwsSolutions-IAM5' or 'AwsSolutions-IAM5[Resource::*]'`);
    }
    if (ack.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(
        `The reason for acknowledging ${ack.id} on ${scope.node.path} is too vague ('${ack.reason}'): ` +
          `say why the finding is acceptable for this resource (at least ${MIN_REASON_LENGTH} characters).`,
      );
    }
    Validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason });
  }
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
