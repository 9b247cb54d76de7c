import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import type { Collection, Document } from 'mongodb';
import WebSocket from 'ws';
import { EventListener, ORDER_LIVE_TOPIC } from '../lib/events';
import { explainCount, explainFind, planNote } from '../lib/explain';
import { benchAuthorization } from '../lib/auth';
import { graphql, request } from '../lib/http';
import { cloneOrderDocument, countsFoldedIn, createOrder, foldedText, newOrderId } from '../lib/orders';
import { rowOf, type Row, type SectionResult } from '../lib/report';
import { insertInBatches, seededText } from '../lib/seed';
import { APP_DIR } from '../lib/infra';
import { ServiceProcess, type Memory } from '../lib/service';
import { alternate, closedLoop, latencySummary, percentile, sleep, summarize, waitUntil, type Side } from '../lib/stats';
import { withTimeout } from '../lib/timeout';
import { seedOrders } from './api';
import { modeText, scaleOptions, subjectRow, type ScaleStore } from './list';
import type { BenchContext } from '../run';

/** What a supervisor's DLQ dashboard would select. */
const SUBSCRIPTION = `subscription Dlq { deadLetterQueueChanged {
  kind occurredAt
  entry { orderId customerId failureStatus failureReason retryCount resolved }
  stats { totalEntries unresolvedCount byFailureStatus { failureStatus count } } } }`;

const MOVE = `mutation Move($orderId: ID!, $failureStatus: String!, $failureReason: String!) {
  moveOrderToDeadLetterQueue(orderId: $orderId, failureStatus: $failureStatus, failureReason: $failureReason) { orderId createdAt } }`;

const STATS = `query Stats { deadLetterStats {
  totalEntries unresolvedCount resolvedCount oldestUnresolvedAt averageRetries
  byFailureStatus { failureStatus count } byResolution { resolution count } } }`;

const TENANT = 'default';

async function activeSubscriptions(url: string): Promise<number> {
  const text = (await request(`${url}/metrics`)).body;
  const line = text.split('\n').find((candidate) => candidate.startsWith('graphql_subscriptions_active '));
  return line ? Number(line.split(' ')[1]) : 0;
}

const mb = (memory: Memory | null) => (memory ? `${Math.round(memory.rssMb)} MB` : 'unreadable');

interface Receipt {
  orderId: string;
  /** Which subscriber (index of its client). */
  client: number;
  at: number;
  wallAt: number;
  occurredAt: string;
}

interface Subscribers {
  receipts: Receipt[];
  errors: number;
  firstError: string | null;
  connected: number;
  connectSeconds: number;
  close(): Promise<void>;
}

/** `count` graphql-ws clients (one WebSocket each, opened 50 at a time), each with one deadLetterQueueChanged subscription. */
async function openSubscribers(context: BenchContext, url: string, count: number): Promise<Subscribers> {
  const clients: Client[] = [];
  const close = async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  };
  context.cleanups.push(close);
  const state: Subscribers = { receipts: [], errors: 0, firstError: null, connected: 0, connectSeconds: 0, close };
  const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
  const started = performance.now();
  await closedLoop(count, 50, async (index) => {
    await new Promise<void>((resolve, reject) => {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: benchAuthorization() },
        on: { connected: () => resolve(), closed: () => reject(new Error('closed before connecting')) },
      });
      clients.push(client);
      client.subscribe(
        { query: SUBSCRIPTION },
        {
          next: (result) => {
            const change = (result.data as any)?.deadLetterQueueChanged;
            if (change)
              state.receipts.push({ orderId: change.entry.orderId, client: index, at: performance.now(), wallAt: Date.now(), occurredAt: change.occurredAt });
            else {
              state.errors += 1;
              state.firstError ??= JSON.stringify(result.errors ?? result).slice(0, 200);
            }
          },
          error: (error) => {
            state.errors += 1;
            state.firstError ??= error instanceof Error ? error.message : JSON.stringify(error).slice(0, 200);
          },
          complete: () => undefined,
        },
      );
    });
  });
  state.connected = clients.length;
  await waitUntil('subscriptions registered', async () => ((await activeSubscriptions(url)) >= count ? true : undefined), 60_000, 200);
  state.connectSeconds = (performance.now() - started) / 1000;
  return state;
}

