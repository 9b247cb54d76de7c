import AsyncLock from 'async-lock';

/**
 * Lets this process's writes to one order go one at a time. Not for safety — the conditional write keeps replicas
 * safe on its own (OrderWriter) — but for speed under contention: writers of one order in one process would only
 * lose version races to each other, and every lost race costs a read and a write more. Across replicas they still race,
 * one contender per replica.
 */
export class OrderWriteQueue {
  private readonly lock = new AsyncLock({ timeout: 30_000, maxPending: 100_000 });

  run<T>(orderId: string, write: () => Promise<T>): Promise<T> {
    return this.lock.acquire(orderId, write);
  }
}
