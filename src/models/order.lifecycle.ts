import { isDeepStrictEqual } from 'node:util';
import { orderCancelled, orderCompleted, orderReceived, orderShipped, orderValidated, orderWaveAssigned } from './order.events';
import { assertTransitionAllowed, destinationOf, refuse, type OrderOperation } from './order-transitions';
import { nextVersion, type Change, type Decision, type DecisionContext } from './order.decision';
import { OrderInvalid } from './order.errors';
import type { CreateOrderCommand, OrderLineDraft, Shipment, UpdateOrderCommand } from './order.input';
import { businessValidationProblems } from './order.rules';
import { DEFAULT_TENANT_ID, type Order, type OrderLine } from './order.types';

/**
 * The order's main lifecycle, one pure function per use case: check the transition table, then return
 * the next version of the order with the events to store alongside it (or null for a harmless repeat).
 * Inputs are already parsed (order.input.ts); the caller loads the order and writes the decision.
 */

export interface NewOrderContext extends DecisionContext {
  orderId: string;
  /** Defaults to the `default` tenant. */
  tenantId?: string;
  /** Copied onto the order so that a later change of MAX_RETRIES does not move the goalposts of orders in flight. */
  maxRetries: number;
}

function toLine({ sku, quantity, unitPriceCents, productName, weight }: OrderLineDraft): OrderLine {
  return { sku, quantity, unitPriceCents, productName, weight, quantityFulfilled: null, quantityBackordered: null };
}

export function createOrder(command: CreateOrderCommand, ctx: NewOrderContext): Change {
  const { now } = ctx;
  const order: Order = {
    orderId: ctx.orderId,
    tenantId: ctx.tenantId ?? DEFAULT_TENANT_ID,
    customerId: command.customerId,
    priority: command.priority,
    status: 'received',
    promisedDeliveryAt: command.promisedDeliveryAt,
    items: command.items.map(toLine),
    shippingAddress: { ...command.shippingAddress },
    waveId: null,
    trackingNumber: null,
    carrier: null,
    cancellation: null,
    deliveredAt: null,
    validatedAt: null,
    backorders: [],
    retry: {
      count: 0,
      maxRetries: ctx.maxRetries,
      lastFailureReason: null,
      lastFailureStatus: null,
      lastFailedAt: null,
      nextRetryAt: null,
      history: [],
    },
    deadLettered: false,
    deadLetter: null,
    version: 1,
    statusHistory: [{ from: null, to: 'received', at: now, reason: null, correlationId: ctx.correlationId, actor: ctx.actor }],
    createdAt: now,
    updatedAt: now,
  };
  return { order, events: [orderReceived(order, now)] };
}

export function validateOrder(order: Order, ctx: DecisionContext): Decision {
  if (assertTransitionAllowed(order, 'validate') === 'repeat') return null;
  const problems = businessValidationProblems(order, ctx.now);
  if (problems.length > 0) throw new OrderInvalid(problems);
  const next = nextVersion(order, { status: 'validated', validatedAt: order.validatedAt ?? ctx.now }, ctx);
  return { order: next, events: [orderValidated(next, ctx.now)] };
}

export function assignOrderToWave(order: Order, { waveId }: { waveId: string }, ctx: DecisionContext): Decision {
  if (assertTransitionAllowed(order, 'assignToWave') === 'repeat') {
    if (order.waveId === waveId) return null;
    throw refuse(order, 'assignToWave', `already assigned to wave ${order.waveId ?? '(none)'}`);
  }
  const next = nextVersion(order, { status: 'assigned_to_wave', waveId }, ctx);
  return { order: next, events: [orderWaveAssigned(next, waveId, ctx.now)] };
}

/** Steps that only move the status along and publish nothing. */
function advance(order: Order, operation: OrderOperation, ctx: DecisionContext): Change {
  assertTransitionAllowed(order, operation);
  return { order: nextVersion(order, { status: destinationOf(order, operation) }, ctx), events: [] };
}

export function startPicking(order: Order, ctx: DecisionContext): Change {
  return advance(order, 'startPicking', ctx);
}

export function startPacking(order: Order, ctx: DecisionContext): Change {
  return advance(order, 'startPacking', ctx);
}

export function shipOrder(order: Order, shipment: Shipment, ctx: DecisionContext): Change {
  assertTransitionAllowed(order, 'ship');
  const { trackingNumber, carrier } = shipment;
  const next = nextVersion(order, { status: 'shipped', trackingNumber, carrier }, ctx);
  return { order: next, events: [orderShipped(next, shipment, ctx.now)] };
}

export function completeOrder(order: Order, { deliveredAt }: { deliveredAt: Date }, ctx: DecisionContext): Change {
  assertTransitionAllowed(order, 'complete');
  const next = nextVersion(order, { status: 'completed', deliveredAt }, ctx);
  return { order: next, events: [orderCompleted(next, deliveredAt, ctx.now)] };
}

export function cancelOrder(order: Order, { reason }: { reason: string }, ctx: DecisionContext): Decision {
  if (assertTransitionAllowed(order, 'cancel') === 'repeat') return null;
  const next = nextVersion(
    order,
    {
      status: 'cancelled',
      cancellation: { reason, cancelledAt: ctx.now },
      // A cancelled order will never be retried, so no retry stays scheduled.
      retry: { ...order.retry, nextRetryAt: null },
    },
    ctx,
    reason,
  );
  return { order: next, events: [orderCancelled(next, reason, ctx.now)] };
}

/**
 * Replaces the given parts of an order not yet in a wave. Values equal to the current ones change nothing,
 * so a resent patch is a harmless repeat. A validated order keeps its status, so a new promised time must
 * itself pass validation.
 */
export function modifyOrder(order: Order, patch: UpdateOrderCommand, ctx: DecisionContext): Decision {
  assertTransitionAllowed(order, 'modify');
  const changes: Partial<Order> = {};
  if (patch.items && !isDeepStrictEqual(patch.items.map(toLine), order.items)) changes.items = patch.items.map(toLine);
  if (patch.shippingAddress && !isDeepStrictEqual(patch.shippingAddress, order.shippingAddress)) {
    changes.shippingAddress = { ...patch.shippingAddress };
  }
  if (patch.priority && patch.priority !== order.priority) changes.priority = patch.priority;
  if (patch.promisedDeliveryAt !== undefined && patch.promisedDeliveryAt?.getTime() !== order.promisedDeliveryAt?.getTime()) {
    changes.promisedDeliveryAt = patch.promisedDeliveryAt;
    const problems = order.status === 'validated' ? businessValidationProblems({ promisedDeliveryAt: patch.promisedDeliveryAt }, ctx.now) : [];
    if (problems.length > 0) throw new OrderInvalid(problems);
  }
  if (Object.keys(changes).length === 0) return null;
  return { order: nextVersion(order, changes, ctx), events: [] };
}
