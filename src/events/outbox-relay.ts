import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import { endSpans, startPublishSpan, traceHeaders, untraced } from '../observability/tracing';
import type { OrderLocks } from '../store/order-locks';
import type { OutboxLease, OutboxRepository, PendingOutbox, PublishedMark } from '../store/outbox.repository';
import type { SweeperLease } from '../store/sweeper-lease';
import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent } from './cloudevent';
import type { KafkaClient } from './kafka';

export interface OutboxRelayOptions {
  /** How often the sweeping replica looks for events no relay was told about (crash leftovers, expired leases). */
  pollIntervalMs: number;
  /** How long the replica that stored events keeps them to itself before the sweeper may publish them. */
  leaseMs: number;
  /** Orders per batch sent to Kafka. */
  batchSize: number;
}

/** What the write path needs from the relay: a lease to store with new events, and a nudge once they are stored. */
export interface RelayHandoff {
  leaseForNewEvents(): OutboxLease | null;
  eventsStored(orderId: string): void;
}

export function relayOwnerId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

const DEFAULT_OPTIONS: OutboxRelayOptions = { pollIntervalMs: 10_000, leaseMs: 30_000, batchSize: 500 };
const MAX_BACKOFF_MS = 5_000;
/** A batch not acknowledged by then is retried on a fresh producer (the events stay in the outbox meanwhile). */
const SEND_TIMEOUT_MS = 10_000;
/** Marks written per lock acquisition: writers to those orders wait meanwhile. */
const MARK_CHUNK = 50;

interface SentPosition {
  upToSeq: number;
  /** True once the store knows; forgotten at the start of the next pass, after which every read reflects it. */
  recorded: boolean;
}

/**
 * Publishes the events stored in order documents (the outbox) to Kafka, in order per order, and records them published.
 *
 * Who publishes what, without a claim write per order: the replica that stores events leases them to its own relay in
 * that same write and nudges the relay, which reads them by primary key and sends them at once. Whatever no live lease
 * covers — a crashed replica's events, a replica's without a relay — is found by the one replica holding the sweeper
 * lease, which scans for pending outboxes every `pollIntervalMs` and at start.
 *
 * Delivery is at least once: events are sent with acks = all before anything is recorded, so a crash or a broker outage
 * delays events and never drops them; consumers de-duplicate by the CloudEvents id fixed at write time. Recording what
 * was sent happens behind the sends (in the background, under the orders' locks, because FerretDB's conditional updates
 * are read-then-write); until it is stored, this relay remembers what it sent and never sends it again.
 */
export class OutboxRelay implements RelayHandoff {
  private readonly options: OutboxRelayOptions;
  private readonly notified = new Set<string>();
  private readonly sent = new Map<string, SentPosition>();
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private sweeperTimer: NodeJS.Timeout | null = null;
  private pass: Promise<void> | null = null;
  private passAgain = false;
  private recording: Promise<void> | null = null;
  private failures = 0;
  /** Once stopped, recording gives up at this time (the store may be gone). */
  private recordUntil = Number.POSITIVE_INFINITY;
  private lastSweepAt = 0;
  private swept: { orders: number; oldestAgeSeconds: number; at: number } | null = null;

