import { countedListTotal, countersCanCount, statsFromCounters, type DeadLetterStats } from '../models/dead-letter-stats';
import type { DeadLetterListQuery } from '../models/order.input';
import { DeadLetterEntryNotFound } from '../models/order.errors';
import type { DeadLetterQueueItem } from '../models/order.types';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { DeadLetterStatsRepository, TenantCounters } from '../store/dead-letter-stats.repository';
import type { DeadLetterRepository } from '../store/dead-letter.repository';

/**
 * The statistics as read from the counters, with the oldest unresolved entry left to be found on demand: the counters
 * are a few small documents, the oldest entry is an index search, and most readers (the live feed's subscribers) do
 * not ask for it.
 */
export type DeadLetterStatsRead = Omit<DeadLetterStats, 'oldestUnresolvedAt'> & { oldestUnresolvedAt: () => Promise<Date | null> };

export interface DeadLetterPage {
  entries: DeadLetterQueueItem[];
  total: number;
  limit: number;
  offset: number;
}

/** Reads of a counted page that each met a write, before the page's total is counted from the matches instead. */
const CONSISTENT_LIST_ATTEMPTS = 3;

/** Read side of the dead letter queue: its entries and statistics; lean reads, no locks. */
export class DeadLetterQueries {
  private gaugeRefresh: Promise<void> | null = null;

  private readonly raising = new Set<string>();

  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly counters: DeadLetterStatsRepository,
    private readonly metrics: Metrics,
  ) {}

  async get(request: RequestContext, orderId: string): Promise<DeadLetterQueueItem> {
    const entry = await this.deadLetters.findEntry(request.tenantId, orderId);
    if (!entry) throw new DeadLetterEntryNotFound(orderId);
    return entry;
  }

  async findMany(request: RequestContext, orderIds: readonly string[]): Promise<Map<string, DeadLetterQueueItem>> {
    const entries = await this.deadLetters.findEntries(request.tenantId, [...new Set(orderIds)]);
    return new Map(entries.map((entry) => [entry.orderId, entry]));
  }

  /**
   * A page of entries and how many match. The count comes from the kept counters when they can tell (the queue's
   * default views: all, unresolved, resolved, unresolved of one failure status): a count of the entries reads every match.
   */
  async list(request: RequestContext, query: DeadLetterListQuery): Promise<DeadLetterPage> {
    const { entries, total } =
      (countersCanCount(query) && (await this.listCounted(request.tenantId, query))) || (await this.deadLetters.list(request.tenantId, query, new Date()));
    return { entries, total, limit: query.limit, offset: query.offset };
  }

  /**
   * The page with its total from the counters, when no write came between the two (a retirement between them would
   * leave an entry counted that the page no longer lists); null after CONSISTENT_LIST_ATTEMPTS reads that each met one.
   */
  private async listCounted(tenantId: string, query: DeadLetterListQuery): Promise<{ entries: DeadLetterQueueItem[]; total: number } | null> {
    for (let attempt = 1; attempt <= CONSISTENT_LIST_ATTEMPTS; attempt += 1) {
      const read = await this.counters.read(tenantId);
      const page = await this.deadLetters.list(tenantId, query, new Date(), countedListTotal(read.counters, query));
      if ((await this.counters.changes(tenantId)) === read.changes) return page;
    }
    return null;
  }

  /** The counters now; the oldest unresolved entry is searched for only when `oldestUnresolvedAt` is called (once). */
  async stats(request: Pick<RequestContext, 'tenantId'>): Promise<DeadLetterStatsRead> {
    const read = await this.counters.read(request.tenantId);
    const { oldestUnresolvedAt: _known, ...counted } = statsFromCounters(read.counters, null);
    let oldest: Promise<Date | null> | null = null;
    const oldestUnresolvedAt = () => (oldest ??= read.counters.unresolved > 0 ? this.oldestAfter(request.tenantId, read) : Promise.resolve(null));
    return { ...counted, oldestUnresolvedAt };
  }

  /**
   * The DLQ gauges, over every tenant, read from the store (so every replica reports the same values): the counters,
   * and the oldest unresolved entry of each tenant that has one.
   */
  refreshGauges(): Promise<void> {
    this.gaugeRefresh ??= (async () => {
      try {
        const byTenant = await this.counters.readPerTenant();
        const waiting = [...byTenant].filter(([, counters]) => counters.unresolved > 0);
        const oldest = await Promise.all(waiting.map(([tenantId]) => this.oldestUnresolved(tenantId)));
        const oldestMs = Math.min(...oldest.map((date) => date?.getTime() ?? Number.POSITIVE_INFINITY));
        this.metrics.dlqUnresolved.set(waiting.reduce((sum, [, counters]) => sum + counters.unresolved, 0));
        this.metrics.dlqOldestUnresolvedAge.set(Number.isFinite(oldestMs) ? Math.max(0, (Date.now() - oldestMs) / 1000) : 0);
      } finally {
        this.gaugeRefresh = null;
      }
    })();
    return this.gaugeRefresh;
  }

  /** From the kept counters and a narrow index range: a few small reads however long the queue is. */
  private async oldestUnresolved(tenantId: string): Promise<Date | null> {
    return this.oldestAfter(tenantId, await this.counters.read(tenantId));
  }

  /** Finds the oldest unresolved entry from the kept lower bound, and raises the bound to it for the next reader. */
  private async oldestAfter(tenantId: string, read: TenantCounters): Promise<Date | null> {
    const oldest = await this.deadLetters.oldestUnresolvedAt(tenantId, read.unresolvedSince);
    if (oldest && (read.unresolvedSince === null || oldest.getTime() > read.unresolvedSince.getTime()) && !this.raising.has(tenantId)) {
      // Only a hint (the next reader searches further without it), so the answer does not wait for it: the write can be
      // held behind a transaction a killed replica left open, until the store aborts it. One per tenant at a time.
      this.raising.add(tenantId);
      void this.counters
        .raiseUnresolvedSince(read, oldest)
        .catch(() => undefined)
        .finally(() => this.raising.delete(tenantId));
    }
    return oldest;
  }
}
