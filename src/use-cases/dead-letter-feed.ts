import { readDeadLetterQueueChangedNotice } from '../events/live-events';
import type { DeadLetterChangeKind, DeadLetterStats } from '../models/dead-letter';
import type { StoredDeadLetter } from '../store/dead-letter.repository';
import type { DeadLetterQueries } from './dead-letter-queries';

export interface DeadLetterQueueChange {
  kind: DeadLetterChangeKind;
  entry: StoredDeadLetter;
  /** The queue's statistics as this replica reads them on receipt of the change. */
  stats: DeadLetterStats;
  occurredAt: Date;
}

/**
 * Turns a live DLQ notice (as the live feed publishes it to this replica's subscribers) into the change they receive.
 * PubSub hands every subscriber the same notice object, so the result is computed once per notice — one statistics
 * query however many subscribers there are — and forgotten with the notice (WeakMap).
 */
export class DeadLetterFeed {
  private readonly changes = new WeakMap<object, Promise<DeadLetterQueueChange>>();
  /** How many notices were turned into changes (each costs one statistics query). */
  computed = 0;

  constructor(private readonly queries: DeadLetterQueries) {}

  changeFor(rawNotice: object): Promise<DeadLetterQueueChange> {
    let change = this.changes.get(rawNotice);
    if (!change) {
      change = this.compute(rawNotice);
      this.changes.set(rawNotice, change);
    }
    return change;
  }

  private async compute(rawNotice: object): Promise<DeadLetterQueueChange> {
    this.computed += 1;
    const notice = readDeadLetterQueueChangedNotice(rawNotice);
    const stats = await this.queries.stats({ tenantId: notice.tenantId });
    return {
      kind: notice.kind,
      entry: { orderId: notice.orderId, tenantId: notice.tenantId, customerId: notice.customerId, deadLetter: notice.entry },
      stats,
      occurredAt: new Date(notice.occurredAt),
    };
  }
}
