import type { RunningOrderService } from '../../src/order-service';
import { openApiDocument } from '../../src/rest/openapi';
import { expectStatus, rest, restOrderBody, type RestResult } from '../support/rest-client';
import { TEST_SUBJECT } from '../support/test-auth';
import { startTestService } from '../support/test-service';

/** Moves an order forward over REST, one lifecycle endpoint at a time, up to `stage`. */
async function walkTo(service: { url: string }, orderId: string, stage: 'validated' | 'assigned_to_wave' | 'picking' | 'packing' | 'shipped' | 'completed') {
  const steps: Array<[string, string, unknown]> = [
    ['validated', 'validate', undefined],
    ['assigned_to_wave', 'assign-wave', { waveId: 'WAVE-2024-00123' }],
    ['picking', 'start-picking', undefined],
    ['packing', 'start-packing', undefined],
    ['shipped', 'ship', { trackingNumber: '1Z999AA10123456784', carrier: 'UPS' }],
    ['completed', 'complete', { deliveredAt: '2030-01-02T03:04:05Z' }],
  ];
  let last: RestResult | undefined;
  for (const [reached, action, body] of steps) {
    last = await rest(service, 'PUT', `/orders/${orderId}/${action}`, { body });
    expectStatus(last, 200);
    expect(last.body.status).toBe(reached);
    if (reached === stage) break;
  }
  return last!.body;
}

