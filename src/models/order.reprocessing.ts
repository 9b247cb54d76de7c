import { orderMovedToDlq, orderRetryScheduled, type OrderEvent } from './order.events';
import { openEntryOf, resolveEntry, withDeadLetterEntry, type DeadLetterResolution } from './dead-letter';
import { assertTransitionAllowed, destinationOf } from './order-transitions';
import { nextVersion, type Change, type Decision, type DecisionContext } from './order.decision';
import type { DlqMove, RetryFailure } from './order.input';
import { cancelOrder } from './order.lifecycle';
import { retryBackoff } from './order.rules';
import type { Order, RetryState } from './order.types';

/**
 * Failed processing attempts, retries and the dead letter queue (CONTRACT §2–3). The DLQ entry lives inside the order
 * (`deadLetter`), so each function here decides the whole change — order, entry and events — for one single-document write.
 */

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryDecision {
  order: Order;
  events: OrderEvent[];
  /** The attempt used up the last retry: the order was moved to the DLQ in the same decision (entry reason = the failure's). */
  movedToDlq: boolean;
}

export function incrementRetryCount(order: Order, { failure, policy }: { failure: RetryFailure; policy: RetryPolicy }, ctx: DecisionContext): RetryDecision {
  assertTransitionAllowed(order, 'incrementRetry');
  const count = order.retry.count + 1;
  const failedAt = failure.failedAt ?? ctx.now;
  const failureStatus = failure.failureStatus ?? order.status;
  const { failureReason, workflowId, runId } = failure;
  const exhausted = count >= order.retry.maxRetries;
  const retry: RetryState = {
    ...order.retry,
    count,
    lastFailureReason: failureReason,
    lastFailureStatus: failureStatus,
    lastFailedAt: failedAt,
    nextRetryAt: exhausted ? null : new Date(failedAt.getTime() + retryBackoff(count, policy.baseDelayMs, policy.maxDelayMs)),
    history: [...order.retry.history, { attempt: count, failureReason, failureStatus, failedAt, workflowId, runId }],
  };
  const counted = nextVersion(order, { retry, deadLettered: exhausted }, ctx);
  const next = exhausted ? withDeadLetterEntry(counted, { failureStatus, failureReason }, ctx.now) : counted;
  const event = exhausted
    ? orderMovedToDlq(next, { finalFailureStatus: failureStatus, finalFailureReason: failureReason, totalRetryAttempts: count }, ctx.now)
    : orderRetryScheduled(next, { retryNumber: count, failureStatus, failureReason }, ctx.now);
  return { order: next, events: [event], movedToDlq: exhausted };
}

/** Back to the last checkpoint so the orchestrator can run the order again; the retry count is kept. */
export function resetOrderForRetry(order: Order, ctx: DecisionContext): Decision {
  assertTransitionAllowed(order, 'resetForRetry');
  const status = destinationOf(order, 'resetForRetry');
  if (status === order.status && order.waveId === null && order.retry.nextRetryAt === null) return null;
  const next = nextVersion(order, { status, waveId: null, retry: { ...order.retry, nextRetryAt: null } }, ctx, 'reset for retry');
  return { order: next, events: [] };
}

export function markMovedToDlq(order: Order, { failureStatus, failureReason }: DlqMove, ctx: DecisionContext): Change {
  assertTransitionAllowed(order, 'moveToDlq');
  const held = nextVersion(order, { deadLettered: true, retry: { ...order.retry, nextRetryAt: null } }, ctx);
  const next = withDeadLetterEntry(held, { failureStatus, failureReason }, ctx.now);
  const failure = { finalFailureStatus: failureStatus, finalFailureReason: failureReason, totalRetryAttempts: order.retry.count };
  return { order: next, events: [orderMovedToDlq(next, failure, ctx.now)] };
}

/**
 * The order's side of resolving a DLQ entry as `manual_retry`: released, retry count back to 0, status reset
 * as in Reset, due for retry right away. `retryNumber` 0 in the event tells the orchestrator it starts afresh;
 * the failure fields repeat the DLQ entry's.
 */
export function releaseFromDlqForRetry(order: Order, entry: DlqMove, ctx: DecisionContext): Change {
  assertTransitionAllowed(order, 'releaseFromDlq');
  const next = nextVersion(
    order,
    {
      status: destinationOf(order, 'releaseFromDlq'),
      waveId: null,
      deadLettered: false,
      retry: { ...order.retry, count: 0, nextRetryAt: ctx.now },
    },
    ctx,
    'released from the dead letter queue for a manual retry',
  );
  const retry = { retryNumber: 0, failureStatus: entry.failureStatus, failureReason: entry.failureReason };
  return { order: next, events: [orderRetryScheduled(next, retry, ctx.now)] };
}

export const DLQ_CANCELLATION_REASON = 'cancelled from the dead letter queue';

/**
 * The order's side of resolving a DLQ entry as `cancelled`: cancelled (reason from the notes) and released.
 * An order already cancelled while held only needs releasing.
 */
export function cancelDeadLetteredOrder(order: Order, { reason }: { reason: string | null }, ctx: DecisionContext): Decision {
  const decision = cancelOrder({ ...order, deadLettered: false }, { reason: reason ?? DLQ_CANCELLATION_REASON }, ctx);
  if (decision !== null || !order.deadLettered) return decision;
  return { order: nextVersion(order, { deadLettered: false }, ctx), events: [] };
}

/**
 * Resolves the order's DLQ entry (CONTRACT §3) and applies the resolution to the order in the same decision:
 * `manual_retry` releases and resets it with a retry due now (retry-scheduled), `cancelled` cancels it with the notes as
 * reason, `escalated` only records the resolution — the order stays held. NOT_FOUND without an entry, CONFLICT when the
 * entry is already resolved or the resolution cannot apply (e.g. a manual retry of an order cancelled while held).
 */
export function resolveDeadLetter(order: Order, resolution: DeadLetterResolution, ctx: DecisionContext): Change {
  const entry = openEntryOf(order);
  const resolved = resolveEntry(entry, resolution, ctx.now);
  let change: Change;
  switch (resolution.resolution) {
    case 'manual_retry':
      change = releaseFromDlqForRetry(order, entry, ctx);
      break;
    case 'cancelled':
      change = cancelDeadLetteredOrder(order, { reason: resolution.notes }, ctx) ?? { order: nextVersion(order, {}, ctx), events: [] };
      break;
    case 'escalated':
      change = { order: nextVersion(order, {}, ctx), events: [] };
      break;
  }
  return { order: { ...change.order, deadLetter: resolved }, events: change.events };
}
