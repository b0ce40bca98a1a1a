import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';

/** aws-cdk-lib's own `Stack.availabilityZones` getter: a stack whose class overrides it chose its AZs itself. */
const STACK_AZ_GETTER = Object.getOwnPropertyDescriptor(Stack.prototype, 'availabilityZones')?.get;

function availabilityZonesGetterOf(stack: Stack): (() => unknown) | undefined {
  for (let proto: object | null = Object.getPrototypeOf(stack); proto; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'availabilityZones');
    if (descriptor) return descriptor.get;
  }
  return undefined;
}

/**
 * Runs `build` (which creates an `ec2.Vpc` in `scope`'s stack) so that the VPC takes the region's first two
 * availability zones from `Fn::GetAZs` at deploy time, as it does in an env-agnostic stack, instead of looking
 * them up at synth time.
 *
 * In a stack with a concrete account and region, `ec2.Vpc` reads `Stack.availabilityZones`, which is a context
 * lookup (even with the `availabilityZones` prop, which it checks against them): without credentials or a
 * committed `cdk.context.json`, `cdk synth` fails, and unit tests get the dummy zones `dummy1a`, `dummy1b`. The
 * user asked for no lookup by creating a pattern, so the pattern's own VPC does none. For the duration of
 * `build` only, the stack's `availabilityZones` answers as an env-agnostic stack's does (the
 * `aws:cdk:availability-zones:fallback` context, else `Fn::Select` 0 and 1 of `Fn::GetAZs`).
 *
 * Left alone: env-agnostic stacks (CDK already answers with tokens, so their templates are unchanged) and
 * stacks whose class overrides `availabilityZones` (CDK's documented way to choose the zones; that choice wins).
 * A user who wants the VPC in particular zones passes their own `vpc`.
 */
export function withoutAvailabilityZoneLookup<T>(scope: IConstruct, build: () => T): T {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) return build();
  if (STACK_AZ_GETTER === undefined || availabilityZonesGetterOf(stack) !== STACK_AZ_GETTER) return build();
  if (Object.getOwnPropertyDescriptor(stack, 'availabilityZones')) return build(); // nested call: already answering
  const fallback = stack.node.tryGetContext(cxapi.AVAILABILITY_ZONE_FALLBACK_CONTEXT_KEY) as string[] | undefined;
  const zones = fallback ?? [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  Object.defineProperty(stack, 'availabilityZones', { configurable: true, get: () => zones });
  try {
    return build();
  } finally {
    delete (stack as { availabilityZones?: string[] }).availabilityZones;
  }
}
