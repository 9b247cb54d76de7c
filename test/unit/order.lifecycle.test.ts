import { OrderInvalid, TransitionRefused } from '../../src/models/order.errors';
import { assignOrderToWave, cancelOrder, completeOrder, createOrder, modifyOrder, shipOrder, validateOrder } from '../../src/models/order.lifecycle';
import {
  CORRELATION_ID,
  NOW,
  ORDER_ID,
  WAVE_ID,
  aCreateOrderCommand,
  aReceivedOrder,
  anOrderIn,
  ctxAt,
  deepFreeze,
  minutesAfter,
} from './factories/order.factory';

const ctx = ctxAt();

describe('createOrder', () => {
  it('starts a received order at version 1 with one history entry and no retries', () => {
    const { order, events } = createOrder(aCreateOrderCommand(), { ...ctx, orderId: ORDER_ID, maxRetries: 7 });
    expect(order).toMatchObject({
      orderId: ORDER_ID,
      tenantId: 'default',
      status: 'received',
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
      deadLettered: false,
      validatedAt: null,
      waveId: null,
      backorders: [],
      retry: { count: 0, maxRetries: 7, lastFailureReason: null, lastFailureStatus: null, lastFailedAt: null, nextRetryAt: null, history: [] },
      statusHistory: [{ from: null, to: 'received', at: NOW, reason: null, correlationId: CORRELATION_ID, actor: 'picker-7' }],
    });
    expect(order.items[0]).toEqual({
      sku: 'SKU-001',
      quantity: 5,
      unitPriceCents: 1999,
      productName: 'Widget',
      weight: 0.5,
      quantityFulfilled: null,
      quantityBackordered: null,
    });
    expect(events.map(({ type }) => type)).toEqual(['wms.order.received']);
  });

  it('keeps the tenant it is given', () => {
    const { order } = createOrder(aCreateOrderCommand(), { ...ctx, orderId: ORDER_ID, maxRetries: 5, tenantId: 'acme' });
    expect(order.tenantId).toBe('acme');
  });
});

