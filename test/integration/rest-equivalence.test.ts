import { bearer } from '../support/test-auth';
import { Kafka, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC } from '../../src/events/topics';
import type { RunningOrderService } from '../../src/order-service';
import { DLQ_ENTRY, INCREMENT, MOVE_TO_DLQ, RESOLVE } from '../support/dlq-support';
import { ASSIGN, CANCEL, COMPLETE, CREATE_ORDER, SHIP, START_PACKING, START_PICKING, UPDATE, VALIDATE, fails, ok } from '../support/graphql-client';
import { expectStatus, rest } from '../support/rest-client';
import { TEST_KAFKA_BROKERS } from '../support/test-infra';
import { graphql, startTestService, uniqueName } from '../support/test-service';

/**
 * The same scenario over REST and over GraphQL must leave the same orders (GraphQL view, REST view and stored
 * document) and publish the same events: REST only maps HTTP to the GraphQL operation.
 */

const TIME_KEYS = /(^at$|At$|^time$|^timestamp$)/;
/** Times the scenario sets itself, so they must be equal as they are. */
const GIVEN_TIMES = new Set(['promisedDeliveryAt', 'deliveredAt', 'failedAt', 'lastFailedAt']);
const ID_KEYS = new Set(['id', 'orderId', 'subject', 'correlationId', 'wmscorrelationid', '_id']);

