import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { RunningOrderService } from '../../src/order-service';
import { LIVE_CHANNELS } from '../../src/events/live-feed';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../src/server/subscription-limits';
import { createOrder, ok } from '../support/graphql-client';
import { MOVE_TO_DLQ, RESOLVE, eventually, metric, startServiceProcess, type ServiceProcess } from '../support/dlq-support';
import { bearer, defaultAuthorization } from '../support/test-auth';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { startTestService, uniqueName } from '../support/test-service';

/** The live DLQ feed (CONTRACT §3, §6): graphql-ws subscribers on every replica, the subscription cap, and no leaks. */

const SUBSCRIPTION = `subscription Dlq($failureStatus: String, $customerId: String) {
  deadLetterQueueChanged(failureStatus: $failureStatus, customerId: $customerId) {
    kind occurredAt
    entry { orderId customerId failureStatus failureReason resolved resolution resolvedBy retryCount createdAt order { id deadLettered } }
    stats { totalEntries unresolvedCount resolvedCount byFailureStatus { failureStatus count } oldestUnresolvedAt }
  } }`;

interface Received {
  at: number;
  data?: any;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
}

function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/graphql`;
}

function wsClient(httpUrl: string): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams: async () => ({ authorization: await defaultAuthorization() }),
  });
}

/** Subscribes and records every result (with its arrival time) and error; returns the unsubscribe function. */
function subscribe(client: Client, variables: Record<string, unknown> = {}) {
  const received: Received[] = [];
  const failures: unknown[] = [];
  const unsubscribe = client.subscribe(
    { query: SUBSCRIPTION, variables },
    {
      next: (result) => received.push({ at: Date.now(), data: result.data?.deadLetterQueueChanged, errors: result.errors }),
      error: (error) => failures.push(error),
      complete: () => undefined,
    },
  );
  return { received, failures, unsubscribe };
}

async function activeSubscriptions(service: { url: string }): Promise<number> {
  return (await metric(service, 'graphql_subscriptions_active')) ?? 0;
}

describe('deadLetterQueueChanged across two replicas', () => {
  let writer: ServiceProcess;
  let reader: ServiceProcess;
  let client: Client;

  beforeAll(async () => {
    const env = { MONGODB_URI: TEST_MONGODB_URI, KAFKA_BROKERS: TEST_KAFKA_BROKERS, MONGODB_DATABASE: uniqueName('dlq_live') };
    // Both relay, as deployed; changes are made through the writer, subscribers listen on the reader.
    [writer, reader] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
    client = wsClient(reader.url);
  }, 120_000);
  afterAll(async () => {
    await client?.dispose();
    const codes = await Promise.all([writer?.stop(), reader?.stop()]);
    expect(codes).toEqual([0, 0]);
  });

  it('a subscriber on one replica receives ADDED and RESOLVED for changes made through the other, within 2 s, filtered by its arguments', async () => {
    const all = subscribe(client);
    const sameCustomer = subscribe(client, { customerId: 'CUST-LIVE-1', failureStatus: 'picking' });
    const otherCustomer = subscribe(client, { customerId: 'CUST-SOMEONE-ELSE' });
    const otherStatus = subscribe(client, { failureStatus: 'packing' });
    await eventually(async () => expect(await activeSubscriptions(reader)).toBe(4));

    const order = await createOrder(writer, { customerId: 'CUST-LIVE-1' });
    const movedAt = Date.now();
    await ok(writer, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'picking', failureReason: 'Inventory unavailable' });
    await eventually(() => expect(all.received).toHaveLength(1), 2_000, 10);
    const added = all.received[0];
    expect(added.errors).toBeUndefined();
    expect(added.data).toEqual({
      kind: 'ADDED',
      occurredAt: expect.any(String),
      entry: {
        orderId: order.id,
        customerId: 'CUST-LIVE-1',
        failureStatus: 'picking',
        failureReason: 'Inventory unavailable',
        resolved: false,
        resolution: null,
        resolvedBy: null,
        retryCount: 0,
        createdAt: expect.any(String),
        order: { id: order.id, deadLettered: true },
      },
      stats: {
        totalEntries: 1,
        unresolvedCount: 1,
        resolvedCount: 0,
        byFailureStatus: [{ failureStatus: 'picking', count: 1 }],
        oldestUnresolvedAt: expect.any(String),
      },
    });
    // Searched for only because this subscription selects it: the one unresolved entry is the oldest.
    expect(added.data.stats.oldestUnresolvedAt).toBe(added.data.entry.createdAt);

    const resolvedAt = Date.now();
    await ok(
      writer,
      RESOLVE,
      { orderId: order.id, resolution: 'ESCALATED', resolvedBy: 'SUPERVISOR-001' },
      { authorization: await bearer({ sub: 'SUPERVISOR-001' }) },
    );
    await eventually(() => expect(all.received).toHaveLength(2), 2_000, 10);
    const resolved = all.received[1];
    expect(resolved.data).toMatchObject({
      kind: 'RESOLVED',
      entry: { orderId: order.id, resolved: true, resolution: 'ESCALATED', resolvedBy: 'SUPERVISOR-001' },
      stats: { totalEntries: 1, unresolvedCount: 0, resolvedCount: 1, byFailureStatus: [], oldestUnresolvedAt: null },
    });
    process.stdout.write(`DLQ live feed across replicas: ADDED after ${added.at - movedAt} ms, RESOLVED after ${resolved.at - resolvedAt} ms\n`);

    await eventually(() => expect(sameCustomer.received.map((r) => r.data.kind)).toEqual(['ADDED', 'RESOLVED']), 2_000, 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(otherCustomer.received).toEqual([]);
    expect(otherStatus.received).toEqual([]);
    expect([all, sameCustomer, otherCustomer, otherStatus].flatMap((s) => s.failures)).toEqual([]);

    for (const subscription of [all, sameCustomer, otherCustomer, otherStatus]) subscription.unsubscribe();
    await eventually(async () => expect(await activeSubscriptions(reader)).toBe(0));
  });

  it('the automatic move at the fifth failure is pushed too', async () => {
    const live = subscribe(client);
    await eventually(async () => expect(await activeSubscriptions(reader)).toBe(1));
    const order = await createOrder(writer, { customerId: 'CUST-LIVE-2' });
    for (let i = 0; i < 5; i += 1) {
      await ok(writer, `mutation ($orderId: ID!) { incrementRetryCount(orderId: $orderId, input: { failureReason: "offline" }) { retryCount } }`, {
        orderId: order.id,
      });
    }
    await eventually(() => expect(live.received).toHaveLength(1), 2_000, 10);
    expect(live.received[0].data).toMatchObject({
      kind: 'ADDED',
      entry: { orderId: order.id, retryCount: 5, failureReason: 'offline', failureStatus: 'received' },
    });
    live.unsubscribe();
    await eventually(async () => expect(await activeSubscriptions(reader)).toBe(0));
  });
});

describe('deadLetterQueueChanged on one replica', () => {
  let service: RunningOrderService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop();
  });

  async function moveNewOrder(): Promise<string> {
    const order = await createOrder(service);
    await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'picking', failureReason: 'offline' });
    return order.id;
  }

  it(`refuses subscription ${MAX_SUBSCRIPTIONS_PER_CONNECTION + 1} on one connection with FORBIDDEN, and accepts one again when another ends`, async () => {
    const client = wsClient(service.url);
    try {
      const open = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, () => subscribe(client));
      await eventually(async () => expect(await activeSubscriptions(service)).toBe(MAX_SUBSCRIPTIONS_PER_CONNECTION));
      const refused = subscribe(client);
      await eventually(() => expect(refused.failures).toHaveLength(1), 5_000);
      expect(refused.failures[0]).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN', maxSubscriptionsPerConnection: 20 }) }),
      ]);
      expect(await metric(service, 'graphql_subscriptions_refused_total')).toBe(1);

      open[0].unsubscribe();
      const again = subscribe(client);
      await eventually(async () => expect(await activeSubscriptions(service)).toBe(MAX_SUBSCRIPTIONS_PER_CONNECTION));
      // The other connections are not affected by this one's cap, and everyone open still receives changes.
      const other = wsClient(service.url);
      const elsewhere = subscribe(other);
      await eventually(async () => expect(await activeSubscriptions(service)).toBe(MAX_SUBSCRIPTIONS_PER_CONNECTION + 1));
      await moveNewOrder();
      await eventually(() => expect([again, elsewhere, ...open.slice(1)].every((s) => s.received.length === 1)).toBe(true));
      expect(again.failures).toEqual([]);
      await other.dispose();
    } finally {
      await client.dispose();
    }
    await eventually(async () => expect(await activeSubscriptions(service)).toBe(0));
  });

  it('computes the statistics once per change, however many subscribers receive it', async () => {
    const client = wsClient(service.url);
    const subscribers = Array.from({ length: 10 }, () => subscribe(client));
    await eventually(async () => expect(await activeSubscriptions(service)).toBe(10));
    const before = service.services.deadLetterFeed.computed;
    await moveNewOrder();
    await eventually(() => expect(subscribers.every((s) => s.received.length === 1)).toBe(true));
    expect(service.services.deadLetterFeed.computed).toBe(before + 1);
    expect(new Set(subscribers.map((s) => JSON.stringify(s.received[0].data))).size).toBe(1);
    await client.dispose();
    await eventually(async () => expect(await activeSubscriptions(service)).toBe(0));
  });

  it('1,000 subscribe/unsubscribe cycles (complete, close, dropped socket) leave the subscription count and the heap at baseline', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heapNow = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const BATCHES = 20;
    const CLIENTS = 5;
    const PER_CLIENT = 10; // 20 batches × 5 connections × 10 subscriptions = 1,000 cycles
    const gauge = () => service.services.metrics.subscriptionsActive.get().then((metricValue) => metricValue.values[0]?.value ?? 0);
    const listeners = () => service.services.pubSub.listenerCount(LIVE_CHANNELS.deadLetterQueueChanged);
    const baseline = await gauge();
    expect(listeners()).toBe(baseline);
    let heapBaseline = 0;

    for (let batch = 0; batch < BATCHES; batch += 1) {
      const mode = (['complete', 'close', 'drop'] as const)[batch % 3];
      if (mode === 'drop') {
        // Raw graphql-transport-ws, then the socket is destroyed without a close frame, like a client that vanished.
        const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => rawSubscriber(wsUrl(service.url), PER_CLIENT)));
        await eventually(async () => expect(await gauge()).toBe(baseline + CLIENTS * PER_CLIENT), 10_000, 10);
        expect(listeners()).toBe(baseline + CLIENTS * PER_CLIENT);
        for (const socket of sockets) socket.terminate();
      } else {
        const clients = Array.from({ length: CLIENTS }, () => wsClient(service.url));
        const subscriptions = clients.flatMap((client) => Array.from({ length: PER_CLIENT }, () => subscribe(client)));
        await eventually(async () => expect(await gauge()).toBe(baseline + CLIENTS * PER_CLIENT), 10_000, 10);
        if (batch === 0 || batch === BATCHES - 1) {
          await moveNewOrder();
          await eventually(() => expect(subscriptions.every((s) => s.received.length === 1)).toBe(true), 10_000, 10);
        }
        if (mode === 'complete') for (const subscription of subscriptions) subscription.unsubscribe();
        else for (const client of clients) client.terminate();
        await Promise.all(clients.map((client) => client.dispose()));
      }
      await eventually(
        async () => {
          expect(await gauge()).toBe(baseline);
          expect(listeners()).toBe(baseline); // the PubSub listeners behind the iterators are gone too
        },
        10_000,
        10,
      );
      if (batch === 0) heapBaseline = heapNow();
    }

    const heapAfter = heapNow();
    const growthMb = (heapAfter - heapBaseline) / 1024 / 1024;
    process.stdout.write(
      `subscription leak check: heap ${Math.round(heapBaseline / 1024 / 1024)} MB → ${Math.round(heapAfter / 1024 / 1024)} MB (${growthMb.toFixed(1)} MB)\n`,
    );
    expect(await gauge()).toBe(baseline);
    expect(await activeSubscriptions(service)).toBe(baseline);
    expect(growthMb).toBeLessThan(15);
  }, 180_000);
});

/** A bare graphql-transport-ws client holding `count` DLQ subscriptions. */
async function rawSubscriber(url: string, count: number): Promise<WebSocket> {
  const authorization = await defaultAuthorization();
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.on('error', reject);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization } })));
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as { type: string };
      if (message.type !== 'connection_ack') return;
      for (let i = 0; i < count; i += 1) socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: SUBSCRIPTION } }));
      resolve(socket);
    });
  });
}
