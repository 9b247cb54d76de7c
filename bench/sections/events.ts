import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { Collection, Document, MongoClient } from 'mongodb';
import { EventListener } from '../lib/events';
import { graphql, request } from '../lib/http';
import { CREATE_ORDER, orderInput, probeStore } from '../lib/orders';
import { rowOf, type Row, type SectionResult } from '../lib/report';
import { ServiceProcess } from '../lib/service';
import { storeCpuPercent } from '../lib/infra';
import { closedLoop, latencySummary, sleep, summarize, waitUntil } from '../lib/stats';
import type { BenchContext } from '../run';

export interface Backlog {
  database: string;
  ids: string[];
  /** How many went through GraphQL; the rest are copies of those (see prepareBacklog). */
  created: number;
  createSeconds: number;
  timeLimitSeconds: number;
  copySeconds: number;
}

/**
 * Stores a backlog of `count` orders with the relay off: a replica with OUTBOX_RELAY_ENABLED=false takes creates
 * through GraphQL for up to `timeLimitSeconds`, then is killed (SIGKILL), as a crashed replica would be. If that left
 * fewer than `count`, the rest are copies of the stored documents under new order and event ids, inserted with the
 * driver: the same documents and outbox entries the service stores, at a fraction of the time.
 */
export async function prepareBacklog(mongo: MongoClient, count: number, timeLimitSeconds: number): Promise<Backlog> {
  const database = 'bench_backlog';
  const created = await createThroughService(database, count, timeLimitSeconds);
  const orders = mongo.db(database).collection('orders');
  const started = performance.now();
  const templates = await orders.find({ _id: { $in: created.ids.slice(0, 100) as never[] } }).toArray();
  const ids = [...created.ids];
  while (ids.length < count) {
    const docs = Array.from({ length: Math.min(1_000, count - ids.length) }, (_, offset) =>
      copyOrder(templates[(ids.length + offset) % templates.length], ids.length + offset),
    );
    await orders.insertMany(docs, { ordered: false });
    ids.push(...docs.map((doc) => doc.orderId as string));
  }
  return { database, ids, created: created.ids.length, createSeconds: created.seconds, timeLimitSeconds, copySeconds: (performance.now() - started) / 1000 };
}

function copyOrder(template: Document, index: number): Document {
  const orderId = `ORD-BENCHCOPY-${String(index).padStart(6, '0')}`;
  return { ...template, _id: orderId, orderId, outbox: (template.outbox as Document[]).map((entry) => ({ ...entry, id: randomUUID() })) };
}

async function createThroughService(database: string, count: number, timeLimitSeconds: number): Promise<{ ids: string[]; seconds: number }> {
  const writer = await ServiceProcess.start('backlog-writer', { MONGODB_DATABASE: database, OUTBOX_RELAY_ENABLED: 'false' });
  try {
    const ids: string[] = [];
    const sample = await closedLoop(
      count,
      32,
      async (index) => {
        const data = await graphql<{ createOrder: { id: string } }>(writer.url, CREATE_ORDER, { input: orderInput(index) }, 15_000);
        ids.push(data.createOrder.id);
      },
      { abortOnError: true, maxMs: timeLimitSeconds * 1000 },
    );
    if (sample.errors) throw new Error(`${sample.errors} of ${count} backlog creates failed (first: ${sample.firstError})`);
    return { ids, seconds: sample.elapsedMs / 1000 };
  } finally {
    await writer.kill();
  }
}

