import { bearer } from '../support/test-auth';
import type { Connection } from 'mongoose';
import { counterKey, type DeadLetterCounters } from '../../src/models/dead-letter-stats';
import { DEFAULT_TENANT_ID, DLQ_RESOLUTIONS, type DlqResolution } from '../../src/models/order.types';
import type { RunningOrderService } from '../../src/order-service';
import { DeadLetterRepository } from '../../src/store/dead-letter.repository';
import { orderModel } from '../../src/store/order.document';
import { eventually, startServiceProcess, type ServiceProcess } from '../support/dlq-support';
import { expectStatus, rest, restOrderBody, type RestResult } from '../support/rest-client';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { graphql, startTestService, uniqueName } from '../support/test-service';

/**
 * The dead letter queue's statistics are counters kept in the transaction of the write that opens or resolves an entry
 * (src/store/order.repository.ts `update`). Here they are checked to be exact — equal to `DeadLetterRepository.recount`
 * (one aggregation over the entries) and to what the test itself expects from the operations it made — under concurrent
 * writes over two replicas of one database, and after a service process is killed with SIGKILL in the middle of a
 * stream of moves and resolutions.
 */

const TENANT = DEFAULT_TENANT_ID;
const MAX_RETRIES = 3;
/** Free text, so field-path characters too: `.` and `$` (encoded in the counter keys) and `%` (the escape itself). */
const FAILURE_STATUSES = ['picking', 'packing', 'station.3', 'station%2E3', '$shipping', 'received'];

type Api = { url: string };

interface ModelEntry {
  failureStatus: string;
  retryCount: number;
  resolved: boolean;
  resolution: DlqResolution | null;
}

// ---- what the test expects: the queue as the test's own operations left it ----

class QueueModel {
  readonly entries = new Map<string, ModelEntry>();

  open(orderId: string, failureStatus: string, retryCount: number): void {
    const previous = this.entries.get(orderId);
    if (previous && !previous.resolved) throw new Error(`test bug: ${orderId} already has an open entry`);
    this.entries.set(orderId, { failureStatus, retryCount, resolved: false, resolution: null });
  }

  resolve(orderId: string, resolution: DlqResolution): void {
    const entry = this.entries.get(orderId);
    if (!entry || entry.resolved) throw new Error(`test bug: ${orderId} has no open entry`);
    this.entries.set(orderId, { ...entry, resolved: true, resolution });
  }

  unresolvedIds(): string[] {
    return [...this.entries]
      .filter(([, entry]) => !entry.resolved)
      .map(([orderId]) => orderId)
      .sort();
  }

  counters(): DeadLetterCounters {
    return countersOf([...this.entries.values()]);
  }
}

function countersOf(entries: ReadonlyArray<ModelEntry>): DeadLetterCounters {
  const counters: DeadLetterCounters = { total: 0, unresolved: 0, retrySum: 0, byStatus: {}, byResolution: {} };
  for (const entry of entries) {
    counters.total += 1;
    counters.retrySum += entry.retryCount;
    if (entry.resolved) {
      const key = counterKey(entry.resolution ?? 'unknown');
      counters.byResolution[key] = (counters.byResolution[key] ?? 0) + 1;
    } else {
      counters.unresolved += 1;
      const key = counterKey(entry.failureStatus);
      counters.byStatus[key] = (counters.byStatus[key] ?? 0) + 1;
    }
  }
  return counters;
}

/** The counters without the zeros a counter document keeps after its last entry left (the recount never has them). */
function normalized(counters: DeadLetterCounters): DeadLetterCounters {
  const nonZero = (values: Record<string, number>) => Object.fromEntries(Object.entries(values).filter(([, count]) => count !== 0));
  return {
    total: counters.total,
    unresolved: counters.unresolved,
    retrySum: counters.retrySum,
    byStatus: nonZero(counters.byStatus),
    byResolution: nonZero(counters.byResolution),
  };
}

