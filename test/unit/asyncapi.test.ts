import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent, type CloudEvent } from '../../src/events/cloudevent';
import {
  ORDER_EVENT_TYPES,
  backorderCreated,
  backorderFulfilled,
  orderCancelled,
  orderCompleted,
  orderMovedToDlq,
  orderPartiallyFulfilled,
  orderReceived,
  orderRetryScheduled,
  orderShipped,
  orderValidated,
  orderWaveAssigned,
  type OrderEvent,
  type OrderEventType,
} from '../../src/models/order.events';
import { ORDER_EVENTS_TOPIC } from '../../src/events/topics';
import { recordPartialFulfillment } from '../../src/models/order.fulfilment';
import type { OutboxEntryDoc } from '../../src/store/order.document';
import { ASYNCAPI_PATH, assertMatchesAsyncApi, inlineRefs, loadAsyncApi } from '../support/asyncapi';
import { NOW, ORDER_ID, WAVE_ID, aReceivedOrder, anOpenBackorder, anOrderIn, ctxAt } from './factories/order.factory';

const EVENT_ID = '3f1c2a9e-8d4b-4e7a-9c1d-5b6a7e8f9a0b';

/** Wraps an event exactly as the relay does: outbox entry → CloudEvent. */
function wrap(event: OrderEvent, extensions: Partial<Pick<OutboxEntryDoc, 'correlationId' | 'waveNumber' | 'workflowId' | 'traceparent'>> = {}): CloudEvent {
  const entry: OutboxEntryDoc = {
    id: EVENT_ID,
    seq: 1,
    topic: ORDER_EVENTS_TOPIC,
    type: event.type,
    data: event.data as unknown as Record<string, unknown>,
    time: NOW,
    correlationId: null,
    waveNumber: null,
    workflowId: null,
    traceparent: null,
    ...extensions,
  };
  // Through JSON, as a consumer reads it from Kafka.
  return JSON.parse(JSON.stringify(toCloudEvent(entry, ORDER_ID, 'default'))) as CloudEvent;
}

const order = aReceivedOrder();
const picking = anOrderIn('picking');
const backorder = anOpenBackorder();

/** At least one sample per type, made by the real builders (and, where there is one, the real decision). */
const SAMPLES: Record<OrderEventType, OrderEvent[]> = {
  'wms.order.received': [orderReceived(order, NOW), orderReceived(aReceivedOrder({ promisedDeliveryAt: null }), NOW)],
  'wms.order.validated': [orderValidated(order, NOW)],
  'wms.order.wave-assigned': [orderWaveAssigned(order, WAVE_ID, NOW)],
  'wms.order.shipped': [orderShipped(order, { trackingNumber: '1Z999AA10123456784', carrier: 'UPS' }, NOW)],
  'wms.order.cancelled': [orderCancelled(order, 'Customer request', NOW)],
  'wms.order.completed': [orderCompleted(order, NOW, NOW)],
  'wms.order.retry-scheduled': [
    orderRetryScheduled(order, { retryNumber: 3, failureStatus: 'picking', failureReason: 'Inventory unavailable' }, NOW),
    // A dead-lettered order released for a manual retry announces retry 0.
    orderRetryScheduled(order, { retryNumber: 0, failureStatus: 'shipping', failureReason: 'Carrier API down' }, NOW),
  ],
  'wms.order.moved-to-dlq': [orderMovedToDlq(order, { finalFailureStatus: 'picking', finalFailureReason: 'Max retries exceeded', totalRetryAttempts: 5 }, NOW)],
  'wms.order.partially-fulfilled': [
    orderPartiallyFulfilled(
      order,
      {
        fulfilledItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityFulfilled: 3 }],
        backorderedItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityShort: 2, reason: 'quantity_mismatch' }],
        fulfillmentRatio: 0.6,
      },
      NOW,
    ),
  ],
  'wms.order.backorder-created': [backorderCreated(order, backorder, NOW)],
  'wms.order.backorder-fulfilled': [backorderFulfilled(order, { ...backorder, status: 'fulfilled', fulfilledAt: NOW }, NOW)],
};

// The decision that records a shortage emits partially-fulfilled and backorder-created together: check both as made.
const shortage = recordPartialFulfillment(
  picking,
  { lines: [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'damaged' }], newBackorderId: () => 'BO-0123456789AB' },
  ctxAt(),
);
for (const event of shortage?.events ?? []) SAMPLES[event.type].push(event);

