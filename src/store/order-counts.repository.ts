import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import type { ClientSession, Connection } from 'mongoose';
import type { OrderListFilter } from '../models/order.types';
import type { OrderModel } from './order.document';
import { inTransaction, startSession } from './transactions';

/**
 * How many orders each list filter matches, without counting them at read time (a count reads every match, and on
 * SecantusDB it fetches each one: seconds at 100,000 orders).
 *
 * Writes stay single-document: an order whose counted fields (status, priority, customer) change is only marked
 * `countStale`. The count projector (order-count-projector.ts) folds marked orders into stored counts — per tenant and
 * per customer, one cell per status × priority — in transactions that also record, on each order, what it is now
 * counted as (`countedAs`). A reader adds the marked orders' pending moves to the stored cells, both as of one moment
 * (readTotal), so a total is exact whatever the projector's lag; the lag only costs the reader time.
 */

/** The fields the list filters on, as an order is counted. */
export interface CountedAs {
  status: string;
  priority: string;
  customerId: string;
}

/** `tenant`'s counts (customerId null) or one customer's: status × priority → orders. */
interface CountsDoc {
  /** `countsId(tenantId, customerId)`. */
  _id: string;
  tenantId: string;
  customerId: string | null;
  cells: Record<string, number>;
  /** No counted order was created before this: the list's paging estimates how densely orders were created. */
  since?: Date;
  /** Folds so far (tenant documents only): readers check it did not move while they read. */
  generation?: number;
}

interface MarkerDoc {
  _id: 'backfilled';
  at: Date;
}

/** A marked order as the projector and readers see it. */
interface StaleOrder extends CountedAs {
  _id: string;
  tenantId: string;
  version?: number;
  createdAt: Date;
  countedAs?: CountedAs | null;
}

export interface OrderTotal {
  total: number;
  /** No order matching the filter was created before this (null: none counted yet). */
  since: Date | null;
}

/** A string key (SecantusDB looks a document up by `_id` through the index only when the `_id` is not a document). */
const countsId = (tenantId: string, customerId: string | null) => JSON.stringify([tenantId, customerId]);
/** Reads of the counts that met a fold in between, before the read falls back to a snapshot transaction. */
const CONSISTENT_READ_ATTEMPTS = 3;

/** The stored cells matching `filter`, plus the moves of the marked orders not yet folded in. */
function totalOf(doc: CountsDoc | null, stale: StaleOrder[], filter: OrderListFilter): OrderTotal {
  const matches = (order: CountedAs) =>
    (!filter.status || order.status === filter.status) &&
    (!filter.priority || order.priority === filter.priority) &&
    (!filter.customerId || order.customerId === filter.customerId);
  let total = 0;
  for (const [cell, count] of Object.entries(doc?.cells ?? {})) {
    const [status, priority] = cell.split('|');
    if (matches({ status, priority, customerId: filter.customerId ?? '' })) total += count;
  }
  let since = doc?.since ?? null;
  for (const order of stale) {
    if (order.countedAs && matches(order.countedAs)) total -= 1;
    if (matches(order)) {
      total += 1;
      if (since === null || order.createdAt < since) since = order.createdAt;
    }
  }
  return { total, since };
}

const cellOf = (order: Pick<CountedAs, 'status' | 'priority'>) => `${order.status}|${order.priority}`;
const STALE_PROJECTION = { tenantId: 1, status: 1, priority: 1, customerId: 1, createdAt: 1, countedAs: 1, version: 1 };
/**
 * The partial index of marked orders (order.document.ts), named: SecantusDB's planner picks a partial index only for a
 * filter equal to its partial expression, and would scan the collection for `{countStale: true, tenantId}`.
 */
const STALE_INDEX = 'count_stale';
/**
 * What the projector folds in: marked orders whose events the relay has published. A fold holds its orders until it
 * commits, and the relay records "published" on exactly the orders just written: folding those would hold it up.
 */
const FOLDABLE = { countStale: true, outboxPending: false };

/** Some order of a batch changed between the read and its fold. */
class MovedOn extends Error {}

/** The order as the projector read it: only then does what it read still describe it. */
const stillAsRead = (order: StaleOrder) => ({ _id: order._id, version: order.version ?? { $exists: false }, countStale: true });

