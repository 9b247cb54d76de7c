import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAborted } from './abort';
import { sleep } from './stats';

/**
 * The benchmark's own SecantusDB and Kafka, started by the project's infra scripts on ports apart from `npm start`
 * (27017/9092) and the tests (27117/9192 + offsets), with their own data directory, so a bench run never touches them.
 */
export const PROJECT_DIR = join(__dirname, '..', '..', '..');

export const BENCH_INFRA_ENV = {
  WMS_RUN_DIR: join(PROJECT_DIR, '.run', 'bench'),
  STORE_PORT: '27517',
  KAFKA_PORT: '9592',
  KAFKA_CONTROLLER_PORT: '9593',
};

/** Where a run keeps its copy of the build under test (see snapshotBuild). */
export const APP_DIR = join(BENCH_INFRA_ENV.WMS_RUN_DIR, 'app');

export const BENCH_MONGODB_URI = `mongodb://127.0.0.1:${BENCH_INFRA_ENV.STORE_PORT}/?directConnection=true`;
export const BENCH_KAFKA_BROKERS = `127.0.0.1:${BENCH_INFRA_ENV.KAFKA_PORT}`;

/** Runs `infra/<script>`; rejects with the script's stderr tail when it fails or exceeds the time-out. */
export function runInfraScript(script: string, args: string[] = [], timeoutMs = 15 * 60_000): Promise<void> {
  // Once the run is being stopped, only stopping is allowed.
  if (isAborted() && !(script === 'down.sh' || args[0] === 'stop')) return Promise.reject(new Error(`infra/${script}: the run is being stopped`));
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(PROJECT_DIR, 'infra', script), ...args], {
      env: { ...process.env, ...BENCH_INFRA_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`infra/${script} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

/** Store and broker on fresh data directories: a run never measures what an earlier one left. */
export const infraUp = () => runInfraScript('up.sh', ['--fresh']);
export const infraDown = () => runInfraScript('down.sh', [], 60_000);

/**
 * CPU used by the bench's SecantusDB over `ms` (percent of one core), from its PID file and /proc: tells a store that
 * is working on something from one that answers nobody while idle. Null when unreadable (not Linux, not running).
 */
export async function storeCpuPercent(ms = 3_000): Promise<number | null> {
  try {
    const pid = readFileSync(join(BENCH_INFRA_ENV.WMS_RUN_DIR, 'store', 'secantusdb.pid'), 'utf8').trim();
    const ticks = () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 per second on Linux)
    };
    const before = ticks();
    await sleep(ms);
    return ((ticks() - before) / 100 / (ms / 1000)) * 100;
  } catch {
    return null;
  }
}
