import { BackorderNotFound, InvalidInput, TransitionRefused } from '../../src/models/order.errors';
import { fulfillBackorder, recordPartialFulfillment } from '../../src/models/order.fulfilment';
import type { FulfilmentReport } from '../../src/models/order.input';
import type { Order } from '../../src/models/order.types';
import { NOW, ORDER_ID, anOpenBackorder, anOrderIn, ctxAt, deepFreeze, minutesAfter } from './factories/order.factory';

const ctx = ctxAt();
let nextId = 0;
const newBackorderId = () => `BO-TEST0000000${nextId++}`;

function report(order: Order, lines: FulfilmentReport[], at = ctx) {
  return recordPartialFulfillment(order, { lines, newBackorderId }, at);
}

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInput) return error.issues.map(({ field }) => field);
    throw error;
  }
  throw new Error('expected InvalidInput');
}

beforeEach(() => {
  nextId = 0;
});

describe('recordPartialFulfillment', () => {
  it('records the brief example: 3 of 5 picked, 2 backordered, ratio 0.6', () => {
    const order = deepFreeze(anOrderIn('picking'));
    const single = { ...order, items: [order.items[0]] };
    const decision = report(single, [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'quantity_mismatch' }])!;

    expect(decision.order.items[0]).toMatchObject({ quantityFulfilled: 3, quantityBackordered: 2 });
    expect(decision.order.backorders).toEqual([
      {
        backorderId: 'BO-TEST00000000',
        items: [{ sku: 'SKU-001', quantityShort: 2, reason: 'quantity_mismatch' }],
        status: 'open',
        createdAt: NOW,
        fulfilledAt: null,
      },
    ]);
    expect(decision.order.status).toBe('picking');
    expect(decision.events.map(({ data }) => data)).toEqual([
      {
        type: 'wms.order.partially-fulfilled',
        orderId: ORDER_ID,
        customerId: 'CUST-001',
        fulfilledItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityFulfilled: 3 }],
        backorderedItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityShort: 2, reason: 'quantity_mismatch' }],
        fulfillmentRatio: 0.6,
        timestamp: NOW.toISOString(),
      },
      {
        type: 'wms.order.backorder-created',
        backorderId: 'BO-TEST00000000',
        originalOrderId: ORDER_ID,
        customerId: 'CUST-001',
        items: [{ sku: 'SKU-001', quantityShort: 2, reason: 'quantity_mismatch' }],
        priority: 'standard',
        timestamp: NOW.toISOString(),
      },
    ]);
  });

  it('counts lines not reported as fully fulfilled in the ratio', () => {
    // SKU-001: 3 of 5, SKU-002: 1 of 1 (not reported) → 4 / 6.
    const decision = report(anOrderIn('packing'), [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'damaged' }])!;
    expect(decision.events[0].data).toMatchObject({ fulfillmentRatio: 4 / 6 });
  });

  it('records a report with nothing short without announcing anything', () => {
    const decision = report(anOrderIn('picking'), [{ sku: 'SKU-001', quantityFulfilled: 5, reason: null }])!;
    expect(decision.order.items[0]).toMatchObject({ quantityFulfilled: 5, quantityBackordered: 0 });
    expect(decision.order.backorders).toEqual([]);
    expect(decision.events).toEqual([]);
  });

  it('treats the same report again as a success that changes nothing', () => {
    const lines: FulfilmentReport[] = [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'damaged' }];
    const first = report(anOrderIn('picking'), lines)!;
    expect(report(first.order, lines)).toBeNull();
  });

  it('backorders only the new shortfall when a later report lowers a line', () => {
    const first = report(anOrderIn('picking'), [{ sku: 'SKU-001', quantityFulfilled: 4, reason: 'not_found' }])!;
    const second = report(first.order, [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'damaged' }], ctxAt(minutesAfter(NOW, 5)))!;
    expect(second.order.items[0]).toMatchObject({ quantityFulfilled: 3, quantityBackordered: 2 });
    expect(second.order.backorders.map(({ items }) => items)).toEqual([
      [{ sku: 'SKU-001', quantityShort: 1, reason: 'not_found' }],
      [{ sku: 'SKU-001', quantityShort: 1, reason: 'damaged' }],
    ]);
  });

  it('refuses to raise a recorded fulfilment with CONFLICT', () => {
    const first = report(anOrderIn('picking'), [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'damaged' }])!;
    expect(() => report(first.order, [{ sku: 'SKU-001', quantityFulfilled: 4, reason: null }])).toThrow(TransitionRefused);
  });

  it.each([
    { case: 'an unknown sku', line: { sku: 'SKU-404', quantityFulfilled: 1, reason: 'not_found' as const }, field: 'lines.1.sku' },
    { case: 'more than ordered', line: { sku: 'SKU-002', quantityFulfilled: 2, reason: null }, field: 'lines.1.quantityFulfilled' },
    { case: 'a short line without a reason', line: { sku: 'SKU-002', quantityFulfilled: 0, reason: null }, field: 'lines.1.reason' },
  ])('refuses $case with BAD_USER_INPUT naming $field', ({ line, field }) => {
    const lines: FulfilmentReport[] = [{ sku: 'SKU-001', quantityFulfilled: 5, reason: null }, line];
    expect(fieldsOf(() => report(anOrderIn('picking'), lines))).toEqual([field]);
  });
});

describe('fulfillBackorder', () => {
  const withBackorder = (status: 'picking' | 'shipped') => deepFreeze({ ...anOrderIn(status), backorders: [anOpenBackorder()] });

  it('closes an open backorder and announces it', () => {
    const decision = fulfillBackorder(withBackorder('shipped'), { backorderId: 'BO-0123456789AB' }, ctx)!;
    expect(decision.order.backorders[0]).toMatchObject({ status: 'fulfilled', fulfilledAt: NOW });
    expect(decision.order.status).toBe('shipped');
    expect(decision.events.map(({ data }) => data)).toEqual([
      {
        type: 'wms.order.backorder-fulfilled',
        backorderId: 'BO-0123456789AB',
        originalOrderId: ORDER_ID,
        customerId: 'CUST-001',
        timestamp: NOW.toISOString(),
      },
    ]);
  });

  it('refuses a backorder already fulfilled with CONFLICT', () => {
    const once = fulfillBackorder(withBackorder('picking'), { backorderId: 'BO-0123456789AB' }, ctx)!;
    expect(() => fulfillBackorder(once.order, { backorderId: 'BO-0123456789AB' }, ctx)).toThrow('backorder BO-0123456789AB is already fulfilled');
  });

  it('answers NOT_FOUND for a backorder the order does not have', () => {
    expect(() => fulfillBackorder(withBackorder('picking'), { backorderId: 'BO-ZZZZZZZZZZZZ' }, ctx)).toThrow(BackorderNotFound);
  });
});