describe('REST /api/v1 orders (real store, every response checked against the OpenAPI document)', () => {
  let service: RunningOrderService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop();
  });

  const create = async (overrides: Record<string, unknown> = {}) => {
    const created = await rest(service, 'POST', '/orders', { body: restOrderBody(overrides) });
    expectStatus(created, 201);
    return created.body;
  };
  const countOrders = () => service.services.mongo.collection('orders').countDocuments();

  describe('POST /orders', () => {
    it('creates an order: 201, Location, ETag "1", the brief\'s field names and lower-case enums', async () => {
      const response = await rest(service, 'POST', '/orders', {
        body: restOrderBody({ priority: 'same_day' }),
        headers: { 'X-WMS-Correlation-ID': '550e8400-e29b-41d4-a716-446655440000' },
      });
      expectStatus(response, 201);
      const order = response.body;
      expect(order.orderId).toMatch(/^ORD-[0-9A-HJKMNP-TV-Z]{12}$/);
      expect(order).not.toHaveProperty('id');
      expect(order).toMatchObject({
        priority: 'same_day',
        status: 'received',
        version: 1,
        totalItems: 2,
        totalQuantity: 3,
        totalValue: 60.08,
        totalWeight: 0.25,
        promisedDeliveryAt: '2099-12-27T17:00:00.000Z',
        isLate: false,
        deadLettered: false,
      });
      expect(order.statusHistory).toEqual([
        { from: null, to: 'received', at: expect.any(String), reason: null, correlationId: '550e8400-e29b-41d4-a716-446655440000', actor: TEST_SUBJECT },
      ]);
      expect(order.retry).toEqual({
        count: 0,
        maxRetries: 5,
        lastFailureReason: null,
        lastFailureStatus: null,
        lastFailedAt: null,
        nextRetryAt: null,
        history: [],
      });
      expect(response.headers.get('location')).toBe(`/api/v1/orders/${order.orderId}`);
      expect(response.headers.get('etag')).toBe('"1"');
      expect(response.headers.get('x-wms-correlation-id')).toBe('550e8400-e29b-41d4-a716-446655440000');

      const fetched = await rest(service, 'GET', response.headers.get('location')!.replace('/api/v1', ''));
      expectStatus(fetched, 200);
      expect(fetched.body).toEqual(order);
    });

    it('refuses a business-invalid input with 400 VALIDATION_ERROR naming each field, and stores nothing', async () => {
      const before = await countOrders();
      const response = await rest(service, 'POST', '/orders', {
        body: restOrderBody({
          customerId: 'has spaces',
          items: [{ sku: 'A', quantity: 0, unitPrice: 1.234 }],
          shippingAddress: { street: 'x', city: 'y', state: 'z', zipCode: '1', country: 'us' },
        }),
      });
      expectStatus(response, 400);
      expect(response.body.code).toBe('VALIDATION_ERROR');
      const fields = response.body.details.issues.map((issue: { field: string }) => issue.field);
      expect(fields).toEqual(expect.arrayContaining(['customerId', 'items.0.quantity', 'items.0.unitPrice', 'shippingAddress.country']));
      expect(await countOrders()).toBe(before);
    });
  });

  describe('GET /orders/{orderId}', () => {
    it('answers the order with its version as ETag', async () => {
      const order = await create();
      const response = await rest(service, 'GET', `/orders/${order.orderId}`);
      expectStatus(response, 200);
      expect(response.headers.get('etag')).toBe('"1"');
      expect(response.body).toEqual(order);
    });

    it('answers 404 NOT_FOUND with the error body for an unknown order', async () => {
      const response = await rest(service, 'GET', '/orders/ORD-000000000000');
      expectStatus(response, 404);
      expect(response.body).toEqual({
        code: 'NOT_FOUND',
        message: 'order ORD-000000000000 not found',
        details: { orderId: 'ORD-000000000000' },
        requestId: expect.any(String),
        timestamp: expect.any(String),
        path: '/api/v1/orders/ORD-000000000000',
      });
      expect(response.body.requestId).toBe(response.headers.get('x-request-id'));
    });
  });

  describe('GET /orders', () => {
    const customerId = `LIST-${Date.now()}`;
    let orders: Array<{ orderId: string; priority: string }>;

    beforeAll(async () => {
      orders = [];
      for (const priority of ['same_day', 'next_day', 'standard', 'same_day', 'standard']) orders.push(await create({ customerId, priority }));
      await walkTo(service, orders[0].orderId, 'validated');
    });

    it('lists newest first with {data, pagination}', async () => {
      const response = await rest(service, 'GET', `/orders?customerId=${customerId}`);
      expectStatus(response, 200);
      expect(response.body.data.map((order: { orderId: string }) => order.orderId)).toEqual(orders.map((order) => order.orderId).reverse());
      expect(response.body.pagination).toEqual({ page: 1, pageSize: 20, total: 5, hasMore: false });
    });

    it('filters by status and priority (lower-case values)', async () => {
      const validated = await rest(service, 'GET', `/orders?customerId=${customerId}&status=validated`);
      expect(validated.body.data.map((order: { orderId: string }) => order.orderId)).toEqual([orders[0].orderId]);
      const sameDay = await rest(service, 'GET', `/orders?customerId=${customerId}&priority=same_day`);
      expect(sameDay.body.data.map((order: { orderId: string }) => order.orderId)).toEqual([orders[3].orderId, orders[0].orderId]);
      const both = await rest(service, 'GET', `/orders?customerId=${customerId}&priority=same_day&status=received`);
      expect(both.body.pagination.total).toBe(1);
    });

    it('pages with page and pageSize, counting the total over all pages', async () => {
      const first = await rest(service, 'GET', `/orders?customerId=${customerId}&page=1&pageSize=2`);
      expect(first.body.pagination).toEqual({ page: 1, pageSize: 2, total: 5, hasMore: true });
      const last = await rest(service, 'GET', `/orders?customerId=${customerId}&page=3&pageSize=2`);
      expect(last.body.pagination).toEqual({ page: 3, pageSize: 2, total: 5, hasMore: false });
      expect(last.body.data.map((order: { orderId: string }) => order.orderId)).toEqual([orders[0].orderId]);
      const maximum = await rest(service, 'GET', `/orders?customerId=${customerId}&pageSize=100`);
      expectStatus(maximum, 200);
    });

    it.each([
      ['page=0', 'page'],
      ['page=abc', 'page'],
      ['page=1.5', 'page'],
      ['pageSize=0', 'pageSize'],
      ['pageSize=101', 'pageSize'],
      ['pageSize=ten', 'pageSize'],
      ['status=unknown', 'status'],
      ['status=RECEIVED', 'status'],
      ['priority=urgent', 'priority'],
      ['customerId=a&customerId=b', 'customerId'],
      ['sort=createdAt', 'sort'],
    ])('answers 400 VALIDATION_ERROR naming the parameter for ?%s', async (query, parameter) => {
      const response = await rest(service, 'GET', `/orders?${query}`);
      expectStatus(response, 400);
      expect(response.body.code).toBe('VALIDATION_ERROR');
      expect(response.body.details.issues.map((issue: { field: string }) => issue.field)).toEqual([parameter]);
    });

    it('names the allowed values when an enum value is unknown', async () => {
      const response = await rest(service, 'GET', '/orders?priority=urgent');
      expect(response.body.details.issues[0].message).toMatch(/same_day/);
    });
  });

  describe('lifecycle endpoints', () => {
    it('walks received → validated → assigned_to_wave → picking → packing → shipped → completed', async () => {
      const order = await create();
      const completed = await walkTo(service, order.orderId, 'completed');
      expect(completed).toMatchObject({
        status: 'completed',
        waveId: 'WAVE-2024-00123',
        trackingNumber: '1Z999AA10123456784',
        carrier: 'UPS',
        deliveredAt: '2030-01-02T03:04:05.000Z',
        version: 7,
      });
      expect(completed.statusHistory.map((change: { to: string }) => change.to)).toEqual([
        'received',
        'validated',
        'assigned_to_wave',
        'picking',
        'packing',
        'shipped',
        'completed',
      ]);
    });

    it('PUT and POST /validate both validate; a repeat is a no-op', async () => {
      const viaPut = await create();
      const put = await rest(service, 'PUT', `/orders/${viaPut.orderId}/validate`);
      expectStatus(put, 200);
      expect(put.body).toMatchObject({ status: 'validated', version: 2 });
      expect(put.headers.get('etag')).toBe('"2"');
      const again = await rest(service, 'PUT', `/orders/${viaPut.orderId}/validate`);
      expect(again.body).toMatchObject({ status: 'validated', version: 2 });

      const viaPost = await create();
      const post = await rest(service, 'POST', `/orders/${viaPost.orderId}/validate`, { body: {} });
      expectStatus(post, 200);
      expect(post.body.status).toBe('validated');
    });

    it('validate answers 422 ORDER_INVALID with the reasons when the promised time has passed', async () => {
      const order = await create({ promisedDeliveryAt: '2020-01-01T00:00:00Z' });
      const response = await rest(service, 'PUT', `/orders/${order.orderId}/validate`);
      expectStatus(response, 422);
      expect(response.body.code).toBe('ORDER_INVALID');
      expect(response.body.details.reasons[0]).toMatch(/promisedDeliveryAt/);
      expect((await rest(service, 'GET', `/orders/${order.orderId}`)).body.status).toBe('received');
    });

    it('PUT and POST /cancel cancel with the reason; a repeat is a no-op', async () => {
      const order = await create();
      const put = await rest(service, 'PUT', `/orders/${order.orderId}/cancel`, { body: { reason: 'Customer request' } });
      expectStatus(put, 200);
      expect(put.body).toMatchObject({ status: 'cancelled', cancellation: { reason: 'Customer request', cancelledAt: expect.any(String) } });
      const repeat = await rest(service, 'POST', `/orders/${order.orderId}/cancel`, { body: { reason: 'Customer request' } });
      expectStatus(repeat, 200);
      expect(repeat.body.version).toBe(put.body.version);

      const other = await create();
      const post = await rest(service, 'POST', `/orders/${other.orderId}/cancel`, { body: { reason: 'Duplicate' } });
      expect(post.body.status).toBe('cancelled');
    });

    it('cancel without a reason is 400 naming reason', async () => {
      const order = await create();
      const response = await rest(service, 'PUT', `/orders/${order.orderId}/cancel`, { body: {} });
      expectStatus(response, 400);
      expect(response.body.details.issues).toEqual([{ field: 'reason', message: 'required' }]);
    });

    it('answers 409 CONFLICT with the current status for a transition the status does not allow', async () => {
      const order = await create();
      await walkTo(service, order.orderId, 'shipped');
      const cancel = await rest(service, 'PUT', `/orders/${order.orderId}/cancel`, { body: { reason: 'too late' } });
      expectStatus(cancel, 409);
      expect(cancel.body).toMatchObject({ code: 'CONFLICT', details: { currentStatus: 'shipped', operation: 'cancel' } });

      const fresh = await create();
      const packing = await rest(service, 'PUT', `/orders/${fresh.orderId}/start-packing`);
      expectStatus(packing, 409);
      expect(packing.body.details.currentStatus).toBe('received');
    });

    it('assign-wave to another wave is 409; the same wave again is a no-op', async () => {
      const order = await create();
      await walkTo(service, order.orderId, 'assigned_to_wave');
      const same = await rest(service, 'PUT', `/orders/${order.orderId}/assign-wave`, { body: { waveId: 'WAVE-2024-00123' } });
      expectStatus(same, 200);
      const other = await rest(service, 'PUT', `/orders/${order.orderId}/assign-wave`, { body: { waveId: 'WAVE-OTHER' } });
      expectStatus(other, 409);
      expect(other.body.details.currentStatus).toBe('assigned_to_wave');
    });

    it('ship needs trackingNumber and carrier; complete defaults deliveredAt to now', async () => {
      const order = await create();
      await walkTo(service, order.orderId, 'packing');
      const missing = await rest(service, 'PUT', `/orders/${order.orderId}/ship`, { body: { carrier: 'UPS' } });
      expectStatus(missing, 400);
      expect(missing.body.details.issues).toEqual([{ field: 'trackingNumber', message: 'required' }]);
      expectStatus(await rest(service, 'PUT', `/orders/${order.orderId}/ship`, { body: { trackingNumber: 'T1', carrier: 'UPS' } }), 200);
      const before = Date.now();
      const completed = await rest(service, 'PUT', `/orders/${order.orderId}/complete`);
      expectStatus(completed, 200);
      expect(Date.parse(completed.body.deliveredAt)).toBeGreaterThanOrEqual(before - 1000);
    });

    it('answers 404 for a lifecycle call on an unknown order', async () => {
      const response = await rest(service, 'PUT', '/orders/ORD-000000000000/start-picking');
      expectStatus(response, 404);
      expect(response.body.code).toBe('NOT_FOUND');
    });
  });

  describe('PATCH /orders/{orderId}', () => {
    it('replaces priority, items and address of a received order', async () => {
      const order = await create();
      const response = await rest(service, 'PATCH', `/orders/${order.orderId}`, {
        body: {
          priority: 'next_day',
          items: [{ sku: 'NEW-1', quantity: 4, unitPrice: 2.5 }],
          shippingAddress: { street: '1 Elm', city: 'Austin', state: 'TX', zipCode: '73301', country: 'US' },
        },
      });
      expectStatus(response, 200);
      expect(response.body).toMatchObject({ priority: 'next_day', totalValue: 10, totalQuantity: 4, version: 2, shippingAddress: { city: 'Austin' } });
    });

    it('refuses an empty patch with 400 and a modification after wave assignment with 409', async () => {
      const order = await create();
      expectStatus(await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: {} }), 400);
      await walkTo(service, order.orderId, 'assigned_to_wave');
      const late = await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: { priority: 'same_day' } });
      expectStatus(late, 409);
      expect(late.body.details.currentStatus).toBe('assigned_to_wave');
    });
  });

  describe('If-Match', () => {
    it('applies a write when If-Match is the current ETag, and answers 412 with both versions when it is stale', async () => {
      const order = await create();
      const first = await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: { priority: 'next_day' }, headers: { 'If-Match': '"1"' } });
      expectStatus(first, 200);
      expect(first.headers.get('etag')).toBe('"2"');

      const stale = await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: { priority: 'same_day' }, headers: { 'If-Match': '"1"' } });
      expectStatus(stale, 412);
      expect(stale.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { expectedVersion: 1, actualVersion: 2 } });
      const current = await rest(service, 'GET', `/orders/${order.orderId}`);
      expect(current.body).toMatchObject({ priority: 'next_day', version: 2 });

      const validate = await rest(service, 'PUT', `/orders/${order.orderId}/validate`, { headers: { 'If-Match': '"1"' } });
      expectStatus(validate, 412);
      expectStatus(await rest(service, 'PUT', `/orders/${order.orderId}/validate`, { headers: { 'If-Match': '"2"' } }), 200);
    });

    it('treats * as any version, a weak or foreign tag as matching none, and a malformed header as 400', async () => {
      const order = await create();
      expectStatus(await rest(service, 'PUT', `/orders/${order.orderId}/cancel`, { body: { reason: 'x' }, headers: { 'If-Match': 'W/"1"' } }), 412);
      expectStatus(await rest(service, 'PUT', `/orders/${order.orderId}/cancel`, { body: { reason: 'x' }, headers: { 'If-Match': '"abc"' } }), 412);
      const malformed = await rest(service, 'PUT', `/orders/${order.orderId}/cancel`, { body: { reason: 'x' }, headers: { 'If-Match': '1' } });
      expectStatus(malformed, 400);
      expect(malformed.body.details.issues[0].field).toBe('If-Match');
      expectStatus(await rest(service, 'PUT', `/orders/${order.orderId}/cancel`, { body: { reason: 'x' }, headers: { 'If-Match': '*' } }), 200);
    });
  });

  describe('HTTP errors outside the operations', () => {
    it('answers 404 NOT_FOUND with the error body for an unknown path under /api/v1', async () => {
      const response = await rest(service, 'GET', '/nothing-here');
      expectStatus(response, 404);
      expect(response.body).toMatchObject({ code: 'NOT_FOUND', path: '/api/v1/nothing-here' });
    });

    it('answers 405 METHOD_NOT_ALLOWED with an Allow header for a known path', async () => {
      const remove = await rest(service, 'DELETE', '/orders/ORD-000000000000');
      expectStatus(remove, 405);
      expect(remove.headers.get('allow')).toBe('GET, PATCH, HEAD');
      expect(remove.body.code).toBe('METHOD_NOT_ALLOWED');
      const get = await rest(service, 'GET', '/orders/ORD-000000000000/validate');
      expectStatus(get, 405);
      expect(get.headers.get('allow')).toBe('PUT, POST');
    });

    it('answers 415 for a body that is not JSON, with or without a content type', async () => {
      const before = await countOrders();
      const text = await rest(service, 'POST', '/orders', { raw: JSON.stringify(restOrderBody()), headers: { 'content-type': 'text/plain' } });
      expectStatus(text, 415);
      expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const form = await rest(service, 'POST', '/orders', { raw: 'customerId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectStatus(form, 415);
      expect(await countOrders()).toBe(before);
    });

    it('accepts application/*+json bodies', async () => {
      const response = await rest(service, 'POST', '/orders', {
        raw: JSON.stringify(restOrderBody()),
        headers: { 'content-type': 'application/vnd.wms+json; charset=utf-8' },
      });
      expectStatus(response, 201);
    });

    it('answers 400 BAD_REQUEST for malformed JSON', async () => {
      const response = await rest(service, 'POST', '/orders', { raw: '{"customerId": "x",', headers: { 'content-type': 'application/json' } });
      expectStatus(response, 400);
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST', message: 'request body is not valid JSON' });
    });

    it('answers 413 PAYLOAD_TOO_LARGE over the 1 MB body limit', async () => {
      const before = await countOrders();
      const response = await rest(service, 'POST', '/orders', { body: restOrderBody({ customerId: 'x'.repeat(1_100_000) }) });
      expectStatus(response, 413);
      expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await countOrders()).toBe(before);
    });

    it('answers 500 INTERNAL_ERROR without internals when something unexpected fails', async () => {
      const spy = jest.spyOn(service.services.orderQueries, 'get').mockRejectedValueOnce(new Error('boom in /srv/secret/file.ts:42'));
      try {
        const response = await rest(service, 'GET', '/orders/ORD-000000000000');
        expectStatus(response, 500);
        expect(response.body).toMatchObject({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
        expect(JSON.stringify(response.body)).not.toMatch(/boom|secret|\.ts|at /);
      } finally {
        spy.mockRestore();
      }
    });
  });

  it('labels HTTP metrics with the route pattern, not the raw path', async () => {
    await rest(service, 'GET', '/orders/ORD-000000000000');
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/orders\/:orderId",status="404"\} [1-9]/);
    expect(text).not.toContain('ORD-000000000000');
  });

  describe('documentation', () => {
    it('serves the OpenAPI 3.1 document at /openapi.json', async () => {
      const response = await fetch(`${service.url}/openapi.json`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    });

    it('serves Swagger UI at /docs', async () => {
      const response = await fetch(`${service.url}/docs/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('swagger-ui');
    });
  });
});

describe('REST /api/v1 when the database is unreachable', () => {
  let service: RunningOrderService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop().catch(() => undefined);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, for reads and for idempotent writes', async () => {
    await service.services.mongo.close();
    const read = await rest(service, 'GET', '/orders/ORD-000000000000');
    expectStatus(read, 503);
    expect(read.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(read.headers.get('retry-after')).toBe('5');
    const write = await rest(service, 'POST', '/orders', { body: restOrderBody(), headers: { 'Idempotency-Key': 'db-down-1' } });
    expectStatus(write, 503);
    expect(write.headers.get('retry-after')).toBe('5');
  });
});
