import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { CloudEvent } from '../../src/events/cloudevent';
import { ORDER_EVENTS_TOPIC } from '../../src/events/topics';
import { eventually, freePort } from '../support/dlq-support';
import { expectStatus, rest, restOrderBody } from '../support/rest-client';

/**
 * `npm start`'s local mode (infra/start-service.sh without MONGODB_URI and KAFKA_BROKERS) keeps its data across runs:
 * the whole process group — script, service, SecantusDB and Kafka — is killed with SIGKILL right after some writes were
 * acknowledged, started again the same way, and every acknowledged order is there with its last change, and every event
 * of those changes is on Kafka (the ones not yet published before the kill published after the restart, the earlier
 * records still where they were). A middle run without a relay (OUTBOX_RELAY_ENABLED=false) makes sure some events are
 * stored but certainly unpublished at a kill. Ctrl-C (SIGINT to the group) then stops everything with exit code 0, and
 * `npm run reset` wipes the data (and refuses while the servers run).
 *
 * Its servers run on ports of their own, apart from `npm start`'s (27017/9092/9093) and from every test run's
 * (27117/9192/9193 + WMS_TEST_PORT_OFFSET, offsets 0…400), and on a temporary WMS_RUN_DIR.
 */

const PROJECT_DIR = join(__dirname, '..', '..');
const STORE_PORT = 27643;
const KAFKA_PORT = 9743;
const KAFKA_CONTROLLER_PORT = 9744;
const BROKERS = [`127.0.0.1:${KAFKA_PORT}`];
/** Build (tsc) + SecantusDB + Kafka + the service on a shared 2-CPU machine. */
const START_TIMEOUT_MS = 240_000;