/** Delivery latencies of `receipts` from each move's acknowledgement (a receipt before it counts as 0 ms). */
function deliveryFigures(receipts: Receipt[], acks: Map<string, number>) {
  let beforeAck = 0;
  // Latency only from an acknowledged move: a move whose HTTP request failed may still have committed and be delivered.
  const timed = receipts.filter(({ orderId }) => acks.has(orderId));
  const latencies = timed.map(({ orderId, at }) => {
    const ack = acks.get(orderId) as number;
    if (at < ack) beforeAck += 1;
    return Math.max(0, at - ack);
  });
  // The first subscriber to get each change: the pipeline (relay, Kafka, live feed, stats) without the fan-out.
  const firstPerChange = new Map<string, number>();
  timed.forEach(({ orderId }, index) => firstPerChange.set(orderId, Math.min(firstPerChange.get(orderId) ?? Number.POSITIVE_INFINITY, latencies[index])));
  const fromOccurred = receipts.map(({ wallAt, occurredAt }) => wallAt - Date.parse(occurredAt)).sort((a, b) => a - b);
  const unique = new Set(receipts.map(({ orderId, client }) => `${client}|${orderId}`)).size;
  const changes = new Set(receipts.map(({ orderId }) => orderId)).size;
  return {
    summary: latencySummary(latencies),
    first: latencySummary([...firstPerChange.values()]),
    fromOccurred,
    beforeAck,
    unique,
    changes,
    duplicates: receipts.length - unique,
  };
}

/** Section 4a: change → subscriber latency with many graphql-ws subscribers on one replica, and that replica's memory. */
export async function dlqFeedSection(context: BenchContext): Promise<SectionResult> {
  const { subscribers, dlqMoves } = context.load;
  const warmMoves = 5;
  const database = 'bench_dlq';
  const service = await ServiceProcess.start('dlq-feed', { MONGODB_DATABASE: database });
  let feed: Subscribers | null = null;
  try {
    const orderIds = await seedOrders(service.url, warmMoves + dlqMoves, 8);
    await sleep(1_000);
    const idle = service.memory();
    feed = await openSubscribers(context, service.url, subscribers);
    const { receipts } = feed;
    await sleep(1_000);
    const withSubscribers = service.memory();

    const acks = new Map<string, number>();
    const move = async (orderId: string, index: number) => {
      await graphql(service.url, MOVE, { orderId, failureStatus: ['picking', 'packing', 'shipping'][index % 3], failureReason: 'bench: station offline' });
      acks.set(orderId, performance.now());
    };
    // Warm-up moves, not measured: wait for every subscriber to get each of them.
    const spacing = context.load.dlqSpacingMs;
    for (let index = 0; index < warmMoves; index += 1) {
      await move(orderIds[index], index);
      await sleep(spacing);
    }
    await waitUntil('warm-up deliveries', () => (receipts.length >= warmMoves * subscribers ? true : undefined), 60_000);
    receipts.length = 0;

    // Measured: one move every `spacing` ms, RSS sampled every 100 ms.
    let peak = service.memory();
    const sampler = setInterval(() => {
      const now = service.memory();
      if (now && (!peak || now.rssMb > peak.rssMb)) peak = now;
    }, 100);
    const measuredIds = orderIds.slice(warmMoves, warmMoves + dlqMoves);
    const movesStarted = performance.now();
    for (let index = 0; index < measuredIds.length; index += 1) {
      await move(measuredIds[index], index);
      await sleep(Math.max(0, movesStarted + (index + 1) * spacing - performance.now()));
    }
    const expected = measuredIds.length * subscribers;
    const complete = await waitUntil('deliveries', () => (receipts.length >= expected ? true : undefined), 60_000).catch(() => false);
    clearInterval(sampler);
    const after = service.memory();

    const { summary, first, fromOccurred, beforeAck } = deliveryFigures(receipts, acks);
    const peakRss = Math.max(peak?.rssMb ?? 0, after?.rssMb ?? 0);
    const rows: Row[] = [
      {
        what: `${subscribers} subscribers: move acknowledged → change received`,
        n: summary.n,
        p50: summary.p50,
        p99: summary.p99,
        aim: 'p99 ≤ 100 ms',
        met: complete === true && summary.p99 <= 100,
      },
      {
        what: 'same, from the change’s occurredAt (service clock)',
        n: fromOccurred.length,
        p50: percentile(fromOccurred, 50),
        p99: percentile(fromOccurred, 99),
      },
      { what: 'first subscriber to get each change (no fan-out)', n: first.n, p50: first.p50, p99: first.p99 },
      {
        what: `replica RSS with ${subscribers} subscribers (peak while moving)`,
        ratio: `${Math.round(peakRss)} MB`,
        aim: 'RSS ≤ 300 MB',
        met: peakRss <= 300,
      },
    ];
    const notes = [
      `One replica (node dist/main.js, pid-own RSS from /proc/<pid>/status), ${feed.connected} graphql-ws clients (createClient, ws, lazy: false), one subscription each (${await activeSubscriptions(service.url)} active on the replica by its gauge); connecting and subscribing took ${feed.connectSeconds.toFixed(1)} s.`,
      `${dlqMoves} moveOrderToDeadLetterQueue mutations, one every ${spacing} ms, after ${warmMoves} unmeasured warm-up moves; ${receipts.length} of ${expected} deliveries received${complete === true ? '' : ' within 60 s'}; ${beforeAck} arrived before the mutation's response (counted as 0 ms). ${feed.errors} subscription errors${feed.firstError ? ` (first: ${feed.firstError})` : ''}.`,
      `Path measured: write → relay → Kafka topic wms.orders.live → the replica's live-feed consumer → stats query (once per change) → ${subscribers.toLocaleString('en-US')} WebSocket sends → the bench's clients (${subscribers.toLocaleString('en-US')} sockets in one Node process on the same 2 CPUs, so client-side handling is inside the figure).`,
      `RSS: ${mb(idle)} idle before subscribers, ${mb(withSubscribers)} with ${subscribers} subscribers, peak ${Math.round(peakRss)} MB while moving (sampled every 100 ms), ${mb(after)} after; VmHWM ${after ? Math.round(after.hwmMb) : '?'} MB over the process's life.`,
    ];
    return {
      id: 'dlq-feed',
      title: `4a. DLQ feed: ${subscribers.toLocaleString('en-US')} graphql-ws subscribers on one replica`,
      rows,
      notes,
      notMeasured: null,
    };
  } finally {
    await feed?.close();
    await service.stop();
  }
}

