/**
 * `npm run bench`: throughput and latency of the Order Service against its own SecantusDB and Kafka, each figure next
 * to a baseline measured in the same run on the same store. Prints a table and rewrites the generated part of
 * docs/benchmarks.md. Starts and stops everything it needs (also on error or Ctrl-C); loopback only; bounded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MongoClient, type Document } from 'mongodb';
import { abortRun, isAborted } from './lib/abort';
import { prepareBenchAuth } from './lib/auth';
import { closeHttp } from './lib/http';
import { BENCH_INFRA_ENV, BENCH_MONGODB_URI, PROJECT_DIR, infraDown, infraUp } from './lib/infra';
import { consoleTable, loadavgText, machine, markdownSections, writeMarkdown, type SectionResult } from './lib/report';
import { ServiceProcess, snapshotBuild } from './lib/service';
import { addCreatesRelayOn, authCostSection, createsSection, readsSection, restSection, seedOrders } from './sections/api';
import { consoleSection } from './sections/console';
import { httpCeilingSection } from './sections/http-ceiling';
import { dlqFeedScaleSection, dlqFeedSection, dlqStatsSection } from './sections/dlq';
import { dlqRedriveSection } from './sections/redrive';
import { drainSection, eventLatencySection, prepareBacklog } from './sections/events';
import { listSection, prepareScaleStore, type ScaleStore } from './sections/list';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/** Sizes of the run; every one can be lowered (or raised) by environment for a quick try. */
const LOAD = {
  /** Operations per side for reads and creates (sections 1, 2). */
  n: num('BENCH_N', 2_000),
  /** Operations per side for the REST comparisons (section 5). */
  restN: num('BENCH_REST_N', 1_000),
  concurrency: num('BENCH_CONCURRENCY', 16),
  /** Section 0: connections in flight (as issue 14's figures were taken) and /health requests per side. */
  httpConcurrency: num('BENCH_HTTP_CONCURRENCY', 32),
  httpN: num('BENCH_HTTP_N', 20_000),
  warmup: num('BENCH_WARMUP', 200),
  /** Alternating rounds per comparison: the machine is shared, short rounds spread its drift over both sides. */
  rounds: num('BENCH_ROUNDS', 10),
  seedOrders: 300,
  /** Time limit per round of the relay-on creates run. */
  relayOnRoundSeconds: num('BENCH_RELAY_ON_ROUND_S', 6),
  eventRate: num('BENCH_EVENT_RATE', 500),
  eventLowRate: num('BENCH_EVENT_LOW_RATE', 5),
  eventMidRate: num('BENCH_EVENT_MID_RATE', 50),
  eventSeconds: num('BENCH_EVENT_SECONDS', 10),
  eventWaitSeconds: num('BENCH_EVENT_WAIT_S', 15),
  backlog: num('BENCH_BACKLOG', 10_000),
  /** Time limit for storing the backlog through GraphQL (the rest are driver copies of those orders). */
  backlogMaxSeconds: num('BENCH_BACKLOG_MAX_S', 20),
  drainWaitSeconds: num('BENCH_DRAIN_WAIT_S', 20),
  subscribers: num('BENCH_SUBSCRIBERS', 1_000),
  dlqMoves: num('BENCH_DLQ_MOVES', 20),
  dlqSpacingMs: num('BENCH_DLQ_SPACING_MS', 500),
  /** Orders in the store for the list page (section 6) and the live feed at scale (4c). */
  scaleOrders: num('BENCH_SCALE_ORDERS', 100_000),
  /** DLQ entries for the stats and list (4b). */
  scaleDlqEntries: num('BENCH_SCALE_DLQ', 100_000),
  /** DLQ entries a bulk redrive resolves at the default rate (4d). */
  redriveEntries: num('BENCH_REDRIVE_ENTRIES', 10_000),
  /** Section 4d: single-entry reads per second beside the redrive (open loop). */
  redriveReadRate: num('BENCH_REDRIVE_READ_RATE', 20),
  /** insertMany batches in flight while seeding (1,000 documents each). */
  seedParallel: num('BENCH_SEED_PARALLEL', 2),
  /** Sections 6 and 4b: operations per side, in flight, time limit per round (closed-loop mode). */
  scaleN: num('BENCH_SCALE_N', 200),
  scaleConcurrency: num('BENCH_SCALE_CONCURRENCY', 4),
  scaleRoundSeconds: num('BENCH_SCALE_ROUND_S', 5),
  /** A side whose warm-up operation takes longer runs one at a time, `slowRounds` operations per side. */
  slowMs: num('BENCH_SLOW_MS', 1_000),
  slowRounds: num('BENCH_SLOW_ROUNDS', 3),
  /** No new round of a comparison starts after this long. */
  variantBudgetSeconds: num('BENCH_VARIANT_BUDGET_S', 90),
  scaleSubscribers: num('BENCH_SCALE_SUBSCRIBERS', 200),
  scaleMoveRate: num('BENCH_SCALE_MOVE_RATE', 20),
  scaleMoveSeconds: num('BENCH_SCALE_MOVE_S', 10),
  /** Section 7: DLQ entries behind the console, and page loads measured (after one warm-up). */
  consoleEntries: num('BENCH_CONSOLE_DLQ', 10_000),
  consoleLoads: num('BENCH_CONSOLE_LOADS', 5),
};

