import type { ClientSession, Connection } from 'mongoose';

/** Attempts at a transaction that keeps meeting transient errors, before its error reaches the caller (a 503). */
const TRANSACTION_ATTEMPTS = 10;

/** Full jitter over a capped exponential (2 ms … 100 ms), so transactions that conflicted once spread out. */
const transactionBackoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));

/**
 * Runs `work` in a transaction, again on a transient error (a write conflict with another transaction, a failover),
 * at most TRANSACTION_ATTEMPTS times with jittered pauses: the driver's own `withTransaction` keeps retrying for up to
 * 120 s, far longer than a request should wait. A commit whose outcome is unknown is retried as a commit (it is idempotent).
 */
export async function inTransaction(connection: Connection, work: (session: ClientSession) => Promise<void>): Promise<void> {
  const session = startSession(connection);
  try {
    for (let attempt = 1; ; attempt += 1) {
      session.startTransaction();
      try {
        await work(session);
        await commit(session);
        return;
      } catch (error) {
        if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
        if (attempt >= TRANSACTION_ATTEMPTS || !hasErrorLabel(error, 'TransientTransactionError')) throw error;
        await transactionBackoff(attempt);
      }
    }
  } finally {
    await session.endSession();
  }
}

/**
 * A session of the driver itself, not mongoose's `startSession`: mongoose holds that back while it sees the connection
 * as down (up to its 10 s buffering time-out) and still does for a while after the driver has found the store again
 * (a dropped connection, a step-down), so a transaction retried at once would wait out the buffer and answer 503.
 * The driver's own server selection waits only as long as the store is really unreachable.
 */
export function startSession(connection: Connection): ClientSession {
  return connection.getClient().startSession();
}

async function commit(session: ClientSession): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await session.commitTransaction();
    } catch (error) {
      if (attempt < TRANSACTION_ATTEMPTS && hasErrorLabel(error, 'UnknownTransactionCommitResult')) continue;
      throw error;
    }
  }
}

const WRITE_CONFLICT = 112;

export function isWriteConflict(error: unknown): boolean {
  return (error as { code?: unknown })?.code === WRITE_CONFLICT || hasErrorLabel(error, 'TransientTransactionError');
}

function hasErrorLabel(error: unknown, label: string): boolean {
  return (
    typeof (error as { hasErrorLabel?: unknown })?.hasErrorLabel === 'function' && (error as { hasErrorLabel(label: string): boolean }).hasErrorLabel(label)
  );
}
