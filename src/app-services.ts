import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { KafkaClient } from './events/kafka';
import type { OutboxRelay } from './events/outbox-relay';
import type { Metrics } from './observability/metrics';
import type { PubSubBus } from './schema/build-schema';
import type { OrderLifecycle } from './use-cases/order-lifecycle';
import type { OrderQueries } from './use-cases/order-queries';

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
}