/** Only these sections (comma list of ids: http, reads, auth, creates, rest, dlq-feed, event-latency, drain, list, dlq-feed-scale, dlq-stats, dlq-redrive, console); a partial run does not touch docs/benchmarks.md. */
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((id) => id.trim()) : null;

/** Hard stop for the whole run: whatever happens, servers are stopped and the process ends. */
const TIME_LIMIT_MS = num('BENCH_TIME_LIMIT_S', 60 * 60) * 1000;

export interface BenchContext {
  mongo: MongoClient;
  load: typeof LOAD;
  /** Run on cleanup (listeners, clients) in case a section fails half-way. */
  cleanups: Array<() => Promise<void>>;
}

const INTRO = `# Benchmarks

\`npm run bench\` measures the Order Service on the machine it runs on and rewrites the part of this file between
the GENERATED markers (figures, machine, notes). This introduction is written by hand.

\`\`\`bash
npm run bench                                # the full run (builds first); see the run's duration below
BENCH_ONLY=reads,rest npm run bench          # some sections only (ids: http reads auth creates rest dlq-feed event-latency drain list dlq-feed-scale dlq-stats dlq-redrive console); leaves this file alone
BENCH_N=500 BENCH_REST_N=300 npm run bench   # smaller samples; every size and time limit is a BENCH_* variable (bench/run.ts, LOAD)
\`\`\`

It needs what \`npm test\` needs (Node 20; Python 3.11–3.13 and JDK 17 to provision SecantusDB and Kafka the first time).
Raw results of the last run are also written to \`.run/bench/results.json\`.

The method and what limits the figures on SecantusDB are written by hand in the committed docs/benchmarks.md; this
short text only stands in when that file is missing.
`;

