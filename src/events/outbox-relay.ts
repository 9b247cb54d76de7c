import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import { endSpans, startPublishSpan, traceHeaders, untraced } from '../observability/tracing';
import type { OrderLocks } from '../store/order-locks';
import type { OrderModel, OutboxEntryDoc } from '../store/order.document';
import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent } from './cloudevent';
import type { KafkaClient } from './kafka';
import { bulkWriteInChunks } from '../store/mongo';

export interface OutboxRelayOptions {
  /** How often to look for work nobody kicked us about (crash recovery, other replicas' leftovers). */
  pollIntervalMs: number;
  /** How long a claim on an order's outbox lasts before another replica may take it over. */
  leaseMs: number;
  /** Orders per batch. */
  batchSize: number;
}

const DEFAULT_OPTIONS: OutboxRelayOptions = { pollIntervalMs: 500, leaseMs: 30_000, batchSize: 200 };
const MAX_BACKOFF_MS = 5_000;
/** A batch not acknowledged by then is retried on a fresh producer (the events stay in the outbox meanwhile). */
const SEND_TIMEOUT_MS = 10_000;

interface ClaimedOrder {
  orderId: string;
  tenantId: string;
  outboxSeq: number;
  entries: OutboxEntryDoc[];
}

/**
 * Publishes the events stored in order documents (the outbox) to Kafka, in order per order, and marks them published.
 *
 * Delivery is at least once: an event leaves the outbox only after Kafka acknowledged it (acks = all), so a crash or a
 * broker outage delays events and never drops them; the CloudEvents id is fixed at write time for consumers to de-duplicate.
 * Writes to an order document happen under the same per-order lock as state changes, because FerretDB's updates are
 * read-then-write; the lock is never held while waiting for Kafka, so a broker outage does not block order writes.
 */
export class OutboxRelay {
  readonly owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly options: OutboxRelayOptions;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private rerun = false;
  private stopped = true;
  private failures = 0;

