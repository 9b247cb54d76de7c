import type { PublishedMark } from '../../store/outbox.repository';

interface SentPosition {
  upToSeq: number;
  /** When the store learnt it (null: not yet). Forgotten once no read begun before that is still going on. */
  recordedAt: number | null;
}

/**
 * How far this relay has sent each order's events, until the store knows it too. It is what keeps an event from being
 * sent twice by this relay while the store still shows it pending: between a send and its record, and for a read that
 * began before the record (it may still return the event as pending).
 */
export class SentLedger {
  private readonly sent = new Map<string, SentPosition>();
  /** Start times of reads in progress. */
  private readonly reads = new Map<symbol, number>();

  /** The last `seq` sent of this order's events (0: none that the store may not know of). */
  sentUpTo(orderId: string): number {
    return this.sent.get(orderId)?.upToSeq ?? 0;
  }

  markSent(orderId: string, upToSeq: number): void {
    this.sent.set(orderId, { upToSeq, recordedAt: null });
  }

  /** Up to `limit` positions the store has not been told yet. */
  unrecorded(limit: number): PublishedMark[] {
    const marks: PublishedMark[] = [];
    for (const [orderId, position] of this.sent) {
      if (marks.length === limit) break;
      if (position.recordedAt === null) marks.push({ orderId, upToSeq: position.upToSeq });
    }
    return marks;
  }

  /** The store has these positions since `at` (a position that moved on since the mark stays unrecorded). */
  recorded(marks: PublishedMark[], at: number): void {
    for (const mark of marks) {
      const position = this.sent.get(mark.orderId);
      if (position?.upToSeq === mark.upToSeq) position.recordedAt = at;
    }
  }

  /** Runs a read of pending outboxes; what is recorded while it runs is remembered until it ends. */
  async whileReading<T>(read: () => Promise<T>): Promise<T> {
    const token = Symbol('read');
    this.reads.set(token, Date.now());
    try {
      return await read();
    } finally {
      this.reads.delete(token);
    }
  }

  /** Drops the positions the store knew before every read still going on began. */
  forgetRecorded(now = Date.now()): void {
    const horizon = Math.min(now, ...this.reads.values());
    for (const [orderId, position] of this.sent) {
      if (position.recordedAt !== null && position.recordedAt < horizon) this.sent.delete(orderId);
    }
  }
}
