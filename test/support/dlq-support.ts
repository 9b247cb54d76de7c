import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { CloudEvent } from '../../src/events/cloudevent';
import { ORDER_EVENTS_TOPIC } from '../../src/events/topics';
import { TEST_KAFKA_BROKERS } from './test-infra';
import { TEST_AUTH_ENV } from './test-auth';
import { graphql, uniqueName } from './test-service';

/** Helpers shared by the reprocessing and dead letter queue integration tests. */

export const RETRY_FIELDS =
  'orderId retryCount maxRetries lastFailureReason lastFailureStatus lastFailedAt nextRetryAt isEligibleForRetry order { id status version deadLettered }';
export const DLQ_ENTRY_FIELDS = `orderId customerId failureStatus failureReason retryCount resolved resolution resolvedBy resolvedAt notes createdAt updatedAt
  retryHistory { attempt failureReason failureStatus failedAt workflowId runId }
  originalOrder { id status version deadLettered retry { count } }
  history { failureStatus failureReason resolved resolution resolvedBy notes createdAt }
  order { id status deadLettered version retry { count nextRetryAt } cancellation { reason } }`;

export const INCREMENT = `mutation Inc($orderId: ID!, $input: RetryFailureInput!) { incrementRetryCount(orderId: $orderId, input: $input) { ${RETRY_FIELDS} } }`;
export const MOVE_TO_DLQ = `mutation Move($orderId: ID!, $failureStatus: String!, $failureReason: String!) {
  moveOrderToDeadLetterQueue(orderId: $orderId, failureStatus: $failureStatus, failureReason: $failureReason) { ${DLQ_ENTRY_FIELDS} } }`;
export const RESOLVE = `mutation Resolve($orderId: ID!, $resolution: DeadLetterResolution!, $notes: String, $resolvedBy: String) {
  resolveDeadLetterEntry(orderId: $orderId, resolution: $resolution, notes: $notes, resolvedBy: $resolvedBy) { ${DLQ_ENTRY_FIELDS} } }`;
export const DLQ_ENTRY = `query Entry($orderId: ID!) { deadLetterEntry(orderId: $orderId) { ${DLQ_ENTRY_FIELDS} } }`;

/** The first error of an operation expected to fail (headers allowed, unlike graphql-client's `fails`). */
export async function firstError(service: { url: string }, query: string, variables: Record<string, unknown> = {}) {
  const result = await graphql(service, query, variables);
  if (!result.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
  return result.errors[0];
}

export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Collects the CloudEvents on the public topic, from its beginning, with a consumer group of its own. */
export class EventCollector {
  readonly events: CloudEvent[] = [];
  /** The same events with their Kafka coordinates and record timestamp (ms, set by the producer when sent), in arrival order. */
  readonly records: Array<{ key: string | null; partition: number; offset: number; timestamp: number; headers: Record<string, string>; event: CloudEvent }> =
    [];
  private consumer: Consumer | null = null;

  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: uniqueName('dlq-events'), brokers: [TEST_KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-events-group'), maxWaitTimeInMs: 50 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: ORDER_EVENTS_TOPIC, fromBeginning: true });
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        if (!message.value) return;
        const event = JSON.parse(message.value.toString()) as CloudEvent;
        this.events.push(event);
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        this.records.push({
          key: message.key?.toString() ?? null,
          partition,
          offset: Number(message.offset),
          timestamp: Number(message.timestamp),
          headers,
          event,
        });
      },
    });
    await joined;
  }

  of(orderId: string, type?: string): CloudEvent[] {
    return this.events.filter((event) => event.subject === orderId && (type === undefined || event.type === type));
  }

  /** Waits until `count` events of the type arrived for the order, then returns them. */
  async waitFor(orderId: string, type: string, count = 1, timeoutMs = 20_000): Promise<CloudEvent[]> {
    return eventually(() => {
      const found = this.of(orderId, type);
      if (found.length < count) throw new Error(`${found.length} of ${count} ${type} events for ${orderId} arrived`);
      return found;
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** The value of one sample of the Prometheus text, or undefined when the series is absent. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export async function metric(service: { url: string }, series: string): Promise<number | undefined> {
  return metricSample(await (await fetch(`${service.url}/metrics`)).text(), series);
}

// ---- service processes (two replicas) ----

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Runs `node dist/main.js` (build first) on a free port; resolves once /health answers. */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', TRACING_ENABLED: 'false', SERVER_ADDR: `127.0.0.1:${port}`, ...TEST_AUTH_ENV, ...env },
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}: ${output}`);
        const response = await fetch(`${url}/ready`);
        if (!response.ok) throw new Error(`not ready: ${response.status}`);
      },
      60_000,
      100,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, child, output: () => output, exited, stop };
}
