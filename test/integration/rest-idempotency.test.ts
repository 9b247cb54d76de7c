import { eventually } from '../support/dlq-support';
import type { Collection } from 'mongodb';
import type { RunningOrderService } from '../../src/order-service';
import { fingerprint, IDEMPOTENCY_COLLECTION, IDEMPOTENCY_TTL_MS, type IdempotencyRecord } from '../../src/store/idempotency.repository';
import { expectStatus, rest, restOrderBody } from '../support/rest-client';
import { startTestService } from '../support/test-service';

describe('REST Idempotency-Key (real store)', () => {
  let service: RunningOrderService;
  let keys: Collection<IdempotencyRecord>;
  let sequence = 0;

  beforeAll(async () => {
    service = await startTestService();
    keys = service.services.mongo.db!.collection<IdempotencyRecord>(IDEMPOTENCY_COLLECTION);
  });
  afterAll(async () => {
    await service.stop();
  });

  const newKey = () => `key-${Date.now()}-${(sequence += 1)}`;
  const ordersOf = (customerId: string) => service.services.mongo.collection('orders').countDocuments({ customerId });
  const post = (body: unknown, key: string, headers: Record<string, string> = {}) =>
    rest(service, 'POST', '/orders', { body, headers: { 'Idempotency-Key': key, ...headers } });

  /** Holds the next create until released, so a request can be caught in flight. */
  function holdNextCreate() {
    const lifecycle = service.services.orderLifecycle;
    const original = lifecycle.create.bind(lifecycle);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spy = jest.spyOn(lifecycle, 'create').mockImplementationOnce(async (...args) => {
      await gate;
      return original(...args);
    });
    return { release, restore: () => spy.mockRestore() };
  }

  async function waitForRecord(key: string) {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if (await keys.findOne({ key })) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no idempotency record for ${key}`);
  }

  it('replays the first response for a repeat: same status, body, Location and ETag, marked Idempotent-Replayed; one order', async () => {
    const body = restOrderBody();
    const key = newKey();
    const first = await post(body, key);
    expectStatus(first, 201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const repeat = await post(body, key);
    expectStatus(repeat, 201);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers.get('location')).toBe(first.headers.get('location'));
    expect(repeat.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it('treats the same JSON with other key order and whitespace as the same body', async () => {
    const body = restOrderBody();
    const key = newKey();
    expectStatus(await post(body, key), 201);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const repeat = await rest(service, 'POST', '/orders', {
      raw: JSON.stringify(reordered, null, 2),
      headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    });
    expectStatus(repeat, 201);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body, and creates nothing', async () => {
    const key = newKey();
    const body = restOrderBody();
    expectStatus(await post(body, key), 201);
    const other = restOrderBody();
    const reused = await post(other, key);
    expectStatus(reused, 422);
    expect(reused.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { idempotencyKey: key } });
    expect(await ordersOf(other.customerId)).toBe(0);
  });

  it('scopes a key to method and path: the same key on another endpoint is another request', async () => {
    const key = newKey();
    const a = await post(restOrderBody(), key);
    const b = await post(restOrderBody(), `${key}-b`);
    const cancelA = await rest(service, 'PUT', `/orders/${a.body.orderId}/cancel`, { body: { reason: 'x' }, headers: { 'Idempotency-Key': key } });
    const cancelB = await rest(service, 'PUT', `/orders/${b.body.orderId}/cancel`, { body: { reason: 'x' }, headers: { 'Idempotency-Key': key } });
    expectStatus(cancelA, 200);
    expectStatus(cancelB, 200);
    expect(cancelA.headers.get('idempotent-replayed')).toBeNull();
    expect(cancelB.headers.get('idempotent-replayed')).toBeNull();
    expect([cancelA.body.orderId, cancelB.body.orderId]).toEqual([a.body.orderId, b.body.orderId]);
  });

  it('replays PUT and PATCH answers too, without a second write', async () => {
    const order = (await post(restOrderBody(), newKey())).body;
    const key = newKey();
    const patch = await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: { priority: 'next_day' }, headers: { 'Idempotency-Key': key } });
    expectStatus(patch, 200);
    const again = await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: { priority: 'next_day' }, headers: { 'Idempotency-Key': key } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(patch.body);
    const validateKey = newKey();
    const validated = await rest(service, 'PUT', `/orders/${order.orderId}/validate`, { headers: { 'Idempotency-Key': validateKey } });
    const replayed = await rest(service, 'PUT', `/orders/${order.orderId}/validate`, { headers: { 'Idempotency-Key': validateKey } });
    expect(replayed.body.version).toBe(validated.body.version);
    expect((await rest(service, 'GET', `/orders/${order.orderId}`)).body.version).toBe(validated.body.version);
  });

  it('an If-Match header is part of the request: another If-Match under the same key is 422', async () => {
    const order = (await post(restOrderBody(), newKey())).body;
    const key = newKey();
    expectStatus(
      await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: { priority: 'next_day' }, headers: { 'Idempotency-Key': key, 'If-Match': '"1"' } }),
      200,
    );
    expectStatus(
      await rest(service, 'PATCH', `/orders/${order.orderId}`, { body: { priority: 'next_day' }, headers: { 'Idempotency-Key': key, 'If-Match': '"2"' } }),
      422,
    );
  });

  it('answers 409 CONFLICT with Retry-After while the first request with the key is still running, then replays', async () => {
    const body = restOrderBody();
    const key = newKey();
    const held = holdNextCreate();
    try {
      const first = post(body, key);
      await waitForRecord(key);
      const concurrent = await post(body, key);
      expectStatus(concurrent, 409);
      expect(concurrent.body).toMatchObject({ code: 'CONFLICT', details: { idempotencyKey: key, inFlight: true } });
      expect(concurrent.headers.get('retry-after')).toBe('1');
      held.release();
      expectStatus(await first, 201);
    } finally {
      held.release();
      held.restore();
    }
    const after = await post(body, key);
    expectStatus(after, 201);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it('does not keep a 5xx answer: the key is released and a retry runs the operation again', async () => {
    const body = restOrderBody();
    const key = newKey();
    const spy = jest.spyOn(service.services.orderLifecycle, 'create').mockRejectedValueOnce(new Error('transient failure'));
    try {
      expectStatus(await post(body, key), 500);
    } finally {
      spy.mockRestore();
    }
    expect(await keys.findOne({ key })).toBeNull();
    const retry = await post(body, key);
    expectStatus(retry, 201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it('keeps and replays a 4xx answer', async () => {
    const body = restOrderBody({ items: [] });
    const key = newKey();
    const first = await post(body, key);
    expectStatus(first, 400);
    const repeat = await post(body, key);
    expectStatus(repeat, 400);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
  });

  it('stores a key for 24 hours; past expiresAt it is ignored and the request runs again', async () => {
    const body = restOrderBody();
    const key = newKey();
    const first = await post(body, key);
    const record = (await keys.findOne({ key }))!;
    expect(record.expiresAt.getTime() - record.createdAt.getTime()).toBe(IDEMPOTENCY_TTL_MS);
    expect(record).toMatchObject({ tenantId: 'default', method: 'POST', path: '/api/v1/orders', state: 'completed' });

    await keys.updateOne({ key }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const second = await post(body, key);
    expectStatus(second, 201);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.orderId).not.toBe(first.body.orderId);
    expect(await ordersOf(body.customerId)).toBe(2);
  });

  it('a TTL index expires keys: the store deletes an expired one and keeps live ones', async () => {
    const ttl = (await keys.indexes()).find((index) => index.name === 'idempotency_expiry');
    expect(ttl).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
    const expired = newKey();
    const live = newKey();
    await post(restOrderBody(), expired);
    await post(restOrderBody(), live);
    await keys.updateOne({ key: expired }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    // The store's TTL monitor runs every 60 s, as mongod's does.
    await eventually(async () => expect(await keys.findOne({ key: expired })).toBeNull(), 80_000, 1_000);
    expect(await keys.findOne({ key: live })).not.toBeNull();
  }, 90_000);

  it('takes over a claim whose request never finished (lease expired)', async () => {
    const body = restOrderBody();
    const key = newKey();
    const now = Date.now();
    await keys.insertOne({
      tenantId: 'default',
      method: 'POST',
      path: '/api/v1/orders',
      key,
      fingerprint: fingerprint({ body, ifMatch: null }),
      state: 'in_flight',
      response: null,
      createdAt: new Date(now - 10 * 60_000),
      leaseExpiresAt: new Date(now - 60_000),
      expiresAt: new Date(now + IDEMPOTENCY_TTL_MS),
    });
    const response = await post(body, key);
    expectStatus(response, 201);
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it('the unique index refuses a second claim of the same key with error 11000', async () => {
    const record = (key: string): IdempotencyRecord => ({
      tenantId: 'default',
      method: 'POST',
      path: '/api/v1/orders',
      key,
      fingerprint: 'f',
      state: 'in_flight',
      response: null,
      createdAt: new Date(),
      leaseExpiresAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const key = newKey();
    await keys.insertOne(record(key));
    await expect(keys.insertOne(record(key))).rejects.toMatchObject({ code: 11000 });
  });

  it('refuses a malformed Idempotency-Key with 400 naming the header', async () => {
    const body = restOrderBody();
    for (const key of ['has space', 'x'.repeat(256)]) {
      const response = await post(body, key);
      expectStatus(response, 400);
      expect(response.body.details.issues).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
    }
    expect(await ordersOf(body.customerId)).toBe(0);
  });

  it('creates exactly one order under 200 concurrent requests with the same key', async () => {
    const body = restOrderBody();
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 200 }, () => post(body, key)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
    const created = responses.filter((response) => response.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((response) => response.body.orderId)).size).toBe(1);
    expect(created.filter((response) => response.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await ordersOf(body.customerId)).toBe(1);

    const later = await post(body, key);
    expectStatus(later, 201);
    expect(later.body.orderId).toBe(created[0].body.orderId);
  }, 120_000);
});
