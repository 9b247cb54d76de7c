import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import type { Document } from 'mongodb';
import WebSocket from 'ws';
import { graphql, request } from '../lib/http';
import { cloneOrderDocument, newOrderId } from '../lib/orders';
import type { Row, SectionResult } from '../lib/report';
import { ServiceProcess, type Memory } from '../lib/service';
import { closedLoop, latencySummary, percentile, sleep, waitUntil } from '../lib/stats';
import { seedOrders } from './api';
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

async function activeSubscriptions(url: string): Promise<number> {
  const text = (await request(`${url}/metrics`)).body;
  const line = text.split('\n').find((candidate) => candidate.startsWith('graphql_subscriptions_active '));
  return line ? Number(line.split(' ')[1]) : 0;
}

const mb = (memory: Memory | null) => (memory ? `${Math.round(memory.rssMb)} MB` : 'unreadable');

export interface DlqFeedOutcome {
  result: SectionResult;
  /** A DLQ'd order document as the service stored it, for seeding the stats measurement. */
  template: Document | null;
}

/** Section 4a: change → subscriber latency with many graphql-ws subscribers on one replica, and that replica's memory. */
export async function dlqFeedSection(context: BenchContext): Promise<DlqFeedOutcome> {
  const { subscribers, dlqMoves } = context.load;
  const warmMoves = 5;
  const database = 'bench_dlq';
  const service = await ServiceProcess.start('dlq-feed', { MONGODB_DATABASE: database });
  const clients: Client[] = [];
  const closeClients = async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  };
  context.cleanups.push(closeClients);
  try {
    const orderIds = await seedOrders(service.url, warmMoves + dlqMoves, 8);
    await sleep(1_000);
    const idle = service.memory();

    // Subscribers: one graphql-ws connection each, opened 50 at a time.
    const receipts: Array<{ orderId: string; at: number; wallAt: number; occurredAt: string }> = [];
    let subscriptionErrors = 0;
    let firstSubscriptionError: string | null = null;
    const wsUrl = `${service.url.replace(/^http/, 'ws')}/graphql`;
    const connectStarted = performance.now();
    await closedLoop(subscribers, 50, async () => {
      await new Promise<void>((resolve, reject) => {
        const client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          lazy: false,
          retryAttempts: 0,
          on: { connected: () => resolve(), closed: () => reject(new Error('closed before connecting')) },
        });
        clients.push(client);
        client.subscribe(
          { query: SUBSCRIPTION },
          {
            next: (result) => {
              const change = (result.data as any)?.deadLetterQueueChanged;
              if (change) receipts.push({ orderId: change.entry.orderId, at: performance.now(), wallAt: Date.now(), occurredAt: change.occurredAt });
              else {
                subscriptionErrors += 1;
                firstSubscriptionError ??= JSON.stringify(result.errors ?? result).slice(0, 200);
              }
            },
            error: (error) => {
              subscriptionErrors += 1;
              firstSubscriptionError ??= error instanceof Error ? error.message : JSON.stringify(error).slice(0, 200);
            },
            complete: () => undefined,
          },
        );
      });
    });
    const connected = clients.length;
    await waitUntil('subscriptions registered', async () => ((await activeSubscriptions(service.url)) >= subscribers ? true : undefined), 60_000, 200);
    const connectSeconds = (performance.now() - connectStarted) / 1000;
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

    let beforeAck = 0;
    const latencies = receipts.map(({ orderId, at }) => {
      const ack = acks.get(orderId) ?? Number.NaN;
      if (at < ack) beforeAck += 1;
      return Math.max(0, at - ack);
    });
    const summary = latencySummary(latencies);
    // The first subscriber to get each change: the pipeline (relay, Kafka, live feed, stats) without the fan-out to 1,000.
    const firstPerChange = new Map<string, number>();
    receipts.forEach(({ orderId }, index) => firstPerChange.set(orderId, Math.min(firstPerChange.get(orderId) ?? Number.POSITIVE_INFINITY, latencies[index])));
    const first = latencySummary([...firstPerChange.values()]);
    const fromWrite = [...receipts.map(({ wallAt, occurredAt }) => wallAt - Date.parse(occurredAt))].sort((a, b) => a - b);
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
      { what: 'same, from the change’s occurredAt (service clock)', n: fromWrite.length, p50: percentile(fromWrite, 50), p99: percentile(fromWrite, 99) },
      { what: 'first subscriber to get each change (no fan-out)', n: first.n, p50: first.p50, p99: first.p99 },
      {
        what: `replica RSS with ${subscribers} subscribers (peak while moving)`,
        ratio: `${Math.round(peakRss)} MB`,
        aim: 'RSS ≤ 300 MB',
        met: peakRss <= 300,
      },
    ];
    const notes = [
      `One replica (node dist/main.js, pid-own RSS from /proc/<pid>/status), ${connected} graphql-ws clients (createClient, ws, lazy: false), one subscription each (${await activeSubscriptions(service.url)} active on the replica by its gauge); connecting and subscribing took ${connectSeconds.toFixed(1)} s.`,
      `${dlqMoves} moveOrderToDeadLetterQueue mutations, one every ${spacing} ms, after ${warmMoves} unmeasured warm-up moves; ${receipts.length} of ${expected} deliveries received${complete === true ? '' : ' within 60 s'}; ${beforeAck} arrived before the mutation's response (counted as 0 ms). ${subscriptionErrors} subscription errors${firstSubscriptionError ? ` (first: ${firstSubscriptionError})` : ''}.`,
      `Path measured: write → relay → Kafka topic wms.orders.live → the replica's live-feed consumer → stats query (once per change) → 1 000 WebSocket sends → the bench's clients (1 000 sockets in one Node process on the same 2 CPUs, so client-side handling is inside the figure).`,
      `RSS: ${mb(idle)} idle before subscribers, ${mb(withSubscribers)} with ${subscribers} subscribers, peak ${Math.round(peakRss)} MB while moving (sampled every 100 ms), ${mb(after)} after; VmHWM ${after ? Math.round(after.hwmMb) : '?'} MB over the process's life.`,
    ];
    const template = await context.mongo.db(database).collection('orders').findOne({ _id: measuredIds[0] as unknown as Document['_id'] });
    await closeClients();
    return { result: { id: 'dlq-feed', title: '4a. DLQ feed: 1,000 graphql-ws subscribers on one replica', rows, notes, notMeasured: null }, template };
  } finally {
    await closeClients();
    await service.stop();
  }
}

