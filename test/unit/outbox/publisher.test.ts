import { CLOUDEVENTS_CONTENT_TYPE } from '../../../src/events/cloudevent';
import { OutboxPublisher } from '../../../src/events/outbox/publisher';
import { SentLedger } from '../../../src/events/outbox/sent-ledger';
import { FakeKafka, pending, publishedCount, testMetrics } from './fakes';

function publisherOn(kafka = new FakeKafka()) {
  const ledger = new SentLedger();
  const metrics = testMetrics();
  return { kafka, ledger, metrics, publisher: new OutboxPublisher(kafka, ledger, metrics) };
}

describe('OutboxPublisher', () => {
  it('sends each order as CloudEvents keyed by the order id, in seq order, in one batch, and notes them sent', async () => {
    const { kafka, ledger, metrics, publisher } = publisherOn();
    expect(await publisher.publish([pending('A', [1, 2]), pending('B', [1])])).toEqual([]);
    expect(kafka.batches).toHaveLength(1);
    const [topic] = kafka.batches[0].topicMessages!;
    expect(topic.messages.map((message) => [message.key, JSON.parse(String(message.value)).id])).toEqual([
      ['A', 'A-1'],
      ['A', 'A-2'],
      ['B', 'B-1'],
    ]);
    expect(topic.messages[0].headers?.['content-type']).toBe(CLOUDEVENTS_CONTENT_TYPE);
    expect([ledger.sentUpTo('A'), ledger.sentUpTo('B')]).toEqual([2, 1]);
    expect(await publishedCount(metrics)).toBe(3);
  });

  it('never sends again what the ledger says was sent', async () => {
    const { kafka, publisher } = publisherOn();
    await publisher.publish([pending('A', [1, 2])]);
    await publisher.publish([pending('A', [1, 2, 3])]); // the store still shows 1 and 2 as pending
    await publisher.publish([pending('A', [1, 2, 3])]);
    expect(kafka.sent()).toEqual(['A-1', 'A-2', 'A-3']);
  });

  it('skips an order another send has in flight, and returns it', async () => {
    const { kafka, publisher } = publisherOn();
    kafka.holdNext();
    const first = publisher.publish([pending('A', [1])]);
    expect(await publisher.publish([pending('A', [1, 2]), pending('B', [1])])).toEqual(['A']);
    kafka.release();
    await first;
    expect(kafka.sent().sort()).toEqual(['A-1', 'B-1']);
  });

  it('a failed send notes nothing sent and frees the orders for the next try', async () => {
    const { kafka, ledger, publisher } = publisherOn();
    kafka.failNext();
    await expect(publisher.publish([pending('A', [1])])).rejects.toThrow('broker unavailable');
    expect(ledger.sentUpTo('A')).toBe(0);
    expect(await publisher.publish([pending('A', [1])])).toEqual([]);
    expect(kafka.sent()).toEqual(['A-1']);
  });
});
