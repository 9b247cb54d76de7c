import type { DecisionContext } from '../../../src/models/order.decision';
import type { CreateOrderCommand } from '../../../src/models/order.input';
import {
  assignOrderToWave,
  cancelOrder,
  completeOrder,
  createOrder,
  shipOrder,
  startPacking,
  startPicking,
  validateOrder,
} from '../../../src/models/order.lifecycle';
import type { Backorder, Order, OrderStatus } from '../../../src/models/order.types';

/** Small builders for unit tests. Orders in a given status are reached through the real use cases. */

export const NOW = new Date('2024-01-15T10:00:00.000Z');
export const ORDER_ID = 'ORD-0123456789AB';
export const WAVE_ID = 'WAVE-2024-00123';
export const CORRELATION_ID = '550e8400-e29b-41d4-a716-446655440000';

export function minutesAfter(instant: Date, minutes: number): Date {
  return new Date(instant.getTime() + minutes * 60_000);
}

export function ctxAt(now: Date = NOW): DecisionContext {
  return { now, correlationId: CORRELATION_ID, actor: 'picker-7' };
}

/** The brief's create request, as it arrives at the boundary. */
export function aCreateOrderInput(): Record<string, unknown> {
  return {
    customerId: 'CUST-001',
    priority: 'standard',
    promisedDeliveryAt: '2024-12-27T17:00:00Z',
    items: [{ sku: 'SKU-001', quantity: 2, unitPrice: 29.99 }],
    shippingAddress: { street: '123 Main St', city: 'New York', state: 'NY', zipCode: '10001', country: 'US' },
  };
}

export function aCreateOrderCommand(overrides: Partial<CreateOrderCommand> = {}): CreateOrderCommand {
  return {
    customerId: 'CUST-001',
    priority: 'standard',
    promisedDeliveryAt: new Date('2024-01-20T17:00:00.000Z'),
    items: [
      { sku: 'SKU-001', quantity: 5, unitPriceCents: 1999, productName: 'Widget', weight: 0.5 },
      { sku: 'SKU-002', quantity: 1, unitPriceCents: 10, productName: null, weight: null },
    ],
    shippingAddress: {
      street: '123 Main St',
      street2: null,
      city: 'New York',
      state: 'NY',
      zipCode: '10001',
      country: 'US',
      recipientName: null,
      phone: null,
    },
    ...overrides,
  };
}

export function aReceivedOrder(overrides: Partial<CreateOrderCommand> = {}): Order {
  return createOrder(aCreateOrderCommand(overrides), { ...ctxAt(), orderId: ORDER_ID, maxRetries: 5 }).order;
}

function changed(decision: { order: Order } | null): Order {
  if (!decision) throw new Error('expected the use case to change the order');
  return decision.order;
}

/** An order in `status`, walked there along the happy path (cancelled from received). */
export function anOrderIn(status: OrderStatus): Order {
  const ctx = ctxAt();
  let order = aReceivedOrder();
  if (status === 'received') return order;
  if (status === 'cancelled') return changed(cancelOrder(order, { reason: 'customer request' }, ctx));
  const path: Array<[OrderStatus, (current: Order) => Order]> = [
    ['validated', (current) => changed(validateOrder(current, ctx))],
    ['assigned_to_wave', (current) => changed(assignOrderToWave(current, { waveId: WAVE_ID }, ctx))],
    ['picking', (current) => startPicking(current, ctx).order],
    ['packing', (current) => startPacking(current, ctx).order],
    ['shipped', (current) => shipOrder(current, { trackingNumber: '1Z999AA10123456784', carrier: 'UPS' }, ctx).order],
    ['completed', (current) => completeOrder(current, { deliveredAt: NOW }, ctx).order],
  ];
  for (const [reached, step] of path) {
    order = step(order);
    if (reached === status) return order;
  }
  throw new Error(`no path to ${status}`);
}

export function anOpenBackorder(overrides: Partial<Backorder> = {}): Backorder {
  return {
    backorderId: 'BO-0123456789AB',
    items: [{ sku: 'SKU-001', quantityShort: 2, reason: 'quantity_mismatch' }],
    status: 'open',
    createdAt: NOW,
    fulfilledAt: null,
    ...overrides,
  };
}

/** Freezes the order all the way down, so that a use case mutating its input fails loudly in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value as object)) deepFreeze(nested);
  }
  return value;
}
