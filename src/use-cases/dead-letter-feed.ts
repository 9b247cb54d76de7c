import { readDeadLetterQueueChangedNotice } from '../events/live-events';
import type { DeadLetterChangeKind } from '../models/dead-letter';
import type { DeadLetterQueueItem } from '../models/order.types';
import type { DeadLetterQueries, DeadLetterStatsRead } from './dead-letter-queries';

export interface DeadLetterQueueChange {
  kind: DeadLetterChangeKind;
  entry: DeadLetterQueueItem;
  /** The queue's statistics as this replica reads them on receipt of the change. */
  stats: DeadLetterStatsRead;
  occurredAt: Date;
}

interface StatsRuns {
  /** The statistics query running now. */
  current: Promise<DeadLetterStatsRead> | null;
  /** The one queued behind it, not started yet: every notice arriving meanwhile shares it. */
  next: Promise<DeadLetterStatsRead> | null;
}

/**
 * Turns a live DLQ notice (as the live feed publishes it to this replica's subscribers) into the change they receive.
 * PubSub hands every subscriber the same notice object, so the result is computed once per notice — not per
 * subscriber — and forgotten with the notice (WeakMap). Statistics queries are also coalesced per tenant: a notice
 * shares a query that has not started yet (it will read the store after the notice's write, so it includes it), so a
 * burst of changes costs at most one running and one queued read of the counters, not one each.
 *
 * The change is computed as soon as the notice arrives (`prepare`), not when the first subscriber asks for it: each
 * subscriber takes its notices one after the other, so computing on demand would start a notice's statistics read only
 * once the previous change had been sent — at 20 changes/s with reads of 80 ms, a delay that grows without bound.
 */
export class DeadLetterFeed {
  private readonly changes = new WeakMap<object, Promise<DeadLetterQueueChange>>();
  private readonly statsRuns = new Map<string, StatsRuns>();
  /** How many notices were turned into changes. */
  computed = 0;
  /** How many statistics queries those cost. */
  statsQueries = 0;

  /** `watched`: whether this replica has DLQ subscribers now (else a notice is not worth a statistics read). */
  constructor(
    private readonly queries: DeadLetterQueries,
    private readonly watched: () => boolean,
  ) {}

  /** Starts computing a notice's change while there are subscribers to receive it. */
  prepare(rawNotice: object): void {
    if (!this.watched()) return;
    // Its subscribers await the same promise and see its failure; nobody else may be left to.
    this.changeFor(rawNotice).catch(() => undefined);
  }

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
    const stats = await this.statsIncluding(notice.tenantId);
    return {
      kind: notice.kind,
      entry: { orderId: notice.orderId, tenantId: notice.tenantId, customerId: notice.customerId, deadLetter: notice.entry },
      stats,
      occurredAt: new Date(notice.occurredAt),
    };
  }

  /** Statistics read after this call: a queued query if there is one, else a new one started once the running one ends. */
  private statsIncluding(tenantId: string): Promise<DeadLetterStatsRead> {
    let runs = this.statsRuns.get(tenantId);
    if (!runs) {
      runs = { current: null, next: null };
      this.statsRuns.set(tenantId, runs);
    }
    if (runs.next) return runs.next;
    const run = this.runStatsAfter(tenantId, runs, runs.current);
    runs.next = run;
    return run;
  }

  private async runStatsAfter(tenantId: string, runs: StatsRuns, previous: Promise<DeadLetterStatsRead> | null): Promise<DeadLetterStatsRead> {
    await previous?.catch(() => undefined); // always yields: by now the caller has queued this run as `runs.next`
    const self = runs.next;
    runs.next = null;
    runs.current = self;
    this.statsQueries += 1;
    try {
      return await this.queries.stats({ tenantId });
    } finally {
      if (runs.current === self) runs.current = null;
    }
  }
}
