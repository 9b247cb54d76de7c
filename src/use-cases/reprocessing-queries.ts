import type { RetryEligibilityQuery } from '../models/order.input';
import { OrderNotFound } from '../models/order.errors';
import type { Order } from '../models/order.types';
import type { RequestContext } from '../observability/request-context';
import type { OrderRepository } from '../store/order.repository';
import type { ReprocessingRepository } from '../store/reprocessing.repository';

/** Read side of reprocessing (CONTRACT §2): an order's retry metadata and the orders due for a retry. */
export class ReprocessingQueries {
  constructor(
    private readonly orders: OrderRepository,
    private readonly dueForRetry: ReprocessingRepository,
    /** MAX_RETRIES: the bound of `eligibleForRetry` when the caller gives none. */
    private readonly defaultMaxRetries: number,
  ) {}

  async retryMetadata(request: RequestContext, orderId: string): Promise<Order> {
    const order = await this.orders.findById(request.tenantId, orderId);
    if (!order) throw new OrderNotFound(orderId);
    return order;
  }

  eligibleForRetry(request: RequestContext, query: RetryEligibilityQuery): Promise<{ orders: Order[]; total: number }> {
    return this.dueForRetry.findDueForRetry(request.tenantId, { ...query, maxRetries: query.maxRetries ?? this.defaultMaxRetries }, new Date());
  }
}
