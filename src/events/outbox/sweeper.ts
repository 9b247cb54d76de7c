import type { Logger } from 'pino';
import { untraced } from '../../observability/tracing';
import type { OutboxRepository, PendingOutbox } from '../../store/outbox.repository';
import type { ReplicaLease } from '../../store/replica-lease';
import { backoff } from './backoff';
import type { OutboxPublisher } from './publisher';
import type { SentLedger } from './sent-ledger';

export interface Backlog {
  orders: number;
  oldestAgeSeconds: number;
}

export interface OutboxSweeperOptions {
  /** How often the sweeping replica looks for events no relay was told about (crash leftovers, expired leases). */
  pollIntervalMs: number;
  /** Orders per batch read and sent. */
  batchSize: number;
}

/**
 * Publishes what no live lease covers — a crashed replica's events, a relay-less replica's, a lease that ran out — on
 * the one replica holding the sweeper lease: it scans the pending outboxes at start and every `pollIntervalMs`, and
 * measures the backlog as it goes. The replica's own leased orders are left to its hand-over path.
 */
export class OutboxSweeper {
  private sweeping: Promise<void> | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private nextSweepAt = 0;
  private swept: (Backlog & { at: number }) | null = null;
  private counting: Promise<Backlog> | null = null;

  constructor(
    private readonly owner: string,
    private readonly outbox: Pick<OutboxRepository, 'scanPending'>,
    readonly lease: Pick<ReplicaLease, 'renew' | 'held' | 'release' | 'renewEveryMs'>,
    private readonly publisher: OutboxPublisher,
    private readonly ledger: SentLedger,
    private readonly logger: Logger,
    private readonly options: OutboxSweeperOptions,
    /** Whether the relay still runs, and what it does once a sweep ends (recording what was sent waits for it). */
    private readonly relay: { running: () => boolean; swept: () => void },
  ) {}

  /** The sweep in progress, if any. */
  get active(): Promise<void> | null {
    return this.sweeping;
  }

  start(): void {
    const renew = () =>
      void this.lease.renew().then(
        () => this.maybeSweep(),
        (error) => this.logger.warn({ err: error }, 'outbox relay could not renew the sweeper lease'),
      );
    renew();
    this.renewTimer = setInterval(renew, this.lease.renewEveryMs);
    this.sweepTimer = setInterval(() => this.maybeSweep(), Math.min(1_000, this.options.pollIntervalMs));
    this.renewTimer.unref();
    this.sweepTimer.unref();
  }

  /** Stops sweeping (a sweep in progress ends at its next batch); the lease is kept until `release`. */
  stop(): void {
    for (const timer of [this.renewTimer, this.sweepTimer]) if (timer) clearInterval(timer);
    this.renewTimer = this.sweepTimer = null;
  }

  /** Lets another replica sweep at once. */
  release(): Promise<void> {
    return this.lease.release().catch(() => undefined);
  }

  /** Orders with unpublished events and the age of the oldest such event, store-wide (for the metrics). */
  async backlog(): Promise<Backlog> {
    // The sweeping replica reads exactly this on every sweep; others count, since nothing else scans for them.
    if (this.lease.held() && this.sweeping) await this.sweeping;
    if (this.swept && Date.now() - this.swept.at < 2 * this.options.pollIntervalMs) return this.swept;
    this.counting ??= untraced(async () => {
      const tally = new BacklogTally();
      for await (const batch of this.outbox.scanPending(this.options.batchSize)) tally.add(batch);
      return tally.result();
    }).finally(() => {
      this.counting = null;
    });
    return this.counting;
  }

  /** Starts a sweep if this replica holds the lease, none is running and the last one was long enough ago. */
  maybeSweep(): void {
    if (!this.relay.running() || this.sweeping || !this.lease.held() || Date.now() < this.nextSweepAt) return;
    const started = Date.now();
    this.nextSweepAt = started + this.options.pollIntervalMs;
    this.sweeping = untraced(() => this.sweep())
      .then(
        () => {
          this.failures = 0;
          // However large the backlog, sweeping takes at most a fifth of the store's time.
          this.nextSweepAt = Math.max(this.nextSweepAt, Date.now() + 4 * (Date.now() - started));
        },
        (error) => {
          this.failures += 1;
          this.nextSweepAt = Date.now() + backoff(this.failures);
          this.logger.warn({ err: error, attempt: this.failures }, 'outbox relay sweep failed; will retry');
        },
      )
      .finally(() => {
        this.sweeping = null;
        this.relay.swept();
      });
  }

  /** Whether the sweeper, not the hand-over path of a live replica, publishes this order's events. */
  mayPublish(pending: PendingOutbox, now = Date.now()): boolean {
    const { lease } = pending;
    if (!this.lease.held() || lease?.owner === this.owner) return false;
    return lease === null || lease.until.getTime() <= now;
  }

  private async sweep(): Promise<void> {
    this.ledger.forgetRecorded();
    const tally = new BacklogTally();
    const started = Date.now();
    let readingMs = 0;
    let sent = 0;
    await this.ledger.whileReading(async () => {
      let readFrom = Date.now();
      for await (const batch of this.outbox.scanPending(this.options.batchSize)) {
        readingMs += Date.now() - readFrom;
        tally.add(batch);
        const leftovers = batch.filter((pending) => this.mayPublish(pending));
        await this.publisher.publish(leftovers);
        sent += leftovers.length;
        if (!this.relay.running()) return;
        readFrom = Date.now();
      }
    });
    this.swept = { ...tally.result(), at: Date.now() };
    if (sent > 0)
      this.logger.info(
        { pendingOrders: this.swept.orders, publishedOrders: sent, tookMs: Date.now() - started, readingMs },
        'outbox sweep published leftovers',
      );
  }
}

/** Counts pending outboxes and finds the oldest unpublished event across batches. */
class BacklogTally {
  private orders = 0;
  private oldest = Number.POSITIVE_INFINITY;

  add(batch: PendingOutbox[]): void {
    for (const pending of batch) {
      if (pending.entries.length === 0) continue;
      this.orders += 1;
      this.oldest = Math.min(this.oldest, new Date(pending.entries[0].time).getTime());
    }
  }

  result(): Backlog {
    return { orders: this.orders, oldestAgeSeconds: this.orders === 0 ? 0 : (Date.now() - this.oldest) / 1000 };
  }
}