  constructor(
    /** This replica's relay, as written in leases: host, process and a random part (pids repeat across restarts). */
    readonly owner: string,
    private readonly outbox: OutboxRepository,
    private readonly sweeper: SweeperLease,
    private readonly kafka: KafkaClient,
    private readonly locks: OrderLocks,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    options: Partial<OutboxRelayOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  start(): void {
    this.running = true;
    const renewSweeper = () =>
      void this.sweeper.renew().then(
        (held) => held && this.lastSweepAt === 0 && this.wake(),
        (error) => this.logger.warn({ err: error }, 'outbox relay could not renew the sweeper lease'),
      );
    renewSweeper();
    this.sweeperTimer = setInterval(renewSweeper, this.sweeper.renewEveryMs);
    this.sweeperTimer.unref();
    this.schedule(0);
  }

  leaseForNewEvents(): OutboxLease | null {
    return this.running ? { owner: this.owner, until: new Date(Date.now() + this.options.leaseMs) } : null;
  }

  eventsStored(orderId: string): void {
    if (!this.running) return;
    this.notified.add(orderId);
    this.wake();
  }

  /** Stops after publishing what this replica stored and recording it (bounded by `timeoutMs`), then frees the sweeper lease. */
  async stop(timeoutMs = 5_000): Promise<void> {
    // A relay that was never started (OUTBOX_RELAY_ENABLED=false) leaves publishing to others, on shutdown too.
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.sweeperTimer) clearInterval(this.sweeperTimer);
    this.timer = this.sweeperTimer = null;
    const deadline = Date.now() + timeoutMs;
    this.recordUntil = deadline;
    await this.pass;
    while (this.notified.size > 0 && Date.now() < deadline && this.failures === 0) {
      await this.publishNotified().catch(() => (this.failures += 1));
    }
    this.recordSent();
    await Promise.race([this.recording, new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
    await this.sweeper.release().catch(() => undefined);
  }

  /** Orders with unpublished events and the age of the oldest such event, store-wide (for the metrics). */
  async backlog(): Promise<{ orders: number; oldestAgeSeconds: number }> {
    // The sweeping replica has just read exactly this; others count, since nothing else scans for them.
    if (this.swept && Date.now() - this.swept.at < 2 * this.options.pollIntervalMs) return this.swept;
    return untraced(async () => {
      const tally = new BacklogTally();
      for await (const batch of this.outbox.scanPending(this.options.batchSize)) tally.add(batch);
      return tally.result();
    });
  }

  private wake(): void {
    if (this.pass) this.passAgain = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Outside the trace of whichever request woke the relay: batches mix requests, and each pass would chain on.
    this.timer = setTimeout(() => void untraced(() => this.runPass()), delayMs);
  }

  private async runPass(): Promise<void> {
    this.timer = null;
    if (!this.running || this.pass) return;
    let delay = this.options.pollIntervalMs;
    this.pass = (async () => {
      try {
        this.passAgain = false;
        this.forgetRecorded();
        await this.publishNotified();
        if (this.sweeper.held() && Date.now() - this.lastSweepAt >= this.options.pollIntervalMs) await this.sweep();
        this.failures = 0;
        delay = this.notified.size > 0 || this.passAgain ? 0 : this.untilNextSweep();
      } catch (error) {
        this.failures += 1;
        delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 6));
        this.logger.warn({ err: error, attempt: this.failures, retryInMs: delay }, 'outbox relay could not publish; will retry');
      }
    })();
    await this.pass;
    this.pass = null;
    if (this.running) this.schedule(delay);
  }

  private untilNextSweep(): number {
    if (!this.sweeper.held()) return this.options.pollIntervalMs;
    return Math.max(0, this.lastSweepAt + this.options.pollIntervalMs - Date.now());
  }

  /** The orders this replica stored events for since the last pass, read by primary key, a batch at a time. */
  private async publishNotified(): Promise<void> {
    while (this.notified.size > 0) {
      const orderIds = [...this.notified].slice(0, this.options.batchSize);
      for (const orderId of orderIds) this.notified.delete(orderId);
      try {
        const pending = await this.outbox.read(orderIds);
        await this.publish(pending.filter((order) => this.mayPublish(order)));
      } catch (error) {
        for (const orderId of orderIds) this.notified.add(orderId);
        throw error;
      }
    }
  }

  /** Every pending outbox in the store: publishes what no live lease of another replica covers; measures the backlog. */
  private async sweep(): Promise<void> {
    this.lastSweepAt = Date.now();
    const tally = new BacklogTally();
    try {
      for await (const batch of this.outbox.scanPending(this.options.batchSize)) {
        tally.add(batch);
        await this.publish(batch.filter((pending) => this.mayPublish(pending)));
        // A long sweep must not hold back what this replica's own requests are storing meanwhile.
        await this.publishNotified();
      }
    } catch (error) {
      this.lastSweepAt = 0; // try again after the back-off, not a whole interval later
      throw error;
    }
    this.swept = { ...tally.result(), at: Date.now() };
  }

