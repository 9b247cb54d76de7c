import { createClient, type Client } from 'graphql-ws';
import { MongoClient } from 'mongodb';
import WebSocket from 'ws';
import type { RunningOrderService } from '../../src/order-service';
import { createOrder, ok } from '../support/graphql-client';
import { DLQ_ENTRY, EventCollector, MOVE_TO_DLQ, RESOLVE, eventually, firstError, startServiceProcess, type ServiceProcess } from '../support/dlq-support';
import { expectStatus, rest } from '../support/rest-client';
import { bearer, defaultAuthorization, TEST_SUBJECT } from '../support/test-auth';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { graphql, startTestService, uniqueName } from '../support/test-service';

/**
 * Bulk redrive of the dead letter queue (issue 13 §1) on the real store and broker: tasks started through REST and
 * GraphQL, run by a service instance other than the one they were started on, their entries resolved as MANUAL_RETRY
 * with the events of a single resolve; selection by filter; pacing; cancel; scopes; progress over graphql-ws from
 * another instance; and a task surviving kill -9 of the process running it, each entry resolved exactly once.
 */

const HOUR = 3_600_000;
const TASK_FIELDS = `taskId status cap ratePerSecond total done failed failures { orderId code message } actor notes
  createdAt startedAt finishedAt cancelRequestedAt filter { failureStatus customerId olderThanHours reasonContains orderIds }`;
const START = `mutation Start($input: DeadLetterRedriveInput!) { startDeadLetterRedrive(input: $input) { ${TASK_FIELDS} } }`;
const TASK = `query Task($taskId: ID!) { deadLetterRedriveTask(taskId: $taskId) { ${TASK_FIELDS} } }`;
const TASKS = `query Tasks($limit: Int, $offset: Int) { deadLetterRedriveTasks(limit: $limit, offset: $offset) { total limit offset items { taskId status } } }`;
const PROGRESS = `subscription Progress($taskId: ID!) { deadLetterRedriveProgress(taskId: $taskId) { ${TASK_FIELDS} } }`;
const STATS = `query { deadLetterStats { unresolvedCount resolvedCount byResolution { resolution count } } }`;

type Service = { url: string };

/** An order moved to the DLQ with this failure, its entry back-dated `hoursAgo` (as dead-letter-queue.test.ts does). */
async function heldOrder(
  service: Service,
  db: () => import('mongodb').Db,
  { customerId, failureStatus, failureReason = 'station offline', hoursAgo = 0, headers = {} }: Record<string, any>,
): Promise<string> {
  const order = await createOrder(service, customerId ? { customerId } : {}, headers);
  await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus, failureReason }, headers);
  if (hoursAgo > 0) {
    const movedAt = new Date(Date.now() - hoursAgo * HOUR);
    await db()
      .collection('orders')
      .updateOne({ orderId: order.id }, { $set: { 'deadLetter.createdAt': movedAt } });
    await db()
      .collection('dead_letter_stats')
      .updateMany({}, { $min: { unresolvedSince: movedAt } });
  }
  return order.id;
}

async function heldOrders(service: Service, db: () => import('mongodb').Db, count: number, fields: Record<string, any>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push(await heldOrder(service, db, fields));
  return ids;
}

async function waitForStatus(service: Service, taskId: string, status: string, timeoutMs = 30_000) {
  return eventually(
    async () => {
      const task = await ok(service, TASK, { taskId });
      if (task.status !== status) throw new Error(`task is ${task.status} (${task.done}/${task.total}), not ${status}`);
      return task;
    },
    timeoutMs,
    100,
  );
}

