import { createPubSub } from '@graphql-yoga/subscription';
import { deadLetterQueueChangedNotice, readDeadLetterQueueChangedNotice } from '../../src/events/live-events';
import { deadLetterChange, olderThanCutoff, openDeadLetterEntry } from '../../src/models/dead-letter';
import {
  addCounters,
  countedListTotal,
  counterKey,
  countersCanCount,
  deadLetterStatsDelta,
  fromCounterKey,
  statsFromCounters,
  type DeadLetterCounters,
} from '../../src/models/dead-letter-stats';
import { DeadLetterEntryAlreadyResolved, DeadLetterEntryNotFound, InvalidInput, TransitionRefused } from '../../src/models/order.errors';
import { parseDeadLetterListQuery, parseRetryEligibilityQuery, type RetryFailure } from '../../src/models/order.input';
import { cancelOrder } from '../../src/models/order.lifecycle';
import { incrementRetryCount, markMovedToDlq, resolveDeadLetter, type RetryPolicy } from '../../src/models/order.reprocessing';
import type { DlqResolution, Order } from '../../src/models/order.types';
import { trackSubscription } from '../../src/server/subscription-limits';
import { DeadLetterFeed } from '../../src/use-cases/dead-letter-feed';
import type { DeadLetterQueries } from '../../src/use-cases/dead-letter-queries';
import { NOW, ORDER_ID, anOrderIn, ctxAt, deepFreeze, minutesAfter } from './factories/order.factory';

const ctx = ctxAt();
const POLICY: RetryPolicy = { baseDelayMs: 15 * 60_000, maxDelayMs: 4 * 60 * 60_000 };
/** The orchestrator reports failures that happened a while ago: the backoff counts from then, not from the call. */
const FAILED_AT = new Date('2024-01-15T08:00:00.000Z');

function failure(overrides: Partial<RetryFailure> = {}): RetryFailure {
  return { failureReason: 'Picking station offline', failedAt: FAILED_AT, failureStatus: null, workflowId: null, runId: null, ...overrides };
}

function fail(order: Order, times: number, at = ctx) {
  let decision = incrementRetryCount(order, { failure: failure(), policy: POLICY }, at);
  for (let i = 1; i < times; i++) decision = incrementRetryCount(decision.order, { failure: failure(), policy: POLICY }, at);
  return decision;
}

const held = () => deepFreeze(fail(anOrderIn('picking'), 5).order);
const resolution = (kind: 'manual_retry' | 'cancelled' | 'escalated', notes: string | null = null) => ({
  resolution: kind,
  notes,
  resolvedBy: 'SUPERVISOR-001',
});

