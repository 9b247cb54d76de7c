import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AppServices } from './app-services';
import type { Config } from './config';
import { createKafkaClient } from './events/kafka';
import { createMetrics } from './observability/metrics';
import { createLiveBus } from './events/live-bus';
import { buildOrderSubgraph } from './schema/build-schema';
import { createGraphQLServer } from './server/graphql-server';
import { createHttpApp } from './server/http-app';
import type { Readiness } from './server/health.routes';
import { LIVE_CHANNELS, LiveFeed } from './events/live-feed';
import { createAuthenticator } from './auth/authenticator';
import { enforceScopes } from './auth/enforce-scopes';
import { OutboxRelay, relayOwnerId, type OutboxRelayOptions } from './events/outbox/relay';
import { OutboxRepository } from './store/outbox.repository';
import { startPeriodicRefresh } from './observability/periodic-refresh';
import { countProjectorLease, dlqRetentionLease, sweeperLease } from './store/replica-lease';
import { OrderCountsRepository } from './store/order-counts.repository';
import { OrderCountProjector } from './store/order-count-projector';
import { ORDER_EVENTS_TOPIC, ORDER_LIVE_TOPIC, TOPIC_PARTITIONS } from './events/topics';
import { IdempotencyRepository } from './store/idempotency.repository';
import { connectMongo, ensureIndexes } from './store/mongo';
import { DeadLetterStatsRepository } from './store/dead-letter-stats.repository';
import { DeadLetterRepository } from './store/dead-letter.repository';
import { ReprocessingRepository } from './store/reprocessing.repository';
import { orderModel } from './store/order.document';
import { OrderRepository } from './store/order.repository';
import { DeadLetterFeed } from './use-cases/dead-letter-feed';
import { DeadLetterQueries } from './use-cases/dead-letter-queries';
import { DeadLetterQueue } from './use-cases/dead-letter-queue';
import { DeadLetterRetention } from './use-cases/dead-letter-retention';
import { DeadLetterRetentionJob } from './use-cases/dead-letter-retention-job';
import { DeadLetterRedriveRunner } from './use-cases/dead-letter-redrive-runner';
import { DeadLetterRedrives } from './use-cases/dead-letter-redrives';
import { DeadLetterRedriveRepository } from './store/dead-letter-redrive.repository';
import { RedriveProgressPublisher } from './events/redrive-progress';
import { OrderLifecycle } from './use-cases/order-lifecycle';
import { OrderQueries } from './use-cases/order-queries';
import { OrderWriter } from './use-cases/order-writer';
import { Reprocessing } from './use-cases/reprocessing';
import { ReprocessingQueries } from './use-cases/reprocessing-queries';

/** How often the DLQ gauges (unresolved entries, oldest age) are read from the store. */
/**
 * Store-wide gauges (outbox backlog, DLQ) are refreshed this often at most (see startPeriodicRefresh), the first time
 * one interval after start: a replica taking the sweeper lease at start is scanning the orders for its first sweep.
 */
const GAUGE_INTERVAL_MS = 5_000;

export interface RunningOrderService {
  url: string;
  port: number;
  services: AppServices;
  httpServer: Server;
  /** Graceful stop: readiness fails, in-flight requests finish, subscriptions close, connections close. */
  stop(): Promise<void>;
}

/** The composition root: connects the store and the broker, wires every part, starts listening. */
export interface StartOptions {
  relay?: Partial<OutboxRelayOptions>;
}