describe('validateOrder', () => {
  it('moves a received order to validated and remembers when', () => {
    const decision = validateOrder(deepFreeze(aReceivedOrder()), ctx)!;
    expect(decision.order).toMatchObject({ status: 'validated', validatedAt: NOW, version: 2 });
    expect(decision.events.map(({ type }) => type)).toEqual(['wms.order.validated']);
  });

  it('refuses with ORDER_INVALID when the promised delivery time has passed, listing the reason', () => {
    const order = deepFreeze(aReceivedOrder({ promisedDeliveryAt: minutesAfter(NOW, -1) }));
    let error: unknown;
    try {
      validateOrder(order, ctx);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(OrderInvalid);
    expect(error).toMatchObject({ code: 'ORDER_INVALID', reasons: ['promisedDeliveryAt 2024-01-15T09:59:00.000Z has already passed'] });
    expect(order.status).toBe('received');
  });

  it('accepts an order without a promised delivery time', () => {
    expect(validateOrder(aReceivedOrder({ promisedDeliveryAt: null }), ctx)?.order.status).toBe('validated');
  });

  it('treats validating an order further along as a success that changes nothing', () => {
    expect(validateOrder(anOrderIn('shipped'), ctx)).toBeNull();
  });

  it('refuses a cancelled order with CONFLICT', () => {
    expect(() => validateOrder(anOrderIn('cancelled'), ctx)).toThrow(TransitionRefused);
  });
});

describe('assignOrderToWave', () => {
  it('records the wave and announces it', () => {
    const decision = assignOrderToWave(anOrderIn('validated'), { waveId: 'WAVE-7' }, ctx)!;
    expect(decision.order).toMatchObject({ status: 'assigned_to_wave', waveId: 'WAVE-7' });
    expect(decision.events[0].data).toMatchObject({ type: 'wms.order.wave-assigned', waveId: 'WAVE-7' });
  });

  it('treats the same wave again as a success that changes nothing', () => {
    expect(assignOrderToWave(anOrderIn('assigned_to_wave'), { waveId: WAVE_ID }, ctx)).toBeNull();
  });

  it('refuses another wave with CONFLICT naming the current one', () => {
    expect(() => assignOrderToWave(anOrderIn('picking'), { waveId: 'WAVE-OTHER' }, ctx)).toThrow(
      `cannot assign order ${ORDER_ID} to a wave in status picking: already assigned to wave ${WAVE_ID}`,
    );
  });
});

describe('shipOrder and completeOrder', () => {
  it('ship records the tracking number and carrier', () => {
    const { order, events } = shipOrder(anOrderIn('packing'), { trackingNumber: '1Z999', carrier: 'UPS' }, ctx);
    expect(order).toMatchObject({ status: 'shipped', trackingNumber: '1Z999', carrier: 'UPS' });
    expect(events[0].data).toMatchObject({ trackingNumber: '1Z999', carrier: 'UPS' });
  });

  it('complete records the delivery time', () => {
    const deliveredAt = minutesAfter(NOW, 60);
    const { order, events } = completeOrder(anOrderIn('shipped'), { deliveredAt }, ctx);
    expect(order).toMatchObject({ status: 'completed', deliveredAt });
    expect(events[0].data).toMatchObject({ deliveredAt: deliveredAt.toISOString() });
  });
});

describe('cancelOrder', () => {
  it('cancels with the reason in the cancellation and in the status history', () => {
    const decision = cancelOrder(deepFreeze(anOrderIn('picking')), { reason: 'customer request' }, ctx)!;
    expect(decision.order.cancellation).toEqual({ reason: 'customer request', cancelledAt: NOW });
    expect(decision.order.statusHistory.at(-1)).toMatchObject({ from: 'picking', to: 'cancelled', reason: 'customer request' });
    expect(decision.events[0].data).toMatchObject({ type: 'wms.order.cancelled', reason: 'customer request' });
  });

  it('clears a scheduled retry', () => {
    const order = { ...anOrderIn('picking'), retry: { ...aReceivedOrder().retry, count: 1, nextRetryAt: NOW } };
    expect(cancelOrder(order, { reason: 'gone' }, ctx)?.order.retry).toMatchObject({ count: 1, nextRetryAt: null });
  });

  it('treats cancelling a cancelled order as a success that changes nothing', () => {
    expect(cancelOrder(anOrderIn('cancelled'), { reason: 'again' }, ctx)).toBeNull();
  });

  it.each(['shipped', 'completed'] as const)('refuses a %s order with CONFLICT', (status) => {
    expect(() => cancelOrder(anOrderIn(status), { reason: 'too late' }, ctx)).toThrow(expect.objectContaining({ code: 'CONFLICT', currentStatus: status }));
  });

  it('cancels a dead-lettered order too', () => {
    expect(cancelOrder({ ...anOrderIn('picking'), deadLettered: true }, { reason: 'give up' }, ctx)?.order.status).toBe('cancelled');
  });
});

describe('modifyOrder', () => {
  it('replaces the lines it is given', () => {
    const items = [{ sku: 'SKU-009', quantity: 1, unitPriceCents: 500, productName: null, weight: null }];
    const decision = modifyOrder(deepFreeze(aReceivedOrder()), { items }, ctx)!;
    expect(decision.order.items).toEqual([{ ...items[0], quantityFulfilled: null, quantityBackordered: null }]);
    expect(decision.order.version).toBe(2);
    expect(decision.events).toEqual([]);
  });

  it('treats a patch equal to the current values as a success that changes nothing', () => {
    const order = aReceivedOrder();
    const { items, shippingAddress, priority, promisedDeliveryAt } = aCreateOrderCommand();
    expect(modifyOrder(order, { items, shippingAddress, priority, promisedDeliveryAt }, ctx)).toBeNull();
  });

  it('removes the promised delivery time when given null', () => {
    expect(modifyOrder(aReceivedOrder(), { promisedDeliveryAt: null }, ctx)?.order.promisedDeliveryAt).toBeNull();
  });

  it('refuses a promised time already passed on a validated order with ORDER_INVALID', () => {
    expect(() => modifyOrder(anOrderIn('validated'), { promisedDeliveryAt: minutesAfter(NOW, -5) }, ctx)).toThrow(OrderInvalid);
  });

  it('accepts it on a received order, where validation will catch it', () => {
    expect(modifyOrder(aReceivedOrder(), { promisedDeliveryAt: minutesAfter(NOW, -5) }, ctx)?.order.status).toBe('received');
  });

  it('refuses an order already in a wave with CONFLICT', () => {
    expect(() => modifyOrder(anOrderIn('assigned_to_wave'), { priority: 'same_day' }, ctx)).toThrow(TransitionRefused);
  });
});
