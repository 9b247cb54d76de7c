import type { OrderModel, OutboxEntryDoc } from './order.document';

/** Who publishes an order's events, and until when (set by the writing replica in the same write as the events). */
export interface OutboxLease {
  owner: string;
  until: Date;
}

/** An order's events not yet published, oldest first, with the lease on them. */
export interface PendingOutbox {
  orderId: string;
  tenantId: string;
  lease: OutboxLease | null;
  entries: OutboxEntryDoc[];
}

/** How far the relay has published one order's events. */
export interface PublishedMark {
  orderId: string;
  upToSeq: number;
}

interface OutboxFields {
  _id: string;
  tenantId: string;
  outbox: OutboxEntryDoc[];
  outboxPublishedSeq?: number;
  outboxLeaseOwner: string | null;
  outboxLeaseUntil: Date | null;
}

const OUTBOX_PROJECTION = { _id: 1, tenantId: 1, outbox: 1, outboxPublishedSeq: 1, outboxLeaseOwner: 1, outboxLeaseUntil: 1 };
/** Parallel look-ups by primary key; well under the driver's pool of 100 connections. */
const READ_CONCURRENCY = 32;

/**
 * The relay's view of the outbox stored in order documents. Every statement about one order filters on `_id` (one
 * primary-key look-up); `scanPending` reads the partial index of orders with unpublished events, never the collection.
 */
export class OutboxRepository {
  constructor(private readonly model: OrderModel) {}

  /** The unpublished events of these orders; orders with none are left out. */
  async read(orderIds: string[]): Promise<PendingOutbox[]> {
    const found: PendingOutbox[] = [];
    for (let start = 0; start < orderIds.length; start += READ_CONCURRENCY) {
      const docs = await Promise.all(
        orderIds
          .slice(start, start + READ_CONCURRENCY)
          .map((orderId) => this.model.collection.findOne<OutboxFields>({ _id: orderId as never, outboxPending: true }, { projection: OUTBOX_PROJECTION })),
      );
      for (const doc of docs) if (doc) found.push(toPending(doc));
    }
    return found;
  }

  /** Every order holding unpublished events, in batches (the sweep for work no relay was told about, and the backlog). */
  async *scanPending(batchSize: number): AsyncGenerator<PendingOutbox[]> {
    const cursor = this.model.collection.find<OutboxFields>({ outboxPending: true }, { projection: OUTBOX_PROJECTION, batchSize });
    let batch: PendingOutbox[] = [];
    try {
      for await (const doc of cursor) {
        batch.push(toPending(doc));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      await cursor.close();
    }
  }

  /**
   * Records what was published. The common case — nothing stored since — empties the outbox and releases the lease in
   * one write; an order that received new events meanwhile only remembers how far publishing got. Both are conditional
   * single-document updates, so a writer appending events at the same moment keeps them. Returns whether every outbox
   * was emptied.
   */
  async markPublished(marks: PublishedMark[]): Promise<boolean> {
    const { matchedCount: cleared } = await this.model.bulkWrite(
      marks.map(({ orderId, upToSeq }) => ({
        updateOne: {
          filter: { _id: orderId, outboxSeq: upToSeq },
          update: { $set: { outbox: [], outboxPending: false, outboxPublishedSeq: upToSeq, outboxLeaseOwner: null, outboxLeaseUntil: null } },
        },
      })),
      { ordered: false },
    );
    if (cleared === marks.length) return true;
    await this.model.bulkWrite(
      marks.map(({ orderId, upToSeq }) => ({
        updateOne: { filter: { _id: orderId, outboxSeq: { $ne: upToSeq } }, update: { $max: { outboxPublishedSeq: upToSeq } } },
      })),
      { ordered: false },
    );
    return false;
  }
}

function toPending(doc: OutboxFields): PendingOutbox {
  const publishedSeq = doc.outboxPublishedSeq ?? 0;
  return {
    orderId: doc._id,
    tenantId: doc.tenantId,
    lease: doc.outboxLeaseOwner && doc.outboxLeaseUntil ? { owner: doc.outboxLeaseOwner, until: new Date(doc.outboxLeaseUntil) } : null,
    entries: (doc.outbox ?? []).filter((entry) => entry.seq > publishedSeq).sort((a, b) => a.seq - b.seq),
  };
}