/**
 * Section 4c: the live DLQ feed on a store holding the 100,000 orders of section 6: many subscribers, moves at a fixed
 * rate (open loop, each move issued on schedule whether or not the previous one answered), every delivery counted.
 */
export async function dlqFeedScaleSection(context: BenchContext, store: ScaleStore): Promise<SectionResult> {
  const { scaleSubscribers: subscribers, scaleMoveRate: rate, scaleMoveSeconds: seconds } = context.load;
  const { service } = store;
  const warmMoves = 5;
  const moves = Math.round(rate * seconds);
  const aim = 250;
  const moveTimeoutMs = 60_000;
  const orderIds = await seedOrders(service.url, warmMoves + moves, 8);
  // The relay's part of the path, timed apart: when each move's notice reaches the live topic (a consumer of our own).
  const noticed = new Map<string, number>();
  const live = new EventListener((arrival) => {
    if (arrival.type === 'wms.order.internal.dlq-changed' && !noticed.has(arrival.subject)) noticed.set(arrival.subject, arrival.at);
  }, ORDER_LIVE_TOPIC);
  context.cleanups.push(() => live.stop());
  await live.start(`bench-live-${Date.now()}`);
  const feed = await openSubscribers(context, service.url, subscribers);
  try {
    const { receipts } = feed;
    const acks = new Map<string, number>();
    const moveLatencies: number[] = [];
    let failed = 0;
    let firstError: string | null = null;
    const move = async (orderId: string, index: number) => {
      const sent = performance.now();
      try {
        await graphql(
          service.url,
          MOVE,
          { orderId, failureStatus: ['picking', 'packing', 'shipping'][index % 3], failureReason: 'bench: station offline' },
          moveTimeoutMs,
        );
        const ack = performance.now();
        acks.set(orderId, ack);
        moveLatencies.push(ack - sent);
      } catch (error) {
        failed += 1;
        firstError ??= (error as Error).message;
      }
    };
    for (let index = 0; index < warmMoves; index += 1) {
      await move(orderIds[index], index);
      await sleep(200);
    }
    if (failed) throw new Error(`warm-up moves failed: ${firstError}`);
    await waitUntil('warm-up deliveries', () => (receipts.length >= warmMoves * subscribers ? true : undefined), 60_000);
    receipts.length = 0;
    moveLatencies.length = 0;
    acks.clear();
    noticed.clear();

    const peakBefore = service.memory();
    let peak = peakBefore;
    const sampler = setInterval(() => {
      const now = service.memory();
      if (now && (!peak || now.rssMb > peak.rssMb)) peak = now;
    }, 100);
    const measuredIds = orderIds.slice(warmMoves, warmMoves + moves);
    const pending: Array<Promise<void>> = [];
    const started = performance.now();
    for (let index = 0; index < measuredIds.length; index += 1) {
      await sleep(Math.max(0, started + (index * 1000) / rate - performance.now()));
      pending.push(move(measuredIds[index], index));
    }
    const issuedSeconds = (performance.now() - started) / 1000;
    await Promise.all(pending);
    const answeredSeconds = (performance.now() - started) / 1000;
    // Every move counts: one whose HTTP request failed (timed out) may still have committed, and then must arrive too.
    const expected = moves * subscribers;
    const waitStarted = performance.now();
    const complete = await waitUntil(
      'deliveries',
      () => (new Set(receipts.map(({ orderId, client }) => `${client}|${orderId}`)).size >= expected ? true : undefined),
      60_000,
      200,
    ).catch(() => false);
    const waited = (performance.now() - waitStarted) / 1000;
    clearInterval(sampler);

    const { summary, first, fromOccurred, beforeAck, unique, changes, duplicates } = deliveryFigures(receipts, acks);
    const writes = summarize({ latencies: moveLatencies, elapsedMs: answeredSeconds * 1000, errors: failed, firstError });
    const toLive = latencySummary([...acks].flatMap(([orderId, ack]) => (noticed.has(orderId) ? [Math.max(0, (noticed.get(orderId) as number) - ack)] : [])));
    const acknowledgedDeliveries = new Set(receipts.filter(({ orderId }) => acks.has(orderId)).map(({ orderId, client }) => `${client}|${orderId}`)).size;
    const rows: Row[] = [
      rowOf(`moveOrderToDeadLetterQueue offered at ${rate}/s for ${seconds} s (HTTP)`, writes, {
        ratio: failed ? `${acks.size} acknowledged, ${failed} failed` : `${acks.size} acknowledged`,
        aim: `${rate}/s answered`,
        met: failed === 0 && writes.opsPerSec >= rate * 0.95,
      }),
      {
        what: `deliveries to ${subscribers} subscribers (moves × subscribers)`,
        n: unique,
        ratio: `${unique.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')}`,
        aim: 'every delivery',
        met: complete === true && duplicates === 0,
      },
      {
        what: `${subscribers} subscribers: move acknowledged → change received`,
        n: summary.n,
        p50: summary.p50,
        p99: summary.p99,
        aim: `p99 ≤ ${aim} ms`,
        met: complete === true && failed === 0 && summary.p99 <= aim,
      },
      {
        what: 'same, from the change’s occurredAt (service clock)',
        n: fromOccurred.length,
        p50: percentile(fromOccurred, 50),
        p99: percentile(fromOccurred, 99),
      },
      { what: 'first subscriber to get each change (no fan-out)', n: first.n, p50: first.p50, p99: first.p99 },
      { what: 'move acknowledged → its notice on wms.orders.live (relay + Kafka only)', n: toLive.n, p50: toLive.p50, p99: toLive.p99 },
    ];
    const notes = [
      `Store: the ${store.total.toLocaleString('en-US')} orders of section 6 (same database and replica, relay on), plus the ${warmMoves + moves} orders created through GraphQL to be moved. ${feed.connected} graphql-ws clients, one subscription each; connecting and subscribing took ${feed.connectSeconds.toFixed(1)} s. ${feed.errors} subscription errors${feed.firstError ? ` (first: ${feed.firstError})` : ''}.`,
      `${moves} moves issued on schedule over ${issuedSeconds.toFixed(1)} s (${rate}/s, open loop, HTTP time-out ${moveTimeoutMs / 1000} s), the last answered ${answeredSeconds.toFixed(1)} s after the start; ${acks.size} acknowledged, ${failed} failed${firstError ? ` (first: ${firstError})` : ''}; ${warmMoves} warm-up moves before, not measured.`,
      `${unique.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} deliveries (all ${moves} moves × ${subscribers} subscribers) arrived${complete === true ? '' : ' within 60 s of the last answer'}, for ${changes} distinct moves (waited ${waited.toFixed(1)} s after the last answer), ${duplicates} duplicates; ${acknowledgedDeliveries.toLocaleString('en-US')} of them for acknowledged moves, which the latency rows cover; ${beforeAck} arrived before their move's response (counted as 0 ms).`,
      `Replica RSS ${mb(peakBefore)} before the moves, peak ${mb(peak)} while moving. The last row times the relay's share: the bench's own consumer of the internal live topic (own group, maxWait 20 ms) received ${toLive.n} of the acknowledged moves' notices; the rest of the path is the replica's live-feed consumer, the statistics query per change and the WebSocket sends.`,
    ];
    return {
      id: 'dlq-feed-scale',
      title: `4c. DLQ feed at scale: ${subscribers} subscribers, ${rate} moves/s, ${store.total.toLocaleString('en-US')} orders`,
      rows,
      notes,
      notMeasured: null,
    };
  } finally {
    await feed.close();
    await live.stop();
  }
}