/** Replaces what legitimately differs between two runs (ids, times, correlation ids) by placeholders. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value instanceof Date) return '<time>';
  if (value && typeof value === 'object' && value.constructor?.name === 'ObjectId') return '<id>';
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => {
        if (ID_KEYS.has(key) && child !== null) return [key, '<id>'];
        if (TIME_KEYS.test(key) && child !== null && !GIVEN_TIMES.has(key)) return [key, '<time>'];
        return [key, normalise(child)];
      }),
    );
  }
  return value;
}

const GRAPHQL_ORDER = `query Get($id: ID!) { order(id: $id) {
  id customerId priority status promisedDeliveryAt version isLate totalItems totalQuantity totalWeight totalValue
  waveId trackingNumber carrier deliveredAt fulfillmentRatio deadLettered cancellation { reason cancelledAt }
  items { sku quantity unitPrice productName weight quantityFulfilled quantityBackordered }
  shippingAddress { street street2 city state zipCode country recipientName phone }
  backorders { backorderId status items { sku quantityShort reason } createdAt fulfilledAt }
  retry { count maxRetries lastFailureReason lastFailureStatus lastFailedAt nextRetryAt }
  statusHistory { from to at reason correlationId } createdAt updatedAt
} }`;

const input = {
  customerId: 'EQUIV-001',
  promisedDeliveryAt: '2099-12-27T17:00:00Z',
  items: [
    { sku: 'SKU-001', quantity: 2, unitPrice: 29.99, productName: 'Widget', weight: 1.25 },
    { sku: 'SKU-002', quantity: 5, unitPrice: 0.1 },
  ],
  shippingAddress: { street: '123 Main St', city: 'New York', state: 'NY', zipCode: '10001', country: 'US', recipientName: 'Ann' },
};
const patch = { items: [{ sku: 'SKU-009', quantity: 3, unitPrice: 4.5 }], promisedDeliveryAt: null };

describe('REST and GraphQL are equivalent (real store and Kafka)', () => {
  let service: RunningOrderService;
  const ids = { restLifecycle: '', graphqlLifecycle: '', restCancelled: '', graphqlCancelled: '', restDeadLettered: '', graphqlDeadLettered: '' };
  const failures = [
    { failureReason: 'Picking station offline', failedAt: '2030-01-01T10:00:00Z', failureStatus: 'picking', workflowId: 'wf-1', runId: 'run-1' },
    { failureReason: 'Inventory unavailable', failedAt: '2030-01-01T10:30:00Z' },
  ];

  beforeAll(async () => {
    service = await startTestService();

    // Full lifecycle over REST …
    const created = await rest(service, 'POST', '/orders', { body: { ...input, priority: 'same_day' } });
    expectStatus(created, 201);
    ids.restLifecycle = created.body.orderId;
    for (const [action, body] of [
      ['validate', undefined],
      ['assign-wave', { waveId: 'WAVE-2024-00123' }],
      ['start-picking', undefined],
      ['start-packing', undefined],
      ['ship', { trackingNumber: '1Z999', carrier: 'UPS' }],
      ['complete', { deliveredAt: '2030-01-02T03:04:05Z' }],
    ] as const) {
      expectStatus(await rest(service, 'PUT', `/orders/${ids.restLifecycle}/${action}`, { body }), 200);
    }
    // … and over GraphQL.
    ids.graphqlLifecycle = (await ok(service, CREATE_ORDER, { input: { ...input, priority: 'SAME_DAY' } })).id;
    const id = ids.graphqlLifecycle;
    await ok(service, VALIDATE, { id });
    await ok(service, ASSIGN, { id, waveId: 'WAVE-2024-00123' });
    await ok(service, START_PICKING, { id });
    await ok(service, START_PACKING, { id });
    await ok(service, SHIP, { id, trackingNumber: '1Z999', carrier: 'UPS' });
    await ok(service, COMPLETE, { id, deliveredAt: '2030-01-02T03:04:05Z' });

    // Modify then cancel, both ways.
    ids.restCancelled = (await rest(service, 'POST', '/orders', { body: { ...input, priority: 'standard' } })).body.orderId;
    expectStatus(
      await rest(service, 'PATCH', `/orders/${ids.restCancelled}`, { body: { ...patch, priority: 'next_day' }, headers: { 'If-Match': '"1"' } }),
      200,
    );
    expectStatus(await rest(service, 'POST', `/orders/${ids.restCancelled}/cancel`, { body: { reason: 'Customer request' } }), 200);
    ids.graphqlCancelled = (await ok(service, CREATE_ORDER, { input: { ...input, priority: 'STANDARD' } })).id;
    await ok(service, UPDATE, { id: ids.graphqlCancelled, input: { ...patch, priority: 'NEXT_DAY' }, expectedVersion: 1 });
    await ok(service, CANCEL, { id: ids.graphqlCancelled, reason: 'Customer request' });

    // Fail twice in picking, move to the dead letter queue, escalate: both ways.
    ids.restDeadLettered = (await rest(service, 'POST', '/orders', { body: { ...input, priority: 'next_day' } })).body.orderId;
    for (const [action, body] of [
      ['validate', undefined],
      ['assign-wave', { waveId: 'WAVE-9' }],
      ['start-picking', undefined],
    ] as const) {
      expectStatus(await rest(service, 'PUT', `/orders/${ids.restDeadLettered}/${action}`, { body }), 200);
    }
    for (const failure of failures)
      expectStatus(await rest(service, 'POST', `/reprocessing/orders/${ids.restDeadLettered}/retry-count`, { body: failure }), 200);
    expectStatus(
      await rest(service, 'POST', `/reprocessing/orders/${ids.restDeadLettered}/dlq`, { body: { failureStatus: 'picking', failureReason: 'Stock gone' } }),
      200,
    );
    expectStatus(
      await rest(service, 'PATCH', `/dead-letter-queue/${ids.restDeadLettered}/resolve`, {
        body: { resolution: 'escalated', notes: 'Ask purchasing', resolvedBy: 'SUP-1' },
        headers: { authorization: await bearer({ sub: 'SUP-1' }) },
      }),
      200,
    );
    ids.graphqlDeadLettered = (await ok(service, CREATE_ORDER, { input: { ...input, priority: 'NEXT_DAY' } })).id;
    await ok(service, VALIDATE, { id: ids.graphqlDeadLettered });
    await ok(service, ASSIGN, { id: ids.graphqlDeadLettered, waveId: 'WAVE-9' });
    await ok(service, START_PICKING, { id: ids.graphqlDeadLettered });
    for (const failure of failures) await ok(service, INCREMENT, { orderId: ids.graphqlDeadLettered, input: failure });
    await ok(service, MOVE_TO_DLQ, { orderId: ids.graphqlDeadLettered, failureStatus: 'picking', failureReason: 'Stock gone' });
    await ok(
      service,
      RESOLVE,
      { orderId: ids.graphqlDeadLettered, resolution: 'ESCALATED', notes: 'Ask purchasing', resolvedBy: 'SUP-1' },
      { authorization: await bearer({ sub: 'SUP-1' }) },
    );
  });
  afterAll(async () => {
    await service.stop();
  });

  const pairs = [
    ['the full lifecycle', 'restLifecycle', 'graphqlLifecycle'],
    ['modify then cancel', 'restCancelled', 'graphqlCancelled'],
    ['retries, dead letter queue, escalation', 'restDeadLettered', 'graphqlDeadLettered'],
  ] as const;

  it.each(pairs)('%s leaves the same order as GraphQL sees it', async (_name, viaRest, viaGraphql) => {
    const [a, b] = await Promise.all([ok(service, GRAPHQL_ORDER, { id: ids[viaRest] }), ok(service, GRAPHQL_ORDER, { id: ids[viaGraphql] })]);
    expect(normalise(a)).toEqual(normalise(b));
    expect(a.status).toMatch(/COMPLETED|CANCELLED|PICKING/);
  });

  it.each(pairs)('%s leaves the same order as REST sees it', async (_name, viaRest, viaGraphql) => {
    const [a, b] = await Promise.all([rest(service, 'GET', `/orders/${ids[viaRest]}`), rest(service, 'GET', `/orders/${ids[viaGraphql]}`)]);
    expect(normalise(a.body)).toEqual(normalise(b.body));
    expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
  });

  it.each(pairs)('%s stores the same document', async (_name, viaRest, viaGraphql) => {
    const orders = service.services.mongo.collection('orders');
    const projection = { outbox: 0, outboxPending: 0, outboxSeq: 0, outboxPublishedSeq: 0, outboxLeaseOwner: 0, outboxLeaseUntil: 0 };
    const [a, b] = await Promise.all([orders.findOne({ orderId: ids[viaRest] }, { projection }), orders.findOne({ orderId: ids[viaGraphql] }, { projection })]);
    expect(a).not.toBeNull();
    expect(normalise(a)).toEqual(normalise(b));
  });

  it('leaves the same dead letter queue entry, over REST and over GraphQL', async () => {
    const [viaRest, viaGraphql] = await Promise.all([
      rest(service, 'GET', `/dead-letter-queue/${ids.restDeadLettered}`),
      rest(service, 'GET', `/dead-letter-queue/${ids.graphqlDeadLettered}`),
    ]);
    expectStatus(viaRest, 200);
    expect(viaRest.body).toMatchObject({ resolved: true, resolution: 'escalated', retryCount: 2, originalOrder: { status: 'picking' } });
    expect(normalise(viaRest.body)).toEqual(normalise(viaGraphql.body));
    const [a, b] = await Promise.all([ok(service, DLQ_ENTRY, { orderId: ids.restDeadLettered }), ok(service, DLQ_ENTRY, { orderId: ids.graphqlDeadLettered })]);
    expect(normalise(a)).toEqual(normalise(b));
  });

  it('publishes the same events, in the same order, with the same data', async () => {
    const kafka = new Kafka({ clientId: 'rest-equivalence', brokers: [TEST_KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('rest-equivalence') });
    const wanted = new Map<string, Array<{ type: string; data: unknown }>>(Object.values(ids).map((id) => [id, []]));
    const expectedCounts: Record<string, number> = {
      [ids.restLifecycle]: 5,
      [ids.graphqlLifecycle]: 5,
      [ids.restCancelled]: 2,
      [ids.graphqlCancelled]: 2,
      [ids.restDeadLettered]: 6,
      [ids.graphqlDeadLettered]: 6,
    };
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: ORDER_EVENTS_TOPIC, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`events missing: ${JSON.stringify([...wanted].map(([id, events]) => [id, events.length]))}`)), 45_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            const event = JSON.parse(String(message.value)) as { subject: string; type: string; data: unknown };
            wanted.get(event.subject)?.push({ type: event.type, data: event.data });
            if ([...wanted].every(([id, events]) => events.length >= expectedCounts[id])) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    const types = (id: string) => wanted.get(id)!.map((event) => event.type);
    expect(types(ids.restLifecycle)).toEqual([
      'wms.order.received',
      'wms.order.validated',
      'wms.order.wave-assigned',
      'wms.order.shipped',
      'wms.order.completed',
    ]);
    expect(types(ids.restCancelled)).toEqual(['wms.order.received', 'wms.order.cancelled']);
    expect(normalise(wanted.get(ids.restLifecycle))).toEqual(normalise(wanted.get(ids.graphqlLifecycle)));
    expect(normalise(wanted.get(ids.restCancelled))).toEqual(normalise(wanted.get(ids.graphqlCancelled)));
    expect(types(ids.restDeadLettered)).toEqual([
      'wms.order.received',
      'wms.order.validated',
      'wms.order.wave-assigned',
      'wms.order.retry-scheduled',
      'wms.order.retry-scheduled',
      'wms.order.moved-to-dlq',
    ]);
    expect(normalise(wanted.get(ids.restDeadLettered))).toEqual(normalise(wanted.get(ids.graphqlDeadLettered)));
  }, 60_000);

  it('refuses the same operation with the same error: 409 over REST carries the GraphQL CONFLICT details', async () => {
    const viaRest = await rest(service, 'PUT', `/orders/${ids.restLifecycle}/cancel`, { body: { reason: 'late' } });
    const viaGraphql = await fails(service, CANCEL, { id: ids.graphqlLifecycle, reason: 'late' });
    expectStatus(viaRest, 409);
    expect(viaGraphql.extensions?.code).toBe('CONFLICT');
    const { code: _code, ...details } = viaGraphql.extensions!;
    expect(normalise(viaRest.body.details)).toEqual(normalise(details));
    expect(viaRest.body.message.replace(ids.restLifecycle, '<id>')).toBe(viaGraphql.message.replace(ids.graphqlLifecycle, '<id>'));
  });

  it('reports the same bad fields: REST VALIDATION_ERROR issues are the GraphQL BAD_USER_INPUT issues', async () => {
    const bad = { ...input, customerId: 'bad id', items: [{ sku: 'A', quantity: 0, unitPrice: 1.005 }] };
    const viaRest = await rest(service, 'POST', '/orders', { body: { ...bad, priority: 'standard' } });
    const viaGraphql = await graphql(service, CREATE_ORDER, { input: { ...bad, priority: 'STANDARD' } });
    expectStatus(viaRest, 400);
    expect(viaGraphql.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(viaRest.body.details.issues).toEqual(viaGraphql.errors?.[0].extensions?.issues);
  });
});