const ALL_EXTENSIONS = {
  correlationId: '550e8400-e29b-41d4-a716-446655440000',
  waveNumber: 'WAVE-2024-00123',
  workflowId: 'order-fulfillment-ORD-12345',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

describe('docs/asyncapi.yaml', () => {
  const contract = loadAsyncApi();

  it('is a valid AsyncAPI 3.0 document (official JSON Schema of @asyncapi/specs)', () => {
    const official = require('@asyncapi/specs/schemas/3.0.0-without-$id.json') as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(official);
    const document = parse(readFileSync(ASYNCAPI_PATH, 'utf8'));
    const valid = validate(document);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The check has teeth: an AsyncAPI 2 style operation is refused.
    const broken = structuredClone(document);
    broken.operations.publishOrderEvents.action = 'publish';
    expect(validate(broken)).toBe(false);
  });

  it('describes the topic of the code, and every $ref in it resolves', () => {
    expect(contract.document.asyncapi).toBe('3.0.0');
    expect(contract.address).toBe(ORDER_EVENTS_TOPIC);
    expect(contract.document.defaultContentType).toBe(CLOUDEVENTS_CONTENT_TYPE);
    expect(() => inlineRefs(contract.document, contract.document)).not.toThrow();
  });

  it('has exactly one message per type of ORDER_EVENT_TYPES, each as application/cloudevents+json', () => {
    expect([...contract.messages.keys()].sort()).toEqual([...ORDER_EVENT_TYPES].sort());
    for (const message of contract.messages.values()) expect(message.contentType).toBe(CLOUDEVENTS_CONTENT_TYPE);
  });

  it('has the send operation publish every message of the channel', () => {
    const operation = (contract.document.operations as any).publishOrderEvents;
    expect(operation.action).toBe('send');
    expect(operation.channel.$ref).toBe('#/channels/orderEvents');
    const listed = (operation.messages as Array<{ $ref: string }>).map(({ $ref }) => $ref.replace('#/channels/orderEvents/messages/', '')).sort();
    expect(listed).toEqual([...contract.messages.values()].map((message) => message.key).sort());
  });

  it('compiles every message schema with ajv in strict mode', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    addFormats(ajv);
    for (const message of contract.messages.values()) {
      expect(() => ajv.compile(message.payload)).not.toThrow();
      expect(() => ajv.compile(message.headers ?? {})).not.toThrow();
    }
  });

  it('covers all eleven types with samples from the real builders', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...ORDER_EVENT_TYPES].sort());
    expect(shortage?.events.map(({ type }) => type)).toEqual(['wms.order.partially-fulfilled', 'wms.order.backorder-created']);
    expect(SAMPLES['wms.order.retry-scheduled']).toHaveLength(2);
  });

  describe.each(ORDER_EVENT_TYPES.map((type) => [type]))('%s', (type) => {
    it('matches its message with no optional extension and with all of them, key and headers included', () => {
      for (const event of SAMPLES[type]) {
        const record = { key: ORDER_ID, headers: { 'content-type': Buffer.from(CLOUDEVENTS_CONTENT_TYPE) } };
        expect(() => assertMatchesAsyncApi(wrap(event), record)).not.toThrow();
        expect(() =>
          assertMatchesAsyncApi(wrap(event, ALL_EXTENSIONS), {
            key: Buffer.from(ORDER_ID),
            headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01' },
          }),
        ).not.toThrow();
      }
    });

    it('refuses a missing, an extra or a mistyped data field', () => {
      const good = wrap(SAMPLES[type][0]);
      const [firstField] = Object.keys(good.data).filter((field) => field !== 'type');
      const missing = structuredClone(good);
      delete missing.data[firstField];
      expect(() => assertMatchesAsyncApi(missing)).toThrow(/does not match/);
      const extra = structuredClone(good);
      extra.data.unexpected = 1;
      expect(() => assertMatchesAsyncApi(extra)).toThrow(/does not match/);
      const mistyped = structuredClone(good);
      mistyped.data.timestamp = 12;
      expect(() => assertMatchesAsyncApi(mistyped)).toThrow(/does not match/);
      const otherType = structuredClone(good);
      otherType.data.type = type === 'wms.order.received' ? 'wms.order.validated' : 'wms.order.received';
      expect(() => assertMatchesAsyncApi(otherType)).toThrow(/does not match/);
    });
  });

  const envelope = wrap(SAMPLES['wms.order.validated'][0], ALL_EXTENSIONS);
  const spoilers: Array<[string, (event: any) => void]> = [
    ['an unknown attribute', (event) => (event.partitionkey = ORDER_ID)],
    ['a null extension', (event) => (event.wmswavenumber = null)],
    ['another specversion', (event) => (event.specversion = '0.3')],
    ['another source', (event) => (event.source = '/elsewhere')],
    ['a time that is no date-time', (event) => (event.time = 'yesterday')],
    ['an id that is no UUID', (event) => (event.id = 'not-a-uuid')],
    ['a subject that is no order id', (event) => (event.subject = 'order-1')],
    ['a malformed traceparent', (event) => (event.traceparent = 'abc')],
    ['another datacontenttype', (event) => (event.datacontenttype = 'text/plain')],
    ['no tenant', (event) => delete event.wmstenantid],
    ['no data', (event) => delete event.data],
  ];

  it('accepts the envelope the spoilers below start from', () => {
    expect(() => assertMatchesAsyncApi(envelope)).not.toThrow();
  });

  it.each(spoilers)('refuses an envelope with %s', (_name, spoil) => {
    const bad = structuredClone(envelope);
    spoil(bad);
    expect(() => assertMatchesAsyncApi(bad)).toThrow(/does not match/);
  });

  it('refuses an event type the document does not list', () => {
    expect(() => assertMatchesAsyncApi({ ...envelope, type: 'wms.order.lost' })).toThrow(/not a message/);
  });

  it('refuses a record whose key is not the subject, or whose content-type header is wrong', () => {
    const event = wrap(SAMPLES['wms.order.received'][0]);
    expect(() => assertMatchesAsyncApi(event, { key: 'ORD-ZZZZZZZZZZZZ' })).toThrow(/not the event subject/);
    expect(() => assertMatchesAsyncApi(event, { key: 'nope' })).toThrow(/does not match/);
    expect(() => assertMatchesAsyncApi(event, { headers: { 'content-type': 'application/json' } })).toThrow(/headers do not match/);
    expect(() => assertMatchesAsyncApi(event, { headers: {} })).toThrow(/headers do not match/);
  });
});