const FAILURE_STATUSES = ['picking', 'packing', 'shipping', 'wave_assignment', 'validation'];
const RESOLUTIONS = ['manual_retry', 'cancelled', 'escalated'] as const;

/** A DLQ entry varied from the template: status, resolution (30 % resolved), retries, age, customer. */
function seededEntry(template: Document, index: number, now: number): Document {
  const orderId = newOrderId();
  const createdAt = new Date(now - ((index * 7919) % (30 * 24 * 60)) * 60_000);
  const doc = cloneOrderDocument(template, orderId, createdAt);
  const resolved = index % 10 < 3;
  const resolution = resolved ? RESOLUTIONS[index % 3] : null;
  doc.customerId = `CUST-${String(index % 500).padStart(4, '0')}`;
  doc.outbox = [];
  doc.outboxPending = false;
  doc.outboxPublishedSeq = doc.outboxSeq;
  doc.deadLettered = !resolved || resolution === 'escalated';
  doc.deadLetter = {
    ...doc.deadLetter,
    failureStatus: FAILURE_STATUSES[index % FAILURE_STATUSES.length],
    retryCount: index % 6,
    resolved,
    resolution,
    resolvedBy: resolved ? 'bench' : null,
    resolvedAt: resolved ? new Date(createdAt.getTime() + 60_000) : null,
    notes: resolved ? 'seeded' : null,
    createdAt,
    updatedAt: createdAt,
  };
  return doc;
}

