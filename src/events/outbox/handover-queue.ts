import type { OutboxEntryDoc } from '../../store/order.document';

/** Events just stored under this replica's lease, oldest first: the relay may send them without reading the store. */
export interface HandedOverEvents {
  tenantId: string;
  entries: OutboxEntryDoc[];
}

/** An order waiting for the relay: what it was handed, or null when the relay must read the order to know. */
export type WaitingOrder = [orderId: string, events: HandedOverEvents | null];

/**
 * The orders this replica stored events for and has not sent yet, in the order they were stored. Events handed over
 * for an order that is already waiting are joined to what waits only when they follow on from it (next `seq`);
 * anything else — a gap, a write whose events were not leased to this replica — makes the relay read the order.
 */
export class HandOverQueue {
  private readonly waiting = new Map<string, HandedOverEvents | null>();

  get size(): number {
    return this.waiting.size;
  }

  add(orderId: string, events?: HandedOverEvents): void {
    const waiting = this.waiting.get(orderId);
    const follows = events && (waiting === undefined || (waiting !== null && waiting.entries.at(-1)!.seq + 1 === events.entries[0].seq));
    this.waiting.set(orderId, follows ? { tenantId: events.tenantId, entries: [...(waiting?.entries ?? []), ...events.entries] } : null);
  }

  /** Takes up to `count` orders, the longest waiting first. */
  take(count: number): WaitingOrder[] {
    const taken: WaitingOrder[] = [];
    for (const entry of this.waiting) {
      if (taken.length === count) break;
      taken.push(entry);
    }
    for (const [orderId] of taken) this.waiting.delete(orderId);
    return taken;
  }

  /** Orders taken but not sent: they wait again, to be read from the store (unless stored again meanwhile). */
  putBack(orderIds: Iterable<string>): void {
    for (const orderId of orderIds) if (!this.waiting.has(orderId)) this.waiting.set(orderId, null);
  }
}
