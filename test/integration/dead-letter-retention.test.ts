import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DeadLetterCounters } from '../../src/models/dead-letter-stats';
import { DEFAULT_TENANT_ID, type DlqResolution } from '../../src/models/order.types';
import type { RunningOrderService } from '../../src/order-service';
import { DeadLetterStatsRepository } from '../../src/store/dead-letter-stats.repository';
import { DeadLetterRepository } from '../../src/store/dead-letter.repository';
import { OrderCountsRepository } from '../../src/store/order-counts.repository';
import { orderModel } from '../../src/store/order.document';
import { OrderRepository } from '../../src/store/order.repository';
import { DeadLetterRetention } from '../../src/use-cases/dead-letter-retention';
import { OrderWriter } from '../../src/use-cases/order-writer';
import { ok } from '../support/graphql-client';
import { eventually, metric } from '../support/dlq-support';
import { expectStatus, rest, restOrderBody } from '../support/rest-client';
import { bearer, defaultAuthorization } from '../support/test-auth';
import { graphql, startTestService, uniqueName } from '../support/test-service';

/**
 * The dead letter queue's retention (DLQ_RETENTION): resolved entries older than it leave the queue's list and
 * statistics — through the leased job on two replicas of one database — while unresolved and recently resolved entries
 * stay; the order keeps every retired entry in its history, and a later move to the queue carries it on. Each entry is
 * retired once, also when both replicas retire the same entries at the same time.
 */

const TENANT = DEFAULT_TENANT_ID;
const SUPERVISOR = 'SUPERVISOR-042';
type Api = { url: string };

const HISTORY_FIELDS = 'failureStatus failureReason retryCount resolution resolvedBy resolvedAt notes createdAt updatedAt';
const ORDER_HISTORY = `query Order($id: ID!) { order(id: $id) { id version deadLettered status deadLetterHistory { ${HISTORY_FIELDS} } } }`;
const ENTRY = `query Entry($orderId: ID!) { deadLetterEntry(orderId: $orderId) { orderId resolved history { failureReason resolution resolvedBy notes } } }`;
const ENTRIES = `query Entries { deadLetterEntries(limit: 500) { total items { orderId resolved } } }`;
const STATS = `query { deadLetterStats { totalEntries unresolvedCount resolvedCount byResolution { resolution count } } }`;
const LIVE = `subscription { deadLetterQueueChanged { kind entry { orderId resolved resolution } stats { totalEntries } } }`;

let supervisor = '';
beforeAll(async () => {
  supervisor = await bearer({ sub: SUPERVISOR });
});

async function createOrder(service: Api): Promise<string> {
  const created = await rest(service, 'POST', '/orders', { body: restOrderBody() });
  expectStatus(created, 201);
  return created.body.orderId as string;
}

async function moveToDlq(service: Api, orderId: string, failureReason: string): Promise<void> {
  expectStatus(await rest(service, 'POST', `/reprocessing/orders/${orderId}/dlq`, { body: { failureStatus: 'picking', failureReason } }), 200);
}

/** Resolves the entry and answers the order's version right after the resolution. */
async function resolveEntry(service: Api, orderId: string, resolution: DlqResolution): Promise<number> {
  const resolved = await rest(service, 'PATCH', `/dead-letter-queue/${orderId}/resolve`, {
    body: { resolution, notes: `resolved as ${resolution}` },
    headers: { authorization: supervisor },
  });
  expectStatus(resolved, 200);
  return (await orderOf(service, orderId)).version;
}

async function orderOf(service: Api, orderId: string) {
  const order = await rest(service, 'GET', `/orders/${orderId}`);
  expectStatus(order, 200);
  return order.body as { version: number; deadLettered: boolean; status: string; deadLetterHistory: Array<Record<string, unknown>> };
}

/** Every entry the REST list answers (all of them: the test's queues are small), with its total. */
async function listed(service: Api, query = ''): Promise<{ ids: string[]; total: number }> {
  const page = await rest(service, 'GET', `/dead-letter-queue?limit=500${query}`);
  expectStatus(page, 200);
  const ids = (page.body.data as Array<{ orderId: string }>).map((entry) => entry.orderId).sort();
  return { ids, total: page.body.total as number };
}

async function graphqlListed(service: Api): Promise<{ ids: string[]; total: number }> {
  const page = await ok<{ total: number; items: Array<{ orderId: string }> }>(service, ENTRIES);
  return { ids: page.items.map((item) => item.orderId).sort(), total: page.total };
}

