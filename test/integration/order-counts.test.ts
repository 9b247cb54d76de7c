import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import type { Connection } from 'mongoose';
import { DeadLetterStatsRepository } from '../../src/store/dead-letter-stats.repository';
import { OrderCountsRepository } from '../../src/store/order-counts.repository';
import { orderModel } from '../../src/store/order.document';
import type { OrderListFilter } from '../../src/models/order.types';
import { OrderRepository } from '../../src/store/order.repository';
import type { RunningOrderService } from '../../src/order-service';
import { eventually, metric, startServiceProcess } from '../support/dlq-support';
import { CANCEL, VALIDATE, createOrder, ok } from '../support/graphql-client';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { startTestService, uniqueName } from '../support/test-service';

/**
 * The list's `total` comes from stored counts that a projector keeps behind the writes (order-counts.repository.ts).
 * These tests hold it to the orders' own count, for every filter, while writers on two replicas, the projector and a
 * kill -9 move things under it; and the page read from a window of creation times to the plain sorted find.
 */
const TENANT = 'default';
const STATUSES = ['received', 'validated', 'picking', 'shipped', 'cancelled'];
const PRIORITIES = ['same_day', 'next_day', 'standard'];
const CUSTOMERS = ['CUST-A', 'CUST-B', 'CUST-C', 'CUST-D'];
const DAY = 86_400_000;

const FILTERS: OrderListFilter[] = [
  {},
  ...STATUSES.map((status) => ({ status })),
  ...PRIORITIES.map((priority) => ({ priority })),
  ...CUSTOMERS.map((customerId) => ({ customerId })),
  { status: 'picking', priority: 'same_day' },
  { status: 'received', customerId: 'CUST-B' },
  { priority: 'standard', customerId: 'CUST-C' },
  { status: 'validated', priority: 'next_day', customerId: 'CUST-A' },
] as OrderListFilter[];

const queryOf = (filter: OrderListFilter) => ({ tenantId: TENANT, ...filter });

/** Orders as another writer (or an older version of the service) stored them: only the fields the list reads. */
function rawOrders(count: number, fields: (index: number) => Document, now = Date.now()): Document[] {
  return Array.from({ length: count }, (_, index) => {
    const orderId = `ORD-CNT${now.toString(36).toUpperCase()}${String(index).padStart(6, '0')}`;
    return {
      _id: orderId,
      orderId,
      tenantId: TENANT,
      status: STATUSES[index % STATUSES.length],
      priority: PRIORITIES[Math.floor(index / STATUSES.length) % PRIORITIES.length],
      customerId: CUSTOMERS[index % CUSTOMERS.length],
      // Spread over 30 days, newest first, with ties: the window's bound must keep every tie on the right side.
      createdAt: new Date(now - Math.floor(index / 3) * ((30 * DAY) / count)),
      version: 1,
      // Events published, as the relay leaves an order: the projector folds only those.
      outboxPending: false,
      ...fields(index),
    };
  });
}

const marked = () => ({ countStale: true, countedAs: null });

