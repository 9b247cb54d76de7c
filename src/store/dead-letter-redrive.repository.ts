import type { Collection, Filter } from 'mongodb';
import type { Connection } from 'mongoose';
import { RUNNABLE_STATUSES, type DeadLetterRedriveTask, type RedriveProgress, type RedriveStatus } from '../models/dead-letter-redrive';

/**
 * The stored task: the task itself, the order ids it selected at creation (`orderIds`, in the order they are redriven)
 * and its lease — which replica runs it, and until when (`leaseUntil` is the epoch while nobody does, so a runnable
 * task is one range of the `runnable` index).
 */
export interface RedriveTaskDoc extends Omit<DeadLetterRedriveTask, 'taskId' | 'startedAt' | 'cancelRequestedAt'> {
  _id: string;
  orderIds: string[];
  leaseOwner: string | null;
  leaseUntil: Date;
  // Absent until set: `$min` then sets them once (a stored null would compare lower than any date and never be replaced).
  startedAt?: Date;
  cancelRequestedAt?: Date;
}

/** A task as it runs: the task and the entries it selected. */
export interface ClaimedTask {
  task: DeadLetterRedriveTask;
  orderIds: string[];
}

const NOBODY = new Date(0);
const WITHOUT_IDS = { orderIds: 0 } as const;

function toTask({ _id, orderIds: _ids, leaseOwner: _owner, leaseUntil: _until, startedAt, cancelRequestedAt, ...task }: RedriveTaskDoc): DeadLetterRedriveTask {
  return { taskId: _id, ...task, startedAt: startedAt ?? null, cancelRequestedAt: cancelRequestedAt ?? null };
}

/**
 * `dlq_redrive_tasks`: every transition of a task is one conditional single-document write — the filter states the
 * state (and lease) it starts from, so replicas racing for a task, a cancel racing a runner, or a runner that lost its
 * lease can never both win.
 */
export class DeadLetterRedriveRepository {
  constructor(private readonly collection: Collection<RedriveTaskDoc>) {}

  static forConnection(connection: Connection): DeadLetterRedriveRepository {
    return new DeadLetterRedriveRepository(connection.db!.collection<RedriveTaskDoc>('dlq_redrive_tasks'));
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndexes([
      // The tenant's tasks, newest first.
      { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: 'tenant_newest' },
      // Tasks a replica may take up: runnable, lease run out.
      { key: { status: 1, leaseUntil: 1 }, name: 'runnable' },
    ]);
  }

  async insert(task: DeadLetterRedriveTask, orderIds: string[]): Promise<void> {
    const { taskId, startedAt: _started, cancelRequestedAt: _cancel, ...fields } = task;
    await this.collection.insertOne({ _id: taskId, ...fields, orderIds, leaseOwner: null, leaseUntil: NOBODY });
  }

  // By `_id` alone, the tenant checked here (as OrderRepository.findById).
  async find(tenantId: string, taskId: string): Promise<DeadLetterRedriveTask | null> {
    const doc = await this.collection.findOne({ _id: taskId }, { projection: WITHOUT_IDS });
    return doc && doc.tenantId === tenantId ? toTask(doc) : null;
  }

  async list(tenantId: string, limit: number, offset: number): Promise<{ tasks: DeadLetterRedriveTask[]; total: number }> {
    const [docs, total] = await Promise.all([
      this.collection.find({ tenantId }, { projection: WITHOUT_IDS }).sort({ createdAt: -1, _id: -1 }).skip(offset).limit(limit).toArray(),
      this.collection.countDocuments({ tenantId }),
    ]);
    return { tasks: docs.map(toTask), total };
  }

  /** Ids of tasks no live runner holds (strict bound: see dead-letter.repository.ts on SecantusDB). */
  async findRunnable(now: Date, limit: number): Promise<string[]> {
    const docs = await this.collection
      // Named: SecantusDB would scan the collection for this shape (a list of statuses and a range).
      .find({ status: { $in: [...RUNNABLE_STATUSES] }, leaseUntil: { $lt: now } }, { projection: { _id: 1 }, hint: 'runnable' })
      .limit(limit)
      .toArray();
    return docs.map((doc) => doc._id);
  }

