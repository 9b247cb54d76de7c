import { spawn, type ChildProcess } from 'node:child_process';
import { graphql, request } from '../lib/http';
import { CREATE_ORDER, orderInput } from '../lib/orders';
import { pct, rowOf, type SectionResult } from '../lib/report';
import { freePort, ServiceProcess } from '../lib/service';
import { closedLoop, compare, sleep } from '../lib/stats';
import type { BenchContext } from '../run';

const READ_ORDER = `query Read($id: ID!) { order(id: $id) { id status version totalValue } }`;

/**
 * The least any Node HTTP service can cost: node:http answering GET /health with the same JSON body, in a process of
 * its own (in the load generator's process it would share its event loop).
 */
async function startBareServer(body: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const script = `require('node:http').createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(${JSON.stringify(body)}) });
    res.end(${JSON.stringify(body)});
  }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (
      await request(`${url}/health`, { timeoutMs: 1_000 }).then(
        (response) => response.status === 200,
        () => false,
      )
    )
      return { url, child };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('the bare node:http server did not answer');
}

function getOk(url: string) {
  return async () => {
    const response = await request(url, { timeoutMs: 15_000 });
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  };
}

/**
 * Section 0: the service's own HTTP overhead against the ceiling beside it. GET /health on a replica as `npm start`
 * deploys it (tracing on with no collector answering, LOG_LEVEL=info, relay on) against a bare node:http server;
 * and what tracing costs a read: GraphQL order(id) on that replica against one with TRACING_ENABLED=false.
 */
export async function httpCeilingSection(context: BenchContext): Promise<SectionResult> {
  const { httpN, httpConcurrency, warmup, rounds } = context.load;
  const deployed = await ServiceProcess.start('deployed', { MONGODB_DATABASE: 'bench_http', TRACING_ENABLED: 'true', LOG_LEVEL: 'info' });
  let untraced: ServiceProcess | null = null;
  let bare: ChildProcess | null = null;
  try {
    const health = await request(`${deployed.url}/health`);
    const ceiling = await startBareServer(health.body);
    bare = ceiling.child;
    const probe = await compare({
      n: httpN,
      concurrency: httpConcurrency,
      warmup: warmup * 5,
      rounds,
      baseline: getOk(`${ceiling.url}/health`),
      subject: getOk(`${deployed.url}/health`),
    });
    const probeRatio = probe.subject.opsPerSec / probe.baseline.opsPerSec;

    untraced = await ServiceProcess.start('untraced', { MONGODB_DATABASE: 'bench_http', TRACING_ENABLED: 'false', LOG_LEVEL: 'info' });
    const ids: string[] = [];
    const seeded = await closedLoop(200, 8, async (index) => {
      ids.push((await graphql<{ createOrder: { id: string } }>(deployed.url, CREATE_ORDER, { input: orderInput(index) })).createOrder.id);
    });
    if (seeded.errors) throw new Error(`seeding orders: ${seeded.errors} failed (first: ${seeded.firstError})`);
    const read = (url: string) => (index: number) => graphql(url, READ_ORDER, { id: ids[index % ids.length] }, 15_000);
    const tracing = await compare({
      n: context.load.n,
      concurrency: httpConcurrency,
      warmup,
      rounds,
      baseline: read(untraced.url),
      subject: read(deployed.url),
    });
    const tracingRatio = tracing.subject.opsPerSec / tracing.baseline.opsPerSec;
    return {
      id: 'http',
      title: '0. HTTP overhead: GET /health vs node:http, tracing on vs off',
      rows: [
        rowOf('bare node:http server, same JSON (baseline)', probe.baseline),
        rowOf('GET /health, replica as npm start deploys it', probe.subject, {
          ratio: `${pct(probeRatio)} of node:http`,
          aim: '≥ 25 %',
          met: probeRatio >= 0.25,
        }),
        rowOf('GraphQL order(id), TRACING_ENABLED=false (baseline)', tracing.baseline),
        rowOf('GraphQL order(id), tracing on, no collector', tracing.subject, {
          ratio: `${pct(tracingRatio)} of untraced`,
          aim: 'cost ≤ 10 %',
          met: tracingRatio >= 0.9,
        }),
      ],
      notes: [
        `${httpConcurrency} requests in flight (keep-alive connections) from the bench's own Node load generator on the same 2 CPUs; ${httpN.toLocaleString('en-US')} measured per side for /health, ${context.load.n.toLocaleString('en-US')} for order(id), alternating rounds. The generator's own cost caps the ceiling row: a faster generator (autocannon, wrk) would measure node:http higher and the ratio lower.`,
        'The deployed replica: TRACING_ENABLED=true with the default OTLP endpoint and no collector listening, LOG_LEVEL=info, relay on, auth on (the bench token on every request). The untraced replica differs only in TRACING_ENABLED; both serve the same 200 orders.',
      ],
      notMeasured: null,
    };
  } finally {
    bare?.kill('SIGKILL');
    await untraced?.stop();
    await deployed.stop();
  }
}
