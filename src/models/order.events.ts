import { centsToAmount } from './money';
import { orderTotals } from './order.rules';
import type { Backorder, BackorderItem, BackorderReason, Order, Priority } from './order.types';

/**
 * The one catalogue of order events: event type → the `data` it carries (brief payloads, CONTRACT §5).
 * Each `data` repeats its `type` and carries a `timestamp` (ISO 8601), as the brief's examples do.
 * Money is a decimal amount here (`totalValue: 60.07`), converted once from exact integer cents.
 * The CloudEvents envelope around `data` is built elsewhere, from these.
 *
 * Builders take the order after the change plus the facts its type cannot promise (a wave id, a reason).
 */

export interface EventItem {
  sku: string;
  quantity: number;
  unitPrice: number;
  productName: string | null;
  weight: number | null;
}

export interface FulfilledItem {
  sku: string;
  quantityOrdered: number;
  quantityFulfilled: number;
}

export interface BackorderedItem {
  sku: string;
  quantityOrdered: number;
  quantityShort: number;
  reason: BackorderReason;
}

export interface OrderEventPayloads {
  'wms.order.received': {
    type: 'wms.order.received';
    orderId: string;
    customerId: string;
    priority: Priority;
    promisedDeliveryAt: string | null;
    items: EventItem[];
    totalValue: number;
    timestamp: string;
  };
  'wms.order.validated': { type: 'wms.order.validated'; orderId: string; customerId: string; totalItems: number; timestamp: string };
  'wms.order.wave-assigned': { type: 'wms.order.wave-assigned'; orderId: string; waveId: string; timestamp: string };
  'wms.order.shipped': {
    type: 'wms.order.shipped';
    orderId: string;
    customerId: string;
    trackingNumber: string;
    carrier: string;
    timestamp: string;
  };
  'wms.order.cancelled': { type: 'wms.order.cancelled'; orderId: string; customerId: string; reason: string; timestamp: string };
  'wms.order.completed': { type: 'wms.order.completed'; orderId: string; customerId: string; deliveredAt: string; timestamp: string };
  'wms.order.retry-scheduled': {
    type: 'wms.order.retry-scheduled';
    orderId: string;
    customerId: string;
    retryNumber: number;
    failureStatus: string;
    failureReason: string;
    timestamp: string;
  };
  'wms.order.moved-to-dlq': {
    type: 'wms.order.moved-to-dlq';
    orderId: string;
    customerId: string;
    finalFailureStatus: string;
    finalFailureReason: string;
    totalRetryAttempts: number;
    timestamp: string;
  };
  'wms.order.partially-fulfilled': {
    type: 'wms.order.partially-fulfilled';
    orderId: string;
    customerId: string;
    fulfilledItems: FulfilledItem[];
    backorderedItems: BackorderedItem[];
    fulfillmentRatio: number;
    timestamp: string;
  };
  'wms.order.backorder-created': {
    type: 'wms.order.backorder-created';
    backorderId: string;
    originalOrderId: string;
    customerId: string;
    items: BackorderItem[];
    priority: Priority;
    timestamp: string;
  };
  'wms.order.backorder-fulfilled': {
    type: 'wms.order.backorder-fulfilled';
    backorderId: string;
    originalOrderId: string;
    customerId: string;
    timestamp: string;
  };
}

export type OrderEventType = keyof OrderEventPayloads;

export type OrderEventOf<K extends OrderEventType> = { type: K; data: OrderEventPayloads[K] };

export type OrderEvent = { [K in OrderEventType]: OrderEventOf<K> }[OrderEventType];

// `satisfies` makes the compiler fail when a type is added to the payload map but not listed here, or the reverse.
export const ORDER_EVENT_TYPES = Object.keys({
  'wms.order.received': true,
  'wms.order.validated': true,
  'wms.order.wave-assigned': true,
  'wms.order.shipped': true,
  'wms.order.cancelled': true,
  'wms.order.completed': true,
  'wms.order.retry-scheduled': true,
  'wms.order.moved-to-dlq': true,
  'wms.order.partially-fulfilled': true,
  'wms.order.backorder-created': true,
  'wms.order.backorder-fulfilled': true,
} satisfies Record<OrderEventType, true>) as readonly OrderEventType[];