const FAILURE_STATUSES = ['picking', 'packing', 'shipping', 'wave_assignment', 'validation'];
const RESOLUTIONS = ['manual_retry', 'cancelled', 'escalated'] as const;

/**
 * A DLQ entry varied from the template (an order the service moved to the DLQ): failure status, resolution (30 %
 * resolved), retries 0–5 with their history, age up to 30 days, 500 customers.
 */
function seededEntry(template: Document, index: number, now: number): Document {
  const orderId = newOrderId();
  const createdAt = new Date(now - ((index * 7919) % (30 * 24 * 60)) * 60_000 - (index % 59_999));
  const orderCreatedAt = new Date(createdAt.getTime() - 3_600_000);
  const doc = cloneOrderDocument(template, orderId, orderCreatedAt);
  const resolved = index % 10 < 3;
  const resolution = resolved ? RESOLUTIONS[index % 3] : null;
  const failureStatus = FAILURE_STATUSES[index % FAILURE_STATUSES.length];
  const retryCount = index % 6;
  const retryHistory = Array.from({ length: retryCount }, (_, attempt) => ({
    attempt: attempt + 1,
    failureReason: 'bench: station offline',
    failureStatus,
    failedAt: new Date(createdAt.getTime() - (retryCount - attempt) * 60_000),
    workflowId: null,
    runId: null,
  }));
  doc.customerId = `CUST-${String(index % 500).padStart(4, '0')}`;
  doc.outbox = [];
  doc.outboxPending = false;
  doc.outboxPublishedSeq = doc.outboxSeq;
  doc.deadLettered = !resolved || resolution === 'escalated';
  if (resolution === 'cancelled') {
    doc.status = 'cancelled';
    doc.cancellation = { reason: 'cancelled from the dead letter queue', cancelledAt: new Date(createdAt.getTime() + 60_000) };
  }
  doc.retry = {
    ...doc.retry,
    count: resolution === 'manual_retry' ? 0 : retryCount,
    history: retryHistory,
    lastFailureStatus: retryCount ? failureStatus : null,
  };
  doc.updatedAt = createdAt;
  doc.deadLetter = {
    ...doc.deadLetter,
    failureStatus,
    failureReason: 'bench: station offline',
    retryCount,
    retryHistory,
    originalOrder: {
      ...doc.deadLetter.originalOrder,
      customerId: doc.customerId,
      createdAt: orderCreatedAt,
      retry: { ...doc.deadLetter.originalOrder.retry, count: retryCount, history: retryHistory },
    },
    resolved,
    resolution,
    resolvedBy: resolved ? 'bench' : null,
    resolvedAt: resolved ? new Date(createdAt.getTime() + 60_000) : null,
    notes: resolved ? 'seeded' : null,
    createdAt,
    updatedAt: resolved ? new Date(createdAt.getTime() + 60_000) : createdAt,
  };
  return doc;
}

