import { TEST_AUTH_ENV, withAuthorization } from '../support/test-auth';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Server as GrpcServer, ServerCredentials, status as grpcStatus } from '@grpc/grpc-js';
import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { ORDER_EVENTS_TOPIC } from '../../src/events/topics';
import { assertMatchesAsyncApi } from '../support/asyncapi';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

/**
 * Tracing end to end: the built service (`node dist/main.js`) exports OTLP/HTTP JSON to a receiver in this process.
 * A createOrder request carrying a `traceparent` must yield one trace — HTTP server → GraphQL → MongoDB → Kafka
 * producer — under the caller's trace id, and the event on Kafka must carry a traceparent of that trace.
 */

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

// OTLP span kinds (opentelemetry-proto trace.proto).
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_PRODUCER = 4;

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
}

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  scope: string;
  service: string | undefined;
  attributes: Record<string, unknown>;
}

function attributeMap(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue]));
}

/** A minimal OTLP/HTTP receiver: collects the spans of every POST /v1/traces (JSON encoding). */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; requests: string[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const requests: string[] = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''}`);
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const payload = JSON.parse(body.toString('utf8')) as {
        resourceSpans?: Array<{
          resource?: { attributes?: OtlpAttribute[] };
          scopeSpans?: Array<{ scope?: { name?: string }; spans?: Array<Record<string, any>> }>;
        }>;
      };
      for (const resourceSpans of payload.resourceSpans ?? []) {
        const service = attributeMap(resourceSpans.resource?.attributes)['service.name'] as string | undefined;
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              scope: scopeSpans.scope?.name ?? '',
              service,
              attributes: attributeMap(span.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A minimal OTLP/gRPC receiver: keeps the raw protobuf bodies of TraceService/Export calls (no decoding needed). */
async function startOtlpGrpcReceiver(): Promise<{ endpoint: string; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const server = new GrpcServer();
  const identity = (value: Buffer) => value;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        // An empty ExportTraceServiceResponse is zero bytes of protobuf.
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: identity,
      },
    },
    {
      Export: (call: { request: Buffer }, callback: (error: { code: number } | null, response?: Buffer) => void) => {
        if (!Buffer.isBuffer(call.request)) return callback({ code: grpcStatus.INVALID_ARGUMENT });
        bodies.push(call.request);
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      MONGODB_URI: TEST_MONGODB_URI,
      MONGODB_DATABASE: uniqueName('tracing'),
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      SERVER_ADDR: `127.0.0.1:${port}`,
      ...TEST_AUTH_ENV,
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (child.exitCode !== null || attempt >= 300) throw new Error(`service did not become healthy:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, child, output: () => output, exited };
}

async function stopServiceProcess(proc: ServiceProcess): Promise<number | null> {
  if (proc.child.exitCode === null) proc.child.kill('SIGTERM');
  return proc.exited;
}

interface ConsumedEvent {
  key: string | null;
  headers: IHeaders;
  event: Record<string, any>;
}

/** Reads wms.orders.events from the beginning with a group of its own and keeps the events about `subjects`. */
async function startEventConsumer(): Promise<{ waitFor(subject: string, timeoutMs?: number): Promise<ConsumedEvent>; stop(): Promise<void> }> {
  const kafka = new Kafka({ clientId: 'tracing-test', brokers: [TEST_KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('tracing-test'), maxWaitTimeInMs: 100 });
  const seen: ConsumedEvent[] = [];
  const waiters: Array<() => void> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: ORDER_EVENTS_TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      seen.push({ key: message.key?.toString() ?? null, headers: message.headers ?? {}, event: JSON.parse(message.value.toString()) });
      for (const wake of waiters.splice(0)) wake();
    },
  });
  return {
    async waitFor(subject, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find(({ event }) => event.subject === subject);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no event about ${subject} on ${ORDER_EVENTS_TOPIC} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    stop: () => consumer.disconnect(),
  };
}

