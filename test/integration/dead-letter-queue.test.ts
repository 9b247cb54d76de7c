import { bearer } from '../support/test-auth';
import type { RunningOrderService } from '../../src/order-service';
import { START_PACKING, createOrder, ok, walkTo } from '../support/graphql-client';
import { DLQ_ENTRY, EventCollector, INCREMENT, MOVE_TO_DLQ, RESOLVE, eventually, firstError, metric } from '../support/dlq-support';
import { graphql, startTestService } from '../support/test-service';

/** The dead letter queue (CONTRACT §3) through GraphQL on the real store, with its events read back from the real Kafka. */

const HOUR = 3_600_000;
const LIST = `query List($filter: DeadLetterFilter, $limit: Int, $offset: Int) {
  deadLetterEntries(filter: $filter, limit: $limit, offset: $offset) { total limit offset items { orderId customerId failureStatus resolved resolution createdAt } } }`;
const STATS = `query { deadLetterStats { totalEntries unresolvedCount resolvedCount averageRetries oldestUnresolvedAt
  byFailureStatus { failureStatus count } byResolution { resolution count } } }`;

describe('dead letter queue: list and statistics on a seeded queue', () => {
  let service: RunningOrderService;
  const ids: Record<string, string> = {};
  const createdAt: Record<string, number> = {};

  /** Moves a new order of `customerId` to the DLQ after `failures` failures, resolves it if asked, and backdates the entry. */
  async function seed(name: string, customerId: string, failureStatus: string, hoursAgo: number, failures = 0, resolution?: string) {
    const order = await createOrder(service, { customerId });
    await walkTo(service, order.id, 'picking');
    for (let i = 0; i < failures; i += 1) await ok(service, INCREMENT, { orderId: order.id, input: { failureReason: 'station offline' } });
    if (failures < 5) await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus, failureReason: `${name} failed` });
    if (resolution) await ok(service, RESOLVE, { orderId: order.id, resolution, notes: `${name} resolved` });
    // The API only creates entries now: age them in the store, as if they had been moved hours ago.
    const orders = service.services.mongo.collection('orders');
    createdAt[name] = Date.now() - hoursAgo * HOUR;
    await orders.updateOne({ orderId: order.id }, { $set: { 'deadLetter.createdAt': new Date(createdAt[name]) } });
    // The kept lower bound of unresolved move times (dead-letter-stats.repository.ts) must cover the back-dated entry.
    await service.services.mongo.collection('dead_letter_stats').updateMany({}, { $min: { unresolvedSince: new Date(createdAt[name]) } });
    expect((await orders.findOne({ orderId: order.id }))?.deadLetter.createdAt).toEqual(new Date(createdAt[name]));
    ids[name] = order.id;
  }

  beforeAll(async () => {
    service = await startTestService();
    await seed('e1', 'CUST-A', 'picking', 1);
    await seed('e2', 'CUST-A', 'packing', 3, 2);
    await seed('e3', 'CUST-B', 'picking', 0.5);
    await seed('e4', 'CUST-B', 'shipping', 5, 0, 'MANUAL_RETRY');
    await seed('e5', 'CUST-C', 'picking', 2, 0, 'ESCALATED');
    await seed('e6', 'CUST-C', 'picking', 10, 0, 'CANCELLED');
    await seed('e7', 'CUST-A', 'picking', 0, 5); // moved by its fifth failure
    await createOrder(service, { customerId: 'CUST-A' }); // never in the queue
  });
  afterAll(async () => {
    await service.stop();
  });

  const list = (variables: Record<string, unknown> = {}) => ok(service, LIST, variables);
  const names = (page: { items: Array<{ orderId: string }> }) => page.items.map((item) => Object.keys(ids).find((name) => ids[name] === item.orderId));

  it('lists every entry newest first with the total, default limit 50 and offset 0', async () => {
    const page = await list();
    expect(names(page)).toEqual(['e7', 'e3', 'e1', 'e5', 'e2', 'e4', 'e6']);
    expect(page).toMatchObject({ total: 7, limit: 50, offset: 0 });
    expect(page.items[0]).toMatchObject({ customerId: 'CUST-A', failureStatus: 'picking', resolved: false, resolution: null });
    expect(page.items[4].createdAt).toBe(new Date(createdAt.e2).toISOString());
  });

  it.each([
    [{ resolved: false }, ['e7', 'e3', 'e1', 'e2']],
    [{ resolved: true }, ['e5', 'e4', 'e6']],
    [{ failureStatus: 'picking' }, ['e7', 'e3', 'e1', 'e5', 'e6']],
    [{ failureStatus: 'shipping' }, ['e4']],
    [{ customerId: 'CUST-A' }, ['e7', 'e1', 'e2']],
    [{ olderThanHours: 0.75 }, ['e1', 'e5', 'e2', 'e4', 'e6']],
    [{ olderThanHours: 1.5 }, ['e5', 'e2', 'e4', 'e6']],
    [{ olderThanHours: 2.25 }, ['e2', 'e4', 'e6']],
    [{ resolved: false, olderThanHours: 0.75 }, ['e1', 'e2']],
    [{ resolved: true, customerId: 'CUST-C', failureStatus: 'picking' }, ['e5', 'e6']],
    [{ customerId: 'CUST-NOBODY' }, []],
  ])('filters by %j', async (filter, expected) => {
    const page = await list({ filter });
    expect(names(page)).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it('pages with limit and offset, counting every match in total', async () => {
    const page = await list({ limit: 2, offset: 2 });
    expect(names(page)).toEqual(['e1', 'e5']);
    expect(page).toMatchObject({ total: 7, limit: 2, offset: 2 });
    expect(names(await list({ limit: 500, offset: 6 }))).toEqual(['e6']);
  });

  it.each([
    [{ limit: 501 }, 'limit'],
    [{ limit: 0 }, 'limit'],
    [{ offset: -1 }, 'offset'],
    [{ filter: { olderThanHours: -1 } }, 'olderThanHours'],
  ])('refuses %j with BAD_USER_INPUT naming %s', async (variables, field) => {
    const error = await firstError(service, LIST, variables);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [expect.objectContaining({ field })] });
  });

  it('computes the statistics: unresolved by failure status, resolved by resolution, each summing to its count', async () => {
    const stats = await ok(service, STATS);
    expect(stats).toEqual({
      totalEntries: 7,
      unresolvedCount: 4,
      resolvedCount: 3,
      byFailureStatus: [
        { failureStatus: 'picking', count: 3 },
        { failureStatus: 'packing', count: 1 },
      ],
      byResolution: [
        { resolution: 'MANUAL_RETRY', count: 1 },
        { resolution: 'CANCELLED', count: 1 },
        { resolution: 'ESCALATED', count: 1 },
      ],
      oldestUnresolvedAt: new Date(createdAt.e2).toISOString(),
      // Retries recorded at the move: e2 2, e7 5, the others 0 → 7 / 7.
      averageRetries: 1,
    });
  });

  it('reports the unresolved entries and the oldest one’s age on /metrics', async () => {
    await eventually(
      async () => {
        expect(await metric(service, 'dlq_entries_unresolved')).toBe(4);
        expect(await metric(service, 'dlq_oldest_unresolved_age_seconds')).toBeGreaterThanOrEqual(3 * 3600);
      },
      10_000,
      250,
    );
  });
});