/** What folding an order records on it: counted as it is now. */
const countedNow = (order: StaleOrder) => ({
  $set: { countStale: false, countedAs: { status: order.status, priority: order.priority, customerId: order.customerId } },
});

/** The counts' changes that folding `orders` makes: each leaves the cell it was counted in and joins its own. */
function countWrites(orders: StaleOrder[]): AnyBulkWriteOperation<CountsDoc>[] {
  const changes = new Map<string, { tenantId: string; customerId: string | null; inc: Record<string, number>; since: Date | null }>();
  const add = (tenantId: string, customerId: string | null, cell: string, by: number, createdAt: Date | null) => {
    const key = countsId(tenantId, customerId);
    // Every fold raises the tenant's generation: readers check it did not move while they read.
    const change = changes.get(key) ?? { tenantId, customerId, inc: customerId === null ? { generation: 1 } : {}, since: null };
    change.inc[`cells.${cell}`] = (change.inc[`cells.${cell}`] ?? 0) + by;
    if (createdAt && (change.since === null || createdAt < change.since)) change.since = createdAt;
    changes.set(key, change);
  };
  for (const order of orders) {
    if (order.countedAs) {
      add(order.tenantId, null, cellOf(order.countedAs), -1, null);
      add(order.tenantId, order.countedAs.customerId, cellOf(order.countedAs), -1, null);
    }
    add(order.tenantId, null, cellOf(order), 1, order.createdAt);
    add(order.tenantId, order.customerId, cellOf(order), 1, order.createdAt);
  }
  return [...changes].map(([id, change]) => ({
    updateOne: {
      filter: { _id: id },
      update: {
        $inc: change.inc,
        $setOnInsert: { tenantId: change.tenantId, customerId: change.customerId },
        ...(change.since ? { $min: { since: change.since } } : {}),
      } as Document,
      upsert: true,
    },
  }));
}

/** Orders whose counted fields differ between two states of an order (insert: `before` null). */
export function countedFieldsChanged(before: CountedAs | null, after: CountedAs): boolean {
  return before === null || before.status !== after.status || before.priority !== after.priority || before.customerId !== after.customerId;
}

export class OrderCountsRepository {
  private readonly counts: Collection<CountsDoc>;
  private readonly markers: Collection<MarkerDoc>;
  private readonly orders: Collection<StaleOrder>;
  private backfilled = false;

  constructor(
    model: OrderModel,
    private readonly connection: Connection,
  ) {
    this.orders = connection.db!.collection<StaleOrder>(model.collection.collectionName);
    // One collection: the marker's `_id` is no JSON array, so it never meets a counts document's.
    this.counts = connection.db!.collection<CountsDoc>('order_counts');
    this.markers = connection.db!.collection<MarkerDoc>('order_counts');
  }

  /**
   * The number of `tenantId`'s orders matching `filter`, exact at one moment; null until every order stored before
   * the counts existed has been marked for counting (`backfill`), when only a count of the orders themselves is exact.
   */
  async total(tenantId: string, filter: OrderListFilter, plainAttempts = CONSISTENT_READ_ATTEMPTS): Promise<OrderTotal | null> {
    if (!(await this.isBackfilled())) return null;
    for (let attempt = 1; attempt <= plainAttempts; attempt += 1) {
      const read = await this.readTotal(tenantId, filter);
      if (read) return read;
    }
    return this.readTotal(tenantId, filter, startSession(this.connection));
  }

