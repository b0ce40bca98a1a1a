/**
 * Worker-side Spot interruption handling, for workers on instances a WorkerSpotFleet (or any Spot
 * capacity) runs. Every 5 s it asks the instance metadata service (IMDSv2) for
 * `/latest/meta-data/spot/instance-action`; when a notice appears (about two minutes before the instance
 * is stopped or terminated, also when a fleet scales in), it stops the worker from taking new messages
 * and returns every in-flight message to the queue (ChangeMessageVisibility 0), so another worker picks
 * it up at once instead of after the visibility timeout.
 *
 *   const watcher = new SpotInterruptionWatcher({
 *     sqs, queueUrl,
 *     inFlight: () => current.map((m) => m.ReceiptHandle!),    // what this worker holds now
 *     onNotice: () => { stopping = true; },                     // stop receiving
 *   });
 *   watcher.start();  ...  watcher.stop();
 *
 * See docs/spot-fleet-autoscaler.md ("Spot interruptions").
 */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Imds } from './imds';

/** The instance-action document IMDS serves once a notice is out. */
export interface InstanceActionNotice {
  /** `terminate`, `stop` or `hibernate`. */
  readonly action: string;
  /** When it happens (ISO-8601). */
  readonly time: string;
}

export interface ReturnedMessages {
  readonly returned: number;
  /** Receipt handles SQS refused (e.g. already expired); those messages come back after their timeout. */
  readonly failed: { receiptHandle: string; error: string }[];
}

export interface SpotInterruptionWatcherOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The receipt handles of the messages this worker holds right now. */
  readonly inFlight: () => Iterable<string>;
  /**
   * Called once, when the notice is first seen, and awaited before messages are returned: stop receiving
   * there (and release scale-in protection: `ScaleInGuard.stop()`). If it fails, the messages are still
   * returned and the failure goes to onError.
   */
  readonly onNotice?: (notice: InstanceActionNotice) => void | Promise<void>;
  /** Called after the messages were returned. */
  readonly onReturned?: (result: ReturnedMessages, notice: InstanceActionNotice) => void;
  /** Called when a check fails (IMDS unreachable...); the watcher keeps polling. */
  readonly onError?: (error: Error) => void;
  /**
   * IMDS base URL.
   * @default process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254'
   */
  readonly endpoint?: string;
  /** @default 5000 (AWS's recommendation: check every 5 s) */
  readonly intervalMs?: number;
  /** Per-request timeout. @default 2000 */
  readonly requestTimeoutMs?: number;
}

export const DEFAULT_INTERVAL_MS = 5_000;

/**
 * Reads IMDS's answer to GET spot/instance-action: 404 = no notice; 200 = the notice. Anything else is
 * an error (thrown), never a silent "no notice".
 */
export function parseInstanceAction(status: number, body: string): InstanceActionNotice | undefined {
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`IMDS spot/instance-action answered HTTP ${status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`IMDS spot/instance-action returned no JSON: ${body.slice(0, 200)}`);
  }
  const { action, time } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof action !== 'string' || typeof time !== 'string') throw new Error(`IMDS spot/instance-action lacks action/time: ${body.slice(0, 200)}`);
  return { action, time };
}

/** Returns every message in `receiptHandles` to the queue now (visibility 0). Never throws for one bad handle. */
export async function returnMessages(sqs: SQSClient, queueUrl: string, receiptHandles: Iterable<string>): Promise<ReturnedMessages> {
  const handles = [...new Set(receiptHandles)];
  const results = await Promise.allSettled(
    handles.map((ReceiptHandle) => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle, VisibilityTimeout: 0 }))),
  );
  const failed = results.flatMap((result, i) =>
    result.status === 'rejected' ? [{ receiptHandle: handles[i], error: String((result.reason as Error)?.message ?? result.reason) }] : [],
  );
  return { returned: handles.length - failed.length, failed };
}

export class SpotInterruptionWatcher {
  /** Resolves with the notice once it has been handled (messages returned). */
  public readonly interrupted: Promise<InstanceActionNotice>;
  private resolveInterrupted!: (notice: InstanceActionNotice) => void;
  private readonly imds: Imds;
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private notice?: InstanceActionNotice;
  private checking = false;

  constructor(private readonly options: SpotInterruptionWatcherOptions) {
    this.imds = new Imds({ endpoint: options.endpoint, requestTimeoutMs: options.requestTimeoutMs });
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.interrupted = new Promise((resolve) => (this.resolveInterrupted = resolve));
  }

  /** Starts polling (first check at once). */
  public start(): void {
    if (this.timer) return;
    const tick = () => void this.check();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    tick();
  }

  public stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The notice, once seen. */
  public get noticed(): InstanceActionNotice | undefined {
    return this.notice;
  }

  /**
   * One check: read instance-action; on the first notice, call onNotice, return the in-flight messages
   * and resolve `interrupted`. Returns the notice (if any). Errors go to onError and are rethrown.
   */
  public async check(): Promise<InstanceActionNotice | undefined> {
    if (this.notice || this.checking) return this.notice;
    this.checking = true;
    try {
      const notice = await this.readInstanceAction();
      if (!notice) return undefined;
      this.notice = notice;
      this.stop();
      // What the worker holds as the notice arrives: onNotice aborts its jobs, which may let go of them.
      const held = [...this.options.inFlight()];
      try {
        await this.options.onNotice?.(notice);
      } catch (error) {
        this.options.onError?.(error as Error);
      }
      const result = await returnMessages(this.options.sqs, this.options.queueUrl, held);
      this.options.onReturned?.(result, notice);
      this.resolveInterrupted(notice);
      return notice;
    } catch (error) {
      this.options.onError?.(error as Error);
      return undefined;
    } finally {
      this.checking = false;
    }
  }

  private async readInstanceAction(): Promise<InstanceActionNotice | undefined> {
    const { status, body } = await this.imds.get('spot/instance-action');
    return parseInstanceAction(status, body);
  }
}