/** The counters without the zeros a counter document keeps after its last entry left (the recount never has them). */
function normalized(counters: DeadLetterCounters): DeadLetterCounters {
  const nonZero = (values: Record<string, number>) => Object.fromEntries(Object.entries(values).filter(([, count]) => count !== 0));
  return { ...counters, byStatus: nonZero(counters.byStatus), byResolution: nonZero(counters.byResolution) };
}

/** The kept counters (as the statistics read them) and the recount from the entries themselves. */
async function countersOf(service: RunningOrderService): Promise<{ kept: DeadLetterCounters; recounted: DeadLetterCounters }> {
  const model = orderModel(service.services.mongo);
  const [kept, recounted] = await Promise.all([
    new DeadLetterStatsRepository(service.services.mongo).read(TENANT),
    new DeadLetterRepository(model).recount(TENANT),
  ]);
  return { kept: normalized(kept.counters), recounted: normalized(recounted) };
}

/** The retention as the service wires it, over the service's own connection, metrics and relay, with its own retention. */
function retentionOf(service: RunningOrderService, retentionMs: number): DeadLetterRetention {
  const { mongo, metrics, relay } = service.services;
  const model = orderModel(mongo);
  const repository = new OrderRepository(model, mongo, new DeadLetterStatsRepository(mongo), new OrderCountsRepository(model, mongo));
  return new DeadLetterRetention(new OrderWriter(repository, metrics, relay), new DeadLetterRepository(model), metrics, retentionMs);
}

/** `dlq_entries_retired_total` of the replica, over every resolution. */
async function retiredTotal(service: Api): Promise<number> {
  const resolutions: DlqResolution[] = ['manual_retry', 'cancelled', 'escalated'];
  const samples = await Promise.all(resolutions.map((resolution) => metric(service, `dlq_entries_retired_total{resolution="${resolution}"}`)));
  return samples.reduce<number>((sum, sample) => sum + (sample ?? 0), 0);
}

