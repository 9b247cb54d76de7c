import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';

interface LeaseDoc {
  _id: string;
  owner: string;
  until: Date;
}

const DUPLICATE_KEY = 11000;

/**
 * A job that one replica at a time runs, chosen by a lease document in `outbox_relay_leases` (named after its first
 * job): the outbox sweeper, the order count projector and the DLQ retention. A replica that dies loses the lease when it runs out.
 */
export class ReplicaLease {
  private heldUntil = 0;

  constructor(
    private readonly collection: Collection<LeaseDoc>,
    private readonly job: string,
    private readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** Takes the lease if it is free or expired, or extends it if already ours. Returns whether we hold it. */
  async renew(): Promise<boolean> {
    const now = new Date();
    const until = new Date(now.getTime() + this.leaseMs);
    try {
      // Upsert: the first replica creates the document; a live lease of another owner fails the filter, and the
      // insert that follows fails on the `_id`.
      await this.collection.updateOne(
        { _id: this.job, $or: [{ owner: this.owner }, { until: { $lt: now } }] },
        { $set: { owner: this.owner, until } },
        { upsert: true },
      );
      this.heldUntil = until.getTime();
    } catch (error) {
      if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
      this.heldUntil = 0;
    }
    return this.held();
  }

  /** Renewing at a third of the lease keeps it through two failed renewals. */
  get renewEveryMs(): number {
    return Math.max(500, Math.floor(this.leaseMs / 3));
  }

  held(): boolean {
    return Date.now() < this.heldUntil;
  }

  /** Lets another replica take over at once (on shutdown). */
  async release(): Promise<void> {
    if (!this.held()) return;
    this.heldUntil = 0;
    await this.collection.updateOne({ _id: this.job, owner: this.owner }, { $set: { until: new Date(0) } });
  }
}

/** The lease documents live beside the orders; 10 s lets a restarted or surviving replica take over quickly. */
function replicaLease(connection: Connection, job: string, owner: string, leaseMs: number): ReplicaLease {
  return new ReplicaLease(connection.db!.collection<LeaseDoc>('outbox_relay_leases'), job, owner, leaseMs);
}

/**
 * Which relay sweeps the store for events no relay was told about — the leftovers of a crashed replica, of one whose
 * lease ran out, or of one running without a relay — so leftovers are published once, without a claim write per order.
 */
export const sweeperLease = (connection: Connection, owner: string, leaseMs = 10_000) => replicaLease(connection, 'outbox-sweeper', owner, leaseMs);

/** Which replica folds changed orders into the stored order counts (src/store/order-count-projector.ts). */
export const countProjectorLease = (connection: Connection, owner: string, leaseMs = 10_000) =>
  replicaLease(connection, 'order-count-projector', owner, leaseMs);

/** Which replica retires dead letter queue entries past the retention (src/use-cases/dead-letter-retention-job.ts). */
export const dlqRetentionLease = (connection: Connection, owner: string, leaseMs = 10_000) => replicaLease(connection, 'dlq-retention', owner, leaseMs);
