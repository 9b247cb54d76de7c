import { randomUUID } from 'node:crypto';
import { retentionCutoff, retireDeadLetterEntry } from '../models/dead-letter-retention';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import type { DeadLetterRepository } from '../store/dead-letter.repository';
import { decisionContext } from './decision-context';
import type { OrderWriter } from './order-writer';

/** The context of a retirement: the service's own work in the order's tenant, no caller. */
function retentionContext(tenantId: string): RequestContext {
  return {
    requestId: randomUUID(),
    correlationId: randomUUID(),
    waveNumber: null,
    workflowId: null,
    traceparent: null,
    tenantId,
    userId: null,
    scopes: new Set(),
  };
}

export interface RetentionPass {
  /** Entries found past the retention. */
  found: number;
  /** Entries this pass took out of the queue (another writer may have changed the others first). */
  retired: number;
  /** Retirements that failed (the store refused or kept conflicting); they are found again by the next pass. */
  failures: unknown[];
}

/**
 * The dead letter queue's retention (DLQ_RETENTION): resolved entries older than it leave the queue. Each retirement is
 * one OrderWriter change (load → retireDeadLetterEntry → one conditional write), so the queue's counters move in the
 * same transaction, the live notice goes out through the outbox, and a retirement decided twice (two replicas, a
 * retried write) writes once.
 */
export class DeadLetterRetention {
  constructor(
    private readonly writer: OrderWriter,
    private readonly entries: Pick<DeadLetterRepository, 'findDueForRetirement'>,
    private readonly metrics: Pick<Metrics, 'dlqRetired'>,
    readonly retentionMs: number,
  ) {}

  /** Retires the order's entry if it is past the retention; whether this call did. */
  async retire(tenantId: string, orderId: string): Promise<boolean> {
    const context = retentionContext(tenantId);
    // Decided again on the fresh order whenever another writer got there first: the last decision is the one stored.
    const outcome: { retired: string | null } = { retired: null };
    await this.writer.change(orderId, context, (current) => {
      const decision = retireDeadLetterEntry(current, this.retentionMs, decisionContext(context));
      outcome.retired = decision ? (current.deadLetter?.resolution ?? 'unknown') : null;
      return decision;
    });
    if (outcome.retired === null) return false;
    this.metrics.dlqRetired.inc({ resolution: outcome.retired });
    return true;
  }

  /**
   * One batch: the entries longest past the retention, at most `limit`, retired one after the other (each is a small
   * transaction; one at a time keeps the sweep's share of the store small) until `stopping` says to stop.
   */
  async retireDue(limit: number, stopping: () => boolean = () => false): Promise<RetentionPass> {
    const due = await this.entries.findDueForRetirement(retentionCutoff(new Date(), this.retentionMs), limit);
    const pass: RetentionPass = { found: due.length, retired: 0, failures: [] };
    for (const { tenantId, orderId } of due) {
      if (stopping()) break;
      // One order the store keeps refusing must not hold back the others.
      try {
        if (await this.retire(tenantId, orderId)) pass.retired += 1;
      } catch (error) {
        pass.failures.push(error);
      }
    }
    return pass;
  }
}
