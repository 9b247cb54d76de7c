import { z } from 'zod';
import { LIST_LIMITS } from '../models/input-limits';
import { InvalidInput } from '../models/order.errors';
import type { Order, OrderListFilter } from '../models/order.types';
import type { OrderRepository } from '../store/order.repository';
import type { RequestContext } from '../observability/request-context';
import { OrderNotFound } from '../models/order.errors';

export const MAX_PAGE_SIZE = LIST_LIMITS.pageSizeMax;
export const DEFAULT_PAGE_SIZE = LIST_LIMITS.pageSizeDefault;

const paging = z.object({
  page: z.number().int().min(1, 'must be at least 1').max(LIST_LIMITS.pageMax, `must be at most ${LIST_LIMITS.pageMax}`).default(1),
  pageSize: z.number().int().min(1, 'must be at least 1').max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`).default(DEFAULT_PAGE_SIZE),
});

export interface OrderPageResult {
  orders: Order[];
  page: number;
  pageSize: number;
  total: number;
  hasMore: boolean;
}

/** Read side for orders: lean reads, no locks. */
export class OrderQueries {
  constructor(private readonly repository: OrderRepository) {}

  async get(context: RequestContext, orderId: string): Promise<Order> {
    const order = await this.repository.findById(context.tenantId, orderId);
    if (!order) throw new OrderNotFound(orderId);
    return order;
  }

  async findMany(context: RequestContext, orderIds: readonly string[]): Promise<Map<string, Order>> {
    const orders = await this.repository.findManyByIds(context.tenantId, [...new Set(orderIds)]);
    return new Map(orders.map((order) => [order.orderId, order]));
  }

  async list(context: RequestContext, filter: OrderListFilter, requested: { page?: number | null; pageSize?: number | null }): Promise<OrderPageResult> {
    const parsed = paging.safeParse({ page: requested.page ?? undefined, pageSize: requested.pageSize ?? undefined });
    if (!parsed.success) {
      throw new InvalidInput(parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })));
    }
    const { page, pageSize } = parsed.data;
    const { orders, total } = await this.repository.list(context.tenantId, filter, (page - 1) * pageSize, pageSize);
    return { orders, page, pageSize, total, hasMore: page * pageSize < total };
  }
}
