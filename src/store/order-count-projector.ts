import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import { BackgroundLoop } from '../background-loop';
import type { OrderCountsRepository } from './order-counts.repository';
import type { ReplicaLease } from './replica-lease';

export interface OrderCountProjectorOptions {
  /** Pause between looks for changed orders once none are left. */
  idleMs: number;
  /** Orders folded in per transaction. */
  batchSize: number;
}

/**
 * Batches folded per read of the marked orders: a read costs the whole backlog on SecantusDB (order-counts.repository.ts
 * project), so a large backlog is read in few passes.
 */
const PASS_BATCHES = 100;

const DEFAULTS: OrderCountProjectorOptions = { idleMs: 100, batchSize: 500 };

/**
 * Keeps the order counts (order-counts.repository.ts) close behind the writes, on the one replica holding its lease:
 * marks the orders of an older store once, then folds changed orders in, batch after batch. Readers are exact whatever
 * it lags; a replica that dies mid-batch leaves nothing half done (each batch is one transaction).
 */
export class OrderCountProjector {
  private readonly loop = new BackgroundLoop(() => this.run());
  private renewedAt = 0;
  private readonly options: OrderCountProjectorOptions;

  constructor(
    private readonly counts: Pick<OrderCountsRepository, 'backfill' | 'project'>,
    private readonly lease: Pick<ReplicaLease, 'renew' | 'held' | 'release' | 'renewEveryMs'>,
    private readonly logger: Logger,
    private readonly metrics: Pick<Metrics, 'orderCountsBacklog' | 'orderCountsFolded' | 'orderCountsFailedPasses'>,
    options: Partial<OrderCountProjectorOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.lease.release().catch(() => undefined);
  }

  /** One pass; the delay before the next. */
  private async run(): Promise<number> {
    let next = this.options.idleMs;
    try {
      if (await this.holdsLease()) {
        await this.counts.backfill();
        // A pass that read as many as it may read leaves more behind: the next starts at once.
        const passLimit = PASS_BATCHES * this.options.batchSize;
        while (!this.loop.isStopped && (await this.holdsLease())) {
          const { read, folded } = await this.counts.project(this.options.batchSize, passLimit);
          this.metrics.orderCountsBacklog.set(read);
          this.metrics.orderCountsFolded.inc(folded);
          if (read < passLimit) break;
        }
      } else {
        next = this.lease.renewEveryMs;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'order count projector: pass failed, trying again');
      this.metrics.orderCountsFailedPasses.inc({ reason: (error as { codeName?: string }).codeName ?? (error as Error).name ?? 'unknown' });
      next = Math.max(next, 1_000);
    }
    return next;
  }

  private async holdsLease(): Promise<boolean> {
    if (this.lease.held() && Date.now() - this.renewedAt < this.lease.renewEveryMs) return true;
    const held = await this.lease.renew();
    if (held) this.renewedAt = Date.now();
    return held;
  }
}
