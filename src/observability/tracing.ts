import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { NodeSDK, NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/**
 * OpenTelemetry tracing (CONTRACT §7): HTTP → Express → GraphQL → MongoDB/mongoose → Kafka, exported over OTLP.
 *
 * `startTracing` must run before anything loads http, express, graphql, mongodb, mongoose or kafkajs: the
 * instrumentations patch those modules when they are first required. With tracing off nothing of the SDK is even
 * loaded; the helpers below then run against `@opentelemetry/api`'s no-op tracer and propagator, which cost nothing.
 */

export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

export interface TracingOptions {
  enabled: boolean;
  serviceName: string;
  serviceVersion: string;
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: `host:port` or a URL; for the HTTP protocols `/v1/traces` is appended. */
  endpoint: string;
  protocol: OtlpProtocol;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports the spans still buffered (for at most 5 s), then stops the SDK. Never throws. */
  shutdown(): Promise<void>;
}

const TRACER_NAME = 'wms-order-service';
const SHUTDOWN_FLUSH_TIMEOUT_MS = 5_000;

/** Requests that would only add noise: probes and scrapes (their MongoDB and Kafka checks are not traced either). */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

/** A scheme-less endpoint (the brief's default `localhost:4317`) means a plain-text local collector. */
export function otlpTraceUrl(endpoint: string, protocol: OtlpProtocol): string {
  const base = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  if (protocol === 'grpc') return base;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function createExporter(options: TracingOptions): NodeSDKConfiguration['traceExporter'] {
  const url = otlpTraceUrl(options.endpoint, options.protocol);
  switch (options.protocol) {
    case 'grpc': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
      return new OTLPTraceExporter({ url });
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ url });
    }
    case 'http/json': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ url });
    }
  }
}

export function startTracing(options: TracingOptions): Tracing {
  if (!options.enabled) return { enabled: false, shutdown: async () => undefined };

  // Required here rather than imported, so that with tracing off none of this is loaded.
  const { NodeSDK: Sdk, core, resources } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  const { MongoDBInstrumentation } = require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
  const { MongooseInstrumentation } = require('@opentelemetry/instrumentation-mongoose') as typeof import('@opentelemetry/instrumentation-mongoose');
  const { KafkaJsInstrumentation } = require('@opentelemetry/instrumentation-kafkajs') as typeof import('@opentelemetry/instrumentation-kafkajs');

  const sdk: NodeSDK = new Sdk({
    serviceName: options.serviceName,
    resource: resources.resourceFromAttributes({ 'service.version': options.serviceVersion }),
    traceExporter: createExporter(options),
    // W3C Trace Context (an incoming `traceparent` continues the caller's trace) and W3C Baggage.
    textMapPropagator: new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
    // Traces only: metrics stay on Prometheus (/metrics), logs on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]),
      }),
      new ExpressInstrumentation(),
      // Resolver spans for the root fields only: one per field of every order returned would drown the trace.
      new GraphQLInstrumentation({ depth: 1, ignoreTrivialResolveSpans: true, mergeItems: true }),
      new MongoDBInstrumentation(),
      new MongooseInstrumentation(),
      new KafkaJsInstrumentation(),
    ],
  });
  sdk.start();

  let stopped: Promise<void> | null = null;
  return {
    enabled: true,
    // Bounded: an unreachable collector must not hold up the exit of a stopping service.
    shutdown: () =>
      (stopped ??= new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SHUTDOWN_FLUSH_TIMEOUT_MS);
        timer.unref();
        sdk.shutdown().then(
          () => resolve(),
          () => resolve(),
        );
      })),
  };
}

/**
 * The W3C `traceparent` of the span active now, or null when there is none (tracing off, or no span).
 * Events take it at the moment they are stored, so an event belongs to the trace of the request that caused it.
 */
export function activeTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/**
 * Runs `fn` outside any request's trace, with tracing suppressed: for background work (the outbox relay's polling and
 * bookkeeping) that would otherwise either join whichever request happened to start its timer, or send a trace per poll.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(suppressTracing(ROOT_CONTEXT), fn);
}

/** A Kafka producer span for one stored event, child of the context the event was stored in (its `traceparent`). */
export function startPublishSpan(topic: string, key: string, eventType: string, eventId: string, traceparent: string | null): Span {
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  return trace.getTracer(TRACER_NAME).startSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.name': 'send',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        'messaging.kafka.message.key': key,
        'messaging.message.id': eventId,
        'cloudevents.event_id': eventId,
        'cloudevents.event_type': eventType,
      },
    },
    parent,
  );
}

/** The headers that carry `span`'s context to consumers (empty when tracing is off). */
export function traceHeaders(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return headers;
}

export function endSpans(spans: Span[], error?: unknown): void {
  for (const span of spans) {
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    span.end();
  }
}
