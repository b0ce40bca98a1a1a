import * as cdk from 'aws-cdk-lib';
import { IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Adds an Aspect that changes the tree (acknowledgements, fitted descriptions) so it runs before read-only ones
 * such as cdk-nag 2's packs. Aspect priorities exist from aws-cdk-lib 2.172; before that, the Aspect is added plainly.
 */
export function addMutatingAspect(scope: IConstruct, aspect: IAspect): void {
  const priority = (cdk as { AspectPriority?: typeof cdk.AspectPriority }).AspectPriority;
  if (priority) cdk.Aspects.of(scope).add(aspect, { priority: priority.MUTATING });
  else cdk.Aspects.of(scope).add(aspect);
}
