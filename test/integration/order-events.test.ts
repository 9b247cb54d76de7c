import { defaultAuthorization } from '../support/test-auth';
import { ORDER_EVENT_TYPES } from '../../src/models/order.events';
import type { RunningOrderService } from '../../src/order-service';
import { assertMatchesAsyncApi } from '../support/asyncapi';
import { EventCollector, eventually, startServiceProcess } from '../support/dlq-support';
import { CANCEL, FULFILL_BACKORDER, RECORD_PARTIAL, VALIDATE, createOrder, ok, walkTo } from '../support/graphql-client';
import { startKafka, stopKafka, TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { startTestService, uniqueName } from '../support/test-service';

describe('order events on Kafka (real broker, through the outbox)', () => {
  let service: RunningOrderService;
  let collector: EventCollector;

  beforeAll(async () => {
    service = await startTestService();
    collector = new EventCollector();
    await collector.start();
  });
  afterAll(async () => {
    await collector.stop();
    await service.stop();
  });

  const typesOf = (orderId: string) => collector.of(orderId).map((event) => event.type);

  it('publishes exactly one event per change, keyed by orderId, in CloudEvents structured mode matching the AsyncAPI document', async () => {
    const order = await createOrder(service, { items: [{ sku: 'SKU-1', quantity: 5, unitPrice: 2.5 }] });
    await walkTo(service, order.id, 'picking');
    const recorded = await ok(service, RECORD_PARTIAL, { id: order.id, lines: [{ sku: 'SKU-1', quantityFulfilled: 3, reason: 'DAMAGED' }] });
    await ok(service, FULFILL_BACKORDER, { backorderId: recorded.backorders[0].backorderId });
    const cancelledOrder = await createOrder(service);
    await ok(service, CANCEL, { id: cancelledOrder.id, reason: 'Customer request' });
    const shippedOrder = await createOrder(service);
    await walkTo(service, shippedOrder.id, 'completed');

    await collector.waitFor(shippedOrder.id, 'wms.order.completed');
    await collector.waitFor(order.id, 'wms.order.backorder-fulfilled');
    await collector.waitFor(cancelledOrder.id, 'wms.order.cancelled');

    expect(typesOf(order.id)).toEqual([
      'wms.order.received',
      'wms.order.validated',
      'wms.order.wave-assigned',
      'wms.order.partially-fulfilled',
      'wms.order.backorder-created',
      'wms.order.backorder-fulfilled',
    ]);
    expect(typesOf(cancelledOrder.id)).toEqual(['wms.order.received', 'wms.order.cancelled']);
    expect(typesOf(shippedOrder.id)).toEqual([
      'wms.order.received',
      'wms.order.validated',
      'wms.order.wave-assigned',
      'wms.order.shipped',
      'wms.order.completed',
    ]);

    for (const record of collector.records.filter((r) => [order.id, cancelledOrder.id, shippedOrder.id].includes(r.event.subject))) {
      expect(record.key).toBe(record.event.subject);
      expect(record.headers['content-type']).toBe('application/cloudevents+json');
      expect(ORDER_EVENT_TYPES).toContain(record.event.type);
      assertMatchesAsyncApi(record.event, { key: record.key ?? undefined, headers: record.headers });
    }

    const [partial] = collector.of(order.id, 'wms.order.partially-fulfilled');
    expect(partial.data).toMatchObject({
      type: 'wms.order.partially-fulfilled',
      orderId: order.id,
      fulfilledItems: [{ sku: 'SKU-1', quantityOrdered: 5, quantityFulfilled: 3 }],
      backorderedItems: [{ sku: 'SKU-1', quantityOrdered: 5, quantityShort: 2, reason: 'damaged' }],
      fulfillmentRatio: 0.6,
    });
    const [received] = collector.of(shippedOrder.id, 'wms.order.received');
    expect(received.data).toMatchObject({ orderId: shippedOrder.id, customerId: shippedOrder.customerId, priority: 'standard', totalValue: 60.07 });
    const [cancelled] = collector.of(cancelledOrder.id, 'wms.order.cancelled');
    expect(cancelled.data).toMatchObject({ orderId: cancelledOrder.id, customerId: cancelledOrder.customerId, reason: 'Customer request' });
  });

  it("keeps one order's events on one partition in lifecycle order", async () => {
    const order = await createOrder(service);
    await walkTo(service, order.id, 'completed');
    await collector.waitFor(order.id, 'wms.order.completed');
    const records = collector.records.filter((record) => record.event.subject === order.id);
    expect(new Set(records.map((record) => record.partition)).size).toBe(1);
    const byOffset = [...records].sort((a, b) => a.offset - b.offset).map((record) => record.event.type);
    expect(byOffset).toEqual(['wms.order.received', 'wms.order.validated', 'wms.order.wave-assigned', 'wms.order.shipped', 'wms.order.completed']);
  });

  it('carries the correlation headers of the request into the event, and a generated id when absent', async () => {
    const headers = {
      'X-WMS-Correlation-ID': '550e8400-e29b-41d4-a716-446655440000',
      'X-WMS-Wave-Number': 'WAVE-2024-00123',
      'X-WMS-Workflow-ID': 'order-fulfillment-ORD-12345',
    };
    const correlated = await createOrder(service, {}, headers);
    const response = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: await defaultAuthorization() },
      body: JSON.stringify({ query: 'mutation($id: ID!) { validateOrder(id: $id) { id } }', variables: { id: correlated.id } }),
    });
    const generatedId = response.headers.get('x-wms-correlation-id');
    const [created] = await collector.waitFor(correlated.id, 'wms.order.received');
    expect(created).toMatchObject({
      wmscorrelationid: headers['X-WMS-Correlation-ID'],
      wmswavenumber: 'WAVE-2024-00123',
      wmsworkflowid: 'order-fulfillment-ORD-12345',
      wmstenantid: 'default',
    });
    const [validated] = await collector.waitFor(correlated.id, 'wms.order.validated');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    expect(validated.wmscorrelationid).toBe(generatedId);
    expect(validated).not.toHaveProperty('wmswavenumber');
  });

  it('loses nothing while the broker is down: 200 writes during the outage all arrive afterwards, ids distinct, order kept', async () => {
    stopKafka();
    let orderIds: string[] = [];
    try {
      // 100 creates + 100 validations = 200 state changes, each acknowledged while Kafka is unreachable.
      const created = await Promise.all(Array.from({ length: 100 }, () => createOrder(service)));
      orderIds = created.map((order) => order.id);
      await Promise.all(orderIds.map((id) => ok(service, VALIDATE, { id })));
    } finally {
      startKafka();
    }
    const outageCollector = new EventCollector();
    await outageCollector.start();
    try {
      await eventually(
        () => {
          const arrived = outageCollector.events.filter((event) => orderIds.includes(event.subject));
          if (arrived.length < 200) throw new Error(`${arrived.length} of 200 events arrived`);
        },
        90_000,
        200,
      );
      const arrived = outageCollector.records.filter((record) => orderIds.includes(record.event.subject));
      expect(arrived).toHaveLength(200);
      expect(new Set(arrived.map((record) => record.event.id)).size).toBe(200);
      for (const id of orderIds) {
        const ofOrder = arrived.filter((record) => record.event.subject === id).sort((a, b) => a.offset - b.offset);
        expect(ofOrder.map((record) => record.event.type)).toEqual(['wms.order.received', 'wms.order.validated']);
      }
    } finally {
      await outageCollector.stop();
    }
  }, 180_000);

  it('delivers every acknowledged event after the service is killed before publishing them', async () => {
    const database = uniqueName('crash');
    const env = { MONGODB_URI: TEST_MONGODB_URI, KAFKA_BROKERS: TEST_KAFKA_BROKERS, MONGODB_DATABASE: database };
    // The first process stores events but never publishes (relay off), then dies without any shutdown.
    const doomed = await startServiceProcess({ ...env, OUTBOX_RELAY_ENABLED: 'false' });
    const orders: Array<{ id: string }> = [];
    for (let i = 0; i < 10; i += 1) orders.push(await createOrder(doomed));
    await ok(doomed, VALIDATE, { id: orders[1].id });
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(collector.events.filter((event) => orders.some((order) => order.id === event.subject))).toEqual([]);

    const successor = await startServiceProcess(env);
    try {
      await eventually(
        () => {
          const arrived = collector.events.filter((event) => orders.some((order) => order.id === event.subject));
          if (arrived.length < 11) throw new Error(`${arrived.length} of 11 events arrived`);
        },
        30_000,
        100,
      );
      const arrived = collector.events.filter((event) => orders.some((order) => order.id === event.subject));
      expect(arrived).toHaveLength(11);
      expect(collector.of(orders[1].id).map((event) => event.type)).toEqual(['wms.order.received', 'wms.order.validated']);
    } finally {
      await successor.stop();
    }
  }, 120_000);
});