/** The REST stats the entries imply, computed here from the entries (not through the service's own functions). */
function expectedRestStats(entries: ReadonlyArray<ModelEntry>, oldestUnresolvedAt: string | null) {
  const unresolved = entries.filter((entry) => !entry.resolved);
  const byFailureStatus: Record<string, number> = {};
  for (const entry of unresolved) byFailureStatus[entry.failureStatus] = (byFailureStatus[entry.failureStatus] ?? 0) + 1;
  const byResolution = Object.fromEntries(DLQ_RESOLUTIONS.map((resolution) => [resolution, entries.filter((entry) => entry.resolution === resolution).length]));
  const retrySum = entries.reduce((sum, entry) => sum + entry.retryCount, 0);
  return {
    totalEntries: entries.length,
    unresolvedCount: unresolved.length,
    resolvedCount: entries.length - unresolved.length,
    byFailureStatus,
    byResolution,
    oldestUnresolvedAt,
    averageRetries: entries.length === 0 ? 0 : Math.round((retrySum / entries.length) * 100) / 100,
  };
}

/** The same numbers in the GraphQL shape: statuses largest first (ties by name), every resolution in catalogue order. */
function expectedGraphqlStats(restStats: ReturnType<typeof expectedRestStats>) {
  return {
    ...restStats,
    byFailureStatus: Object.entries(restStats.byFailureStatus)
      .map(([failureStatus, count]) => ({ failureStatus, count }))
      .sort((a, b) => b.count - a.count || a.failureStatus.localeCompare(b.failureStatus)),
    byResolution: DLQ_RESOLUTIONS.map((resolution) => ({ resolution: resolution.toUpperCase(), count: restStats.byResolution[resolution] })),
  };
}

const STATS = `query { deadLetterStats { totalEntries unresolvedCount resolvedCount byFailureStatus { failureStatus count }
  byResolution { resolution count } oldestUnresolvedAt averageRetries } }`;

async function graphqlStats(service: Api) {
  const result = await graphql(service, STATS);
  if (result.errors?.length) throw new Error(`deadLetterStats failed: ${JSON.stringify(result.errors)}`);
  return result.data!.deadLetterStats;
}

// ---- REST operations ----

async function createOrder(service: Api): Promise<string> {
  const created = await rest(service, 'POST', '/orders', { body: restOrderBody() });
  expectStatus(created, 201);
  return created.body.orderId as string;
}
/** The token of the supervisor who resolves entries (resolvedBy must be the caller). */
let supervisor = '';
beforeAll(async () => {
  supervisor = await bearer({ sub: 'SUPERVISOR-007' });
});
const moveToDlq = (service: Api, orderId: string, failureStatus: string) =>
  rest(service, 'POST', `/reprocessing/orders/${orderId}/dlq`, { body: { failureStatus, failureReason: `moved with ${failureStatus}` } });
const recordFailure = (service: Api, orderId: string, failureStatus: string, attempt: number) =>
  rest(service, 'POST', `/reprocessing/orders/${orderId}/retry-count`, { body: { failureStatus, failureReason: `attempt ${attempt} failed` } });
const resolveEntry = (service: Api, orderId: string, resolution: DlqResolution) =>
  rest(service, 'PATCH', `/dead-letter-queue/${orderId}/resolve`, {
    body: { resolution, resolvedBy: 'SUPERVISOR-007', notes: `resolved as ${resolution}` },
    headers: { authorization: supervisor },
  });

function expectConflict(response: RestResult): void {
  expectStatus(response, 409);
  expect(response.body.code).toBe('CONFLICT');
}

