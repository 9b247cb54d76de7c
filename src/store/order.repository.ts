import { randomUUID } from 'node:crypto';
import type { Document, UpdateFilter } from 'mongodb';
import type { FilterQuery } from 'mongoose';
import type { Order, OrderStatus, Priority } from '../models/order.types';
import type { RequestContext } from '../observability/request-context';
import { activeTraceparent } from '../observability/tracing';
import { STORAGE_ONLY_FIELDS, type OrderDoc, type OrderModel, type OutboxEntryDoc } from './order.document';

/** An event on its way to the outbox: where it goes, its CloudEvents type and its data. */
export interface PendingEvent {
  topic: string;
  type: string;
  data: object;
}

/** An order as loaded for a change: the aggregate plus the outbox position the next events continue from. */
export interface LoadedOrder {
  order: Order;
  outboxSeq: number;
}

export interface OrderListFilter {
  status?: OrderStatus;
  priority?: Priority;
  customerId?: string;
}

const AGGREGATE_PROJECTION = Object.fromEntries(STORAGE_ONLY_FIELDS.map((field) => [field, 0]));
/** The aggregate plus `outboxSeq`, which the next write's events continue from. */
const FOR_CHANGE_PROJECTION = Object.fromEntries(STORAGE_ONLY_FIELDS.filter((field) => field !== 'outboxSeq').map((field) => [field, 0]));

/** Thrown when the conditional write found another version: someone else changed the order first. */
export class ConcurrentWrite extends Error {
  constructor(readonly orderId: string) {
    super(`order ${orderId} was changed by another writer`);
  }
}

/**
 * Loads and stores orders. Every write is one single-document operation carrying the state change and the events it
 * causes (the outbox), so the two can never diverge; changes are conditional on the version that was read.
 */
export class OrderRepository {
  constructor(private readonly model: OrderModel) {}

  async findById(tenantId: string, orderId: string): Promise<Order | null> {
    // By `_id` alone (FerretDB can only use the primary key for a filter of that shape); the tenant is checked here.
    const order = await this.model.findOne({ _id: orderId }, AGGREGATE_PROJECTION).lean<Order>();
    return order && order.tenantId === tenantId ? order : null;
  }

  async findManyByIds(tenantId: string, orderIds: string[]): Promise<Order[]> {
    return this.model.find({ tenantId, orderId: { $in: orderIds } }, AGGREGATE_PROJECTION).lean<Order[]>();
  }

  async findOrderIdByBackorder(tenantId: string, backorderId: string): Promise<string | null> {
    const doc = await this.model.findOne({ tenantId, 'backorders.backorderId': backorderId }, { _id: 0, orderId: 1 }).lean<{ orderId: string }>();
    return doc?.orderId ?? null;
  }

  async loadForChange(tenantId: string, orderId: string): Promise<LoadedOrder | null> {
    const doc = await this.model.findOne({ _id: orderId }, FOR_CHANGE_PROJECTION).lean<Order & { outboxSeq?: number }>();
    if (!doc || doc.tenantId !== tenantId) return null;
    const { outboxSeq, ...order } = doc;
    return { order, outboxSeq: outboxSeq ?? 0 };
  }

  async list(tenantId: string, filter: OrderListFilter, skip: number, limit: number): Promise<{ orders: Order[]; total: number }> {
    const query: FilterQuery<OrderDoc> = { tenantId };
    if (filter.status) query.status = filter.status;
    if (filter.priority) query.priority = filter.priority;
    if (filter.customerId) query.customerId = filter.customerId;
    const [orders, total] = await Promise.all([
      this.model.find(query, AGGREGATE_PROJECTION).sort({ createdAt: -1, orderId: -1 }).skip(skip).limit(limit).lean<Order[]>(),
      this.model.countDocuments(query),
    ]);
    return { orders, total };
  }

  async insert(order: Order, events: PendingEvent[], context: RequestContext): Promise<void> {
    const outbox = toOutboxEntries(events, 0, order.updatedAt, context);
    await this.model.collection.insertOne({
      _id: order.orderId as never,
      ...order,
      outbox,
      outboxPending: outbox.length > 0,
      outboxSeq: outbox.length,
      outboxPublishedSeq: 0,
      outboxLeaseOwner: null,
      outboxLeaseUntil: null,
    });
  }

  /** Stores `next` over `loaded` if nobody wrote in between; appends the events to the outbox in the same write. */
  async update(loaded: LoadedOrder, next: Order, events: PendingEvent[], context: RequestContext): Promise<void> {
    const outbox = toOutboxEntries(events, loaded.outboxSeq, next.updatedAt, context);
    const update: UpdateFilter<Document> =
      outbox.length > 0
        ? { $set: { ...next, outboxPending: true, outboxSeq: loaded.outboxSeq + outbox.length }, $push: { outbox: { $each: outbox } } as Document }
        : { $set: next };
    const result = await this.model.collection.updateOne({ _id: next.orderId as never, tenantId: next.tenantId, version: loaded.order.version }, update);
    if (result.matchedCount !== 1) throw new ConcurrentWrite(next.orderId);
  }
}

function toOutboxEntries(events: PendingEvent[], lastSeq: number, time: Date, context: RequestContext): OutboxEntryDoc[] {
  return events.map((event, index) => ({
    id: randomUUID(),
    seq: lastSeq + index + 1,
    topic: event.topic,
    type: event.type,
    data: event.data as Record<string, unknown>,
    time,
    correlationId: context.correlationId,
    waveNumber: context.waveNumber,
    workflowId: context.workflowId,
    // The span active while the event is stored (tracing on); else the caller's traceparent, passed through.
    traceparent: activeTraceparent() ?? context.traceparent,
  }));
}