async function main(): Promise<number> {
  const started = performance.now();
  const env: ReturnType<typeof machine> = machine(PROJECT_DIR);
  const sections: SectionResult[] = [];
  const context: BenchContext = { mongo: new MongoClient(BENCH_MONGODB_URI, { maxPoolSize: 64 }), load: LOAD, cleanups: [] };
  let failed = false;

  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      abortRun();
      for (const step of context.cleanups.splice(0).reverse()) await step().catch(() => undefined);
      await ServiceProcess.stopAll().catch(() => undefined);
      // A store still busy with a long query may not answer soon: do not wait for its pending operations.
      await Promise.race([context.mongo.close(true).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      closeHttp();
      log('stopping SecantusDB and Kafka');
      await infraDown().catch((error: Error) => log(`infra/down.sh: ${error.message}`));
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const watchdog = setTimeout(() => {
    log(`time limit of ${TIME_LIMIT_MS / 1000} s reached (BENCH_TIME_LIMIT_S): cleaning up and reporting what was measured`);
    sections.push({
      id: 'time-limit',
      title: 'Time limit',
      rows: [],
      notes: [],
      notMeasured: `the run hit its ${TIME_LIMIT_MS / 1000} s time limit; sections missing above did not finish`,
    });
    void cleanup()
      .then(() => report(sections, env, started))
      .finally(() => process.exit(1));
  }, TIME_LIMIT_MS);
  watchdog.unref();

  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const phaseStarted = performance.now();
    log(`${name} …`);
    try {
      return await fn();
    } finally {
      log(`${name}: ${((performance.now() - phaseStarted) / 1000).toFixed(1)} s`);
    }
  };
  /** Runs a section; a failure becomes a "not measured" entry with the reason, and the run goes on. */
  const section = async (id: string, title: string, fn: () => Promise<SectionResult>) => {
    if ((ONLY && !ONLY.includes(id)) || isAborted()) return;
    try {
      const loadAtStart = loadavgText();
      const result = await phase(title, fn);
      if (isAborted()) return; // torn down under it: not a result
      result.notes.push(`Load average (1/5/15 min) of the shared machine at this section's start: ${loadAtStart}; at its end: ${loadavgText()}.`);
      sections.push(result);
      process.stderr.write(`${consoleTable([result])}\n\n`);
    } catch (error) {
      failed = true;
      if (isAborted()) return; // torn down under it: not a result
      const reason = error instanceof Error ? error.message : String(error);
      log(`${title} failed: ${reason}`);
      sections.push({ id, title, rows: [], notes: [], notMeasured: `the run failed: ${reason.split('\n')[0]}` });
    }
  };

  try {
    const buildAge = snapshotBuild();
    env.build = `every replica ran a copy of dist/ taken at the start of the run, ${Math.round(buildAge)} s after that build (dist/ is shared with whoever builds in this checkout)`;
    log(`service build copied to .run/bench/app (built ${Math.round(buildAge)} s ago)`);
    await prepareBenchAuth();
    await phase('starting SecantusDB and Kafka on fresh data (infra/up.sh --fresh)', infraUp);
    await context.mongo.connect();

    await section('http', '0. HTTP overhead', () => httpCeilingSection(context));

    // Sections 1, 2 (relay off), 5: one replica with the relay off (see the notes of section 1 for why).
    let template: Document | null = null;
    if (!ONLY || ['reads', 'auth', 'creates', 'rest'].some((id) => ONLY.includes(id))) {
      const api = await phase('starting the API replica (relay off)', () =>
        ServiceProcess.start('api', { MONGODB_DATABASE: 'bench_api', OUTBOX_RELAY_ENABLED: 'false' }),
      );
      const orders = context.mongo.db('bench_api').collection<Document>('orders');
      const ids = await phase(`creating ${LOAD.seedOrders} orders to read`, () => seedOrders(api.url, LOAD.seedOrders, LOAD.concurrency));
      // A document exactly as createOrder stored it (its event still in the outbox): the raw insert's template.
      template = await orders.findOne({ _id: ids[0] as unknown as Document['_id'] });
      await section('reads', '1. Reads', () => readsSection(context, api.url, orders, ids));
      await section('auth', '1b. Token verification', async () => {
        const open = await ServiceProcess.start('api-no-auth', { MONGODB_DATABASE: 'bench_api', OUTBOX_RELAY_ENABLED: 'false', AUTH_MODE: 'off' });
        try {
          return await authCostSection(context, api.url, open.url, ids);
        } finally {
          await open.kill();
        }
      });
      await section('creates', '2. Creates (relay off)', async () => {
        if (!template) throw new Error('the order to copy was not found');
        return createsSection(context, { url: api.url, orders }, template);
      });
      await section('rest', '5. REST vs GraphQL', () => restSection(context, api.url, ids));
      // Killed, not stopped: a relay-off replica's graceful stop publishes its pending events (see section 3b).
      await api.kill();
    }

    const creates = sections.find((result) => result.id === 'creates');
    if (creates && template) {
      const copy = template;
      await phase('2. Creates (relay on)', () =>
        addCreatesRelayOn(
          context,
          creates,
          async () => {
            const replica = await ServiceProcess.start('creates-relay-on', { MONGODB_DATABASE: 'bench_creates' });
            // A client of its own: operations stuck in a stalled store must not hold the shared pool's connections.
            const client = await new MongoClient(BENCH_MONGODB_URI, { maxPoolSize: 32 }).connect();
            return {
              url: replica.url,
              orders: client.db('bench_creates').collection<Document>('orders'),
              stop: async () => {
                await replica.stop(10_000);
                await Promise.race([client.close(true).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000))]);
              },
            };
          },
          copy,
        ),
      );
    }

    await section('dlq-feed', '4a. DLQ feed', () => dlqFeedSection(context));
    await section('event-latency', '3a. Events: write → consumer', () => eventLatencySection(context));
    await section('drain', '3b. Events: backlog drain', async () => {
      const backlog = await phase(`storing a ${LOAD.backlog}-order backlog with the relay off`, () =>
        prepareBacklog(context.mongo, LOAD.backlog, LOAD.backlogMaxSeconds),
      );
      return drainSection(context, backlog);
    });

    // Last, the large stores (seeded with the driver), so that the sections above run on a small one.
    // Sections 6 and 4c share one 100,000-order database and its replica.
    let scale: Promise<ScaleStore> | null = null;
    const scaleStore = () => (scale ??= phase(`seeding ${LOAD.scaleOrders.toLocaleString('en-US')} orders`, () => prepareScaleStore(context)));
    await section('list', '6. List page at scale', async () => listSection(context, await scaleStore()));
    await section('dlq-feed-scale', '4c. DLQ feed at scale', async () => dlqFeedScaleSection(context, await scaleStore()));
    if (scale) {
      const store = await (scale as Promise<ScaleStore>).catch(() => null);
      await store?.service.stop();
      // Its 100,000 orders would otherwise share the store's cache with section 4b's.
      await context.mongo
        .db('bench_scale')
        .dropDatabase()
        .catch(() => undefined);
    }
    await section('dlq-stats', '4b. DLQ stats and list at scale', () => dlqStatsSection(context));
    await section('dlq-redrive', '4d. DLQ bulk redrive', () => dlqRedriveSection(context));
    await section('console', "7. Supervisors' console: first rendered table", () => consoleSection(context));
  } catch (error) {
    failed = true;
    log(`bench aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }

  if (sections.length === 0) {
    log('nothing was measured; docs/benchmarks.md left unchanged');
    return 1;
  }
  report(sections, env, started);
  return failed ? 1 : 0;
}

/** Prints the table and writes docs/benchmarks.md (generated part) and .run/bench/results.json. */
function report(sections: SectionResult[], env: ReturnType<typeof machine>, started: number): void {
  // Sections in the issues' order.
  const order = [
    'http',
    'reads',
    'auth',
    'creates',
    'event-latency',
    'drain',
    'dlq-feed',
    'dlq-stats',
    'dlq-feed-scale',
    'dlq-redrive',
    'rest',
    'list',
    'console',
    'time-limit',
  ];
  const sorted = [...sections].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const totalSeconds = (performance.now() - started) / 1000;
  const full = { ...env, loadAfter: loadavgText() };
  process.stdout.write(`\n${consoleTable(sorted)}\n\n`);
  process.stdout.write(
    `${full.cpus} CPU (${full.cpuModel}), ${full.memoryGb.toFixed(1)} GB, Node ${full.node}; load average before ${full.loadBefore}, after ${full.loadAfter}; ${Math.round(totalSeconds)} s\n`,
  );
  mkdirSync(BENCH_INFRA_ENV.WMS_RUN_DIR, { recursive: true });
  writeFileSync(join(BENCH_INFRA_ENV.WMS_RUN_DIR, 'results.json'), JSON.stringify({ machine: full, load: LOAD, only: ONLY, sections: sorted }, null, 2));
  if (ONLY) {
    // The same markdown a full run writes, for these sections only: to quote with its machine and date, never to merge.
    writeFileSync(join(BENCH_INFRA_ENV.WMS_RUN_DIR, 'partial.md'), markdownSections(sorted, full, totalSeconds));
    log(`BENCH_ONLY=${ONLY.join(',')}: a partial run; docs/benchmarks.md left unchanged (results in .run/bench/results.json and partial.md)`);
    return;
  }
  writeMarkdown(join(PROJECT_DIR, 'docs', 'benchmarks.md'), sorted, full, totalSeconds, INTRO);
  log('wrote docs/benchmarks.md and .run/bench/results.json');
}

function log(message: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`fatal: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