/** Runs every task at once and waits for all of them, failing with the first error once all have settled. */
async function allAtOnce<T>(tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(tasks.map((task) => task()));
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** The tenant's counter documents summed (src/store/dead-letter-stats.repository.ts spreads them over a few shards). */
function sumCounters(docs: ReadonlyArray<Record<string, any>>): DeadLetterCounters {
  const sum: DeadLetterCounters = { total: 0, unresolved: 0, retrySum: 0, byStatus: {}, byResolution: {} };
  for (const doc of docs) {
    sum.total += doc.total ?? 0;
    sum.unresolved += doc.unresolved ?? 0;
    sum.retrySum += doc.retrySum ?? 0;
    for (const key of ['byStatus', 'byResolution'] as const) {
      for (const [name, count] of Object.entries((doc[key] ?? {}) as Record<string, number>)) sum[key][name] = (sum[key][name] ?? 0) + count;
    }
  }
  return sum;
}

/**
 * The kept counters, read directly from `dead_letter_stats` and summed for the tenant, and the recount
 * (`DeadLetterRepository.recount`), both through one service's connection.
 */
function storeReaders(connection: Connection) {
  const deadLetters = new DeadLetterRepository(orderModel(connection));
  const counterDocs = () => connection.collection('dead_letter_stats').find({ tenantId: TENANT }).toArray();
  return {
    kept: async () => normalized(sumCounters(await counterDocs())),
    recount: async () => normalized(await deadLetters.recount(TENANT)),
    /** Every counter document of the tenant, as stored: no count may ever be negative. */
    negativeCounts: async () => {
      const docs = await counterDocs();
      return docs.flatMap((doc) =>
        Object.entries({
          total: doc.total,
          unresolved: doc.unresolved,
          retrySum: doc.retrySum,
          ...prefixed('byStatus', doc.byStatus),
          ...prefixed('byResolution', doc.byResolution),
        })
          .filter(([, value]) => typeof value === 'number' && value < 0)
          .map(([name, value]) => `${doc._id}.${name}=${value}`),
      );
    },
  };
}
const prefixed = (prefix: string, values: Record<string, number> | undefined) =>
  Object.fromEntries(Object.entries(values ?? {}).map(([name, value]) => [`${prefix}.${name}`, value]));

/** The unresolved entries as the list endpoint answers them: their ids and the oldest one's creation time. */
async function listedUnresolved(service: Api): Promise<{ ids: string[]; oldest: string | null }> {
  const listed = await rest(service, 'GET', '/dead-letter-queue?resolved=false&limit=500');
  expectStatus(listed, 200);
  const entries = listed.body.data as Array<{ orderId: string; createdAt: string }>;
  expect(listed.body.total).toBe(entries.length);
  const oldest = entries.length === 0 ? null : entries.map((entry) => entry.createdAt).reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  return { ids: entries.map((entry) => entry.orderId).sort(), oldest };
}

// ---- (a) concurrency over two replicas ----

describe('DLQ statistics under concurrent moves and resolutions over two replicas of one database', () => {
  let replicas: [RunningOrderService, RunningOrderService];
  let store: ReturnType<typeof storeReaders>;
  const model = new QueueModel();
  const orderIds: string[] = [];
  const ORDERS = 100;
  /** A replica for the n-th operation, so that every phase writes through both. */
  const replica = (n: number) => replicas[n % 2];

  beforeAll(async () => {
    const database = uniqueName('dlq_stats');
    replicas = await Promise.all([
      startTestService({ MONGODB_DATABASE: database, MAX_RETRIES: String(MAX_RETRIES) }),
      startTestService({ MONGODB_DATABASE: database, MAX_RETRIES: String(MAX_RETRIES) }),
    ]);
    store = storeReaders(replicas[0].services.mongo);
    orderIds.push(...(await allAtOnce(Array.from({ length: ORDERS }, (_, i) => () => createOrder(replica(i))))));
  }, 120_000);
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((service) => service?.stop()));
  });

  /** After a phase: kept counters = recount = the test's expectation, and both APIs on both replicas answer the same stats. */
  async function expectExactStats(phase: string): Promise<void> {
    const expectedCounters = model.counters();
    const [kept, recounted, negatives, listed] = await Promise.all([store.kept(), store.recount(), store.negativeCounts(), listedUnresolved(replicas[0])]);
    expect({ phase, kept }).toEqual({ phase, kept: expectedCounters });
    expect({ phase, recounted }).toEqual({ phase, recounted: expectedCounters });
    expect({ phase, negatives }).toEqual({ phase, negatives: [] });
    expect({ phase, unresolved: listed.ids }).toEqual({ phase, unresolved: model.unresolvedIds() });

    const restExpected = expectedRestStats([...model.entries.values()], listed.oldest);
    const graphqlExpected = expectedGraphqlStats(restExpected);
    for (const [index, service] of replicas.entries()) {
      const restStats = await rest(service, 'GET', '/dead-letter-queue/stats');
      expectStatus(restStats, 200);
      expect({ phase, replica: index, stats: restStats.body }).toEqual({ phase, replica: index, stats: restExpected });
      expect({ phase, replica: index, stats: await graphqlStats(service) }).toEqual({ phase, replica: index, stats: graphqlExpected });
    }
    // A failure status with a dot is one status, in the counters and in the list filter alike.
    const dotted = await rest(replicas[1], 'GET', `/dead-letter-queue?resolved=false&failureStatus=${encodeURIComponent('station.3')}&limit=500`);
    expectStatus(dotted, 200);
    expect({ phase, dotted: dotted.body.total }).toEqual({ phase, dotted: restExpected.byFailureStatus['station.3'] ?? 0 });
    // The views whose totals come from the kept counters (all, resolved, unresolved): each equals the entries it lists.
    for (const view of ['', 'resolved=true&', 'resolved=false&']) {
      const page = await rest(replicas[1], 'GET', `/dead-letter-queue?${view}limit=500`);
      expectStatus(page, 200);
      expect({ phase, view, total: page.body.total }).toEqual({ phase, view, total: page.body.data.length });
    }
  }

  /**
   * Runs `work` while the counted views (all, resolved, unresolved; one page holds them whole) are listed over and over
   * on the other replica; every page's total must equal the entries on it, however the writes fall between its reads.
   */
  async function whileListing(phase: string, work: () => Promise<unknown>): Promise<void> {
    let done = false;
    const torn: Array<{ view: string; total: number; listed: number }> = [];
    let pages = 0;
    const lister = (async () => {
      while (!done) {
        for (const view of ['', 'resolved=true&', 'resolved=false&']) {
          const page = await rest(replicas[1], 'GET', `/dead-letter-queue?${view}limit=500`);
          expectStatus(page, 200);
          pages += 1;
          if (page.body.total !== page.body.data.length) torn.push({ view, total: page.body.total, listed: page.body.data.length });
        }
      }
    })();
    try {
      await work();
    } finally {
      done = true;
      await lister;
    }
    expect(pages).toBeGreaterThan(3);
    expect({ phase, torn }).toEqual({ phase, torn: [] });
  }

  it('phase 1: concurrent moves (manual, after some failures, at MAX_RETRIES, and the same move raced on both replicas)', async () => {
    const tasks = orderIds.map((orderId, i) => async () => {
      const status = FAILURE_STATUSES[i % FAILURE_STATUSES.length];
      switch (i % 10) {
        case 0:
        case 1:
        case 2:
        case 3: {
          const moved = await moveToDlq(replica(i), orderId, status);
          expectStatus(moved, 200);
          expect(moved.body).toMatchObject({ orderId, failureStatus: status, retryCount: 0, resolved: false });
          model.open(orderId, status, 0);
          return;
        }
        case 4:
        case 5: {
          // Fewer failures than MAX_RETRIES, recorded concurrently on both replicas, then a manual move.
          const failures = 1 + (i % 2);
          const recorded = await Promise.all(Array.from({ length: failures }, (_, n) => recordFailure(replica(i + n), orderId, status, n + 1)));
          for (const response of recorded) expectStatus(response, 200);
          const moved = await moveToDlq(replica(i + 1), orderId, status);
          expectStatus(moved, 200);
          expect(moved.body).toMatchObject({ orderId, failureStatus: status, retryCount: failures });
          model.open(orderId, status, failures);
          return;
        }
        case 6:
        case 7: {
          // MAX_RETRIES failures at once over both replicas: the one stored last moves the order, exactly once.
          const recorded = await Promise.all(Array.from({ length: MAX_RETRIES }, (_, n) => recordFailure(replica(i + n), orderId, status, n + 1)));
          for (const response of recorded) expectStatus(response, 200);
          expect(recorded.map((response) => response.body.retryCount).sort()).toEqual(Array.from({ length: MAX_RETRIES }, (_, n) => n + 1));
          model.open(orderId, status, MAX_RETRIES);
          return;
        }
        case 8: {
          // The same order moved through both replicas at once: one move wins, the other is refused.
          const other = FAILURE_STATUSES[(i + 1) % FAILURE_STATUSES.length];
          const raced = await Promise.all([moveToDlq(replicas[0], orderId, status), moveToDlq(replicas[1], orderId, other)]);
          const won = raced.filter((response) => response.status === 200);
          expect(won).toHaveLength(1);
          expectConflict(raced.find((response) => response.status !== 200)!);
          model.open(orderId, won[0].body.failureStatus, 0);
          return;
        }
        default: {
          // One failure and no move: not in the queue.
          expectStatus(await recordFailure(replica(i), orderId, status, 1), 200);
        }
      }
    });
    await whileListing('moves', () => allAtOnce(tasks));
    expect(model.entries.size).toBe(90);
    await expectExactStats('moves');
  }, 180_000);

  it('phase 2: concurrent resolutions (manual_retry, cancelled, escalated; two resolutions raced on one entry), some left open', async () => {
    const moved = orderIds.filter((orderId) => model.entries.has(orderId));
    const tasks = moved.map((orderId, j) => async () => {
      const plan = j % 6;
      if (plan === 0) return; // stays unresolved
      if (plan === 1) {
        const raced = await Promise.all([resolveEntry(replicas[0], orderId, 'manual_retry'), resolveEntry(replicas[1], orderId, 'escalated')]);
        const won = raced.filter((response) => response.status === 200);
        expect(won).toHaveLength(1);
        expectConflict(raced.find((response) => response.status !== 200)!);
        model.resolve(orderId, won[0].body.resolution);
        return;
      }
      const resolution: DlqResolution = plan === 4 ? 'cancelled' : plan === 5 ? 'escalated' : 'manual_retry';
      const resolved = await resolveEntry(replica(j), orderId, resolution);
      expectStatus(resolved, 200);
      expect(resolved.body).toMatchObject({ orderId, resolved: true, resolution, resolvedBy: 'SUPERVISOR-007' });
      model.resolve(orderId, resolution);
    });
    await whileListing('resolutions', () => allAtOnce(tasks));
    const resolutions = [...model.entries.values()].map((entry) => entry.resolution);
    for (const resolution of DLQ_RESOLUTIONS) expect(resolutions).toContain(resolution);
    await expectExactStats('resolutions');
  }, 180_000);

  it('phase 3: orders released by manual_retry move again (manually and at MAX_RETRIES); refused writes change nothing', async () => {
    const entries = [...model.entries];
    const released = entries.filter(([, entry]) => entry.resolution === 'manual_retry').map(([orderId]) => orderId);
    const held = entries.filter(([, entry]) => entry.resolution === 'escalated').map(([orderId]) => orderId);
    const cancelled = entries.filter(([, entry]) => entry.resolution === 'cancelled').map(([orderId]) => orderId);
    const open = entries.filter(([, entry]) => !entry.resolved).map(([orderId]) => orderId);
    expect(released.length).toBeGreaterThanOrEqual(20);

    const reopen = released.map((orderId, k) => async () => {
      if (k % 3 === 2) {
        // The released order's retry count started again at 0: MAX_RETRIES more failures move it again.
        const recorded = await Promise.all(Array.from({ length: MAX_RETRIES }, (_, n) => recordFailure(replica(k + n), orderId, 'station.3', n + 1)));
        for (const response of recorded) expectStatus(response, 200);
        model.open(orderId, 'station.3', MAX_RETRIES);
        return;
      }
      const status = k % 3 === 0 ? 'station.3' : 'reopened';
      const moved = await moveToDlq(replica(k), orderId, status);
      expectStatus(moved, 200);
      expect(moved.body).toMatchObject({ orderId, failureStatus: status, retryCount: 0, resolved: false });
      // The resolved entry went into the new one's history: reopened, not counted twice.
      expect(moved.body.history).toEqual([expect.objectContaining({ resolved: true, resolution: 'manual_retry' })]);
      model.open(orderId, status, 0);
    });
    const refused = [
      // An escalated order stays held, a cancelled one is finished: neither moves again.
      ...held.map((orderId, k) => async () => expectConflict(await moveToDlq(replica(k), orderId, 'picking'))),
      ...cancelled.map((orderId, k) => async () => expectConflict(await moveToDlq(replica(k), orderId, 'picking'))),
      // A resolved entry is not resolved twice; an open one is not opened twice, nor failed again while held.
      ...held.map((orderId, k) => async () => expectConflict(await resolveEntry(replica(k + 1), orderId, 'cancelled'))),
      ...open.map((orderId, k) => async () => expectConflict(await moveToDlq(replica(k), orderId, 'packing'))),
      ...open.map((orderId, k) => async () => expectConflict(await recordFailure(replica(k + 1), orderId, 'packing', 9))),
    ];
    await allAtOnce([...reopen, ...refused]);
    await expectExactStats('reopened');
  }, 180_000);

  it('phase 4: every open entry resolved at once; the queue ends with nothing unresolved', async () => {
    const open = model.unresolvedIds();
    expect(open.length).toBeGreaterThan(20);
    await whileListing('all resolved', () =>
      allAtOnce(
        open.map((orderId, k) => async () => {
          const resolution = DLQ_RESOLUTIONS[k % DLQ_RESOLUTIONS.length];
          expectStatus(await resolveEntry(replica(k), orderId, resolution), 200);
          model.resolve(orderId, resolution);
        }),
      ),
    );
    await expectExactStats('all resolved');
    const stats = await rest(replicas[1], 'GET', '/dead-letter-queue/stats');
    expect(stats.body).toMatchObject({ totalEntries: 90, unresolvedCount: 0, resolvedCount: 90, byFailureStatus: {}, oldestUnresolvedAt: null });
  }, 180_000);
});

