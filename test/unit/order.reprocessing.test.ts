import { TransitionRefused } from '../../src/models/order.errors';
import type { RetryFailure } from '../../src/models/order.input';
import {
  cancelDeadLetteredOrder,
  incrementRetryCount,
  markMovedToDlq,
  releaseFromDlqForRetry,
  resetOrderForRetry,
  type RetryPolicy,
} from '../../src/models/order.reprocessing';
import type { Order } from '../../src/models/order.types';
import { NOW, ORDER_ID, aReceivedOrder, anOrderIn, ctxAt, deepFreeze, minutesAfter } from './factories/order.factory';

const ctx = ctxAt();
const POLICY: RetryPolicy = { baseDelayMs: 15 * 60_000, maxDelayMs: 4 * 60 * 60_000 };

function failure(overrides: Partial<RetryFailure> = {}): RetryFailure {
  return { failureReason: 'Picking station offline', failedAt: null, failureStatus: null, workflowId: null, runId: null, ...overrides };
}

function failTimes(order: Order, times: number) {
  let decision = incrementRetryCount(order, { failure: failure(), policy: POLICY }, ctx);
  for (let i = 1; i < times; i++) decision = incrementRetryCount(decision.order, { failure: failure(), policy: POLICY }, ctx);
  return decision;
}

const withRetries = (order: Order, maxRetries: number): Order => ({ ...order, retry: { ...order.retry, maxRetries } });

describe('incrementRetryCount', () => {
  it.each([
    { count: 1, delayMinutes: 15 },
    { count: 2, delayMinutes: 30 },
    { count: 3, delayMinutes: 60 },
    { count: 4, delayMinutes: 120 },
    { count: 5, delayMinutes: 240 },
    { count: 6, delayMinutes: 240 },
  ])('schedules failure $count for $delayMinutes minutes after it failed', ({ count, delayMinutes }) => {
    const { order, events, movedToDlq } = failTimes(withRetries(anOrderIn('picking'), 10), count);
    expect(movedToDlq).toBe(false);
    expect(order.retry.count).toBe(count);
    expect(order.retry.nextRetryAt).toEqual(minutesAfter(NOW, delayMinutes));
    expect(events.map(({ data }) => data)).toEqual([
      {
        type: 'wms.order.retry-scheduled',
        orderId: ORDER_ID,
        customerId: 'CUST-001',
        retryNumber: count,
        failureStatus: 'picking',
        failureReason: 'Picking station offline',
        timestamp: NOW.toISOString(),
      },
    ]);
  });

  it('schedules from the reported failure time and keeps the attempt in the history', () => {
    const failedAt = new Date('2024-01-15T10:30:00Z');
    const { order } = incrementRetryCount(
      deepFreeze(anOrderIn('packing')),
      { failure: failure({ failedAt, failureStatus: 'shipping', workflowId: 'order-fulfillment-ORD-1', runId: 'run-1' }), policy: POLICY },
      ctx,
    );
    expect(order.retry).toMatchObject({
      count: 1,
      lastFailureReason: 'Picking station offline',
      lastFailureStatus: 'shipping',
      lastFailedAt: failedAt,
      nextRetryAt: new Date('2024-01-15T10:45:00Z'),
      history: [
        { attempt: 1, failureReason: 'Picking station offline', failureStatus: 'shipping', failedAt, workflowId: 'order-fulfillment-ORD-1', runId: 'run-1' },
      ],
    });
    expect(order.version).toBe(anOrderIn('packing').version + 1);
  });

  it('moves the order to the DLQ on the fifth failure of five, announcing 5 attempts', () => {
    const { order, events, movedToDlq } = failTimes(anOrderIn('picking'), 5);
    expect(movedToDlq).toBe(true);
    expect(order).toMatchObject({ deadLettered: true, status: 'picking', retry: { count: 5, nextRetryAt: null } });
    expect(events.map(({ data }) => data)).toEqual([
      {
        type: 'wms.order.moved-to-dlq',
        orderId: ORDER_ID,
        customerId: 'CUST-001',
        finalFailureStatus: 'picking',
        finalFailureReason: 'Picking station offline',
        totalRetryAttempts: 5,
        timestamp: NOW.toISOString(),
      },
    ]);
  });

  it('refuses a sixth failure with CONFLICT: the order is held', () => {
    const { order } = failTimes(anOrderIn('picking'), 5);
    expect(() => incrementRetryCount(order, { failure: failure(), policy: POLICY }, ctx)).toThrow(TransitionRefused);
  });

  it.each(['shipped', 'completed', 'cancelled'] as const)('refuses a %s order with CONFLICT', (status) => {
    expect(() => incrementRetryCount(anOrderIn(status), { failure: failure(), policy: POLICY }, ctx)).toThrow(TransitionRefused);
  });
});

