/**
 * `npm run profile`: where a replica's CPU time goes under load. For each scenario it starts one replica as `npm start`
 * deploys it (tracing on with no collector, LOG_LEVEL=info, relay on) with `node --cpu-prof`, drives it with 32 requests
 * in flight, stops it gracefully (the profile is written on exit) and keeps the profile under docs/perf/ (open it in
 * Chrome DevTools → Performance, or https://www.speedscope.app, for the flame graph, once unpacked). docs/perf/README.md gets each
 * scenario's self time per package and its costliest functions. `npm run profile -- health read` runs some scenarios only.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { abortRun } from './lib/abort';
import { prepareBenchAuth } from './lib/auth';
import { closeHttp, graphql, request } from './lib/http';
import { BENCH_INFRA_ENV, PROJECT_DIR, infraDown, infraUp } from './lib/infra';
import { CREATE_ORDER, countsFoldedIn, orderInput, restOrderInput } from './lib/orders';
import { loadavgText, machine } from './lib/report';
import { ServiceProcess, snapshotBuild } from './lib/service';
import { closedLoop, summarize, type Summary } from './lib/stats';

const CONCURRENCY = 32;
const WARMUP_MS = 3_000;
const PROFILE_MS = Number(process.env.PROFILE_SECONDS ?? 12) * 1_000;
const PERF_DIR = join(PROJECT_DIR, 'docs', 'perf');
const READ_ORDER = `query Read($id: ID!) { order(id: $id) { id customerId status priority version totalValue createdAt items { sku quantity unitPrice } } }`;

interface Scenario {
  name: string;
  what: string;
  /** One request; `index` counts from 0 within the run. */
  op: (url: string, ids: string[]) => (index: number) => Promise<unknown>;
}

const ok = async (response: Promise<{ status: number; body: string }>, status: number) => {
  const { status: got, body } = await response;
  if (got !== status) throw new Error(`HTTP ${got}: ${body.slice(0, 200)}`);
};
const post = (url: string, body: unknown) =>
  request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 15_000 });

const SCENARIOS: Scenario[] = [
  { name: 'health', what: 'GET /health', op: (url) => () => ok(request(`${url}/health`), 200) },
  { name: 'read', what: 'GraphQL order(id)', op: (url, ids) => (index) => graphql(url, READ_ORDER, { id: ids[index % ids.length] }, 15_000) },
  { name: 'rest-read', what: 'GET /api/v1/orders/{id}', op: (url, ids) => (index) => ok(request(`${url}/api/v1/orders/${ids[index % ids.length]}`), 200) },
  { name: 'create', what: 'GraphQL createOrder', op: (url) => (index) => graphql(url, CREATE_ORDER, { input: orderInput(index) }, 15_000) },
  { name: 'rest-create', what: 'POST /api/v1/orders', op: (url) => (index) => ok(post(`${url}/api/v1/orders`, restOrderInput(index)), 201) },
  {
    name: 'list',
    what: 'GET /api/v1/orders?pageSize=20 (over the orders created so far)',
    op: (url) => () => ok(request(`${url}/api/v1/orders?pageSize=20`), 200),
  },
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Who a frame's time belongs to: an npm package, a module of the service, Node itself, or V8 (GC, idle). */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageMatch) return packageMatch[1];
  // node:internal/streams/writable → node:internal/streams: where in Node the time goes, not only that it is Node.
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const service = /\/dist\/(.+)\.js$/.exec(url);
  return service ? `service ${service[1]}` : url;
}

interface ProfileSummary {
  sampledMs: number;
  busyShare: number;
  byOwner: Array<{ owner: string; share: number }>;
  topFunctions: Array<{ name: string; owner: string; share: number }>;
}

/**
 * Self time per owner and per function, as shares of the busy (non-idle) samples taken while the load ran: `window`
 * says when that was, in ms before the profile's end (the process's exit).
 */
function summarizeProfile(json: string, window: { fromEndMs: number; untilEndMs: number }): ProfileSummary {
  const profile = JSON.parse(json) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const from = profile.endTime - window.fromEndMs * 1_000;
  const until = profile.endTime - window.untilEndMs * 1_000;
  const hitsOf = new Map<number, number>();
  let at = profile.startTime;
  let total = 0;
  let idle = 0;
  profile.samples.forEach((nodeId, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at < from || at > until) return;
    total += 1;
    if (nodes.get(nodeId)?.callFrame.functionName === '(idle)') idle += 1;
    else hitsOf.set(nodeId, (hitsOf.get(nodeId) ?? 0) + 1);
  });
  const busy = Math.max(1, total - idle);
  const owners = new Map<string, number>();
  const functions = new Map<string, { name: string; owner: string; hits: number }>();
  for (const [nodeId, hits] of hitsOf) {
    const { functionName, url, lineNumber } = nodes.get(nodeId)!.callFrame;
    const owner = ownerOf(url, functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + hits);
    const key = `${functionName}|${url}|${lineNumber}`;
    const entry = functions.get(key) ?? { name: `${functionName || '(anonymous)'}${url ? ` :${lineNumber + 1}` : ''}`, owner, hits: 0 };
    entry.hits += hits;
    functions.set(key, entry);
  }
  return {
    sampledMs: (until - from) / 1_000,
    busyShare: busy / Math.max(1, total),
    byOwner: [...owners].map(([owner, hits]) => ({ owner, share: hits / busy })).sort((a, b) => b.share - a.share),
    topFunctions: [...functions.values()].map(({ name, owner, hits }) => ({ name, owner, share: hits / busy })).sort((a, b) => b.share - a.share),
  };
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