  private mayPublish(pending: PendingOutbox): boolean {
    const { lease } = pending;
    if (lease?.owner === this.owner) return true;
    if (lease && lease.until.getTime() > Date.now()) return false; // another replica's, and it is alive
    return this.sweeper.held();
  }

  private async publish(orders: PendingOutbox[]): Promise<void> {
    const unsent = orders
      .map((order) => ({ ...order, entries: order.entries.filter((entry) => entry.seq > (this.sent.get(order.orderId)?.upToSeq ?? 0)) }))
      .filter((order) => order.entries.length > 0);
    if (unsent.length === 0) return;
    // Per order, entries go out in sequence; Kafka keeps that order within the key's partition.
    const byTopic = new Map<string, Message[]>();
    const spans = [];
    for (const order of unsent) {
      for (const entry of order.entries) {
        const span = startPublishSpan(entry.topic, order.orderId, entry.type, entry.id, entry.traceparent);
        spans.push(span);
        const messages = byTopic.get(entry.topic) ?? [];
        messages.push({
          key: order.orderId,
          value: JSON.stringify(toCloudEvent(entry, order.orderId, order.tenantId)),
          headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ...traceHeaders(span) },
        });
        byTopic.set(entry.topic, messages);
      }
    }
    try {
      await this.kafka.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }, SEND_TIMEOUT_MS);
    } catch (error) {
      endSpans(spans, error);
      throw error;
    }
    endSpans(spans);
    const publishedAt = Date.now();
    for (const order of unsent) {
      this.sent.set(order.orderId, { upToSeq: order.entries.at(-1)!.seq, recorded: false });
      for (const entry of order.entries) {
        this.metrics.eventsPublished.inc({ type: entry.type });
        this.metrics.eventPublishLatency.observe((publishedAt - new Date(entry.time).getTime()) / 1000);
      }
    }
    this.recordSent();
  }

  /** Records in the store what was sent, behind the sends; one recorder at a time. */
  private recordSent(): void {
    this.recording ??= (async () => {
      for (;;) {
        const marks: PublishedMark[] = [];
        for (const [orderId, position] of this.sent) {
          if (!position.recorded) marks.push({ orderId, upToSeq: position.upToSeq });
          if (marks.length === MARK_CHUNK) break;
        }
        if (marks.length === 0 || Date.now() > this.recordUntil) return;
        let allCleared: boolean;
        try {
          allCleared = await this.locks.withOrders(
            marks.map((mark) => mark.orderId),
            () => this.outbox.markPublished(marks),
          );
        } catch (error) {
          // Sent events stay remembered here, so nothing is sent twice while the store is away; retry shortly.
          this.logger.warn({ err: error }, 'outbox relay could not record published events; will retry');
          await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
          continue;
        }
        for (const mark of marks) {
          const position = this.sent.get(mark.orderId);
          if (position?.upToSeq === mark.upToSeq) position.recorded = true;
        }
        // Some orders got events meanwhile, maybe from a replica that left them under our lease: publish those too.
        if (!allCleared && this.running) for (const mark of marks) this.eventsStored(mark.orderId);
      }
    })().finally(() => {
      this.recording = null;
    });
  }

  /**
   * Drops what the store already knows. Only at the start of a pass: a read begun before a record was stored still
   * shows those events as pending, and this memory is what keeps them from being sent again.
   */
  private forgetRecorded(): void {
    for (const [orderId, position] of this.sent) if (position.recorded) this.sent.delete(orderId);
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

  result(): { orders: number; oldestAgeSeconds: number } {
    return { orders: this.orders, oldestAgeSeconds: this.orders === 0 ? 0 : (Date.now() - this.oldest) / 1000 };
  }
}