describe('dead letter queue: resolutions', () => {
  let service: RunningOrderService;
  const events = new EventCollector();

  beforeAll(async () => {
    service = await startTestService();
    await events.start();
  });
  afterAll(async () => {
    await events.stop();
    await service.stop();
  });

  async function heldOrder(stage: 'picking' | 'packing' = 'picking') {
    const order = await createOrder(service);
    await walkTo(service, order.id, stage);
    for (let i = 0; i < 5; i += 1) await ok(service, INCREMENT, { orderId: order.id, input: { failureReason: 'Inventory unavailable' } });
    return order;
  }

  it('MANUAL_RETRY releases the order with count 0, status reset and a retry due now, publishes retry-scheduled, and records the caller as resolvedBy', async () => {
    const order = await heldOrder();
    const before = Date.now();
    const entry = await ok(
      service,
      RESOLVE,
      { orderId: order.id, resolution: 'MANUAL_RETRY', notes: 'Inventory replenished, retrying order' },
      { authorization: await bearer({ sub: 'SUPERVISOR-007' }) },
    );
    expect(entry).toMatchObject({
      resolved: true,
      resolution: 'MANUAL_RETRY',
      resolvedBy: 'SUPERVISOR-007',
      notes: 'Inventory replenished, retrying order',
      retryCount: 5,
      order: { status: 'VALIDATED', deadLettered: false, retry: { count: 0 } },
    });
    expect(Date.parse(entry.resolvedAt)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(entry.order.retry.nextRetryAt)).toBe(Date.parse(entry.resolvedAt));

    const scheduled = await events.waitFor(order.id, 'wms.order.retry-scheduled', 5);
    expect(scheduled.at(-1)!.data).toEqual({
      type: 'wms.order.retry-scheduled',
      orderId: order.id,
      customerId: order.customerId,
      retryNumber: 0,
      failureStatus: 'picking',
      failureReason: 'Inventory unavailable',
      timestamp: entry.resolvedAt,
    });
    // The event restarts it; with its count back to 0 it is not a failed order until it fails again, then counts from 1.
    const eligible = await ok(service, `{ ordersEligibleForRetry { items { orderId } } }`);
    expect(eligible.items.map((item: { orderId: string }) => item.orderId)).not.toContain(order.id);
    expect((await ok(service, INCREMENT, { orderId: order.id, input: { failureReason: 'again' } })).retryCount).toBe(1);
  });

  it('CANCELLED cancels the order with the notes as reason and publishes wms.order.cancelled', async () => {
    const order = await heldOrder('packing');
    const entry = await ok(
      service,
      RESOLVE,
      { orderId: order.id, resolution: 'CANCELLED', notes: 'Customer withdrew', resolvedBy: 'SUPERVISOR-001' },
      { authorization: await bearer({ sub: 'SUPERVISOR-001' }) },
    );
    expect(entry).toMatchObject({
      resolution: 'CANCELLED',
      resolvedBy: 'SUPERVISOR-001',
      order: { status: 'CANCELLED', deadLettered: false, cancellation: { reason: 'Customer withdrew' } },
    });
    const [cancelled] = await events.waitFor(order.id, 'wms.order.cancelled');
    expect(cancelled.data).toEqual({
      type: 'wms.order.cancelled',
      orderId: order.id,
      customerId: order.customerId,
      reason: 'Customer withdrew',
      timestamp: entry.resolvedAt,
    });
  });

  it('ESCALATED resolves the entry but keeps the order held: lifecycle operations and a new move are CONFLICT, resolvedBy is the caller', async () => {
    const order = await heldOrder('picking');
    const entry = await ok(service, RESOLVE, { orderId: order.id, resolution: 'ESCALATED' });
    expect(entry).toMatchObject({
      resolved: true,
      resolution: 'ESCALATED',
      resolvedBy: 'test-suite',
      notes: null,
      order: { status: 'PICKING', deadLettered: true },
    });
    expect((await firstError(service, START_PACKING, { id: order.id })).extensions).toMatchObject({ code: 'CONFLICT' });
    expect((await firstError(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'picking', failureReason: 'x' })).extensions).toMatchObject({
      code: 'CONFLICT',
    });
    await events.waitFor(order.id, 'wms.order.moved-to-dlq');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      events
        .of(order.id)
        .map((event) => event.type)
        .filter((type) => type !== 'wms.order.retry-scheduled'),
    ).toEqual(['wms.order.received', 'wms.order.validated', 'wms.order.wave-assigned', 'wms.order.moved-to-dlq']);
  });

  it.each(['MANUAL_RETRY', 'CANCELLED', 'ESCALATED'])('a second resolution after %s is a CONFLICT and changes nothing', async (first) => {
    const order = await heldOrder();
    const resolved = await ok(service, RESOLVE, { orderId: order.id, resolution: first });
    const error = await firstError(service, RESOLVE, { orderId: order.id, resolution: 'ESCALATED' });
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', orderId: order.id, resolution: first.toLowerCase() });
    expect(await ok(service, DLQ_ENTRY, { orderId: order.id })).toEqual(resolved);
  });

  it('moving a released order to the DLQ again reopens its entry and keeps the earlier resolution in history', async () => {
    const order = await heldOrder();
    const first = await ok(
      service,
      RESOLVE,
      { orderId: order.id, resolution: 'MANUAL_RETRY', notes: 'first try', resolvedBy: 'SUP-1' },
      { authorization: await bearer({ sub: 'SUP-1' }) },
    );
    const reopened = await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'validated', failureReason: 'Address rejected by carrier' });
    expect(reopened).toMatchObject({
      failureStatus: 'validated',
      failureReason: 'Address rejected by carrier',
      retryCount: 0,
      resolved: false,
      resolution: null,
      order: { deadLettered: true },
    });
    expect(reopened.history).toEqual([
      {
        failureStatus: 'picking',
        failureReason: 'Inventory unavailable',
        resolved: true,
        resolution: 'MANUAL_RETRY',
        resolvedBy: 'SUP-1',
        notes: 'first try',
        createdAt: first.createdAt,
      },
    ]);
    const second = await ok(service, RESOLVE, { orderId: order.id, resolution: 'CANCELLED', notes: 'give up' });
    expect(second.history).toHaveLength(1);
    expect(second).toMatchObject({ resolution: 'CANCELLED', order: { status: 'CANCELLED' } });
    expect(await events.waitFor(order.id, 'wms.order.moved-to-dlq', 2)).toHaveLength(2);
  });

  it('is NOT_FOUND for an order never moved to the DLQ, for reading and for resolving', async () => {
    const order = await createOrder(service);
    expect((await firstError(service, DLQ_ENTRY, { orderId: order.id })).extensions).toMatchObject({ code: 'NOT_FOUND', orderId: order.id });
    expect((await firstError(service, RESOLVE, { orderId: order.id, resolution: 'ESCALATED' })).extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect((await firstError(service, RESOLVE, { orderId: 'ORD-0000000000ZZ', resolution: 'ESCALATED' })).extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses notes over 2000 characters with BAD_USER_INPUT naming notes', async () => {
    const order = await heldOrder();
    const error = await firstError(service, RESOLVE, { orderId: order.id, resolution: 'ESCALATED', notes: 'x'.repeat(2001) });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [expect.objectContaining({ field: 'notes' })] });
    expect((await ok(service, DLQ_ENTRY, { orderId: order.id })).resolved).toBe(false);
  });

  it('counts resolutions by type on /metrics', async () => {
    const before = (await metric(service, 'dlq_resolutions_total{resolution="escalated"}')) ?? 0;
    const order = await heldOrder();
    await ok(service, RESOLVE, { orderId: order.id, resolution: 'ESCALATED' });
    expect(await metric(service, 'dlq_resolutions_total{resolution="escalated"}')).toBe(before + 1);
  });

  it('resolves DeadLetterEntry references for the gateway in one batch, null for an order without an entry', async () => {
    const held = await heldOrder();
    const plain = await createOrder(service);
    const result = await graphql(
      service,
      `
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on DeadLetterEntry {
              orderId
              retryCount
              resolved
            }
          }
        }
      `,
      {
        representations: [
          { __typename: 'DeadLetterEntry', orderId: held.id },
          { __typename: 'DeadLetterEntry', orderId: plain.id },
        ],
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([{ orderId: held.id, retryCount: 5, resolved: false }, null]);
  });
});
