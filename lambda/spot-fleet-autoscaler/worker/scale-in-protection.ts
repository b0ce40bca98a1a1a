/**
 * Worker-side half of `ScaleInMode.PROTECT_BUSY_WORKERS`: the worker protects itself from scale-in while it
 * holds a message and releases the protection once idle, so the autoscaler's lower target removes only idle
 * workers.
 * - Auto Scaling group: instance scale-in protection (`SetInstanceProtection` on this instance; the
 *   construct grants it on the group's ARN to the group's role). Instance id from IMDS; group name given or
 *   read from the instance tag `aws:autoscaling:groupName` in IMDS (instance metadata tags on).
 * - ECS service: task scale-in protection through the ECS agent's endpoint
 *   (`PUT $ECS_AGENT_URI/task-protection/v1/state`), which expires: the guard renews it while busy.
 *
 *   const guard = new ScaleInGuard({ protection: new AutoScalingInstanceProtection() });
 *   // per message: await guard.busy(); ...work...; guard.done();
 *   // on a Spot notice or shutdown: await guard.stop();
 */
import { AutoScalingClient, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import { Imds, ImdsOptions } from './imds';

/** A way to protect this worker from scale-in. */
export interface ScaleInProtection {
  /** For logs: what is protected. */
  readonly description: string;
  /** How often a held protection must be renewed (it expires); undefined when it does not expire. */
  readonly renewEveryMs?: number;
  /** Turns protection on or off; resolves once the target confirmed it, rejects with the reason otherwise. */
  setProtected(protect: boolean): Promise<void>;
}

export interface AutoScalingInstanceProtectionOptions {
  /** @default a new AutoScalingClient (region and endpoint from the environment: AWS_ENDPOINT_URL_AUTO_SCALING) */
  readonly autoscaling?: AutoScalingClient;
  /** @default process.env.AUTO_SCALING_GROUP_NAME, else the instance tag `aws:autoscaling:groupName` from IMDS */
  readonly autoScalingGroupName?: string;
  /** @default the instance id from IMDS */
  readonly instanceId?: string;
  /** Where IMDS is. @default the link-local address, or AWS_EC2_METADATA_SERVICE_ENDPOINT */
  readonly imds?: ImdsOptions;
}

/** Instance scale-in protection of this EC2 instance in its Auto Scaling group. */
export class AutoScalingInstanceProtection implements ScaleInProtection {
  public readonly description = 'instance scale-in protection';
  private readonly autoscaling: AutoScalingClient;
  private readonly imds: Imds;
  private identity?: Promise<{ group: string; instanceId: string }>;

  constructor(private readonly options: AutoScalingInstanceProtectionOptions = {}) {
    this.autoscaling = options.autoscaling ?? new AutoScalingClient({});
    this.imds = new Imds(options.imds);
  }

  /** The group and instance, read once (a failed read is retried on the next call). */
  public whoAmI(): Promise<{ group: string; instanceId: string }> {
    this.identity ??= (async () => {
      const instanceId = this.options.instanceId ?? (await this.imds.text('instance-id'));
      const group =
        this.options.autoScalingGroupName ??
        process.env.AUTO_SCALING_GROUP_NAME ??
        (await this.imds.text(
          'tags/instance/aws:autoscaling:groupName',
          'turn on instance metadata tags in the launch template (instanceMetadataTags: true) or set AUTO_SCALING_GROUP_NAME',
        ));
      return { group, instanceId };
    })();
    this.identity.catch(() => (this.identity = undefined));
    return this.identity;
  }

  public async setProtected(protect: boolean): Promise<void> {
    const { group, instanceId } = await this.whoAmI();
    await this.autoscaling.send(
      new SetInstanceProtectionCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId], ProtectedFromScaleIn: protect }),
    );
  }
}

export interface EcsTaskProtectionOptions {
  /** @default process.env.ECS_AGENT_URI (the ECS agent injects it into every container) */
  readonly agentUri?: string;
  /** How long one protection lasts (1–2880); the guard renews it at half that while busy. @default 60 */
  readonly expiresInMinutes?: number;
  /** Per-request timeout in ms. @default 5000 */
  readonly requestTimeoutMs?: number;
}

/**
 * Reads the ECS agent's answer to PUT task-protection/v1/state: `{ protection: { ProtectionEnabled } }` on
 * success, `{ failure: { Reason } }` or `{ error: { Code, Message } }` otherwise. Throws unless the task is
 * now in the state asked for.
 */
export function checkTaskProtectionResponse(status: number, body: string, wanted: boolean): void {
  let parsed: Record<string, { ProtectionEnabled?: unknown; Reason?: unknown; Detail?: unknown; Code?: unknown; Message?: unknown }>;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`ECS agent task-protection answered HTTP ${status} without JSON: ${body.slice(0, 200)}`);
  }
  if (parsed?.error) throw new Error(`ECS agent task-protection error ${parsed.error.Code ?? ''}: ${parsed.error.Message ?? body.slice(0, 200)}`);
  if (parsed?.failure) throw new Error(`ECS agent task-protection failure: ${parsed.failure.Reason ?? ''} ${parsed.failure.Detail ?? ''}`.trim());
  if (status !== 200) throw new Error(`ECS agent task-protection answered HTTP ${status}: ${body.slice(0, 200)}`);
  if (parsed?.protection?.ProtectionEnabled !== wanted) {
    throw new Error(`ECS agent task-protection did not confirm ProtectionEnabled=${wanted}: ${body.slice(0, 200)}`);
  }
}

