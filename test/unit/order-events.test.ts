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
} from '../../src/models/order.events';
import { NOW, ORDER_ID, aCreateOrderCommand, aReceivedOrder, anOpenBackorder } from './factories/order.factory';

const order = aReceivedOrder();
const timestamp = NOW.toISOString();
const who = { orderId: ORDER_ID, customerId: 'CUST-001' };

describe('order event catalogue', () => {
  it('lists the brief’s eleven event types', () => {
    expect(ORDER_EVENT_TYPES).toEqual([
      'wms.order.received',
      'wms.order.validated',
      'wms.order.wave-assigned',
      'wms.order.shipped',
      'wms.order.cancelled',
      'wms.order.completed',
      'wms.order.retry-scheduled',
      'wms.order.moved-to-dlq',
      'wms.order.partially-fulfilled',
      'wms.order.backorder-created',
      'wms.order.backorder-fulfilled',
    ]);
  });

  it('received carries the lines with decimal prices and the exact decimal total', () => {
    const threeAndOne = aReceivedOrder({
      items: [
        { sku: 'SKU-001', quantity: 3, unitPriceCents: 1999, productName: 'Widget', weight: 0.5 },
        { sku: 'SKU-002', quantity: 1, unitPriceCents: 10, productName: null, weight: null },
      ],
    });
    expect(orderReceived(threeAndOne, NOW).data).toEqual({
      type: 'wms.order.received',
      ...who,
      priority: 'standard',
      promisedDeliveryAt: aCreateOrderCommand().promisedDeliveryAt!.toISOString(),
      items: [
        { sku: 'SKU-001', quantity: 3, unitPrice: 19.99, productName: 'Widget', weight: 0.5 },
        { sku: 'SKU-002', quantity: 1, unitPrice: 0.1, productName: null, weight: null },
      ],
      totalValue: 60.07,
      timestamp,
    });
  });

  it('received carries a null promised time when none was promised', () => {
    expect(orderReceived(aReceivedOrder({ promisedDeliveryAt: null }), NOW).data.promisedDeliveryAt).toBeNull();
  });

  const backorder = anOpenBackorder();
  const cases: Array<[string, OrderEvent, Record<string, unknown>]> = [
    ['validated', orderValidated(order, NOW), { type: 'wms.order.validated', ...who, totalItems: 2, timestamp }],
    [
      'wave-assigned',
      orderWaveAssigned(order, 'WAVE-2024-00123', NOW),
      { type: 'wms.order.wave-assigned', orderId: ORDER_ID, waveId: 'WAVE-2024-00123', timestamp },
    ],
    [
      'shipped',
      orderShipped(order, { trackingNumber: '1Z999', carrier: 'UPS' }, NOW),
      { type: 'wms.order.shipped', ...who, trackingNumber: '1Z999', carrier: 'UPS', timestamp },
    ],
    ['cancelled', orderCancelled(order, 'Customer request', NOW), { type: 'wms.order.cancelled', ...who, reason: 'Customer request', timestamp }],
    [
      'completed',
      orderCompleted(order, new Date('2024-01-16T12:00:00Z'), NOW),
      { type: 'wms.order.completed', ...who, deliveredAt: '2024-01-16T12:00:00.000Z', timestamp },
    ],
    [
      'retry-scheduled',
      orderRetryScheduled(order, { retryNumber: 3, failureStatus: 'picking', failureReason: 'Inventory unavailable' }, NOW),
      { type: 'wms.order.retry-scheduled', ...who, retryNumber: 3, failureStatus: 'picking', failureReason: 'Inventory unavailable', timestamp },
    ],
    [
      'moved-to-dlq',
      orderMovedToDlq(order, { finalFailureStatus: 'picking', finalFailureReason: 'Max retries exceeded', totalRetryAttempts: 5 }, NOW),
      { type: 'wms.order.moved-to-dlq', ...who, finalFailureStatus: 'picking', finalFailureReason: 'Max retries exceeded', totalRetryAttempts: 5, timestamp },
    ],
    [
      'partially-fulfilled',
      orderPartiallyFulfilled(
        order,
        {
          fulfilledItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityFulfilled: 3 }],
          backorderedItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityShort: 2, reason: 'quantity_mismatch' }],
          fulfillmentRatio: 0.6,
        },
        NOW,
      ),
      {
        type: 'wms.order.partially-fulfilled',
        ...who,
        fulfilledItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityFulfilled: 3 }],
        backorderedItems: [{ sku: 'SKU-001', quantityOrdered: 5, quantityShort: 2, reason: 'quantity_mismatch' }],
        fulfillmentRatio: 0.6,
        timestamp,
      },
    ],
    [
      'backorder-created',
      backorderCreated(order, backorder, NOW),
      {
        type: 'wms.order.backorder-created',
        backorderId: backorder.backorderId,
        originalOrderId: ORDER_ID,
        customerId: 'CUST-001',
        items: [{ sku: 'SKU-001', quantityShort: 2, reason: 'quantity_mismatch' }],
        priority: 'standard',
        timestamp,
      },
    ],
    [
      'backorder-fulfilled',
      backorderFulfilled(order, backorder, NOW),
      { type: 'wms.order.backorder-fulfilled', backorderId: backorder.backorderId, originalOrderId: ORDER_ID, customerId: 'CUST-001', timestamp },
    ],
  ];

  it.each(cases)('%s carries exactly the brief’s fields', (_name, event, data) => {
    expect(event.data).toEqual(data);
    expect(event.type).toBe(data.type);
  });

  it('survives a JSON round trip unchanged (plain data only)', () => {
    for (const [, event] of cases) expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });
});
