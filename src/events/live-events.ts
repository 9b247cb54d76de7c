import type { DeadLetterChangeKind } from '../models/dead-letter';
import type { DeadLetterRedriveTask } from '../models/dead-letter-redrive';
import type { DeadLetterEntry, Order } from '../models/order.types';

/** Internal notices on the live topic; they feed GraphQL subscriptions and are not part of the public event catalogue. */
export const LIVE_EVENT_TYPES = {
  orderStatusChanged: 'wms.order.internal.status-changed',
  deadLetterQueueChanged: 'wms.order.internal.dlq-changed',
  deadLetterRedriveProgress: 'wms.order.internal.dlq-redrive-progress',
} as const;

export interface OrderStatusChangedNotice {
  orderId: string;
  tenantId: string;
  from: string;
  to: string;
  at: string;
}

export function orderStatusChangedNotice(before: Order, after: Order): OrderStatusChangedNotice {
  return { orderId: after.orderId, tenantId: after.tenantId, from: before.status, to: after.status, at: after.updatedAt.toISOString() };
}

/**
 * A change of the dead letter queue: an entry added (or reopened), resolved or retired. Carries the entry as it stood
 * after the write (a retired entry: as it stood when it left the queue), so every replica's subscribers see the same
 * entry whatever happened since; statistics are computed on receipt.
 */
export interface DeadLetterQueueChangedNotice {
  kind: DeadLetterChangeKind;
  orderId: string;
  tenantId: string;
  customerId: string;
  entry: DeadLetterEntry;
  occurredAt: string;
}

export function deadLetterQueueChangedNotice(
  after: Order,
  kind: DeadLetterChangeKind,
  entry: DeadLetterEntry | null = after.deadLetter,
): DeadLetterQueueChangedNotice {
  if (!entry) throw new Error(`order ${after.orderId} has no dead letter queue entry to announce`);
  return {
    kind,
    orderId: after.orderId,
    tenantId: after.tenantId,
    customerId: after.customerId,
    entry,
    occurredAt: after.updatedAt.toISOString(),
  };
}

/** Every key that holds an instant anywhere in a DLQ entry (the entry, its retry history, the order snapshot, past entries). */
const DATE_KEYS = new Set([
  'createdAt',
  'updatedAt',
  'resolvedAt',
  'failedAt',
  'at',
  'promisedDeliveryAt',
  'cancelledAt',
  'deliveredAt',
  'validatedAt',
  'lastFailedAt',
  'nextRetryAt',
  'fulfilledAt',
]);

function reviveDates(value: unknown, key: string | null): unknown {
  if (key !== null && DATE_KEYS.has(key) && typeof value === 'string') return new Date(value);
  if (Array.isArray(value)) return value.map((item) => reviveDates(item, null));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, nested]) => [name, reviveDates(nested, name)]));
  }
  return value;
}

/** A notice as it arrives from the live topic (JSON: instants are strings) back to its typed form. */
export function readDeadLetterQueueChangedNotice(data: unknown): DeadLetterQueueChangedNotice {
  const notice = data as DeadLetterQueueChangedNotice;
  return { ...notice, entry: reviveDates(notice.entry, null) as DeadLetterEntry };
}

/** A bulk redrive task as it stood after one of its writes (src/events/redrive-progress.ts sends it). */
export type DeadLetterRedriveProgressNotice = DeadLetterRedriveTask;

const TASK_DATE_KEYS = ['createdAt', 'startedAt', 'finishedAt', 'cancelRequestedAt', 'updatedAt'] as const;

/** A progress notice as it arrives from the live topic (JSON) back to the task. */
export function readDeadLetterRedriveProgressNotice(data: unknown): DeadLetterRedriveProgressNotice {
  const task = { ...(data as Record<string, unknown>) };
  for (const key of TASK_DATE_KEYS) task[key] = typeof task[key] === 'string' ? new Date(task[key]) : null;
  return task as unknown as DeadLetterRedriveProgressNotice;
}
