import { refuse } from './order-transitions';
import { DeadLetterEntryAlreadyResolved, DeadLetterEntryNotFound, InvalidInput } from './order.errors';
import type { DlqMove } from './order.input';
import type { DeadLetterEntry, DeadLetterRecord, DlqResolution, Order, OrderSnapshot } from './order.types';

/**
 * The dead letter queue's own rules (CONTRACT §3), pure: opening an entry (or reopening it after a resolution),
 * resolving it, and telling which writes change the queue. Its statistics: dead-letter-stats.ts.
 * What a resolution does to the order itself is in order.reprocessing.ts.
 */

export function snapshotOf(order: Order): OrderSnapshot {
  const { deadLetter: _entry, retiredDeadLetterEntries: _retired, ...snapshot } = order;
  return snapshot;
}

/** The entry without its own history, as it is kept in a later entry's `history`. */
export function recordOf({ history: _history, ...record }: DeadLetterEntry): DeadLetterRecord {
  return record;
}

/**
 * The order moved to the DLQ, `order` being the order as held (its failure recorded): its new entry, whose history
 * takes the earlier entries — the current one (which must be resolved) and those the retention retired — so no
 * resolution is ever lost.
 */
export function withDeadLetterEntry(order: Order, move: DlqMove, now: Date): Order {
  const entry = openDeadLetterEntry(order, move, now);
  // Set, not left out: a write stores the fields it is given, and the retired entries now live in the entry's history.
  return { ...order, deadLetter: entry, ...(order.retiredDeadLetterEntries?.length ? { retiredDeadLetterEntries: [] } : {}) };
}

/** The entry of an order being moved to the DLQ (see withDeadLetterEntry). */
export function openDeadLetterEntry(order: Order, { failureStatus, failureReason }: DlqMove, now: Date): DeadLetterEntry {
  const previous = order.deadLetter;
  if (previous && !previous.resolved) throw refuse(order, 'moveToDlq', 'the order already has an unresolved dead letter queue entry');
  const retired = order.retiredDeadLetterEntries ?? [];
  return {
    failureStatus,
    failureReason,
    retryCount: order.retry.count,
    retryHistory: order.retry.history,
    originalOrder: snapshotOf(order),
    resolved: false,
    resolution: null,
    resolvedBy: null,
    resolvedAt: null,
    notes: null,
    createdAt: now,
    updatedAt: now,
    history: [...retired, ...(previous ? [...previous.history, recordOf(previous)] : [])],
  };
}

/** The order's entry, which must still be waiting for a resolution: NOT_FOUND without one, CONFLICT once resolved. */
export function openEntryOf(order: Pick<Order, 'orderId' | 'status' | 'deadLetter'>): DeadLetterEntry {
  const entry = order.deadLetter;
  if (!entry) throw new DeadLetterEntryNotFound(order.orderId);
  if (entry.resolved) {
    throw new DeadLetterEntryAlreadyResolved(order.orderId, order.status, entry.resolution ?? 'unknown', entry.resolvedAt ?? entry.updatedAt);
  }
  return entry;
}

export interface DeadLetterResolution {
  resolution: DlqResolution;
  notes: string | null;
  /** The caller (see resolverOf). */
  resolvedBy: string;
  /** Set when a bulk redrive task resolves the entry: marks it as that task's (redrivenBy). */
  redriveTaskId?: string;
}

/** Who resolved an entry when nobody can be told (no authenticated caller). */
export const ANONYMOUS_RESOLVER = 'anonymous';

/**
 * Who resolves an entry: the caller. A `resolvedBy` in the request is accepted only when it names the caller — a
 * supervisor cannot record a resolution in someone else's name.
 */
export function resolverOf(claimed: string | null, caller: string | null): string {
  if (claimed !== null && caller !== null && claimed !== caller) {
    throw new InvalidInput([{ field: 'resolvedBy', message: `must be the caller (${caller}) or left out` }]);
  }
  return caller ?? claimed ?? ANONYMOUS_RESOLVER;
}

export function resolveEntry(entry: DeadLetterEntry, { resolution, notes, resolvedBy, redriveTaskId }: DeadLetterResolution, now: Date): DeadLetterEntry {
  return { ...entry, resolved: true, resolution, notes, resolvedBy, resolvedAt: now, updatedAt: now, ...(redriveTaskId ? { redriveTaskId } : {}) };
}

export const DEAD_LETTER_CHANGE_KINDS = ['added', 'resolved', 'retired'] as const;
export type DeadLetterChangeKind = (typeof DEAD_LETTER_CHANGE_KINDS)[number];

/**
 * How a write changed the dead letter queue, for the live feed: an entry opened (or reopened), an entry resolved, an
 * entry retired (it left the queue: dead-letter-retention.ts), or neither.
 */
export function deadLetterChange(before: Pick<Order, 'deadLetter'> | null, after: Pick<Order, 'deadLetter'>): DeadLetterChangeKind | null {
  const wasOpen = before?.deadLetter != null && !before.deadLetter.resolved;
  const isOpen = after.deadLetter != null && !after.deadLetter.resolved;
  if (isOpen && !wasOpen) return 'added';
  if (wasOpen && after.deadLetter?.resolved) return 'resolved';
  if (before?.deadLetter != null && after.deadLetter == null) return 'retired';
  return null;
}

/** Entries older than `hours` (fractional) were created before this instant; whole milliseconds, so 1.5 h is exactly 5 400 000 ms. */
export function olderThanCutoff(now: Date, hours: number): Date {
  return new Date(now.getTime() - Math.round(hours * 3_600_000));
}
