import { join } from 'node:path';
import type { Document } from 'mongodb';
import { graphql, json, request } from '../lib/http';
import { APP_DIR } from '../lib/infra';
import { foldedText } from '../lib/orders';
import { rowOf, type Row, type SectionResult } from '../lib/report';
import { seededText } from '../lib/seed';
import { ServiceProcess } from '../lib/service';
import { openLoop, sleep, summarize } from '../lib/stats';
import type { BenchContext } from '../run';
import { seedDeadLetterStore, type CounterRules } from './dlq';

const STATS = `query Stats { deadLetterStats { totalEntries unresolvedCount } }`;

interface RedriveTask {
  taskId: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  ratePerSecond: number;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * Single-entry reads (GET /api/v1/dead-letter-queue/{orderId}) at `ratePerSecond`, open loop, until `until` says stop:
 * the API as its callers use it beside a redrive, not a load that takes whatever the redrive leaves of the store.
 */
async function entryReads(url: string, orderIds: string[], ratePerSecond: number, until: () => boolean, maxMs: number) {
  return summarize(
    await openLoop(
      ratePerSecond,
      async (index) => {
        const response = await request(`${url}/api/v1/dead-letter-queue/${orderIds[index % orderIds.length]}`, { timeoutMs: 15_000 });
        if (response.status !== 200) throw new Error(`GET entry answered ${response.status}: ${response.body.slice(0, 160)}`);
      },
      { maxMs, until },
    ),
  );
}

/**
 * Section 4d: a bulk redrive of `redriveEntries` unresolved entries at the default rate, on a replica as deployed: how
 * many entries per second it resolves, and what it does to the single-entry API meanwhile (p99 of
 * GET /api/v1/dead-letter-queue/{orderId}, beside the same reads measured just before on the same replica).
 */
export async function dlqRedriveSection(context: BenchContext): Promise<SectionResult> {
  const wanted = context.load.redriveEntries;
  const readRate = context.load.redriveReadRate;
  const title = `4d. DLQ bulk redrive of ${wanted.toLocaleString('en-US')} entries`;
  const rules = require(join(APP_DIR, 'dist', 'models', 'dead-letter-stats.js')) as CounterRules;
  const database = 'bench_redrive';
  const service = await ServiceProcess.start('dlq-redrive', { MONGODB_DATABASE: database });
  const db = context.mongo.db(database);
  const orders = db.collection<Document>('orders');
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    // seededEntry leaves 30 % of the copies resolved: enough copies that `wanted` are waiting.
    const { seeded, folded } = await seedDeadLetterStore(
      context,
      service,
      orders,
      db.collection<Document>('dead_letter_stats'),
      rules,
      Math.ceil(wanted / 0.7) + 20,
    );
    const readTargets = (
      await orders
        .find({ tenantId: 'default', 'deadLetter.createdAt': { $gt: new Date(0) } }, { projection: { _id: 0, orderId: 1 } })
        .limit(500)
        .toArray()
    ).map((doc) => doc.orderId as string);
    const before = (await graphql<{ deadLetterStats: { unresolvedCount: number } }>(service.url, STATS)).deadLetterStats;

    const baseline = await entryReads(service.url, readTargets, readRate, () => false, 15_000);
    rows.push(rowOf('GET one DLQ entry, no redrive running (baseline)', baseline));

    const started = await json<RedriveTask>(`${service.url}/api/v1/dead-letter-queue/redrive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cap: wanted, notes: 'bench redrive' }),
    });
    if (started.status !== 202)
      throw new Error(`POST /api/v1/dead-letter-queue/redrive answered ${started.status}: ${JSON.stringify(started.body).slice(0, 200)}`);
    const taskUrl = `${service.url}/api/v1/dead-letter-queue/redrive-tasks/${started.body.taskId}`;
    let task = started.body;
    let finished = false;
    const watch = (async () => {
      // A task of `wanted` entries at the default rate takes wanted / rate seconds; twice that, then it is called stuck.
      const deadline = Date.now() + Math.max(120_000, (2 * wanted * 1000) / Math.max(1, task.ratePerSecond));
      while (Date.now() < deadline) {
        task = (await json<RedriveTask>(taskUrl)).body;
        if (task.status === 'completed' || task.status === 'cancelled') break;
        await sleep(1_000);
      }
      finished = true;
    })();
    const during = await entryReads(service.url, readTargets, readRate, () => finished, 60 * 60_000);
    await watch;
    if (task.status !== 'completed') throw new Error(`the redrive ended ${task.status} at ${task.done} of ${task.total}`);
    const seconds = (Date.parse(task.finishedAt!) - Date.parse(task.startedAt!)) / 1000;
    const rate = task.done / Math.max(seconds, 0.001);
    const after = (await graphql<{ deadLetterStats: { unresolvedCount: number } }>(service.url, STATS)).deadLetterStats;
    rows.push(rowOf('GET one DLQ entry while the redrive runs', during, { ratio: `p99 ${(during.p99 / baseline.p99).toFixed(2)}× the baseline's` }));
    rows.push({
      what: `redrive: entries resolved per second (rate asked: ${task.ratePerSecond}/s)`,
      n: task.done,
      opsPerSec: rate,
      ratio: `${Math.round((rate / task.ratePerSecond) * 100)} % of the rate asked`,
      aim: '≥ 95 % of the rate',
      met: rate >= 0.95 * task.ratePerSecond,
    });
    const agrees = before.unresolvedCount - after.unresolvedCount === task.done;
    rows.push({ what: 'stats after the redrive', ratio: agrees ? 'unresolved count fell by done' : 'DISAGREE', aim: 'exact', met: agrees });
    notes.push(
      `Store: ${seededText(seeded)} DLQ entries (copies of one the service moved, as in 4b); ${foldedText(folded)}. The task: POST /api/v1/dead-letter-queue/redrive {cap: ${wanted}} → ${task.total.toLocaleString('en-US')} entries selected, ${task.done.toLocaleString('en-US')} resolved, ${task.failed} failed, in ${seconds.toFixed(1)} s (task startedAt → finishedAt); unresolved ${before.unresolvedCount.toLocaleString('en-US')} → ${after.unresolvedCount.toLocaleString('en-US')}.`,
      `Single-entry reads: ${readRate}/s open loop (each timed from when it was due) over 500 entries, 15 s before the redrive, then for as long as it runs, on the replica that runs it (as deployed: relay on).`,
    );
    return { id: 'dlq-redrive', title, rows, notes, notMeasured: null };
  } finally {
    await service.stop();
  }
}