export async function startOrderService(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningOrderService> {
  const metrics = createMetrics();
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DATABASE);
  const kafka = createKafkaClient(config.KAFKA_BROKERS, config.KAFKA_CLIENT_ID ?? config.SERVICE_NAME, logger);
  const pubSub = createLiveBus();

  const orders = orderModel(mongo);
  const deadLetterStats = new DeadLetterStatsRepository(mongo);
  await ensureIndexes([orders]);
  await deadLetterStats.ensureIndexes();
  const redriveTasks = DeadLetterRedriveRepository.forConnection(mongo);
  await redriveTasks.ensureIndexes();
  const idempotency = IdempotencyRepository.forConnection(mongo);
  await idempotency.init();
  await kafka.ensureTopics([
    { topic: ORDER_EVENTS_TOPIC, numPartitions: TOPIC_PARTITIONS },
    { topic: ORDER_LIVE_TOPIC, numPartitions: TOPIC_PARTITIONS },
  ]);
  await kafka.connect();

  const counts = new OrderCountsRepository(orders, mongo);
  const repository = new OrderRepository(orders, mongo, deadLetterStats, counts);
  const relayOptions = { pollIntervalMs: config.OUTBOX_POLL_INTERVAL, ...options.relay };
  const relayOwner = relayOwnerId();
  const relay = new OutboxRelay(relayOwner, new OutboxRepository(orders), sweeperLease(mongo, relayOwner), kafka, metrics, logger, relayOptions);
  const writer = new OrderWriter(repository, metrics, relay);
  const countProjector = new OrderCountProjector(counts, countProjectorLease(mongo, relayOwner), logger, metrics);
  const deadLetterEntries = new DeadLetterRepository(orders);
  const deadLetterQueries = new DeadLetterQueries(deadLetterEntries, deadLetterStats, metrics);
  const retention = new DeadLetterRetention(writer, deadLetterEntries, metrics, config.DLQ_RETENTION);
  const retentionJob = new DeadLetterRetentionJob(retention, dlqRetentionLease(mongo, relayOwner), logger, {
    intervalMs: config.DLQ_RETENTION_SWEEP_INTERVAL,
  });
  const deadLetterQueue = new DeadLetterQueue(writer, metrics);
  const redriveProgress = new RedriveProgressPublisher(kafka, logger);
  const redriveRunner = new DeadLetterRedriveRunner(redriveTasks, deadLetterQueue, redriveProgress, relayOwner, metrics, logger);
  const redriveRates = { defaultRate: config.DLQ_REDRIVE_DEFAULT_RATE, maxRate: config.DLQ_REDRIVE_MAX_RATE };
  const services: AppServices = {
    config,
    logger,
    metrics,
    mongo,
    kafka,
    pubSub,
    relay,
    orderQueries: new OrderQueries(repository),
    orderLifecycle: new OrderLifecycle(writer, repository, config),
    reprocessing: new Reprocessing(writer, metrics, config),
    reprocessingQueries: new ReprocessingQueries(repository, new ReprocessingRepository(orders), config.MAX_RETRIES),
    deadLetterQueue,
    deadLetterQueries,
    deadLetterFeed: new DeadLetterFeed(deadLetterQueries, () => pubSub.listenerCount(LIVE_CHANNELS.deadLetterQueueChanged) > 0),
    deadLetterRedrives: new DeadLetterRedrives(redriveTasks, deadLetterEntries, redriveProgress, pubSub, redriveRates, () => redriveRunner.nudge()),
    idempotency,
    authenticator: createAuthenticator(config),
  };
  const liveFeed = new LiveFeed(kafka, pubSub, logger, config.SERVICE_NAME, {
    [LIVE_CHANNELS.deadLetterQueueChanged]: (notice) => services.deadLetterFeed.prepare(notice),
  });
  await liveFeed.start();
  if (config.OUTBOX_RELAY_ENABLED) relay.start();
  if (config.ORDER_COUNTS_PROJECTOR_ENABLED) countProjector.start();
  if (config.DLQ_RETENTION_ENABLED) retentionJob.start();
  if (config.DLQ_REDRIVE_RUNNER_ENABLED) redriveRunner.start();
  const backlogGauges = startPeriodicRefresh(
    async () => {
      const { orders: pending, oldestAgeSeconds } = await relay.backlog();
      metrics.outboxBacklog.set(pending);
      metrics.outboxOldestAge.set(oldestAgeSeconds);
    },
    GAUGE_INTERVAL_MS,
    GAUGE_INTERVAL_MS,
  );
  const dlqGauges = startPeriodicRefresh(
    () => deadLetterQueries.refreshGauges().catch((error) => logger.warn({ err: error }, 'could not refresh the DLQ gauges')),
    GAUGE_INTERVAL_MS,
    GAUGE_INTERVAL_MS,
  );

  const schema = enforceScopes(await buildOrderSubgraph(pubSub));
  const httpServer = createServer();
  const readiness: Readiness = { accepting: true };
  const { apollo } = createGraphQLServer(schema, httpServer, services);
  await apollo.start();
  httpServer.on('request', createHttpApp(services, apollo, readiness));
  // Slow clients must not hold sockets forever; keep-alive longer than typical proxies' idle time-out.
  httpServer.requestTimeout = 30_000;
  httpServer.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.host && config.host !== '0.0.0.0' ? config.host : '127.0.0.1'}:${port}`;
  logger.info({ url }, 'order service listening');

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      readiness.accepting = false;
      logger.info('shutting down: readiness off');
      if (config.SHUTDOWN_DRAIN_DELAY > 0) await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DRAIN_DELAY));
      await apollo.stop(); // drains HTTP (in-flight requests finish) and closes subscriptions
      backlogGauges.stop();
      dlqGauges.stop();
      await redriveRunner.stop(); // between two entries; its tasks' leases given back for another replica
      await retentionJob.stop(); // before the relay: it publishes the notices of the last retirements
      await relay.stop(); // publishes what the last requests stored
      await countProjector.stop();
      await liveFeed.stop();
      await kafka.disconnect();
      await mongo.close();
      logger.info('shutdown complete');
    })());

  return { url, port, services, httpServer, stop };
}
