import { OutboxPublisher } from '../../../src/events/outbox/publisher';
import { SentLedger } from '../../../src/events/outbox/sent-ledger';
import { OutboxSweeper } from '../../../src/events/outbox/sweeper';
import type { PendingOutbox } from '../../../src/store/outbox.repository';
import { FakeKafka, testMetrics, pending, silentLogger } from './fakes';

const OWNER = 'replica-1';
const inFuture = () => new Date(Date.now() + 30_000);
const inPast = () => new Date(Date.now() - 1);

function sweeperOver(store: PendingOutbox[], { held = true } = {}) {
  const kafka = new FakeKafka();
  const ledger = new SentLedger();
  const publisher = new OutboxPublisher(kafka, ledger, testMetrics());
  const lease = { held: () => held, renew: async () => held, release: async () => undefined, renewEveryMs: 1_000 };
  const outbox = {
    async *scanPending(batchSize: number) {
      for (let start = 0; start < store.length; start += batchSize) yield store.slice(start, start + batchSize);
    },
  };
  let swept = 0;
  const sweeper = new OutboxSweeper(
    OWNER,
    outbox,
    lease,
    publisher,
    ledger,
    silentLogger(),
    { pollIntervalMs: 60_000, batchSize: 2 },
    {
      running: () => true,
      swept: () => void (swept += 1),
    },
  );
  const sweepOnce = async () => {
    sweeper.maybeSweep();
    await sweeper.active;
  };
  return { kafka, sweeper, sweepOnce, swept: () => swept };
}

describe('OutboxSweeper', () => {
  const store = () => [
    pending('NO-LEASE', [1]),
    pending('EXPIRED', [1, 2], { owner: 'replica-2', until: inPast() }),
    pending('OTHERS-LIVE', [1], { owner: 'replica-2', until: inFuture() }),
    pending('OWN', [1], { owner: OWNER, until: inPast() }),
  ];

  it('publishes what no live lease covers, and leaves its own and live leases to their hand-over paths', async () => {
    const { kafka, sweepOnce, swept } = sweeperOver(store());
    await sweepOnce();
    expect(kafka.sent()).toEqual(['NO-LEASE-1', 'EXPIRED-1', 'EXPIRED-2']);
    expect(swept()).toBe(1);
  });

  it('does nothing without the sweeper lease', async () => {
    const { kafka, sweepOnce } = sweeperOver(store(), { held: false });
    await sweepOnce();
    expect(kafka.sent()).toEqual([]);
  });

  it('measures the backlog while it sweeps, and sweeps again only after the poll interval', async () => {
    const { kafka, sweeper, sweepOnce } = sweeperOver(store());
    await sweepOnce();
    expect(await sweeper.backlog()).toMatchObject({ orders: 4 });
    expect((await sweeper.backlog()).oldestAgeSeconds).toBeGreaterThan(0.5);
    await sweepOnce();
    expect(kafka.batches).toHaveLength(1);
  });

  it('counts the backlog itself on a replica that does not sweep', async () => {
    const { sweeper } = sweeperOver(store(), { held: false });
    expect(await sweeper.backlog()).toMatchObject({ orders: 4 });
  });
});
