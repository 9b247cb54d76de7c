import { centsToAmount } from '../models/money';
import { fulfillmentRatio, isLate, orderTotals } from '../models/order.rules';
import type { DeadLetterRecord, Order as OrderState } from '../models/order.types';
import type { DeadLetterResolutionEnum } from './enums';
import type { DeadLetterHistoryEntry, Order } from './order.type';

/** Earlier entries live in the current entry's history, or, once the retention retired it, on the order (order.types.ts). */
function pastDeadLetterEntries(order: Pick<OrderState, 'deadLetter' | 'retiredDeadLetterEntries'>): DeadLetterRecord[] {
  return order.deadLetter ? order.deadLetter.history : (order.retiredDeadLetterEntries ?? []);
}

function toHistoryEntryView(record: DeadLetterRecord): DeadLetterHistoryEntry {
  return {
    failureStatus: record.failureStatus,
    failureReason: record.failureReason,
    retryCount: record.retryCount,
    resolution: record.resolution as DeadLetterResolutionEnum | null,
    resolvedBy: record.resolvedBy,
    resolvedAt: record.resolvedAt,
    notes: record.notes,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The public shape of an order: derived values computed by the model's rules, money back to decimal amounts. */
export function toOrderView(order: OrderState, now: Date = new Date()): Order {
  const totals = orderTotals(order);
  const fulfilmentRecorded = order.items.some((line) => line.quantityFulfilled !== null);
  return {
    id: order.orderId,
    customerId: order.customerId,
    customer: { id: order.customerId },
    priority: order.priority as Order['priority'],
    status: order.status as Order['status'],
    promisedDeliveryAt: order.promisedDeliveryAt,
    items: order.items.map(({ unitPriceCents, ...line }) => ({ ...line, unitPrice: centsToAmount(unitPriceCents) })),
    shippingAddress: order.shippingAddress,
    totalItems: totals.totalItems,
    totalQuantity: totals.totalQuantity,
    totalWeight: totals.totalWeight,
    totalValue: centsToAmount(totals.totalValueCents),
    isLate: isLate(order, now),
    waveId: order.waveId,
    wave: order.waveId ? { id: order.waveId } : null,
    trackingNumber: order.trackingNumber,
    carrier: order.carrier,
    cancellation: order.cancellation,
    deliveredAt: order.deliveredAt,
    backorders: order.backorders as Order['backorders'],
    fulfillmentRatio: fulfilmentRecorded ? fulfillmentRatio(order.items) : null,
    retry: order.retry,
    deadLettered: order.deadLettered,
    deadLetterHistory: pastDeadLetterEntries(order).map(toHistoryEntryView),
    version: order.version,
    statusHistory: order.statusHistory as Order['statusHistory'],
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
