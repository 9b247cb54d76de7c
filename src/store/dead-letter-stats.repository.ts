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
}

export class DeadLetterStatsRepository {
  private readonly collection: Collection<CountersDoc>;

  constructor(connection: Connection) {
    this.collection = connection.collection<CountersDoc>('dead_letter_stats');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ tenantId: 1 });
  }

  /** Applies a write's delta to its shard; `session` is the transaction that stores the entry itself. */
  async apply(tenantId: string, orderId: string, delta: DeadLetterStatsDelta, session: ClientSession): Promise<void> {
    const shard = createHash('sha1').update(orderId).digest().readUInt8(0) % SHARDS;
    await this.collection.updateOne({ _id: `${tenantId}|${shard}`, tenantId }, { $inc: delta }, { upsert: true, session });
  }

  /** The tenant's counters, summed over its shards. */
  async read(tenantId: string): Promise<DeadLetterCounters> {
    return addCounters(await this.collection.find({ tenantId }).toArray());
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
