import type { OrderEventType } from './order.events';
import { TransitionRefused } from './order.errors';
import type { Order, OrderStatus } from './order.types';

/**
 * The order lifecycle as one table (CONTRACT §1 Transitions, §2 Reprocessing, §3 resolutions):
 * each operation, the statuses it may start from and where it leads. Use cases check it with
 * `assertTransitionAllowed` before changing anything; guards that need the operation's arguments
 * (same wave or another one, an open backorder) live in the use case and refuse through `refuse`.
 */

export type OrderOperation =
  | 'create'
  | 'validate'
  | 'assignToWave'
  | 'startPicking'
  | 'startPacking'
  | 'ship'
  | 'complete'
  | 'cancel'
  | 'modify'
  | 'recordPartialFulfillment'
  | 'fulfillBackorder'
  | 'incrementRetry'
  | 'resetForRetry'
  | 'moveToDlq'
  | 'releaseFromDlq';

/** `unchanged`: the status stays; `restart`: back to `validated` if the order ever passed validation, else `received`. */
export type Destination = OrderStatus | 'unchanged' | 'restart';

export interface OperationRule {
  /** The operation in words for messages, `{order}` standing for the order: "cannot ship order ORD-… in status picking". */
  action: string;
  from: readonly OrderStatus[];
  to: Destination;
  /** Statuses in which the operation already took effect: a repeat is a success that changes nothing. */
  repeatFrom: readonly OrderStatus[];
  /** A dead letter queue entry holds the order: only cancel may touch it, and only a DLQ release needs it. */
  whileDeadLettered: 'refused' | 'allowed' | 'required';
  /** Every event type the operation may emit. */
  events: readonly OrderEventType[];
}

const OPEN: readonly OrderStatus[] = ['received', 'validated', 'assigned_to_wave', 'picking', 'packing'];
const AFTER_VALIDATION: readonly OrderStatus[] = ['validated', 'assigned_to_wave', 'picking', 'packing', 'shipped', 'completed'];
const AFTER_WAVE: readonly OrderStatus[] = ['assigned_to_wave', 'picking', 'packing', 'shipped', 'completed'];
// Backorders outlive the shipment of what was in stock; a cancelled order owes nothing any more.
const MAY_OWE_BACKORDERS: readonly OrderStatus[] = ['picking', 'packing', 'shipped', 'completed'];

// prettier-ignore
export const ORDER_TRANSITIONS: Readonly<Record<OrderOperation, OperationRule>> = {
  create:                   { action: 'create {order}',                         from: [],                        to: 'received',         repeatFrom: [],               whileDeadLettered: 'refused',  events: ['wms.order.received'] },
  validate:                 { action: 'validate {order}',                       from: ['received'],              to: 'validated',        repeatFrom: AFTER_VALIDATION, whileDeadLettered: 'refused',  events: ['wms.order.validated'] },
  assignToWave:             { action: 'assign {order} to a wave',               from: ['validated'],             to: 'assigned_to_wave', repeatFrom: AFTER_WAVE,       whileDeadLettered: 'refused',  events: ['wms.order.wave-assigned'] },
  startPicking:             { action: 'start picking {order}',                  from: ['assigned_to_wave'],      to: 'picking',          repeatFrom: [],               whileDeadLettered: 'refused',  events: [] },
  startPacking:             { action: 'start packing {order}',                  from: ['picking'],               to: 'packing',          repeatFrom: [],               whileDeadLettered: 'refused',  events: [] },
  ship:                     { action: 'ship {order}',                           from: ['packing'],               to: 'shipped',          repeatFrom: [],               whileDeadLettered: 'refused',  events: ['wms.order.shipped'] },
  complete:                 { action: 'complete {order}',                       from: ['shipped'],               to: 'completed',        repeatFrom: [],               whileDeadLettered: 'refused',  events: ['wms.order.completed'] },
  cancel:                   { action: 'cancel {order}',                         from: OPEN,                      to: 'cancelled',        repeatFrom: ['cancelled'],    whileDeadLettered: 'allowed',  events: ['wms.order.cancelled'] },
  modify:                   { action: 'modify {order}',                         from: ['received', 'validated'], to: 'unchanged',        repeatFrom: [],               whileDeadLettered: 'refused',  events: [] },
  recordPartialFulfillment: { action: 'record a partial fulfilment of {order}', from: ['picking', 'packing'],    to: 'unchanged',        repeatFrom: [],               whileDeadLettered: 'refused',  events: ['wms.order.partially-fulfilled', 'wms.order.backorder-created'] },
  fulfillBackorder:         { action: 'fulfil a backorder of {order}',          from: MAY_OWE_BACKORDERS,        to: 'unchanged',        repeatFrom: [],               whileDeadLettered: 'refused',  events: ['wms.order.backorder-fulfilled'] },
  incrementRetry:           { action: 'record a failed attempt for {order}',    from: OPEN,                      to: 'unchanged',        repeatFrom: [],               whileDeadLettered: 'refused',  events: ['wms.order.retry-scheduled', 'wms.order.moved-to-dlq'] },
  resetForRetry:            { action: 'reset {order} for retry',                from: OPEN,                      to: 'restart',          repeatFrom: [],               whileDeadLettered: 'refused',  events: [] },
  moveToDlq:                { action: 'move {order} to the dead letter queue',  from: OPEN,                      to: 'unchanged',        repeatFrom: [],               whileDeadLettered: 'refused',  events: ['wms.order.moved-to-dlq'] },
  releaseFromDlq:           { action: 'release {order} for a manual retry',     from: OPEN,                      to: 'restart',          repeatFrom: [],               whileDeadLettered: 'required', events: ['wms.order.retry-scheduled'] },
};