  constructor(
    private readonly model: OrderModel,
    private readonly kafka: KafkaClient,
    private readonly locks: OrderLocks,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    options: Partial<OutboxRelayOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Called after every write that stored events: publish now rather than at the next poll. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.rerun = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops polling after publishing what is pending (bounded by `timeoutMs`). */
  async stop(timeoutMs = 5_000): Promise<void> {
    // A relay that was never started (OUTBOX_RELAY_ENABLED=false) leaves publishing to others, on shutdown too.
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const deadline = Date.now() + timeoutMs;
    await this.draining;
    while (Date.now() < deadline && this.failures === 0) {
      const published = await this.publishBatch().catch(() => -1);
      if (published <= 0) break;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    // Outside the trace of whichever request kicked the relay: batches mix requests, and each poll would chain on.
    this.timer = setTimeout(() => void untraced(() => this.tick()), delayMs);
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.draining) return;
    let delay = this.options.pollIntervalMs;
    this.draining = (async () => {
      try {
        this.rerun = false;
        const published = await this.publishBatch();
        this.failures = 0;
        // A full batch means more is waiting: go on at once.
        if (published > 0 && (published >= this.options.batchSize || this.rerun)) delay = 0;
        else if (this.rerun) delay = 0;
      } catch (error) {
        this.failures += 1;
        delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 6));
        this.logger.warn({ err: error, attempt: this.failures, retryInMs: delay }, 'outbox relay could not publish; will retry');
      }
    })();
    await this.draining;
    this.draining = null;
    if (!this.stopped) this.schedule(delay);
  }

  /** Claims a batch of orders with pending events, publishes them, marks them published. Returns events published. */
  publishBatch(): Promise<number> {
    // Bookkeeping queries are not traced; each event gets a producer span in the trace it was stored in.
    return untraced(() => this.publishClaimed());
  }

  private async publishClaimed(): Promise<number> {
    const claimed = await this.claim();
    if (claimed.length === 0) return 0;
    // Per order, entries go out in sequence; Kafka keeps that order within the key's partition.
    const byTopic = new Map<string, Message[]>();
    const spans = [];
    for (const order of claimed) {
      for (const entry of order.entries) {
        const topicMessages = byTopic.get(entry.topic) ?? [];
        const span = startPublishSpan(entry.topic, order.orderId, entry.type, entry.id, entry.traceparent);
        spans.push(span);
        topicMessages.push({
          key: order.orderId,
          value: JSON.stringify(toCloudEvent(entry, order.orderId, order.tenantId)),
          headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ...traceHeaders(span) },
        });
        byTopic.set(entry.topic, topicMessages);
      }
    }
    try {
      await this.kafka.sendBatch({ topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })) }, SEND_TIMEOUT_MS);
    } catch (error) {
      endSpans(spans, error);
      throw error;
    }
    endSpans(spans);
    const publishedAt = Date.now();
    for (const order of claimed) {
      for (const entry of order.entries) {
        this.metrics.eventsPublished.inc({ type: entry.type });
        this.metrics.eventPublishLatency.observe((publishedAt - new Date(entry.time).getTime()) / 1000);
      }
    }
    await this.markPublished(claimed);
    return claimed.reduce((sum, order) => sum + order.entries.length, 0);
  }

  private leaseAvailable(now: Date) {
    return { $or: [{ outboxLeaseUntil: null }, { outboxLeaseUntil: { $lt: now } }, { outboxLeaseOwner: this.owner }] };
  }

  private async claim(): Promise<ClaimedOrder[]> {
    const now = new Date();
    const candidates = await this.model
      .find({ outboxPending: true, ...this.leaseAvailable(now) }, { _id: 0, orderId: 1 })
      .limit(this.options.batchSize)
      .lean<Array<{ orderId: string }>>();
    if (candidates.length === 0) return [];
    const orderIds = candidates.map((candidate) => candidate.orderId);
    const leaseUntil = new Date(now.getTime() + this.options.leaseMs);
    return this.locks.withOrders(orderIds, async () => {
      await bulkWriteInChunks(
        this.model,
        orderIds.map((orderId) => ({
          updateOne: {
            filter: { orderId, outboxPending: true, ...this.leaseAvailable(now) },
            update: { $set: { outboxLeaseOwner: this.owner, outboxLeaseUntil: leaseUntil } },
          },
        })),
      );
      const docs = await this.model
        .find(
          { orderId: { $in: orderIds }, outboxPending: true, outboxLeaseOwner: this.owner },
          { _id: 0, orderId: 1, tenantId: 1, outbox: 1, outboxSeq: 1, outboxPublishedSeq: 1 },
        )
        .lean<Array<{ orderId: string; tenantId: string; outbox: OutboxEntryDoc[]; outboxSeq: number; outboxPublishedSeq: number }>>();
      return docs.map((doc) => ({
        orderId: doc.orderId,
        tenantId: doc.tenantId,
        outboxSeq: doc.outboxSeq,
        entries: doc.outbox.filter((entry) => entry.seq > (doc.outboxPublishedSeq ?? 0)).sort((a, b) => a.seq - b.seq),
      }));
    });
  }

  private async markPublished(claimed: ClaimedOrder[]): Promise<void> {
    await this.locks.withOrders(
      claimed.map((order) => order.orderId),
      async () => {
        const publishedUpTo = (order: ClaimedOrder) => order.entries.at(-1)?.seq ?? order.outboxSeq;
        // Common case: nothing new was stored meanwhile, so the outbox is emptied and the lease released in one write.
        const cleared = await bulkWriteInChunks(
          this.model,
          claimed.map((order) => ({
            updateOne: {
              filter: { orderId: order.orderId, outboxSeq: publishedUpTo(order) },
              update: {
                $set: { outbox: [], outboxPending: false, outboxPublishedSeq: publishedUpTo(order), outboxLeaseOwner: null, outboxLeaseUntil: null },
              },
            },
          })),
        );
        if (cleared === claimed.length) return;
        // New events arrived after the claim: remember how far we got; the next batch publishes the rest.
        await bulkWriteInChunks(
          this.model,
          claimed.map((order) => ({
            updateOne: {
              filter: { orderId: order.orderId, outboxSeq: { $ne: publishedUpTo(order) } },
              update: { $max: { outboxPublishedSeq: publishedUpTo(order) } },
            },
          })),
        );
      },
    );
  }

  /** Orders with unpublished events, and the age of the oldest waiting event (for metrics). */
  backlog(): Promise<{ orders: number; oldestAgeSeconds: number }> {
    return untraced(() => this.measureBacklog());
  }

  private async measureBacklog(): Promise<{ orders: number; oldestAgeSeconds: number }> {
    const orders = await this.model.countDocuments({ outboxPending: true });
    if (orders === 0) return { orders, oldestAgeSeconds: 0 };
    const oldest = await this.model
      .find({ outboxPending: true }, { _id: 0, 'outbox.time': 1, 'outbox.seq': 1, outboxPublishedSeq: 1 })
      .sort({ updatedAt: 1 })
      .limit(1)
      .lean<Array<{ outbox: Array<{ time: Date; seq: number }>; outboxPublishedSeq: number }>>();
    const waiting = oldest[0]?.outbox.filter((entry) => entry.seq > (oldest[0].outboxPublishedSeq ?? 0)) ?? [];
    const first = waiting[0]?.time;
    return { orders, oldestAgeSeconds: first ? (Date.now() - new Date(first).getTime()) / 1000 : 0 };
  }
}
