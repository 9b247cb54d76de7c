import type { RunningOrderService } from '../../src/order-service';
import { ASSIGN, CANCEL, START_PICKING, VALIDATE, createOrder, ok, walkTo } from '../support/graphql-client';
import { DLQ_ENTRY, EventCollector, INCREMENT, MOVE_TO_DLQ, RETRY_FIELDS, firstError, metric } from '../support/dlq-support';
import { graphql, startTestService } from '../support/test-service';

/** Reprocessing (CONTRACT §2) through GraphQL on the real store, with its events read back from the real Kafka. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const RETRY_METADATA = `query Meta($orderId: ID!) { retryMetadata(orderId: $orderId) { ${RETRY_FIELDS} } }`;
const RESET = `mutation Reset($orderId: ID!) { resetOrderForRetry(orderId: $orderId) { id status waveId version deadLettered retry { count nextRetryAt } } }`;
const ELIGIBLE = `query Eligible($limit: Int, $maxRetries: Int, $statuses: [OrderStatus!]) {
  ordersEligibleForRetry(limit: $limit, maxRetries: $maxRetries, statuses: $statuses) {
    total items { orderId customerId status retryCount maxRetries lastFailureReason lastFailedAt nextRetryAt createdAt order { id } }
  } }`;

const iso = (ms: number) => new Date(ms).toISOString();

async function fail(service: RunningOrderService, orderId: string, input: Record<string, unknown>) {
  return ok(service, INCREMENT, { orderId, input: { failureReason: 'Picking station offline', ...input } });
}

describe('reprocessing', () => {
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

  describe('incrementRetryCount', () => {
    it('schedules retries 15, 30, 60 and 120 min after failures reported in the past, moves the order to the DLQ on the fifth and refuses a sixth with CONFLICT', async () => {
      const order = await createOrder(service);
      await walkTo(service, order.id, 'picking');
      const t0 = Date.now() - 3 * 24 * HOUR;
      const movesBefore = (await metric(service, 'dlq_moves_total{failure_status="picking",trigger="max_retries"}')) ?? 0;

      for (const [count, delayMinutes] of [
        [1, 15],
        [2, 30],
        [3, 60],
        [4, 120],
      ]) {
        const failedAt = t0 + count * HOUR;
        const meta = await fail(service, order.id, { failedAt: iso(failedAt), workflowId: 'order-fulfillment-1', runId: `run-${count}` });
        expect(meta).toMatchObject({
          orderId: order.id,
          retryCount: count,
          maxRetries: 5,
          lastFailureReason: 'Picking station offline',
          lastFailureStatus: 'picking',
          lastFailedAt: iso(failedAt),
          nextRetryAt: iso(failedAt + delayMinutes * MINUTE),
          isEligibleForRetry: true,
          order: { status: 'PICKING', deadLettered: false },
        });
      }

      const fifthAt = t0 + 5 * HOUR;
      const fifth = await fail(service, order.id, { failedAt: iso(fifthAt), failureStatus: 'shipping', failureReason: 'Max retries exceeded' });
      expect(fifth).toMatchObject({ retryCount: 5, nextRetryAt: null, isEligibleForRetry: false, order: { status: 'PICKING', deadLettered: true } });

      const entry = await ok(service, DLQ_ENTRY, { orderId: order.id });
      expect(entry).toMatchObject({
        orderId: order.id,
        customerId: order.customerId,
        failureStatus: 'shipping',
        failureReason: 'Max retries exceeded',
        retryCount: 5,
        resolved: false,
        resolution: null,
        originalOrder: { id: order.id, status: 'PICKING', retry: { count: 5 } },
        history: [],
      });
      expect(entry.retryHistory.map((attempt: any) => [attempt.attempt, attempt.failedAt])).toEqual([1, 2, 3, 4, 5].map((n) => [n, iso(t0 + n * HOUR)]));
      expect(entry.retryHistory[0]).toMatchObject({ workflowId: 'order-fulfillment-1', runId: 'run-1', failureStatus: 'picking' });

      const sixth = await firstError(service, INCREMENT, { orderId: order.id, input: { failureReason: 'again' } });
      expect(sixth.extensions).toMatchObject({ code: 'CONFLICT', orderId: order.id, operation: 'incrementRetry', currentStatus: 'picking' });
      expect((await ok(service, RETRY_METADATA, { orderId: order.id })).retryCount).toBe(5);

      const [moved] = await events.waitFor(order.id, 'wms.order.moved-to-dlq');
      expect(moved).toMatchObject({ specversion: '1.0', source: '/wms/order-service', subject: order.id, datacontenttype: 'application/json' });
      expect(moved.data).toEqual({
        type: 'wms.order.moved-to-dlq',
        orderId: order.id,
        customerId: order.customerId,
        finalFailureStatus: 'shipping',
        finalFailureReason: 'Max retries exceeded',
        totalRetryAttempts: 5,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      const scheduled = await events.waitFor(order.id, 'wms.order.retry-scheduled', 4);
      expect(scheduled.map((event) => event.data.retryNumber)).toEqual([1, 2, 3, 4]);
      expect(scheduled[0].data).toEqual({
        type: 'wms.order.retry-scheduled',
        orderId: order.id,
        customerId: order.customerId,
        retryNumber: 1,
        failureStatus: 'picking',
        failureReason: 'Picking station offline',
        timestamp: expect.any(String),
      });
      expect(await metric(service, 'dlq_moves_total{failure_status="shipping",trigger="max_retries"}')).toBe(1);
      expect((await metric(service, 'dlq_moves_total{failure_status="picking",trigger="max_retries"}')) ?? 0).toBe(movesBefore);
      expect(await metric(service, 'order_retries_total{failure_status="picking"}')).toBeGreaterThanOrEqual(4);
    });

    it("defaults failedAt to now and failureStatus to the order's status", async () => {
      const order = await createOrder(service);
      await ok(service, VALIDATE, { id: order.id });
      const before = Date.now();
      const meta = await fail(service, order.id, {});
      const failedAt = Date.parse(meta.lastFailedAt);
      expect(failedAt).toBeGreaterThanOrEqual(before - 5);
      expect(failedAt).toBeLessThanOrEqual(Date.now());
      expect(meta).toMatchObject({ retryCount: 1, lastFailureStatus: 'validated' });
      expect(Date.parse(meta.nextRetryAt) - failedAt).toBe(15 * MINUTE);
    });

    it('rejects a blank failure reason and a malformed failedAt, naming each field, and stores nothing', async () => {
      const order = await createOrder(service);
      const error = await firstError(service, INCREMENT, { orderId: order.id, input: { failureReason: '  ', failedAt: '15/01/2024' } });
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.issues.map((issue: { field: string }) => issue.field).sort()).toEqual(['failedAt', 'failureReason']);
      expect((await ok(service, RETRY_METADATA, { orderId: order.id })).retryCount).toBe(0);
    });

    it.each([
      ['shipped', 'shipped'],
      ['completed', 'completed'],
    ] as const)('refuses a %s order with CONFLICT', async (_name, stage) => {
      const order = await createOrder(service);
      await walkTo(service, order.id, stage);
      const error = await firstError(service, INCREMENT, { orderId: order.id, input: { failureReason: 'x' } });
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', currentStatus: stage });
    });

    it('refuses a cancelled order with CONFLICT, and an unknown one with NOT_FOUND', async () => {
      const order = await createOrder(service);
      await ok(service, CANCEL, { id: order.id, reason: 'customer request' });
      expect((await firstError(service, INCREMENT, { orderId: order.id, input: { failureReason: 'x' } })).extensions?.code).toBe('CONFLICT');
      expect((await firstError(service, INCREMENT, { orderId: 'ORD-0000000000ZZ', input: { failureReason: 'x' } })).extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('retryMetadata', () => {
    it('answers count 0 for an order that never failed', async () => {
      const order = await createOrder(service);
      expect(await ok(service, RETRY_METADATA, { orderId: order.id })).toEqual({
        orderId: order.id,
        retryCount: 0,
        maxRetries: 5,
        lastFailureReason: null,
        lastFailureStatus: null,
        lastFailedAt: null,
        nextRetryAt: null,
        isEligibleForRetry: true,
        order: { id: order.id, status: 'RECEIVED', version: 1, deadLettered: false },
      });
    });

    it('is NOT_FOUND for an unknown order', async () => {
      expect((await firstError(service, RETRY_METADATA, { orderId: 'ORD-0000000000ZZ' })).extensions).toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('resetOrderForRetry', () => {
    it('takes a validated order back to VALIDATED, clears the wave and the schedule, and keeps the count', async () => {
      const order = await createOrder(service);
      await walkTo(service, order.id, 'picking');
      await fail(service, order.id, {});
      await fail(service, order.id, {});
      const reset = await ok(service, RESET, { orderId: order.id });
      expect(reset).toMatchObject({ status: 'VALIDATED', waveId: null, deadLettered: false, retry: { count: 2, nextRetryAt: null } });
      // The orchestrator can run it again from there.
      await ok(service, ASSIGN, { id: order.id, waveId: 'WAVE-2' });
      expect((await ok(service, START_PICKING, { id: order.id })).status).toBe('PICKING');
    });

    it('keeps a never-validated order RECEIVED', async () => {
      const order = await createOrder(service);
      await fail(service, order.id, {});
      expect(await ok(service, RESET, { orderId: order.id })).toMatchObject({ status: 'RECEIVED', retry: { count: 1, nextRetryAt: null } });
    });

    it('refuses a dead-lettered order and a cancelled one with CONFLICT', async () => {
      const held = await createOrder(service);
      await ok(service, MOVE_TO_DLQ, { orderId: held.id, failureStatus: 'received', failureReason: 'bad address' });
      expect((await firstError(service, RESET, { orderId: held.id })).extensions).toMatchObject({ code: 'CONFLICT', operation: 'resetForRetry' });
      const cancelled = await createOrder(service);
      await ok(service, CANCEL, { id: cancelled.id, reason: 'customer request' });
      expect((await firstError(service, RESET, { orderId: cancelled.id })).extensions).toMatchObject({ code: 'CONFLICT', currentStatus: 'cancelled' });
    });
  });

  describe('moveOrderToDeadLetterQueue', () => {
    it('holds the order with a snapshot, publishes moved-to-dlq with the attempts so far, and refuses a second move with CONFLICT', async () => {
      const order = await createOrder(service);
      await walkTo(service, order.id, 'packing');
      await fail(service, order.id, { failureStatus: 'packing' });
      const entry = await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'packing', failureReason: 'Max retries exceeded - scale broken' });
      expect(entry).toMatchObject({
        orderId: order.id,
        failureStatus: 'packing',
        failureReason: 'Max retries exceeded - scale broken',
        retryCount: 1,
        resolved: false,
        originalOrder: { id: order.id, status: 'PACKING' },
        order: { deadLettered: true, status: 'PACKING', retry: { nextRetryAt: null } },
      });
      const [moved] = await events.waitFor(order.id, 'wms.order.moved-to-dlq');
      expect(moved.data).toMatchObject({ finalFailureStatus: 'packing', finalFailureReason: 'Max retries exceeded - scale broken', totalRetryAttempts: 1 });

      const again = await firstError(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'packing', failureReason: 'x' });
      expect(again.extensions).toMatchObject({ code: 'CONFLICT', operation: 'moveToDlq' });
    });

    it('requires both failureStatus and failureReason', async () => {
      const order = await createOrder(service);
      const error = await firstError(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: '', failureReason: ' ' });
      expect(error.extensions?.issues.map((issue: { field: string }) => issue.field).sort()).toEqual(['failureReason', 'failureStatus']);
    });
  });

  describe('concurrency', () => {
    it('50 concurrent increments on one order: exactly one DLQ move at the fifth, counts consistent, only CONFLICT after the move', async () => {
      const order = await createOrder(service);
      await walkTo(service, order.id, 'picking');
      const versionBefore = (await ok(service, RETRY_METADATA, { orderId: order.id })).order.version;

      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => graphql(service, INCREMENT, { orderId: order.id, input: { failureReason: `attempt ${i}` } })),
      );
      const succeeded = results.filter((result) => !result.errors).map((result) => result.data!.incrementRetryCount);
      const failed = results.filter((result) => result.errors);
      expect(succeeded.map((meta) => meta.retryCount).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(succeeded.filter((meta) => meta.order.deadLettered)).toHaveLength(1);
      expect(succeeded.find((meta) => meta.order.deadLettered)?.retryCount).toBe(5);
      expect(failed).toHaveLength(45);
      expect(new Set(failed.map((result) => result.errors![0].extensions?.code))).toEqual(new Set(['CONFLICT']));

      const entry = await ok(service, DLQ_ENTRY, { orderId: order.id });
      expect(entry.retryCount).toBe(5);
      expect(entry.retryHistory.map((attempt: any) => attempt.attempt)).toEqual([1, 2, 3, 4, 5]);
      expect(entry.order).toMatchObject({ version: versionBefore + 5, deadLettered: true, retry: { count: 5 } });

      await events.waitFor(order.id, 'wms.order.retry-scheduled', 4);
      await events.waitFor(order.id, 'wms.order.moved-to-dlq');
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything extra would have arrived by now
      expect(events.of(order.id, 'wms.order.moved-to-dlq')).toHaveLength(1);
      expect(events.of(order.id, 'wms.order.retry-scheduled').map((event) => event.data.retryNumber)).toEqual([1, 2, 3, 4]);
    });
  });
});

describe('ordersEligibleForRetry', () => {
  let service: RunningOrderService;
  const ids: Record<string, string> = {};

  /** An order at `stage` with `failures` failures reported `hoursAgo` hours ago. */
  async function seed(name: string, stage: 'received' | 'validated' | 'picking' | 'packing', failures: number, hoursAgo: number) {
    const order = await createOrder(service);
    if (stage !== 'received') await walkTo(service, order.id, stage);
    for (let i = 0; i < failures; i += 1) await fail(service, order.id, { failedAt: iso(Date.now() - hoursAgo * HOUR) });
    ids[name] = order.id;
  }

  beforeAll(async () => {
    service = await startTestService();
    await seed('dueInPicking', 'picking', 1, 2); // due 1 h 45 min ago
    await seed('dueInPacking', 'packing', 2, 3); // due 2 h 30 min ago
    await seed('dueThreeFailures', 'picking', 3, 10); // due 9 h ago
    await seed('notYetDue', 'validated', 1, 0); // due in 15 min
    await seed('neverFailed', 'picking', 0, 0);
    await seed('held', 'picking', 1, 5);
    await ok(service, MOVE_TO_DLQ, { orderId: ids.held, failureStatus: 'picking', failureReason: 'held' });
    await seed('cancelled', 'validated', 1, 5);
    await ok(service, CANCEL, { id: ids.cancelled, reason: 'customer request' });
    await seed('exhausted', 'picking', 5, 20);
  });
  afterAll(async () => {
    await service.stop();
  });

  const eligible = (variables: Record<string, unknown> = {}) => ok(service, ELIGIBLE, variables);

  it('lists only due orders, the longest-due first, with the brief fields, and counts them all', async () => {
    const { items, total } = await eligible();
    expect(items.map((item: any) => item.orderId)).toEqual([ids.dueThreeFailures, ids.dueInPacking, ids.dueInPicking]);
    expect(total).toBe(3);
    expect(items[1]).toMatchObject({
      status: 'PACKING',
      retryCount: 2,
      maxRetries: 5,
      lastFailureReason: 'Picking station offline',
      order: { id: ids.dueInPacking },
    });
    expect(Date.parse(items[1].nextRetryAt)).toBeLessThan(Date.now());
  });

  it('filters by a list of statuses', async () => {
    const picking = await eligible({ statuses: ['PICKING'] });
    expect(picking.items.map((item: any) => item.orderId)).toEqual([ids.dueThreeFailures, ids.dueInPicking]);
    expect(picking.total).toBe(2);
    const both = await eligible({ statuses: ['PACKING', 'VALIDATED'] });
    expect(both.items.map((item: any) => item.orderId)).toEqual([ids.dueInPacking]);
    expect((await eligible({ statuses: ['CANCELLED', 'SHIPPED'] })).total).toBe(0);
  });

  it('leaves out orders with maxRetries failures or more', async () => {
    const { items, total } = await eligible({ maxRetries: 3 });
    expect(items.map((item: any) => item.orderId)).toEqual([ids.dueInPacking, ids.dueInPicking]);
    expect(total).toBe(2);
  });

  it('limits the page but counts every match in total', async () => {
    const { items, total } = await eligible({ limit: 1 });
    expect(items.map((item: any) => item.orderId)).toEqual([ids.dueThreeFailures]);
    expect(total).toBe(3);
    expect((await eligible({ limit: 1000 })).items).toHaveLength(3);
  });

  it.each([0, 1001, -5])('refuses limit %s with BAD_USER_INPUT naming limit', async (limit) => {
    const error = await firstError(service, ELIGIBLE, { limit });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [expect.objectContaining({ field: 'limit' })] });
  });
});
