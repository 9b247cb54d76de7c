import type { Order } from '../models/order.types';

/** Internal notices on the live topic; they feed GraphQL subscriptions and are not part of the public event catalogue. */
export const LIVE_EVENT_TYPES = {
  orderStatusChanged: 'wms.order.internal.status-changed',
  deadLetterQueueChanged: 'wms.order.internal.dlq-changed',
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
