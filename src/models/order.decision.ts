import type { OrderEvent } from './order.events';
import type { Order } from './order.types';

export interface DecisionContext {
  now: Date;
  correlationId: string | null;
  /** Who asked for the change (the caller's token subject), recorded in the status history; null for the service itself. */
  actor: string | null;
}

/** The order to write and the events to store with it, in the same single-document write. */
export interface Change {
  order: Order;
  events: OrderEvent[];
}

/** What a use case decided; `null` means the operation had already taken effect (an idempotent repeat): success, nothing to write, no event. */
export type Decision = Change | null;

/**
 * The next version of the order: a new object (the input is never mutated), version + 1, `updatedAt` now,
 * and a status history entry when the status changes.
 */
export function nextVersion(order: Order, changes: Partial<Order>, ctx: DecisionContext, statusReason: string | null = null): Order {
  const next: Order = { ...order, ...changes, version: order.version + 1, updatedAt: ctx.now };
  if (next.status !== order.status) {
    next.statusHistory = [
      ...order.statusHistory,
      { from: order.status, to: next.status, at: ctx.now, reason: statusReason, correlationId: ctx.correlationId, actor: ctx.actor },
    ];
  }
  return next;
}
