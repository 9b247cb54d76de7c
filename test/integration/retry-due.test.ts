import fc from 'fast-check';
import mongoose, { type Connection } from 'mongoose';
import { isDueForRetry, retryDueAt } from '../../src/models/order.rules';
import { ORDER_STATUSES, type Order, type RetryState } from '../../src/models/order.types';
import { ensureIndexes } from '../../src/store/mongo';
import { orderModel, type OrderModel } from '../../src/store/order.document';
import { ReprocessingRepository } from '../../src/store/reprocessing.repository';
import { TEST_MONGODB_URI } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

/**
 * The orders due for a retry are found in two steps: the store's index range on `retryDueAt` (written from
 * `retryDueAt(order)` by every write), then `isDueForRetry` in code. The range must never leave out an order the
 * predicate accepts; random orders on the real store check that the two agree with the predicate alone.
 */
const TENANT = 'default';
const NOW = new Date('2026-06-01T12:00:00.000Z');

type RetryView = Pick<Order, 'status' | 'deadLettered' | 'retry'>;

const retryView: fc.Arbitrary<RetryView> = fc.record({
  status: fc.constantFrom(...ORDER_STATUSES),
  // Mostly not held, so that many orders are due (a held order never is).
  deadLettered: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  retry: fc.record<RetryState>({
    count: fc.integer({ min: 0, max: 7 }),
    maxRetries: fc.integer({ min: 1, max: 6 }),
    // Around the clock to the millisecond, so the range's boundary is hit.
    nextRetryAt: fc.option(
      fc.oneof(fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.integer({ min: -2, max: 2 })).map((offset) => new Date(NOW.getTime() + offset)),
    ),
    lastFailureReason: fc.constant(null),
    lastFailureStatus: fc.constant(null),
    lastFailedAt: fc.constant(null),
    history: fc.constant([]),
  }),
});

const query = fc.record({
  maxRetries: fc.integer({ min: 1, max: 8 }),
  statuses: fc.option(fc.uniqueArray(fc.constantFrom(...ORDER_STATUSES), { minLength: 1 }), { freq: 1 }),
});

describe('orders due for a retry: the store range and the predicate agree', () => {
  let connection: Connection;
  let model: OrderModel;
  let repository: ReprocessingRepository;

  beforeAll(async () => {
    connection = mongoose.createConnection(TEST_MONGODB_URI, { dbName: uniqueName('retry_due'), autoIndex: false, autoCreate: false });
    await connection.asPromise();
    model = orderModel(connection);
    await ensureIndexes([model]);
    repository = new ReprocessingRepository(model);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  it('finds exactly the orders isDueForRetry accepts, for random orders and queries', async () => {
    let checkedDue = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(retryView, { minLength: 1, maxLength: 40, size: 'max' }), query, async (states, { maxRetries, statuses }) => {
        await model.collection.deleteMany({});
        const orders = states.map((state, i) => ({ ...state, orderId: `ORD-DUE${String(i).padStart(9, '0')}`, tenantId: TENANT }));
        await model.collection.insertMany(orders.map((order) => ({ _id: order.orderId as never, ...order, retryDueAt: retryDueAt(order) })));

        const found = await repository.findDueForRetry(TENANT, { limit: 1000, maxRetries, statuses }, NOW);

        const allowed = new Set(statuses ?? ORDER_STATUSES);
        const expected = orders.filter((order) => allowed.has(order.status) && isDueForRetry(order, NOW, maxRetries)).map((order) => order.orderId);
        checkedDue += expected.length;
        expect(found.orders.map((order) => order.orderId).sort()).toEqual(expected.sort());
        expect(found.total).toBe(expected.length);
      }),
      { numRuns: 60 },
    );
    // The random orders must have exercised the interesting case, not only empty answers.
    expect(checkedDue).toBeGreaterThan(20);
  }, 120_000);
});