function wsClient(httpUrl: string): Client {
  return createClient({
    url: `${httpUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams: async () => ({ authorization: await defaultAuthorization() }),
  });
}

describe('bulk redrive: started on one instance, run by another', () => {
  const database = uniqueName('redrive');
  let runner: RunningOrderService;
  let front: RunningOrderService;
  const events = new EventCollector();
  const db = () => runner.services.mongo.db!;

  beforeAll(async () => {
    runner = await startTestService({ MONGODB_DATABASE: database });
    // Takes requests but runs no task: every task started here runs on `runner`.
    front = await startTestService({ MONGODB_DATABASE: database, DLQ_REDRIVE_RUNNER_ENABLED: 'false' });
    await events.start();
  }, 60_000);
  afterAll(async () => {
    await events.stop();
    await Promise.all([front?.stop(), runner?.stop()]);
  });

  it('REST: 202 with Location; the task completes with every selected entry resolved as manual_retry by the actor, with the events of a single resolve', async () => {
    const ids = await heldOrders(front, db, 4, { failureStatus: 'rest-basic', failureReason: 'Scanner offline' });
    const control = await heldOrder(front, db, { failureStatus: 'control', failureReason: 'Scanner offline' });
    const statsBefore = await ok(front, STATS);
    const supervisor = await bearer({ sub: 'SUPERVISOR-042' });

    const started = await rest(front, 'POST', '/dead-letter-queue/redrive', {
      body: { failureStatus: 'rest-basic', ratePerSecond: 20, notes: 'Station 4 back online' },
      headers: { authorization: supervisor },
    });
    expectStatus(started, 202);
    expect(started.body).toMatchObject({
      status: 'queued',
      total: 4,
      done: 0,
      failed: 0,
      failures: [],
      cap: 1000,
      ratePerSecond: 20,
      actor: 'SUPERVISOR-042',
      notes: 'Station 4 back online',
      filter: { failureStatus: 'rest-basic', customerId: null, olderThanHours: null, reasonContains: null, orderIds: null },
      startedAt: null,
      finishedAt: null,
    });
    const location = started.headers.get('location');
    expect(location).toBe(`/api/v1/dead-letter-queue/redrive-tasks/${started.body.taskId}`);

    const finished = await eventually(async () => {
      const read = await rest(front, 'GET', location!.replace('/api/v1', ''));
      expectStatus(read, 200);
      if (read.body.status !== 'completed') throw new Error(`still ${read.body.status}`);
      return read.body;
    });
    expect(finished).toMatchObject({ total: 4, done: 4, failed: 0, failures: [] });
    expect(Date.parse(finished.startedAt)).toBeLessThanOrEqual(Date.parse(finished.finishedAt));

    // A single resolve of the control entry, to compare with.
    await ok(front, RESOLVE, { orderId: control, resolution: 'MANUAL_RETRY', notes: 'Station 4 back online' }, { authorization: supervisor });
    const typesOf = (orderId: string) => events.of(orderId).map((event) => event.type);
    const [controlScheduled] = await events.waitFor(control, 'wms.order.retry-scheduled');
    for (const orderId of ids) {
      const entry = await ok(front, DLQ_ENTRY, { orderId });
      expect(entry).toMatchObject({
        resolved: true,
        resolution: 'MANUAL_RETRY',
        resolvedBy: 'SUPERVISOR-042',
        notes: 'Station 4 back online',
        order: { deadLettered: false, retry: { count: 0 } },
      });
      const [scheduled] = await events.waitFor(orderId, 'wms.order.retry-scheduled');
      expect(scheduled.data).toEqual({
        ...controlScheduled.data,
        orderId,
        customerId: entry.customerId,
        failureStatus: 'rest-basic',
        timestamp: entry.resolvedAt,
      });
      expect(typesOf(orderId)).toEqual(typesOf(control));
    }
    // The queue's statistics agree: the four left the unresolved count (the control one too, by hand).
    const statsAfter = await ok(front, STATS);
    expect(statsAfter.unresolvedCount).toBe(statsBefore.unresolvedCount - 5);
    const manual = (stats: any) => stats.byResolution.find((row: any) => row.resolution === 'MANUAL_RETRY').count;
    expect(manual(statsAfter)).toBe(manual(statsBefore) + 5);
  });

  it('GraphQL: start, read, list newest first; an unknown task is null (404 on REST)', async () => {
    await heldOrders(front, db, 2, { failureStatus: 'graphql-basic' });
    const task = await ok(front, START, { input: { failureStatus: 'graphql-basic', ratePerSecond: 50 } });
    expect(task).toMatchObject({ status: 'QUEUED', total: 2, actor: TEST_SUBJECT, notes: null });
    const done = await waitForStatus(front, task.taskId, 'COMPLETED');
    expect(done).toMatchObject({ total: 2, done: 2, failed: 0 });
    const page = await ok(front, TASKS, { limit: 1 });
    expect(page).toMatchObject({ limit: 1, offset: 0, items: [{ taskId: task.taskId, status: 'COMPLETED' }] });
    expect(page.total).toBeGreaterThanOrEqual(2);
    expect(await ok(front, TASK, { taskId: 'no-such-task' })).toBeNull();
    expect((await rest(front, 'GET', '/dead-letter-queue/redrive-tasks/no-such-task')).status).toBe(404);
    const list = await rest(front, 'GET', '/dead-letter-queue/redrive-tasks?limit=2');
    expectStatus(list, 200);
    expect(list.body.data[0]).toMatchObject({ taskId: task.taskId, status: 'completed' });
  });

  it('paces the resolves: 10 entries at 5 per second take at least about 1.8 s from the first to the last', async () => {
    const ids = await heldOrders(front, db, 10, { failureStatus: 'paced' });
    const task = await ok(front, START, { input: { failureStatus: 'paced', ratePerSecond: 5 } });
    await waitForStatus(front, task.taskId, 'COMPLETED');
    const resolvedAt = await Promise.all(ids.map(async (orderId) => Date.parse((await ok(front, DLQ_ENTRY, { orderId })).resolvedAt)));
    const span = Math.max(...resolvedAt) - Math.min(...resolvedAt);
    expect(span).toBeGreaterThanOrEqual(1_700);
  });

  it('cancel mid-run: CANCELLED with done < total and nothing resolved after; a finished task answers 409, an unknown one 404', async () => {
    const ids = await heldOrders(front, db, 12, { failureStatus: 'cancelled-mid-run' });
    const started = await rest(front, 'POST', '/dead-letter-queue/redrive', {
      body: { failureStatus: 'cancelled-mid-run', ratePerSecond: 4, notes: 'to cancel' },
    });
    expectStatus(started, 202);
    const { taskId } = started.body;
    await eventually(async () => expect((await ok(front, TASK, { taskId })).done).toBeGreaterThanOrEqual(2));

    const cancelled = await rest(front, 'POST', `/dead-letter-queue/redrive-tasks/${taskId}/cancel`);
    expectStatus(cancelled, 200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.done).toBeLessThan(cancelled.body.total);
    expect(cancelled.body.done + cancelled.body.failed).toBeLessThan(12);
    const answeredAt = Date.now();

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const entries = await Promise.all(ids.map((orderId) => ok(front, DLQ_ENTRY, { orderId })));
    const resolved = entries.filter((entry) => entry.resolved);
    expect(resolved).toHaveLength(cancelled.body.done);
    for (const entry of resolved) {
      expect(entry.notes).toBe('to cancel');
      expect(Date.parse(entry.resolvedAt)).toBeLessThanOrEqual(Date.parse(cancelled.body.finishedAt));
      expect(Date.parse(entry.resolvedAt)).toBeLessThan(answeredAt);
    }
    expect(await ok(front, TASK, { taskId })).toMatchObject({ status: 'CANCELLED', done: cancelled.body.done });

    const again = await rest(front, 'POST', `/dead-letter-queue/redrive-tasks/${taskId}/cancel`);
    expectStatus(again, 409);
    expect(again.body.code).toBe('CONFLICT');
    expectStatus(await rest(front, 'POST', '/dead-letter-queue/redrive-tasks/no-such-task/cancel'), 404);
  });

  it('a queued task cancelled before any replica took it up ends CANCELLED with nothing resolved', async () => {
    // Started on an instance of its own database whose only service runs no task.
    const lonely = await startTestService({ DLQ_REDRIVE_RUNNER_ENABLED: 'false' });
    try {
      const orderId = await heldOrder(lonely, () => lonely.services.mongo.db!, { failureStatus: 'never-run' });
      const task = await ok(lonely, START, { input: { orderIds: [orderId] } });
      const cancelled = await rest(lonely, 'POST', `/dead-letter-queue/redrive-tasks/${task.taskId}/cancel`);
      expectStatus(cancelled, 200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', total: 1, done: 0, failed: 0, startedAt: null });
      expect((await ok(lonely, DLQ_ENTRY, { orderId })).resolved).toBe(false);
    } finally {
      await lonely.stop();
    }
  });

  it('an entry resolved by someone else meanwhile is failed with ALREADY_RESOLVED; done + failed = total', async () => {
    const ids = await heldOrders(front, db, 5, { failureStatus: 'raced' });
    const task = await ok(front, START, { input: { failureStatus: 'raced', ratePerSecond: 3 } });
    // Newest first: the first entry created is the last one the task reaches.
    await ok(front, RESOLVE, { orderId: ids[0], resolution: 'ESCALATED', notes: 'by hand' });
    const done = await waitForStatus(front, task.taskId, 'COMPLETED');
    expect(done).toMatchObject({ total: 5, done: 4, failed: 1, failures: [{ orderId: ids[0], code: 'ALREADY_RESOLVED', message: expect.any(String) }] });
    expect(await ok(front, DLQ_ENTRY, { orderId: ids[0] })).toMatchObject({ resolution: 'ESCALATED', notes: 'by hand' });
  });

  it('progress over graphql-ws on the instance that does not run the task: current state first, progress, the final state, then complete', async () => {
    await heldOrders(front, db, 8, { failureStatus: 'watched' });
    // About 3.5 s of progress: several checkpoints (at most 4 a second) even on a slow machine.
    const task = await ok(front, START, { input: { failureStatus: 'watched', ratePerSecond: 2 } });
    const client = wsClient(front.url);
    try {
      const received: any[] = [];
      const errors: unknown[] = [];
      const completed = new Promise<void>((resolve) => {
        client.subscribe(
          { query: PROGRESS, variables: { taskId: task.taskId } },
          {
            next: (result) => (result.errors ? errors.push(result.errors) : received.push(result.data!.deadLetterRedriveProgress)),
            error: (e) => errors.push(e),
            complete: resolve,
          },
        );
      });
      await completed;
      expect(errors).toEqual([]);
      expect(['QUEUED', 'RUNNING']).toContain(received[0].status);
      expect(received.at(-1)).toMatchObject({ status: 'COMPLETED', total: 8, done: 8, failed: 0 });
      const doneSeen = received.map((state) => state.done);
      expect([...doneSeen].sort((a, b) => a - b)).toEqual(doneSeen);
      // Progress in between, not only the first and the last state.
      expect(new Set(doneSeen.filter((value) => value > 0 && value < 8)).size).toBeGreaterThanOrEqual(2);
      expect(received.filter((state) => state.status === 'COMPLETED')).toHaveLength(1);
    } finally {
      await client.dispose();
    }
  });

  it('a subscription to an unknown task fails with NOT_FOUND', async () => {
    const client = wsClient(front.url);
    try {
      const outcome = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: PROGRESS, variables: { taskId: 'no-such-task' } },
          { next: (result) => resolve(result.errors), error: (error) => resolve(error), complete: () => resolve('completed') },
        );
      });
      expect(outcome).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })]);
    } finally {
      await client.dispose();
    }
  });

  it('needs dlq:resolve to start or cancel, dlq:read to read (REST 403 and GraphQL FORBIDDEN)', async () => {
    const reader = await bearer({ scopes: ['dlq:read'] });
    const resolver = await bearer({ scopes: ['dlq:resolve'] });
    const start = await rest(front, 'POST', '/dead-letter-queue/redrive', { body: { failureStatus: 'nothing' }, headers: { authorization: reader } });
    expectStatus(start, 403);
    expect(start.body.details).toEqual({ requiredScope: 'dlq:resolve' });
    expectStatus(await rest(front, 'POST', '/dead-letter-queue/redrive-tasks/x/cancel', { headers: { authorization: reader } }), 403);
    expectStatus(await rest(front, 'GET', '/dead-letter-queue/redrive-tasks', { headers: { authorization: resolver } }), 403);
    expectStatus(await rest(front, 'GET', '/dead-letter-queue/redrive-tasks/x', { headers: { authorization: resolver } }), 403);
    const refused = await graphql(front, START, { input: { failureStatus: 'nothing' } }, { authorization: reader });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'dlq:resolve' });
    const unread = await graphql(front, TASKS, {}, { authorization: resolver });
    expect(unread.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'dlq:read' });
    expectStatus(await rest(front, 'GET', '/dead-letter-queue/redrive-tasks', { headers: { authorization: reader } }), 200);
  });
});

describe('bulk redrive: which entries a task selects', () => {
  let service: RunningOrderService;
  const db = () => service.services.mongo.db!;
  const ids: Record<string, string> = {};
  const selected = async (taskId: string) =>
    (
      (
        await db()
          .collection('dlq_redrive_tasks')
          .findOne({ _id: taskId as never })
      )?.orderIds as string[]
    ).map((orderId) => Object.keys(ids).find((name) => ids[name] === orderId));

  beforeAll(async () => {
    // No runner: tasks stay queued with their selection, and the entries stay unresolved for the next case.
    service = await startTestService({ DLQ_REDRIVE_RUNNER_ENABLED: 'false' });
    ids.e1 = await heldOrder(service, db, { customerId: 'CUST-A', failureStatus: 'picking', failureReason: 'Scanner OFFLINE at station 4', hoursAgo: 1 });
    ids.e2 = await heldOrder(service, db, { customerId: 'CUST-A', failureStatus: 'packing', failureReason: 'label printer jam', hoursAgo: 3 });
    ids.e3 = await heldOrder(service, db, { customerId: 'CUST-B', failureStatus: 'picking', failureReason: 'scanner offline (again)', hoursAgo: 0.5 });
    ids.e4 = await heldOrder(service, db, { customerId: 'CUST-B', failureStatus: 'picking', failureReason: 'scanner offline', hoursAgo: 0.25 });
    await ok(service, RESOLVE, { orderId: ids.e4, resolution: 'ESCALATED' });
    ids.e5 = await heldOrder(service, db, { customerId: 'CUST-C', failureStatus: 'picking', failureReason: 'weird [regex].* text', hoursAgo: 2 });
    const otherTenant = { authorization: await bearer({ tenant: 'other-tenant' }) };
    ids.other = await heldOrder(service, db, { customerId: 'CUST-A', failureStatus: 'picking', failureReason: 'scanner offline', headers: otherTenant });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
  });

  it.each([
    [{}, ['e3', 'e1', 'e5', 'e2']],
    [{ failureStatus: 'picking' }, ['e3', 'e1', 'e5']],
    [{ customerId: 'CUST-A' }, ['e1', 'e2']],
    [{ olderThanHours: 1.5 }, ['e5', 'e2']],
    [{ reasonContains: 'scanner offline' }, ['e3', 'e1']],
    [{ reasonContains: '[REGEX].*' }, ['e5']],
    [{ reasonContains: '.*' }, ['e5']],
    [{ failureStatus: 'picking', customerId: 'CUST-B' }, ['e3']],
    [{ failureStatus: 'picking', cap: 2 }, ['e3', 'e1']],
    [{ cap: 1 }, ['e3']],
    [{ customerId: 'CUST-NOBODY' }, []],
  ])('%j selects %j (unresolved only, newest first, this tenant only)', async (filter, expected) => {
    const task = await ok(service, START, { input: filter });
    expect(task.total).toBe(expected.length);
    expect(await selected(task.taskId)).toEqual(expected);
  });

  it('explicit order ids: the tenant’s unresolved entries among them, in the order given, each once', async () => {
    const task = await ok(service, START, { input: { orderIds: [ids.e2, ids.e4, ids.other, 'ORD-NOSUCHORDER0', ids.e1, ids.e2] } });
    expect(task).toMatchObject({ total: 2, filter: { orderIds: [ids.e2, ids.e4, ids.other, 'ORD-NOSUCHORDER0', ids.e1], failureStatus: null } });
    expect(await selected(task.taskId)).toEqual(['e2', 'e1']);
  });

  it.each([
    [{ orderIds: ['ORD-X'], failureStatus: 'picking' }, 'orderIds'],
    [{ orderIds: [] }, 'orderIds'],
    [{ cap: 0 }, 'cap'],
    [{ cap: 10_001 }, 'cap'],
    [{ ratePerSecond: 501 }, 'ratePerSecond'],
    [{ ratePerSecond: 0 }, 'ratePerSecond'],
    [{ reasonContains: '' }, 'reasonContains'],
    [{ reasonContains: 'x'.repeat(201) }, 'reasonContains'],
    [{ olderThanHours: -1 }, 'olderThanHours'],
    [{ notes: 'n'.repeat(1001) }, 'notes'],
    [{ customerId: 'not an id!' }, 'customerId'],
  ])('refuses %j with 400 naming %s, storing nothing', async (body, field) => {
    const before = await db().collection('dlq_redrive_tasks').countDocuments();
    const answer = await rest(service, 'POST', '/dead-letter-queue/redrive', { body });
    expectStatus(answer, 400);
    expect(answer.body.code).toBe('VALIDATION_ERROR');
    expect(answer.body.details.issues).toEqual([expect.objectContaining({ field })]);
    const error = await firstError(service, START, { input: body });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', issues: [expect.objectContaining({ field })] });
    expect(await db().collection('dlq_redrive_tasks').countDocuments()).toBe(before);
  });

  it('refuses unknown body fields and list parameters out of range', async () => {
    const answer = await rest(service, 'POST', '/dead-letter-queue/redrive', { body: { resolved: true } });
    expectStatus(answer, 400);
    expect(answer.body.details.issues).toEqual([expect.objectContaining({ field: 'resolved' })]);
    const list = await rest(service, 'GET', '/dead-letter-queue/redrive-tasks?limit=101');
    expectStatus(list, 400);
    expect(list.body.details.issues).toEqual([expect.objectContaining({ field: 'limit' })]);
  });
});

describe('bulk redrive: a task survives kill -9 of the process running it', () => {
  const database = uniqueName('redrive_kill');
  const env = { MONGODB_URI: TEST_MONGODB_URI, KAFKA_BROKERS: TEST_KAFKA_BROKERS, MONGODB_DATABASE: database, OUTBOX_POLL_INTERVAL: '1s' };
  let first: ServiceProcess | null = null;
  let second: ServiceProcess | null = null;
  let mongo: MongoClient;
  const events = new EventCollector();

  beforeAll(async () => {
    mongo = await new MongoClient(TEST_MONGODB_URI).connect();
  });
  afterAll(async () => {
    await events.stop();
    if (first?.child.exitCode === null) first.child.kill('SIGKILL');
    await second?.stop();
    await mongo.close();
  });

  it('another process takes it up once the lease lapses and completes it: done = total, each entry resolved exactly once', async () => {
    first = await startServiceProcess(env);
    // From the topic's beginning, once the service has made sure it exists.
    await events.start();
    const db = () => mongo.db(database);
    const ids = await heldOrders(first, db, 60, { failureStatus: 'killed', failureReason: 'Scanner offline' });
    const started = await rest(first, 'POST', '/dead-letter-queue/redrive', { body: { failureStatus: 'killed', ratePerSecond: 20, notes: 'after the crash' } });
    expectStatus(started, 202);
    const { taskId } = started.body;
    const tasks = db().collection('dlq_redrive_tasks');
    await eventually(async () => expect((await tasks.findOne({ _id: taskId }))?.done).toBeGreaterThanOrEqual(10), 20_000, 10);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = (await tasks.findOne({ _id: taskId }))!;
    expect(atKill.status).toBe('running');
    expect(atKill.done).toBeLessThan(60);
    const resolvedAtKill = await db().collection('orders').countDocuments({ 'deadLetter.redriveTaskId': taskId });
    expect(resolvedAtKill).toBeGreaterThanOrEqual(atKill.position);
    // The worst case of a crash: progress is checkpointed at most every 250 ms, so entries resolved after the last
    // checkpoint are visited again. Here the checkpoint is taken back to the start, so every entry resolved before the
    // kill is one the resumed task must recognise by its mark instead of resolving it again (or failing it as
    // already resolved).
    await tasks.updateOne({ _id: taskId }, { $set: { position: 0, done: 0, failed: 0, failures: [] } });
    process.stdout.write(`redrive kill -9: checkpoint at ${atKill.position} taken back to 0, ${resolvedAtKill} entries resolved before the kill\n`);

    second = await startServiceProcess(env);
    const finished = await eventually(
      async () => {
        const read = await rest(second!, 'GET', `/dead-letter-queue/redrive-tasks/${taskId}`);
        if (read.body.status !== 'completed') throw new Error(`still ${read.body.status} at ${read.body.done}`);
        return read.body;
      },
      60_000,
      200,
    );
    expect(finished).toMatchObject({ total: 60, done: 60, failed: 0, failures: [] });

    const orders = await db()
      .collection('orders')
      .find({ orderId: { $in: ids } })
      .toArray();
    expect(orders).toHaveLength(60);
    for (const order of orders) {
      expect(order.deadLetter).toMatchObject({
        resolved: true,
        resolution: 'manual_retry',
        resolvedBy: TEST_SUBJECT,
        notes: 'after the crash',
        redriveTaskId: taskId,
      });
      // Created (1), moved to the queue (2), resolved (3): one resolving write, none after.
      expect(order.version).toBe(3);
    }
    // On Kafka: one retry-scheduled event per order (an event the killed relay may have sent twice keeps its id).
    for (const orderId of ids) {
      await events.waitFor(orderId, 'wms.order.retry-scheduled');
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const orderId of ids) {
      expect(new Set(events.of(orderId, 'wms.order.retry-scheduled').map((event) => event.id)).size).toBe(1);
    }
  }, 120_000);
});

describe('bulk redrive: the store failing under a task', () => {
  // Failpoints are server-wide: they name the service's appName, so the test's own client is never hit.
  const app = uniqueName('redrive-faults');
  let service: RunningOrderService;
  let admin: MongoClient;
  const failures: Array<{ name: string; code: unknown }> = [];
  const failPointOff = () => admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });

  beforeAll(async () => {
    admin = await new MongoClient(TEST_MONGODB_URI, { appName: 'redrive-faults-test' }).connect();
    await failPointOff();
    service = await startTestService({
      MONGODB_URI: `${TEST_MONGODB_URI}&appName=${app}&heartbeatFrequencyMS=500&monitorCommands=true`,
      // Nothing else writes while the fault is on: the task's resolves meet it.
      OUTBOX_RELAY_ENABLED: 'false',
      ORDER_COUNTS_PROJECTOR_ENABLED: 'false',
    });
    service.services.mongo
      .getClient()
      .on('commandFailed', (event) => failures.push({ name: event.commandName, code: (event.failure as { code?: unknown }).code }));
  });
  afterAll(async () => {
    await failPointOff().catch(() => undefined);
    await service?.stop();
    await admin?.close();
  });

  // 130 failures outlast the writer's attempts (12, each a transaction of up to 10): the write gives up (a 503 to a
  // caller), and the task must try the entry again rather than count it failed.
  it('a resolve the store keeps refusing for a while (WriteConflict) is tried again, not counted failed', async () => {
    const db = () => service.services.mongo.db!;
    const ids = await heldOrders(service, db, 3, { failureStatus: 'faulty' });
    await admin
      .db('admin')
      .command({ configureFailPoint: 'failCommand', mode: { times: 130 }, data: { failCommands: ['update'], errorCode: 112, appName: app } });
    try {
      const task = await ok(service, START, { input: { failureStatus: 'faulty', ratePerSecond: 10 } });
      const done = await waitForStatus(service, task.taskId, 'COMPLETED', 60_000);
      expect(done).toMatchObject({ total: 3, done: 3, failed: 0, failures: [] });
    } finally {
      await failPointOff();
    }
    expect(failures.filter((failure) => failure.name === 'update' && failure.code === 112).length).toBeGreaterThanOrEqual(1);
    for (const orderId of ids) expect(await ok(service, DLQ_ENTRY, { orderId })).toMatchObject({ resolved: true, resolution: 'MANUAL_RETRY' });
  }, 90_000);
});
