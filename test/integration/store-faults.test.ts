import { MongoClient, type Document } from 'mongodb';
import type { RunningOrderService } from '../../src/order-service';
import { eventually } from '../support/dlq-support';
import { expectStatus, rest, restOrderBody, type RestResult } from '../support/rest-client';
import { TEST_MONGODB_URI } from '../support/test-infra';
import { graphql, startTestService, uniqueName } from '../support/test-service';

/**
 * Requests while the store fails (SecantusDB's `configureFailPoint`, as on mongod): each one either succeeds (the
 * driver retries a retryable read or write once, a transaction is run again) or answers a clean 503
 * SERVICE_UNAVAILABLE with Retry-After — never a 500, never internals, never half a change.
 *
 * Failpoints are server-wide, so every one set here names the service's `appName` (SecantusDB honours `data.appName`
 * like mongod): the test's own client, which checks what was stored and turns failpoints off, is never hit. The
 * service runs without its outbox relay, count projector, DLQ retention and redrive runner, so nothing but the request
 * under test writes (their `update`s would otherwise take a `times: N` failpoint meant for the request); its periodic
 * gauges still read, which is why read faults check that the request itself met the fault. Every failpoint is turned off in `finally`/afterEach, and each
 * test starts on a service whose driver sees the store as a writable primary again.
 *
 * The store's failpoints fail commands without changing its topology version, so the driver, which marks the server
 * Unknown after NotWritablePrimary/ShutdownInProgress, would otherwise learn that it is fine only at its next streamed
 * `hello` (heartbeatFrequencyMS, 10 s): a real step-down announces itself at once. The main service therefore polls
 * every 500 ms, so a retried command reaches the store again (and meets the failpoint again) instead of timing out in
 * server selection; the last block runs the driver's defaults.
 */

