import type { ProducerBatch } from 'kafkajs';
import pino from 'pino';
import { createMetrics, type Metrics } from '../../../src/observability/metrics';
import type { OutboxEntryDoc } from '../../../src/store/order.document';
import type { OutboxLease, PendingOutbox } from '../../../src/store/outbox.repository';

/** When the fakes' events were stored: one instant, so the same entry built twice is equal. */
const STORED_AT = new Date(Date.now() - 1_000);

/** An outbox entry of `orderId` at position `seq`. */
export function entry(orderId: string, seq: number): OutboxEntryDoc {
  return {
    id: `${orderId}-${seq}`,
    seq,
    topic: 'wms.orders.events',
    type: 'wms.order.created',
    data: { orderId },
    time: STORED_AT,
    correlationId: null,
    waveNumber: null,
    workflowId: null,
    traceparent: null,
  };
}

export function pending(orderId: string, seqs: number[], lease: OutboxLease | null = null): PendingOutbox {
  return { orderId, tenantId: 'default', lease, entries: seqs.map((seq) => entry(orderId, seq)) };
}

/** A broker that records every batch; `failNext` makes the next send fail, `holdNext` keeps the next one waiting until released. */
export class FakeKafka {
  readonly batches: Array<Omit<ProducerBatch, 'acks'>> = [];
  private failures = 0;
  private holding = false;
  private resume: (() => void) | null = null;

  failNext(count = 1): void {
    this.failures += count;
  }

  holdNext(): void {
    this.holding = true;
  }

  release(): void {
    this.resume?.();
  }

  async sendBatch(batch: Omit<ProducerBatch, 'acks'>): Promise<void> {
    if (this.holding) {
      this.holding = false;
      await new Promise<void>((resolve) => (this.resume = resolve));
    }
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('broker unavailable');
    }
    this.batches.push(batch);
  }

  /** `orderId:seq` of every message sent, in order. */
  sent(): string[] {
    return this.batches.flatMap((batch) =>
      (batch.topicMessages ?? []).flatMap((topic) => topic.messages.map((message) => JSON.parse(String(message.value)).id as string)),
    );
  }
}

/** The service's own metrics (a registry of their own per call), to read what was counted. */
export const testMetrics = () => createMetrics();

/** How many events the metrics say were published. */
export async function publishedCount(metrics: Metrics): Promise<number> {
  return (await metrics.eventsPublished.get()).values.reduce((sum, { value }) => sum + value, 0);
}

export const silentLogger = () => pino({ level: 'silent' });