/** The service's own counter rules (src/models/dead-letter-stats.ts), from the build the bench runs. */
export interface CounterRules {
  deadLetterStatsDelta(
    before: null,
    after: { resolved: boolean; resolution: string | null; failureStatus: string; retryCount: number },
  ): Record<string, number>;
  counterKey(name: string): string;
}

/** src/store/dead-letter-stats.repository.ts: a tenant's counters spread over 8 documents, picked by the order id's SHA-1. */
const COUNTER_SHARDS = 8;
const shardOf = (orderId: string) => createHash('sha1').update(orderId).digest().readUInt8(0) % COUNTER_SHARDS;

interface Counters {
  total: number;
  unresolved: number;
  retrySum: number;
  byStatus: Record<string, number>;
  byResolution: Record<string, number>;
}

/** DeadLetterRepository.recount (src/store/dead-letter.repository.ts): the counters recounted from the entries, one aggregation. */
async function recount(orders: Collection<Document>, counterKey: (name: string) => string): Promise<Counters> {
  const rows = await orders
    .aggregate<{ _id: { resolved: boolean; key: string }; count: number; retries: number }>([
      { $match: { tenantId: TENANT, 'deadLetter.createdAt': { $gt: new Date(0) } } },
      {
        $group: {
          _id: { resolved: '$deadLetter.resolved', key: { $cond: ['$deadLetter.resolved', '$deadLetter.resolution', '$deadLetter.failureStatus'] } },
          count: { $sum: 1 },
          retries: { $sum: '$deadLetter.retryCount' },
        },
      },
    ])
    .toArray();
  const counters: Counters = { total: 0, unresolved: 0, retrySum: 0, byStatus: {}, byResolution: {} };
  for (const { _id, count, retries } of rows) {
    counters.total += count;
    counters.retrySum += retries;
    if (_id.resolved) counters.byResolution[counterKey(_id.key)] = count;
    else {
      counters.unresolved += count;
      counters.byStatus[counterKey(_id.key)] = count;
    }
  }
  return counters;
}

/**
 * A DLQ of `size` entries in `orders`: one order created and moved through the service (`service`), the rest copies of
 * its stored document (seededEntry), each copy's counter delta added to its shard as the service's own transactions
 * would have; waits until the service's count projector has folded the copies in.
 */
