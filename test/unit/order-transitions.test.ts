import type { Decision } from '../../src/models/order.decision';
import { TransitionRefused } from '../../src/models/order.errors';
import { recordPartialFulfillment, fulfillBackorder } from '../../src/models/order.fulfilment';
import {
  assignOrderToWave,
  cancelOrder,
  completeOrder,
  modifyOrder,
  shipOrder,
  startPacking,
  startPicking,
  validateOrder,
} from '../../src/models/order.lifecycle';
import { incrementRetryCount, markMovedToDlq, releaseFromDlqForRetry, resetOrderForRetry } from '../../src/models/order.reprocessing';
import {
  ORDER_OPERATIONS,
  ORDER_TRANSITIONS,
  TERMINAL_STATUSES,
  assertTransitionAllowed,
  nextStatuses,
  type OrderOperation,
} from '../../src/models/order-transitions';
import { ORDER_STATUSES, type Order, type OrderStatus } from '../../src/models/order.types';
import { NOW, WAVE_ID, aReceivedOrder, anOpenBackorder, anOrderIn, ctxAt, deepFreeze } from './factories/order.factory';

type Outcome = 'applies' | 'repeat' | 'conflict';
type ChangingOperation = Exclude<OrderOperation, 'create'>;

const ctx = ctxAt();

/** Runs each operation's use case with arguments that would succeed if the status allowed it. */
const RUN: Record<ChangingOperation, (order: Order) => Decision> = {
  validate: (order) => validateOrder(order, ctx),
  // The same wave the factory used, so an order already in a wave sees a repeat.
  assignToWave: (order) => assignOrderToWave(order, { waveId: WAVE_ID }, ctx),
  startPicking: (order) => startPicking(order, ctx),
  startPacking: (order) => startPacking(order, ctx),
  ship: (order) => shipOrder(order, { trackingNumber: '1Z999', carrier: 'UPS' }, ctx),
  complete: (order) => completeOrder(order, { deliveredAt: NOW }, ctx),
  cancel: (order) => cancelOrder(order, { reason: 'customer request' }, ctx),
  modify: (order) => modifyOrder(order, { priority: 'same_day' }, ctx),
  recordPartialFulfillment: (order) =>
    recordPartialFulfillment(order, { lines: [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'damaged' }], newBackorderId: () => 'BO-NEW000000000' }, ctx),
  fulfillBackorder: (order) => fulfillBackorder({ ...order, backorders: [anOpenBackorder()] }, { backorderId: anOpenBackorder().backorderId }, ctx),
  incrementRetry: (order) =>
    incrementRetryCount(
      order,
      {
        failure: { failureReason: 'station offline', failedAt: null, failureStatus: null, workflowId: null, runId: null },
        policy: { baseDelayMs: 900_000, maxDelayMs: 14_400_000 },
      },
      ctx,
    ),
  resetForRetry: (order) => resetOrderForRetry(order, ctx),
  moveToDlq: (order) => markMovedToDlq(order, { failureStatus: 'picking', failureReason: 'gave up' }, ctx),
  releaseFromDlq: (order) => releaseFromDlqForRetry(order, { failureStatus: 'picking', failureReason: 'gave up' }, ctx),
};

const [R, V, A, PI, PA, S, CO, CA] = ORDER_STATUSES;
const OPEN = [R, V, A, PI, PA];

function outcomes(applies: OrderStatus[], repeat: OrderStatus[] = []): Record<OrderStatus, Outcome> {
  return Object.fromEntries(
    ORDER_STATUSES.map((status) => [status, applies.includes(status) ? 'applies' : repeat.includes(status) ? 'repeat' : 'conflict']),
  ) as Record<OrderStatus, Outcome>;
}

/** CONTRACT §1–3 written out independently of the table under test. */
const EXPECTED: Record<ChangingOperation, Record<OrderStatus, Outcome>> = {
  validate: outcomes([R], [V, A, PI, PA, S, CO]),
  assignToWave: outcomes([V], [A, PI, PA, S, CO]),
  startPicking: outcomes([A]),
  startPacking: outcomes([PI]),
  ship: outcomes([PA]),
  complete: outcomes([S]),
  cancel: outcomes(OPEN, [CA]),
  modify: outcomes([R, V]),
  recordPartialFulfillment: outcomes([PI, PA]),
  fulfillBackorder: outcomes([PI, PA, S, CO]),
  incrementRetry: outcomes(OPEN),
  // Received and validated orders already sit at their checkpoint: nothing to reset.
  resetForRetry: outcomes([A, PI, PA], [R, V]),
  moveToDlq: outcomes(OPEN),
  releaseFromDlq: outcomes([]),
};

