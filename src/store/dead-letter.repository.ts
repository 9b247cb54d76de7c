import type { FilterQuery } from 'mongoose';
import { olderThanCutoff } from '../models/dead-letter';
import { counterKey, type DeadLetterCounters } from '../models/dead-letter-stats';
import type { RedriveFilter } from '../models/dead-letter-redrive';
import type { DeadLetterListQuery } from '../models/order.input';
import type { DeadLetterQueueItem } from '../models/order.types';
import type { OrderDoc, OrderModel } from './order.document';

const ENTRY_PROJECTION = { _id: 0, orderId: 1, tenantId: 1, customerId: 1, deadLetter: 1 } as const;
/**
 * Orders holding a DLQ entry: those with a move date, as a range the DLQ indexes serve (every move is after 1970).
 * A retired entry is no longer the order's `deadLetter`, so every read here leaves it out by construction.
 * Ranges here are written with strict bounds (`$gt: t − 1 ms` for `≥ t`; dates have millisecond precision):
 * SecantusDB 0.7.0b3 drops the boundary key of an inclusive bound on a compound index's range field.
 */
const HAS_ENTRY = { $gt: new Date(0) } as const;

/**
 * Read side of the dead letter queue, over the orders collection (each DLQ entry lives in its order).
 * Every query here is served by an index of order.document.ts (test/integration/store-plan.test.ts checks the plans).
 * Writes never happen here: every change goes through OrderWriter.
 */
export class DeadLetterRepository {
  constructor(private readonly model: OrderModel) {}

  // By `_id` alone, tenant and entry checked here (as OrderRepository.findById).
  async findEntry(tenantId: string, orderId: string): Promise<DeadLetterQueueItem | null> {
    const [entry] = await this.findEntries(tenantId, [orderId]);
    return entry ?? null;
  }

  async findEntries(tenantId: string, orderIds: string[]): Promise<DeadLetterQueueItem[]> {
    const found = await this.model.find({ _id: { $in: orderIds } }, ENTRY_PROJECTION).lean<DeadLetterQueueItem[]>();
    return found.filter((entry) => entry.tenantId === tenantId && entry.deadLetter != null);
  }

  /**
   * Newest first (moved to the DLQ most recently), ties by order id; `total` counts every match, unless the caller
   * already knows it (`knownTotal`, from the kept counters).
   */
  async list(
    tenantId: string,
    query: DeadLetterListQuery,
    now: Date,
    knownTotal: number | null = null,
  ): Promise<{ entries: DeadLetterQueueItem[]; total: number }> {
    const filter: FilterQuery<OrderDoc> = { tenantId, 'deadLetter.createdAt': HAS_ENTRY };
    if (query.resolved !== null) filter['deadLetter.resolved'] = query.resolved;
    if (query.failureStatus !== null) filter['deadLetter.failureStatus'] = query.failureStatus;
    if (query.customerId !== null) filter.customerId = query.customerId;
    if (query.olderThanHours !== null) filter['deadLetter.createdAt'] = { ...HAS_ENTRY, $lt: olderThanCutoff(now, query.olderThanHours) };
    const [entries, total] = await Promise.all([
      this.model
        .find(filter, ENTRY_PROJECTION)
        .sort({ 'deadLetter.createdAt': -1, orderId: -1 })
        .skip(query.offset)
        .limit(query.limit)
        .lean<DeadLetterQueueItem[]>(),
      knownTotal ?? this.model.countDocuments(filter),
    ]);
    return { entries, total };
  }

  /**
   * Entries of every tenant resolved before `cutoff`, longest resolved first, at most `limit`: what the retention
   * retires next (src/use-cases/dead-letter-retention.ts). Served by the partial index of resolved entries.
   */
  async findDueForRetirement(cutoff: Date, limit: number): Promise<Array<{ orderId: string; tenantId: string }>> {
    return this.model
      .find({ 'deadLetter.resolved': true, 'deadLetter.resolvedAt': { ...HAS_ENTRY, $lt: cutoff } }, { _id: 0, orderId: 1, tenantId: 1 })
      .sort({ 'deadLetter.resolvedAt': 1, orderId: 1 })
      .limit(limit)
      .lean<Array<{ orderId: string; tenantId: string }>>();
  }

