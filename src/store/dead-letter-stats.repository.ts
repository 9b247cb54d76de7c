import { createHash } from 'node:crypto';
import type { ClientSession, Collection, Connection } from 'mongoose';
import { addCounters, type DeadLetterCounters, type DeadLetterStatsDelta } from '../models/dead-letter-stats';

/**
 * The dead letter queue's counters (src/models/dead-letter-stats.ts), kept in `dead_letter_stats`: a tenant's counters
 * are spread over SHARDS documents, picked by order id, so concurrent moves and resolutions of different orders rarely
 * update the same document (in a transaction, two writers of one document conflict and one of them starts over).
 * They change only inside the transaction that changes the entry they count, so they are exact after any crash.
 */
const SHARDS = 8;

interface CountersDoc extends Partial<DeadLetterCounters> {
  _id: string;
  tenantId: string;
  /** No unresolved entry of this shard was moved to the queue before this (a lower bound, see `unresolvedSince`). */
  unresolvedSince?: Date;
  /** How many writes have changed this shard: unchanged over a read means no write committed in between (see `changes`). */
  changes?: number;
}

export interface TenantCounters {
  counters: DeadLetterCounters;
  unresolvedSince: Date | null;
  /** Each shard's bound as read, for a conditional raise. */
  shardBounds: Array<{ id: string; unresolvedSince: Date | null }>;
  /** The tenant's writes to its counters so far, to compare with a later `changes`. */
  changes: number;
}

/** An entry being moved right now may carry a move time up to this much older than the moment it commits. */
const IN_FLIGHT_MARGIN_MS = 60_000;

export class DeadLetterStatsRepository {
  private readonly collection: Collection<CountersDoc>;

  constructor(connection: Connection) {
    this.collection = connection.collection<CountersDoc>('dead_letter_stats');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ tenantId: 1 });
  }

  /**
   * Applies a write's delta to its shard; `session` is the transaction that stores the entry itself. `openedAt`: the
   * move time of the entry the write opened, which lowers the shard's `unresolvedSince`.
   */
  async apply(tenantId: string, orderId: string, delta: DeadLetterStatsDelta, openedAt: Date | null, session: ClientSession): Promise<void> {
    const shard = createHash('sha1').update(orderId).digest().readUInt8(0) % SHARDS;
    const counted = { ...delta, changes: 1 };
    const update = openedAt ? { $inc: counted, $min: { unresolvedSince: openedAt } } : { $inc: counted };
    await this.collection.updateOne({ _id: `${tenantId}|${shard}`, tenantId }, update, { upsert: true, session });
  }

  /**
   * The tenant's counters, summed over its shards, and a time no unresolved entry was moved before (null: not known).
   * The bound only moves up through `raiseUnresolvedSince`, once the oldest entry has been found: it narrows the search.
   */
  async read(tenantId: string): Promise<TenantCounters> {
    const shards = await this.collection.find({ tenantId }).toArray();
    const bounds = shards.map((shard) => shard.unresolvedSince?.getTime() ?? Number.NEGATIVE_INFINITY);
    const lowest = Math.min(...bounds);
    return {
      counters: addCounters(shards),
      unresolvedSince: shards.length > 0 && Number.isFinite(lowest) ? new Date(lowest) : null,
      shardBounds: shards.map((shard) => ({ id: shard._id, unresolvedSince: shard.unresolvedSince ?? null })),
      changes: changesOf(shards),
    };
  }

  /**
   * The tenant's writes to its counters so far. The same as a `read` before means that every entry read in between was
   * read in the state the counters count: each write changes an entry and its counters in one transaction.
   */
  async changes(tenantId: string): Promise<number> {
    return changesOf(await this.collection.find({ tenantId }, { projection: { changes: 1 } }).toArray());
  }

  /**
   * Raises the bound of the shards read in `read` to `oldest`, the move time of the tenant's oldest unresolved entry,
   * found just now — each only if it is still what was read (an entry opened meanwhile lowered it, and wins), and
   * never above a minute ago: a move in flight may still commit an entry with an earlier move time.
   */
  async raiseUnresolvedSince(read: TenantCounters, oldest: Date, now = new Date()): Promise<void> {
    const bound = new Date(Math.min(oldest.getTime(), now.getTime() - IN_FLIGHT_MARGIN_MS));
    await Promise.all(
      read.shardBounds
        .filter((shard) => shard.unresolvedSince === null || shard.unresolvedSince < bound)
        .map((shard) =>
          this.collection.updateOne({ _id: shard.id, unresolvedSince: shard.unresolvedSince ?? { $exists: false } }, { $set: { unresolvedSince: bound } }),
        ),
    );
  }

  /** Every tenant's counters (the metrics' gauges): the collection holds a few documents per tenant. */
  async readPerTenant(): Promise<Map<string, DeadLetterCounters>> {
    const shardsByTenant = new Map<string, CountersDoc[]>();
    for (const doc of await this.collection.find({}).toArray()) {
      shardsByTenant.set(doc.tenantId, [...(shardsByTenant.get(doc.tenantId) ?? []), doc]);
    }
    return new Map([...shardsByTenant].map(([tenantId, shards]) => [tenantId, addCounters(shards)]));
  }
}

function changesOf(shards: ReadonlyArray<Pick<CountersDoc, 'changes'>>): number {
  return shards.reduce((sum, shard) => sum + (shard.changes ?? 0), 0);
}
