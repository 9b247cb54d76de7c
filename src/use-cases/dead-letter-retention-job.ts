import type { Logger } from 'pino';
import { BackgroundLoop } from '../background-loop';
import type { ReplicaLease } from '../store/replica-lease';
import type { DeadLetterRetention } from './dead-letter-retention';

export interface DeadLetterRetentionJobOptions {
  /** Pause between passes (DLQ_RETENTION_SWEEP_INTERVAL). */
  intervalMs: number;
  /** Entries read and retired per batch. */
  batchSize: number;
  /** Batches per pass at most: a pass's work is bounded, however many entries are due. */
  passBatches: number;
  /** Pause before the next pass when a pass stopped at its bound with entries left. */
  backlogPauseMs: number;
}

const DEFAULTS: Omit<DeadLetterRetentionJobOptions, 'intervalMs'> = { batchSize: 100, passBatches: 10, backlogPauseMs: 1_000 };

/**
 * Runs the retention on the one replica holding the `dlq-retention` lease: every interval, a pass of bounded size
 * retires the entries longest past the retention, batch after batch. Exactly-once does not rest on the lease (a lease
 * can run out mid-pass): each retirement is a conditional write decided on the fresh order; the lease only keeps the
 * replicas from doing the same reads and losing the same races.
 */
export class DeadLetterRetentionJob {
  private readonly loop = new BackgroundLoop(() => this.run());
  private readonly options: DeadLetterRetentionJobOptions;

  constructor(
    private readonly retention: Pick<DeadLetterRetention, 'retireDue'>,
    private readonly lease: Pick<ReplicaLease, 'renew' | 'release' | 'renewEveryMs'>,
    private readonly logger: Logger,
    options: Partial<DeadLetterRetentionJobOptions> & Pick<DeadLetterRetentionJobOptions, 'intervalMs'>,
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
    let next = this.options.intervalMs;
    try {
      // Without the lease, look again soon: the holder may be gone.
      if (!(await this.lease.renew())) next = Math.min(next, this.lease.renewEveryMs);
      else if (await this.runPass()) next = Math.min(next, this.options.backlogPauseMs);
    } catch (error) {
      this.logger.warn({ err: error }, 'dead letter queue retention: pass failed, trying again');
    }
    return next;
  }

  /** One pass; whether it stopped at its bound with entries left. */
  private async runPass(): Promise<boolean> {
    const { batchSize, passBatches } = this.options;
    for (let batch = 0; batch < passBatches; batch += 1) {
      // Renewed before each batch: a batch takes far less than the lease, so the lease holds through the pass.
      if (this.loop.isStopped || (batch > 0 && !(await this.lease.renew()))) return false;
      // A stopping replica finishes the retirement in hand, not the batch.
      const { found, retired, failures } = await this.retention.retireDue(batchSize, () => this.loop.isStopped);
      if (retired > 0) this.logger.debug({ retired }, 'dead letter queue retention: entries retired');
      if (failures.length > 0) this.logger.warn({ err: failures[0], failed: failures.length }, 'dead letter queue retention: entries left for the next pass');
      // A short batch was the last; a batch that retired nothing would find the same entries again.
      if (found < batchSize || retired === 0) return false;
    }
    return true;
  }
}
