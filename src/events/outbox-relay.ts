import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import { endSpans, startPublishSpan, traceHeaders, untraced } from '../observability/tracing';
import type { OutboxEntryDoc } from '../store/order.document';
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

/** Events just stored under this replica's lease, oldest first: the relay may send them without reading the store. */
export interface HandedOverEvents {
  tenantId: string;
  entries: OutboxEntryDoc[];
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
const MAX_BACKOFF_MS = 5_000;
/** A batch not acknowledged by then is retried on a fresh producer (the events stay in the outbox meanwhile). */
const SEND_TIMEOUT_MS = 10_000;
/** Orders recorded per bulk write. */
const RECORD_BATCH = 500;
/** An order the other path is sending right now is looked at again after this. */
const BUSY_RETRY_MS = 20;

interface SentPosition {
  upToSeq: number;
  /** When the store learnt it (null: not yet). Forgotten once no read begun before that is still going on. */
  recordedAt: number | null;
}

const backoff = (failures: number) => Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 6));

/**
 * Publishes the events stored in order documents (the outbox) to Kafka, in order per order, and records them published.
 *
 * Who publishes what, without a claim write per order: the replica that stores events leases them to its own relay in
 * that same write and hands them over, and the relay sends them at once (reading the order by primary key only when
 * what it was handed does not follow on from what it sent). Whatever no live lease covers — a crashed replica's events,
 * a relay-less replica's — is found by the one replica holding the sweeper lease, which scans for pending outboxes at
 * start and every `pollIntervalMs`, alongside its own sends.
 *
 * Delivery is at least once: events are sent with acks = all before anything is recorded, so a crash or a broker outage
 * delays events and never drops them; consumers de-duplicate by the CloudEvents id fixed at write time. Recording what
 * was sent runs behind the sends, each a conditional single-document update that cannot undo a writer's; until the store has it, this relay remembers what it sent and never sends it again. One order is never in two
 * sends at once, so its events cannot overtake each other.
 */
export class OutboxRelay implements RelayHandoff {
  private readonly options: OutboxRelayOptions;
  /** Orders this replica stored events for: what it was handed, or null to read the order. */
  private readonly notified = new Map<string, HandedOverEvents | null>();
  private readonly sent = new Map<string, SentPosition>();
  private readonly sending = new Set<string>();
  /** Start times of reads in progress: what the store said before them may be stale. */
  private readonly reads = new Map<symbol, number>();
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private sweeperTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private pass: Promise<void> | null = null;
  private passAgain = false;
  private sweeping: Promise<void> | null = null;
  private recording: Promise<void> | null = null;
  private failures = 0;
  private sweepFailures = 0;
  /** Once stopped, recording gives up at this time (the store may be gone). */
  private recordUntil = Number.POSITIVE_INFINITY;
  private nextSweepAt = 0;
  private swept: { orders: number; oldestAgeSeconds: number; at: number } | null = null;
  private counting: Promise<{ orders: number; oldestAgeSeconds: number }> | null = null;

