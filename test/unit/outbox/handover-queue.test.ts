import { HandOverQueue } from '../../../src/events/outbox/handover-queue';
import { entry } from './fakes';

const handed = (orderId: string, ...seqs: number[]) => ({ tenantId: 'default', entries: seqs.map((seq) => entry(orderId, seq)) });

describe('HandOverQueue', () => {
  it('joins events that follow on from what waits, in order', () => {
    const queue = new HandOverQueue();
    queue.add('A', handed('A', 1));
    queue.add('A', handed('A', 2, 3));
    const [[orderId, events]] = queue.take(10);
    expect(orderId).toBe('A');
    expect(events?.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(queue.size).toBe(0);
  });

  it('makes the relay read the order after a gap, or after a write it was not handed', () => {
    const queue = new HandOverQueue();
    queue.add('A', handed('A', 1));
    queue.add('A', handed('A', 3)); // 2 went elsewhere
    queue.add('B');
    queue.add('B', handed('B', 5)); // once null, the order is read: what waits is unknown
    expect(queue.take(10)).toEqual([
      ['A', null],
      ['B', null],
    ]);
  });

  it('hands out the longest waiting first, at most `count` at a time', () => {
    const queue = new HandOverQueue();
    for (const id of ['A', 'B', 'C']) queue.add(id, handed(id, 1));
    expect(queue.take(2).map(([id]) => id)).toEqual(['A', 'B']);
    expect(queue.take(2).map(([id]) => id)).toEqual(['C']);
  });

  it('puts back taken orders to be read, without overwriting what was stored since', () => {
    const queue = new HandOverQueue();
    queue.add('A', handed('A', 1));
    queue.add('B', handed('B', 1));
    queue.take(2);
    queue.add('B', handed('B', 2)); // stored while A and B were being sent
    queue.putBack(['A', 'B']);
    expect(queue.take(10)).toEqual([
      ['B', handed('B', 2)],
      ['A', null],
    ]);
  });
});
