import { randomUUID } from 'node:crypto';
import type { Document, UpdateFilter } from 'mongodb';
import type { ClientSession, Connection, FilterQuery } from 'mongoose';
import type { DeadLetterStatsDelta } from '../models/dead-letter-stats';
import { retryDueAt } from '../models/order.rules';
import type { Order, OrderListFilter } from '../models/order.types';
import type { RequestContext } from '../observability/request-context';
import { activeTraceparent } from '../observability/tracing';
import { AGGREGATE_PROJECTION, STORAGE_ONLY_FIELDS, type OrderDoc, type OrderModel, type OutboxEntryDoc } from './order.document';
import type { DeadLetterStatsRepository } from './dead-letter-stats.repository';
import type { OutboxLease } from './outbox.repository';
import { countedFieldsChanged, type OrderCountsRepository } from './order-counts.repository';
import { findPage, type PageQuery } from './order-page';
import { inTransaction, isWriteConflict } from './transactions';

/** An event on its way to the outbox: where it goes, its CloudEvents type and its data. */
export interface PendingEvent {
  topic: string;
  type: string;
  data: object;
}

/** An order as loaded for a change: the aggregate, the outbox position the next events continue from, and its lease. */
export interface LoadedOrder {
  order: Order;
  outboxSeq: number;
  lease: OutboxLease | null;
}

/** The aggregate plus `outboxSeq`, which the next write's events continue from, and the lease on unpublished events. */
const FOR_CHANGE_FIELDS: ReadonlyArray<string> = ['outboxSeq', 'outboxLeaseOwner', 'outboxLeaseUntil'];
const FOR_CHANGE_PROJECTION = Object.fromEntries(STORAGE_ONLY_FIELDS.filter((field) => !FOR_CHANGE_FIELDS.includes(field)).map((field) => [field, 0]));

/** The events a write stored, and whether they were leased to the writing replica's relay (so it may send them as is). */
export interface StoredEvents {
  entries: OutboxEntryDoc[];
  leasedToWriter: boolean;
}

/** Thrown when the conditional write found another version: someone else changed the order first. */
export class ConcurrentWrite extends Error {
  constructor(readonly orderId: string) {
    super(`order ${orderId} was changed by another writer`);
  }
}

/**
 * Loads and stores orders. Every write is one single-document operation carrying the state change and the events it
 * causes (the outbox), so the two can never diverge; changes are conditional on the version that was read. A write
 * that also changes the dead letter queue's counters stores both in one transaction.
 */
export class OrderRepository {
  constructor(
    private readonly model: OrderModel,
    private readonly connection: Connection,
    private readonly deadLetterStats: DeadLetterStatsRepository,
    private readonly counts: OrderCountsRepository,
  ) {}

  // Look-ups by id filter on `_id` alone and check the tenant here: a primary-key look-up on every store, where a
  // planner that plans by filter shape (SecantusDB's) would otherwise weigh the tenant condition against the indexes.
  async findById(tenantId: string, orderId: string): Promise<Order | null> {
    const order = await this.model.findOne({ _id: orderId }, AGGREGATE_PROJECTION).lean<Order>();
    return order?.tenantId === tenantId ? order : null;
  }

  async findManyByIds(tenantId: string, orderIds: string[]): Promise<Order[]> {
    const orders = await this.model.find({ _id: { $in: orderIds } }, AGGREGATE_PROJECTION).lean<Order[]>();
    return orders.filter((order) => order.tenantId === tenantId);
  }

  async findOrderIdByBackorder(tenantId: string, backorderId: string): Promise<string | null> {
    const doc = await this.model.findOne({ tenantId, 'backorders.backorderId': backorderId }, { _id: 0, orderId: 1 }).lean<{ orderId: string }>();
    return doc?.orderId ?? null;
  }

  async loadForChange(tenantId: string, orderId: string): Promise<LoadedOrder | null> {
    const doc = await this.model
      .findOne({ _id: orderId }, FOR_CHANGE_PROJECTION)
      .lean<Order & { outboxSeq?: number; outboxLeaseOwner?: string | null; outboxLeaseUntil?: Date | null }>();
    if (!doc || doc.tenantId !== tenantId) return null;
    const { outboxSeq, outboxLeaseOwner, outboxLeaseUntil, ...order } = doc;
    const lease = outboxLeaseOwner && outboxLeaseUntil ? { owner: outboxLeaseOwner, until: new Date(outboxLeaseUntil) } : null;
    return { order, outboxSeq: outboxSeq ?? 0, lease };
  }