function liveClient(service: Api): Client {
  return createClient({
    url: `${service.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams: async () => ({ authorization: await defaultAuthorization() }),
  });
}

describe('DLQ retention by the leased job over two replicas', () => {
  const RETENTION_MS = 6_000;
  let replicas: [RunningOrderService, RunningOrderService];
  let client: Client;
  const notices: Array<{ kind: string; entry: { orderId: string; resolved: boolean; resolution: string | null } }> = [];
  const ids = { retry: '', cancel: '', escalate: '', open: '', late: '' };
  const resolvedVersions = new Map<string, number>();

  beforeAll(async () => {
    const database = uniqueName('dlq_retention');
    const env = { MONGODB_DATABASE: database, DLQ_RETENTION: `${RETENTION_MS / 1000}s`, DLQ_RETENTION_SWEEP_INTERVAL: '250ms' };
    replicas = await Promise.all([startTestService(env), startTestService(env)]);
    client = liveClient(replicas[1]);
    client.subscribe(
      { query: LIVE },
      { next: (result) => notices.push(result.data?.deadLetterQueueChanged as (typeof notices)[number]), error: () => undefined, complete: () => undefined },
    );
    await eventually(async () => expect(await metric(replicas[1], 'graphql_subscriptions_active')).toBe(1));
  }, 120_000);
  afterAll(async () => {
    await client?.dispose();
    await Promise.all((replicas ?? []).map((service) => service?.stop()));
  });

  it('retires resolved entries past the retention from list and statistics; unresolved and recently resolved entries stay', async () => {
    const [first, second] = replicas;
    for (const [index, name] of (['retry', 'cancel', 'escalate', 'open', 'late'] as const).entries()) {
      ids[name] = await createOrder(replicas[index % 2]);
      await moveToDlq(replicas[(index + 1) % 2], ids[name], `failure of ${name}`);
    }
    resolvedVersions.set(ids.retry, await resolveEntry(first, ids.retry, 'manual_retry'));
    resolvedVersions.set(ids.cancel, await resolveEntry(second, ids.cancel, 'cancelled'));
    resolvedVersions.set(ids.escalate, await resolveEntry(first, ids.escalate, 'escalated'));
    // Resolved shortly before the others are due: read as not due by the pass that retires them, and for seconds after.
    await new Promise((resolve) => setTimeout(resolve, RETENTION_MS - 1_500));
    resolvedVersions.set(ids.late, await resolveEntry(second, ids.late, 'escalated'));

    const retired = [ids.retry, ids.cancel, ids.escalate];
    const staying = [ids.open, ids.late].sort();
    // The pass that retired the first three read the late one as not due yet: it is still there when they are gone.
    const afterRetirement = await eventually(async () => {
      const page = await listed(first);
      for (const orderId of retired) expect(page.ids).not.toContain(orderId);
      return page;
    }, 30_000);
    // Read at once, while the late entry is seconds away from its own retention.
    const [graphqlPage, resolvedPage, unresolvedPage, stats, graphqlStats, counters] = await Promise.all([
      graphqlListed(second),
      listed(second, '&resolved=true'),
      listed(first, '&resolved=false'),
      rest(second, 'GET', '/dead-letter-queue/stats'),
      ok(first, STATS),
      countersOf(first),
    ]);
    expect(afterRetirement).toEqual({ ids: staying, total: 2 });
    expect(graphqlPage).toEqual({ ids: staying, total: 2 });
    expect(resolvedPage).toEqual({ ids: [ids.late], total: 1 });
    expect(unresolvedPage).toEqual({ ids: [ids.open], total: 1 });
    expectStatus(stats, 200);
    expect(stats.body).toMatchObject({ totalEntries: 2, unresolvedCount: 1, resolvedCount: 1, byResolution: { manual_retry: 0, cancelled: 0, escalated: 1 } });
    expect(graphqlStats).toEqual({
      totalEntries: 2,
      unresolvedCount: 1,
      resolvedCount: 1,
      byResolution: [
        { resolution: 'MANUAL_RETRY', count: 0 },
        { resolution: 'CANCELLED', count: 0 },
        { resolution: 'ESCALATED', count: 1 },
      ],
    });
    expect(counters.kept).toEqual(counters.recounted);
    expect(counters.recounted).toEqual({ total: 2, unresolved: 1, retrySum: 0, byStatus: { picking: 1 }, byResolution: { escalated: 1 } });

    // The recently resolved entry goes too once its own retention has passed; the unresolved one never does.
    await eventually(async () => expect(await listed(second)).toEqual({ ids: [ids.open], total: 1 }), 30_000);
    const later = await countersOf(second);
    expect(later.kept).toEqual(later.recounted);
    expect(later.recounted).toEqual({ total: 1, unresolved: 1, retrySum: 0, byStatus: { picking: 1 }, byResolution: {} });
    expect((await retiredTotal(first)) + (await retiredTotal(second))).toBe(4);
  }, 90_000);

  it('the order keeps each retired entry in its history (GraphQL and REST); its entry is gone from the queue; nothing else of it changed', async () => {
    const [first, second] = replicas;
    const expected: Record<string, { resolution: DlqResolution; deadLettered: boolean }> = {
      [ids.retry]: { resolution: 'manual_retry', deadLettered: false },
      [ids.cancel]: { resolution: 'cancelled', deadLettered: false },
      [ids.escalate]: { resolution: 'escalated', deadLettered: true },
      [ids.late]: { resolution: 'escalated', deadLettered: true },
    };
    for (const [orderId, { resolution, deadLettered }] of Object.entries(expected)) {
      const name = Object.entries(ids).find(([, id]) => id === orderId)![0];
      const past = {
        failureStatus: 'picking',
        failureReason: `failure of ${name}`,
        retryCount: 0,
        resolution,
        resolvedBy: SUPERVISOR,
        resolvedAt: expect.any(String),
        notes: `resolved as ${resolution}`,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      };
      const restOrder = await orderOf(first, orderId);
      expect(restOrder.deadLetterHistory).toEqual([past]);
      // An escalated order stays held: the retention changes the queue, not the order's processing.
      expect(restOrder.deadLettered).toBe(deadLettered);
      // Retired by exactly one write, whichever replica held the lease.
      expect(restOrder.version).toBe(resolvedVersions.get(orderId)! + 1);

      const graphqlOrder = await ok(second, ORDER_HISTORY, { id: orderId });
      expect(graphqlOrder).toMatchObject({ id: orderId, version: restOrder.version, deadLettered });
      expect(graphqlOrder.deadLetterHistory).toEqual([{ ...past, resolution: resolution.toUpperCase() }]);

      expectStatus(await rest(second, 'GET', `/dead-letter-queue/${orderId}`), 404);
      const missing = await graphql(first, ENTRY, { orderId });
      expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    // One RETIRED notice per retired entry, carrying the entry as it left the queue (the replicas both run the job).
    await eventually(() => expect(notices.filter((notice) => notice.kind === 'RETIRED')).toHaveLength(4), 10_000);
    const retiredNotices = notices.filter((notice) => notice.kind === 'RETIRED');
    expect(retiredNotices.map((notice) => notice.entry.orderId).sort()).toEqual(Object.keys(expected).sort());
    for (const notice of retiredNotices)
      expect(notice.entry).toMatchObject({ resolved: true, resolution: expected[notice.entry.orderId].resolution.toUpperCase() });
  }, 60_000);

  it('moving the order to the queue again opens a new entry whose history includes the retired one', async () => {
    const [first, second] = replicas;
    await moveToDlq(second, ids.retry, 'failed again');
    const entry = await ok(first, ENTRY, { orderId: ids.retry });
    expect(entry).toEqual({
      orderId: ids.retry,
      resolved: false,
      history: [{ failureReason: 'failure of retry', resolution: 'MANUAL_RETRY', resolvedBy: SUPERVISOR, notes: 'resolved as manual_retry' }],
    });
    // The order still shows it, now from the new entry's history (each past entry is kept in one place).
    const order = await orderOf(second, ids.retry);
    expect(order.deadLettered).toBe(true);
    expect(order.deadLetterHistory).toEqual([expect.objectContaining({ failureReason: 'failure of retry', resolution: 'manual_retry' })]);
    const stored = await orderModel(first.services.mongo).collection.findOne({ _id: ids.retry as never });
    expect(stored?.retiredDeadLetterEntries).toEqual([]);
    expect((stored?.deadLetter as { history: unknown[] }).history).toHaveLength(1);

    expect(await listed(first)).toEqual({ ids: [ids.open, ids.retry].sort(), total: 2 });
    const { kept, recounted } = await countersOf(second);
    expect(kept).toEqual(recounted);
    expect(recounted).toMatchObject({ total: 2, unresolved: 2 });
  }, 30_000);
});

describe('DLQ retention raced by two replicas on the same entries', () => {
  const ORDERS = 20;
  let replicas: [RunningOrderService, RunningOrderService];

  beforeAll(async () => {
    // The jobs' first pass runs at start (nothing is due then) and the next in an hour: the test drives both replicas.
    const env = { MONGODB_DATABASE: uniqueName('dlq_retention_race'), DLQ_RETENTION: '1s', DLQ_RETENTION_SWEEP_INTERVAL: '1h' };
    replicas = await Promise.all([startTestService(env), startTestService(env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((service) => service?.stop()));
  });

  it('each entry is retired exactly once: one write per order, counters equal to the recount', async () => {
    const orderIds = await Promise.all(Array.from({ length: ORDERS }, (_, i) => createOrder(replicas[i % 2])));
    await Promise.all(orderIds.map((orderId, i) => moveToDlq(replicas[(i + 1) % 2], orderId, `race ${i}`)));
    const resolutions: DlqResolution[] = ['manual_retry', 'cancelled', 'escalated'];
    const versions = await Promise.all(orderIds.map((orderId, i) => resolveEntry(replicas[i % 2], orderId, resolutions[i % 3])));
    const entries = new DeadLetterRepository(orderModel(replicas[0].services.mongo));
    await eventually(async () => expect(await entries.findDueForRetirement(new Date(Date.now() - 1_000), 100)).toHaveLength(ORDERS), 10_000);

    const [one, other] = [retentionOf(replicas[0], 1_000), retentionOf(replicas[1], 1_000)];
    // Both replicas take the same batch and retire it at once, each entry also raced one by one.
    const passes = await Promise.all([
      one.retireDue(100),
      other.retireDue(100),
      ...orderIds.map((orderId, i) => (i % 2 ? one : other).retire(TENANT, orderId)),
    ]);
    const [first, second, ...single] = passes as [
      Awaited<ReturnType<DeadLetterRetention['retireDue']>>,
      Awaited<ReturnType<DeadLetterRetention['retireDue']>>,
      ...boolean[],
    ];
    expect(first.failures).toEqual([]);
    expect(second.failures).toEqual([]);
    expect(first.retired + second.retired + single.filter(Boolean).length).toBe(ORDERS);

    for (const [i, orderId] of orderIds.entries()) {
      const order = await orderOf(replicas[i % 2], orderId);
      expect({ orderId, version: order.version }).toEqual({ orderId, version: versions[i] + 1 });
      expect(order.deadLetterHistory).toEqual([expect.objectContaining({ failureReason: `race ${i}`, resolution: resolutions[i % 3] })]);
    }
    expect(await listed(replicas[0])).toEqual({ ids: [], total: 0 });
    const { kept, recounted } = await countersOf(replicas[1]);
    expect(kept).toEqual(recounted);
    expect(recounted).toEqual({ total: 0, unresolved: 0, retrySum: 0, byStatus: {}, byResolution: {} });
    expect((await retiredTotal(replicas[0])) + (await retiredTotal(replicas[1]))).toBe(ORDERS);
    // A repeat finds nothing to do.
    expect(await one.retireDue(100)).toEqual({ found: 0, retired: 0, failures: [] });
  }, 90_000);
});
