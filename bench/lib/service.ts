import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { checkNotAborted } from './abort';
import { request } from './http';
import { BENCH_AUTH_ENV } from './auth';
import { APP_DIR, BENCH_KAFKA_BROKERS, BENCH_MONGODB_URI, PROJECT_DIR } from './infra';
import { sleep } from './stats';

/**
 * The build every replica of a run starts from: a copy of dist/ (and the package.json it reads its version from) taken
 * once at the start of the run. dist/ itself is shared with whoever builds or tests in this checkout meanwhile, and a
 * run must not measure two versions of the service. Node resolves the packages from the project's node_modules (the
 * copy lives below the project directory).
 */
const MAIN = join(APP_DIR, 'dist', 'main.js');

/** Copies dist/ (without the bench's own output) and package.json to APP_DIR; returns the build's age in seconds. */
export function snapshotBuild(): number {
  const built = join(PROJECT_DIR, 'dist', 'main.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  rmSync(APP_DIR, { recursive: true, force: true });
  cpSync(join(PROJECT_DIR, 'dist'), join(APP_DIR, 'dist'), { recursive: true, filter: (source) => source !== join(PROJECT_DIR, 'dist', 'bench') });
  cpSync(join(PROJECT_DIR, 'package.json'), join(APP_DIR, 'package.json'));
  return (Date.now() - statSync(built).mtimeMs) / 1000;
}

/** Every service process started by this run, so that cleanup can stop whatever is still up. */
const running = new Set<ServiceProcess>();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Memory {
  rssMb: number;
  /** Peak RSS over the process's life so far. */
  hwmMb: number;
}

/** A service replica run as `node dist/main.js`, as deployed: its own process, so its memory is its own. */
export class ServiceProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly url: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.append(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.append(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  private append(chunk: Buffer) {
    this.output += chunk.toString();
    if (this.output.length > 64_000) this.output = this.output.slice(-32_000);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(lines = 20): string {
    return this.output.trim().split('\n').slice(-lines).join('\n');
  }

  /** Starts a replica on a free loopback port against the bench store and broker; resolves once `/ready` answers 200. */
  static async start(name: string, env: Record<string, string>, readyTimeoutMs = 90_000): Promise<ServiceProcess> {
    checkNotAborted(`starting service ${name}`);
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: the run's build snapshot (snapshotBuild) was not taken`);
    const port = await freePort();
    // BENCH_SERVICE_NODE_ARGS profiles a replica, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles` (written on a graceful stop).
    const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, MAIN], {
      cwd: PROJECT_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        SERVICE_NAME: `bench-${name}`,
        SERVER_ADDR: `127.0.0.1:${port}`,
        MONGODB_URI: BENCH_MONGODB_URI,
        KAFKA_BROKERS: BENCH_KAFKA_BROKERS,
        TRACING_ENABLED: 'false',
        LOG_LEVEL: process.env.BENCH_SERVICE_LOG_LEVEL ?? 'warn',
        // Generous: the bench is one caller at thousands of requests per second.
        RATE_LIMIT_PER_SUBJECT: '100000000',
        RATE_LIMIT_PER_ADDRESS: '100000000',
        ...BENCH_AUTH_ENV,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(name, `http://127.0.0.1:${port}`, child);
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (!service.alive) throw new Error(`service ${name} exited during start-up:\n${service.tail()}`);
      try {
        const response = await request(`${service.url}/ready`, { timeoutMs: 3_000 });
        if (response.status === 200) return service;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await service.kill();
        throw new Error(`service ${name} not ready after ${readyTimeoutMs / 1000} s:\n${service.tail()}`);
      }
      await sleep(100);
    }
  }

  memory(): Memory | null {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
      return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
    } catch {
      return null;
    }
  }

  /** Graceful stop (SIGTERM, as an orchestrator would), then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!stopped) await this.kill();
  }

  /** Immediate stop, like a crash: nothing runs in the process after the signal. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...running].map((service) => service.stop(10_000)));
  }
}
