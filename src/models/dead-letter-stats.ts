import type { DeadLetterListQuery } from './order.input';
import { DLQ_RESOLUTIONS, type DeadLetterEntry, type DlqResolution } from './order.types';

/**
 * The dead letter queue's statistics kept as counters (CONTRACT §3 stats), pure: how one write changes them, and how
 * the stored counters read as the queue's statistics. Reading them costs a handful of small documents however long
 * the queue is; the counters change in the same transaction as the entry they count (src/store/dead-letter-stats.repository.ts).
 */

/** Counter paths and by how much a write moves them: `total`, `unresolved`, `retrySum`, `byStatus.<status>`, `byResolution.<resolution>`. */
export type DeadLetterStatsDelta = Record<string, number>;

export interface DeadLetterCounters {
  total: number;
  unresolved: number;
  /** Σ retryCount over current entries, for `averageRetries`. */
  retrySum: number;
  /** Unresolved entries per failure status (key encoded, see counterKey). */
  byStatus: Record<string, number>;
  /** Resolved entries per resolution. */
  byResolution: Record<string, number>;
}

export interface DeadLetterStats {
  /** Current entries, one per order (earlier, reopened entries are history, not counted). */
  totalEntries: number;
  unresolvedCount: number;
  resolvedCount: number;
  /** Over unresolved entries, so the values sum to `unresolvedCount`; largest first. */
  byFailureStatus: Array<{ failureStatus: string; count: number }>;
  /** Over resolved entries, every resolution listed (0 when none), so the values sum to `resolvedCount`. */
  byResolution: Array<{ resolution: DlqResolution; count: number }>;
  oldestUnresolvedAt: Date | null;
  /** Mean failed attempts over all current entries, to 2 decimals; 0 when the queue is empty. */
  averageRetries: number;
}

type CountedEntry = Pick<DeadLetterEntry, 'resolved' | 'resolution' | 'failureStatus' | 'retryCount'>;

/**
 * How replacing an order's entry `before` by `after` (either null: no entry) moves the counters; empty when it does not.
 * Failure statuses are free text, so they are encoded before they become part of a field path.
 */
export function deadLetterStatsDelta(before: CountedEntry | null, after: CountedEntry | null): DeadLetterStatsDelta {
  const delta: DeadLetterStatsDelta = {};
  const add = (path: string, by: number) => {
    delta[path] = (delta[path] ?? 0) + by;
    if (delta[path] === 0) delete delta[path];
  };
  for (const [entry, sign] of [
    [before, -1],
    [after, 1],
  ] as const) {
    if (!entry) continue;
    add('total', sign);
    add('retrySum', sign * entry.retryCount);
    if (entry.resolved) add(`byResolution.${counterKey(entry.resolution ?? 'unknown')}`, sign);
    else {
      add('unresolved', sign);
      add(`byStatus.${counterKey(entry.failureStatus)}`, sign);
    }
  }
  return delta;
}

/** Sums counter documents (the store spreads a tenant's counters over a few documents so writers rarely meet). */
export function addCounters(parts: ReadonlyArray<Partial<DeadLetterCounters>>): DeadLetterCounters {
  const sum: DeadLetterCounters = { total: 0, unresolved: 0, retrySum: 0, byStatus: {}, byResolution: {} };
  for (const part of parts) {
    sum.total += part.total ?? 0;
    sum.unresolved += part.unresolved ?? 0;
    sum.retrySum += part.retrySum ?? 0;
    for (const key of ['byStatus', 'byResolution'] as const) {
      for (const [name, count] of Object.entries(part[key] ?? {})) sum[key][name] = (sum[key][name] ?? 0) + count;
    }
  }
  return sum;
}

export function statsFromCounters(counters: DeadLetterCounters, oldestUnresolvedAt: Date | null): DeadLetterStats {
  const byFailureStatus = Object.entries(counters.byStatus)
    .filter(([, count]) => count > 0)
    .map(([key, count]) => ({ failureStatus: fromCounterKey(key), count }))
    .sort((a, b) => b.count - a.count || a.failureStatus.localeCompare(b.failureStatus));
  return {
    totalEntries: counters.total,
    unresolvedCount: counters.unresolved,
    resolvedCount: counters.total - counters.unresolved,
    byFailureStatus,
    byResolution: DLQ_RESOLUTIONS.map((resolution) => ({ resolution, count: counters.byResolution[resolution] ?? 0 })),
    oldestUnresolvedAt: counters.unresolved > 0 ? oldestUnresolvedAt : null,
    averageRetries: counters.total === 0 ? 0 : Math.round((counters.retrySum / counters.total) * 100) / 100,
  };
}

type DeadLetterListFilter = Pick<DeadLetterListQuery, 'resolved' | 'failureStatus' | 'customerId' | 'olderThanHours'>;

/**
 * Whether the counters tell how many entries a DLQ list filter matches: not with a customer or an age filter, nor for a
 * failure status over resolved entries (the counters keep failure statuses of unresolved entries only).
 */
export function countersCanCount(filter: DeadLetterListFilter): boolean {
  return filter.customerId === null && filter.olderThanHours === null && (filter.failureStatus === null || filter.resolved === false);
}

/**
 * How many entries a filter the counters can count (countersCanCount) matches. They count the entries the list reads
 * (the orders' current entries), so the two agree.
 */
export function countedListTotal(counters: DeadLetterCounters, filter: DeadLetterListFilter): number {
  if (filter.failureStatus !== null) return counters.byStatus[counterKey(filter.failureStatus)] ?? 0;
  if (filter.resolved === null) return counters.total;
  return filter.resolved ? counters.total - counters.unresolved : counters.unresolved;
}

/** A field-name-safe form of free text: `.` and `$` have meaning in MongoDB field paths, `%` escapes them. */
export function counterKey(name: string): string {
  return name.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}

export function fromCounterKey(key: string): string {
  return key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
}
