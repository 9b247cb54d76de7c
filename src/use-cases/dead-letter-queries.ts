import { summariseDeadLetters, type DeadLetterStats } from '../models/dead-letter';
import type { DeadLetterListQuery, RetryEligibilityQuery } from '../models/order.input';
import { DeadLetterEntryNotFound, OrderNotFound } from '../models/order.errors';
import type { Order } from '../models/order.types';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { DeadLetterRepository, StoredDeadLetter } from '../store/dead-letter.repository';
import type { OrderRepository } from '../store/order.repository';

export interface DeadLetterPage {
  entries: StoredDeadLetter[];
  total: number;
  limit: number;
  offset: number;
}

/** Read side of reprocessing and the dead letter queue: lean reads, no locks. */
export class DeadLetterQueries {
  private gaugeRefresh: Promise<void> | null = null;

  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly orders: OrderRepository,
    private readonly metrics: Metrics,
  ) {}

  async get(request: RequestContext, orderId: string): Promise<StoredDeadLetter> {
    const entry = await this.deadLetters.findEntry(request.tenantId, orderId);
    if (!entry) throw new DeadLetterEntryNotFound(orderId);
    return entry;
  }

  async findMany(request: RequestContext, orderIds: readonly string[]): Promise<Map<string, StoredDeadLetter>> {
    const entries = await this.deadLetters.findEntries(request.tenantId, [...new Set(orderIds)]);
    return new Map(entries.map((entry) => [entry.orderId, entry]));
  }

  async list(request: RequestContext, query: DeadLetterListQuery): Promise<DeadLetterPage> {
    const { entries, total } = await this.deadLetters.list(request.tenantId, query, new Date());
    return { entries, total, limit: query.limit, offset: query.offset };
  }

  stats(request: Pick<RequestContext, 'tenantId'>): Promise<DeadLetterStats> {
    return this.statsOf(request.tenantId);
  }

  async retryMetadata(request: RequestContext, orderId: string): Promise<Order> {
    const order = await this.orders.findById(request.tenantId, orderId);
    if (!order) throw new OrderNotFound(orderId);
    return order;
  }

  eligibleForRetry(request: RequestContext, query: RetryEligibilityQuery): Promise<{ orders: Order[]; total: number }> {
    return this.deadLetters.findDueForRetry(request.tenantId, query, new Date());
  }

  /**
   * The DLQ gauges, over every tenant, read from the store (so every replica reports the same values). A refresh still
   * running is joined rather than doubled: on FerretDB each of these reads is a full scan.
   */
  refreshGauges(): Promise<void> {
    this.gaugeRefresh ??= (async () => {
      try {
        const [unresolved, oldest] = await Promise.all([this.deadLetters.countUnresolved(null), this.deadLetters.oldestUnresolvedAt(null)]);
        this.metrics.dlqUnresolved.set(unresolved);
        this.metrics.dlqOldestUnresolvedAge.set(oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0);
      } finally {
        this.gaugeRefresh = null;
      }
    })();
    return this.gaugeRefresh;
  }

  private async statsOf(tenantId: string): Promise<DeadLetterStats> {
    const [groups, oldest] = await Promise.all([this.deadLetters.countGroups(tenantId), this.deadLetters.oldestUnresolvedAt(tenantId)]);
    return summariseDeadLetters(groups, oldest);
  }
}