export async function seedDeadLetterStore(
  context: BenchContext,
  service: ServiceProcess,
  orders: Collection<Document>,
  counters: Collection<Document>,
  rules: CounterRules,
  size: number,
) {
  // The template: an order created and moved to the DLQ through the service (its counters stored by the service).
  const firstId = await createOrder(service.url, 0);
  await graphql(service.url, MOVE, { orderId: firstId, failureStatus: 'picking', failureReason: 'bench: station offline' });
  const template = await waitUntil(
    'the moved order published',
    async () => {
      const doc = await orders.findOne({ _id: firstId as unknown as Document['_id'] });
      return doc?.deadLetter && doc.outboxPending === false ? doc : undefined;
    },
    30_000,
    100,
  );

  // Whether this build keeps a lower bound of the unresolved entries' move times in the counters (`unresolvedSince`,
  // lowered with $min by each move): the service's own move shows it, and the seeded counters then get it too.
  const keepsBound = (await counters.find({ tenantId: TENANT }).toArray()).some((doc) => doc.unresolvedSince instanceof Date);

  // Entries with the raw driver; each one's counter delta (the service's own rule) added to its shard, as the
  // service's transaction would have done on each move and resolution.
  const shardDeltas = Array.from({ length: COUNTER_SHARDS }, () => new Map<string, number>());
  const shardSince: Array<number | null> = Array.from({ length: COUNTER_SHARDS }, () => null);
  const now = Date.now();
  const seeded = await insertInBatches(
    orders,
    size - 1,
    (index) => {
      const doc = seededEntry(template, index + 1, now);
      const delta = rules.deadLetterStatsDelta(null, doc.deadLetter);
      const index_ = shardOf(doc.orderId);
      const shard = shardDeltas[index_];
      for (const [path, by] of Object.entries(delta)) shard.set(path, (shard.get(path) ?? 0) + by);
      if (!doc.deadLetter.resolved) shardSince[index_] = Math.min(shardSince[index_] ?? Number.POSITIVE_INFINITY, doc.deadLetter.createdAt.getTime());
      return doc;
    },
    { parallel: context.load.seedParallel },
  );
  for (const [shard, delta] of shardDeltas.entries()) {
    if (!delta.size) continue;
    const since = shardSince[shard];
    const update: Document = { $inc: Object.fromEntries(delta) };
    if (keepsBound && since !== null) update.$min = { unresolvedSince: new Date(since) };
    await counters.updateOne({ _id: `${TENANT}|${shard}` as unknown as Document['_id'], tenantId: TENANT }, update, { upsert: true });
  }
  // The copies are new to the order counts: measured only once the projector has folded them in.
  const folded = await countsFoldedIn(service.url, seeded.count, 1_800_000);
  return { keepsBound, seeded, folded };
}

