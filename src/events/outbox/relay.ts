import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Metrics } from '../../observability/metrics';
import { untraced } from '../../observability/tracing';
import type { OutboxLease, OutboxRepository, PendingOutbox } from '../../store/outbox.repository';
import type { ReplicaLease } from '../../store/replica-lease';
import type { KafkaClient } from '../kafka';
import { backoff } from './backoff';
import { HandOverQueue, type HandedOverEvents, type WaitingOrder } from './handover-queue';
import { OutboxPublisher } from './publisher';
import { SentLedger } from './sent-ledger';
import { OutboxSweeper, type Backlog } from './sweeper';

export type { HandedOverEvents } from './handover-queue';

export interface OutboxRelayOptions {
  /** How often the sweeping replica looks for events no relay was told about (crash leftovers, expired leases). */
  pollIntervalMs: number;
  /** How long the replica that stored events keeps them to itself before the sweeper may publish them. */
  leaseMs: number;
  /** Orders per batch sent to Kafka. */
  batchSize: number;
}

/** What the write path needs from the relay: a lease to store with new events, and the events once they are stored. */
export interface RelayHandoff {
  leaseForNewEvents(): OutboxLease | null;
  /** `events` absent: the relay reads the order to find out what (if anything) is its to publish. */
  eventsStored(orderId: string, events?: HandedOverEvents): void;
}

export function relayOwnerId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

const DEFAULT_OPTIONS: OutboxRelayOptions = { pollIntervalMs: 10_000, leaseMs: 30_000, batchSize: 500 };
/** Orders recorded per bulk write. */
const RECORD_BATCH = 500;
/** An order the other path is sending right now is looked at again after this. */
const BUSY_RETRY_MS = 20;

/**
 * Publishes the events stored in order documents (the outbox) to Kafka, in order per order, and records them published.
 *
 * Who publishes what, without a claim write per order: the replica that stores events leases them to its own relay in
 * that same write and hands them over (HandOverQueue), and the relay sends them at once (OutboxPublisher), reading the
 * order by primary key only when what it was handed does not follow on from what it sent. Whatever no live lease
 * covers is the sweeper's (OutboxSweeper, one replica at a time).
 *
 * Delivery is at least once: events are sent with acks = all before anything is recorded, so a crash or a broker outage
 * delays events and never drops them; consumers de-duplicate by the CloudEvents id fixed at write time. Recording what
 * was sent runs behind the sends, each a conditional single-document update that cannot undo a writer's; until the
 * store has it, the ledger (SentLedger) keeps this relay from sending it again.
 */
export class OutboxRelay implements RelayHandoff {
  private readonly options: OutboxRelayOptions;
  private readonly handOver = new HandOverQueue();
  private readonly ledger = new SentLedger();
  private readonly publisher: OutboxPublisher;
  private readonly sweeper: OutboxSweeper;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> | null = null;
  private passAgain = false;
  private recording: Promise<void> | null = null;
  private failures = 0;
  /** Once stopped, recording gives up at this time (the store may be gone). */
  private recordUntil = Number.POSITIVE_INFINITY;

  constructor(
    /** This replica's relay, as written in leases: host, process and a random part (pids repeat across restarts). */
    readonly owner: string,
    private readonly outbox: OutboxRepository,
    sweeperLease: ReplicaLease,
    kafka: KafkaClient,
    metrics: Metrics,
    private readonly logger: Logger,
    options: Partial<OutboxRelayOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.publisher = new OutboxPublisher(kafka, this.ledger, metrics);
    this.sweeper = new OutboxSweeper(owner, outbox, sweeperLease, this.publisher, this.ledger, logger, this.options, {
      running: () => this.running,
      swept: () => this.recordSent(),
    });
  }

  start(): void {
    this.running = true;
    this.sweeper.start();
    this.schedule(0);
  }

  leaseForNewEvents(): OutboxLease | null {
    return this.running ? { owner: this.owner, until: new Date(Date.now() + this.options.leaseMs) } : null;
  }

  eventsStored(orderId: string, events?: HandedOverEvents): void {
    if (!this.running) return;
    this.handOver.add(orderId, events);
    this.wake();
  }

