/**
 * A queue worker loop that cooperates with the autoscaler's scale-in on every target: one message at a
 * time; scale-in protection held while it works (Auto Scaling group, ECS service) or an exit when idle
 * (Spot Fleet lowered with `noTermination`); a Spot interruption notice stops it, releases the protection
 * and returns the message it holds at once. A message whose handler fails is not deleted: it comes back
 * after its visibility timeout and goes to the DLQ after maxReceiveCount.
 */
import { DeleteMessageCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { IdleExit } from './idle-exit';
import { ImdsOptions } from './imds';
import { ScaleInGuard } from './scale-in-protection';
import { returnMessages, SpotInterruptionWatcher } from './spot-interruption';

export type QueueWorkerStop = 'idle' | 'interrupted' | 'stopped' | 'protection-failed';

export interface QueueWorkerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Does one job; throw to leave the message for a retry. `signal` aborts on a Spot notice or stop(). */
  readonly handle: (message: Message, signal: AbortSignal) => Promise<void>;
  /** Scale-in protection while busy (Auto Scaling group, ECS service). @default none */
  readonly guard?: ScaleInGuard;
  /** Leave after this many seconds without a message (Spot Fleet with `noTermination`). @default never */
  readonly idleExitSeconds?: number;
  /** Watch IMDS for the Spot interruption notice. @default true */
  readonly watchSpotInterruptions?: boolean;
  /** IMDS location (tests). @default the SDK's */
  readonly imds?: ImdsOptions;
  /** Spot notice polling interval in ms. @default 5000 */
  readonly interruptionIntervalMs?: number;
  /** Long-poll wait. @default 20 */
  readonly waitTimeSeconds?: number;
  /** One structured event per thing that happened. @default none */
  readonly log?: (event: string, fields?: Record<string, unknown>) => void;
}

export interface QueueWorkerResult {
  readonly stoppedBecause: QueueWorkerStop;
  readonly processed: number;
  readonly failed: number;
  readonly returned: number;
}

/** A running worker: `done` resolves when the loop has ended; `stop()` ends it (SIGTERM). */
export interface RunningQueueWorker {
  readonly done: Promise<QueueWorkerResult>;
  stop(): Promise<void>;
}

export function startQueueWorker(options: QueueWorkerOptions): RunningQueueWorker {
  const log = options.log ?? (() => undefined);
  const held = new Map<string, string>();
  const abort = new AbortController();
  let stoppedBecause: QueueWorkerStop | undefined;
  let processed = 0;
  let failed = 0;
  let returned = 0;

  const finish = async (why: QueueWorkerStop) => {
    if (stoppedBecause) return;
    stoppedBecause = why;
    abort.abort();
    idle?.stop();
    watcher?.stop();
    await options.guard?.stop();
  };
  const idle =
    options.idleExitSeconds === undefined
      ? undefined
      : new IdleExit({ idleSeconds: options.idleExitSeconds, onIdle: () => void finish('idle') });
  const watcher =
    options.watchSpotInterruptions === false
      ? undefined
      : new SpotInterruptionWatcher({
          sqs: options.sqs,
          queueUrl: options.queueUrl,
          endpoint: options.imds?.endpoint,
          requestTimeoutMs: options.imds?.requestTimeoutMs,
          intervalMs: options.interruptionIntervalMs,
          inFlight: () => held.values(),
          // Stop taking work and release the protection BEFORE the messages go back.
          onNotice: (notice) => {
            log('spot interruption notice', { ...notice });
            return finish('interrupted');
          },
          onReturned: (result) => {
            returned += result.returned;
            log('messages returned', { returned: result.returned, failed: result.failed });
          },
          onError: (error) => log('spot interruption check failed', { error: error.message }),
        });

  const loop = async (): Promise<QueueWorkerResult> => {
    // A worker (re)started during the notice period must not take work: look before the first receive.
    await watcher?.check();
    idle?.start();
    watcher?.start();
    while (!stoppedBecause) {
      let messages: Message[];
      try {
        const out = await options.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: options.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: options.waitTimeSeconds ?? 20 }),
          { abortSignal: abort.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (stoppedBecause) break;
        log('receive failed', { error: (error as Error).message });
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      for (const message of messages) {
        const handle = message.ReceiptHandle!;
        if (stoppedBecause) {
          // Received as we were stopping: hand it straight back.
          returned += (await returnMessages(options.sqs, options.queueUrl, [handle])).returned;
          continue;
        }
        held.set(message.MessageId!, handle);
        idle?.busy();
        try {
          if (options.guard) {
            try {
              await options.guard.busy();
            } catch (error) {
              // Unprotected work could be killed by a scale-in: give the message back and stop, loudly.
              log('scale-in protection failed', { error: (error as Error).message });
              returned += (await returnMessages(options.sqs, options.queueUrl, [handle])).returned;
              await finish('protection-failed');
              break;
            }
          }
          try {
            await options.handle(message, abort.signal);
            // After a Spot notice or stop() the message was returned: another worker owns it now.
            if (stoppedBecause) continue;
            await options.sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: handle }));
            processed += 1;
            log('job done', { messageId: message.MessageId });
          } catch (error) {
            if (stoppedBecause) log('job abandoned (message returned)', { messageId: message.MessageId, error: (error as Error).message });
            else {
              failed += 1;
              log('job failed', { messageId: message.MessageId, error: (error as Error).message });
            }
          } finally {
            options.guard?.done();
          }
        } finally {
          held.delete(message.MessageId!);
          idle?.done();
        }
      }
    }
    // On a notice, the watcher is returning the held messages: the result counts them.
    if (stoppedBecause === 'interrupted') await watcher!.interrupted;
    return { stoppedBecause: stoppedBecause!, processed, failed, returned };
  };

  const done = loop();
  return {
    done,
    stop: async () => {
      await finish('stopped');
      // Whatever is still held goes back now rather than after its visibility timeout.
      if (held.size > 0) returned += (await returnMessages(options.sqs, options.queueUrl, held.values())).returned;
    },
  };
}
