import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticator';
import type { Config } from './config';
import type { KafkaClient } from './events/kafka';
import type { OutboxRelay } from './events/outbox-relay';
import type { Metrics } from './observability/metrics';
import type { IdempotencyStore } from './rest/idempotency.store';
import type { PubSubBus } from './schema/build-schema';
import type { DeadLetterFeed } from './use-cases/dead-letter-feed';
import type { DeadLetterQueries } from './use-cases/dead-letter-queries';
import type { DeadLetterQueue } from './use-cases/dead-letter-queue';
import type { OrderLifecycle } from './use-cases/order-lifecycle';
import type { OrderQueries } from './use-cases/order-queries';
import type { Reprocessing } from './use-cases/reprocessing';

/** The use cases and shared parts of one service instance, handed to resolvers through the context. */
export interface AppServices {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  mongo: Connection;
  kafka: KafkaClient;
  pubSub: PubSubBus;
  relay: OutboxRelay;
  orderQueries: OrderQueries;
  orderLifecycle: OrderLifecycle;
  /** Retries and moves to the dead letter queue (CONTRACT §2). */
  reprocessing: Reprocessing;
  /** Resolutions of dead letter queue entries (CONTRACT §3). */
  deadLetterQueue: DeadLetterQueue;
  /** Retry metadata, orders due for retry, DLQ entries and statistics. */
  deadLetterQueries: DeadLetterQueries;
  /** Live DLQ notices → the change each subscriber receives (computed once per notice). */
  deadLetterFeed: DeadLetterFeed;
  /** Idempotency-Key records of the REST layer. */
  idempotency: IdempotencyStore;
  /** Who is calling: verifies bearer tokens on HTTP and graphql-ws. */
  authenticator: Authenticator;
}