  /**
   * The stored counts plus the marked orders' pending moves. The two reads must see the same folds: a batch the
   * projector commits between them would be counted twice or not at all. Every fold raises the tenant's `generation`,
   * so a read that finds it unchanged on both sides saw no fold in between (null: one came, read again). A snapshot
   * transaction (`session`) would do the same, but on SecantusDB it waits for the projector's transaction to end.
   */
  private async readTotal(tenantId: string, filter: OrderListFilter, session?: ClientSession): Promise<OrderTotal | null> {
    if (session) session.startTransaction({ readConcern: { level: 'snapshot' } });
    try {
      // Both before the marked orders are read (the generation read here must precede that read); at once, but not in
      // a transaction, whose first statement must be alone.
      const readCounts = (customerId: string | null) => this.counts.findOne({ _id: countsId(tenantId, customerId) }, { session });
      const [tenant, customer] = session
        ? [await readCounts(null), filter.customerId ? await readCounts(filter.customerId) : null]
        : await Promise.all([readCounts(null), filter.customerId ? readCounts(filter.customerId) : null]);
      const doc = filter.customerId ? customer : tenant;
      const stale = await this.orders.find({ countStale: true, tenantId }, { projection: STALE_PROJECTION, session, hint: STALE_INDEX }).toArray();
      if (!session && (await this.counts.findOne({ _id: countsId(tenantId, null) }, { projection: { generation: 1 } }))?.generation !== tenant?.generation)
        return null;
      return totalOf(doc, stale, filter);
    } finally {
      if (session) {
        await session.commitTransaction().catch(() => undefined);
        await session.endSession();
      }
    }
  }

  /**
   * Folds up to `passLimit` marked orders into the stored counts, `batchSize` per transaction, and returns how many it
   * read and how many it folded. They are read once, outside the transactions: SecantusDB answers a read of the marked
   * orders by decoding every one of them, whatever the limit, so reading them again per batch would cost the backlog
   * once per batch. Each order is folded only if it is still at the version read (else the next pass folds its new
   * state); an order changed while its batch runs is a write conflict, and the batch starts over (inTransaction).
   */
  async project(batchSize: number, passLimit = 20 * batchSize): Promise<{ read: number; folded: number }> {
    const stale = await this.orders.find(FOLDABLE, { projection: STALE_PROJECTION, limit: passLimit, hint: STALE_INDEX }).toArray();
    let folded = 0;
    for (let start = 0; start < stale.length; start += batchSize) folded += await this.fold(stale.slice(start, start + batchSize));
    return { read: stale.length, folded };
  }

  private async fold(batch: StaleOrder[]): Promise<number> {
    try {
      // All at once, when every order of the batch is still as read (the usual case).
      await inTransaction(this.connection, async (session) => {
        const { matchedCount } = await this.orders.bulkWrite(
          batch.map((order) => ({ updateOne: { filter: stillAsRead(order), update: countedNow(order) } })),
          { session, ordered: true },
        );
        if (matchedCount !== batch.length) throw new MovedOn();
        await this.counts.bulkWrite(countWrites(batch), { session, ordered: true });
      });
      return batch.length;
    } catch (error) {
      if (!(error instanceof MovedOn)) throw error;
    }
    // One at a time, to fold the others.
    let folded: StaleOrder[] = [];
    await inTransaction(this.connection, async (session) => {
      folded = [];
      for (const order of batch) if ((await this.orders.updateOne(stillAsRead(order), countedNow(order), { session })).matchedCount === 1) folded.push(order);
      if (folded.length > 0) await this.counts.bulkWrite(countWrites(folded), { session, ordered: true });
    });
    return folded.length;
  }

  /**
   * Marks for counting every order stored before the counts existed (a store written by an earlier version), in
   * batches, then records that it is done. Runs again from the start if interrupted: marking is idempotent.
   */
  async backfill(batchSize = 500): Promise<number> {
    if (await this.isBackfilled()) return 0;
    let marked = 0;
    const cursor = this.orders.find({ countStale: { $exists: false } }, { projection: { _id: 1 }, batchSize });
    let batch: Array<{ _id: string }> = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await this.orders.bulkWrite(
        batch.map((order) => ({
          updateOne: { filter: { _id: order._id, countStale: { $exists: false } }, update: { $set: { countStale: true, countedAs: null } } },
        })),
        { ordered: false },
      );
      marked += result.modifiedCount;
      batch = [];
    };
    for await (const order of cursor) {
      batch.push(order);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    await this.markers.updateOne({ _id: 'backfilled' }, { $setOnInsert: { at: new Date() } }, { upsert: true });
    this.backfilled = true;
    return marked;
  }

  /** Marked orders not yet folded in (the projector's lag). */
  async staleCount(): Promise<number> {
    return this.orders.countDocuments({ countStale: true });
  }

  private async isBackfilled(): Promise<boolean> {
    if (!this.backfilled) this.backfilled = (await this.markers.findOne({ _id: 'backfilled' })) !== null;
    return this.backfilled;
  }
}
