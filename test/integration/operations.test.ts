import { defaultAuthorization } from '../support/test-auth';
import type { RunningOrderService } from '../../src/order-service';
import { startKafka, stopKafka } from '../support/test-infra';
import { startTestService } from '../support/test-service';

describe('operations endpoints', () => {
  let service: RunningOrderService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop();
  });

  it('GET /health answers 200 without touching dependencies', async () => {
    const response = await fetch(`${service.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'healthy', service: 'order-service', version: expect.any(String) });
  });

  it('echoes the correlation id it was sent, and generates one when absent', async () => {
    const sent = await fetch(`${service.url}/health`, { headers: { 'X-WMS-Correlation-ID': '550e8400-e29b-41d4-a716-446655440000' } });
    expect(sent.headers.get('x-wms-correlation-id')).toBe('550e8400-e29b-41d4-a716-446655440000');
    const generated = await fetch(`${service.url}/health`);
    expect(generated.headers.get('x-wms-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /metrics exposes process metrics and the HTTP request histogram by method, route and status', async () => {
    await fetch(`${service.url}/health`);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/);
  });

  it('GET /ready is 200 with both checks up, 503 naming kafka while the broker is down, and 200 again after', async () => {
    const up = await fetch(`${service.url}/ready`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready', checks: { mongodb: { status: 'up' }, kafka: { status: 'up' } } });

    stopKafka();
    try {
      const down = await fetch(`${service.url}/ready`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as any;
      expect(body.failed).toEqual(['kafka']);
      expect(body.checks.mongodb).toEqual({ status: 'up' });
      expect(body.checks.kafka.status).toBe('down');
    } finally {
      startKafka();
    }
    const back = await fetch(`${service.url}/ready`);
    expect(back.status).toBe(200);
  }, 120_000);

  it('answers { _service { sdl } } with the Federation 2 link', async () => {
    const response = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: await defaultAuthorization() },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    const body = (await response.json()) as any;
    expect(body.data._service.sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.5"');
  });
});
