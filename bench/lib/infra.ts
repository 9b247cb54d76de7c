import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { isAborted } from './abort';

/**
 * The benchmark's own FerretDB and Kafka, started by the project's infra scripts on ports apart from `npm start`
 * (27017/9092) and the tests (27117/9192 + offsets), with their own data directory, so a bench run never touches them.
 */
export const PROJECT_DIR = join(__dirname, '..', '..', '..');

export const BENCH_INFRA_ENV = {
  WMS_RUN_DIR: join(PROJECT_DIR, '.run', 'bench'),
  STORE_PORT: '27517',
  KAFKA_PORT: '9592',
  KAFKA_CONTROLLER_PORT: '9593',
};

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

export const infraUp = () => runInfraScript('up.sh');
export const infraDown = () => runInfraScript('down.sh', [], 60_000);

/**
 * Restarts FerretDB on the same data. FerretDB goes on executing a command after its client went away, so a relay's
 * long bulk update (or one stuck for good) would otherwise keep loading the store for the sections that follow.
 */
export async function restartFerretDb(): Promise<void> {
  await runInfraScript('ferretdb.sh', ['stop'], 60_000);
  await runInfraScript('ferretdb.sh', ['start'], 60_000);
  await runInfraScript('ferretdb.sh', ['wait'], 90_000);
}