  constructor(
    /** This replica's relay, as written in leases: host, process and a random part (pids repeat across restarts). */
    readonly owner: string,
    private readonly outbox: OutboxRepository,
    private readonly sweeper: SweeperLease,
    private readonly kafka: KafkaClient,
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
        () => this.maybeSweep(),
        (error) => this.logger.warn({ err: error }, 'outbox relay could not renew the sweeper lease'),
      );
    renewSweeper();
    this.sweeperTimer = setInterval(renewSweeper, this.sweeper.renewEveryMs);
    this.sweepTimer = setInterval(() => this.maybeSweep(), Math.min(1_000, this.options.pollIntervalMs));
    this.sweeperTimer.unref();
    this.sweepTimer.unref();
    this.schedule(0);
  }

  leaseForNewEvents(): OutboxLease | null {
    return this.running ? { owner: this.owner, until: new Date(Date.now() + this.options.leaseMs) } : null;
  }

  eventsStored(orderId: string, events?: HandedOverEvents): void {
    if (!this.running) return;
    const waiting = this.notified.get(orderId);
    const follows = events && (waiting === undefined || (waiting !== null && waiting.entries.at(-1)!.seq + 1 === events.entries[0].seq));
    this.notified.set(orderId, follows ? { tenantId: events.tenantId, entries: [...(waiting?.entries ?? []), ...events.entries] } : null);
    this.wake();
  }

  /** Stops after publishing what this replica stored and recording it (bounded by `timeoutMs`), then frees the sweeper lease. */
  async stop(timeoutMs = 5_000): Promise<void> {
    // A relay that was never started (OUTBOX_RELAY_ENABLED=false) leaves publishing to others, on shutdown too.
    if (!this.running) return;
    this.running = false;
    for (const timer of [this.timer, this.sweeperTimer, this.sweepTimer]) if (timer) clearTimeout(timer);
    this.timer = this.sweeperTimer = this.sweepTimer = null;
    const deadline = Date.now() + timeoutMs;
    this.recordUntil = deadline;
    await Promise.all([this.pass, this.sweeping]);
    while (this.notified.size > 0 && Date.now() < deadline && this.failures === 0) {
      await this.publishNotified().catch(() => (this.failures += 1));
    }
    this.recordSent();
    await Promise.race([this.recording, new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
    await this.sweeper.release().catch(() => undefined);
  }

  /** Orders with unpublished events and the age of the oldest such event, store-wide (for the metrics). */
  async backlog(): Promise<{ orders: number; oldestAgeSeconds: number }> {
    // The sweeping replica reads exactly this on every sweep; others count, since nothing else scans for them.
    if (this.sweeper.held() && this.sweeping) await this.sweeping;
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
        const busy = await this.publishNotified();
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
  private async publishNotified(): Promise<boolean> {
    const busy: string[] = [];
    try {
      while (this.notified.size > 0) {
        const batch = [...this.notified].slice(0, this.options.batchSize);
        for (const [orderId] of batch) this.notified.delete(orderId);
        try {
          busy.push(...(await this.publishHandedOver(batch)));
        } catch (error) {
          for (const [orderId] of batch) if (!this.notified.has(orderId)) this.notified.set(orderId, null);
          throw error;
        }
      }
    } finally {
      for (const orderId of busy) if (!this.notified.has(orderId)) this.notified.set(orderId, null);
    }
    return busy.length > 0;
  }

  private async publishHandedOver(batch: Array<[string, HandedOverEvents | null]>): Promise<string[]> {
    this.forgetRecorded();
    const ready: PendingOutbox[] = [];
    const toRead: string[] = [];
    for (const [orderId, events] of batch) {
      // As handed over only when nothing unsent can precede it: a new order, or the continuation of what we sent.
      const first = events?.entries[0].seq;
      if (events && (first === 1 || this.sent.get(orderId)?.upToSeq === first! - 1)) {
        ready.push({ orderId, tenantId: events.tenantId, lease: null, entries: events.entries });
      } else toRead.push(orderId);
    }
    if (toRead.length === 0) return this.publish(ready);
    return this.whileReading(async () => {
      const stored = await this.outbox.read(toRead);
      return this.publish([...ready, ...stored.filter((pending) => this.ownLease(pending))]);
    });
  }

  /** An order's events are this relay's to send from its own nudges when it holds their lease, or when nobody does. */
  private ownLease(pending: PendingOutbox): boolean {
    const { lease } = pending;
    if (lease?.owner === this.owner) return true;
    if (lease && lease.until.getTime() > Date.now()) return false; // another replica's, and it is alive
    return this.sweeper.held();
  }

  private maybeSweep(): void {
    if (!this.running || this.sweeping || !this.sweeper.held() || Date.now() < this.nextSweepAt) return;
    const started = Date.now();
    this.nextSweepAt = started + this.options.pollIntervalMs;
    this.sweeping = untraced(() => this.sweep())
      .then(
        () => {
          this.sweepFailures = 0;
          // However large the backlog, sweeping takes at most a fifth of the store's time.
          this.nextSweepAt = Math.max(this.nextSweepAt, Date.now() + 4 * (Date.now() - started));
        },
        (error) => {
          this.sweepFailures += 1;
          this.nextSweepAt = Date.now() + backoff(this.sweepFailures);
          this.logger.warn({ err: error, attempt: this.sweepFailures }, 'outbox relay sweep failed; will retry');
        },
      )
      .finally(() => {
        this.sweeping = null;
        this.recordSent();
      });
  }

  /**
   * Every pending outbox in the store: publishes what no live lease covers (this replica's own leased orders are its
   * nudged path's), and measures the backlog. Recording waits meanwhile: the scan and the sends go first.
   */
  private async sweep(): Promise<void> {
    this.forgetRecorded();
    const tally = new BacklogTally();
    const started = Date.now();
    let readingMs = 0;
    let sent = 0;
    await this.whileReading(async () => {
      let readFrom = Date.now();
      for await (const batch of this.outbox.scanPending(this.options.batchSize)) {
        readingMs += Date.now() - readFrom;
        tally.add(batch);
        const mine = batch.filter((pending) => this.sweeperMayPublish(pending));
        await this.publish(mine);
        sent += mine.length;
        if (!this.running) return;
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

  private sweeperMayPublish(pending: PendingOutbox): boolean {
    const { lease } = pending;
    if (!this.sweeper.held() || lease?.owner === this.owner) return false;
    return lease === null || lease.until.getTime() <= Date.now();
  }

  /**
   * Sends the unsent events of these orders in one batch; orders already being sent by the other path are skipped and
   * returned.
   */
  private async publish(orders: PendingOutbox[]): Promise<string[]> {
    const busy = orders.filter((order) => this.sending.has(order.orderId)).map((order) => order.orderId);
    const unsent = orders
      .filter((order) => !this.sending.has(order.orderId))
      .map((order) => ({ ...order, entries: order.entries.filter((entry) => entry.seq > (this.sent.get(order.orderId)?.upToSeq ?? 0)) }))
      .filter((order) => order.entries.length > 0);
    if (unsent.length === 0) return busy;
    for (const order of unsent) this.sending.add(order.orderId);
    try {
      await this.send(unsent);
    } finally {
      for (const order of unsent) this.sending.delete(order.orderId);
    }
    const publishedAt = Date.now();
    for (const order of unsent) {
      this.sent.set(order.orderId, { upToSeq: order.entries.at(-1)!.seq, recordedAt: null });
      for (const entry of order.entries) {
        this.metrics.eventsPublished.inc({ type: entry.type });
        this.metrics.eventPublishLatency.observe((publishedAt - new Date(entry.time).getTime()) / 1000);
      }
    }
    this.recordSent();
    return busy;
  }

  /** Per order, entries go out in sequence; Kafka keeps that order within the key's partition (key = order id). */
  private async send(orders: PendingOutbox[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const spans = [];
    for (const order of orders) {
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
  }

  /** Records in the store what was sent, behind the sends and never during a sweep; one recorder at a time. */
  private recordSent(): void {
    if (this.sweeping && this.running) return; // the sweep calls again when it ends
    this.recording ??= (async () => {
      for (;;) {
        const marks: PublishedMark[] = [];
        for (const [orderId, position] of this.sent) {
          if (position.recordedAt === null) marks.push({ orderId, upToSeq: position.upToSeq });
          if (marks.length === RECORD_BATCH) break;
        }
        if (marks.length === 0 || Date.now() > this.recordUntil || (this.sweeping && this.running)) return;
        let allCleared: boolean;
        try {
          allCleared = await this.outbox.markPublished(marks);
        } catch (error) {
          // Sent events stay remembered here, so nothing is sent twice while the store is away; retry shortly.
          this.logger.warn({ err: error }, 'outbox relay could not record published events; will retry');
          await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
          continue;
        }
        const recordedAt = Date.now();
        for (const mark of marks) {
          const position = this.sent.get(mark.orderId);
          if (position?.upToSeq === mark.upToSeq) position.recordedAt = recordedAt;
        }
        // Some orders got events meanwhile, maybe from a replica that left them under our lease: publish those too.
        if (!allCleared && this.running) for (const mark of marks) this.eventsStored(mark.orderId);
      }
    })().finally(() => {
      this.recording = null;
    });
  }

  private async whileReading<T>(read: () => Promise<T>): Promise<T> {
    const token = Symbol('read');
    this.reads.set(token, Date.now());
    try {
      return await read();
    } finally {
      this.reads.delete(token);
    }
  }

  /**
   * Drops what the store already knows — only what it knew before every read still going on began, since such a read
   * may still show those events as pending, and this memory is what keeps them from being sent again.
   */
  private forgetRecorded(): void {
    const horizon = Math.min(Date.now(), ...this.reads.values());
    for (const [orderId, position] of this.sent) {
      if (position.recordedAt !== null && position.recordedAt < horizon) this.sent.delete(orderId);
    }
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
