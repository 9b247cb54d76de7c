import pino from 'pino';
import { deadLetterQueueChangedNotice } from '../../src/events/live-events';
import { deadLetterChange } from '../../src/models/dead-letter';
import { isDueForRetirement, retentionCutoff, retireDeadLetterEntry } from '../../src/models/dead-letter-retention';
import { deadLetterStatsDelta } from '../../src/models/dead-letter-stats';
import { incrementRetryCount, markMovedToDlq, resolveDeadLetter } from '../../src/models/order.reprocessing';
import type { DlqResolution, Order } from '../../src/models/order.types';
import { toOrderView } from '../../src/schema/order.view';
import { DeadLetterRetentionJob } from '../../src/use-cases/dead-letter-retention-job';
import type { RetentionPass } from '../../src/use-cases/dead-letter-retention';
import { NOW, anOrderIn, ctxAt, deepFreeze, minutesAfter } from './factories/order.factory';

const DAY = 86_400_000;
const RETENTION = 30 * DAY;
const resolvedAt = NOW;
const resolution = (kind: DlqResolution) => ({ resolution: kind, notes: `as ${kind}`, resolvedBy: 'SUPERVISOR-001' });

/** An order moved to the queue and resolved at NOW, frozen so that a decision mutating it fails. */
function resolvedOrder(kind: DlqResolution = 'manual_retry', failureReason = 'Inventory unavailable'): Order {
  const held = markMovedToDlq(anOrderIn('picking'), { failureStatus: 'picking', failureReason }, ctxAt(minutesAfter(NOW, -60))).order;
  return deepFreeze(resolveDeadLetter(held, resolution(kind), ctxAt(resolvedAt)).order);
}

const at = (ms: number) => ctxAt(new Date(resolvedAt.getTime() + ms));

describe('isDueForRetirement', () => {
  const entry = resolvedOrder().deadLetter!;

  it('holds for an entry resolved longer than the retention ago, not at the boundary nor before it', () => {
    expect(isDueForRetirement(entry, new Date(resolvedAt.getTime() + RETENTION + 1), RETENTION)).toBe(true);
    expect(isDueForRetirement(entry, new Date(resolvedAt.getTime() + RETENTION), RETENTION)).toBe(false);
    expect(isDueForRetirement(entry, new Date(resolvedAt.getTime() + DAY), RETENTION)).toBe(false);
  });

  it('never holds for an unresolved entry or no entry, however old', () => {
    const open = { ...entry, resolved: false, resolution: null, resolvedAt: null };
    expect(isDueForRetirement(open, new Date(resolvedAt.getTime() + 10 * RETENTION), RETENTION)).toBe(false);
    expect(isDueForRetirement(null, new Date(resolvedAt.getTime() + 10 * RETENTION), RETENTION)).toBe(false);
  });

  it('counts the cutoff back from now', () => {
    expect(retentionCutoff(new Date('2024-02-14T10:00:00.000Z'), RETENTION)).toEqual(new Date('2024-01-15T10:00:00.000Z'));
  });
});