/** ECS task scale-in protection of this task, through the ECS agent. */
export class EcsTaskProtection implements ScaleInProtection {
  public readonly description = 'ECS task scale-in protection';
  public readonly renewEveryMs: number;
  private readonly agentUri: string;
  private readonly expiresInMinutes: number;
  private readonly requestTimeoutMs: number;

  constructor(options: EcsTaskProtectionOptions = {}) {
    const agentUri = options.agentUri ?? process.env.ECS_AGENT_URI;
    if (!agentUri) throw new Error('EcsTaskProtection: ECS_AGENT_URI is not set (it is set inside ECS tasks; pass agentUri elsewhere)');
    const minutes = options.expiresInMinutes ?? 60;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 2880) {
      throw new Error(`EcsTaskProtection: expiresInMinutes must be a whole number from 1 to 2880 (got ${minutes})`);
    }
    this.agentUri = agentUri.replace(/\/+$/, '');
    this.expiresInMinutes = minutes;
    this.renewEveryMs = (minutes * 60_000) / 2;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  }

  public async setProtected(protect: boolean): Promise<void> {
    const response = await fetch(`${this.agentUri}/task-protection/v1/state`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(protect ? { ProtectionEnabled: true, ExpiresInMinutes: this.expiresInMinutes } : { ProtectionEnabled: false }),
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    });
    checkTaskProtectionResponse(response.status, await response.text(), protect);
  }
}

export interface ScaleInGuardOptions {
  readonly protection: ScaleInProtection;
  /**
   * Seconds without work before the protection is released (a short pause between messages then costs
   * no API calls). Use the preset's `workerIdleSeconds`.
   * @default 0
   */
  readonly releaseAfterIdleSeconds?: number;
  /** Called when a release or renewal fails (a failed `busy()` rejects instead). */
  readonly onError?: (error: Error) => void;
}

/** Holds scale-in protection while the worker has work. */
export class ScaleInGuard {
  private jobs = 0;
  private isProtected = false;
  private stopped = false;
  private releaseTimer?: NodeJS.Timeout;
  private renewTimer?: NodeJS.Timeout;
  /** Protection changes run one after another, in call order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: ScaleInGuardOptions) {
    const seconds = options.releaseAfterIdleSeconds ?? 0;
    if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new Error(`ScaleInGuard: releaseAfterIdleSeconds must be a number ≥ 0 (got ${seconds})`);
  }

  /** Whether the target last confirmed protection on. */
  public get protected(): boolean {
    return this.isProtected;
  }

  /**
   * A message was received: protect (if not already) before working on it. If this rejects, the worker is
   * NOT protected: return the message to the queue and stop.
   */
  public async busy(): Promise<void> {
    if (this.stopped) throw new Error('ScaleInGuard: stopped (the worker is shutting down); take no more work');
    this.jobs += 1;
    this.clearRelease();
    try {
      await this.set(true);
    } catch (error) {
      this.jobs -= 1;
      throw error;
    }
  }

  /** A message was finished (deleted or returned). */
  public done(): void {
    this.jobs = Math.max(0, this.jobs - 1);
    if (this.jobs > 0 || this.stopped) return;
    this.clearRelease();
    const release = () => void this.set(false).catch((error) => this.options.onError?.(error as Error));
    const seconds = this.options.releaseAfterIdleSeconds ?? 0;
    if (seconds === 0) return release();
    this.releaseTimer = setTimeout(release, seconds * 1000);
    this.releaseTimer.unref?.();
  }

  /** Releases protection now and for good (Spot notice, shutdown). Never rejects: failures go to onError. */
  public async stop(): Promise<void> {
    this.stopped = true;
    this.clearRelease();
    try {
      await this.set(false);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }

  private set(protect: boolean): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.isProtected === protect) return;
      if (protect && this.stopped) throw new Error('ScaleInGuard: stopped');
      await this.options.protection.setProtected(protect);
      this.isProtected = protect;
      this.scheduleRenewal();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Expiring protection (ECS) is renewed while held. */
  private scheduleRenewal(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    const every = this.options.protection.renewEveryMs;
    if (!this.isProtected || every === undefined) return;
    this.renewTimer = setInterval(() => {
      this.chain = this.chain
        .then(() => (this.isProtected && !this.stopped ? this.options.protection.setProtected(true) : undefined))
        .catch((error) => this.options.onError?.(error as Error));
    }, every);
    this.renewTimer.unref?.();
  }

  private clearRelease(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
  }
}
