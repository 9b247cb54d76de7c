import { contextFromHeaders } from '../../src/observability/request-context';
import { activeTraceparent, otlpTraceUrl, startPublishSpan, startTracing, traceHeaders, untraced } from '../../src/observability/tracing';

/** Tracing without the SDK (the unit-test process never starts it): everything must be a cheap no-op. */

describe('otlpTraceUrl', () => {
  it('reads a scheme-less endpoint, like the default localhost:4317, as a plain-text collector', () => {
    expect(otlpTraceUrl('localhost:4317', 'grpc')).toBe('http://localhost:4317');
    expect(otlpTraceUrl('collector:4318', 'http/protobuf')).toBe('http://collector:4318/v1/traces');
  });

  it('keeps an explicit scheme, and appends the traces path for the HTTP protocols only', () => {
    expect(otlpTraceUrl('https://collector.example:4317', 'grpc')).toBe('https://collector.example:4317');
    expect(otlpTraceUrl('http://127.0.0.1:4318', 'http/json')).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpTraceUrl('https://otel.example/base/', 'http/json')).toBe('https://otel.example/base/v1/traces');
  });
});

describe('with tracing off', () => {
  it('starts nothing and shuts down at once', async () => {
    const tracing = startTracing({ enabled: false, serviceName: 'order-service', serviceVersion: '0.0.0', endpoint: 'localhost:4317', protocol: 'grpc' });
    expect(tracing.enabled).toBe(false);
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });

  it('has no active traceparent, so events fall back to the incoming header', () => {
    expect(activeTraceparent()).toBeNull();
    expect(untraced(() => activeTraceparent())).toBeNull();
  });

  it('makes non-recording publish spans that add no headers to Kafka records', () => {
    const span = startPublishSpan(
      'wms.orders.events',
      'ORD-0123456789AB',
      'wms.order.received',
      'id-1',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
    expect(span.isRecording()).toBe(false);
    expect(traceHeaders(span)).toEqual({});
    span.end();
  });

  it('runs untraced work and returns its result', async () => {
    await expect(untraced(async () => 42)).resolves.toBe(42);
  });
});

describe('incoming traceparent header', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('is kept when well formed', () => {
    expect(contextFromHeaders({ traceparent: valid }).traceparent).toBe(valid);
  });

  it.each([
    ['malformed', 'not-a-traceparent'],
    ['upper-case hex', valid.toUpperCase()],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['the forbidden version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ])('is dropped when %s', (_case, header) => {
    expect(contextFromHeaders({ traceparent: header }).traceparent).toBeNull();
  });

  it('is null when absent', () => {
    expect(contextFromHeaders({}).traceparent).toBeNull();
  });
});
