import {
  businessValidationProblems,
  canBeModified,
  fulfillmentRatio,
  isDueForRetry,
  isEligibleForRetry,
  isFinished,
  isLate,
  orderTotals,
  retryBackoff,
  retryDueAt,
} from '../../src/models/order.rules';
import { ORDER_STATUSES, type Order, type OrderLine, type OrderStatus } from '../../src/models/order.types';
import { NOW, aReceivedOrder, minutesAfter } from './factories/order.factory';

const FINISHED: OrderStatus[] = ['shipped', 'completed', 'cancelled'];

function line(overrides: Partial<OrderLine>): OrderLine {
  return { sku: 'SKU', quantity: 1, unitPriceCents: 0, productName: null, weight: null, quantityFulfilled: null, quantityBackordered: null, ...overrides };
}

describe('isLate', () => {
  it.each(ORDER_STATUSES.map((status) => ({ status, late: !FINISHED.includes(status) })))(
    'an order in $status whose promised time has passed is late: $late',
    ({ status, late }) => {
      expect(isLate({ status, promisedDeliveryAt: minutesAfter(NOW, -1) }, NOW)).toBe(late);
    },
  );

  it.each([
    { case: 'promised in the future', promisedDeliveryAt: minutesAfter(NOW, 1) },
    { case: 'promised exactly now', promisedDeliveryAt: NOW },
    { case: 'never promised', promisedDeliveryAt: null },
  ])('an open order $case is not late', ({ promisedDeliveryAt }) => {
    expect(isLate({ status: 'picking', promisedDeliveryAt }, NOW)).toBe(false);
  });
});

describe('isFinished and canBeModified', () => {
  it.each(ORDER_STATUSES.map((status) => ({ status, finished: FINISHED.includes(status), modifiable: status === 'received' || status === 'validated' })))(
    '$status: finished $finished, modifiable $modifiable',
    ({ status, finished, modifiable }) => {
      expect(isFinished({ status })).toBe(finished);
      expect(canBeModified({ status, deadLettered: false })).toBe(modifiable);
      expect(canBeModified({ status, deadLettered: true })).toBe(false);
    },
  );
});

describe('businessValidationProblems', () => {
  it('lists a promised delivery time that has passed', () => {
    expect(businessValidationProblems({ promisedDeliveryAt: minutesAfter(NOW, -60) }, NOW)).toEqual([
      'promisedDeliveryAt 2024-01-15T09:00:00.000Z has already passed',
    ]);
  });

  it('finds nothing wrong with a future or absent promise', () => {
    expect(businessValidationProblems({ promisedDeliveryAt: minutesAfter(NOW, 60) }, NOW)).toEqual([]);
    expect(businessValidationProblems({ promisedDeliveryAt: null }, NOW)).toEqual([]);
  });
});

describe('orderTotals', () => {
  it('counts lines, units, kilograms and exact cents (3 × 19.99 + 1 × 0.10 = 60.07)', () => {
    const items = [line({ sku: 'A', quantity: 3, unitPriceCents: 1999, weight: 0.1 }), line({ sku: 'B', quantity: 1, unitPriceCents: 10 })];
    expect(orderTotals({ items })).toEqual({ totalItems: 2, totalQuantity: 4, totalWeight: 0.3, totalValueCents: 6007 });
  });

  it('matches the factory order: 5 × 19.99 + 1 × 0.10', () => {
    expect(orderTotals(aReceivedOrder())).toEqual({ totalItems: 2, totalQuantity: 6, totalWeight: 2.5, totalValueCents: 10005 });
  });
});

