import AsyncLock from 'async-lock';

/**
 * Serialises every write to one order inside this process. FerretDB performs conditional updates as
 * read-then-write, so two concurrent writers could both pass a `{version}` filter (and clobber each other's
 * fields); on MongoDB the version filter alone suffices across replicas, and this lock just avoids wasted retries.
 */
export class OrderLocks {
  private readonly lock = new AsyncLock({ timeout: 15_000, maxPending: 100_000 });

  withOrder<T>(orderId: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.acquire(orderId, fn);
  }

  /** Several orders at once (the relay's batches); keys are taken in sorted order so two batches never deadlock. */
  withOrders<T>(orderIds: string[], fn: () => Promise<T>): Promise<T> {
    const keys = [...new Set(orderIds)].sort();
    return this.lock.acquire(keys, fn);
  }
}