interface LocalStart {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface SeenRecord {
  partition: number;
  offset: number;
  /** When Kafka received it (the producer's record time). */
  timestamp: number;
  event: CloudEvent;
}

describe('npm start (local SecantusDB and Kafka) keeps its data across a kill -9 of everything', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'wms-local-start-'));
  let env: NodeJS.ProcessEnv;
  let url: string;
  let running: LocalStart | null = null;
  const started: LocalStart[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      WMS_RUN_DIR: runDir,
      STORE_PORT: String(STORE_PORT),
      KAFKA_PORT: String(KAFKA_PORT),
      KAFKA_CONTROLLER_PORT: String(KAFKA_CONTROLLER_PORT),
      SERVER_ADDR: `127.0.0.1:${port}`,
      TRACING_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    };
    // Local mode: neither is set. Nor anything of the test servers'.
    for (const name of ['MONGODB_URI', 'KAFKA_BROKERS', 'MONGODB_DATABASE', 'STORE_TEST_COMMANDS', 'STORE_TTL_SWEEP_SECONDS', 'WMS_TEST_PORT_OFFSET'])
      delete env[name];
  });

  afterAll(async () => {
    // Whatever happened: the service first (SIGTERM to the script, which forwards it), then the servers by PID file.
    for (const start of started) await stopGroup(start);
    await runScript('down.sh', env).catch((error) => process.stderr.write(`down.sh failed: ${String(error)}\n`));
    rmSync(runDir, { recursive: true, force: true });
  }, 120_000);

  function start(extraEnv: Record<string, string> = {}): LocalStart {
    const child = spawn('bash', [join(PROJECT_DIR, 'infra', 'start-service.sh')], {
      cwd: PROJECT_DIR,
      env: { ...env, ...extraEnv },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    // 'close': the process has exited and its output (the service's, which shares the pipes) has all been read.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const handle = { child, output: () => output, exited };
    started.push(handle);
    return handle;
  }

  async function waitReady(start: LocalStart): Promise<void> {
    await eventually(
      async () => {
        if (start.child.exitCode !== null) throw new Error(`start-service.sh exited with ${start.child.exitCode}:\n${start.output()}`);
        const response = await fetch(`${url}/ready`);
        if (response.status !== 200) throw new Error(`/ready answered ${response.status}: ${await response.text()}`);
      },
      START_TIMEOUT_MS,
      500,
    ).catch((error) => {
      throw new Error(`${String(error)}\n--- start-service.sh output ---\n${start.output()}`);
    });
  }

  it('every acknowledged order and its last change, and every event, are there after a kill -9 of the whole group and a restart; reset wipes them', async () => {
    const began = Date.now();
    const timeline: string[] = [];
    const mark = (what: string) => timeline.push(`${what} ${((Date.now() - began) / 1000).toFixed(0)} s`);
    /** Made with `npm run token` once the first start has created the local signing key; valid across restarts (the key is kept). */
    let authorization = '';
    const expected = new Map<string, { status: string; priority: string; version: number; events: string[] }>();
    const create = async () => {
      const created = await rest({ url }, 'POST', '/orders', { body: restOrderBody(), headers: { authorization } });
      expectStatus(created, 201);
      expected.set(created.body.orderId, {
        status: created.body.status,
        priority: created.body.priority,
        version: created.body.version,
        events: ['wms.order.received'],
      });
      return created.body.orderId as string;
    };
    const change = async (orderId: string, method: string, path: string, body: unknown, event: string | null) => {
      const changed = await rest({ url }, method, `/orders/${orderId}${path}`, { body, headers: { authorization } });
      expectStatus(changed, 200);
      const known = expected.get(orderId)!;
      expected.set(orderId, {
        status: changed.body.status,
        priority: changed.body.priority,
        version: changed.body.version,
        events: event ? [...known.events, event] : known.events,
      });
    };
    const eventsOf = (orderIds: readonly string[]) => (records: SeenRecord[]) =>
      orderIds.every((orderId) => expected.get(orderId)!.events.every((type) => records.some((r) => r.event.subject === orderId && r.event.type === type)));
    /** Every acknowledged order is there, with its last change; and nothing else. */
    const expectOrdersAsAcknowledged = async () => {
      for (const [orderId, last] of expected) {
        const found = await rest({ url }, 'GET', `/orders/${orderId}`, { headers: { authorization } });
        expectStatus(found, 200);
        const { events: _events, ...state } = last;
        expect({ orderId, status: found.body.status, priority: found.body.priority, version: found.body.version }).toEqual({ orderId, ...state });
      }
      const listed = await rest({ url }, 'GET', '/orders?pageSize=100', { headers: { authorization } });
      expectStatus(listed, 200);
      expect(listed.body.pagination.total).toBe(expected.size);
    };
    /** kill -9 of the script's whole process group: the script, the service, SecantusDB and Kafka all go at once. */
    const killEverything = async (run: LocalStart) => {
      const pids = [readPid(join(runDir, 'store', 'secantusdb.pid')), readPid(join(runDir, 'kafka', 'kafka.pid'))];
      killGroup(run, 'SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      await eventually(
        () => {
          for (const pid of pids) expect(alive(pid)).toBe(false);
        },
        10_000,
        100,
      );
    };

    // ---- run 1 ----
    running = start();
    await waitReady(running);
    mark('run 1 ready');
    expect(running.output()).toContain('compiling TypeScript');
    expect(running.output()).toMatch(/SecantusDB ready on 127\.0\.0\.1:27643/);
    expect(running.output()).toMatch(/Kafka ready on 127\.0\.0\.1:9743/);
    // The local service trusts only the key npm start made: no token → 401; the README's token command → accepted.
    const anonymous = await rest({ url }, 'GET', '/orders', { headers: { authorization: '' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const token = await localToken(env, ['--sub', 'local-dev', '--tenant', 'default', '--scope', 'all']);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    authorization = `Bearer ${token}`;
    // The console's one-click dev sign-in signs with that same local key: its token is accepted too.
    const devSession = await fetch(`${url}/console/dev-session`, { method: 'POST' });
    expect(devSession.status).toBe(200);
    const { token: devToken } = (await devSession.json()) as { token: string };
    expect((await rest({ url }, 'GET', '/dead-letter-queue/stats', { headers: { authorization: `Bearer ${devToken}` } })).status).toBe(200);
    // Batch 1: written, then the test waits (a while) for its events to be on the topic.
    const first = [await create(), await create(), await create()];
    await change(first[0], 'PUT', '/validate', undefined, 'wms.order.validated');
    await change(first[1], 'PUT', '/cancel', { reason: 'customer changed their mind' }, 'wms.order.cancelled');
    const before = await readTopic(eventsOf(first), 30_000);
    mark('batch 1 on the topic');
    // Batch 2: everything is killed right after the last acknowledgement, its events published or not yet.
    const second = [await create(), await create(), await create()];
    await change(second[0], 'PUT', '/validate', undefined, 'wms.order.validated');
    await change(second[1], 'PATCH', '', { priority: 'same_day' }, null);
    await change(second[2], 'PUT', '/validate', undefined, 'wms.order.validated');
    await change(second[2], 'PUT', '/cancel', { reason: 'out of stock' }, 'wms.order.cancelled');
    await killEverything(running);

    // ---- run 2, the same way but without a relay: its writes' events are stored and certainly not published ----
    mark('run 1 killed');
    // Restarts run the build run 1 made (WMS_SKIP_BUILD): on a shared 2-CPU machine tsc alone can take a minute.
    running = start({ OUTBOX_RELAY_ENABLED: 'false', WMS_SKIP_BUILD: 'true' });
    await waitReady(running);
    mark('run 2 ready');
    expect(running.output()).toContain('not compiling TypeScript (WMS_SKIP_BUILD=true)');
    await expectOrdersAsAcknowledged();
    const third = [await create(), await create()];
    await change(third[0], 'PUT', '/validate', undefined, 'wms.order.validated');
    await change(first[2], 'PUT', '/validate', undefined, 'wms.order.validated');
    await killEverything(running);

    // ---- run 3, the same way as run 1 ----
    mark('run 2 killed');
    const restartedAt = Date.now();
    running = start({ WMS_SKIP_BUILD: 'true' });
    await waitReady(running);
    mark('run 3 ready');
    await expectOrdersAsAcknowledged();
    const all = [...expected.keys()];
    const after = await readTopic(eventsOf(all), 120_000);
    expect(eventsOf(all)(after)).toBe(true);
    mark('every event on the topic');
    // The records read before the first kill are still there, where they were.
    for (const record of before) {
      expect(after).toContainEqual(expect.objectContaining({ partition: record.partition, offset: record.offset, event: record.event }));
    }
    // Run 2 had no relay: its events (two orders received, two validated) were published after this restart.
    const late = after.filter((r) => third.includes(r.event.subject) || (r.event.subject === first[2] && r.event.type === 'wms.order.validated'));
    expect(late.map((r) => r.event.type).sort()).toEqual(['wms.order.received', 'wms.order.received', 'wms.order.validated', 'wms.order.validated']);
    for (const record of late) expect(record.timestamp).toBeGreaterThanOrEqual(restartedAt);
    // One event per change; a second copy (sent again after a kill) carries the same id.
    for (const [orderId, last] of expected) {
      const mine = after.filter((record) => record.event.subject === orderId);
      expect({ orderId, types: [...new Set(mine.map((record) => record.event.type))].sort() }).toEqual({ orderId, types: [...last.events].sort() });
      for (const type of last.events)
        expect({ orderId, type, ids: new Set(mine.filter((record) => record.event.type === type).map((record) => record.event.id)).size }).toEqual({
          orderId,
          type,
          ids: 1,
        });
    }
    const publishedLate = after.filter((record) => record.timestamp >= restartedAt).length;
    process.stdout.write(
      `local start: ${before.length} records before the first kill -9, ${after.length} after the last restart (${publishedLate} published after it, ${after.length - new Set(after.map((r) => r.event.id)).size} repeated)\n`,
    );

    // ---- reset refuses while the servers run ----
    const refused = await runScript('reset.sh', env).then(
      () => null,
      (error: ScriptError) => error,
    );
    expect(refused).not.toBeNull();
    expect(refused!.stderr).toMatch(/the local servers are running .*stop `npm start` first/);
    expect(existsSync(join(runDir, 'store', 'data'))).toBe(true);
    expect(existsSync(join(runDir, 'kafka', 'data'))).toBe(true);

    // ---- stop: SIGINT to the script, which forwards it (as SIGTERM) to the service; its EXIT trap stops the servers ----
    killGroup(running, 'SIGINT', false);
    expect(await running.exited).toEqual({ code: 0, signal: null });
    mark('stopped');
    expect(running.output()).toMatch(/Kafka stopped/);
    expect(running.output()).toMatch(/SecantusDB stopped/);
    expect(existsSync(join(runDir, 'store', 'secantusdb.pid'))).toBe(false);
    expect(existsSync(join(runDir, 'kafka', 'kafka.pid'))).toBe(false);

    // ---- reset wipes what npm start kept ----
    const wiped = await runScript('reset.sh', env);
    expect(wiped.stderr).toMatch(new RegExp(`wiping ${escape(join(runDir, 'store'))} \\(\\S+\\)`));
    expect(wiped.stderr).toMatch(new RegExp(`wiping ${escape(join(runDir, 'kafka'))} \\(\\S+\\)`));
    expect(wiped.stderr).toContain(`wiped ${runDir}: every order, DLQ entry, idempotency record and Kafka event of the local servers is gone`);
    expect(existsSync(join(runDir, 'store'))).toBe(false);
    expect(existsSync(join(runDir, 'kafka'))).toBe(false);
    const again = await runScript('reset.sh', env);
    expect(again.stderr).toContain(`nothing to wipe: ${runDir} does not exist`);
    mark('reset');
    process.stdout.write(`local start timeline: ${timeline.join(', ')}\n`);
  }, 600_000);
});

// ---- helpers ----

/** Reads the public topic from its beginning with a group of its own until `done` holds (or the time runs out), then leaves. */
async function readTopic(done: (records: SeenRecord[]) => boolean, timeoutMs: number): Promise<SeenRecord[]> {
  const kafka = new Kafka({ clientId: `local-start-${process.pid}`, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: `local-start-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const records: SeenRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: ORDER_EVENTS_TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (message.value)
          records.push({
            partition,
            offset: Number(message.offset),
            timestamp: Number(message.timestamp),
            event: JSON.parse(message.value.toString()) as CloudEvent,
          });
      },
    });
    await eventually(() => expect(done(records)).toBe(true), timeoutMs, 200).catch(() => undefined);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

function readPid(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the whole process group the script leads (or, with `group` false, the script alone). */
function killGroup(start: LocalStart, signal: NodeJS.Signals, group = true): void {
  const pid = start.child.pid;
  if (!pid) return;
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * SIGTERM to the script (it stops the service, then its EXIT trap the servers); SIGKILL to the group if it is still
 * there after 60 s. Only while the script lives: after it, its group id may name someone else's group one day.
 */
async function stopGroup(start: LocalStart): Promise<void> {
  let closed = false;
  void start.exited.then(() => (closed = true));
  await new Promise((resolve) => setImmediate(resolve));
  if (closed || start.child.exitCode !== null || start.child.signalCode !== null) return;
  killGroup(start, 'SIGTERM', false);
  await Promise.race([start.exited, new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref())]);
  if (!closed) killGroup(start, 'SIGKILL');
}

interface ScriptError extends Error {
  stderr: string;
}

function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(PROJECT_DIR, 'infra', script)], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: String(stderr) }));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `npm run --silent token -- ARGS` against the run dir's key: stdout must be the token alone. */
function localToken(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['run', '--silent', 'token', '--', ...args], { cwd: PROJECT_DIR, env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm run token failed: ${String(stderr)}`));
      else if (!/^[^\n]+\n$/.test(String(stdout))) reject(new Error(`npm run token printed more than a token: ${JSON.stringify(String(stdout))}`));
      else resolve(String(stdout).trim());
    });
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
