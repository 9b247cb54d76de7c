import type { Message } from 'kafkajs';
import type { Metrics } from '../../observability/metrics';
import { endSpans, startPublishSpan, traceHeaders } from '../../observability/tracing';
import type { PendingOutbox } from '../../store/outbox.repository';
import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent } from '../cloudevent';
import type { KafkaClient } from '../kafka';
import type { SentLedger } from './sent-ledger';

/** A batch not acknowledged by then is retried on a fresh producer (the events stay in the outbox meanwhile). */
const SEND_TIMEOUT_MS = 10_000;

/**
 * Sends outbox events to Kafka as CloudEvents (key = order id, acks = all), never one order in two sends at once, so
 * an order's events cannot overtake each other; what was sent goes into the ledger.
 */
export class OutboxPublisher {
  private readonly sending = new Set<string>();

  constructor(
    private readonly kafka: Pick<KafkaClient, 'sendBatch'>,
    private readonly ledger: SentLedger,
    private readonly metrics: Pick<Metrics, 'eventsPublished' | 'eventPublishLatency'>,
  ) {}

  /**
   * Sends the events of these orders not sent yet, in one batch. Returns the orders skipped because another send has
   * them right now (the caller comes back to them). A failed send leaves every event unsent.
   */
  async publish(orders: PendingOutbox[]): Promise<string[]> {
    const busy = orders.filter((order) => this.sending.has(order.orderId)).map((order) => order.orderId);
    const unsent = orders
      .filter((order) => !this.sending.has(order.orderId))
      .map((order) => ({ ...order, entries: order.entries.filter((entry) => entry.seq > this.ledger.sentUpTo(order.orderId)) }))
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
      this.ledger.markSent(order.orderId, order.entries.at(-1)!.seq);
      for (const entry of order.entries) {
        this.metrics.eventsPublished.inc({ type: entry.type });
        this.metrics.eventPublishLatency.observe((publishedAt - new Date(entry.time).getTime()) / 1000);
      }
    }
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
}