  /** Stops after publishing what this replica stored and recording it (bounded by `timeoutMs`), then frees the sweeper lease. */
  async stop(timeoutMs = 5_000): Promise<void> {
    // A relay that was never started (OUTBOX_RELAY_ENABLED=false) leaves publishing to others, on shutdown too.
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sweeper.stop();
    const deadline = Date.now() + timeoutMs;
    this.recordUntil = deadline;
    await Promise.all([this.pass, this.sweeper.active]);
    while (this.handOver.size > 0 && Date.now() < deadline && this.failures === 0) {
      await this.publishHandedOver().catch(() => (this.failures += 1));
    }
    this.recordSent();
    await Promise.race([this.recording, new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
    await this.sweeper.release();
  }

  /** Orders with unpublished events and the age of the oldest such event, store-wide (for the metrics). */
  backlog(): Promise<Backlog> {
    return this.sweeper.backlog();
  }

  private wake(): void {
    if (this.pass) this.passAgain = true;
    else if (!this.timer) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Outside the trace of whichever request woke the relay: batches mix requests, and each pass would chain on.
    this.timer = setTimeout(() => void untraced(() => this.runPass()), delayMs);
  }

  private async runPass(): Promise<void> {
    this.timer = null;
    if (!this.running || this.pass) return;
    let delay: number | null = null;
    this.pass = (async () => {
      try {
        this.passAgain = false;
        const busy = await this.publishHandedOver();
        this.failures = 0;
        if (this.passAgain) delay = 0;
        else if (busy) delay = BUSY_RETRY_MS;
      } catch (error) {
        this.failures += 1;
        delay = backoff(this.failures);
        this.logger.warn({ err: error, attempt: this.failures, retryInMs: delay }, 'outbox relay could not publish; will retry');
      }
    })();
    await this.pass;
    this.pass = null;
    if (this.running && delay !== null) this.schedule(delay);
  }

  /**
   * Sends what this replica stored since the last pass, a batch at a time. Returns whether some orders were left for
   * the next pass because the sweep was sending them.
   */
  private async publishHandedOver(): Promise<boolean> {
    const busy: string[] = [];
    try {
      while (this.handOver.size > 0) {
        const batch = this.handOver.take(this.options.batchSize);
        try {
          busy.push(...(await this.publishBatch(batch)));
        } catch (error) {
          this.handOver.putBack(batch.map(([orderId]) => orderId));
          throw error;
        }
      }
    } finally {
      this.handOver.putBack(busy);
    }
    return busy.length > 0;
  }

  private async publishBatch(batch: WaitingOrder[]): Promise<string[]> {
    this.ledger.forgetRecorded();
    const ready: PendingOutbox[] = [];
    const toRead: string[] = [];
    for (const [orderId, events] of batch) {
      // As handed over only when nothing unsent can precede it: a new order, or the continuation of what we sent.
      const first = events?.entries[0].seq;
      if (events && (first === 1 || this.ledger.sentUpTo(orderId) === first! - 1)) {
        ready.push({ orderId, tenantId: events.tenantId, lease: null, entries: events.entries });
      } else toRead.push(orderId);
    }
    const busy =
      toRead.length === 0
        ? await this.publisher.publish(ready)
        : await this.ledger.whileReading(async () => {
            const stored = await this.outbox.read(toRead);
            return this.publisher.publish([...ready, ...stored.filter((pending) => this.ownLease(pending))]);
          });
    this.recordSent();
    return busy;
  }

  /** An order's events are this relay's to send from its own hand-over when it holds their lease, or when nobody does. */
  private ownLease(pending: PendingOutbox): boolean {
    const { lease } = pending;
    if (lease?.owner === this.owner) return true;
    if (lease && lease.until.getTime() > Date.now()) return false; // another replica's, and it is alive
    return this.sweeper.lease.held();
  }

  /** Records in the store what was sent, behind the sends and never during a sweep; one recorder at a time. */
  private recordSent(): void {
    const sweeping = () => this.sweeper.active !== null && this.running;
    if (sweeping()) return; // the sweep calls again when it ends
    this.recording ??= (async () => {
      for (;;) {
        const marks = this.ledger.unrecorded(RECORD_BATCH);
        if (marks.length === 0 || Date.now() > this.recordUntil || sweeping()) return;
        let allCleared: boolean;
        try {
          allCleared = await this.outbox.markPublished(marks);
        } catch (error) {
          // Sent events stay in the ledger, so nothing is sent twice while the store is away; retry shortly.
          this.logger.warn({ err: error }, 'outbox relay could not record published events; will retry');
          await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
          continue;
        }
        this.ledger.recorded(marks, Date.now());
        // Some orders got events meanwhile, maybe from a replica that left them under our lease: publish those too.
        if (!allCleared && this.running) for (const mark of marks) this.eventsStored(mark.orderId);
      }
    })().finally(() => {
      this.recording = null;
    });
  }
}
