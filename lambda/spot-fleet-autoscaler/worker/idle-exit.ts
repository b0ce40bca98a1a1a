/**
 * Worker-side half of `ScaleInMode.WORKERS_EXIT_WHEN_IDLE`: the autoscaler lowers the fleet's target without
 * terminating anybody, and each worker leaves by itself once it has had nothing to do for a while, so a
 * scale-in never kills a job in progress. Tell it when work starts and ends; `onIdle` runs once after
 * `idleSeconds` without work (stop receiving, then `shutdown -h now`: a one-time Spot Instance, which is
 * what Spot Fleet launches, terminates on OS shutdown, and the fleet does not replace it while it is
 * above its target).
 *
 *   const idle = new IdleExit({ idleSeconds: 180, onIdle: () => { stopping = true; execFile('shutdown', ['-h', 'now']); } });
 *   idle.start();
 *   // per message: idle.busy(); ...work...; idle.done();
 */

export interface IdleExitOptions {
  /** Seconds without work after which the worker exits; > 0. Keep it ≥ the autoscaler's run interval. */
  readonly idleSeconds: number;
  /** Called once when the worker has been idle for `idleSeconds`. */
  readonly onIdle: () => void;
}

export class IdleExit {
  private timer?: NodeJS.Timeout;
  private jobs = 0;
  private fired = false;
  private started = false;

  constructor(private readonly options: IdleExitOptions) {
    if (!(options.idleSeconds > 0) || !Number.isFinite(options.idleSeconds)) {
      throw new Error(`IdleExit: idleSeconds must be a number > 0 (got ${options.idleSeconds})`);
    }
  }

  /** Starts the idle clock (a worker that never gets a message leaves after idleSeconds). */
  public start(): void {
    this.started = true;
    this.arm();
  }

  /** A message was received: the worker is busy and will not exit. */
  public busy(): void {
    this.jobs += 1;
    this.disarm();
  }

  /** A message was finished (deleted or returned). */
  public done(): void {
    this.jobs = Math.max(0, this.jobs - 1);
    this.arm();
  }

  /** Stops the clock for good (the worker is shutting down for another reason). */
  public stop(): void {
    this.started = false;
    this.disarm();
  }

  /** Whether onIdle has run. */
  public get exited(): boolean {
    return this.fired;
  }

  private arm(): void {
    if (!this.started || this.fired || this.jobs > 0) return;
    this.disarm();
    this.timer = setTimeout(() => {
      this.fired = true;
      this.timer = undefined;
      this.options.onIdle();
    }, this.options.idleSeconds * 1000);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