function scenarioMarkdown(scenario: Scenario, load: Summary, summary: ProfileSummary, profileFile: string): string[] {
  const lines = [
    `### ${scenario.name}: ${scenario.what}`,
    '',
    `${Math.round(load.opsPerSec)} req/s, p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms while profiled (${CONCURRENCY} in flight, ${load.n} requests, ${load.errors} failed); ` +
      `the replica was busy ${percent(summary.busyShare)} of the ${(summary.sampledMs / 1000).toFixed(0)} s under load. Profile: [${relative(PERF_DIR, profileFile)}](${relative(PERF_DIR, profileFile)}).`,
    '',
    '| self time of busy samples | owner |',
    '|---:|---|',
    ...summary.byOwner.slice(0, 12).map(({ owner, share }) => `| ${percent(share)} | ${owner} |`),
    '',
    '| self time | function | owner |',
    '|---:|---|---|',
    ...summary.topFunctions.slice(0, 12).map(({ name, owner, share }) => `| ${percent(share)} | \`${name.replace(/\|/g, '\\|')}\` | ${owner} |`),
    '',
  ];
  return lines;
}

async function profileScenario(scenario: Scenario, ids: string[]): Promise<string[]> {
  const dir = join(BENCH_INFRA_ENV.WMS_RUN_DIR, 'profiles', scenario.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.env.BENCH_SERVICE_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}`;
  // As `npm start` deploys it: tracing on (no collector listens), info logs, relay on.
  const service = await ServiceProcess.start(`profile-${scenario.name}`, { TRACING_ENABLED: 'true', LOG_LEVEL: 'info' });
  delete process.env.BENCH_SERVICE_NODE_ARGS;
  const op = scenario.op(service.url, ids);
  let offset = 1_000_000 * (SCENARIOS.indexOf(scenario) + 1);
  await closedLoop(Number.MAX_SAFE_INTEGER, CONCURRENCY, (index) => op(index), { offset, maxMs: WARMUP_MS });
  offset += 500_000;
  const loadStarted = performance.now();
  const sample = await closedLoop(Number.MAX_SAFE_INTEGER, CONCURRENCY, (index) => op(index), { offset, maxMs: PROFILE_MS });
  if (sample.errors > 0) throw new Error(`${scenario.name}: ${sample.errors} requests failed (first: ${sample.firstError})`);
  const load = summarize(sample);
  const loadEnded = performance.now();
  await service.stop(30_000);
  const exited = performance.now();
  // The profile spans the process's whole life; only the measured load counts (start-up and shutdown are left out).
  const window = { fromEndMs: exited - loadStarted, untilEndMs: exited - loadEnded };
  const [written] = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  if (!written) throw new Error(`no profile written for ${scenario.name}:\n${service.tail()}`);
  const raw = readFileSync(join(dir, written));
  const summary = summarizeProfile(raw.toString('utf8'), window);
  // Compressed: a profile is ~4 MB of JSON (gunzip -k before opening it).
  const kept = join(PERF_DIR, `${scenario.name}.cpuprofile.gz`);
  writeFileSync(kept, gzipSync(raw, { level: 9 }));
  console.log(
    `${scenario.name}: ${Math.round(load.opsPerSec)} req/s; top: ${summary.byOwner
      .slice(0, 4)
      .map((o) => `${o.owner} ${percent(o.share)}`)
      .join(', ')}`,
  );
  return scenarioMarkdown(scenario, load, summary, kept);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const scenarios = wanted.length ? SCENARIOS.filter((scenario) => wanted.includes(scenario.name)) : SCENARIOS;
  if (scenarios.length === 0) throw new Error(`unknown scenario; choose from ${SCENARIOS.map((scenario) => scenario.name).join(', ')}`);
  mkdirSync(PERF_DIR, { recursive: true });
  snapshotBuild();
  await prepareBenchAuth();
  await infraUp();
  const host = machine(PROJECT_DIR);
  const sections: string[] = [];
  try {
    // The orders the reads and the list read: created through a replica of their own, before any profile starts.
    const seeder = await ServiceProcess.start('profile-seed', {});
    const ids: string[] = [];
    await closedLoop(2_000, 16, async (index) => {
      ids.push((await graphql<{ createOrder: { id: string } }>(seeder.url, CREATE_ORDER, { input: orderInput(index) })).createOrder.id);
    });
    // The list pages read the counts: wait until the seeder's projector has folded every new order in.
    await countsFoldedIn(seeder.url, ids.length, 120_000);
    await seeder.stop();
    for (const scenario of scenarios) sections.push(...(await profileScenario(scenario, ids)));
  } finally {
    await ServiceProcess.stopAll();
    closeHttp();
    await infraDown();
  }
  const header = [
    '# CPU profiles of one replica under load',
    '',
    'Made by `npm run profile` (bench/profile.ts): one replica per scenario as `npm start` deploys it (tracing on with no',
    'collector, `LOG_LEVEL=info`, relay on), `node --cpu-prof`, 32 requests in flight from a load generator on the same',
    'machine, over 2,000 orders created beforehand. Shares are of the samples in which the replica was busy (not idle);',
    '"self time" is time in the function itself, not in what it calls. Unpack a profile (`gunzip -k docs/perf/read.cpuprofile.gz`) and open it in Chrome',
    'DevTools (Performance → Load profile) or https://www.speedscope.app for its flame graph.',
    '',
    `Machine: ${host.cpus} × ${host.cpuModel}, Node ${process.version}; commit ${host.commit}; ${new Date().toISOString()}; load average at the end ${loadavgText()}.`,
    '',
  ];
  writeFileSync(join(PERF_DIR, 'README.md'), [...header, ...sections].join('\n'));
  console.log(`profiles and summary in ${relative(PROJECT_DIR, PERF_DIR)}/`);
}

process.once('SIGINT', abortRun);
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
