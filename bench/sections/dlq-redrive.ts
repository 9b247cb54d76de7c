import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Document } from 'mongodb';
import { graphql, json, request } from '../lib/http';
import { APP_DIR } from '../lib/infra';
import { cloneOrderDocument, countsFoldedIn, createOrder, foldedText, newOrderId } from '../lib/orders';
import { rowOf, type Row, type SectionResult } from '../lib/report';
import { insertInBatches, seededText } from '../lib/seed';
import { ServiceProcess } from '../lib/service';
import { sleep, summarize, waitUntil, type Sample } from '../lib/stats';
import type { BenchContext } from '../run';

/**
 * 7. Bulk redrive (issue 13 §1): a redrive of `redriveEntries` unresolved entries at the default rate, through one
 * replica — the entries resolved per second, and the p99 of the single-entry API (`GET /dead-letter-queue/{orderId}`)
 * while it runs, next to the same GET with no redrive running.
 */

const MOVE = `mutation Move($orderId: ID!, $failureStatus: String!, $failureReason: String!) {
  moveOrderToDeadLetterQueue(orderId: $orderId, failureStatus: $failureStatus, failureReason: $failureReason) { orderId createdAt } }`;

const TENANT = 'default';
/** As src/store/dead-letter-stats.repository.ts shards the counters (bench/sections/dlq.ts seeds them the same way). */
const COUNTER_SHARDS = 8;
const shardOf = (orderId: string) => createHash('sha1').update(orderId).digest().readUInt8(0) % COUNTER_SHARDS;

interface CounterRules {
  deadLetterStatsDelta(before: null, after: object): Record<string, number>;
}

interface RestTask {
  taskId: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Single-entry GETs one after another on random seeded entries until `until()` says stop (or `max` were sent). */
async function probeEntries(url: string, ids: readonly string[], until: () => boolean, max: number): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  while (!until() && latencies.length + errors < max) {
    const orderId = ids[Math.floor(Math.random() * ids.length)];
    const sent = performance.now();
    const response = await request(`${url}/api/v1/dead-letter-queue/${orderId}`).catch((error: Error) => ({ status: 0, body: error.message }));
    if (response.status === 200) latencies.push(performance.now() - sent);
    else {
      errors += 1;
      firstError ??= `HTTP ${response.status}: ${response.body.slice(0, 120)}`;
    }
    // A supervisor's page, not a load test: a few reads a second.
    await sleep(20);
  }
  return { latencies, elapsedMs: performance.now() - started, errors, firstError };
}

