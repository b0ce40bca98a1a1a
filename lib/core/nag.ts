import { Validations } from 'aws-cdk-lib';
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
