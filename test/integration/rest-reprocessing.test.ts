import { bearer } from '../support/test-auth';
import type { RunningOrderService } from '../../src/order-service';
import { expectStatus, rest, restOrderBody } from '../support/rest-client';
import { startTestService } from '../support/test-service';

/** /api/v1/reprocessing and /api/v1/dead-letter-queue over the real store; every response checked against OpenAPI. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();
const fields = (response: { body: any }) => response.body.details.issues.map((issue: { field: string }) => issue.field);

describe('REST reprocessing and dead letter queue (real store)', () => {
  let service: RunningOrderService;

  beforeAll(async () => {
    service = await startTestService({ MAX_RETRIES: '3' });
  });
  afterAll(async () => {
    await service.stop();
  });

  async function order(stage: 'received' | 'validated' | 'picking' = 'received', customerId?: string) {
    const created = await rest(service, 'POST', '/orders', { body: restOrderBody(customerId ? { customerId } : {}) });
    expectStatus(created, 201);
    const { orderId } = created.body;
    const steps: Array<[string, unknown]> =
      stage === 'picking'
        ? [
            ['validate', undefined],
            ['assign-wave', { waveId: 'W-1' }],
            ['start-picking', undefined],
          ]
        : stage === 'validated'
          ? [['validate', undefined]]
          : [];
    for (const [action, body] of steps) expectStatus(await rest(service, 'PUT', `/orders/${orderId}/${action}`, { body }), 200);
    return orderId as string;
  }
  const fail = (orderId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    rest(service, 'POST', `/reprocessing/orders/${orderId}/retry-count`, { body: { failureReason: 'Picking station offline', ...body }, headers });
  const moveToDlq = (orderId: string, failureStatus = 'picking', failureReason = 'Inventory permanently unavailable') =>
    rest(service, 'POST', `/reprocessing/orders/${orderId}/dlq`, { body: { failureStatus, failureReason } });

  describe('retry-count', () => {
    it('GET answers retry metadata with count 0 for an order that never failed', async () => {
      const orderId = await order();
      const response = await rest(service, 'GET', `/reprocessing/orders/${orderId}/retry-count`);
      expectStatus(response, 200);
      expect(response.body).toEqual({
        orderId,
        retryCount: 0,
        maxRetries: 3,
        lastFailureReason: null,
        lastFailureStatus: null,
        lastFailedAt: null,
        nextRetryAt: null,
        isEligibleForRetry: true,
      });
    });

    it('POST records a failure and schedules the retry with backoff (2 failures → 30 min)', async () => {
      const orderId = await order('picking');
      const t0 = Date.now() - HOUR;
      expectStatus(await fail(orderId, { failedAt: iso(t0) }), 200);
      const second = await fail(orderId, { failedAt: iso(t0 + MINUTE), failureStatus: 'picking', workflowId: 'order-fulfillment-1', runId: 'r-2' });
      expectStatus(second, 200);
      expect(second.body).toMatchObject({
        orderId,
        retryCount: 2,
        lastFailureReason: 'Picking station offline',
        lastFailureStatus: 'picking',
        lastFailedAt: iso(t0 + MINUTE),
        nextRetryAt: iso(t0 + MINUTE + 30 * MINUTE),
        isEligibleForRetry: true,
      });
      expect((await rest(service, 'GET', `/reprocessing/orders/${orderId}/retry-count`)).body).toEqual(second.body);
      // The order carries the same history (CONTRACT §2: retry.history[]).
      const { body: stored } = await rest(service, 'GET', `/orders/${orderId}`);
      expect(stored.retry.history).toEqual([
        { attempt: 1, failureReason: 'Picking station offline', failureStatus: 'picking', failedAt: iso(t0), workflowId: null, runId: null },
        {
          attempt: 2,
          failureReason: 'Picking station offline',
          failureStatus: 'picking',
          failedAt: iso(t0 + MINUTE),
          workflowId: 'order-fulfillment-1',
          runId: 'r-2',
        },
      ]);
    });

    it('POST at maxRetries moves the order to the dead letter queue', async () => {
      const orderId = await order('picking');
      for (let n = 1; n <= 3; n += 1) expectStatus(await fail(orderId, { failureReason: `failure ${n}` }), 200);
      const meta = await rest(service, 'GET', `/reprocessing/orders/${orderId}/retry-count`);
      expect(meta.body).toMatchObject({ retryCount: 3, nextRetryAt: null, isEligibleForRetry: false });
      const entry = await rest(service, 'GET', `/dead-letter-queue/${orderId}`);
      expectStatus(entry, 200);
      expect(entry.body).toMatchObject({ orderId, failureReason: 'failure 3', retryCount: 3, resolved: false, resolution: null });
      expect(entry.body.retryHistory.map((attempt: { attempt: number }) => attempt.attempt)).toEqual([1, 2, 3]);
      const again = await fail(orderId, {});
      expectStatus(again, 409);
      expect(again.body.code).toBe('CONFLICT');
    });

    it('POST refuses a missing failureReason, a bad failedAt and unknown fields with 400 naming them', async () => {
      const orderId = await order();
      const missing = await rest(service, 'POST', `/reprocessing/orders/${orderId}/retry-count`, { body: { failedAt: 'yesterday', attempt: 3 } });
      expectStatus(missing, 400);
      expect(fields(missing)).toEqual(expect.arrayContaining(['failureReason', 'attempt']));
      const badTime = await fail(orderId, { failedAt: 'yesterday' });
      expectStatus(badTime, 400);
      expect(fields(badTime)).toEqual(['failedAt']);
      expect((await rest(service, 'GET', `/reprocessing/orders/${orderId}/retry-count`)).body.retryCount).toBe(0);
    });

    it('answers 404 for an unknown order, both ways', async () => {
      expectStatus(await rest(service, 'GET', '/reprocessing/orders/ORD-000000000000/retry-count'), 404);
      expectStatus(await fail('ORD-000000000000', {}), 404);
    });

    it('POST with an Idempotency-Key counts a retried report once', async () => {
      const orderId = await order('picking');
      const failedAt = iso(Date.now() - HOUR);
      const first = await fail(orderId, { failedAt }, { 'Idempotency-Key': `fail-${orderId}` });
      const repeat = await fail(orderId, { failedAt }, { 'Idempotency-Key': `fail-${orderId}` });
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(repeat.body).toEqual(first.body);
      expect((await rest(service, 'GET', `/reprocessing/orders/${orderId}/retry-count`)).body.retryCount).toBe(1);
    });
  });

  describe('GET /reprocessing/eligible', () => {
    const customerId = `ELIGIBLE-${Date.now()}`;
    let due: string[];

    beforeAll(async () => {
      due = [];
      // Oldest nextRetryAt first: the order failing earliest is due first.
      for (const [stage, hoursAgo] of [
        ['picking', 5],
        ['validated', 4],
        ['picking', 3],
      ] as const) {
        const orderId = await order(stage, customerId);
        expectStatus(await fail(orderId, { failedAt: iso(Date.now() - hoursAgo * HOUR) }), 200);
        due.push(orderId);
      }
      const notDue = await order('picking', customerId);
      expectStatus(await fail(notDue, {}), 200); // next retry 15 min from now
    });

    const mine = (response: { body: { data: Array<{ orderId: string; customerId: string }> } }) =>
      response.body.data.filter((candidate) => candidate.customerId === customerId).map((candidate) => candidate.orderId);

    it('lists the orders whose retry is due, oldest first, as {data, total}', async () => {
      const response = await rest(service, 'GET', '/reprocessing/eligible');
      expectStatus(response, 200);
      expect(mine(response)).toEqual(due);
      expect(response.body.total).toBe(response.body.data.length);
      const candidate = response.body.data.find((entry: { orderId: string }) => entry.orderId === due[0]);
      expect(candidate).toMatchObject({
        customerId,
        status: 'picking',
        retryCount: 1,
        lastFailureReason: 'Picking station offline',
        createdAt: expect.any(String),
      });
    });

    it('filters by status, repeated or as a comma list', async () => {
      const repeated = await rest(service, 'GET', '/reprocessing/eligible?status=picking&status=packing');
      expect(mine(repeated)).toEqual([due[0], due[2]]);
      const comma = await rest(service, 'GET', '/reprocessing/eligible?status=validated,received');
      expect(mine(comma)).toEqual([due[1]]);
    });

    it('limits the page but counts every match in total', async () => {
      const all = await rest(service, 'GET', '/reprocessing/eligible');
      const one = await rest(service, 'GET', '/reprocessing/eligible?limit=1');
      expect(one.body.data).toHaveLength(1);
      expect(one.body.total).toBe(all.body.total);
    });

    it('leaves out orders at or over maxRetries', async () => {
      const response = await rest(service, 'GET', '/reprocessing/eligible?maxRetries=1');
      expect(mine(response)).toEqual([]);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=many', 'limit'],
      ['maxRetries=-1', 'maxRetries'],
      ['maxRetries=x', 'maxRetries'],
      ['status=waiting', 'status'],
      ['status=picking,PACKING', 'status'],
      ['state=picking', 'state'],
    ])('answers 400 naming the parameter for ?%s', async (query, parameter) => {
      const response = await rest(service, 'GET', `/reprocessing/eligible?${query}`);
      expectStatus(response, 400);
      expect(fields(response)[0]).toMatch(new RegExp(`^${parameter}(\\.|$)`));
    });
  });

  describe('POST /reprocessing/orders/{orderId}/reset', () => {
    it('resets a validated order that failed in picking: validated, wave cleared, count kept, ETag', async () => {
      const orderId = await order('picking');
      expectStatus(await fail(orderId, {}), 200);
      const response = await rest(service, 'POST', `/reprocessing/orders/${orderId}/reset`);
      expectStatus(response, 200);
      expect(response.body).toMatchObject({ orderId, status: 'validated', waveId: null, retry: { count: 1, nextRetryAt: null } });
      expect(response.headers.get('etag')).toBe(`"${response.body.version}"`);
    });

    it('answers 409 for a cancelled order and 400 for If-Match, which it cannot honour', async () => {
      const orderId = await order();
      expectStatus(await rest(service, 'PUT', `/orders/${orderId}/cancel`, { body: { reason: 'x' } }), 200);
      const cancelled = await rest(service, 'POST', `/reprocessing/orders/${orderId}/reset`);
      expectStatus(cancelled, 409);
      expect(cancelled.body.details.currentStatus).toBe('cancelled');
      const conditional = await rest(service, 'POST', `/reprocessing/orders/${orderId}/reset`, { headers: { 'If-Match': '"1"' } });
      expectStatus(conditional, 400);
      expect(fields(conditional)).toEqual(['If-Match']);
    });
  });

  describe('POST /reprocessing/orders/{orderId}/dlq', () => {
    it('moves the order to the dead letter queue and answers the entry', async () => {
      const orderId = await order('picking');
      const response = await moveToDlq(orderId);
      expectStatus(response, 200);
      expect(response.body).toMatchObject({
        orderId,
        failureStatus: 'picking',
        failureReason: 'Inventory permanently unavailable',
        retryCount: 0,
        resolved: false,
        resolution: null,
        originalOrder: { orderId, status: 'picking' },
        history: [],
      });
      expect((await rest(service, 'GET', `/orders/${orderId}`)).body.deadLettered).toBe(true);
    });

    it('answers 409 when the order is already held, 400 naming missing fields, 404 for an unknown order', async () => {
      const orderId = await order();
      expectStatus(await moveToDlq(orderId), 200);
      const again = await moveToDlq(orderId);
      expectStatus(again, 409);
      const missing = await rest(service, 'POST', `/reprocessing/orders/${orderId}/dlq`, { body: { failureReason: 'x' } });
      expectStatus(missing, 400);
      expect(fields(missing)).toEqual(['failureStatus']);
      expectStatus(await moveToDlq('ORD-000000000000'), 404);
    });
  });

  describe('dead letter queue', () => {
    const customerId = `DLQ-${Date.now()}`;
    const held: string[] = [];

    beforeAll(async () => {
      for (const failureStatus of ['picking', 'packing', 'picking']) {
        const orderId = await order('received', customerId);
        expectStatus(await moveToDlq(orderId, failureStatus), 200);
        held.push(orderId);
      }
    });

    const ids = (response: { body: { data: Array<{ orderId: string }> } }) => response.body.data.map((entry) => entry.orderId);

    it('lists entries newest first as {data, total, limit, offset}, filtered by customer', async () => {
      const response = await rest(service, 'GET', `/dead-letter-queue?customerId=${customerId}`);
      expectStatus(response, 200);
      expect(ids(response)).toEqual([...held].reverse());
      expect(response.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
    });

    it('filters by failureStatus and resolved, and pages with limit and offset', async () => {
      expect(ids(await rest(service, 'GET', `/dead-letter-queue?customerId=${customerId}&failureStatus=packing`))).toEqual([held[1]]);
      expect(ids(await rest(service, 'GET', `/dead-letter-queue?customerId=${customerId}&resolved=true`))).toEqual([]);
      expect(ids(await rest(service, 'GET', `/dead-letter-queue?customerId=${customerId}&resolved=false`))).toHaveLength(3);
      const page = await rest(service, 'GET', `/dead-letter-queue?customerId=${customerId}&limit=1&offset=1`);
      expect(ids(page)).toEqual([held[1]]);
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
    });

    it('filters by olderThanHours (fractions allowed)', async () => {
      expect(ids(await rest(service, 'GET', `/dead-letter-queue?customerId=${customerId}&olderThanHours=1.5`))).toEqual([]);
      expect(ids(await rest(service, 'GET', `/dead-letter-queue?customerId=${customerId}&olderThanHours=0`))).toHaveLength(3);
    });

    it.each([
      ['resolved=maybe', 'resolved'],
      ['olderThanHours=old', 'olderThanHours'],
      ['olderThanHours=-1', 'olderThanHours'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=first', 'offset'],
      ['page=2', 'page'],
    ])('answers 400 naming the parameter for ?%s', async (query, parameter) => {
      const response = await rest(service, 'GET', `/dead-letter-queue?${query}`);
      expectStatus(response, 400);
      expect(fields(response)).toEqual([parameter]);
    });

    it('GET /dead-letter-queue/stats answers counts keyed by failure status and resolution', async () => {
      const response = await rest(service, 'GET', '/dead-letter-queue/stats');
      expectStatus(response, 200);
      const { totalEntries, unresolvedCount, resolvedCount, byFailureStatus, byResolution } = response.body;
      expect(totalEntries).toBe(unresolvedCount + resolvedCount);
      expect(Object.values(byFailureStatus as Record<string, number>).reduce((sum, count) => sum + count, 0)).toBe(unresolvedCount);
      expect(byFailureStatus.packing).toBeGreaterThanOrEqual(1);
      expect(Object.keys(byResolution).sort()).toEqual(['cancelled', 'escalated', 'manual_retry']);
      expect(response.body.oldestUnresolvedAt).toEqual(expect.any(String));
    });

    it('GET /dead-letter-queue/{orderId} answers the entry, or 404 for an order never moved there', async () => {
      const entry = await rest(service, 'GET', `/dead-letter-queue/${held[0]}`);
      expectStatus(entry, 200);
      expect(entry.body).toMatchObject({ orderId: held[0], customerId, failureStatus: 'picking' });
      const never = await order();
      expectStatus(await rest(service, 'GET', `/dead-letter-queue/${never}`), 404);
    });

    it('PATCH resolve manual_retry releases the order; a second resolution is 409', async () => {
      const orderId = await order('picking');
      expectStatus(await moveToDlq(orderId), 200);
      const response = await rest(service, 'PATCH', `/dead-letter-queue/${orderId}/resolve`, {
        body: { resolution: 'manual_retry', notes: 'Inventory replenished, retrying order', resolvedBy: 'SUPERVISOR-001' },
        headers: { authorization: await bearer({ sub: 'SUPERVISOR-001' }) },
      });
      expectStatus(response, 200);
      expect(response.body).toMatchObject({
        resolved: true,
        resolution: 'manual_retry',
        resolvedBy: 'SUPERVISOR-001',
        notes: 'Inventory replenished, retrying order',
      });
      const released = await rest(service, 'GET', `/orders/${orderId}`);
      expect(released.body).toMatchObject({ deadLettered: false, status: 'validated', retry: { count: 0 } });
      const again = await rest(service, 'PATCH', `/dead-letter-queue/${orderId}/resolve`, { body: { resolution: 'escalated' } });
      expectStatus(again, 409);
    });

    it('PATCH resolve cancelled cancels the order with the notes; escalated keeps it held', async () => {
      const cancelled = await order();
      expectStatus(await moveToDlq(cancelled), 200);
      expectStatus(
        await rest(service, 'PATCH', `/dead-letter-queue/${cancelled}/resolve`, { body: { resolution: 'cancelled', notes: 'Customer gave up' } }),
        200,
      );
      expect((await rest(service, 'GET', `/orders/${cancelled}`)).body).toMatchObject({ status: 'cancelled', cancellation: { reason: 'Customer gave up' } });

      const escalated = await order();
      expectStatus(await moveToDlq(escalated), 200);
      const response = await rest(service, 'PATCH', `/dead-letter-queue/${escalated}/resolve`, {
        body: { resolution: 'escalated' },
        headers: { authorization: await bearer({ sub: 'SUP-7' }) },
      });
      expect(response.body).toMatchObject({ resolution: 'escalated', resolvedBy: 'SUP-7' });
      expect((await rest(service, 'GET', `/orders/${escalated}`)).body.deadLettered).toBe(true);
    });

    it('PATCH resolve refuses unknown resolutions, upper-case ones, long notes and unknown fields with 400 naming them', async () => {
      const orderId = await order();
      expectStatus(await moveToDlq(orderId), 200);
      for (const [body, field] of [
        [{ resolution: 'retry' }, 'resolution'],
        [{ resolution: 'MANUAL_RETRY' }, 'resolution'],
        [{}, 'resolution'],
        [{ resolution: 'escalated', notes: 'n'.repeat(2001) }, 'notes'],
        [{ resolution: 'escalated', priority: 'high' }, 'priority'],
      ] as const) {
        const response = await rest(service, 'PATCH', `/dead-letter-queue/${orderId}/resolve`, { body });
        expectStatus(response, 400);
        expect(fields(response)).toContain(field);
      }
      const unknownResolution = await rest(service, 'PATCH', `/dead-letter-queue/${orderId}/resolve`, { body: { resolution: 'retry' } });
      expect(unknownResolution.body.details.issues[0].message).toBe('expected one of cancelled, escalated, manual_retry');
      expect((await rest(service, 'GET', `/dead-letter-queue/${orderId}`)).body.resolved).toBe(false);
      expectStatus(await rest(service, 'PATCH', '/dead-letter-queue/ORD-000000000000/resolve', { body: { resolution: 'escalated' } }), 404);
    });

    it('answers 405 with Allow for methods the paths do not have', async () => {
      const stats = await rest(service, 'DELETE', '/dead-letter-queue/stats');
      expectStatus(stats, 405);
      expect(stats.headers.get('allow')).toBe('GET, HEAD');
      const eligible = await rest(service, 'POST', '/reprocessing/eligible', { body: {} });
      expectStatus(eligible, 405);
      const resolve = await rest(service, 'PUT', `/dead-letter-queue/${held[0]}/resolve`, { body: { resolution: 'escalated' } });
      expectStatus(resolve, 405);
      expect(resolve.headers.get('allow')).toBe('PATCH');
    });
  });
});
