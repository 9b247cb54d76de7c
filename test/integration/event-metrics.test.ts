import type { RunningOrderService } from '../../src/order-service';
import { graphql, startTestService } from '../support/test-service';

/** The event metrics of CONTRACT §7 on /metrics: published by type, publish latency, outbox backlog and its age. */

const CREATE_ORDER = `mutation Create($input: CreateOrderInput!) { createOrder(input: $input) { id } }`;
const ORDER_INPUT = {
  customerId: 'CUST-METRICS',
  priority: 'SAME_DAY',
  items: [{ sku: 'SKU-001', quantity: 1, unitPrice: 5 }],
  shippingAddress: { street: '1 Main St', city: 'New York', state: 'NY', zipCode: '10001', country: 'US' },
};

async function createOrder(service: RunningOrderService): Promise<string> {
  const result = await graphql<{ createOrder: { id: string } }>(service, CREATE_ORDER, { input: ORDER_INPUT });
  if (!result.data) throw new Error(`createOrder failed: ${JSON.stringify(result.errors)}`);
  return result.data.createOrder.id;
}

/** The value of one sample of the Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metricsText(service: RunningOrderService): Promise<string> {
  return (await fetch(`${service.url}/metrics`)).text();
}

async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('event metrics', () => {
  describe('with the relay publishing', () => {
    let service: RunningOrderService;
    beforeAll(async () => {
      service = await startTestService();
    });
    afterAll(async () => {
      await service.stop();
    });

    it('counts the published event by type and observes its publish latency', async () => {
      const before = await metricsText(service);
      expect(sample(before, 'events_published_total{type="wms.order.received"}') ?? 0).toBe(0);
      expect(sample(before, 'event_publish_latency_seconds_count')).toBe(0);

      await createOrder(service);
      const text = await eventually(async () => {
        const current = await metricsText(service);
        expect(sample(current, 'events_published_total{type="wms.order.received"}')).toBeGreaterThanOrEqual(1);
        return current;
      });
      expect(sample(text, 'event_publish_latency_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'event_publish_latency_seconds_sum')).toBeGreaterThan(0);
      // Only what happened: no other public event type was published.
      expect(text).not.toMatch(/events_published_total\{type="wms\.order\.(validated|cancelled|shipped)"\}/);
      expect(text).toContain('# TYPE outbox_backlog_orders gauge');
      expect(text).toContain('# TYPE outbox_oldest_event_age_seconds gauge');
    });
  });

  describe('with the relay off (events stay in the outbox)', () => {
    let service: RunningOrderService;
    beforeAll(async () => {
      service = await startTestService({ OUTBOX_RELAY_ENABLED: 'false' });
    });
    afterAll(async () => {
      await service.stop();
    });

    it('reports the backlog and the age of the oldest unpublished event, and publishes nothing', async () => {
      await createOrder(service);
      await createOrder(service);
      // The gauges are refreshed from the store every 5 s.
      const text = await eventually(async () => {
        const current = await metricsText(service);
        expect(sample(current, 'outbox_backlog_orders')).toBe(2);
        return current;
      }, 15_000);
      expect(sample(text, 'outbox_oldest_event_age_seconds')).toBeGreaterThan(0);
      expect(sample(text, 'event_publish_latency_seconds_count')).toBe(0);
      expect(sample(text, 'events_published_total{type="wms.order.received"}') ?? 0).toBe(0);
    }, 30_000);
  });
});
