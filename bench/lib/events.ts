import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { BENCH_KAFKA_BROKERS } from './infra';
import { withTimeout } from './timeout';

/** The public topic of the brief (src/events/topics.ts ORDER_EVENTS_TOPIC); the bench is a black-box client. */
export const ORDER_EVENTS_TOPIC = 'wms.orders.events';
/** The internal topic of the live feeds (src/events/topics.ts ORDER_LIVE_TOPIC), read by the bench only to time the relay's part of 4c. */
export const ORDER_LIVE_TOPIC = 'wms.orders.live';

export interface Arrival {
  subject: string;
  type: string;
  /** performance.now() when the consumer handed the record to us. */
  at: number;
}

/**
 * A consumer of one topic (the public one unless told) with a consumer group of its own, starting at the topic's end when it joins.
 * Every CloudEvent is parsed (as a real consumer would) and handed to `onEvent` with its arrival time.
 */
export class EventListener {
  private consumer: Consumer | null = null;
  count = 0;

  constructor(
    private readonly onEvent: (arrival: Arrival) => void,
    private readonly topic: string = ORDER_EVENTS_TOPIC,
  ) {}

  async start(groupId: string): Promise<void> {
    const kafka = new Kafka({ clientId: groupId, brokers: [BENCH_KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 20, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    await consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        const at = performance.now();
        for (const message of batch.messages) {
          if (!message.value) continue;
          const event = JSON.parse(message.value.toString()) as { subject?: string; type?: string };
          this.count += 1;
          this.onEvent({ subject: event.subject ?? '', type: event.type ?? '', at });
        }
      },
    });
    await withTimeout(joined, 60_000, 'joining the bench consumer group');
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch(() => undefined);
  }
}
