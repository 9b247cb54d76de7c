import { recordOf } from './dead-letter';
import { nextVersion, type Decision, type DecisionContext } from './order.decision';
import type { DeadLetterEntry, Order } from './order.types';

/**
 * The dead letter queue's retention (DLQ_RETENTION), pure: a resolved entry older than the retention leaves the queue —
 * its list and its statistics, which read the orders' current entry only — and stays with its order, among the order's
 * retired entries. Nothing else of the order changes: an order held after an `escalated` resolution stays held.
 */

/** Entries resolved before this instant are due for retirement. */
export function retentionCutoff(now: Date, retentionMs: number): Date {
  return new Date(now.getTime() - retentionMs);
}

/** Whether the entry was resolved longer than the retention ago (an unresolved entry never is). */
export function isDueForRetirement(entry: Pick<DeadLetterEntry, 'resolved' | 'resolvedAt'> | null, now: Date, retentionMs: number): boolean {
  return entry !== null && entry.resolved && entry.resolvedAt !== null && entry.resolvedAt.getTime() < retentionCutoff(now, retentionMs).getTime();
}

/**
 * Takes the order's entry out of the queue once it is due: `deadLetter` becomes null and the entry, with the earlier
 * entries of its `history`, joins the order's retired entries (oldest first). Null — nothing to write — when the order
 * has no entry or it is not due (already retired by another replica, reopened, or resolved too recently), so deciding
 * twice never retires twice. No domain event: the order's processing did not change; the live notice (`retired`)
 * tells the queue's watchers.
 */
export function retireDeadLetterEntry(order: Order, retentionMs: number, ctx: DecisionContext): Decision {
  const entry = order.deadLetter;
  if (!entry || !isDueForRetirement(entry, ctx.now, retentionMs)) return null;
  const retiredDeadLetterEntries = [...(order.retiredDeadLetterEntries ?? []), ...entry.history, recordOf(entry)];
  return { order: nextVersion(order, { deadLetter: null, retiredDeadLetterEntries }, ctx), events: [] };
}