// ---- (b) a service process killed with SIGKILL in the middle of a stream of DLQ writes ----

/** One order as the stream knows it: the entry after its last acknowledged write, and the one its write in flight would leave. */
const entryKey = (entry: ModelEntry | null) =>
  entry ? `${entry.failureStatus}|${entry.retryCount}|${entry.resolved ? entry.resolution : 'open'}` : 'no entry';

interface StreamedOrder {
  orderId: string;
  retryCount: number;
  /** Escalated or cancelled: held or finished, no more moves. */
  done: boolean;
  acked: ModelEntry | null;
  inFlight: { entry: ModelEntry | null } | null;
}

describe('DLQ statistics after kill -9 of a service process in the middle of concurrent moves and resolutions', () => {
  const database = uniqueName('dlq_stats_kill');
  const env = { MONGODB_URI: TEST_MONGODB_URI, KAFKA_BROKERS: TEST_KAFKA_BROKERS, MONGODB_DATABASE: database, MAX_RETRIES: String(MAX_RETRIES) };
  /** An in-process replica on the same database: reads the store for the checks, and writes after the kills. */
  let checker: RunningOrderService;
  let store: ReturnType<typeof storeReaders>;
  let current: ServiceProcess | null = null;
  const orders: StreamedOrder[] = [];
  const ORDERS = 40;
  const WORKERS = 8;

  beforeAll(async () => {
    checker = await startTestService({ MONGODB_DATABASE: database, MAX_RETRIES: String(MAX_RETRIES) });
    store = storeReaders(checker.services.mongo);
    const ids = await allAtOnce(Array.from({ length: ORDERS }, () => () => createOrder(checker)));
    orders.push(...ids.map((orderId) => ({ orderId, retryCount: 0, done: false, acked: null, inFlight: null })));
  }, 120_000);
  afterAll(async () => {
    if (current && current.child.exitCode === null && current.child.signalCode === null) current.child.kill('SIGKILL');
    await checker?.stop();
  });

  /** The next write for an order and the entry it leaves when it is stored; null when the order has nothing left to do. */
  function nextWrite(order: StreamedOrder, step: number): { send: (service: Api) => Promise<RestResult>; entry: ModelEntry | null; after: () => void } | null {
    if (order.done) return null;
    const entry = order.acked;
    if (entry && !entry.resolved) {
      // Mostly released for another round; now and then escalated (held) or cancelled (finished).
      const resolution: DlqResolution = step % 11 === 3 ? 'escalated' : step % 13 === 5 ? 'cancelled' : 'manual_retry';
      return {
        send: (service) => resolveEntry(service, order.orderId, resolution),
        entry: { ...entry, resolved: true, resolution },
        after: () => {
          if (resolution === 'manual_retry') order.retryCount = 0;
          else order.done = true;
        },
      };
    }
    const status = FAILURE_STATUSES[step % FAILURE_STATUSES.length];
    if (step % 4 === 1) {
      // A failure: the one reaching MAX_RETRIES moves the order in the same write.
      const count = order.retryCount + 1;
      return {
        send: (service) => recordFailure(service, order.orderId, status, count),
        entry: count >= MAX_RETRIES ? { failureStatus: status, retryCount: count, resolved: false, resolution: null } : entry,
        after: () => (order.retryCount = count),
      };
    }
    return {
      send: (service) => moveToDlq(service, order.orderId, status),
      entry: { failureStatus: status, retryCount: order.retryCount, resolved: false, resolution: null },
      after: () => undefined,
    };
  }

  /**
   * WORKERS loops over disjoint sets of orders, one write in flight per order, until the process dies. Returns the
   * acknowledged writes and any answer other than the expected 200 (a failure of the test, not of the process).
   */
  async function stream(service: ServiceProcess, killAfter: number): Promise<{ acked: number; unexpected: string[] }> {
    let acked = 0;
    let step = 0;
    const unexpected: string[] = [];
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      service.child.kill('SIGKILL');
    };
    const worker = async (mine: StreamedOrder[]) => {
      for (let round = 0; !killed; round += 1) {
        const order = mine[round % mine.length];
        const write = nextWrite(order, (step += 1));
        if (!write) {
          if (mine.every((candidate) => candidate.done)) return;
          continue;
        }
        order.inFlight = { entry: write.entry };
        let response: RestResult;
        try {
          response = await write.send(service);
          // A document the previous, killed process left inside an open transaction stays locked until the store
          // aborts it (60 s): meanwhile writes to it answer a retryable 503 with nothing stored, and are sent again.
          for (const deadline = Date.now() + 90_000; response.status === 503 && response.headers.get('retry-after') && Date.now() < deadline && !killed;) {
            await new Promise((resolve) => setTimeout(resolve, 1_000));
            response = await write.send(service);
          }
        } catch {
          return; // the process is gone: the write in flight may or may not have been stored
        }
        if (response.status !== 200) {
          unexpected.push(`${order.orderId}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
          order.inFlight = null;
          return;
        }
        order.acked = write.entry;
        order.inFlight = null;
        write.after();
        acked += 1;
        if (acked >= killAfter) setTimeout(kill, Math.floor(Math.random() * 50));
      }
    };
    const sets = Array.from({ length: WORKERS }, (_, w) => orders.filter((_, i) => i % WORKERS === w));
    await Promise.all(sets.map(worker));
    kill();
    await service.exited;
    return { acked, unexpected };
  }

  /** Reads what the store holds for every order: its entry and retry count (what the next round continues from). */
  async function storedOrders(): Promise<Map<string, { entry: ModelEntry | null; retryCount: number; done: boolean }>> {
    const docs = await orderModel(checker.services.mongo)
      .find({ _id: { $in: orders.map((order) => order.orderId) } }, { orderId: 1, status: 1, deadLettered: 1, retry: 1, deadLetter: 1 })
      .lean<Array<{ orderId: string; status: string; deadLettered: boolean; retry: { count: number }; deadLetter: ModelEntry | null }>>();
    return new Map(
      docs.map((doc) => {
        const entry = doc.deadLetter
          ? {
              failureStatus: doc.deadLetter.failureStatus,
              retryCount: doc.deadLetter.retryCount,
              resolved: doc.deadLetter.resolved,
              resolution: doc.deadLetter.resolution ?? null,
            }
          : null;
        return [doc.orderId, { entry, retryCount: doc.retry.count, done: doc.status === 'cancelled' || (doc.deadLettered && entry?.resolved === true) }];
      }),
    );
  }

  async function expectCountersMatchRecount(label: string): Promise<DeadLetterCounters> {
    // Commands the dead process had sent may still be landing (the store works through its queue after the socket
    // closed): the counters must equal the recount, with nothing negative, in two reads a second apart that agree.
    const started = Date.now();
    const read = async () => {
      const [kept, recounted, negatives] = await Promise.all([store.kept(), store.recount(), store.negativeCounts()]);
      expect({ label, kept, negatives }).toEqual({ label, kept: recounted, negatives: [] });
      return recounted;
    };
    const agreed = await eventually(
      async () => {
        const first = await read();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect({ label, quiet: await read() }).toEqual({ label, quiet: first });
        return first;
      },
      90_000,
      500,
    );
    process.stdout.write(`DLQ stats, ${label}: counters equal the recount, and stay so, ${Date.now() - started} ms after the kill\n`);
    return agreed;
  }

  it('two processes in turn, each killed with SIGKILL mid-stream: the counters equal the recount, and every acknowledged write is stored', async () => {
    for (const [round, killAfter] of [
      [1, 60 + Math.floor(Math.random() * 20)],
      [2, 40 + Math.floor(Math.random() * 20)],
    ] as const) {
      current = await startServiceProcess(env);
      const { acked, unexpected } = await stream(current, killAfter);
      expect({ round, unexpected }).toEqual({ round, unexpected: [] });
      expect(acked).toBeGreaterThanOrEqual(killAfter);
      expect(current.child.signalCode).toBe('SIGKILL');
      const inFlight = orders.filter((order) => order.inFlight !== null).length;

      const counters = await expectCountersMatchRecount(`after kill ${round}`);
      // Every acknowledged write is in the store; a write in flight at the kill is there whole or not at all.
      const stored = await storedOrders();
      const lost: string[] = [];
      for (const order of orders) {
        const found = stored.get(order.orderId)!;
        const allowed = [order.acked, ...(order.inFlight ? [order.inFlight.entry] : [])];
        if (!allowed.some((entry) => entryKey(entry) === entryKey(found.entry))) {
          lost.push(`${order.orderId}: stored ${entryKey(found.entry)}, acknowledged ${allowed.map(entryKey).join(' or (in flight) ')}`);
        }
        // The next round continues from what was stored.
        order.acked = found.entry;
        order.retryCount = found.retryCount;
        order.done = found.done;
        order.inFlight = null;
      }
      expect({ round, lost }).toEqual({ round, lost: [] });
      // The counters also equal what the stored entries add up to, read one by one.
      expect(counters).toEqual(normalized(countersOf(orders.flatMap((order) => (order.acked ? [order.acked] : [])))));
      // A fresh replica's stats are those counters.
      const restStats = await rest(checker, 'GET', '/dead-letter-queue/stats');
      expectStatus(restStats, 200);
      expect(restStats.body).toMatchObject({
        totalEntries: counters.total,
        unresolvedCount: counters.unresolved,
        resolvedCount: counters.total - counters.unresolved,
      });
      process.stdout.write(
        `DLQ stats, kill ${round}: SIGKILL after ${acked} acknowledged writes, ${inFlight} in flight; ${counters.total} entries, ${counters.unresolved} unresolved\n`,
      );
    }

    // Writes after the kills (on the counter documents the dead processes last wrote) go through and keep them exact. A
    // document a killed process left inside an open transaction stays locked until the store aborts that transaction
    // (60 s, as mongod's transactionLifetimeLimitSeconds): meanwhile its writes answer a retryable 503, and the client
    // retries as Retry-After says.
    const open = orders.filter((order) => order.acked && !order.acked.resolved);
    expect(open.length).toBeGreaterThan(0);
    await allAtOnce(
      open.map((order, k) => async () => {
        const deadline = Date.now() + 90_000;
        let response = await resolveEntry(checker, order.orderId, DLQ_RESOLUTIONS[k % 3]);
        while (response.status === 503 && Date.now() < deadline) {
          expect(response.headers.get('retry-after')).not.toBeNull();
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          response = await resolveEntry(checker, order.orderId, DLQ_RESOLUTIONS[k % 3]);
        }
        expectStatus(response, 200);
      }),
    );
    const final = await expectCountersMatchRecount('after resolving the rest');
    expect(final.unresolved).toBe(0);
    const restStats = await rest(checker, 'GET', '/dead-letter-queue/stats');
    expect(restStats.body).toMatchObject({ totalEntries: final.total, unresolvedCount: 0, byFailureStatus: {}, oldestUnresolvedAt: null });
  }, 600_000);
});
