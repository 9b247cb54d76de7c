import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticator';
import type { Config } from './config';
import type { KafkaClient } from './events/kafka';
import type { OutboxRelay } from './events/outbox/relay';
import type { Metrics } from './observability/metrics';
import type { IdempotencyRepository } from './store/idempotency.repository';
import type { LiveBus } from './events/live-bus';
import type { DeadLetterFeed } from './use-cases/dead-letter-feed';
import type { DeadLetterQueries } from './use-cases/dead-letter-queries';
import type { DeadLetterQueue } from './use-cases/dead-letter-queue';
import type { DeadLetterRedrives } from './use-cases/dead-letter-redrives';
import type { OrderLifecycle } from './use-cases/order-lifecycle';
import type { OrderQueries } from './use-cases/order-queries';
import type { Reprocessing } from './use-cases/reprocessing';
import type { ReprocessingQueries } from './use-cases/reprocessing-queries';

/** What resolvers may call: the use cases, nothing of the infrastructure behind them. */
export interface UseCases {
  orderQueries: OrderQueries;
  orderLifecycle: OrderLifecycle;
  /** Retries and moves to the dead letter queue (CONTRACT §2). */
  reprocessing: Reprocessing;
  /** Retry metadata and the orders due for a retry. */
  reprocessingQueries: ReprocessingQueries;
  /** Resolutions of dead letter queue entries (CONTRACT §3). */
  deadLetterQueue: DeadLetterQueue;
  /** DLQ entries and statistics. */
  deadLetterQueries: DeadLetterQueries;
  /** Live DLQ notices → the change each subscriber receives (computed once per notice). */
  deadLetterFeed: DeadLetterFeed;
  /** Bulk redrive tasks of the DLQ (issue 13 §1). */
  deadLetterRedrives: DeadLetterRedrives;
}

/** The use cases and shared parts of one service instance, for the servers that host them. */
export interface AppServices extends UseCases {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  mongo: Connection;
  kafka: KafkaClient;
  pubSub: LiveBus;
  relay: OutboxRelay;
  /** Idempotency-Key records of the REST layer. */
  idempotency: IdempotencyRepository;
  /** Who is calling: verifies bearer tokens on HTTP and graphql-ws. */
  authenticator: Authenticator;
}