/** Median and p99 as the service's own event_publish_latency_seconds histogram has them (bucket upper bounds). */
async function servicePublishLatency(url: string): Promise<string> {
  try {
    const text = (await request(`${url}/metrics`, { timeoutMs: 5_000 })).body;
    const buckets = [...text.matchAll(/^event_publish_latency_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)].map((match) => ({
      le: match[1],
      count: Number(match[2]),
    }));
    const total = buckets.at(-1)?.count ?? 0;
    if (!total) return 'no events published yet by its own count';
    const bound = (q: number) => buckets.find((bucket) => bucket.count >= q * total)?.le ?? '?';
    const show = (le: string) => (le === '+Inf' ? '> the largest bucket' : `≤ ${Number(le) * 1000} ms`);
    return `${total} events published; p50 ${show(bound(0.5))}, p99 ${show(bound(0.99))}`;
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
}

interface RateRun {
  rows: Row[];
  notes: string[];
}

/** One open-loop run: createOrder offered at `rate`/s for `seconds`, each event awaited on wms.orders.events. */
async function eventLatencyRun(context: BenchContext, rate: number, seconds: number, label: string): Promise<RateRun> {
  const database = `bench_events_${rate}`;
  const service = await ServiceProcess.start(`events-${rate}`, { MONGODB_DATABASE: database });
  const orders: Collection<Document> = context.mongo.db(database).collection('orders');
  const acks = new Map<string, number>();
  const arrivals = new Map<string, number>();
  const listener = new EventListener((arrival) => {
    if (arrival.type === 'wms.order.received' && !arrivals.has(arrival.subject)) arrivals.set(arrival.subject, arrival.at);
  });
  context.cleanups.push(() => listener.stop());
  try {
    await listener.start(`bench-latency-${rate}-${Date.now()}`);
    await sleep(1_000);
    // Warm-up: proves the whole path (service → relay → Kafka → this consumer) is live before measuring.
    const warmIds: string[] = [];
    await closedLoop(5, 1, async (index) => {
      const data = await graphql<{ createOrder: { id: string } }>(service.url, CREATE_ORDER, { input: orderInput(index) }, 15_000);
      warmIds.push(data.createOrder.id);
    });
    await waitUntil('warm-up events', () => (warmIds.every((id) => arrivals.has(id)) ? true : undefined), 30_000);

    // Open loop: writes are issued on schedule whether or not earlier ones answered (at most 256 in flight).
    const maxInFlight = 256;
    const writeLatencies: number[] = [];
    let issued = 0;
    let inFlight = 0;
    let failed = 0;
    let firstError: string | null = null;
    let heldBack = false;
    const pending = new Set<Promise<void>>();
    const started = performance.now();
    const durationMs = seconds * 1000;
    for (;;) {
      const elapsed = performance.now() - started;
      if (elapsed >= durationMs) break;
      const due = Math.floor((rate * elapsed) / 1000);
      while (issued < due) {
        if (inFlight >= maxInFlight) {
          heldBack = true;
          break;
        }
        const index = issued;
        issued += 1;
        inFlight += 1;
        const sent = performance.now();
        const write: Promise<void> = graphql<{ createOrder: { id: string } }>(service.url, CREATE_ORDER, { input: orderInput(index) }, 20_000)
          .then(
            (data) => {
              const ack = performance.now();
              acks.set(data.createOrder.id, ack);
              writeLatencies.push(ack - sent);
            },
            (error: Error) => {
              failed += 1;
              firstError ??= error.message;
            },
          )
          .finally(() => {
            inFlight -= 1;
            pending.delete(write);
          });
        pending.add(write);
      }
      await sleep(2);
    }
    const issuingSeconds = (performance.now() - started) / 1000;
    await Promise.all(pending);
    const completedSeconds = (performance.now() - started) / 1000;
    const waitStarted = Date.now();
    const waitLimit = context.load.eventWaitSeconds;
    await waitUntil('events of the run', () => ([...acks.keys()].every((id) => arrivals.has(id)) ? true : undefined), waitLimit * 1000).catch(() => undefined);
    const missing = [...acks.keys()].filter((id) => !arrivals.has(id)).length;
    let beforeAck = 0;
    const latencies = [...acks].flatMap(([id, ack]) => {
      const at = arrivals.get(id);
      if (at === undefined) return [];
      if (at < ack) beforeAck += 1;
      return [Math.max(0, at - ack)];
    });
    // Events that never arrived count as slower than anything waited for: a percentile beyond the arrivals is unknown.
    const summary = latencySummary([...latencies, ...Array<number>(missing).fill(Number.POSITIVE_INFINITY)]);
    const beyond = (value: number) => (Number.isFinite(value) ? value : Number.NaN);
    const unknown = [
      ['p50', summary.p50],
      ['p99', summary.p99],
    ]
      .filter(([, value]) => !Number.isFinite(value as number))
      .map(([name]) => name);
    const writes = summarize({ latencies: writeLatencies, elapsedMs: completedSeconds * 1000, errors: failed, firstError });
    const achieved = acks.size / completedSeconds;
    const sustained = achieved >= rate * 0.95;
    const rows: Row[] = [
      rowOf(`${label}: createOrder offered at ${rate}/s for ${seconds} s`, writes, {
        ratio: sustained ? 'rate sustained' : `${Math.round(achieved)}/s acknowledged`,
      }),
      {
        what: `${label}: write acknowledged → event consumed${missing ? ` (${missing} of ${acks.size} never arrived)` : ''}`,
        n: latencies.length,
        p50: beyond(summary.p50),
        p99: beyond(summary.p99),
        ratio: unknown.length ? `${unknown.join(', ')} > ${waitLimit} s` : undefined,
        aim: 'p99 ≤ 200 ms',
        met: summary.p99 <= 200,
      },
    ];
    const store = missing ? ` The store, asked for orders with unpublished events, ${await probeStore(orders, { outboxPending: true })}.` : '';
    const notes = [
      `${label}: offered ${issued} createOrder mutations over ${issuingSeconds.toFixed(1)} s (${rate}/s, open loop, ≤ ${maxInFlight} in flight); ${acks.size} acknowledged, ${failed} failed${firstError ? ` (first: ${firstError})` : ''}; the last answered ${completedSeconds.toFixed(1)} s after the start → ${Math.round(achieved)} acknowledged writes/s${sustained ? '' : `, not the ${rate}/s offered`}.${heldBack ? ` The ${maxInFlight}-in-flight cap held issuing back: the service did not keep up.` : ''}`,
      `${label}: ${missing === 0 ? 'every' : `${acks.size - missing} of ${acks.size}`} acknowledged write's event arrived (waited up to ${waitLimit} s after the last answer; ${Math.round((Date.now() - waitStarted) / 100) / 10} s used); ${beforeAck} arrived before their write's response (counted as 0 ms). The replica's own event_publish_latency_seconds histogram (event time, taken when the change is decided just before it is stored, → acknowledged by Kafka; warm-up included, so the store write itself counts): ${await servicePublishLatency(service.url)}.${store}`,
    ];
    return { rows, notes };
  } finally {
    await listener.stop();
    await service.stop(10_000);
  }
}

/** Section 3a: write acknowledged → event consumed from wms.orders.events: at the issue's rate, and at a low rate. */
export async function eventLatencySection(context: BenchContext): Promise<SectionResult> {
  const { eventRate, eventLowRate, eventMidRate, eventSeconds } = context.load;
  const rows: Row[] = [];
  const notes: string[] = [
    "Latency = time the bench's Kafka consumer (own group, eachBatch, maxWait 20 ms) received the record − time the createOrder HTTP response arrived. Each run uses a fresh replica (relay on, as deployed) and a fresh database on the same SecantusDB.",
  ];
  for (const [rate, label] of [
    [eventLowRate, 'low rate'],
    [eventMidRate, 'middle rate'],
    [eventRate, 'issue rate'],
  ] as const) {
    try {
      const run = await eventLatencyRun(context, rate, eventSeconds, label);
      rows.push(...run.rows);
      notes.push(...run.notes);
    } catch (error) {
      rows.push({ what: `${label}: ${rate} writes/s`, ratio: 'not measured', aim: 'p99 ≤ 200 ms', met: false });
      notes.push(`${label} (${rate}/s) not measured: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { id: 'event-latency', title: '3a. Events: write → Kafka consumer at a steady rate', rows, notes, notMeasured: null };
}

/** Section 3b: a replica with the relay on, started on a store holding a backlog; time until every event is consumed. */
export async function drainSection(context: BenchContext, backlog: Backlog): Promise<SectionResult> {
  const title = '3b. Events: draining a backlog';
  const ids = new Set(backlog.ids);
  const orders: Collection<Document> = context.mongo.db(backlog.database).collection('orders');
  const pendingBefore = await probeStore(orders, { outboxPending: true });
  const seen = new Set<string>();
  let duplicates = 0;
  let first = Number.NaN;
  let last = Number.NaN;
  const listener = new EventListener((arrival) => {
    if (!ids.has(arrival.subject)) return;
    if (seen.has(arrival.subject)) {
      duplicates += 1;
      return;
    }
    seen.add(arrival.subject);
    if (Number.isNaN(first)) first = arrival.at;
    last = arrival.at;
  });
  context.cleanups.push(() => listener.stop());
  await listener.start(`bench-drain-${Date.now()}`);
  let relay: ServiceProcess | null = null;
  try {
    await sleep(1_000);
    const spawned = performance.now();
    relay = await ServiceProcess.start('relay', { MONGODB_DATABASE: backlog.database });
    const ready = performance.now();
    const limit = context.load.drainWaitSeconds;
    const drained = await waitUntil('backlog drained', () => (seen.size >= ids.size ? true : undefined), limit * 1000).catch(() => false);
    const ended = performance.now();
    const storeWhileRunning = drained === true ? '' : await probeStore(orders, { outboxPending: true });
    const publishedByReplica = drained === true ? '' : await servicePublishLatency(relay.url);
    // Once the replica is gone, a store that still does not answer is busy with (or stuck in) work it left, not serving a client.
    if (drained !== true) await relay.kill();
    const storeAfterKill = drained === true ? '' : await probeStore(orders, { outboxPending: true }, 5_000);
    const cpu = drained === true ? null : await storeCpuPercent();
    const count = seen.size;
    const steadyRate = count > 1 ? ((count - 1) / (last - first)) * 1000 : Number.NaN;
    const overallRate = drained === true ? (count / (last - spawned)) * 1000 : (count / (ended - spawned)) * 1000;
    const rows: Row[] = [
      {
        what: `${ids.size.toLocaleString('en-US')}-event backlog: first → last event${drained === true ? '' : ` (${count} arrived in ${limit} s)`}`,
        n: count,
        opsPerSec: steadyRate,
        aim: '≥ 5,000 events/s',
        met: drained === true && steadyRate >= 5000,
      },
      {
        what: drained === true ? 'same, counted from the replica process spawn' : `events/s over the ${limit} s waited, from spawn`,
        n: count,
        opsPerSec: overallRate,
      },
    ];
    const notes = [
      `Backlog: ${backlog.created} orders created through GraphQL (32 in flight) on a replica with OUTBOX_RELAY_ENABLED=false in ${backlog.createSeconds.toFixed(1)} s (${Math.round(backlog.created / backlog.createSeconds)} creates/s with the relay off; creating is capped at ${backlog.timeLimitSeconds} s, BENCH_BACKLOG_MAX_S), that replica then killed${ids.size > backlog.created ? `, and ${(ids.size - backlog.created).toLocaleString('en-US')} copies of those documents under new order and event ids inserted with the driver in ${backlog.copySeconds.toFixed(1)} s` : ''}. Before the relay replica started, the store, asked for orders with unpublished events, ${pendingBefore}.`,
      `Relay replica: node dist/main.js with the relay on, same database; /ready after ${((ready - spawned) / 1000).toFixed(1)} s; ${count ? `first event consumed ${((first - spawned) / 1000).toFixed(1)} s after spawn, last ${((last - spawned) / 1000).toFixed(1)} s after spawn` : 'no event consumed'}.`,
      `${drained === true ? 'Every event arrived' : `Only ${count} of ${ids.size} events arrived within the ${limit} s waited (BENCH_DRAIN_WAIT_S)`}; ${duplicates} duplicates.${drained === true ? '' : ` Then the store, asked for orders with unpublished events, ${storeWhileRunning}; the replica's own count: ${publishedByReplica}. After the replica was killed, the store ${storeAfterKill}${cpu === null ? '' : `; SecantusDB then used ${Math.round(cpu)} % of a CPU over 3 s${storeAfterKill.startsWith('answered') ? '' : cpu < 10 ? ' (stuck, not working)' : " (still working on the relay's commands)"}`}.`}`,
      'Path: at start the replica takes the sweeper lease and sweeps: one query for pending outboxes, served by the partial index outbox_pending (it holds only orders with unpublished events), sending each batch of 500 orders to Kafka as the scan returns it; recording the events published (one primary-key update per order) runs behind the sends (src/events/outbox/relay.ts).',
      "The backlog writer was killed (SIGKILL), as a crashed replica would be: its events are nobody's (stored without a lease), so the sweeping replica publishes them.",
    ];
    return { id: 'drain', title, rows, notes, notMeasured: null };
  } finally {
    await listener.stop();
    await relay?.stop(10_000);
  }
}
