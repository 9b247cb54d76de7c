import type { FilterQuery } from 'mongoose';
import { olderThanCutoff, type DeadLetterGroupCount } from '../models/dead-letter';
import type { DeadLetterListQuery, RetryEligibilityQuery } from '../models/order.input';
import { isFinished } from '../models/order.rules';
import { ORDER_STATUSES, type DeadLetterEntry, type DlqResolution, type Order } from '../models/order.types';
import { STORAGE_ONLY_FIELDS, type OrderDoc, type OrderModel } from './order.document';

/** A DLQ entry as read: the entry plus the order it belongs to. */
export interface StoredDeadLetter {
  orderId: string;
  tenantId: string;
  customerId: string;
  deadLetter: DeadLetterEntry;
}

const ENTRY_PROJECTION = { _id: 0, orderId: 1, tenantId: 1, customerId: 1, deadLetter: 1 } as const;
const AGGREGATE_PROJECTION = Object.fromEntries(STORAGE_ONLY_FIELDS.map((field) => [field, 0]));
const OPEN_STATUSES = ORDER_STATUSES.filter((status) => !isFinished({ status }));

/**
 * Read side of reprocessing and the dead letter queue, over the orders collection (each DLQ entry lives in its order).
 * Only what FerretDB 1.24 serves: plain filters, sort/skip/limit, countDocuments, and `$group` with a single `$sum`
 * (a second accumulator in the same `$group` comes back as 0 there — see docs/decisions.md).
 * Writes never happen here: every change goes through OrderWriter.
 */
export class DeadLetterRepository {
  constructor(private readonly model: OrderModel) {}

  async findEntry(tenantId: string, orderId: string): Promise<StoredDeadLetter | null> {
    return this.model.findOne({ _id: orderId, tenantId, deadLetter: { $ne: null } }, ENTRY_PROJECTION).lean<StoredDeadLetter>();
  }

  async findEntries(tenantId: string, orderIds: string[]): Promise<StoredDeadLetter[]> {
    return this.model.find({ tenantId, orderId: { $in: orderIds }, deadLetter: { $ne: null } }, ENTRY_PROJECTION).lean<StoredDeadLetter[]>();
  }

  /** Newest first (moved to the DLQ most recently), ties by order id; `total` counts every match. */
  async list(tenantId: string, query: DeadLetterListQuery, now: Date): Promise<{ entries: StoredDeadLetter[]; total: number }> {
    const filter: FilterQuery<OrderDoc> = { tenantId, deadLetter: { $ne: null } };
    if (query.resolved !== null) filter['deadLetter.resolved'] = query.resolved;
    if (query.failureStatus !== null) filter['deadLetter.failureStatus'] = query.failureStatus;
    if (query.customerId !== null) filter.customerId = query.customerId;
    if (query.olderThanHours !== null) filter['deadLetter.createdAt'] = { $lt: olderThanCutoff(now, query.olderThanHours) };
    const [entries, total] = await Promise.all([
      this.model
        .find(filter, ENTRY_PROJECTION)
        .sort({ 'deadLetter.createdAt': -1, orderId: -1 })
        .skip(query.offset)
        .limit(query.limit)
        .lean<StoredDeadLetter[]>(),
      this.model.countDocuments(filter),
    ]);
    return { entries, total };
  }

  /** Entries counted per (resolved, failure status, resolution, retry count): one `$group`, one `$sum`. */
  async countGroups(tenantId: string | null): Promise<DeadLetterGroupCount[]> {
    const match: FilterQuery<OrderDoc> = { deadLetter: { $ne: null } };
    if (tenantId !== null) match.tenantId = tenantId;
    const rows = await this.model.aggregate<{
      _id: { resolved: boolean; failureStatus: string; resolution: DlqResolution | null; retryCount: number };
      count: number;
    }>([
      { $match: match },
      {
        $group: {
          _id: {
            resolved: '$deadLetter.resolved',
            failureStatus: '$deadLetter.failureStatus',
            resolution: '$deadLetter.resolution',
            retryCount: '$deadLetter.retryCount',
          },
          count: { $sum: 1 },
        },
      },
    ]);
    return rows.map(({ _id, count }) => ({
      resolved: _id.resolved === true,
      failureStatus: _id.failureStatus,
      resolution: _id.resolution ?? null,
      retryCount: _id.retryCount ?? 0,
      count,
    }));
  }

  /** When the longest-waiting unresolved entry was created (null when none); `tenantId` null: over all tenants. */
  async oldestUnresolvedAt(tenantId: string | null): Promise<Date | null> {
    const filter: FilterQuery<OrderDoc> = { 'deadLetter.resolved': false };
    if (tenantId !== null) filter.tenantId = tenantId;
    const [oldest] = await this.model
      .find(filter, { _id: 0, 'deadLetter.createdAt': 1 })
      .sort({ 'deadLetter.createdAt': 1 })
      .limit(1)
      .lean<Array<{ deadLetter: { createdAt: Date } }>>();
    return oldest?.deadLetter.createdAt ?? null;
  }

  async countUnresolved(tenantId: string | null): Promise<number> {
    const filter: FilterQuery<OrderDoc> = { 'deadLetter.resolved': false };
    if (tenantId !== null) filter.tenantId = tenantId;
    return this.model.countDocuments(filter);
  }

  /**
   * Orders due for a retry (CONTRACT §2; the same rule as `isDueForRetry`): failed at least once, fewer than
   * `maxRetries` failures, not held, not finished, backoff elapsed. Oldest due first; `total` counts every match.
   */
  async findDueForRetry(tenantId: string, query: RetryEligibilityQuery, now: Date): Promise<{ orders: Order[]; total: number }> {
    const statuses = query.statuses ? query.statuses.filter((status) => OPEN_STATUSES.includes(status)) : OPEN_STATUSES;
    const filter: FilterQuery<OrderDoc> = {
      tenantId,
      status: { $in: statuses },
      deadLettered: false,
      'retry.count': { $gte: 1, $lt: query.maxRetries },
      'retry.nextRetryAt': { $ne: null, $lte: now },
    };
    const [orders, total] = await Promise.all([
      this.model.find(filter, AGGREGATE_PROJECTION).sort({ 'retry.nextRetryAt': 1, orderId: 1 }).limit(query.limit).lean<Order[]>(),
      this.model.countDocuments(filter),
    ]);
    return { orders, total };
  }
}