/** Builds the event from its data so that `type` is written once and both copies always agree. */
function event<K extends OrderEventType>(type: K, fields: Omit<OrderEventPayloads[K], 'type' | 'timestamp'>, now: Date): OrderEventOf<K> {
  // The compiler cannot see through a spread over a generic key; the type of `fields` still checks every call.
  const data = { type, ...fields, timestamp: now.toISOString() } as OrderEventPayloads[K];
  return { type, data };
}

export function orderReceived(order: Order, now: Date): OrderEventOf<'wms.order.received'> {
  return event(
    'wms.order.received',
    {
      orderId: order.orderId,
      customerId: order.customerId,
      priority: order.priority,
      promisedDeliveryAt: order.promisedDeliveryAt?.toISOString() ?? null,
      items: order.items.map((line) => ({
        sku: line.sku,
        quantity: line.quantity,
        unitPrice: centsToAmount(line.unitPriceCents),
        productName: line.productName,
        weight: line.weight,
      })),
      totalValue: centsToAmount(orderTotals(order).totalValueCents),
    },
    now,
  );
}

export function orderValidated(order: Order, now: Date): OrderEventOf<'wms.order.validated'> {
  return event('wms.order.validated', { orderId: order.orderId, customerId: order.customerId, totalItems: order.items.length }, now);
}

export function orderWaveAssigned(order: Order, waveId: string, now: Date): OrderEventOf<'wms.order.wave-assigned'> {
  return event('wms.order.wave-assigned', { orderId: order.orderId, waveId }, now);
}

export function orderShipped(order: Order, shipment: { trackingNumber: string; carrier: string }, now: Date): OrderEventOf<'wms.order.shipped'> {
  const { trackingNumber, carrier } = shipment;
  return event('wms.order.shipped', { orderId: order.orderId, customerId: order.customerId, trackingNumber, carrier }, now);
}

export function orderCancelled(order: Order, reason: string, now: Date): OrderEventOf<'wms.order.cancelled'> {
  return event('wms.order.cancelled', { orderId: order.orderId, customerId: order.customerId, reason }, now);
}

export function orderCompleted(order: Order, deliveredAt: Date, now: Date): OrderEventOf<'wms.order.completed'> {
  return event('wms.order.completed', { orderId: order.orderId, customerId: order.customerId, deliveredAt: deliveredAt.toISOString() }, now);
}

export function orderRetryScheduled(
  order: Order,
  retry: { retryNumber: number; failureStatus: string; failureReason: string },
  now: Date,
): OrderEventOf<'wms.order.retry-scheduled'> {
  return event('wms.order.retry-scheduled', { orderId: order.orderId, customerId: order.customerId, ...retry }, now);
}

export function orderMovedToDlq(
  order: Order,
  failure: { finalFailureStatus: string; finalFailureReason: string; totalRetryAttempts: number },
  now: Date,
): OrderEventOf<'wms.order.moved-to-dlq'> {
  return event('wms.order.moved-to-dlq', { orderId: order.orderId, customerId: order.customerId, ...failure }, now);
}

export function orderPartiallyFulfilled(
  order: Order,
  report: { fulfilledItems: FulfilledItem[]; backorderedItems: BackorderedItem[]; fulfillmentRatio: number },
  now: Date,
): OrderEventOf<'wms.order.partially-fulfilled'> {
  return event('wms.order.partially-fulfilled', { orderId: order.orderId, customerId: order.customerId, ...report }, now);
}

export function backorderCreated(order: Order, backorder: Backorder, now: Date): OrderEventOf<'wms.order.backorder-created'> {
  return event(
    'wms.order.backorder-created',
    {
      backorderId: backorder.backorderId,
      originalOrderId: order.orderId,
      customerId: order.customerId,
      items: backorder.items.map(({ sku, quantityShort, reason }) => ({ sku, quantityShort, reason })),
      priority: order.priority,
    },
    now,
  );
}

export function backorderFulfilled(order: Order, backorder: Backorder, now: Date): OrderEventOf<'wms.order.backorder-fulfilled'> {
  return event('wms.order.backorder-fulfilled', { backorderId: backorder.backorderId, originalOrderId: order.orderId, customerId: order.customerId }, now);
}
