import type { RetryEligibilityQuery } from '../models/order.input';
import { isDueForRetry } from '../models/order.rules';
import { ORDER_STATUSES, type Order } from '../models/order.types';
import { AGGREGATE_PROJECTION, type OrderModel } from './order.document';

/** Read side of reprocessing: the orders due for a retry (their writes go through OrderWriter, as every change). */
export class ReprocessingRepository {
  constructor(private readonly model: OrderModel) {}

  /**
   * Orders due for a retry (CONTRACT §2): `isDueForRetry` with the caller's `maxRetries` and statuses. The index range
   * on `retryDueAt` (set only while an order can be retried) finds the orders whose backoff has elapsed; the caller's
   * limits apply to those here. Oldest due first; `total` counts every match.
   */
  async findDueForRetry(tenantId: string, query: RetryEligibilityQuery & { maxRetries: number }, now: Date): Promise<{ orders: Order[]; total: number }> {
    const statuses = new Set(query.statuses ?? ORDER_STATUSES);
    const cursor = this.model
      .find({ tenantId, retryDueAt: { $lt: new Date(now.getTime() + 1) } }, AGGREGATE_PROJECTION)
      .sort({ retryDueAt: 1, orderId: 1 })
      .lean<Order[]>()
      .cursor();
    const orders: Order[] = [];
    let total = 0;
    for await (const order of cursor as AsyncIterable<Order>) {
      if (!statuses.has(order.status) || !isDueForRetry(order, now, query.maxRetries)) continue;
      total += 1;
      if (orders.length < query.limit) orders.push(order);
    }
    return { orders, total };
  }
}
