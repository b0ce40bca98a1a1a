// How a user creates each construct with the fewest props, and the situations every construct must survive
// (app flags, envs, several instances, synthesizers). To cover a new construct, add it to CONSTRUCTS; to cover
// a new prop, add a situation to that construct's own file (situations/<construct>.ts).
import {
  BOOTSTRAP_QUALIFIER_CONTEXT,
  CliCredentialsStackSynthesizer,
  DefaultStackSynthesizer,
  Duration,
  LegacyStackSynthesizer,
  Stack,
  StackProps,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ImageProcessingApi, LambdaEcsWorker, QueueWithDlq, SpotFleetAutoscaler, TableTrigger } from 'cdk-compute-patterns';
import { AppKind, ENV, Situation, UserApp } from '../harness';

export interface ConstructUnderTest {
  readonly name: string;
  /** Creates one instance in `scope` with the fewest props; what the user must bring is created and owned. */
  readonly create: (user: UserApp, scope: Stack, id: string) => void;
}

/** A queue of the user's, encrypted and with a DLQ so its own findings stay few (they are the user's anyway). */
export function userQueue(user: UserApp, scope: Stack, id: string): sqs.IQueue {
  return user.own(new QueueWithDlq(scope, id, { visibilityTimeout: Duration.minutes(15) })).queue;
}

export function userVpc(user: UserApp, scope: Stack, id = 'UserVpc'): ec2.Vpc {
  return user.own(new ec2.Vpc(scope, id, { maxAzs: 2 }));
}

export const CONSTRUCTS: ConstructUnderTest[] = [
  { name: 'LambdaEcsWorker', create: (_user, scope, id) => new LambdaEcsWorker(scope, id) },
  {
    name: 'TableTrigger',
    create: (_user, scope, id) =>
      new TableTrigger(scope, id, {
        rules: [{ attribute: 'ssn', formats: [{ name: '9', pattern: '\\d{9}' }], computedAttribute: 'ssnFormat' }],
      }),
  },
  {
    name: 'SpotFleetAutoscaler',
    create: (user, scope, id) =>
      new SpotFleetAutoscaler(scope, id, {
        queue: userQueue(user, scope, `${id}Jobs`),
        fleet: { vpc: userVpc(user, scope, `${id}Vpc`), workerCommands: ['systemctl enable --now my-worker'] },
      }),
  },
  { name: 'ImageProcessingApi', create: (_user, scope, id) => new ImageProcessingApi(scope, id) },
];

/** The situations every construct must pass. */
export function everyConstructSituations(): Situation[] {
  const situations: Situation[] = [];
  for (const c of CONSTRUCTS) {
    const inStack = (name: string, app: AppKind, props: StackProps = {}, extra: Partial<Situation> = {}): Situation => ({
      name: `${c.name}: ${name}`,
      app,
      build: (user) => c.create(user, user.stack('Stack', props), c.name),
      ...extra,
    });
    situations.push(
      inStack('new App() without context, env-agnostic stack', AppKind.PLAIN),
      inStack('cdk init flags, env-agnostic stack', AppKind.CDK_INIT),
      inStack('cdk init flags, env-specific stack', AppKind.CDK_INIT, { env: ENV }),
      inStack('new App(), env-specific stack', AppKind.PLAIN, { env: ENV }),
      {
        name: `${c.name}: two instances in one stack`,
        build: (user) => {
          const stack = user.stack('Stack', { env: ENV });
          c.create(user, stack, `${c.name}One`);
          c.create(user, stack, `${c.name}Two`);
        },
      },
      {
        name: `${c.name}: one instance in each of two stacks`,
        build: (user) => {
          c.create(user, user.stack('StackOne', { env: ENV }), c.name);
          c.create(user, user.stack('StackTwo'), c.name);
        },
      },
      inStack("DefaultStackSynthesizer with qualifier 'myqual'", AppKind.PLAIN, {
        env: ENV,
        synthesizer: new DefaultStackSynthesizer({ qualifier: 'myqual' }),
      }),
      {
        name: `${c.name}: bootstrap qualifier from the '${BOOTSTRAP_QUALIFIER_CONTEXT}' context`,
        build: (user) => {
          user.app.node.setContext(BOOTSTRAP_QUALIFIER_CONTEXT, 'ctxqual');
          c.create(user, user.stack('Stack'), c.name);
        },
      },
      inStack('CliCredentialsStackSynthesizer', AppKind.CDK_INIT, { synthesizer: new CliCredentialsStackSynthesizer() }),
      inStack('LegacyStackSynthesizer', AppKind.CDK_INIT, { env: ENV, synthesizer: new LegacyStackSynthesizer() }),
    );
  }
  return situations;
}
