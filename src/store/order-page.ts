import type { FilterQuery } from 'mongoose';
import type { Order } from '../models/order.types';
import type { OrderTotal } from './order-counts.repository';
import { AGGREGATE_PROJECTION, type OrderDoc, type OrderModel } from './order.document';

export interface PageQuery {
  query: FilterQuery<OrderDoc>;
  skip: number;
  limit: number;
}

/** The order list's sort: newest first, ties by order id (each filter has an index in this order, order.document.ts). */
const LIST_SORT = { createdAt: -1, orderId: -1 } as const;

/** Up to this many matches the list is read whole: a window would save little. */
const WHOLE_UP_TO = 60;
/** The first window is this many times wider than the estimate, so that it usually holds the page at once. */
const HEADROOM = 1.5;
/** A window that held too few orders is widened this many times over. */
const GROWTH = 4;

/**
 * A page of the list, newest first. A sorted find on SecantusDB sorts every match in memory before it skips and limits
 * (explain: SORT ← FETCH ← IXSCAN), so the page reads only the matches created after a bound — chosen from how densely
 * the filter's orders were created (`counted`: how many match, and since when) — and widens the window until it holds
 * the page. Every match created after the bound is in the window, so the window's newest `skip + limit` are the list's.
 * On MongoDB the same index gives an index-ordered scan that stops at the limit, and the bound costs nothing.
 */
export async function findPage(model: OrderModel, { query, skip, limit }: PageQuery, counted: OrderTotal | null): Promise<Order[]> {
  const read = (createdAfter: number | null) =>
    model
      .find(createdAfter === null ? query : { ...query, createdAt: { $gt: new Date(createdAfter) } }, AGGREGATE_PROJECTION)
      .sort(LIST_SORT)
      .skip(skip)
      .limit(limit)
      .lean<Order[]>();
  if (!counted || counted.since === null || counted.total <= WHOLE_UP_TO) return read(null);
  const expected = Math.min(limit, counted.total - skip);
  const now = Date.now();
  const since = counted.since.getTime();
  let width = (Math.max(1, now - since) * (skip + limit) * HEADROOM) / counted.total;
  for (;;) {
    const createdAfter = now - width;
    if (createdAfter < since) return read(null);
    const orders = await read(createdAfter);
    if (orders.length >= expected) return orders;
    width *= GROWTH;
  }
}
