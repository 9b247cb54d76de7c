import type { CommandStartedEvent, Document } from 'mongodb';
import mongoose, { type Connection } from 'mongoose';
import type { RedriveFilter } from '../../src/models/dead-letter-redrive';
import { DeadLetterRedriveRepository } from '../../src/store/dead-letter-redrive.repository';
import { DeadLetterStatsRepository } from '../../src/store/dead-letter-stats.repository';
import { DeadLetterRepository } from '../../src/store/dead-letter.repository';
import { ReprocessingRepository } from '../../src/store/reprocessing.repository';
import { ensureIndexes } from '../../src/store/mongo';
import { orderModel } from '../../src/store/order.document';
import type { OrderListFilter } from '../../src/models/order.types';
import { OrderRepository } from '../../src/store/order.repository';
import { OutboxRepository } from '../../src/store/outbox.repository';
import { OrderCountsRepository } from '../../src/store/order-counts.repository';
import { findPage } from '../../src/store/order-page';
import { TEST_MONGODB_URI } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

/**
 * Every read the service makes is served by an index: each query a repository sends is captured from the driver's
 * command monitoring and explained on the real store. A plan passes when it contains an IXSCAN and no COLLSCAN.
 */
interface Captured {
  command: string;
  body: Document;
}

const TENANT = 'default';
const DRIVER_FIELDS = new Set([
  'lsid',
  '$db',
  '$clusterTime',
  'txnNumber',
  'startTransaction',
  'autocommit',
  'readConcern',
  '$readPreference',
  'cursor',
  'batchSize',
]);