describe('resetOrderForRetry', () => {
  it('takes an order that passed validation back to validated, clearing the wave and the schedule, keeping the count', () => {
    const { order: failed } = failTimes(anOrderIn('picking'), 2);
    const decision = resetOrderForRetry(deepFreeze(failed), ctx)!;
    expect(decision.order).toMatchObject({ status: 'validated', waveId: null, retry: { count: 2, nextRetryAt: null } });
    expect(decision.order.statusHistory.at(-1)).toMatchObject({ from: 'picking', to: 'validated', reason: 'reset for retry' });
    expect(decision.events).toEqual([]);
  });

  it('keeps a never-validated order received, clearing its schedule', () => {
    const { order: failed } = failTimes(aReceivedOrder(), 1);
    expect(resetOrderForRetry(failed, ctx)?.order).toMatchObject({ status: 'received', retry: { count: 1, nextRetryAt: null } });
  });

  it('refuses a dead-lettered order with CONFLICT', () => {
    expect(() => resetOrderForRetry({ ...anOrderIn('picking'), deadLettered: true }, ctx)).toThrow(TransitionRefused);
  });
});

describe('markMovedToDlq', () => {
  it('holds the order and announces the failure with the attempts so far', () => {
    const { order: failed } = failTimes(anOrderIn('packing'), 2);
    const { order, events } = markMovedToDlq(failed, { failureStatus: 'packing', failureReason: 'Max retries exceeded' }, ctx);
    expect(order).toMatchObject({ deadLettered: true, status: 'packing', retry: { count: 2, nextRetryAt: null } });
    expect(events[0].data).toMatchObject({
      type: 'wms.order.moved-to-dlq',
      finalFailureStatus: 'packing',
      finalFailureReason: 'Max retries exceeded',
      totalRetryAttempts: 2,
    });
  });

  it('refuses an order already held with CONFLICT', () => {
    const { order } = markMovedToDlq(anOrderIn('picking'), { failureStatus: 'picking', failureReason: 'x' }, ctx);
    expect(() => markMovedToDlq(order, { failureStatus: 'picking', failureReason: 'x' }, ctx)).toThrow(TransitionRefused);
  });
});

describe('releaseFromDlqForRetry', () => {
  it('releases the order with a fresh count, reset status and a retry due now', () => {
    const held = failTimes(anOrderIn('picking'), 5).order;
    const { order, events } = releaseFromDlqForRetry(
      deepFreeze(held),
      { failureStatus: 'picking', failureReason: 'Max retries exceeded' },
      ctxAt(minutesAfter(NOW, 60)),
    );
    expect(order).toMatchObject({ deadLettered: false, status: 'validated', waveId: null, retry: { count: 0, nextRetryAt: minutesAfter(NOW, 60) } });
    expect(order.retry.history).toHaveLength(5);
    expect(events[0].data).toMatchObject({
      type: 'wms.order.retry-scheduled',
      retryNumber: 0,
      failureStatus: 'picking',
      failureReason: 'Max retries exceeded',
    });
  });

  it('refuses an order that is not held with CONFLICT', () => {
    expect(() => releaseFromDlqForRetry(anOrderIn('picking'), { failureStatus: 'picking', failureReason: 'x' }, ctx)).toThrow(TransitionRefused);
  });
});

describe('cancelDeadLetteredOrder', () => {
  const held = () => deepFreeze({ ...anOrderIn('packing'), deadLettered: true });

  it('cancels with the notes as reason and releases the order', () => {
    const decision = cancelDeadLetteredOrder(held(), { reason: 'customer gave up' }, ctx)!;
    expect(decision.order).toMatchObject({ status: 'cancelled', deadLettered: false, cancellation: { reason: 'customer gave up' } });
    expect(decision.events[0].data).toMatchObject({ type: 'wms.order.cancelled', reason: 'customer gave up' });
  });

  it('uses a stock reason when there are no notes', () => {
    expect(cancelDeadLetteredOrder(held(), { reason: null }, ctx)?.order.cancellation?.reason).toBe('cancelled from the dead letter queue');
  });

  it('only releases an order already cancelled while held', () => {
    const cancelledWhileHeld = { ...anOrderIn('cancelled'), deadLettered: true };
    const decision = cancelDeadLetteredOrder(cancelledWhileHeld, { reason: null }, ctx)!;
    expect(decision.order).toMatchObject({ status: 'cancelled', deadLettered: false, version: cancelledWhileHeld.version + 1 });
    expect(decision.events).toEqual([]);
  });
});
