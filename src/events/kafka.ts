import { Kafka, Partitioners, logLevel, type Admin, type Producer, type ProducerBatch } from 'kafkajs';
import type { Logger } from 'pino';
import { withTimeout } from '../store/mongo';

/**
 * The only module that knows kafkajs. kafkajs has had no release since 2023; keeping it behind this
 * small surface lets a maintained client (e.g. @platformatic/kafka) replace it in one place.
 */
export interface KafkaClient {
  kafka: Kafka;
  /**
   * Sends one batch with acks from all in-sync replicas. Bounded in time: a send that neither succeeds nor fails
   * (seen with kafkajs after a broker restart) is abandoned, and the producer is replaced with a fresh one.
   */
  sendBatch(batch: Omit<ProducerBatch, 'acks'>, timeoutMs?: number): Promise<void>;
  connect(): Promise<void>;
  ping(timeoutMs?: number): Promise<void>;
  ensureTopics(topics: Array<{ topic: string; numPartitions?: number }>): Promise<void>;
  disconnect(): Promise<void>;
}

export function createKafkaClient(brokers: string[], clientId: string, logger: Logger): KafkaClient {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const logCreator =
    () =>
    ({ level, log }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
      const { message, ...extra } = log;
      // kafkajs logs every retried protocol error (e.g. "not the leader" on a fresh broker) as an error; failures that
      // outlast its retries reach our code, which logs them itself. So its own errors are warnings here.
      if (level <= logLevel.WARN) kafkaLogger.warn(extra, message);
      else kafkaLogger.debug(extra, message);
    };
  const kafka = new Kafka({ clientId, brokers, logLevel: logLevel.WARN, logCreator, retry: { retries: 5 } });
  // A separate client for health checks: no retries, so /ready answers within its time-out when the broker is down.
  const probe = new Kafka({
    clientId: `${clientId}-probe`,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const newProducer = () => kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  let producer: Producer = newProducer();
  let producerConnected: Promise<void> | null = null;
  const replaceProducer = () => {
    const broken = producer;
    producer = newProducer();
    producerConnected = null;
    // Not awaited: disconnecting a wedged producer can itself wedge.
    broken.disconnect().catch(() => undefined);
  };
  let probeAdmin: Admin | null = null;

  return {
    kafka,
    connect: () => (producerConnected ??= producer.connect()),
    async sendBatch(batch, timeoutMs = 30_000) {
      try {
        await withTimeout(
          (async () => {
            await (producerConnected ??= producer.connect());
            await producer.sendBatch({ ...batch, acks: -1 });
          })(),
          timeoutMs,
          'kafka send',
        );
      } catch (error) {
        replaceProducer();
        throw error;
      }
    },
    async ping(timeoutMs = 2_000) {
      const check = async () => {
        probeAdmin ??= probe.admin();
        try {
          await probeAdmin.connect();
          await probeAdmin.describeCluster();
        } catch (error) {
          // A failed admin keeps its broken connection; start afresh next time.
          const broken = probeAdmin;
          probeAdmin = null;
          await broken.disconnect().catch(() => undefined);
          throw error;
        }
      };
      await withTimeout(check(), timeoutMs, 'kafka ping');
    },
    async ensureTopics(topics) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter(({ topic }) => !existing.has(topic));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map(({ topic, numPartitions }) => ({ topic, numPartitions: numPartitions ?? 3 })),
          });
        }
      } finally {
        await admin.disconnect();
      }
    },
    async disconnect() {
      await producer.disconnect().catch(() => undefined);
      if (probeAdmin) await probeAdmin.disconnect().catch(() => undefined);
    },
  };
}