describe('order list totals and pages', () => {
  let client: MongoClient;

  beforeAll(async () => {
    client = await new MongoClient(TEST_MONGODB_URI).connect();
  });
  afterAll(async () => {
    await client.close();
  });

  /** The service's list and the orders' own count and sorted find, side by side. */
  function lists(connection: Connection) {
    const model = orderModel(connection);
    const counts = new OrderCountsRepository(model, connection);
    const repository = new OrderRepository(model, connection, new DeadLetterStatsRepository(connection), counts);
    const orders = (connection.db as unknown as Db).collection('orders');
    return {
      counts,
      total: async (filter: OrderListFilter) => (await repository.list(TENANT, filter, 0, 1)).total,
      page: async (filter: OrderListFilter, skip: number, limit: number) =>
        (await repository.list(TENANT, filter, skip, limit)).orders.map((order) => order.orderId),
      trueTotal: (filter: OrderListFilter) => orders.countDocuments(queryOf(filter)),
      truePage: async (filter: OrderListFilter, skip: number, limit: number) =>
        (await orders.find(queryOf(filter)).sort({ createdAt: -1, orderId: -1 }).skip(skip).limit(limit).toArray()).map((doc) => doc.orderId),
      stale: () => orders.countDocuments({ countStale: true }),
    };
  }

  async function expectExact(view: ReturnType<typeof lists>, filters = FILTERS) {
    for (const filter of filters) expect({ filter, total: await view.total(filter) }).toEqual({ filter, total: await view.trueTotal(filter) });
  }

  describe('while the projector folds a backlog in', () => {
    let service: RunningOrderService;
    let orders: Collection<Document>;

    beforeAll(async () => {
      service = await startTestService({ OUTBOX_RELAY_ENABLED: 'false' });
      orders = service.services.mongo.db!.collection('orders');
    });
    afterAll(async () => {
      await service.stop();
    });

    it('answers the orders own count at every read, and the plain sorted find page for page', async () => {
      const view = lists(service.services.mongo);
      await eventually(async () => expect(await view.counts.total(TENANT, {})).not.toBeNull());
      await orders.insertMany(rawOrders(1_500, marked));
      // Nothing changes the orders now, so every read must give the same totals, however far the projector got.
      const expected = new Map(await Promise.all(FILTERS.map(async (filter) => [JSON.stringify(filter), await view.trueTotal(filter)] as const)));
      const backlogSeen = new Set<string>();
      // A projector that stops folding fails here with what it reported, not as a bare time-out of the test.
      const giveUpAt = Date.now() + 200_000;
      // One filter per look, so that looks come often enough to see the backlog part folded in.
      for (let look = 0; ; look += 1) {
        const stale = await view.stale();
        if (Date.now() > giveUpAt) {
          const metrics = await (await fetch(`${service.url}/metrics`)).text();
          const projector = metrics.split('\n').filter((line) => line.startsWith('order_counts_'));
          throw new Error(`the projector left ${stale} of 1,500 orders unfolded after 200 s; it reports:\n${projector.join('\n')}`);
        }
        backlogSeen.add(stale === 1_500 ? 'untouched' : stale === 0 ? 'done' : 'part');
        const filter = FILTERS[look % FILTERS.length];
        expect({ filter, total: await view.total(filter) }).toEqual({ filter, total: expected.get(JSON.stringify(filter)) });
        // The fallback for reads that keep meeting folds: a snapshot transaction.
        if (look % 4 === 0)
          expect({ filter, total: (await view.counts.total(TENANT, filter, 0))?.total }).toEqual({ filter, total: expected.get(JSON.stringify(filter)) });
        if (stale === 0 && look >= FILTERS.length) break;
        // Room for the projector: the store answers one request at a time.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(backlogSeen).toContain('part');
      // What the projecting replica reports of it.
      expect(await metric(service, 'order_counts_folded_total')).toBeGreaterThanOrEqual(1_500);
      await eventually(async () => expect(await metric(service, 'order_counts_backlog_orders')).toBe(0));
      const paged: OrderListFilter[] = [
        {},
        { status: 'picking' },
        { priority: 'next_day' },
        { customerId: 'CUST-C' },
        { status: 'shipped', customerId: 'CUST-D' },
      ];
      for (const filter of paged) {
        const total = await view.trueTotal(filter);
        for (const [skip, limit] of [
          [0, 20],
          [20, 20],
          [140, 20],
          [total - 25, 20],
          [total - 5, 20],
          [0, 100],
        ]) {
          expect({ filter, skip, page: await view.page(filter, skip, limit) }).toEqual({ filter, skip, page: await view.truePage(filter, skip, limit) });
        }
        expect(await view.page(filter, total, 20)).toEqual([]);
      }
      // Once in a fresh-clone CI run (stop 18) the fold took over 120 s here, where it takes ~20 s; cause not found yet.
    }, 300_000);
  });

  it('stays exact under writers on two replicas creating, validating and cancelling at once', async () => {
    const database = uniqueName('counts_replicas');
    const replicas = [await startTestService({ MONGODB_DATABASE: database }), await startTestService({ MONGODB_DATABASE: database })];
    try {
      const view = lists(replicas[0].services.mongo);
      let unfilteredSeen = 0;
      let writing = true;
      // Creates only add orders: the unfiltered total read meanwhile never goes down.
      const reader = (async () => {
        while (writing) {
          const total = await view.total({});
          expect(total).toBeGreaterThanOrEqual(unfilteredSeen);
          unfilteredSeen = total;
        }
      })();
      await Promise.all(
        Array.from({ length: 8 }, async (_, worker) => {
          for (let index = 0; index < 25; index += 1) {
            const service = replicas[(worker + index) % 2];
            const order = await createOrder(service, {
              customerId: CUSTOMERS[(worker + index) % CUSTOMERS.length],
              priority: ['SAME_DAY', 'NEXT_DAY', 'STANDARD'][index % 3],
            });
            if (index % 3 !== 0) await ok(replicas[(worker + index + 1) % 2], VALIDATE, { id: order.id });
            if (index % 4 === 1) await ok(service, CANCEL, { id: order.id, reason: 'customer request' });
          }
        }),
      );
      writing = false;
      await reader;
      expect(await view.trueTotal({})).toBe(200);
      await expectExact(view);
      await eventually(async () => expect(await view.stale()).toBe(0), 30_000);
      await expectExact(view);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await client.db(database).dropDatabase();
    }
  }, 120_000);

  it('counts the orders of a store written before the counts existed', async () => {
    const database = uniqueName('counts_backfill');
    await client
      .db(database)
      .collection('orders')
      .insertMany(rawOrders(500, () => ({})));
    const service = await startTestService({ MONGODB_DATABASE: database, OUTBOX_RELAY_ENABLED: 'false' });
    try {
      const view = lists(service.services.mongo);
      await expectExact(view);
      await eventually(async () => {
        expect(await view.counts.total(TENANT, {})).not.toBeNull();
        expect(await view.stale()).toBe(0);
      }, 30_000);
      await expectExact(view);
    } finally {
      await service.stop();
      await client.db(database).dropDatabase();
    }
  }, 60_000);

  it('loses nothing when the projecting replica is killed (kill -9) in the middle of a backlog', async () => {
    const database = uniqueName('counts_kill');
    const orders = client.db(database).collection('orders');
    const env = { MONGODB_URI: TEST_MONGODB_URI, MONGODB_DATABASE: database, OUTBOX_RELAY_ENABLED: 'false', KAFKA_BROKERS: TEST_KAFKA_BROKERS };
    const first = await startServiceProcess(env);
    let survivor: RunningOrderService | null = null;
    try {
      await orders.insertMany(rawOrders(4_000, marked));
      await eventually(async () => expect(await orders.countDocuments({ countStale: true })).toBeLessThan(3_500), 60_000, 20);
      first.child.kill('SIGKILL');
      await first.exited;
      survivor = await startTestService({ MONGODB_DATABASE: database, OUTBOX_RELAY_ENABLED: 'false' });
      const view = lists(survivor.services.mongo);
      await expectExact(view);
      // The killed replica's lease runs out (10 s), and its open transaction is aborted by the store; then the
      // survivor folds in the rest.
      await eventually(async () => expect(await view.stale()).toBe(0), 120_000, 500);
      await expectExact(view);
    } finally {
      await first.stop();
      await survivor?.stop();
      await client.db(database).dropDatabase();
    }
  }, 180_000);
});
