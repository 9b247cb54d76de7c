import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The servers integration tests run against: a SecantusDB and a Kafka of their own, on fresh data and ports apart
 * from `npm start`'s, so a developer can run the service and the tests side by side.
 */
// WMS_TEST_PORT_OFFSET lets several test runs share a machine (each gets its own ports and data directory).
const offset = Number(process.env.WMS_TEST_PORT_OFFSET ?? 0);

export const TEST_INFRA_ENV = {
  WMS_RUN_DIR: join(__dirname, '..', '..', '.run', offset ? `test-${offset}` : 'test'),
  STORE_PORT: String(27117 + offset),
  // configureFailPoint for the store-fault tests; never on in `npm start`.
  STORE_TEST_COMMANDS: 'true',
  KAFKA_PORT: String(9192 + offset),
  KAFKA_CONTROLLER_PORT: String(9193 + offset),
};

export const TEST_MONGODB_URI = `mongodb://127.0.0.1:${TEST_INFRA_ENV.STORE_PORT}/?directConnection=true`;
export const TEST_KAFKA_BROKERS = `127.0.0.1:${TEST_INFRA_ENV.KAFKA_PORT}`;

const INFRA_DIR = join(__dirname, '..', '..', 'infra');

export function runInfraScript(script: string, ...args: string[]): void {
  execFileSync('bash', [join(INFRA_DIR, script), ...args], {
    env: { ...process.env, ...TEST_INFRA_ENV },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 15 * 60_000,
  });
}

/** Stops the test broker (clean shutdown) and starts it again on the same data, for outage tests. */
export const stopKafka = () => runInfraScript('kafka.sh', 'stop');
export const startKafka = () => {
  runInfraScript('kafka.sh', 'start');
  runInfraScript('kafka.sh', 'wait');
};