describe('retireDeadLetterEntry', () => {
  it.each(['manual_retry', 'cancelled', 'escalated'] as const)(
    'takes a %s entry past the retention out of the queue and keeps it on the order; nothing else of the order changes',
    (kind) => {
      const order = resolvedOrder(kind);
      const decision = retireDeadLetterEntry(order, RETENTION, at(RETENTION + 1));
      expect(decision).not.toBeNull();
      const { order: next, events } = decision!;
      expect(events).toEqual([]);
      expect(next.deadLetter).toBeNull();
      const { history: _history, ...record } = order.deadLetter!;
      expect(next.retiredDeadLetterEntries).toEqual([record]);
      expect(next).toEqual({
        ...order,
        deadLetter: null,
        retiredDeadLetterEntries: [record],
        version: order.version + 1,
        updatedAt: new Date(resolvedAt.getTime() + RETENTION + 1),
      });
      // An escalated order stays held: retiring changes the queue, not the order's processing.
      expect(next.deadLettered).toBe(kind === 'escalated');
    },
  );

  it('decides nothing for an entry resolved within the retention, an unresolved entry, or an order without one', () => {
    expect(retireDeadLetterEntry(resolvedOrder(), RETENTION, at(RETENTION))).toBeNull();
    const open = deepFreeze(markMovedToDlq(anOrderIn('picking'), { failureStatus: 'picking', failureReason: 'x' }, ctxAt(NOW)).order);
    expect(retireDeadLetterEntry(open, RETENTION, at(10 * RETENTION))).toBeNull();
    expect(retireDeadLetterEntry(anOrderIn('picking'), RETENTION, at(10 * RETENTION))).toBeNull();
  });

  it('decided again on the retired order (another replica, a retried write), it writes nothing: each entry is retired once', () => {
    const retired = retireDeadLetterEntry(resolvedOrder(), RETENTION, at(RETENTION + 1))!.order;
    expect(retireDeadLetterEntry(deepFreeze(retired), RETENTION, at(RETENTION + 2))).toBeNull();
  });

  it('moves the counters with the entry, announces it as retired, and the order view lists it as history', () => {
    const order = resolvedOrder('cancelled');
    const next = retireDeadLetterEntry(order, RETENTION, at(RETENTION + 1))!.order;
    expect(deadLetterStatsDelta(order.deadLetter, next.deadLetter)).toEqual({ total: -1, 'byResolution.cancelled': -1 });
    expect(deadLetterChange(order, next)).toBe('retired');
    expect(deadLetterQueueChangedNotice(next, 'retired', order.deadLetter)).toMatchObject({ kind: 'retired', orderId: order.orderId, entry: order.deadLetter });
    expect(() => deadLetterQueueChangedNotice(next, 'retired')).toThrow(/no dead letter queue entry/);
    expect(toOrderView(next).deadLetterHistory).toEqual([
      expect.objectContaining({ failureReason: 'Inventory unavailable', resolution: 'cancelled', resolvedBy: 'SUPERVISOR-001', resolvedAt }),
    ]);
  });

  it('keeps every earlier entry, oldest first, and a later move carries them into the new entry, which empties the list', () => {
    const first = resolvedOrder('manual_retry', 'first failure');
    const secondMove = markMovedToDlq(first, { failureStatus: 'packing', failureReason: 'second failure' }, at(DAY)).order;
    const second = resolveDeadLetter(secondMove, resolution('manual_retry'), at(2 * DAY)).order;
    // Retired with the earlier entry of its history.
    const retired = retireDeadLetterEntry(second, RETENTION, at(2 * DAY + RETENTION + 1))!.order;
    expect(retired.retiredDeadLetterEntries!.map((record) => record.failureReason)).toEqual(['first failure', 'second failure']);
    expect(toOrderView(retired).deadLetterHistory.map((past) => past.failureReason)).toEqual(['first failure', 'second failure']);

    // Moved there again by exhausting its retries: the new entry's history holds both; the order keeps them in one place.
    let failing = deepFreeze(retired);
    for (let attempt = 0; attempt < failing.retry.maxRetries; attempt += 1) {
      const failure = { failureReason: 'third failure', failedAt: null, failureStatus: 'shipping', workflowId: null, runId: null };
      failing = incrementRetryCount(failing, { failure, policy: { baseDelayMs: 1_000, maxDelayMs: 60_000 } }, at(3 * DAY + RETENTION)).order;
    }
    expect(failing.deadLetter).toMatchObject({ resolved: false, failureReason: 'third failure' });
    expect(failing.deadLetter!.history.map((record) => record.failureReason)).toEqual(['first failure', 'second failure']);
    expect(failing.retiredDeadLetterEntries).toEqual([]);
    expect(toOrderView(failing).deadLetterHistory.map((past) => past.failureReason)).toEqual(['first failure', 'second failure']);
    // The snapshot of the new entry does not copy them again.
    expect(failing.deadLetter!.originalOrder).not.toHaveProperty('retiredDeadLetterEntries');

    const moved = markMovedToDlq(deepFreeze(retired), { failureStatus: 'shipping', failureReason: 'moved by hand' }, at(3 * DAY + RETENTION)).order;
    expect(moved.deadLetter!.history.map((record) => record.failureReason)).toEqual(['first failure', 'second failure']);
    expect(moved.retiredDeadLetterEntries).toEqual([]);
  });

  it('leaves the stored shape of orders whose entry was never retired alone when they are moved', () => {
    const moved = markMovedToDlq(anOrderIn('picking'), { failureStatus: 'picking', failureReason: 'x' }, ctxAt(NOW)).order;
    expect(moved).not.toHaveProperty('retiredDeadLetterEntries');
    expect(toOrderView(moved).deadLetterHistory).toEqual([]);
  });
});

describe('DeadLetterRetentionJob', () => {
  const logger = pino({ level: 'silent' });

  /** A retention whose batches answer as scripted (the last answer repeats). */
  function scripted(answers: RetentionPass[]) {
    const calls: number[] = [];
    return {
      calls,
      retireDue: async (limit: number) => {
        calls.push(limit);
        return answers[Math.min(calls.length - 1, answers.length - 1)];
      },
    };
  }
  const lease = (held: boolean) => ({ renew: jest.fn(async () => held), release: jest.fn(async () => undefined), renewEveryMs: 1_000 });
  const full = { found: 10, retired: 10, failures: [] };

  async function onePass(retention: ReturnType<typeof scripted>, held = true, passBatches = 3) {
    const holder = lease(held);
    const job = new DeadLetterRetentionJob(retention, holder, logger, { intervalMs: 60_000, batchSize: 10, passBatches });
    job.start();
    // The first pass is scheduled at once; stop() waits for it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await job.stop();
    return holder;
  }

  it('runs no batch without the lease', async () => {
    const retention = scripted([full]);
    await onePass(retention, false);
    expect(retention.calls).toEqual([]);
  });

  it('stops a pass at its bound however many entries are due, and releases the lease on stop', async () => {
    const retention = scripted([full]);
    const holder = await onePass(retention, true, 3);
    expect(retention.calls).toEqual([10, 10, 10]);
    expect(holder.release).toHaveBeenCalled();
  });

  it('ends a pass at a short batch, and at a batch that retired nothing (it would read the same entries again)', async () => {
    const short = scripted([full, { found: 4, retired: 4, failures: [] }]);
    await onePass(short, true, 10);
    expect(short.calls).toHaveLength(2);
    const stuck = scripted([{ found: 10, retired: 0, failures: [new Error('store refused')] }]);
    await onePass(stuck, true, 10);
    expect(stuck.calls).toHaveLength(1);
  });
});