export const ORDER_OPERATIONS = Object.keys(ORDER_TRANSITIONS) as readonly OrderOperation[];

/** No operation leads out of these; a test checks the table agrees. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['completed', 'cancelled'];

/** `apply`: go ahead; `repeat`: the operation already took effect, the use case decides whether that is a no-op. */
export type TransitionVerdict = 'apply' | 'repeat';

type OrderState = Pick<Order, 'orderId' | 'status' | 'deadLettered'>;

export function refuse(order: OrderState, operation: OrderOperation, reason: string): TransitionRefused {
  const { action } = ORDER_TRANSITIONS[operation];
  return new TransitionRefused({ orderId: order.orderId, operation, action, currentStatus: order.status, reason });
}

/** Throws TransitionRefused naming the operation and the current status when the table forbids the operation. */
export function assertTransitionAllowed(order: OrderState, operation: OrderOperation): TransitionVerdict {
  const rule = ORDER_TRANSITIONS[operation];
  // Checked first: a held order is frozen, so even a harmless repeat is refused rather than reported as success.
  if (order.deadLettered && rule.whileDeadLettered === 'refused') {
    throw refuse(order, operation, 'the order is held in the dead letter queue');
  }
  if (!order.deadLettered && rule.whileDeadLettered === 'required') {
    throw refuse(order, operation, 'the order is not held in the dead letter queue');
  }
  if (rule.repeatFrom.includes(order.status)) return 'repeat';
  if (rule.from.includes(order.status)) return 'apply';
  throw refuse(order, operation, rule.from.length === 0 ? 'the order already exists' : `allowed only from ${rule.from.join(', ')}`);
}

/** The status an allowed operation leads to for this order. */
export function destinationOf(order: Pick<Order, 'status' | 'validatedAt'>, operation: OrderOperation): OrderStatus {
  const { to } = ORDER_TRANSITIONS[operation];
  if (to === 'unchanged') return order.status;
  if (to === 'restart') return order.validatedAt !== null ? 'validated' : 'received';
  return to;
}

/** Statuses one operation away from `status`, not counting restarts (which only go backwards). */
export function nextStatuses(status: OrderStatus): OrderStatus[] {
  const next = new Set<OrderStatus>();
  for (const rule of Object.values(ORDER_TRANSITIONS)) {
    if (rule.from.includes(status) && rule.to !== 'unchanged' && rule.to !== 'restart' && rule.to !== status) next.add(rule.to);
  }
  return [...next];
}
