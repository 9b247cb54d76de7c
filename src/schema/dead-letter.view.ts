import { isEligibleForRetry } from '../models/order.rules';
import type { DeadLetterQueueItem, DeadLetterRecord, Order as OrderState } from '../models/order.types';
import type { DeadLetterStatsRead } from '../use-cases/dead-letter-queries';
import type { DeadLetterEntry, DeadLetterStats, PastDeadLetterEntry } from './dead-letter.type';
import { toOrderView } from './order.view';
import type { RetryCandidate, RetryMetadata } from './reprocessing.type';
import type { DeadLetterResolutionEnum, OrderStatusEnum } from './enums';

/** Public shapes of the reprocessing and DLQ read models. */

function toRecordView(record: DeadLetterRecord, now: Date): PastDeadLetterEntry {
  return {
    failureStatus: record.failureStatus,
    failureReason: record.failureReason,
    retryCount: record.retryCount,
    retryHistory: record.retryHistory,
    originalOrder: toOrderView({ ...record.originalOrder, deadLetter: null }, now),
    resolved: record.resolved,
    resolution: record.resolution as DeadLetterResolutionEnum | null,
    resolvedBy: record.resolvedBy,
    resolvedAt: record.resolvedAt,
    notes: record.notes,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function toDeadLetterEntryView({ orderId, customerId, deadLetter }: DeadLetterQueueItem, now: Date = new Date()): DeadLetterEntry {
  return {
    ...toRecordView(deadLetter, now),
    orderId,
    customerId,
    customer: { id: customerId },
    history: deadLetter.history.map((record) => toRecordView(record, now)),
  };
}

/** The entry of an order that has one (after a move or a resolution). */
export function deadLetterEntryOf(order: OrderState): DeadLetterQueueItem {
  if (!order.deadLetter) throw new Error(`order ${order.orderId} has no dead letter queue entry`);
  return { orderId: order.orderId, tenantId: order.tenantId, customerId: order.customerId, deadLetter: order.deadLetter };
}

/** `oldestUnresolvedAt` is searched for only if the operation selects it (a getter, read by GraphQL's default resolver). */
export function toDeadLetterStatsView({ oldestUnresolvedAt, ...stats }: DeadLetterStatsRead): DeadLetterStats {
  return {
    ...stats,
    byResolution: stats.byResolution.map(({ resolution, count }) => ({ resolution: resolution as DeadLetterResolutionEnum, count })),
    get oldestUnresolvedAt() {
      return oldestUnresolvedAt();
    },
  };
}

export function toRetryMetadataView(order: OrderState, now: Date = new Date()): RetryMetadata {
  return {
    orderId: order.orderId,
    retryCount: order.retry.count,
    maxRetries: order.retry.maxRetries,
    lastFailureReason: order.retry.lastFailureReason,
    lastFailureStatus: order.retry.lastFailureStatus,
    lastFailedAt: order.retry.lastFailedAt,
    nextRetryAt: order.retry.nextRetryAt,
    isEligibleForRetry: isEligibleForRetry(order),
    order: toOrderView(order, now),
  };
}

export function toRetryCandidateView(order: OrderState, now: Date = new Date()): RetryCandidate {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: order.status as OrderStatusEnum,
    retryCount: order.retry.count,
    maxRetries: order.retry.maxRetries,
    lastFailureReason: order.retry.lastFailureReason,
    lastFailureStatus: order.retry.lastFailureStatus,
    lastFailedAt: order.retry.lastFailedAt,
    // Due orders always have one (the query requires it).
    nextRetryAt: order.retry.nextRetryAt ?? now,
    createdAt: order.createdAt,
    order: toOrderView(order, now),
  };
}
