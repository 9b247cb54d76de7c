import type { RunningOrderService } from '../../src/order-service';
import {
  ASSIGN,
  CANCEL,
  COMPLETE,
  CREATE_ORDER,
  FULFILL_BACKORDER,
  GET_ORDER,
  RECORD_PARTIAL,
  SHIP,
  START_PACKING,
  START_PICKING,
  UPDATE,
  VALIDATE,
  createOrder,
  fails,
  ok,
  walkTo,
} from '../support/graphql-client';
import { ORDER_FIELDS, orderInput } from '../support/order-factory';
import { graphql, startTestService } from '../support/test-service';

const LIST = `query List($filter: OrderFilter, $page: Int, $pageSize: Int) {
  orders(filter: $filter, page: $page, pageSize: $pageSize) { items { id customerId status priority } page pageSize total hasMore }
}`;

describe('orders over GraphQL (real store)', () => {
  let service: RunningOrderService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop();
  });

  const countOrders = () => service.services.mongo.collection('orders').countDocuments();

  describe('createOrder', () => {
    it('receives an order with an ORD- id, version 1 and totals exact to the cent', async () => {
      const order = await createOrder(service);
      expect(order.id).toMatch(/^ORD-[0-9A-HJKMNP-TV-Z]{12}$/);
      expect(order).toMatchObject({
        status: 'RECEIVED',
        priority: 'STANDARD',
        version: 1,
        totalItems: 2,
        totalQuantity: 4,
        totalValue: 60.07, // 3 × 19.99 + 1 × 0.10
        totalWeight: 1.5,
        isLate: false,
        deadLettered: false,
        customer: { id: order.customerId },
        wave: null,
        promisedDeliveryAt: '2099-12-27T17:00:00.000Z',
      });
      expect(order.statusHistory).toEqual([{ from: null, to: 'RECEIVED', reason: null, correlationId: expect.any(String) }]);
    });

    it('stores the order so that order(id) returns the same thing', async () => {
      const created = await createOrder(service);
      expect(await ok(service, GET_ORDER, { id: created.id })).toEqual(created);
    });
  });

  describe('order', () => {
    it('answers NOT_FOUND for an unknown id', async () => {
      const error = await fails(service, GET_ORDER, { id: 'ORD-000000000000' });
      expect(error.extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('orders', () => {
    it('filters by status, priority and customer, pages newest first and counts the total', async () => {
      const customerId = `CUST-LIST-${Date.now()}`;
      const created = [];
      for (let i = 0; i < 5; i += 1) created.push(await createOrder(service, { customerId, priority: i % 2 ? 'SAME_DAY' : 'NEXT_DAY' }));
      await ok(service, VALIDATE, { id: created[0].id });

      const firstPage = await ok(service, LIST, { filter: { customerId }, page: 1, pageSize: 2 });
      expect(firstPage).toMatchObject({ page: 1, pageSize: 2, total: 5, hasMore: true });
      expect(firstPage.items.map((o: any) => o.id)).toEqual([created[4].id, created[3].id]);
      const lastPage = await ok(service, LIST, { filter: { customerId }, page: 3, pageSize: 2 });
      expect(lastPage).toMatchObject({ total: 5, hasMore: false });
      expect(lastPage.items.map((o: any) => o.id)).toEqual([created[0].id]);

      const sameDay = await ok(service, LIST, { filter: { customerId, priority: 'SAME_DAY' } });
      expect(sameDay.total).toBe(2);
      const validated = await ok(service, LIST, { filter: { customerId, status: 'VALIDATED' } });
      expect(validated.items.map((o: any) => o.id)).toEqual([created[0].id]);
    });

    it.each([
      ['pageSize', { pageSize: 101 }],
      ['pageSize', { pageSize: 0 }],
      ['page', { page: 0 }],
    ])('refuses a bad %s with BAD_USER_INPUT naming it', async (field, variables) => {
      const error = await fails(service, LIST, variables);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.issues).toEqual([expect.objectContaining({ field })]);
    });
  });

  describe('the lifecycle', () => {
    it('walks RECEIVED → … → COMPLETED, one version and one history entry per change', async () => {
      const { id } = await createOrder(service);
      const validated = await ok(service, VALIDATE, { id });
      expect(validated).toMatchObject({ status: 'VALIDATED', version: 2 });
      const assigned = await ok(service, ASSIGN, { id, waveId: 'WAVE-2024-00123' });
      expect(assigned).toMatchObject({ status: 'ASSIGNED_TO_WAVE', version: 3, waveId: 'WAVE-2024-00123', wave: { id: 'WAVE-2024-00123' } });
      expect(await ok(service, START_PICKING, { id })).toMatchObject({ status: 'PICKING', version: 4 });
      expect(await ok(service, START_PACKING, { id })).toMatchObject({ status: 'PACKING', version: 5 });
      const shipped = await ok(service, SHIP, { id, trackingNumber: '1Z999AA10123456784', carrier: 'UPS' });
      expect(shipped).toMatchObject({ status: 'SHIPPED', version: 6, trackingNumber: '1Z999AA10123456784', carrier: 'UPS' });
      const completed = await ok(service, COMPLETE, { id, deliveredAt: '2024-12-27T16:00:00+01:00' });
      expect(completed).toMatchObject({ status: 'COMPLETED', version: 7, deliveredAt: '2024-12-27T15:00:00.000Z' });
      expect(completed.statusHistory.map((change: any) => [change.from, change.to])).toEqual([
        [null, 'RECEIVED'],
        ['RECEIVED', 'VALIDATED'],
        ['VALIDATED', 'ASSIGNED_TO_WAVE'],
        ['ASSIGNED_TO_WAVE', 'PICKING'],
        ['PICKING', 'PACKING'],
        ['PACKING', 'SHIPPED'],
        ['SHIPPED', 'COMPLETED'],
      ]);
    });

    it('treats a repeated validate, the same wave again and a repeated cancel as successes that change nothing', async () => {
      const { id } = await createOrder(service);
      await ok(service, VALIDATE, { id });
      expect(await ok(service, VALIDATE, { id })).toMatchObject({ status: 'VALIDATED', version: 2 });
      await ok(service, ASSIGN, { id, waveId: 'WAVE-1' });
      expect(await ok(service, ASSIGN, { id, waveId: 'WAVE-1' })).toMatchObject({ version: 3 });
      expect(await ok(service, VALIDATE, { id })).toMatchObject({ status: 'ASSIGNED_TO_WAVE', version: 3 });
      const cancelled = await ok(service, CANCEL, { id, reason: 'Customer request' });
      expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 4, cancellation: { reason: 'Customer request' } });
      expect(await ok(service, CANCEL, { id, reason: 'again' })).toMatchObject({ version: 4, cancellation: { reason: 'Customer request' } });
    });

    it.each([
      [
        'another wave',
        async (id: string) => {
          await walkTo(service, id, 'assigned_to_wave');
          return [ASSIGN, { id, waveId: 'WAVE-OTHER' }];
        },
        'ASSIGNED_TO_WAVE',
      ],
      ['shipping a RECEIVED order', async (id: string) => [SHIP, { id, trackingNumber: 'T', carrier: 'C' }], 'RECEIVED'],
      [
        'picking a VALIDATED order',
        async (id: string) => {
          await walkTo(service, id, 'validated');
          return [START_PICKING, { id }];
        },
        'VALIDATED',
      ],
      [
        'completing a PACKING order',
        async (id: string) => {
          await walkTo(service, id, 'packing');
          return [COMPLETE, { id }];
        },
        'PACKING',
      ],
      [
        'cancelling a SHIPPED order',
        async (id: string) => {
          await walkTo(service, id, 'shipped');
          return [CANCEL, { id, reason: 'late' }];
        },
        'SHIPPED',
      ],
      [
        'validating a CANCELLED order',
        async (id: string) => {
          await ok(service, CANCEL, { id, reason: 'x' });
          return [VALIDATE, { id }];
        },
        'CANCELLED',
      ],
      [
        'modifying an order in a wave',
        async (id: string) => {
          await walkTo(service, id, 'assigned_to_wave');
          return [UPDATE, { id, input: { priority: 'SAME_DAY' } }];
        },
        'ASSIGNED_TO_WAVE',
      ],
    ] as const)('refuses %s with CONFLICT naming the current status, and changes nothing', async (_name, arrange, status) => {
      const { id } = await createOrder(service);
      const [query, variables] = (await arrange(id)) as [string, Record<string, unknown>];
      const before = await ok(service, GET_ORDER, { id });
      const error = await fails(service, query, variables);
      expect(error.extensions).toMatchObject({ code: 'CONFLICT', currentStatus: status.toLowerCase() });
      expect(await ok(service, GET_ORDER, { id })).toEqual(before);
    });

    it('answers ORDER_INVALID with reasons when the promised delivery time has passed, and keeps the order RECEIVED', async () => {
      const { id } = await createOrder(service, { promisedDeliveryAt: '2020-01-01T00:00:00Z' });
      const error = await fails(service, VALIDATE, { id });
      expect(error.extensions?.code).toBe('ORDER_INVALID');
      expect(error.extensions?.reasons).toEqual([expect.stringContaining('promised')]);
      expect(await ok(service, GET_ORDER, { id })).toMatchObject({ status: 'RECEIVED', version: 1, isLate: true });
    });
  });

  describe('updateOrder', () => {
    it('replaces what it is given, bumps the version, and recomputes totals', async () => {
      const { id } = await createOrder(service);
      const updated = await ok(service, UPDATE, {
        id,
        expectedVersion: 1,
        input: { priority: 'SAME_DAY', items: [{ sku: 'SKU-9', quantity: 7, unitPrice: 0.07 }] },
      });
      expect(updated).toMatchObject({ priority: 'SAME_DAY', version: 2, totalValue: 0.49, totalItems: 1, status: 'RECEIVED' });
    });

    it('fails with PRECONDITION_FAILED when the expected version is stale, and writes nothing', async () => {
      const { id } = await createOrder(service);
      await ok(service, VALIDATE, { id });
      const error = await fails(service, UPDATE, { id, expectedVersion: 1, input: { priority: 'SAME_DAY' } });
      expect(error.extensions).toMatchObject({ code: 'PRECONDITION_FAILED', expectedVersion: 1, actualVersion: 2 });
      expect(await ok(service, GET_ORDER, { id })).toMatchObject({ priority: 'STANDARD', version: 2 });
    });
  });

  describe('partial fulfilment and backorders', () => {
    it('records picked quantities, creates a backorder for the short line, and fulfils it once', async () => {
      const { id } = await createOrder(service, { items: [{ sku: 'SKU-001', quantity: 5, unitPrice: 1 }] });
      await walkTo(service, id, 'picking');
      const recorded = await ok(service, RECORD_PARTIAL, { id, lines: [{ sku: 'SKU-001', quantityFulfilled: 3, reason: 'QUANTITY_MISMATCH' }] });
      expect(recorded.fulfillmentRatio).toBe(0.6);
      expect(recorded.items[0]).toMatchObject({ quantityFulfilled: 3, quantityBackordered: 2 });
      expect(recorded.backorders).toEqual([
        {
          backorderId: expect.stringMatching(/^BO-[0-9A-HJKMNP-TV-Z]{12}$/),
          status: 'OPEN',
          items: [{ sku: 'SKU-001', quantityShort: 2, reason: 'QUANTITY_MISMATCH' }],
        },
      ]);
      const { backorderId } = recorded.backorders[0];
      const fulfilled = await ok(service, FULFILL_BACKORDER, { backorderId });
      expect(fulfilled.backorders[0].status).toBe('FULFILLED');
      const again = await fails(service, FULFILL_BACKORDER, { backorderId });
      expect(again.extensions?.code).toBe('CONFLICT');
      expect((await fails(service, FULFILL_BACKORDER, { backorderId: 'BO-000000000000' })).extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('bad input', () => {
    const valid = orderInput();
    const items = valid.items as Array<Record<string, unknown>>;
    const address = valid.shippingAddress as Record<string, unknown>;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['customerId empty', { customerId: '' }, 'customerId'],
      ['customerId too long', { customerId: 'C'.repeat(65) }, 'customerId'],
      ['customerId bad characters', { customerId: 'CUST 001' }, 'customerId'],
      ['promisedDeliveryAt without offset', { promisedDeliveryAt: '2024-12-27T17:00:00' }, 'promisedDeliveryAt'],
      ['promisedDeliveryAt not a date', { promisedDeliveryAt: 'tomorrow' }, 'promisedDeliveryAt'],
      ['no items', { items: [] }, 'items'],
      ['501 items', { items: Array.from({ length: 501 }, (_, i) => ({ sku: `S${i}`, quantity: 1, unitPrice: 1 })) }, 'items'],
      ['duplicate sku', { items: [items[0], { ...items[1], sku: 'SKU-001' }] }, 'items.1.sku'],
      ['empty sku', { items: [{ ...items[0], sku: '' }] }, 'items.0.sku'],
      ['sku too long', { items: [{ ...items[0], sku: 'S'.repeat(65) }] }, 'items.0.sku'],
      ['quantity 0', { items: [{ ...items[0], quantity: 0 }] }, 'items.0.quantity'],
      ['quantity above 100000', { items: [{ ...items[0], quantity: 100_001 }] }, 'items.0.quantity'],
      ['negative unitPrice', { items: [{ ...items[0], unitPrice: -1 }] }, 'items.0.unitPrice'],
      ['unitPrice with 3 decimals', { items: [{ ...items[0], unitPrice: 1.999 }] }, 'items.0.unitPrice'],
      ['negative weight', { items: [{ ...items[0], weight: -0.5 }] }, 'items.0.weight'],
      ['country not ISO', { shippingAddress: { ...address, country: 'XX' } }, 'shippingAddress.country'],
      ['country lower-case', { shippingAddress: { ...address, country: 'us' } }, 'shippingAddress.country'],
      ['blank street', { shippingAddress: { ...address, street: '   ' } }, 'shippingAddress.street'],
    ];

    it.each(cases)('%s → BAD_USER_INPUT naming the field, nothing stored', async (_name, override, field) => {
      const before = await countOrders();
      const error = await fails(service, CREATE_ORDER, { input: { ...valid, ...override } });
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.issues?.map((issue: { field: string }) => issue.field)).toContain(field);
      expect(await countOrders()).toBe(before);
    });

    it.each([
      ['quantity not an integer', { items: [{ ...items[0], quantity: 2.5 }] }, 'input.items[0].quantity'],
      ['unknown priority', { priority: 'URGENT' }, 'input.priority'],
      ['missing shippingAddress', { shippingAddress: undefined }, 'input'],
    ])('%s → BAD_USER_INPUT from GraphQL typing, naming the field, nothing stored', async (_name, override, path) => {
      const before = await countOrders();
      const error = await fails(service, CREATE_ORDER, { input: { ...valid, ...override } });
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain(path);
      expect(await countOrders()).toBe(before);
    });

    it('refuses documents over the alias and cost limits before any resolver runs', async () => {
      const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: orderServiceInfo { name }`).join(' ');
      const tooManyAliases = await graphql(service, `{ ${aliases} }`);
      expect(tooManyAliases.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(tooManyAliases.data).toBeUndefined();

      const costly = Array.from({ length: 29 }, (_, i) => `p${i}: orders(pageSize: 100) { items { ${ORDER_FIELDS} } }`).join(' ');
      const tooCostly = await graphql(service, `{ ${costly} }`);
      expect(tooCostly.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(tooCostly.errors)).not.toContain('at ');
    });
  });

  describe('concurrent writers', () => {
    it('20 concurrent cancel/ship/update calls on one order leave a consistent state and lose no write', async () => {
      const { id } = await createOrder(service);
      const calls = Array.from({ length: 20 }, (_, i) => {
        if (i % 3 === 0) return graphql(service, CANCEL, { id, reason: `reason ${i}` });
        if (i % 3 === 1) return graphql(service, SHIP, { id, trackingNumber: `T${i}`, carrier: 'UPS' });
        return graphql(service, UPDATE, { id, input: { items: [{ sku: `SKU-${i}`, quantity: i, unitPrice: 1 }] } });
      });
      const results = await Promise.all(calls);
      const final = await ok(service, GET_ORDER, { id });
      const errors = results.flatMap((result) => result.errors ?? []);
      expect(errors.every((error) => error.extensions?.code === 'CONFLICT')).toBe(true);
      // Every successful write bumped the version exactly once; idempotent repeats (a second cancel) did not.
      const writes = final.statusHistory.length - 1 + results.filter((result, i) => i % 3 === 2 && !result.errors).length;
      expect(final.version).toBe(1 + writes);
      expect(final.status).toBe('CANCELLED');
      const updatesBeforeCancel = results.filter((result, i) => i % 3 === 2 && !result.errors);
      const lastUpdate = updatesBeforeCancel.at(-1)?.data?.updateOrder;
      if (lastUpdate) expect(final.items).toEqual(lastUpdate.items);
    });
  });
});
