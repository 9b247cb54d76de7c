import { lineValueCents, sumCents } from './money';
import type { Order, OrderLine, OrderStatus } from './order.types';

/** Rules of the order as pure predicates and derivations: no I/O, the clock passed in. */

const FINISHED_STATUSES: ReadonlySet<OrderStatus> = new Set(['shipped', 'completed', 'cancelled']);
const MODIFIABLE_STATUSES: ReadonlySet<OrderStatus> = new Set(['received', 'validated']);

/** The warehouse's work on the order is over: it left the building or will never leave it. */
export function isFinished(order: Pick<Order, 'status'>): boolean {
  return FINISHED_STATUSES.has(order.status);
}

export function isLate(order: Pick<Order, 'status' | 'promisedDeliveryAt'>, now: Date): boolean {
  return order.promisedDeliveryAt !== null && order.promisedDeliveryAt.getTime() < now.getTime() && !isFinished(order);
}

export function canBeModified(order: Pick<Order, 'status' | 'deadLettered'>): boolean {
  return MODIFIABLE_STATUSES.has(order.status) && !order.deadLettered;
}

/** Reasons the order fails business validation (CONTRACT §1 validate); empty when it passes. */
export function businessValidationProblems(order: Pick<Order, 'promisedDeliveryAt'>, now: Date): string[] {
  const problems: string[] = [];
  if (order.promisedDeliveryAt !== null && order.promisedDeliveryAt.getTime() < now.getTime()) {
    problems.push(`promisedDeliveryAt ${order.promisedDeliveryAt.toISOString()} has already passed`);
  }
  return problems;
}

export interface OrderTotals {
  /** Number of lines, not of units. */
  totalItems: number;
  totalQuantity: number;
  /** Kilograms; lines without a weight count as 0. */
  totalWeight: number;
  totalValueCents: number;
}

export function orderTotals(order: Pick<Order, 'items'>): OrderTotals {
  const weight = order.items.reduce((sum, line) => sum + (line.weight ?? 0) * line.quantity, 0);
  return {
    totalItems: order.items.length,
    totalQuantity: order.items.reduce((sum, line) => sum + line.quantity, 0),
    // Weights are floats; rounding to milligrams hides noise such as 0.1 * 3 = 0.30000000000000004.
    totalWeight: Math.round(weight * 1e6) / 1e6,
    totalValueCents: sumCents(order.items.map((line) => lineValueCents(line.unitPriceCents, line.quantity))),
  };
}

/**
 * Σ fulfilled ÷ Σ ordered, each line counted once (3 of 5 → 0.6). A line with no recorded fulfilment
 * counts as fully fulfilled: a fulfilment report names the short lines, and silence means none was short.
 */
export function fulfillmentRatio(lines: ReadonlyArray<Pick<OrderLine, 'quantity' | 'quantityFulfilled'>>): number {
  const ordered = lines.reduce((sum, line) => sum + line.quantity, 0);
  if (ordered === 0) return 1;
  const fulfilled = lines.reduce((sum, line) => sum + (line.quantityFulfilled ?? line.quantity), 0);
  return fulfilled / ordered;
}

/** Exponential backoff: base, 2×base, 4×base… capped at `maxMs` (15 min base, 4 h cap: 15, 30, 60, 120 min). */
export function retryBackoff(count: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** (Math.max(count, 1) - 1));
}

/** The retry metadata flag (CONTRACT §2): the order may still be retried at all. */
export function isEligibleForRetry(order: Pick<Order, 'status' | 'deadLettered' | 'retry'>): boolean {
  return order.retry.count < order.retry.maxRetries && !order.deadLettered && !isFinished(order);
}

/**
 * The eligible-for-retry list (CONTRACT §2): the order has failed at least once, may still be retried
 * under `maxRetries` (the caller's threshold, the order's own by default) and its backoff has elapsed.
 */
/**
 * When the order becomes due for a retry, if nothing changes first: its `nextRetryAt` while it has failed, is not held
 * and is not finished; null otherwise. Stored beside the order (`retryDueAt`) so that one index range finds the due
 * orders; `isDueForRetry` adds the caller's `maxRetries` and the clock.
 */
export function retryDueAt(order: Pick<Order, 'status' | 'deadLettered' | 'retry'>): Date | null {
  const { count, nextRetryAt } = order.retry;
  return count >= 1 && !order.deadLettered && !isFinished(order) ? nextRetryAt : null;
}

export function isDueForRetry(order: Pick<Order, 'status' | 'deadLettered' | 'retry'>, now: Date, maxRetries: number = order.retry.maxRetries): boolean {
  const { count, nextRetryAt } = order.retry;
  return count >= 1 && count < maxRetries && !order.deadLettered && !isFinished(order) && nextRetryAt !== null && nextRetryAt.getTime() <= now.getTime();
}