const EXPECTED_WHILE_DEAD_LETTERED: Record<ChangingOperation, Record<OrderStatus, Outcome>> = {
  ...(Object.fromEntries(Object.keys(EXPECTED).map((operation) => [operation, outcomes([])])) as Record<ChangingOperation, Record<OrderStatus, Outcome>>),
  cancel: outcomes(OPEN, [CA]),
  releaseFromDlq: outcomes(OPEN),
};

const EXPECTED_DESTINATION: Partial<Record<ChangingOperation, OrderStatus>> = {
  validate: 'validated',
  assignToWave: 'assigned_to_wave',
  startPicking: 'picking',
  startPacking: 'packing',
  ship: 'shipped',
  complete: 'completed',
  cancel: 'cancelled',
};

/** Reset and release go back to the last checkpoint: validated if the order ever passed validation. */
function expectedDestination(operation: ChangingOperation, order: Order): OrderStatus {
  if (operation === 'resetForRetry' || operation === 'releaseFromDlq') return order.validatedAt ? 'validated' : 'received';
  return EXPECTED_DESTINATION[operation] ?? order.status;
}

function cases(expected: Record<ChangingOperation, Record<OrderStatus, Outcome>>) {
  return (Object.keys(expected) as ChangingOperation[]).flatMap((operation) =>
    ORDER_STATUSES.map((status) => ({ operation, status, outcome: expected[operation][status] })),
  );
}

function expectOutcome(operation: ChangingOperation, order: Order, outcome: Outcome) {
  const frozen = deepFreeze(order);
  if (outcome === 'conflict') {
    let error: unknown;
    try {
      RUN[operation](frozen);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(TransitionRefused);
    expect(error).toMatchObject({ code: 'CONFLICT', operation, currentStatus: order.status });
    expect((error as Error).message).toMatch(new RegExp(`^cannot .*order ${order.orderId}.* in status ${order.status}: `));
    return;
  }
  const decision = RUN[operation](frozen);
  if (outcome === 'repeat') {
    expect(decision).toBeNull();
    return;
  }
  expect(decision).not.toBeNull();
  const { order: next, events } = decision!;
  expect(next).not.toBe(frozen);
  expect(next.version).toBe(order.version + 1);
  expect(next.updatedAt).toBe(NOW);
  expect(next.status).toBe(expectedDestination(operation, order));
  for (const { type } of events) expect(ORDER_TRANSITIONS[operation].events).toContain(type);
  if (next.status !== order.status) {
    expect(next.statusHistory.at(-1)).toMatchObject({ from: order.status, to: next.status, at: NOW, correlationId: ctx.correlationId, actor: ctx.actor });
  } else {
    expect(next.statusHistory).toEqual(order.statusHistory);
  }
}

describe('order transition table', () => {
  it.each(cases(EXPECTED))('$operation from $status: $outcome', ({ operation, status, outcome }) => {
    expectOutcome(operation, anOrderIn(status), outcome);
  });

  it.each(cases(EXPECTED_WHILE_DEAD_LETTERED))('$operation from $status while dead-lettered: $outcome', ({ operation, status, outcome }) => {
    expectOutcome(operation, { ...anOrderIn(status), deadLettered: true }, outcome);
  });

  it('names every operation once, create included', () => {
    expect([...ORDER_OPERATIONS].sort()).toEqual([...Object.keys(EXPECTED), 'create'].sort());
  });

  it('refuses to create an order that already exists, whatever its status', () => {
    for (const status of ORDER_STATUSES) {
      expect(() => assertTransitionAllowed(anOrderIn(status), 'create')).toThrow(TransitionRefused);
    }
  });

  it('reaches every status from received', () => {
    const reached = new Set<OrderStatus>(['received']);
    const queue: OrderStatus[] = ['received'];
    while (queue.length > 0) {
      for (const next of nextStatuses(queue.shift()!)) {
        if (!reached.has(next)) queue.push(next);
        reached.add(next);
      }
    }
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it.each(ORDER_STATUSES.map((status) => ({ status, terminal: TERMINAL_STATUSES.includes(status) })))(
    '$status is terminal: $terminal',
    ({ status, terminal }) => {
      expect(nextStatuses(status).length === 0).toBe(terminal);
    },
  );

  it('explains a refusal in words: cannot ship order … in status picking', () => {
    expect(() => RUN.ship(anOrderIn('picking'))).toThrow('cannot ship order ORD-0123456789AB in status picking: allowed only from packing');
  });

  it('explains a dead-letter refusal', () => {
    expect(() => RUN.validate({ ...aReceivedOrder(), deadLettered: true })).toThrow(
      'cannot validate order ORD-0123456789AB in status received: the order is held in the dead letter queue',
    );
  });
});