  /**
   * The entries a bulk redrive takes (at most `cap`): unresolved ones matching the filter, newest first, through the
   * same indexes as the list; `reasonContains` is a case-insensitive match over the entries those select. Explicit
   * order ids keep their order, and only the tenant's unresolved entries among them are taken.
   */
  async selectForRedrive(tenantId: string, filter: RedriveFilter, cap: number, now: Date): Promise<string[]> {
    if (filter.orderIds) {
      const found = await this.model
        .find({ _id: { $in: filter.orderIds } }, { _id: 0, orderId: 1, tenantId: 1, 'deadLetter.resolved': 1 })
        .lean<Array<{ orderId: string; tenantId: string; deadLetter: { resolved: boolean } | null }>>();
      const open = new Set(found.filter((entry) => entry.tenantId === tenantId && entry.deadLetter?.resolved === false).map((entry) => entry.orderId));
      return filter.orderIds.filter((orderId) => open.has(orderId)).slice(0, cap);
    }
    const query: FilterQuery<OrderDoc> = { tenantId, 'deadLetter.resolved': false, 'deadLetter.createdAt': HAS_ENTRY };
    if (filter.failureStatus !== null) query['deadLetter.failureStatus'] = filter.failureStatus;
    if (filter.customerId !== null) query.customerId = filter.customerId;
    if (filter.olderThanHours !== null) query['deadLetter.createdAt'] = { ...HAS_ENTRY, $lt: olderThanCutoff(now, filter.olderThanHours) };
    if (filter.reasonContains !== null) query['deadLetter.failureReason'] = { $regex: escapeRegExp(filter.reasonContains), $options: 'i' };
    // The index of the most selective equality, named: SecantusDB plans by the filter's shape and scans the collection
    // for shapes no index matches field for field (resolved + failure status, a reason pattern); the others are filtered
    // on the entries that index range holds.
    const index =
      filter.failureStatus !== null
        ? { tenantId: 1, 'deadLetter.failureStatus': 1, 'deadLetter.createdAt': -1, orderId: -1 }
        : filter.customerId !== null
          ? { tenantId: 1, customerId: 1, 'deadLetter.createdAt': -1, orderId: -1 }
          : { tenantId: 1, 'deadLetter.resolved': 1, 'deadLetter.createdAt': -1, orderId: -1 };
    const selected = await this.model
      .find(query, { _id: 0, orderId: 1 })
      .sort({ 'deadLetter.createdAt': -1, orderId: -1 })
      .hint(index)
      .limit(cap)
      .lean<Array<{ orderId: string }>>();
    return selected.map((entry) => entry.orderId);
  }

  /**
   * The queue's counters recounted from the entries themselves, in one aggregation: what the kept counters
   * (dead-letter-stats.repository.ts) must always equal. It reads every entry of the tenant: for checks, not requests.
   */
  async recount(tenantId: string): Promise<DeadLetterCounters> {
    const rows = await this.model.aggregate<{ _id: { resolved: boolean; key: string }; count: number; retries: number }>([
      { $match: { tenantId, 'deadLetter.createdAt': HAS_ENTRY } },
      {
        $group: {
          _id: { resolved: '$deadLetter.resolved', key: { $cond: ['$deadLetter.resolved', '$deadLetter.resolution', '$deadLetter.failureStatus'] } },
          count: { $sum: 1 },
          retries: { $sum: '$deadLetter.retryCount' },
        },
      },
    ]);
    const counters: DeadLetterCounters = { total: 0, unresolved: 0, retrySum: 0, byStatus: {}, byResolution: {} };
    for (const { _id, count, retries } of rows) {
      counters.total += count;
      counters.retrySum += retries;
      if (_id.resolved) counters.byResolution[counterKey(_id.key)] = count;
      else {
        counters.unresolved += count;
        counters.byStatus[counterKey(_id.key)] = count;
      }
    }
    return counters;
  }

  /**
   * When the tenant's longest-waiting unresolved entry was moved to the queue (null when none), given a time no
   * unresolved entry should be older than (null: not known, so the whole queue is read once). Searched in windows from that
   * bound on, each twice as long as the last: a store that reads every entry an index range holds before it sorts
   * (SecantusDB does) then reads only the entries of the first window that has any, not the whole queue; with a tight
   * bound that is one small read. MongoDB answers each window from the index's first key.
   */
  async oldestUnresolvedAt(tenantId: string, since: Date | null, now = new Date()): Promise<Date | null> {
    const oldestIn = async (range: { $lt?: Date; $gt?: Date }) => {
      const [oldest] = await this.model
        .find({ tenantId, 'deadLetter.resolved': false, 'deadLetter.createdAt': range }, { _id: 0, 'deadLetter.createdAt': 1 })
        .sort({ 'deadLetter.createdAt': 1, orderId: 1 })
        .limit(1)
        .lean<Array<{ deadLetter: { createdAt: Date } }>>();
      return oldest?.deadLetter.createdAt ?? null;
    };
    if (since === null) return oldestIn(HAS_ENTRY);
    // The bound is a hint kept beside the counters: an entry below it (which should not exist) is found first, so a
    // bound that went wrong costs time, never a wrong answer.
    const belowBound = await oldestIn({ ...HAS_ENTRY, $lt: since });
    if (belowBound) return belowBound;
    let from = since.getTime();
    for (let span = 60_000; from <= now.getTime(); span *= 2) {
      const until = Math.min(from + span, now.getTime() + 1);
      const oldest = await oldestIn({ $gt: new Date(from - 1), $lt: new Date(until) });
      if (oldest) return oldest;
      from = until;
    }
    // Moved after `now` by a replica whose clock is ahead.
    return oldestIn({ $gt: new Date(from - 1) });
  }
}

/** The text as a pattern that matches exactly it (the caller's text is never read as a regular expression). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