  /** Takes the task for `owner` if it is still runnable and its lease free or expired (or already ours): RUNNING. */
  async claim(taskId: string, owner: string, leaseMs: number, now: Date): Promise<ClaimedTask | null> {
    const filter: Filter<RedriveTaskDoc> = {
      _id: taskId,
      status: { $in: [...RUNNABLE_STATUSES] },
      $or: [{ leaseUntil: { $lt: now } }, { leaseOwner: owner }],
    };
    const doc = await this.collection.findOneAndUpdate(
      filter,
      {
        $set: { status: 'running' satisfies RedriveStatus, leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: now },
        $min: { startedAt: now },
        $inc: { revision: 1 },
      },
      { returnDocument: 'after' },
    );
    return doc ? { task: toTask(doc), orderIds: doc.orderIds } : null;
  }

  /** Extends our lease; false once another replica holds it (or the task finished). */
  async renew(taskId: string, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: taskId, leaseOwner: owner, status: 'running' },
      { $set: { leaseUntil: new Date(Date.now() + leaseMs) } },
    );
    return result.matchedCount === 1;
  }

  /** Gives the lease back (on shutdown), so another replica continues at once rather than when it would have run out. */
  async release(taskId: string, owner: string): Promise<void> {
    await this.collection.updateOne({ _id: taskId, leaseOwner: owner }, { $set: { leaseOwner: null, leaseUntil: NOBODY } });
  }

  /** When a cancel was asked for (null: not), and whether we still hold the lease — read between entries. */
  async runState(taskId: string, owner: string): Promise<{ held: boolean; cancelRequestedAt: Date | null }> {
    const doc = await this.collection.findOne({ _id: taskId }, { projection: { leaseOwner: 1, status: 1, cancelRequestedAt: 1 } });
    return { held: doc?.leaseOwner === owner && doc.status === 'running', cancelRequestedAt: doc?.cancelRequestedAt ?? null };
  }

  /**
   * Stores the progress as counted by our runner (absolute values: a repeated write changes nothing). Null once the
   * lease is no longer ours: the runner stops, the other replica goes on from the last checkpoint.
   */
  async checkpoint(taskId: string, owner: string, progress: RedriveProgress, now: Date): Promise<DeadLetterRedriveTask | null> {
    const doc = await this.collection.findOneAndUpdate(
      { _id: taskId, leaseOwner: owner, status: 'running' },
      { $set: { ...progress, updatedAt: now }, $inc: { revision: 1 } },
      { returnDocument: 'after', projection: WITHOUT_IDS },
    );
    return doc ? toTask(doc) : null;
  }

  /** The run's last write: its final status and progress, the lease given back. */
  async finish(taskId: string, owner: string, status: 'completed' | 'cancelled', progress: RedriveProgress, now: Date): Promise<DeadLetterRedriveTask | null> {
    const doc = await this.collection.findOneAndUpdate(
      { _id: taskId, leaseOwner: owner, status: 'running' },
      { $set: { ...progress, status, finishedAt: now, updatedAt: now, leaseOwner: null, leaseUntil: NOBODY }, $inc: { revision: 1 } },
      { returnDocument: 'after', projection: WITHOUT_IDS },
    );
    return doc ? toTask(doc) : null;
  }

  /**
   * A cancel of a task nobody runs now (still queued, or its runner died) ends it at once: CANCELLED. The filter
   * requires the lease to be out, so a replica taking the task up at the same moment and this write cannot both apply.
   */
  async cancelIdle(tenantId: string, taskId: string, now: Date): Promise<DeadLetterRedriveTask | null> {
    const doc = await this.collection.findOneAndUpdate(
      { _id: taskId, tenantId, status: { $in: [...RUNNABLE_STATUSES] }, leaseUntil: { $lt: now } },
      { $set: { status: 'cancelled', finishedAt: now, updatedAt: now }, $min: { cancelRequestedAt: now }, $inc: { revision: 1 } },
      { returnDocument: 'after', projection: WITHOUT_IDS },
    );
    return doc ? toTask(doc) : null;
  }

  /** Asks the running replica to stop (it checks between entries). Null when the task is not runnable (finished or absent). */
  async requestCancel(tenantId: string, taskId: string, now: Date): Promise<DeadLetterRedriveTask | null> {
    const doc = await this.collection.findOneAndUpdate(
      { _id: taskId, tenantId, status: { $in: [...RUNNABLE_STATUSES] } },
      { $min: { cancelRequestedAt: now }, $set: { updatedAt: now }, $inc: { revision: 1 } },
      { returnDocument: 'after', projection: WITHOUT_IDS },
    );
    return doc ? toTask(doc) : null;
  }
}