const SERVICE_APP = uniqueName('store-faults-svc');
const TEST_APP = 'store-faults-test';
/** What an answer must never show: the driver's or the store's words, a stack frame, the store's address. */
const INTERNALS = /failpoint|failCommand|Mongo|NotWritablePrimary|ShutdownInProgress|WriteConflict|stack|\bat \w+ \(|127\.0\.0\.1/i;

interface SeenCommand {
  name: string;
  collection: unknown;
  command: Document;
  failure?: Error & { code?: number };
}

/** The service's commands as its driver reports them (monitorCommands), from `since` on. */
class CommandLog {
  private readonly started = new Map<number, SeenCommand>();
  readonly failed: SeenCommand[] = [];
  readonly succeeded: SeenCommand[] = [];

  constructor(client: MongoClient) {
    client.on('commandStarted', (event) => {
      this.started.set(event.requestId, { name: event.commandName, collection: event.command[event.commandName], command: event.command });
    });
    client.on('commandSucceeded', (event) => {
      const seen = this.started.get(event.requestId);
      this.started.delete(event.requestId);
      if (seen) this.succeeded.push(seen);
    });
    client.on('commandFailed', (event) => {
      const seen = this.started.get(event.requestId);
      this.started.delete(event.requestId);
      if (seen) this.failed.push({ ...seen, failure: event.failure as SeenCommand['failure'] });
    });
  }

  mark(): { failed: () => SeenCommand[]; succeeded: () => SeenCommand[] } {
    const failedFrom = this.failed.length;
    const succeededFrom = this.succeeded.length;
    return { failed: () => this.failed.slice(failedFrom), succeeded: () => this.succeeded.slice(succeededFrom) };
  }
}

const on = (name: string, collection: string, mentioning?: string) => (seen: SeenCommand) =>
  seen.name === name && seen.collection === collection && (mentioning === undefined || JSON.stringify(seen.command).includes(mentioning));

describe('store faults (SecantusDB failpoints)', () => {
  let admin: MongoClient;

  const failPoint = async (mode: 'alwaysOn' | { times: number; skip?: number }, data: Document, appName = SERVICE_APP) => {
    await admin.db('admin').command({ configureFailPoint: 'failCommand', mode, data: { ...data, appName } });
  };
  const failPointOff = async () => {
    await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
  };
  /** Runs `act` with the failpoint on; it is off again however `act` ends. */
  const withFailPoint = async <T>(mode: 'alwaysOn' | { times: number; skip?: number }, data: Document, act: () => Promise<T>): Promise<T> => {
    await failPoint(mode, data);
    try {
      return await act();
    } finally {
      await failPointOff();
    }
  };

  beforeAll(async () => {
    admin = new MongoClient(TEST_MONGODB_URI, { appName: TEST_APP });
    await admin.connect();
    await failPointOff();
  });
  afterAll(async () => {
    await failPointOff().catch(() => undefined);
    await admin.close();
  });

  /**
   * Until /ready has answered 200 three times in a row: a connection the driver was opening while the store refused
   * it can still fail (and mark the store unknown) just after the first 200.
   */
  async function waitUntilReady(service: RunningOrderService, timeoutMs = 30_000) {
    let inARow = 0;
    await eventually(
      async () => {
        const response = await fetch(`${service.url}/ready`);
        inARow = response.status === 200 ? inARow + 1 : 0;
        if (response.status !== 200) throw new Error(`/ready answered ${response.status}: ${await response.text()}`);
        if (inARow < 3) throw new Error(`/ready answered 200 ${inARow} time(s) in a row`);
      },
      timeoutMs,
      200,
    );
  }

  function expectUnavailable(response: RestResult) {
    if (response.status !== 503) throw new Error(`expected HTTP 503, got ${response.status}: ${JSON.stringify(response.body)}`);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.body).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'Service temporarily unavailable',
      requestId: expect.any(String),
      timestamp: expect.any(String),
      path: expect.any(String),
    });
    expect(JSON.stringify(response.body)).not.toMatch(INTERNALS);
  }

  describe('with the service polling the store every 500 ms', () => {
    let service: RunningOrderService;
    let commands: CommandLog;
    const orders = () => admin.db(service.services.config.MONGODB_DATABASE).collection('orders');
    const idempotencyKeys = () => admin.db(service.services.config.MONGODB_DATABASE).collection('idempotency_keys');

    beforeAll(async () => {
      service = await startTestService({
        MONGODB_URI: `${TEST_MONGODB_URI}&appName=${SERVICE_APP}&heartbeatFrequencyMS=500&monitorCommands=true`,
        OUTBOX_RELAY_ENABLED: 'false',
        // A fail point meets the request's own command, not the projector's background reads and writes.
        ORDER_COUNTS_PROJECTOR_ENABLED: 'false',
        DLQ_RETENTION_ENABLED: 'false',
        DLQ_REDRIVE_RUNNER_ENABLED: 'false',
      });
      commands = new CommandLog(service.services.mongo.getClient() as unknown as MongoClient);
    });
    afterEach(async () => {
      await failPointOff();
      await waitUntilReady(service);
    });
    afterAll(async () => {
      await service?.stop();
    });

    async function createOrder(customerId = uniqueName('FAULT')) {
      const created = await rest(service, 'POST', '/orders', { body: restOrderBody({ customerId }) });
      expectStatus(created, 201);
      return created.body.orderId as string;
    }
    async function orderInPicking() {
      const orderId = await createOrder();
      for (const [action, body] of [
        ['validate', undefined],
        ['assign-wave', { waveId: 'W-FAULT' }],
        ['start-picking', undefined],
      ] as const) {
        expectStatus(await rest(service, 'PUT', `/orders/${orderId}/${action}`, { body }), 200);
      }
      return orderId;
    }
    /** The stored document: state, version and the outbox (the relay is off, so it keeps every event). */
    async function stored(orderId: string) {
      const doc = await orders().findOne({ _id: orderId as never });
      if (!doc) throw new Error(`order ${orderId} is not stored`);
      const outbox = (doc.outbox ?? []) as Array<{ id: string; seq: number; type: string }>;
      return {
        status: doc.status as string,
        version: doc.version as number,
        outboxSeq: doc.outboxSeq as number,
        outbox,
        deadLettered: doc.deadLettered as boolean,
      };
    }
    function expectConsistentOutbox(doc: Awaited<ReturnType<typeof stored>>) {
      expect(doc.outbox.map((entry) => entry.seq)).toEqual(doc.outbox.map((_, index) => index + 1));
      expect(new Set(doc.outbox.map((entry) => entry.id)).size).toBe(doc.outbox.length);
      expect(doc.outboxSeq).toBe(doc.outbox.length);
    }
    const typesOf = (doc: Awaited<ReturnType<typeof stored>>) => doc.outbox.map((entry) => entry.type);

    it('scopes failpoints to the service: its reads fail, the test client keeps working (appName is honoured)', async () => {
      const orderId = await createOrder();
      await withFailPoint('alwaysOn', { failCommands: ['find'], errorCode: 91 }, async () => {
        expect(await orders().findOne({ _id: orderId as never })).not.toBeNull();
        expectUnavailable(await rest(service, 'GET', `/orders/${orderId}`));
      });
    });

    describe('writes', () => {
      it('a create whose insert loses its connection once is retried by the driver: 201 and exactly one order', async () => {
        const customerId = uniqueName('FAULT-CREATE');
        const seen = commands.mark();
        const created = await withFailPoint({ times: 1 }, { failCommands: ['insert'], closeConnection: true }, () =>
          rest(service, 'POST', '/orders', { body: restOrderBody({ customerId }) }),
        );
        expectStatus(created, 201);
        // The fault met the order's insert, and the retry stored it.
        expect(seen.failed().filter(on('insert', 'orders'))).toEqual([
          expect.objectContaining({ failure: expect.objectContaining({ name: 'MongoNetworkError' }) }),
        ]);
        expect(seen.succeeded().filter(on('insert', 'orders'))).toHaveLength(1);
        expect(await orders().countDocuments({ customerId })).toBe(1);
        const doc = await stored(created.body.orderId);
        expect(typesOf(doc)).toEqual(['wms.order.received']);
        expectConsistentOutbox(doc);
        expectStatus(await rest(service, 'GET', `/orders/${created.body.orderId}`), 200);
      });

      it('a state change whose update loses its connection once is retried: 200 and the change stored once', async () => {
        const orderId = await createOrder();
        const before = await stored(orderId);
        const seen = commands.mark();
        const validated = await withFailPoint({ times: 1 }, { failCommands: ['update'], closeConnection: true }, () =>
          rest(service, 'PUT', `/orders/${orderId}/validate`),
        );
        expectStatus(validated, 200);
        expect(validated.body).toMatchObject({ orderId, status: 'validated', version: before.version + 1 });
        expect(seen.failed().filter(on('update', 'orders', orderId))).toHaveLength(1);
        const after = await stored(orderId);
        expect(after).toMatchObject({ status: 'validated', version: before.version + 1 });
        expect(typesOf(after).filter((type) => type === 'wms.order.validated')).toHaveLength(1);
        expectConsistentOutbox(after);
      });

      it.each([
        [10107, 'NotWritablePrimary'],
        [91, 'ShutdownInProgress'],
      ])('a create whose insert keeps failing with %i (%s) answers 503 with Retry-After and stores nothing', async (errorCode) => {
        const customerId = uniqueName('FAULT-CREATE-FAIL');
        const total = await orders().countDocuments({});
        const seen = commands.mark();
        const response = await withFailPoint({ times: 5 }, { failCommands: ['insert'], errorCode }, () =>
          rest(service, 'POST', '/orders', { body: restOrderBody({ customerId }) }),
        );
        expectUnavailable(response);
        // The first attempt and the driver's one retry both met the fault.
        expect(
          seen
            .failed()
            .filter(on('insert', 'orders'))
            .map((command) => command.failure?.code),
        ).toEqual([errorCode, errorCode]);
        expect(await orders().countDocuments({ customerId })).toBe(0);
        expect(await orders().countDocuments({})).toBe(total);
      });

      it('the same fault under GraphQL (validateOrder) answers SERVICE_UNAVAILABLE without internals and changes nothing', async () => {
        const orderId = await createOrder();
        const before = await stored(orderId);
        const result = await withFailPoint({ times: 5 }, { failCommands: ['update'], errorCode: 10107 }, () =>
          graphql(service, 'mutation Validate($id: ID!) { validateOrder(id: $id) { id status version } }', { id: orderId }),
        );
        expect(result.data ?? null).toBeNull();
        expect(result.errors).toEqual([{ message: 'Service temporarily unavailable', path: ['validateOrder'], extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
        expect(JSON.stringify(result)).not.toMatch(INTERNALS);
        expect(await stored(orderId)).toEqual(before);
      });

      it.each([
        [10107, 'NotWritablePrimary'],
        [91, 'ShutdownInProgress'],
      ])('a state change whose update keeps failing with %i (%s) answers 503 and leaves the order as it was', async (errorCode) => {
        const orderId = await createOrder();
        const before = await stored(orderId);
        const seen = commands.mark();
        const response = await withFailPoint({ times: 5 }, { failCommands: ['update'], errorCode }, () => rest(service, 'PUT', `/orders/${orderId}/validate`));
        expectUnavailable(response);
        expect(seen.failed().filter(on('update', 'orders', orderId)).length).toBeGreaterThanOrEqual(2);
        expect(await stored(orderId)).toEqual(before);
        // …and the same request succeeds once the store is back.
        await waitUntilReady(service);
        const again = await rest(service, 'PUT', `/orders/${orderId}/validate`);
        expectStatus(again, 200);
        expect(again.body.version).toBe(before.version + 1);
      });

      it('a create under an Idempotency-Key whose claim cannot be stored answers 503 (outside GraphQL) and keeps no claim', async () => {
        const customerId = uniqueName('FAULT-IDEM');
        const key = uniqueName('key');
        const body = restOrderBody({ customerId });
        const total = await orders().countDocuments({});
        const seen = commands.mark();
        const response = await withFailPoint({ times: 5 }, { failCommands: ['insert'], errorCode: 91 }, () =>
          rest(service, 'POST', '/orders', { body, headers: { 'Idempotency-Key': key } }),
        );
        expectUnavailable(response);
        expect(seen.failed().filter(on('insert', 'idempotency_keys')).length).toBeGreaterThanOrEqual(1);
        expect(await idempotencyKeys().countDocuments({ key })).toBe(0);
        expect(await orders().countDocuments({ customerId })).toBe(0);
        expect(await orders().countDocuments({})).toBe(total);
        await waitUntilReady(service);
        const retried = await rest(service, 'POST', '/orders', { body, headers: { 'Idempotency-Key': key } });
        expectStatus(retried, 201);
        expect(retried.headers.get('idempotent-replayed')).toBeNull();
        expect(await orders().countDocuments({ customerId })).toBe(1);
      });

      it('a create under an Idempotency-Key whose order insert fails answers 503 and gives the key back', async () => {
        const customerId = uniqueName('FAULT-IDEM-OP');
        const key = uniqueName('key');
        const body = restOrderBody({ customerId });
        const seen = commands.mark();
        // The claim's insert passes (skip 1); the order's insert and its retry fail.
        const response = await withFailPoint({ skip: 1, times: 2 }, { failCommands: ['insert'], errorCode: 10107 }, () =>
          rest(service, 'POST', '/orders', { body, headers: { 'Idempotency-Key': key } }),
        );
        expectUnavailable(response);
        expect(seen.succeeded().filter(on('insert', 'idempotency_keys'))).toHaveLength(1);
        expect(seen.failed().filter(on('insert', 'orders'))).toHaveLength(2);
        expect(await orders().countDocuments({ customerId })).toBe(0);
        expect(await idempotencyKeys().countDocuments({ key })).toBe(0);
        await waitUntilReady(service);
        const retried = await rest(service, 'POST', '/orders', { body, headers: { 'Idempotency-Key': key } });
        expectStatus(retried, 201);
        expect(await orders().countDocuments({ customerId })).toBe(1);
      });

      it('WriteConflict (112) on a state change a few times: 200 or 503, never 500, never half a change', async () => {
        const orderId = await createOrder();
        const before = await stored(orderId);
        const seen = commands.mark();
        const response = await withFailPoint({ times: 3 }, { failCommands: ['update'], errorCode: 112 }, () =>
          rest(service, 'PUT', `/orders/${orderId}/validate`),
        );
        expect(
          seen
            .failed()
            .filter(on('update', 'orders', orderId))
            .map((command) => command.failure?.code),
        ).toContain(112);
        const after = await stored(orderId);
        expectConsistentOutbox(after);
        if (response.status === 200) {
          expect(after).toMatchObject({ status: 'validated', version: before.version + 1 });
          expect(typesOf(after).filter((type) => type === 'wms.order.validated')).toHaveLength(1);
        } else {
          expectUnavailable(response);
          expect(after).toEqual(before);
        }
      });
    });

    describe('reads', () => {
      /**
       * Arms a one-shot read fault and runs the read; the service's gauges read in the background too, and when one of
       * them took the fault instead, the read is run again (at most three times) so that it is the request that met it.
       */
      async function readMeetingFault<T>(data: Document, orderId: string, read: () => Promise<T>): Promise<T> {
        for (let attempt = 1; ; attempt += 1) {
          const seen = commands.mark();
          const result = await withFailPoint({ times: 1 }, data, read);
          if (seen.failed().some(on('find', 'orders', orderId))) return result;
          if (attempt === 3) throw new Error(`the fault never met the read of ${orderId}: ${JSON.stringify(seen.failed().map((c) => c.name))}`);
        }
      }

      it('GET /orders/{id} whose find loses its connection once is retried: 200', async () => {
        const orderId = await createOrder();
        const response = await readMeetingFault({ failCommands: ['find'], closeConnection: true }, orderId, () => rest(service, 'GET', `/orders/${orderId}`));
        expectStatus(response, 200);
        expect(response.body.orderId).toBe(orderId);
      });

      it('GET /orders/{id} while every find fails answers 503 with Retry-After and no internals', async () => {
        const orderId = await createOrder();
        const seen = commands.mark();
        const response = await withFailPoint('alwaysOn', { failCommands: ['find'], errorCode: 91 }, () => rest(service, 'GET', `/orders/${orderId}`));
        expectUnavailable(response);
        expect(seen.failed().filter(on('find', 'orders', orderId)).length).toBeGreaterThanOrEqual(2);
      });

      const ORDER = 'query Order($id: ID!) { order(id: $id) { id status version } }';

      it('GraphQL order(id) whose find loses its connection once is retried: data', async () => {
        const orderId = await createOrder();
        const result = await readMeetingFault({ failCommands: ['find'], closeConnection: true }, orderId, () => graphql(service, ORDER, { id: orderId }));
        expect(result.errors).toBeUndefined();
        expect(result.data?.order).toMatchObject({ id: orderId, status: 'RECEIVED' });
      });

      it('GraphQL order(id) while every find fails answers SERVICE_UNAVAILABLE without internals', async () => {
        const orderId = await createOrder();
        const result = await withFailPoint('alwaysOn', { failCommands: ['find'], errorCode: 10107 }, () => graphql(service, ORDER, { id: orderId }));
        expect(result.data ?? null).toBeNull();
        expect(result.errors).toEqual([{ message: 'Service temporarily unavailable', path: ['order'], extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
        expect(JSON.stringify(result)).not.toMatch(INTERNALS);
      });
    });

    describe('moving an order to the dead letter queue (order and counters in one transaction)', () => {
      const moveToDlq = (orderId: string) =>
        rest(service, 'POST', `/reprocessing/orders/${orderId}/dlq`, {
          body: { failureStatus: 'picking', failureReason: 'Inventory permanently unavailable' },
        });

      async function dlqView() {
        const stats = await rest(service, 'GET', '/dead-letter-queue/stats');
        expectStatus(stats, 200);
        const unresolved = await rest(service, 'GET', '/dead-letter-queue?resolved=false&limit=1');
        expectStatus(unresolved, 200);
        const all = await rest(service, 'GET', '/dead-letter-queue?limit=1');
        expectStatus(all, 200);
        return { stats: stats.body, unresolvedEntries: unresolved.body.total as number, entries: all.body.total as number };
      }

      /** The move is stored whole (the order holds the entry and the counters count it) or not at all. */
      async function expectWholeOrNothing(
        orderId: string,
        response: RestResult,
        before: { view: Awaited<ReturnType<typeof dlqView>>; order: Awaited<ReturnType<typeof stored>> },
      ) {
        const view = await dlqView();
        const order = await stored(orderId);
        const entry = await rest(service, 'GET', `/dead-letter-queue/${orderId}`);
        // Counters and entries agree whatever happened.
        expect(view.stats.unresolvedCount).toBe(view.unresolvedEntries);
        expect(view.stats.totalEntries).toBe(view.entries);
        expectConsistentOutbox(order);
        if (response.status === 200) {
          expect(response.body).toMatchObject({ orderId, failureStatus: 'picking', resolved: false });
          expectStatus(entry, 200);
          expect(order).toMatchObject({ deadLettered: true, version: before.order.version + 1 });
          expect(typesOf(order).filter((type) => type === 'wms.order.moved-to-dlq')).toHaveLength(1);
          expect(view.stats.totalEntries).toBe(before.view.stats.totalEntries + 1);
          expect(view.stats.unresolvedCount).toBe(before.view.stats.unresolvedCount + 1);
          expect(view.stats.byFailureStatus.picking ?? 0).toBe((before.view.stats.byFailureStatus.picking ?? 0) + 1);
        } else {
          expectUnavailable(response);
          expectStatus(entry, 404);
          expect(order).toEqual(before.order);
          expect(view.stats).toEqual(before.view.stats);
        }
      }

      async function moveUnder(mode: { times: number; skip?: number }, data: Document) {
        const orderId = await orderInPicking();
        const before = { view: await dlqView(), order: await stored(orderId) };
        const seen = commands.mark();
        const response = await withFailPoint(mode, data, () => moveToDlq(orderId));
        await expectWholeOrNothing(orderId, response, before);
        return { orderId, response, seen };
      }

      it('a statement losing its connection: the transaction runs again and the move is stored whole', async () => {
        const { orderId, response, seen } = await moveUnder({ times: 1 }, { failCommands: ['update'], closeConnection: true });
        expectStatus(response, 200);
        expect(seen.failed().filter(on('update', 'orders', orderId))).toHaveLength(1);
      });

      it('WriteConflict on the counters (TransientTransactionError): the transaction runs again and the move is stored whole', async () => {
        // skip 1: the order's update passes, the counters' update conflicts (twice).
        const { response, seen } = await moveUnder({ skip: 1, times: 2 }, { failCommands: ['update'], errorCode: 112 });
        expectStatus(response, 200);
        // The first conflict met the counters; the transaction's second run met the other one (a skip applies once).
        const conflicts = seen.failed().filter((command) => command.name === 'update');
        expect(conflicts.map((command) => [command.collection, command.failure?.code])).toEqual([
          ['dead_letter_stats', 112],
          [expect.any(String), 112],
        ]);
      });

      it('the commit losing its connection once: the driver retries the commit and the move is stored whole', async () => {
        const { response, seen } = await moveUnder({ times: 1 }, { failCommands: ['commitTransaction'], closeConnection: true });
        expectStatus(response, 200);
        expect(seen.failed().filter((command) => command.name === 'commitTransaction')).toHaveLength(1);
      });

      it('the commit failing with ShutdownInProgress twice: stored whole or not at all', async () => {
        const { response, seen } = await moveUnder({ times: 2 }, { failCommands: ['commitTransaction'], errorCode: 91 });
        expect([200, 503]).toContain(response.status);
        expect(seen.failed().filter((command) => command.name === 'commitTransaction').length).toBeGreaterThanOrEqual(1);
      });

      it('the counters meeting a write conflict after the order was updated: the move is decided again and stored whole', async () => {
        // errorLabels [] makes the conflict final for the transaction, which is aborted with the order's update already
        // made inside it; the writer treats the conflict as a lost race and decides the move again.
        const { response, seen } = await moveUnder({ skip: 1, times: 1 }, { failCommands: ['update'], errorCode: 112, errorLabels: [] });
        expect(seen.failed().filter(on('update', 'dead_letter_stats'))).toHaveLength(1);
        expectStatus(response, 200);
      });
    });

    describe('/ready', () => {
      async function ready() {
        const response = await fetch(`${service.url}/ready`);
        return {
          status: response.status,
          body: (await response.json()) as { status: string; failed?: string[]; checks: Record<string, { status: string; error?: string }> },
        };
      }

      it('answers 503 naming mongodb while the store is unreachable for the service, and 200 again after', async () => {
        expect((await ready()).status).toBe(200);
        const orderId = await createOrder();
        await failPoint('alwaysOn', { failCommands: ['hello', 'isMaster', 'ping'], closeConnection: true });
        try {
          const down = await ready();
          expect(down).toMatchObject({
            status: 503,
            body: { status: 'not_ready', failed: ['mongodb'], checks: { mongodb: { status: 'down' }, kafka: { status: 'up' } } },
          });
          // Still unreachable a moment later (not a one-off), while the test's own client is fine.
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          expect(await ready()).toMatchObject({ status: 503, body: { failed: ['mongodb'] } });
          await admin.db('admin').command({ ping: 1 });
          // Requests meanwhile answer 503, not 500.
          expectUnavailable(await rest(service, 'GET', `/orders/${orderId}`));
        } finally {
          await failPointOff();
        }
        await waitUntilReady(service, 20_000);
        expectStatus(await rest(service, 'GET', `/orders/${orderId}`), 200);
      });

      it('answers 503 within its ping timeout while pings hang, and 200 again after', async () => {
        await failPoint('alwaysOn', { failCommands: ['ping'], blockConnection: true, blockTimeMS: 3_000 });
        try {
          const started = Date.now();
          const down = await ready();
          expect(Date.now() - started).toBeLessThan(2_900);
          expect(down).toMatchObject({
            status: 503,
            body: { failed: ['mongodb'], checks: { mongodb: { status: 'down', error: 'mongodb ping timed out after 2000 ms' } } },
          });
        } finally {
          await failPointOff();
        }
        await waitUntilReady(service, 20_000);
      });

      it('answers 503 while pings fail with ShutdownInProgress, and 200 again after', async () => {
        await withFailPoint('alwaysOn', { failCommands: ['ping'], errorCode: 91 }, async () => {
          expect(await ready()).toMatchObject({ status: 503, body: { failed: ['mongodb'], checks: { mongodb: { status: 'down' }, kafka: { status: 'up' } } } });
        });
        await waitUntilReady(service, 20_000);
      });
    });
  });

  describe("with the driver's default monitoring", () => {
    const appName = uniqueName('store-faults-default');
    let service: RunningOrderService;

    beforeAll(async () => {
      service = await startTestService({
        MONGODB_URI: `${TEST_MONGODB_URI}&appName=${appName}`,
        OUTBOX_RELAY_ENABLED: 'false',
        ORDER_COUNTS_PROJECTOR_ENABLED: 'false',
        DLQ_RETENTION_ENABLED: 'false',
        DLQ_REDRIVE_RUNNER_ENABLED: 'false',
      });
    });
    afterAll(async () => {
      await failPointOff().catch(() => undefined);
      await service?.stop();
    });

    it('NotWritablePrimary on a state change: the driver waits for the store (503 or 200, never 500), and the service recovers', async () => {
      const created = await rest(service, 'POST', '/orders', { body: restOrderBody() });
      expectStatus(created, 201);
      const { orderId, version } = created.body;
      const orders = admin.db(service.services.config.MONGODB_DATABASE).collection('orders');
      let response: RestResult;
      await failPoint({ times: 1 }, { failCommands: ['update'], errorCode: 10107 }, appName);
      try {
        response = await rest(service, 'PUT', `/orders/${orderId}/validate`);
        // While the driver still sees the store as unknown, other requests wait for it and answer 503 or succeed too.
        const read = await rest(service, 'GET', `/orders/${orderId}`);
        expect([200, 503]).toContain(read.status);
        if (read.status === 503) expectUnavailable(read);
      } finally {
        await failPointOff();
      }
      const doc = await orders.findOne({ _id: orderId as never });
      if (response.status === 200) {
        expect(doc).toMatchObject({ status: 'validated', version: version + 1 });
      } else {
        expectUnavailable(response);
        expect(doc).toMatchObject({ status: 'received', version });
      }
      await waitUntilReady(service, 30_000);
      expectStatus(await rest(service, 'GET', `/orders/${orderId}`), 200);
    });
  });
});
