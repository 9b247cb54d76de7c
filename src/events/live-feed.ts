import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import type { LiveBus } from './live-bus';
import type { CloudEvent } from './cloudevent';
import type { KafkaClient } from './kafka';
import { LIVE_EVENT_TYPES } from './live-events';
import { ORDER_LIVE_TOPIC } from './topics';
import { withTimeout } from '../store/mongo';

/** PubSub channels the subscription resolvers listen on. */
export const LIVE_CHANNELS = {
  orderStatusChanged: 'ORDER_STATUS_CHANGED',
  deadLetterQueueChanged: 'DEAD_LETTER_QUEUE_CHANGED',
  deadLetterRedriveProgress: 'DEAD_LETTER_REDRIVE_PROGRESS',
} as const;

const CHANNEL_BY_TYPE: Record<string, string> = {
  [LIVE_EVENT_TYPES.orderStatusChanged]: LIVE_CHANNELS.orderStatusChanged,
  [LIVE_EVENT_TYPES.deadLetterQueueChanged]: LIVE_CHANNELS.deadLetterQueueChanged,
  [LIVE_EVENT_TYPES.deadLetterRedriveProgress]: LIVE_CHANNELS.deadLetterRedriveProgress,
};

/**
 * Feeds this replica's GraphQL subscriptions from the live topic, so a subscriber sees every change whichever replica
 * made it. Each replica reads with a consumer group of its own (every replica must see every notice), starting at the
 * topic's end as of start-up, and deletes that group when it stops.
 */
export class LiveFeed {
  private consumer: Consumer | null = null;
  readonly groupId: string;

  /** `onPublished`: per channel, what else to do with a notice once its subscribers have been handed it. */
  constructor(
    private readonly kafka: KafkaClient,
    private readonly pubSub: LiveBus,
    private readonly logger: Logger,
    serviceName: string,
    private readonly onPublished: Partial<Record<string, (data: object) => void>> = {},
  ) {
    this.groupId = `${serviceName}-live-${randomUUID()}`;
  }

  async start(): Promise<void> {
    const admin = this.kafka.kafka.admin();
    await admin.connect();
    // Where the topic ends now: everything stored after start-up is delivered, even before the group has joined.
    const endOffsets = await retryTransient(() => admin.fetchTopicOffsets(ORDER_LIVE_TOPIC)).finally(() => admin.disconnect());

    const consumer = this.kafka.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 50 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: ORDER_LIVE_TOPIC, fromBeginning: false });
    // Seek once the group exists (a fresh broker may make the first join fail and kafkajs restart the consumer).
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        for (const { partition, offset } of endOffsets) consumer.seek({ topic: ORDER_LIVE_TOPIC, partition, offset });
        resolve();
      });
    });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ message }) => {
        if (!message.value) return;
        try {
          const event = JSON.parse(message.value.toString()) as CloudEvent;
          const channel = CHANNEL_BY_TYPE[event.type];
          if (!channel) return;
          this.pubSub.publish(channel, event.data);
          this.onPublished[channel]?.(event.data as object);
        } catch (error) {
          this.logger.warn({ err: error }, 'unreadable live notice skipped');
        }
      },
    });
    await withTimeout(joined, 30_000, 'joining the live feed consumer group');
  }

  async stop(): Promise<void> {
    if (!this.consumer) return;
    await this.consumer.disconnect().catch(() => undefined);
    this.consumer = null;
    const admin = this.kafka.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch (error) {
      this.logger.warn({ err: error, groupId: this.groupId }, 'could not delete the live feed consumer group');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/** A freshly created topic can answer "not the leader" for a moment after its leaders were reported elected. */
async function retryTransient<T>(operation: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !(error as { retriable?: boolean }).retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
