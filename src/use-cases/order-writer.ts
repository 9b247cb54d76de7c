import { OrderNotFound, VersionMismatch } from '../models/order.errors';
import type { Decision } from '../models/order.decision';
import type { Order } from '../models/order.types';
import { ORDER_EVENTS_TOPIC, ORDER_LIVE_TOPIC } from '../events/topics';
import { deadLetterQueueChangedNotice, orderStatusChangedNotice, LIVE_EVENT_TYPES } from '../events/live-events';
import { deadLetterChange } from '../models/dead-letter';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { RelayHandoff } from '../events/outbox-relay';
import type { OrderLocks } from '../store/order-locks';
import { ConcurrentWrite, type OrderRepository, type PendingEvent, type StoredEvents } from '../store/order.repository';


/**
 * The one path by which an order changes: lock → load → decide (pure domain function) → one conditional write that
 * stores the new state together with its events, leased to this replica's relay → nudge the relay. Use cases are one call to `change` each.
 */
export class OrderWriter {
  constructor(
    private readonly repository: OrderRepository,
    private readonly locks: OrderLocks,
    private readonly metrics: Metrics,
    private readonly relay: RelayHandoff,
  ) {}

  async create(decision: NonNullable<Decision>, context: RequestContext): Promise<Order> {
    const stored = await this.repository.insert(decision.order, this.pendingEvents(null, decision), context, this.relay.leaseForNewEvents());
    this.metrics.ordersCreated.inc({ priority: decision.order.priority });
    this.handOver(decision.order, stored);
    return decision.order;
  }

  async change(
    orderId: string,
    context: RequestContext,
    decide: (order: Order) => Decision,
    options: { expectedVersion?: number | null } = {},
  ): Promise<Order> {
    return this.locks.withOrder(orderId, async () => {
      const loaded = await this.repository.loadForChange(context.tenantId, orderId);
      if (!loaded) throw new OrderNotFound(orderId);
      if (options.expectedVersion != null && options.expectedVersion !== loaded.order.version) {
        throw new VersionMismatch(options.expectedVersion, loaded.order.version);
      }
      const decision = decide(loaded.order);
      if (!decision) return loaded.order;
      let stored: StoredEvents;
      try {
        stored = await this.repository.update(loaded, decision.order, this.pendingEvents(loaded.order, decision), context, this.relay.leaseForNewEvents());
      } catch (error) {
        // Another replica wrote between our read and our write: the caller sees a precondition failure, nothing is lost.
        if (error instanceof ConcurrentWrite) throw new VersionMismatch(loaded.order.version, loaded.order.version + 1);
        throw error;
      }
      if (decision.order.status !== loaded.order.status) {
        this.metrics.orderTransitions.inc({ from: loaded.order.status, to: decision.order.status });
      }
      this.handOver(decision.order, stored);
      return decision.order;
    });
  }

  /** Events leased to this replica's relay go to it as stored; others only nudge it to look (it may not own them). */
  private handOver(order: Order, stored: StoredEvents): void {
    if (stored.entries.length === 0) return;
    this.relay.eventsStored(order.orderId, stored.leasedToWriter ? { tenantId: order.tenantId, entries: stored.entries } : undefined);
  }

  /**
   * Domain events for the public topic, plus live notices (feeding subscriptions on every replica) when the status moved
   * and when the write added or resolved a dead letter queue entry.
   */
  private pendingEvents(before: Order | null, decision: NonNullable<Decision>): PendingEvent[] {
    const events: PendingEvent[] = decision.events.map((event) => ({ topic: ORDER_EVENTS_TOPIC, type: event.type, data: event.data }));
    const after = decision.order;
    if (before && before.status !== after.status) {
      events.push({ topic: ORDER_LIVE_TOPIC, type: LIVE_EVENT_TYPES.orderStatusChanged, data: orderStatusChangedNotice(before, after) });
    }
    const dlqChange = deadLetterChange(before, after);
    if (dlqChange) {
      events.push({ topic: ORDER_LIVE_TOPIC, type: LIVE_EVENT_TYPES.deadLetterQueueChanged, data: deadLetterQueueChangedNotice(after, dlqChange) });
    }
    return events;
  }
}
