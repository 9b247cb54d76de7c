import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { TEST_KAFKA_BROKERS } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

describe('kafkajs on the real Kafka broker', () => {
  const kafka = new Kafka({ clientId: 'roundtrip-test', brokers: [TEST_KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const topic = uniqueName('roundtrip');
  const groupId = uniqueName('roundtrip-group');

  it('creates a topic, produces keyed records, consumes them in a group and commits the offset', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'ORD-A', value: 'first' },
        { key: 'ORD-A', value: 'second' },
      ],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: Array<{ key: string; value: string; partition: number; offset: string }> = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no records within 30 s')), 30_000);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          received.push({ key: String(message.key), value: String(message.value), partition, offset: message.offset });
          await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          if (received.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();

    // Same key → same partition, in production order.
    expect(received.map((r) => r.value)).toEqual(['first', 'second']);
    expect(received[0].partition).toBe(received[1].partition);

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const partition = committed[0].partitions.find((p) => p.partition === received[1].partition);
    expect(partition?.offset).toBe(String(Number(received[1].offset) + 1));
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });
});