export async function dlqRedriveSection(context: BenchContext): Promise<SectionResult> {
  const size = context.load.redriveEntries;
  const title = `7. DLQ bulk redrive of ${size.toLocaleString('en-US')} entries at the default rate`;
  const rules = require(join(APP_DIR, 'dist', 'models', 'dead-letter-stats.js')) as CounterRules;
  const database = 'bench_redrive';
  const service = await ServiceProcess.start('dlq-redrive', { MONGODB_DATABASE: database });
  const db = context.mongo.db(database);
  const orders = db.collection<Document>('orders');
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
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

    // Unresolved copies of the service's own entry, one a second further back each; their counters added per shard
    // by the service's own rule, as its transactions would have.
    const ids: string[] = [firstId];
    const shardDeltas = Array.from({ length: COUNTER_SHARDS }, () => new Map<string, number>());
    const now = Date.now();
    let oldest = now;
    const seeded = await insertInBatches(
      orders,
      size - 1,
      (index) => {
        const movedAt = new Date(now - (index + 1) * 1_000);
        oldest = Math.min(oldest, movedAt.getTime());
        const doc = cloneOrderDocument(template, newOrderId(), new Date(movedAt.getTime() - 3_600_000));
        doc.outbox = [];
        doc.outboxPending = false;
        doc.outboxPublishedSeq = doc.outboxSeq;
        doc.updatedAt = movedAt;
        doc.deadLetter = { ...doc.deadLetter, createdAt: movedAt, updatedAt: movedAt };
        ids.push(doc.orderId as string);
        const shard = shardDeltas[shardOf(doc.orderId as string)];
        for (const [path, by] of Object.entries(rules.deadLetterStatsDelta(null, doc.deadLetter as object))) shard.set(path, (shard.get(path) ?? 0) + by);
        return doc;
      },
      { parallel: context.load.seedParallel },
    );
    const counters = db.collection<Document>('dead_letter_stats');
    for (const [shard, delta] of shardDeltas.entries()) {
      if (!delta.size) continue;
      await counters.updateOne(
        { _id: `${TENANT}|${shard}` as unknown as Document['_id'], tenantId: TENANT },
        { $inc: Object.fromEntries(delta), $min: { unresolvedSince: new Date(oldest) } },
        { upsert: true },
      );
    }
    const folded = await countsFoldedIn(service.url, seeded.count, 1_800_000);
    notes.push(`Seeded ${seededText(seeded)}; ${foldedText(folded)}.`);

    const baseline = summarize(await probeEntries(service.url, ids, () => false, context.load.redriveProbeN));
    rows.push(rowOf('GET /dead-letter-queue/{orderId}, no redrive running', baseline));

    const started = await json<RestTask>(`${service.url}/api/v1/dead-letter-queue/redrive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failureStatus: 'picking', cap: size, notes: 'bench' }),
    });
    if (started.status !== 202) throw new Error(`starting the redrive answered ${started.status}: ${JSON.stringify(started.body).slice(0, 200)}`);
    const { taskId, total } = started.body;
    const rate = (await json<{ ratePerSecond: number }>(`${service.url}/api/v1/dead-letter-queue/redrive-tasks/${taskId}`)).body.ratePerSecond;
    let finished: RestTask | null = null;
    const watch = (async () => {
      const deadline = Date.now() + ((total / rate) * 3 + 120) * 1000;
      while (Date.now() < deadline) {
        const task = (await json<RestTask>(`${service.url}/api/v1/dead-letter-queue/redrive-tasks/${taskId}`)).body;
        if (task.status === 'completed' || task.status === 'cancelled') return (finished = task);
        await sleep(1_000);
      }
      throw new Error(`the redrive did not finish within ${Math.round((total / rate) * 3 + 120)} s`);
    })();
    const during = summarize(await probeEntries(service.url, ids, () => finished !== null, Number.POSITIVE_INFINITY));
    const task = (await watch) as RestTask;
    const seconds = (Date.parse(task.finishedAt!) - Date.parse(task.startedAt!)) / 1000;
    const perSecond = task.done / seconds;
    rows.push({
      what: `redrive: entries resolved (rate ${rate}/s asked)`,
      n: task.done,
      opsPerSec: perSecond,
      aim: `≥ 95 % of ${rate}/s`,
      met: perSecond >= rate * 0.95,
    });
    rows.push(rowOf('GET /dead-letter-queue/{orderId} while it runs', during, { ratio: `p99 ${(during.p99 / baseline.p99).toFixed(2)} × idle` }));
    notes.push(
      `Task ${task.status}: total ${task.total}, done ${task.done}, failed ${task.failed}, ${seconds.toFixed(1)} s from its start to its end. One entry at a time, each a resolve as a single one (a transaction with the DLQ counters); the rate is the task's (DLQ_REDRIVE_DEFAULT_RATE), so entries/s shows whether the store keeps up with it, not how fast it could go.`,
      `The GETs read random seeded entries one after another with 20 ms pauses (a supervisor's page, not a load test); ${during.errors} errors during the redrive${during.firstError ? ` (first: ${during.firstError})` : ''}.`,
    );
    return { id: 'dlq-redrive', title, rows, notes, notMeasured: null };
  } finally {
    await service.stop();
  }
}
