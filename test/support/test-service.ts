import pino from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { startOrderService, type RunningOrderService } from '../../src/order-service';
import { TEST_AUTH_ENV, withAuthorization } from './test-auth';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from './test-infra';

let counter = 0;

/** A database name of its own per test file (and per call), so files never see each other's data. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_w${process.env.JEST_WORKER_ID ?? '0'}_${Date.now().toString(36)}_${counter}`;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    MONGODB_URI: TEST_MONGODB_URI,
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    MONGODB_DATABASE: uniqueName('orders'),
    SERVER_ADDR: '127.0.0.1:0',
    TRACING_ENABLED: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...TEST_AUTH_ENV,
    ...overrides,
  });
}

export async function startTestService(overrides: Record<string, string> = {}): Promise<RunningOrderService> {
  const config = testConfig(overrides);
  return startOrderService(config, pino({ level: config.LOG_LEVEL }));
}

/** POSTs a GraphQL document and returns the parsed body. */
export async function graphql<TData = Record<string, any>>(
  service: { url: string },
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ data?: TData; errors?: Array<{ message: string; extensions?: Record<string, any> }> }> {
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: await withAuthorization({ 'content-type': 'application/json', ...headers }),
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as any;
}