  /** A page of the list, newest first, and the number of orders the filter matches. */
  async list(tenantId: string, filter: OrderListFilter, skip: number, limit: number): Promise<{ orders: Order[]; total: number }> {
    const query: FilterQuery<OrderDoc> = { tenantId };
    if (filter.status) query.status = filter.status;
    if (filter.priority) query.priority = filter.priority;
    if (filter.customerId) query.customerId = filter.customerId;
    const page: PageQuery = { query, skip, limit };
    const counted = await this.counts.total(tenantId, filter);
    if (!counted) {
      const [orders, total] = await Promise.all([findPage(this.model, page, null), this.model.countDocuments(query)]);
      return { orders, total };
    }
    if (skip >= counted.total) return { orders: [], total: counted.total };
    return { orders: await findPage(this.model, page, counted), total: counted.total };
  }

  /**
   * Stores a new order with its events. `lease` (null when this replica runs no relay) hands the events to the writing
   * replica's relay in the same write, so no other replica publishes them while it lives.
   */
  async insert(order: Order, events: PendingEvent[], context: RequestContext, lease: OutboxLease | null): Promise<StoredEvents> {
    const outbox = toOutboxEntries(events, 0, order.updatedAt, context);
    await this.model.collection.insertOne({
      _id: order.orderId as never,
      ...order,
      retryDueAt: retryDueAt(order),
      outbox,
      outboxPending: outbox.length > 0,
      outboxSeq: outbox.length,
      outboxPublishedSeq: 0,
      ...leaseFields(outbox.length > 0 ? lease : null),
      countStale: true,
      countedAs: null,
    });
    return { entries: outbox, leasedToWriter: lease !== null };
  }

  /**
   * Stores `next` over `loaded` if nobody wrote in between; appends the events to the outbox in the same write. With a
   * non-empty `statsDelta` (the write opens or resolves a DLQ entry) the counters change in the same transaction.
   */
  async update(
    loaded: LoadedOrder,
    next: Order,
    events: PendingEvent[],
    context: RequestContext,
    lease: OutboxLease | null,
    statsDelta: DeadLetterStatsDelta = {},
  ): Promise<StoredEvents> {
    const outbox = toOutboxEntries(events, loaded.outboxSeq, next.updatedAt, context);
    // The order counts follow through the projector (order-counts.repository.ts): the write only marks the order.
    const stored = { ...next, retryDueAt: retryDueAt(next), ...(countedFieldsChanged(loaded.order, next) ? { countStale: true } : {}) };
    const keepsOthersLease = outbox.length > 0 && othersLiveLease(loaded.lease, lease);
    const withEvents = (leaseChange: object): UpdateFilter<Document> => ({
      $set: { ...stored, outboxPending: true, outboxSeq: loaded.outboxSeq + outbox.length, ...leaseChange },
      $push: { outbox: { $each: outbox } } as Document,
    });
    const update: UpdateFilter<Document> = outbox.length > 0 ? withEvents(keepsOthersLease ? {} : leaseFields(lease)) : { $set: stored };
    const filter = { _id: next.orderId as never, tenantId: next.tenantId, version: loaded.order.version };
    let keptLease = keepsOthersLease;
    const write = async (session?: ClientSession) => {
      keptLease = keepsOthersLease;
      // The other replica's lease is kept only if it is still there: its relay may have published everything and
      // released it since the load. New events must not be left without a lease then (the sweeper would send them, and
      // the next writer's relay again), so the write takes the lease instead.
      let result = await this.model.collection.updateOne(keptLease ? { ...filter, outboxLeaseOwner: loaded.lease!.owner } : filter, update, { session });
      if (result.matchedCount !== 1 && keptLease) {
        keptLease = false;
        result = await this.model.collection.updateOne({ ...filter, outboxLeaseOwner: null }, withEvents(leaseFields(lease)), { session });
      }
      if (result.matchedCount !== 1) throw new ConcurrentWrite(next.orderId);
      if (session)
        await this.deadLetterStats.apply(next.tenantId, next.orderId, statsDelta, statsDelta.unresolved === 1 ? next.deadLetter!.createdAt : null, session);
    };
    try {
      if (Object.keys(statsDelta).length === 0) await write();
      else await inTransaction(this.connection, write);
    } catch (error) {
      // Another writer holds the document (SecantusDB answers a plain write that meets a transaction with WriteConflict,
      // where mongod waits): to the caller that is a lost race like any other, decided again on the fresh order.
      if (isWriteConflict(error)) throw new ConcurrentWrite(next.orderId);
      throw error;
    }
    return { entries: outbox, leasedToWriter: lease !== null && !keptLease };
  }
}

/** No lease (a replica without a relay) leaves the events to the sweeping replica at once, not after a stale lease. */
function leaseFields(lease: OutboxLease | null) {
  return { outboxLeaseOwner: lease?.owner ?? null, outboxLeaseUntil: lease?.until ?? null };
}

/**
 * A live lease of another replica stays: its relay may be sending this order's earlier events right now, and it
 * publishes the new ones too when it finds them while recording (OutboxRelay), so they cannot overtake or repeat.
 */
function othersLiveLease(current: OutboxLease | null, ours: OutboxLease | null): boolean {
  return current !== null && current.owner !== ours?.owner && current.until.getTime() > Date.now();
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
