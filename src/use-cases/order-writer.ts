import { OrderNotFound, VersionMismatch, WriteContention } from '../models/order.errors';
import type { Decision } from '../models/order.decision';
import type { Order } from '../models/order.types';
import { ORDER_EVENTS_TOPIC, ORDER_LIVE_TOPIC } from '../events/topics';
import { deadLetterQueueChangedNotice, orderStatusChangedNotice, LIVE_EVENT_TYPES } from '../events/live-events';
import { deadLetterChange } from '../models/dead-letter';
import { deadLetterStatsDelta } from '../models/dead-letter-stats';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { RelayHandoff } from '../events/outbox/relay';
import { OrderWriteQueue } from './order-write-queue';
import { ConcurrentWrite, type OrderRepository, type PendingEvent, type StoredEvents } from '../store/order.repository';

/** Attempts at one change when other writers keep getting there first; then the caller gets a retryable 503. */
export const MAX_WRITE_ATTEMPTS = 12;

/** Full jitter over a capped exponential (3 ms, 6 ms … 200 ms), so writers that met once spread out. */
function conflictBackoffMs(attempt: number): number {
  return Math.random() * Math.min(200, 3 * 2 ** (attempt - 1));
}

/**
 * The one path by which an order changes: load → decide (pure domain function) → one conditional write that stores the
 * new state together with its events, leased to this replica's relay → hand them to the relay. Use cases are one call
 * to `change` each.
 *
 * Safety across replicas comes from the write itself: it applies only if the order is still at the version that was
 * read. When another writer got there first and the caller pinned no version, the change is decided again on the
 * fresh order (a decision is a pure function of the order, so deciding twice is harmless); a caller that pinned one
 * (If-Match, `expectedVersion`) gets PRECONDITION_FAILED instead. Within one process, writes to one order queue up
 * (OrderWriteQueue), so only replicas race each other.
 */
export class OrderWriter {
  private readonly queue = new OrderWriteQueue();

  constructor(
    private readonly repository: OrderRepository,
    private readonly metrics: Metrics,
    private readonly relay: RelayHandoff,
  ) {}

  async create(decision: NonNullable<Decision>, context: RequestContext): Promise<Order> {
    const stored = await this.repository.insert(decision.order, this.pendingEvents(null, decision), context, this.relay.leaseForNewEvents());
    this.metrics.ordersCreated.inc({ priority: decision.order.priority });
    this.handOver(decision.order, stored);
    return decision.order;
  }

  change(orderId: string, context: RequestContext, decide: (order: Order) => Decision, options: { expectedVersion?: number | null } = {}): Promise<Order> {
    return this.queue.run(orderId, () => this.decideAndWrite(orderId, context, decide, options));
  }

  private async decideAndWrite(
    orderId: string,
    context: RequestContext,
    decide: (order: Order) => Decision,
    options: { expectedVersion?: number | null },
  ): Promise<Order> {
    for (let attempt = 1; ; attempt += 1) {
      const loaded = await this.repository.loadForChange(context.tenantId, orderId);
      if (!loaded) throw new OrderNotFound(orderId);
      if (options.expectedVersion != null && options.expectedVersion !== loaded.order.version) {
        throw new VersionMismatch(options.expectedVersion, loaded.order.version);
      }
      const decision = decide(loaded.order);
      if (!decision) return loaded.order;
      let stored: StoredEvents;
      try {
        const statsDelta = deadLetterStatsDelta(loaded.order.deadLetter, decision.order.deadLetter);
        stored = await this.repository.update(
          loaded,
          decision.order,
          this.pendingEvents(loaded.order, decision),
          context,
          this.relay.leaseForNewEvents(),
          statsDelta,
        );
      } catch (error) {
        if (!(error instanceof ConcurrentWrite)) throw error;
        if (options.expectedVersion != null) throw new VersionMismatch(options.expectedVersion, options.expectedVersion + 1);
        const outcome = attempt < MAX_WRITE_ATTEMPTS ? 'retried' : 'gave_up';
        this.metrics.writeConflicts.inc({ outcome });
        if (outcome === 'gave_up') throw new WriteContention(orderId, attempt);
        await new Promise((resolve) => setTimeout(resolve, conflictBackoffMs(attempt)));
        continue;
      }
      if (decision.order.status !== loaded.order.status) {
        this.metrics.orderTransitions.inc({ from: loaded.order.status, to: decision.order.status });
      }
      this.handOver(decision.order, stored);
      return decision.order;
    }
  }

  /** Events leased to this replica's relay go to it as stored; others only nudge it to look (it may not own them). */
  private handOver(order: Order, stored: StoredEvents): void {
    if (stored.entries.length === 0) return;
    this.relay.eventsStored(order.orderId, stored.leasedToWriter ? { tenantId: order.tenantId, entries: stored.entries } : undefined);
  }

  /**
   * Domain events for the public topic, plus live notices (feeding subscriptions on every replica) when the status moved
   * and when the write added, resolved or retired a dead letter queue entry.
   */
  private pendingEvents(before: Order | null, decision: NonNullable<Decision>): PendingEvent[] {
    const events: PendingEvent[] = decision.events.map((event) => ({ topic: ORDER_EVENTS_TOPIC, type: event.type, data: event.data }));
    const after = decision.order;
    if (before && before.status !== after.status) {
      events.push({ topic: ORDER_LIVE_TOPIC, type: LIVE_EVENT_TYPES.orderStatusChanged, data: orderStatusChangedNotice(before, after) });
    }
    const dlqChange = deadLetterChange(before, after);
    if (dlqChange) {
      // A retired entry is no longer on the order: the notice carries it as it left the queue.
      const entry = dlqChange === 'retired' ? (before?.deadLetter ?? null) : after.deadLetter;
      events.push({ topic: ORDER_LIVE_TOPIC, type: LIVE_EVENT_TYPES.deadLetterQueueChanged, data: deadLetterQueueChangedNotice(after, dlqChange, entry) });
    }
    return events;
  }
}