describe('incrementRetryCount with the dead letter queue', () => {
  it.each([
    { count: 1, minutes: 15 },
    { count: 2, minutes: 30 },
    { count: 3, minutes: 60 },
    { count: 4, minutes: 120 },
  ])('failure $count reported for the past is retried $minutes min after it happened', ({ count, minutes }) => {
    const { order, movedToDlq } = fail(anOrderIn('picking'), count);
    expect(movedToDlq).toBe(false);
    expect(order.retry.nextRetryAt).toEqual(minutesAfter(FAILED_AT, minutes));
    expect(order.deadLetter).toBeNull();
  });

  it('the fifth failure opens the entry in the same decision: reason, attempts, history and a snapshot of the order', () => {
    const { order, movedToDlq, events } = fail(anOrderIn('picking'), 5);
    expect(movedToDlq).toBe(true);
    expect(order.deadLettered).toBe(true);
    expect(order.deadLetter).toMatchObject({
      failureStatus: 'picking',
      failureReason: 'Picking station offline',
      retryCount: 5,
      resolved: false,
      resolution: null,
      resolvedBy: null,
      resolvedAt: null,
      notes: null,
      createdAt: NOW,
      updatedAt: NOW,
      history: [],
    });
    expect(order.deadLetter!.retryHistory.map((attempt) => attempt.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(order.deadLetter!.originalOrder).not.toHaveProperty('deadLetter');
    expect(order.deadLetter!.originalOrder).toMatchObject({ orderId: ORDER_ID, status: 'picking', version: order.version, retry: { count: 5 } });
    expect(events.map((event) => event.type)).toEqual(['wms.order.moved-to-dlq']);
  });

  it('a sixth failure is refused with CONFLICT', () => {
    expect(() => incrementRetryCount(held(), { failure: failure(), policy: POLICY }, ctx)).toThrow(TransitionRefused);
  });
});

describe('resolveDeadLetter', () => {
  it('manual_retry releases the order with count 0, status reset, retry due now, and records who resolved it', () => {
    const later = ctxAt(minutesAfter(NOW, 90));
    const { order, events } = resolveDeadLetter(held(), resolution('manual_retry', 'stock replenished'), later);
    expect(order).toMatchObject({ deadLettered: false, status: 'validated', waveId: null, retry: { count: 0, nextRetryAt: later.now } });
    expect(order.deadLetter).toMatchObject({
      resolved: true,
      resolution: 'manual_retry',
      resolvedBy: 'SUPERVISOR-001',
      resolvedAt: later.now,
      notes: 'stock replenished',
      updatedAt: later.now,
      createdAt: NOW,
    });
    expect(events.map(({ data }) => data)).toEqual([
      expect.objectContaining({ type: 'wms.order.retry-scheduled', retryNumber: 0, failureStatus: 'picking', failureReason: 'Picking station offline' }),
    ]);
  });

  it('cancelled cancels the order with the notes as reason and releases it', () => {
    const { order, events } = resolveDeadLetter(held(), resolution('cancelled', 'customer withdrew'), ctx);
    expect(order).toMatchObject({ status: 'cancelled', deadLettered: false, cancellation: { reason: 'customer withdrew' } });
    expect(order.deadLetter).toMatchObject({ resolved: true, resolution: 'cancelled' });
    expect(events.map(({ data }) => data)).toEqual([expect.objectContaining({ type: 'wms.order.cancelled', reason: 'customer withdrew' })]);
  });

  it('escalated resolves the entry and keeps the order held, publishing nothing', () => {
    const before = held();
    const { order, events } = resolveDeadLetter(before, resolution('escalated'), ctx);
    expect(order).toMatchObject({ deadLettered: true, status: 'picking', version: before.version + 1, retry: { count: 5 } });
    expect(order.deadLetter).toMatchObject({ resolved: true, resolution: 'escalated' });
    expect(events).toEqual([]);
  });

  it.each(['manual_retry', 'cancelled', 'escalated'] as const)('a second resolution after %s is a CONFLICT', (first) => {
    const { order } = resolveDeadLetter(held(), resolution(first), ctx);
    const second = () => resolveDeadLetter(order, resolution('escalated'), ctx);
    expect(second).toThrow(DeadLetterEntryAlreadyResolved);
    try {
      second();
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFLICT', details: { orderId: ORDER_ID, resolution: first } });
    }
  });

  it('an order never moved to the DLQ has no entry to resolve: NOT_FOUND', () => {
    expect(() => resolveDeadLetter(anOrderIn('picking'), resolution('escalated'), ctx)).toThrow(DeadLetterEntryNotFound);
  });

  it('a manual retry of an order cancelled while held is a CONFLICT (nothing to retry)', () => {
    const cancelled = cancelOrder(held(), { reason: 'customer request' }, ctx)!.order;
    expect(() => resolveDeadLetter(cancelled, resolution('manual_retry'), ctx)).toThrow(TransitionRefused);
  });
});

describe('moving an order to the DLQ again', () => {
  const move = { failureStatus: 'packing', failureReason: 'Scale broken' };

  it('reopens the entry and keeps the resolved one in its history', () => {
    const released = resolveDeadLetter(held(), resolution('manual_retry', 'try again'), ctx).order;
    const later = ctxAt(minutesAfter(NOW, 30));
    const { order } = markMovedToDlq(released, move, later);
    expect(order.deadLetter).toMatchObject({ failureStatus: 'packing', failureReason: 'Scale broken', retryCount: 0, resolved: false, createdAt: later.now });
    expect(order.deadLetter!.history).toHaveLength(1);
    expect(order.deadLetter!.history[0]).toMatchObject({
      failureStatus: 'picking',
      resolved: true,
      resolution: 'manual_retry',
      notes: 'try again',
      createdAt: NOW,
    });
    expect(order.deadLetter!.history[0]).not.toHaveProperty('history');

    const again = markMovedToDlq(resolveDeadLetter(order, resolution('manual_retry'), later).order, move, later).order;
    expect(again.deadLetter!.history.map((record) => record.failureStatus)).toEqual(['picking', 'packing']);
  });

  it('refuses to open a second entry while one is unresolved', () => {
    expect(() => openDeadLetterEntry({ ...held(), deadLettered: false }, move, NOW)).toThrow(TransitionRefused);
  });
});

describe('deadLetterChange', () => {
  const open = held();
  const resolved = resolveDeadLetter(open, resolution('escalated'), ctx).order;
  const released = resolveDeadLetter(open, resolution('manual_retry'), ctx).order;
  const reopened = markMovedToDlq(released, { failureStatus: 'picking', failureReason: 'again' }, ctx).order;

  it.each([
    ['a new order', null, anOrderIn('received'), null],
    ['a retry that did not exhaust', anOrderIn('picking'), fail(anOrderIn('picking'), 1).order, null],
    ['the move', fail(anOrderIn('picking'), 4).order, open, 'added'],
    ['a resolution', open, resolved, 'resolved'],
    ['a reopening', released, reopened, 'added'],
    ['a write to a resolved entry', resolved, { ...resolved, version: resolved.version + 1 }, null],
    ['a retirement', resolved, { ...resolved, deadLetter: null }, 'retired'],
    ['a write to an order whose entry was retired', { ...resolved, deadLetter: null }, { ...resolved, deadLetter: null }, null],
  ] as const)('%s → %s', (_name, before, after, expected) => {
    expect(deadLetterChange(before, after)).toBe(expected);
  });
});

describe('dead letter statistics as counters', () => {
  type Counted = Parameters<typeof deadLetterStatsDelta>[0];
  const open = (failureStatus: string, retryCount: number): Counted => ({ resolved: false, resolution: null, failureStatus, retryCount });
  const closed = (resolution: DlqResolution, failureStatus: string, retryCount: number): Counted => ({ resolved: true, resolution, failureStatus, retryCount });
  const oldest = new Date('2024-01-10T08:30:00Z');

  /** Applies a sequence of (before → after) changes to empty counters, as the store's `$inc` would. */
  function apply(changes: Array<[Counted | null, Counted | null]>): DeadLetterCounters {
    const counters: DeadLetterCounters = { total: 0, unresolved: 0, retrySum: 0, byStatus: {}, byResolution: {} };
    for (const [before, after] of changes) {
      for (const [path, by] of Object.entries(deadLetterStatsDelta(before, after))) {
        const [head, key] = path.split('.') as [keyof DeadLetterCounters, string?];
        if (key === undefined) (counters[head] as number) += by;
        else (counters[head] as Record<string, number>)[key] = ((counters[head] as Record<string, number>)[key] ?? 0) + by;
      }
    }
    return counters;
  }

  it('counts unresolved entries by failure status and resolved ones by resolution, each summing to its total', () => {
    const counters = apply([
      ...Array.from({ length: 4 }, () => [null, open('picking', 5)] as [null, Counted]),
      [null, open('picking', 2)],
      [null, open('shipping', 5)],
      [null, open('shipping', 5)],
      [null, open('packing', 1)],
      ...Array.from({ length: 4 }, () => [open('picking', 5), closed('manual_retry', 'picking', 5)] as [Counted, Counted]),
      [open('packing', 1), closed('escalated', 'packing', 1)],
    ]);
    expect(statsFromCounters(addCounters([counters]), oldest)).toEqual({
      totalEntries: 8,
      unresolvedCount: 3,
      resolvedCount: 5,
      byFailureStatus: [
        { failureStatus: 'shipping', count: 2 },
        { failureStatus: 'picking', count: 1 },
      ],
      byResolution: [
        { resolution: 'manual_retry', count: 4 },
        { resolution: 'cancelled', count: 0 },
        { resolution: 'escalated', count: 1 },
      ],
      oldestUnresolvedAt: oldest,
      // (4 × 5 + 2 + 2 × 5 + 1) / 8 = 4.125
      averageRetries: 4.13,
    });
  });

  it('a reopened entry moves from its resolution back to its new failure status; the total stays', () => {
    const counters = apply([
      [null, open('picking', 5)],
      [open('picking', 5), closed('manual_retry', 'picking', 5)],
      [closed('manual_retry', 'picking', 5), open('packing', 3)],
    ]);
    expect(counters).toEqual({ total: 1, unresolved: 1, retrySum: 3, byStatus: { picking: 0, packing: 1 }, byResolution: { manual_retry: 0 } });
  });

  it('a write that leaves the entry as it was counts nothing', () => {
    expect(deadLetterStatsDelta(null, null)).toEqual({});
    expect(deadLetterStatsDelta(open('picking', 5), open('picking', 5))).toEqual({});
  });

  it('sums counters spread over several documents', () => {
    const sum = addCounters([
      { total: 2, unresolved: 1, retrySum: 7, byStatus: { picking: 1 }, byResolution: { cancelled: 1 } },
      { total: 1, unresolved: 1, retrySum: 1, byStatus: { picking: 1 } },
      {},
    ]);
    expect(sum).toEqual({ total: 3, unresolved: 2, retrySum: 8, byStatus: { picking: 2 }, byResolution: { cancelled: 1 } });
  });

  it('free-text failure statuses survive as field names, dots and dollars included', () => {
    for (const status of ['station.3', '$where', '50%', 'a%2Eb']) {
      expect(fromCounterKey(counterKey(status))).toBe(status);
      expect(counterKey(status)).not.toMatch(/[.$]/);
    }
    const stats = statsFromCounters(apply([[null, open('station.3', 1)]]), oldest);
    expect(stats.byFailureStatus).toEqual([{ failureStatus: 'station.3', count: 1 }]);
  });

  it('an empty queue has no oldest entry and averages 0', () => {
    expect(statsFromCounters(addCounters([]), oldest)).toMatchObject({
      totalEntries: 0,
      unresolvedCount: 0,
      resolvedCount: 0,
      byFailureStatus: [],
      oldestUnresolvedAt: null,
      averageRetries: 0,
    });
  });
});

describe('list totals from the counters', () => {
  const counters: DeadLetterCounters = {
    total: 10,
    unresolved: 6,
    retrySum: 0,
    byStatus: { picking: 4, [counterKey('pack.ing')]: 2 },
    byResolution: { manual_retry: 3, cancelled: 1 },
  };
  const filter = (fields: Partial<Parameters<typeof countersCanCount>[0]>) => ({
    resolved: null,
    failureStatus: null,
    customerId: null,
    olderThanHours: null,
    ...fields,
  });

  it('answers the views the counters keep: all, unresolved, resolved, unresolved of one failure status', () => {
    expect(countedListTotal(counters, filter({}))).toBe(10);
    expect(countedListTotal(counters, filter({ resolved: false }))).toBe(6);
    expect(countedListTotal(counters, filter({ resolved: true }))).toBe(4);
    expect(countedListTotal(counters, filter({ resolved: false, failureStatus: 'pack.ing' }))).toBe(2);
    expect(countedListTotal(counters, filter({ resolved: false, failureStatus: 'shipping' }))).toBe(0);
  });

  it('leaves to a count what they do not keep: customers, ages, failure statuses of resolved entries', () => {
    expect(countersCanCount(filter({}))).toBe(true);
    expect(countersCanCount(filter({ resolved: false, failureStatus: 'picking' }))).toBe(true);
    expect(countersCanCount(filter({ customerId: 'CUST-1' }))).toBe(false);
    expect(countersCanCount(filter({ resolved: false, olderThanHours: 2 }))).toBe(false);
    expect(countersCanCount(filter({ failureStatus: 'picking' }))).toBe(false);
    expect(countersCanCount(filter({ resolved: true, failureStatus: 'picking' }))).toBe(false);
  });
});

describe('olderThanCutoff', () => {
  it.each([
    [1.5, 5_400_000],
    [0.1, 360_000],
    [0.001, 3_600],
    [24, 86_400_000],
  ])('%s hours is exactly %s ms', (hours, ms) => {
    expect(NOW.getTime() - olderThanCutoff(NOW, hours).getTime()).toBe(ms);
  });
});

describe('list and eligibility queries', () => {
  it('defaults the DLQ list to 50 entries from offset 0, and names a limit above 500', () => {
    expect(parseDeadLetterListQuery({})).toEqual({ resolved: null, failureStatus: null, customerId: null, olderThanHours: null, limit: 50, offset: 0 });
    expect(() => parseDeadLetterListQuery({ limit: 501 })).toThrow(InvalidInput);
    expect(() => parseDeadLetterListQuery({ limit: 501 })).toThrow(/limit: must be at most 500/);
    expect(() => parseDeadLetterListQuery({ offset: -1 })).toThrow(/offset/);
    expect(() => parseDeadLetterListQuery({ olderThanHours: -0.5 })).toThrow(/olderThanHours/);
  });

  it('defaults eligibility to 100 orders under the service maxRetries, and names a limit above 1000', () => {
    expect(parseRetryEligibilityQuery({})).toEqual({ limit: 100, maxRetries: null, statuses: null });
    expect(parseRetryEligibilityQuery({ statuses: ['picking', 'picking', 'packing'] }).statuses).toEqual(['picking', 'packing']);
    expect(parseRetryEligibilityQuery({ statuses: [] }).statuses).toBeNull();
    expect(() => parseRetryEligibilityQuery({ limit: 1001 })).toThrow(/limit: must be at most 1000/);
    expect(() => parseRetryEligibilityQuery({ limit: 0 })).toThrow(/limit: must be at least 1/);
  });
});

describe('the live DLQ notice', () => {
  it('survives the trip through JSON with every instant a Date again', () => {
    const order = held();
    const notice = deadLetterQueueChangedNotice(order, 'added');
    const received = readDeadLetterQueueChangedNotice(JSON.parse(JSON.stringify(notice)));
    expect(received).toEqual(notice);
    expect(received.entry.originalOrder.statusHistory[0].at).toBeInstanceOf(Date);
  });
});

describe('trackSubscription', () => {
  it('releases a subscription returned while it waits for an event, and removes its listener', async () => {
    const pubSub = createPubSub<{ CHANNEL: [number] }>();
    let active = 0;
    const tracked = trackSubscription(
      pubSub.subscribe('CHANNEL'),
      () => active++,
      () => active--,
    );
    expect(active).toBe(1);
    const pending = tracked.next();
    await tracked.return(undefined);
    expect(active).toBe(0);
    await expect(pending).resolves.toMatchObject({ done: true });
    await tracked.return(undefined);
    expect(active).toBe(0);
  });

  it('delivers events, and releases once the stream ends', async () => {
    const pubSub = createPubSub<{ CHANNEL: [number] }>();
    let active = 0;
    const tracked = trackSubscription(
      pubSub.subscribe('CHANNEL'),
      () => active++,
      () => active--,
    );
    const first = tracked.next();
    pubSub.publish('CHANNEL', 7);
    await expect(first).resolves.toEqual({ done: false, value: 7 });
    expect(active).toBe(1);
    await tracked.return(undefined);
    expect(active).toBe(0);
  });
});

describe('DeadLetterFeed', () => {
  /** Statistics queries that finish when the test says so, each answering its own sequence number. */
  function controllableQueries() {
    const pending: Array<(n: number) => void> = [];
    const queries = {
      stats: () => new Promise((resolve) => pending.push((n) => resolve({ totalEntries: n }))),
    } as unknown as DeadLetterQueries;
    return { queries, finish: (index: number) => pending[index](index + 1), started: () => pending.length };
  }
  const notice = (orderId: string) => JSON.parse(JSON.stringify(deadLetterQueueChangedNotice({ ...held(), orderId }, 'added')));
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('answers every subscriber of a notice from one computation', async () => {
    const { queries, finish } = controllableQueries();
    const feed = new DeadLetterFeed(queries, () => true);
    const one = notice('ORD-1');
    const views = [feed.changeFor(one), feed.changeFor(one), feed.changeFor(one)];
    await flush();
    finish(0);
    const [first, ...others] = await Promise.all(views);
    expect(others.every((view) => view === first)).toBe(true);
    expect(first).toMatchObject({ kind: 'added', entry: { orderId: 'ORD-1' }, stats: { totalEntries: 1 } });
    expect(first.entry.deadLetter.createdAt).toBeInstanceOf(Date);
    expect(feed.statsQueries).toBe(1);
  });

  it('coalesces a burst: notices arriving while a query runs share the one queued after it', async () => {
    const { queries, finish, started } = controllableQueries();
    const feed = new DeadLetterFeed(queries, () => true);
    const a = feed.changeFor(notice('ORD-A'));
    await flush();
    expect(started()).toBe(1);
    const b = feed.changeFor(notice('ORD-B'));
    const c = feed.changeFor(notice('ORD-C'));
    await flush();
    expect(started()).toBe(1); // queued behind the running one, which may have read the store before B and C were written
    finish(0);
    await flush();
    expect(started()).toBe(2);
    const d = feed.changeFor(notice('ORD-D'));
    finish(1);
    await flush();
    finish(2);
    expect((await Promise.all([a, b, c, d])).map((change) => change.stats.totalEntries)).toEqual([1, 2, 2, 3]);
    expect(feed.computed).toBe(4);
    expect(feed.statsQueries).toBe(3);
  });

  it('prepares a change on arrival while watched, so its subscribers find it computed; unwatched notices cost nothing', async () => {
    const { queries, finish, started } = controllableQueries();
    let watched = false;
    const feed = new DeadLetterFeed(queries, () => watched);
    feed.prepare(notice('ORD-UNWATCHED'));
    await flush();
    expect({ computed: feed.computed, started: started() }).toEqual({ computed: 0, started: 0 });

    watched = true;
    const one = notice('ORD-1');
    feed.prepare(one);
    await flush();
    expect(started()).toBe(1); // before any subscriber asked
    finish(0);
    await flush();
    const change = await feed.changeFor(one);
    expect(change).toMatchObject({ entry: { orderId: 'ORD-1' }, stats: { totalEntries: 1 } });
    expect(feed.computed).toBe(1);
  });

  it('a prepared change that fails is no unhandled rejection, and its subscribers still get the error', async () => {
    const failing = { stats: () => Promise.reject(new Error('store down')) } as unknown as DeadLetterQueries;
    const feed = new DeadLetterFeed(failing, () => true);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const one = notice('ORD-1');
      feed.prepare(one);
      await flush();
      await flush();
      await expect(feed.changeFor(one)).rejects.toThrow('store down');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