describe('fulfillmentRatio', () => {
  it.each([
    { case: 'the brief example, 3 of 5', lines: [line({ quantity: 5, quantityFulfilled: 3 })], ratio: 0.6 },
    { case: 'nothing recorded', lines: [line({ quantity: 5 })], ratio: 1 },
    { case: 'nothing picked', lines: [line({ quantity: 5, quantityFulfilled: 0 })], ratio: 0 },
    { case: 'one short line and one unreported', lines: [line({ quantity: 5, quantityFulfilled: 3 }), line({ quantity: 5 })], ratio: 0.8 },
    { case: 'each line once', lines: [line({ quantity: 2, quantityFulfilled: 1 }), line({ quantity: 8, quantityFulfilled: 5 })], ratio: 0.6 },
    { case: 'no lines', lines: [], ratio: 1 },
  ])('$case → $ratio', ({ lines, ratio }) => {
    expect(fulfillmentRatio(lines)).toBeCloseTo(ratio, 12);
  });
});

describe('retryBackoff', () => {
  const MINUTE = 60_000;
  it.each([
    { count: 1, minutes: 15 },
    { count: 2, minutes: 30 },
    { count: 3, minutes: 60 },
    { count: 4, minutes: 120 },
    { count: 5, minutes: 240 },
    { count: 6, minutes: 240 },
    { count: 1000, minutes: 240 },
  ])('failure $count waits $minutes minutes (base 15 min, cap 4 h)', ({ count, minutes }) => {
    expect(retryBackoff(count, 15 * MINUTE, 240 * MINUTE)).toBe(minutes * MINUTE);
  });
});

describe('retry eligibility', () => {
  function withRetry(status: OrderStatus, count: number, nextRetryAt: Date | null, deadLettered = false): Order {
    const order = aReceivedOrder();
    return { ...order, status, deadLettered, retry: { ...order.retry, count, nextRetryAt } };
  }
  const due = minutesAfter(NOW, -1);

  it.each([
    { case: 'a failed open order whose backoff has elapsed', order: withRetry('picking', 2, due), eligible: true, isDue: true },
    { case: 'an order that never failed', order: withRetry('picking', 0, null), eligible: true, isDue: false },
    { case: 'an order still waiting out its backoff', order: withRetry('picking', 2, minutesAfter(NOW, 1)), eligible: true, isDue: false },
    { case: 'an order due exactly now', order: withRetry('picking', 2, NOW), eligible: true, isDue: true },
    { case: 'an order out of retries', order: withRetry('picking', 5, due), eligible: false, isDue: false },
    { case: 'a dead-lettered order', order: withRetry('picking', 2, due, true), eligible: false, isDue: false },
    ...FINISHED.map((status) => ({ case: `a ${status} order`, order: withRetry(status, 2, due), eligible: false, isDue: false })),
  ])('$case: eligible $eligible, due $isDue', ({ order, eligible, isDue }) => {
    expect(isEligibleForRetry(order)).toBe(eligible);
    expect(isDueForRetry(order, NOW)).toBe(isDue);
  });

  it('the stored retryDueAt finds exactly the due orders: due ⇔ retryDueAt ≤ now and fewer failures than maxRetries', () => {
    const cases = ORDER_STATUSES.flatMap((status) =>
      [0, 1, 4, 5, 7].flatMap((count) =>
        [null, due, NOW, minutesAfter(NOW, 1)].flatMap((nextRetryAt) => [false, true].map((held) => withRetry(status, count, nextRetryAt, held))),
      ),
    );
    for (const order of cases) {
      for (const maxRetries of [1, 5, 10]) {
        const dueAt = retryDueAt(order);
        const foundByStore = dueAt !== null && dueAt.getTime() <= NOW.getTime();
        expect({ order: order.retry, maxRetries, due: isDueForRetry(order, NOW, maxRetries) }).toEqual({
          order: order.retry,
          maxRetries,
          due: foundByStore && order.retry.count < maxRetries,
        });
      }
    }
  });

  it('applies the caller’s maxRetries threshold to the due list', () => {
    expect(isDueForRetry(withRetry('picking', 3, due), NOW, 3)).toBe(false);
    expect(isDueForRetry(withRetry('picking', 3, due), NOW, 10)).toBe(true);
  });
});