/** Section 4b: DLQ statistics and the first page of unresolved entries over 100,000 entries, beside the raw driver's same reads. */
export async function dlqStatsSection(context: BenchContext): Promise<SectionResult> {
  const size = context.load.scaleDlqEntries;
  const title = `4b. DLQ stats and list at ${size.toLocaleString('en-US')} entries`;
  const rules = require(join(APP_DIR, 'dist', 'models', 'dead-letter-stats.js')) as CounterRules;
  const database = 'bench_dlqstats';
  const service = await ServiceProcess.start('dlq-stats', { MONGODB_DATABASE: database });
  const db = context.mongo.db(database);
  const orders = db.collection<Document>('orders');
  const counters = db.collection<Document>('dead_letter_stats');
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const { keepsBound, seeded, folded } = await seedDeadLetterStore(context, service, orders, counters, rules, size);
    const recountStarted = performance.now();
    const recounted = await recount(orders, rules.counterKey);
    const recountSeconds = (performance.now() - recountStarted) / 1000;
    type StatsAnswer = {
      totalEntries: number;
      unresolvedCount: number;
      averageRetries: number;
      oldestUnresolvedAt: string | null;
      byFailureStatus: Array<{ failureStatus: string; count: number }>;
    };
    const readStats = async () => (await graphql<{ deadLetterStats: StatsAnswer }>(service.url, STATS, {}, 600_000)).deadLetterStats;
    /** The oldest unresolved entry's move time from the entries themselves (one aggregation, $min: no sort, no bound). */
    const trueOldest = async () =>
      (
        await orders
          .aggregate<{ oldest: Date }>([
            { $match: { tenantId: TENANT, 'deadLetter.resolved': false, 'deadLetter.createdAt': { $gt: new Date(0) } } },
            { $group: { _id: null, oldest: { $min: '$deadLetter.createdAt' } } },
          ])
          .toArray()
      )[0]?.oldest ?? null;
    const oldestCheck = (answer: StatsAnswer, oldest: Date | null) =>
      `oldestUnresolvedAt ${answer.oldestUnresolvedAt ?? 'null'} vs ${oldest ? oldest.toISOString() : 'null'} from the entries${(answer.oldestUnresolvedAt ? Date.parse(answer.oldestUnresolvedAt) : null) === (oldest?.getTime() ?? null) ? ' (equal)' : ' (DIFFERENT)'}`;
    const oldestBefore = await trueOldest();
    const stats = await readStats();
    const byStatusAgrees = stats.byFailureStatus.every(({ failureStatus, count }) => recounted.byStatus[rules.counterKey(failureStatus)] === count);
    const agrees = stats.totalEntries === recounted.total && stats.unresolvedCount === recounted.unresolved && byStatusAgrees;
    notes.push(
      `Store: one order created and moved to the DLQ through GraphQL; the other ${seededText(seeded)} are copies of its stored document under new ids: deadLetter with its order snapshot, varied over 5 failure statuses, 30 % resolved across the 3 resolutions (cancelled ones cancelled), 0–5 retries with their history, ages up to 30 days, 500 customers. The counters in dead_letter_stats: each copied entry's delta by the service's own rule (deadLetterStatsDelta from the run's copy of dist/models/dead-letter-stats.js) added with $inc to its shard (one of 8 by the order id's SHA-1, as src/store/dead-letter-stats.repository.ts picks it), on top of what the service stored for its own move${keepsBound ? "; and, as this build keeps one, each shard's lower bound of its unresolved entries' move times (unresolvedSince, $min)" : ''}; ${foldedText(folded)}.`,
      `Check: the service answered totalEntries ${stats.totalEntries.toLocaleString('en-US')}, unresolvedCount ${stats.unresolvedCount.toLocaleString('en-US')}, averageRetries ${stats.averageRetries}; DeadLetterRepository.recount's aggregation over the entries (run by the bench, ${recountSeconds.toFixed(1)} s) gives ${recounted.total.toLocaleString('en-US')} / ${recounted.unresolved.toLocaleString('en-US')}${agrees ? ' — the counters agree with the entries' : ' — THEY DISAGREE'}; ${oldestCheck(stats, oldestBefore)}.`,
    );

    const timeoutMs = 600_000;
    const options = scaleOptions(context);
    const oldestFilter = { tenantId: TENANT, 'deadLetter.resolved': false, 'deadLetter.createdAt': { $gt: new Date(0) } };
    const oldestProjection = { _id: 0, 'deadLetter.createdAt': 1 };
    const oldestSort = { 'deadLetter.createdAt': 1, orderId: 1 } as const;
    const oldestIn = async (range: Document) =>
      (
        await orders
          .find({ tenantId: TENANT, 'deadLetter.resolved': false, 'deadLetter.createdAt': range }, { projection: oldestProjection })
          .sort(oldestSort)
          .limit(1)
          .toArray()
      )[0] ?? null;
    /**
     * src/store/dead-letter.repository.ts oldestUnresolvedAt: without a kept bound, the whole range; with one, first
     * anything below it, then windows of 1 min doubling from it (strict bounds: SecantusDB drops an inclusive one).
     */
    const oldestFrom = async (since: Date | null) => {
      if (since === null) return oldestIn({ $gt: new Date(0) });
      const below = await oldestIn({ $gt: new Date(0), $lt: since });
      if (below) return below;
      const now = Date.now();
      let from = since.getTime();
      for (let span = 60_000; from <= now; span *= 2) {
        const until = Math.min(from + span, now + 1);
        const found = await oldestIn({ $gt: new Date(from - 1), $lt: new Date(until) });
        if (found) return found;
        from = until;
      }
      return oldestIn({ $gt: new Date(from - 1) });
    };
    const rawStats = async () => {
      if (!keepsBound) {
        await Promise.all([counters.find({ tenantId: TENANT }).toArray(), oldestFrom(null)]);
        return;
      }
      const shards = await counters.find({ tenantId: TENANT }).toArray();
      const bounds = shards.flatMap((shard) => (shard.unresolvedSince instanceof Date ? [shard.unresolvedSince.getTime()] : []));
      if (shards.some((shard) => (shard.unresolved ?? 0) > 0)) await oldestFrom(bounds.length ? new Date(Math.min(...bounds)) : null);
    };
    const boundNow = keepsBound
      ? (await counters.find({ tenantId: TENANT }).toArray()).flatMap((shard) =>
          shard.unresolvedSince instanceof Date ? [shard.unresolvedSince.getTime()] : [],
        )
      : [];
    const statsSides: Side[] = [
      { name: 'raw', op: () => withTimeout(rawStats(), timeoutMs, 'raw stats') },
      { name: 'GraphQL', op: () => graphql(service.url, STATS, {}, timeoutMs) },
      {
        name: 'REST',
        op: async () => {
          const response = await request(`${service.url}/api/v1/dead-letter-queue/stats`, { timeoutMs });
          if (response.status !== 200) throw new Error(`GET /api/v1/dead-letter-queue/stats answered ${response.status}: ${response.body.slice(0, 160)}`);
        },
      },
    ];
    const counterPlan = await explainFind(counters, { tenantId: TENANT }, {}).catch(() => null);
    const oldestPlanFilter = boundNow.length
      ? {
          tenantId: TENANT,
          'deadLetter.resolved': false,
          'deadLetter.createdAt': { $gt: new Date(Math.min(...boundNow) - 1), $lt: new Date(Math.min(...boundNow) + 60_000) },
        }
      : oldestFilter;
    const oldestPlan = await explainFind(orders, oldestPlanFilter, { projection: oldestProjection, sort: oldestSort, limit: 1 }).catch(() => null);
    const windowCount = boundNow.length ? await orders.countDocuments(oldestPlanFilter).catch(() => Number.NaN) : Number.NaN;
    const statsAim = 100;
    try {
      const result = await alternate(statsSides, options);
      rows.push(rowOf('raw driver: counters find + oldest unresolved find (baseline)', result.summaries[0]));
      rows.push(subjectRow('GraphQL deadLetterStats', result, 1, statsAim));
      rows.push(subjectRow('REST GET /api/v1/dead-letter-queue/stats', result, 2, statsAim));
      notes.push(
        `Stats: the raw side reads what the service reads (src/use-cases/dead-letter-queries.ts statsOf, src/store/dead-letter.repository.ts oldestUnresolvedAt): the tenant's counter documents and the oldest unresolved entry (find resolved=false, sort deadLetter.createdAt asc, limit 1)${keepsBound ? `, searched below the counters' kept bound, then from it in windows of 1 min doubling${windowCount > 0 ? ' (the first window held the oldest entry here)' : ''}` : ' over all unresolved entries, both at once'}; ${modeText(result, options)}. Plans (explain): counters ${counterPlan ? planNote(counterPlan, null).replace(/^find /, '') : 'unavailable'}; oldest unresolved ${oldestPlan ? planNote(oldestPlan, null).replace(/^find /, '') : 'unavailable'} over ${keepsBound ? `the ${Number.isNaN(windowCount) ? '?' : windowCount.toLocaleString('en-US')} unresolved entries of the first window` : `the ${recounted.unresolved.toLocaleString('en-US')} unresolved entries`}.`,
      );
    } catch (error) {
      rows.push({ what: 'GraphQL deadLetterStats', ratio: 'not measured', aim: `p99 ≤ ${statsAim} ms`, met: false });
      notes.push(`Stats not measured: ${(error as Error).message.split('\n')[0]}.`);
    }

    const listFilter = { tenantId: TENANT, 'deadLetter.createdAt': { $gt: new Date(0) }, 'deadLetter.resolved': false };
    const entryProjection = { _id: 0, orderId: 1, tenantId: 1, customerId: 1, deadLetter: 1 };
    const listSort = { 'deadLetter.createdAt': -1, orderId: -1 } as const;
    let listTotal = Number.NaN;
    const listSides: Side[] = [
      {
        name: 'raw',
        op: () =>
          withTimeout(
            Promise.all([orders.find(listFilter, { projection: entryProjection }).sort(listSort).limit(50).toArray(), orders.countDocuments(listFilter)]),
            timeoutMs,
            'raw DLQ list',
          ),
      },
      {
        name: 'REST',
        op: async () => {
          const response = await request(`${service.url}/api/v1/dead-letter-queue?resolved=false&limit=50`, { timeoutMs });
          if (response.status !== 200) throw new Error(`GET /api/v1/dead-letter-queue answered ${response.status}: ${response.body.slice(0, 160)}`);
          listTotal = JSON.parse(response.body).total;
        },
      },
    ];
    const listFindPlan = await explainFind(orders, listFilter, { projection: entryProjection, sort: listSort, limit: 50 }).catch(() => null);
    const listCountPlan = await explainCount(db, orders, listFilter).catch(() => null);
    try {
      const result = await alternate(listSides, options);
      rows.push(rowOf('raw driver: DLQ find+sort+limit 50 & countDocuments (baseline)', result.summaries[0]));
      rows.push(subjectRow('REST GET /api/v1/dead-letter-queue?resolved=false&limit=50', result, 1, null));
      notes.push(
        `List: src/store/dead-letter.repository.ts list with resolved=false (${Number.isNaN(listTotal) ? '?' : listTotal.toLocaleString('en-US')} matching), newest first; the raw side runs its find (entry projection, sort deadLetter.createdAt desc, orderId desc, limit 50) and countDocuments at once; ${modeText(result, options)}.${listFindPlan ? ` Plans (explain): ${planNote(listFindPlan, listCountPlan)}.` : ''}`,
      );
    } catch (error) {
      rows.push({ what: 'REST GET /api/v1/dead-letter-queue?resolved=false&limit=50', ratio: 'not measured' });
      notes.push(`List not measured: ${(error as Error).message.split('\n')[0]}.`);
    }
    // After every measured read (each may have moved the kept bound): is the answer still the entries' oldest?
    const after = await readStats();
    const oldestAfterRuns = await trueOldest();
    const oldestRight = (after.oldestUnresolvedAt ? Date.parse(after.oldestUnresolvedAt) : null) === (oldestAfterRuns?.getTime() ?? null);
    rows.push({
      what: 'deadLetterStats.oldestUnresolvedAt after the measured reads',
      ratio: oldestRight ? "equals the entries' oldest" : 'differs',
      aim: 'correct',
      met: oldestRight,
    });
    notes.push(`After the measured reads: ${oldestCheck(after, oldestAfterRuns)}.`);
    notes.push(
      'The replica runs as deployed (relay on). It also refreshes its DLQ gauges from the same store, 5 s apart and at most a fifth of the time (src/observability/periodic-refresh.ts): the counters and the oldest unresolved entry (the same find as the stats), so that query also runs in the background during these figures.',
    );
    return { id: 'dlq-stats', title, rows, notes, notMeasured: null };
  } finally {
    await service.stop();
  }
}
