import { App, Stack } from 'aws-cdk-lib';
import { QueueWithDlq, SecureBucket } from '../../lib';

/** The shared building blocks on their own: a secure bucket and a queue with its DLQ and alarm. */
export function addCoreExampleStack(app: App): Stack {
  const stack = new Stack(app, 'CoreExample', { description: 'cdk-compute-patterns: core building blocks' });
  new SecureBucket(stack, 'Data');
  new QueueWithDlq(stack, 'Jobs').addDeadLetterAlarm();
  return stack;
}
