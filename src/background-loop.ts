import { untraced } from './observability/tracing';

/** After a pass that threw (passes should report their own errors), the next one waits this long. */
const AFTER_FAILED_PASS_MS = 1_000;

/**
 * The heartbeat of a background job (the count projector, the DLQ retention, the redrive runner): runs one pass, then
 * the next after the delay the pass returns, until stopped. One pass at a time, outside any request's trace, and never
 * what keeps the process alive.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  /** `pass` resolves with the delay before the next pass (ms). */
  constructor(private readonly pass: () => Promise<number>) {}

  /** True from `stop` on: a long pass checks it between its steps. */
  get isStopped(): boolean {
    return this.stopped;
  }

  start(firstDelayMs = 0): void {
    this.stopped = false;
    this.schedule(firstDelayMs);
  }

  /** Runs the next pass now rather than after its delay (no-op while one runs: it reschedules itself). */
  wake(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  /** No pass starts after this; resolves once the one running, if any, has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = untraced(this.pass)
        .catch(() => AFTER_FAILED_PASS_MS)
        .then((next) => {
          this.running = null;
          this.schedule(next);
        });
    }, delayMs);
    this.timer.unref();
  }
}