/** Section 4b: `deadLetterStats` over a large DLQ seeded into the orders collection (10,000, then 100,000 if the budget allows). */
export async function dlqStatsSection(context: BenchContext, template: Document | null): Promise<SectionResult> {
  const title = '4b. DLQ stats over a large queue';
  if (!template?.deadLetter) return { id: 'dlq-stats', title, rows: [], notes: [], notMeasured: 'no DLQ document to copy (section 4a did not run)' };
  const database = 'bench_dlqstats';
  // The replica creates the collection and its indexes, so seeding pays for them as the service's own writes would.
  const relay = context.load.dlqStatsRelay;
  const service = await ServiceProcess.start('dlq-stats', { MONGODB_DATABASE: database, OUTBOX_RELAY_ENABLED: relay ? 'true' : 'false' });
  const orders = context.mongo.db(database).collection('orders');
  const rows: Row[] = [];
  const notes: string[] = [];
  let stored = 0;
  const now = Date.now();
  const seedTo = async (target: number) => {
    const started = performance.now();
    const batch = 1_000;
    while (stored < target) {
      const size = Math.min(batch, target - stored);
      const docs = Array.from({ length: size }, (_, offset) => seededEntry(template, stored + offset, now));
      await orders.insertMany(docs, { ordered: false });
      stored += size;
    }
    return (performance.now() - started) / 1000;
  };
  /** Up to `runs` sequential queries; stops early once the queries so far took over 30 s together. */
  const measure = async (runs: number) => {
    const times: number[] = [];
    let total = 0;
    for (let run = 0; run < runs && times.reduce((sum, time) => sum + time, 0) < 30_000; run += 1) {
      const started = performance.now();
      const data = await graphql<{ deadLetterStats: { totalEntries: number } }>(service.url, STATS, {}, 300_000);
      times.push(performance.now() - started);
      total = data.deadLetterStats.totalEntries;
    }
    return { times: [...times].sort((a, b) => a - b), total };
  };
  try {
    const first = context.load.dlqStatsSizes[0];
    const seedSeconds = await seedTo(first);
    const small = await measure(5);
    rows.push({ what: `deadLetterStats over ${first.toLocaleString('en-US')} entries`, n: small.times.length, p50: percentile(small.times, 50), p99: small.times.at(-1) });
    notes.push(
      `Seeded ${first.toLocaleString('en-US')} entries with insertMany (batches of 1,000) in ${seedSeconds.toFixed(1)} s (${Math.round(first / seedSeconds)} docs/s): copies of an order the service moved to the DLQ in 4a (deadLetter with its order snapshot and retry history), varied over 5 failure statuses, 30 % resolved across the 3 resolutions, 0–5 retries, ages up to 30 days, 500 customers. The query answered totalEntries = ${small.total}.`,
    );
    for (const size of context.load.dlqStatsSizes.slice(1)) {
      // Linear estimates from the first size (FerretDB scans, so at best linear): skip what cannot fit the budget.
      const projectedSeed = ((size - stored) / first) * seedSeconds;
      const projectedQuery = (percentile(small.times, 50) / 1000) * (size / first);
      if (projectedSeed + projectedQuery > context.load.seedBudgetSeconds) {
        const reason = `${size.toLocaleString('en-US')} entries not measured: seeding would take about ${Math.round(projectedSeed)} s and one stats query about ${Math.round(projectedQuery)} s (linear estimates from ${first.toLocaleString('en-US')}), over the ${context.load.seedBudgetSeconds} s budget (BENCH_SEED_BUDGET_S)`;
        rows.push({ what: `deadLetterStats over ${size.toLocaleString('en-US')} entries`, ratio: 'not measured' });
        notes.push(`${reason}.`);
        break;
      }
      const moreSeconds = await seedTo(size);
      const large = await measure(3);
      rows.push({ what: `deadLetterStats over ${size.toLocaleString('en-US')} entries`, n: large.times.length, p50: percentile(large.times, 50), p99: large.times.at(-1) });
      notes.push(`Seeded up to ${size.toLocaleString('en-US')} in a further ${moreSeconds.toFixed(1)} s; the query answered totalEntries = ${large.total}.`);
    }
    notes.push('Timed over HTTP from the bench, one query at a time (up to 5, fewer once they took 30 s together); "p99" here is the slowest run. The replica runs as deployed (relay on): it also refreshes its DLQ gauges every 5 s and, holding the sweeper lease, its relay scans for unpublished events every 10 s (OUTBOX_POLL_INTERVAL), both over the same collection.');
    return { id: 'dlq-stats', title, rows, notes, notMeasured: null };
  } finally {
    await service.stop();
  }
}