describe('query plans of every read on the real store', () => {
  let connection: Connection;
  let captured: Captured[] = [];
  let orders: OrderRepository;
  let deadLetters: DeadLetterRepository;
  let reprocessing: ReprocessingRepository;
  let outbox: OutboxRepository;
  let counts: OrderCountsRepository;
  let model: ReturnType<typeof orderModel>;

  beforeAll(async () => {
    connection = mongoose.createConnection(TEST_MONGODB_URI, { dbName: uniqueName('plans'), monitorCommands: true, autoIndex: false, autoCreate: false });
    await connection.asPromise();
    model = orderModel(connection);
    await ensureIndexes([model]);
    const stats = new DeadLetterStatsRepository(connection);
    await stats.ensureIndexes();
    counts = new OrderCountsRepository(model, connection);
    orders = new OrderRepository(model, connection, stats, counts);
    deadLetters = new DeadLetterRepository(model);
    reprocessing = new ReprocessingRepository(model);
    outbox = new OutboxRepository(model);
    // A few documents of each shape, so a planner that weighs data has some.
    const now = Date.now();
    await model.collection.insertMany(
      Array.from({ length: 60 }, (_, i) => ({
        _id: `ORD-PLAN${String(i).padStart(8, '0')}` as never,
        orderId: `ORD-PLAN${String(i).padStart(8, '0')}`,
        tenantId: TENANT,
        customerId: `CUST-${i % 6}`,
        status: ['received', 'validated', 'picking'][i % 3],
        priority: ['same_day', 'next_day', 'standard'][i % 3],
        createdAt: new Date(now - i * 60_000),
        retry: { count: i % 4, maxRetries: 5, nextRetryAt: i % 4 ? new Date(now - i * 1000) : null },
        retryDueAt: i % 4 ? new Date(now - i * 1000) : null,
        deadLettered: i % 5 === 0,
        deadLetter:
          i % 5 === 0
            ? {
                createdAt: new Date(now - i * 1000),
                resolved: i % 10 === 0,
                resolvedAt: i % 10 === 0 ? new Date(now - i * 60_000) : null,
                failureStatus: 'picking',
                retryCount: 5,
              }
            : null,
        backorders: i % 7 === 0 ? [{ backorderId: `BO-PLAN${i}` }] : [],
        outboxPending: i % 9 === 0,
      })),
    );
    // Documents written without the service: as a store of an earlier version, they are marked for counting once.
    await counts.backfill();
    connection.getClient().on('commandStarted', (event: CommandStartedEvent) => {
      if (['find', 'aggregate', 'count'].includes(event.commandName)) captured.push({ command: event.commandName, body: event.command });
    });
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  /** Runs `read`, then explains every query it sent; returns the stage names of each winning plan. */
  async function plansOf(read: () => Promise<unknown>): Promise<string[][]> {
    captured = [];
    await read();
    const queries = captured;
    captured = [];
    expect(queries.length).toBeGreaterThan(0);
    const plans: string[][] = [];
    for (const { body } of queries) {
      const command = Object.fromEntries(Object.entries(body).filter(([key]) => !DRIVER_FIELDS.has(key)));
      const explained = await connection.db!.command({ explain: { ...command, ...(body.cursor ? { cursor: {} } : {}) }, verbosity: 'queryPlanner' });
      captured = [];
      plans.push(stagesOf(explained.queryPlanner?.winningPlan ?? explained.stages?.[0]?.$cursor?.queryPlanner?.winningPlan));
    }
    return plans;
  }

  function expectIndexed(plans: string[][]) {
    for (const stages of plans) {
      expect(stages).toContain('IXSCAN');
      expect(stages).not.toContain('COLLSCAN');
    }
  }

  const listFilters: Array<[string, OrderListFilter]> = [
    ['no filter', {}],
    ['status', { status: 'validated' }],
    ['priority', { priority: 'same_day' }],
    ['customer', { customerId: 'CUST-2' }],
  ];
  it.each(listFilters)('an order list page (%s, newest first) and its total, counted or not yet', async (_name, filter) => {
    expectIndexed(await plansOf(() => orders.list(TENANT, filter, 20, 20)));
    while ((await counts.project(25)).read > 0);
    expectIndexed(await plansOf(() => orders.list(TENANT, filter, 20, 20)));
  });

  it.each(listFilters)('an order list page (%s) read from a window of creation times', async (_name, filter) => {
    const query = { tenantId: TENANT, ...filter };
    const counted = { total: 100_000, since: new Date(Date.now() - 90 * 86_400_000) };
    expectIndexed(await plansOf(() => findPage(model, { query, skip: 0, limit: 20 }, counted)));
  });

  it('the count projector reads the partial index of changed orders only', async () => {
    await model.collection.updateMany({ customerId: 'CUST-1' }, { $set: { countStale: true, status: 'picking' } });
    expectIndexed(await plansOf(() => counts.project(5)));
  });

  const dlqFilters = [
    ['no filter', {}],
    ['resolved', { resolved: false }],
    ['failure status', { failureStatus: 'picking' }],
    ['customer', { customerId: 'CUST-0' }],
    ['older than', { olderThanHours: 0.001 }],
  ] as const;
  it.each(dlqFilters)('a dead letter queue page (%s, newest first) and its total', async (_name, filter) => {
    const query = { resolved: null, failureStatus: null, customerId: null, olderThanHours: null, limit: 50, offset: 0, ...filter };
    expectIndexed(await plansOf(() => deadLetters.list(TENANT, query, new Date())));
  });

  it('the oldest unresolved dead letter entry (statistics and gauges)', async () => {
    expectIndexed(await plansOf(() => deadLetters.oldestUnresolvedAt(TENANT, new Date(Date.now() - 3_600_000))));
  });

  it('the retention sweep reads the partial index of resolved entries only', async () => {
    expectIndexed(await plansOf(() => deadLetters.findDueForRetirement(new Date(Date.now() - 25 * 60_000), 100)));
  });

  it('orders eligible for retry, with and without a status filter', async () => {
    expectIndexed(await plansOf(() => reprocessing.findDueForRetry(TENANT, { limit: 100, maxRetries: 5, statuses: null }, new Date())));
    expectIndexed(await plansOf(() => reprocessing.findDueForRetry(TENANT, { limit: 100, maxRetries: 5, statuses: ['picking'] }, new Date())));
  });

  it('the relay sweep reads the partial index of pending outboxes only', async () => {
    const plans = await plansOf(async () => {
      for await (const _batch of outbox.scanPending(100)) void _batch;
    });
    expectIndexed(plans);
  });

  it('federation _entities and DLQ entity look-ups: many orders by id in one query', async () => {
    const ids = ['ORD-PLAN00000001', 'ORD-PLAN00000005', 'ORD-PLAN00000010'];
    expectIndexed(await plansOf(() => orders.findManyByIds(TENANT, ids)));
    expectIndexed(await plansOf(() => deadLetters.findEntries(TENANT, ids)));
  });

  it('an order, and the order of a backorder', async () => {
    expectIndexed(await plansOf(() => orders.findById(TENANT, 'ORD-PLAN00000003')));
    expectIndexed(await plansOf(() => orders.findOrderIdByBackorder(TENANT, 'BO-PLAN14')));
  });

  const redriveFilters: Array<[string, Partial<RedriveFilter>]> = [
    ['every unresolved entry', {}],
    ['failure status', { failureStatus: 'picking' }],
    ['customer', { customerId: 'CUST-0' }],
    ['older than', { olderThanHours: 0.001 }],
    ['reason contains', { reasonContains: 'station' }],
    ['order ids', { orderIds: ['ORD-PLAN00000005', 'ORD-PLAN00000010'] }],
  ];
  it.each(redriveFilters)('the entries a bulk redrive selects (%s)', async (_name, filter) => {
    const full: RedriveFilter = { failureStatus: null, customerId: null, olderThanHours: null, reasonContains: null, orderIds: null, ...filter };
    expectIndexed(await plansOf(() => deadLetters.selectForRedrive(TENANT, full, 1000, new Date())));
  });

  it("redrive tasks: the tenant's newest first with their total, one by id, the runnable ones", async () => {
    const tasks = DeadLetterRedriveRepository.forConnection(connection);
    await tasks.ensureIndexes();
    const task = (taskId: string, status: 'queued' | 'completed') => ({
      taskId,
      tenantId: TENANT,
      status,
      filter: { failureStatus: null, customerId: null, olderThanHours: null, reasonContains: null, orderIds: null },
      cap: 10,
      ratePerSecond: 10,
      total: 1,
      position: 0,
      done: 0,
      failed: 0,
      failures: [],
      actor: 'plans',
      notes: null,
      createdAt: new Date(),
      startedAt: null,
      finishedAt: null,
      cancelRequestedAt: null,
      updatedAt: new Date(),
      revision: 1,
    });
    for (let i = 0; i < 6; i += 1) await tasks.insert(task(`task-${i}`, i % 2 ? 'queued' : 'completed'), ['ORD-PLAN00000005']);
    expectIndexed(await plansOf(() => tasks.list(TENANT, 20, 0)));
    expectIndexed(await plansOf(() => tasks.find(TENANT, 'task-1')));
    expectIndexed(await plansOf(() => tasks.findRunnable(new Date(), 4)));
  });

  it('finds what the plans promise', async () => {
    const due = await reprocessing.findDueForRetry(TENANT, { limit: 100, maxRetries: 5, statuses: null }, new Date());
    // Failed (count 1–3), not dead-lettered, backoff elapsed: i % 4 ≠ 0 and i % 5 ≠ 0.
    expect(due.total).toBe(Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 4 !== 0 && i % 5 !== 0).length);
    expect(await orders.findOrderIdByBackorder(TENANT, 'BO-PLAN14')).toBe('ORD-PLAN00000014');
    expect((await orders.list(TENANT, { customerId: 'CUST-2' }, 0, 100)).total).toBe(10);
    // Resolved: i % 10 === 0, i minutes ago; more than 25 minutes ago for i = 30, 40 and 50, longest resolved first.
    const retirable = await deadLetters.findDueForRetirement(new Date(Date.now() - 25 * 60_000), 100);
    expect(retirable.map((entry) => entry.orderId)).toEqual(['ORD-PLAN00000050', 'ORD-PLAN00000040', 'ORD-PLAN00000030']);
  });
});

/** Stage names of a plan tree, top first. */
function stagesOf(plan: Document | undefined): string[] {
  const stages: string[] = [];
  const walk = (node: Document | undefined) => {
    if (!node) return;
    stages.push(node.stage);
    walk(node.inputStage);
    for (const child of node.inputStages ?? []) walk(child);
  };
  walk(plan);
  return stages;
}