const CREATE_ORDER = `mutation Create($input: CreateOrderInput!) { createOrder(input: $input) { id status } }`;
const ORDER_INPUT = {
  customerId: 'CUST-TRACE',
  priority: 'STANDARD',
  promisedDeliveryAt: '2099-12-27T17:00:00Z',
  items: [{ sku: 'SKU-001', quantity: 2, unitPrice: 29.99 }],
  shippingAddress: { street: '123 Main St', city: 'New York', state: 'NY', zipCode: '10001', country: 'US' },
};

async function createOrder(service: { url: string }, headers: Record<string, string>): Promise<string> {
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: await withAuthorization({ 'content-type': 'application/json', ...headers }),
    body: JSON.stringify({ query: CREATE_ORDER, variables: { input: ORDER_INPUT } }),
  });
  const body = (await response.json()) as { data?: { createOrder: { id: string } }; errors?: unknown };
  if (!body.data) throw new Error(`createOrder failed: ${JSON.stringify(body.errors)}`);
  return body.data.createOrder.id;
}

function newTraceparent(): { traceId: string; parentSpanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  return { traceId, parentSpanId, header: `00-${traceId}-${parentSpanId}-01` };
}

/** Waits until `check` passes (it throws while not yet), for spans that arrive in batches. */
async function eventually<T>(check: () => T, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('tracing (OpenTelemetry over OTLP)', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let consumer: ReturnType<typeof startEventConsumer> | null = null;
  // Started once a service is up: the service creates the topic (a fresh broker has none).
  const events = () => (consumer ??= startEventConsumer());

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await (await consumer)?.stop();
    await receiver?.close();
  });

  it('continues the caller’s trace through HTTP → GraphQL → MongoDB → Kafka, and the event carries that trace', async () => {
    const service = await startServiceProcess({
      TRACING_ENABLED: 'true',
      SERVICE_NAME: 'order-service-traced',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    try {
      const incoming = newTraceparent();
      const orderId = await createOrder(service, { traceparent: incoming.header });

      const consumed = await (await events()).waitFor(orderId);
      expect(consumed.event.type).toBe('wms.order.received');
      assertMatchesAsyncApi(consumed.event, { key: consumed.key, headers: consumed.headers });
      // The CloudEvent's traceparent: the caller's trace, a span of this service (not the caller's own span).
      const [, eventTraceId, eventSpanId] = String(consumed.event.traceparent).split('-');
      expect(eventTraceId).toBe(incoming.traceId);
      expect(eventSpanId).not.toBe(incoming.parentSpanId);
      // The Kafka record header: the producer span, in the same trace.
      const [, headerTraceId, headerSpanId] = String(consumed.headers.traceparent).split('-');
      expect(headerTraceId).toBe(incoming.traceId);

      const trace = await eventually(() => {
        const inTrace = receiver.spans.filter((span) => span.traceId === incoming.traceId);
        const ids = new Set(inTrace.map((span) => span.spanId));
        // Complete: every parent has arrived (the caller's span is the only one outside the service).
        const orphans = inTrace.filter((span) => span.parentSpanId !== incoming.parentSpanId && !ids.has(span.parentSpanId));
        if (orphans.length > 0) throw new Error(`spans without their parent yet: ${orphans.map((span) => span.name).join(', ')}`);
        const producer = inTrace.find((span) => span.spanId === headerSpanId);
        if (!producer) throw new Error('the Kafka producer span has not arrived');
        return { spans: inTrace, ids, producer };
      });

      const server = trace.spans.filter((span) => span.kind === SPAN_KIND_SERVER && span.scope === '@opentelemetry/instrumentation-http');
      expect(server).toHaveLength(1);
      // One trace, rooted at the caller: only the HTTP server span hangs off the caller's span.
      expect(trace.spans.filter((span) => span.parentSpanId === incoming.parentSpanId)).toEqual(server);
      expect(JSON.stringify(server[0].attributes)).toContain('/graphql');
      expect(trace.spans.some((span) => span.scope === '@opentelemetry/instrumentation-express')).toBe(true);
      const graphqlSpans = trace.spans.filter((span) => span.scope === '@opentelemetry/instrumentation-graphql');
      expect(graphqlSpans.map((span) => span.name)).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'graphql.resolve createOrder']));
      expect(
        graphqlSpans.some((span) => span.attributes['graphql.operation.type'] === 'mutation' && span.attributes['graphql.operation.name'] === 'Create'),
      ).toBe(true);
      if (process.env.TRACING_TEST_DEBUG) {
        const children = (parent: string, depth: number): string[] =>
          trace.spans
            .filter((span) => span.parentSpanId === parent)
            .flatMap((span) => [
              `${'  '.repeat(depth)}${span.name} [${span.scope}]${span.spanId === eventSpanId ? ' <- event traceparent' : ''}`,
              ...children(span.spanId, depth + 1),
            ]);
        process.stdout.write(`${children(incoming.parentSpanId, 0).join('\n')}\n`);
      }
      const mongo = trace.spans.filter((span) => span.scope === '@opentelemetry/instrumentation-mongodb');
      expect(mongo.length).toBeGreaterThan(0);
      expect(mongo.some((span) => /insert/.test(span.name))).toBe(true);
      expect(trace.producer).toMatchObject({ kind: SPAN_KIND_PRODUCER, name: `send ${ORDER_EVENTS_TOPIC}` });
      expect(trace.producer.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': ORDER_EVENTS_TOPIC,
        'messaging.kafka.message.key': orderId,
        'cloudevents.event_id': consumed.event.id,
      });
      // The event's traceparent names a span of this trace, and the producer span is its child.
      expect(trace.ids.has(eventSpanId)).toBe(true);
      expect(trace.producer.parentSpanId).toBe(eventSpanId);
      expect(new Set(trace.spans.map((span) => span.service))).toEqual(new Set(['order-service-traced']));
    } finally {
      expect(await stopServiceProcess(service)).toBe(0);
    }
  });

  it('exports over OTLP/gRPC by default, to a scheme-less host:port like the default localhost:4317', async () => {
    const collector = await startOtlpGrpcReceiver();
    try {
      const service = await startServiceProcess({
        TRACING_ENABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      });
      const incoming = newTraceparent();
      try {
        await createOrder(service, { traceparent: incoming.header });
      } finally {
        expect(await stopServiceProcess(service)).toBe(0);
      }
      // The shutdown flushed: the request's spans reached the collector, their 16-byte trace id in the protobuf body.
      const traceId = Buffer.from(incoming.traceId, 'hex');
      expect(collector.bodies.some((body) => body.includes(traceId))).toBe(true);
    } finally {
      await collector.close();
    }
  });

  it('with TRACING_ENABLED=false exports nothing and passes a valid incoming traceparent through to the event', async () => {
    const before = receiver.requests.length;
    const service = await startServiceProcess({
      TRACING_ENABLED: 'false',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    try {
      const incoming = newTraceparent();
      const orderId = await createOrder(service, { traceparent: incoming.header });
      const consumed = await (await events()).waitFor(orderId);
      assertMatchesAsyncApi(consumed.event, { key: consumed.key, headers: consumed.headers });
      expect(consumed.event.traceparent).toBe(incoming.header);
      // No SDK: no producer span, so no trace header on the record.
      expect(consumed.headers.traceparent).toBeUndefined();

      const malformed = await createOrder(service, { traceparent: 'not-a-traceparent' });
      const withoutTrace = await (await events()).waitFor(malformed);
      expect(withoutTrace.event).not.toHaveProperty('traceparent');
      assertMatchesAsyncApi(withoutTrace.event, { key: withoutTrace.key, headers: withoutTrace.headers });
    } finally {
      expect(await stopServiceProcess(service)).toBe(0);
    }
    // Nothing was sent to the collector, not even at shutdown.
    expect(receiver.requests.slice(before)).toEqual([]);
  });
});
