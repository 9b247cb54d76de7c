import { defaultAuthorization } from '../support/test-auth';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import type { CloudEvent } from '../../src/events/cloudevent';
import { ORDER_EVENTS_TOPIC } from '../../src/events/topics';
import { EventCollector, eventually, metricSample, startServiceProcess, type ServiceProcess } from '../support/dlq-support';
import { orderInput } from '../support/order-factory';
import { expectStatus, rest } from '../support/rest-client';
import { TEST_KAFKA_BROKERS, TEST_MONGODB_URI } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

/**
 * Three service processes (`node dist/main.js`, relays on) on one database: safety across replicas rests on the
 * conditional write on `version` alone (src/use-cases/order-writer.ts), and on the outbox leases for publishing
 * (src/events/outbox/relay.ts). One order hammered from all three; 200 orders walked through their lifecycle with
 * every step on a random replica; one replica killed with SIGKILL in the middle of a load. Events are checked per order
 * on the public topic: exactly the changes' events, in order, each id once — or repeated only as at-least-once delivery
 * allows (`delivered`).
 *
 * Figures worth knowing (conflicts, client retries, how long the killed replica's events took) are written to stdout.
 */

const POLL = '500ms';
/**
 * MAX_RETRIES on every replica (100 is the most src/config.ts accepts): the 100th increment moves the order to the dead
 * letter queue, and every later one is refused (409) — so of CALLS increments sent at once, exactly INCREMENTS land.
 */
const INCREMENTS = 100;
const CALLS = 300;
/** Sends of one increment before the test gives up on it (each re-send follows a 503 after the writer's 12 attempts). */
const MAX_CLIENT_ATTEMPTS = 10;

const CREATE = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id status version } }';
const STEP_FIELDS = '{ id status version }';
const LIFECYCLE: Array<{ to: string; mutation: string; variables?: Record<string, unknown> }> = [
  { to: 'VALIDATED', mutation: `mutation($id: ID!) { validateOrder(id: $id) ${STEP_FIELDS} }` },
  {
    to: 'ASSIGNED_TO_WAVE',
    mutation: `mutation($id: ID!, $waveId: String!) { assignOrderToWave(id: $id, waveId: $waveId) ${STEP_FIELDS} }`,
    variables: { waveId: 'WAVE-REPLICAS-1' },
  },
  { to: 'PICKING', mutation: `mutation($id: ID!) { startPicking(id: $id) ${STEP_FIELDS} }` },
  { to: 'PACKING', mutation: `mutation($id: ID!) { startPacking(id: $id) ${STEP_FIELDS} }` },
  {
    to: 'SHIPPED',
    mutation: `mutation($id: ID!, $trackingNumber: String!, $carrier: String!) { shipOrder(id: $id, trackingNumber: $trackingNumber, carrier: $carrier) ${STEP_FIELDS} }`,
    variables: { trackingNumber: '1Z999AA10123456784', carrier: 'UPS' },
  },
  { to: 'COMPLETED', mutation: `mutation($id: ID!) { completeOrder(id: $id) ${STEP_FIELDS} }` },
];
const ORDER_STATE = `query($id: ID!) { order(id: $id) { id status version deadLettered statusHistory { from to correlationId } retry { count maxRetries nextRetryAt } } }`;

type GraphQLResult<T = any> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, any> }> };

/** One GraphQL request to one replica (no retry). Network failures surface as the TypeError fetch throws. */
async function gql<T = any>(replica: { url: string }, query: string, variables: Record<string, unknown>, correlationId?: string): Promise<GraphQLResult<T>> {
  const response = await fetch(`${replica.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: await defaultAuthorization(),
      ...(correlationId ? { 'x-wms-correlation-id': correlationId } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResult<T>;
}

/** The root field of a successful GraphQL answer; anything else fails the test with the answer. */
function rootOf<T = any>(result: GraphQLResult): T {
  if (result.errors?.length || !result.data) throw new Error(`unexpected GraphQL answer: ${JSON.stringify(result)}`);
  return Object.values(result.data)[0] as T;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index], index);
      }
    }),
  );
  return results;
}

/** `order_write_conflicts_total{outcome}` summed over the replicas that still answer. */
async function writeConflicts(replicas: readonly ServiceProcess[]): Promise<{ retried: number; gaveUp: number }> {
  const texts = await Promise.all(replicas.map(async (replica) => (await fetch(`${replica.url}/metrics`)).text()));
  const sum = (outcome: string) => texts.reduce((total, text) => total + (metricSample(text, `order_write_conflicts_total{outcome="${outcome}"}`) ?? 0), 0);
  return { retried: sum('retried'), gaveUp: sum('gave_up') };
}

/**
 * A test's load must be done by then: a slow run then fails naming what it got done, instead of hitting jest's
 * time-out with requests still running into the next test. Past the deadline `load.check()` stops sending.
 */
const LOAD_DEADLINE_MS = 240_000;

class Load {
  expired = false;

  check(): void {
    if (this.expired) throw new Error('load deadline passed');
  }

  async run<T>(progress: () => string, work: (load: Load) => Promise<T>, ms = LOAD_DEADLINE_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.expired = true;
        reject(new Error(`not done after ${ms} ms: ${progress()}`));
      }, ms);
    });
    const running = work(this);
    running.catch(() => undefined); // once the deadline has answered, the leftovers' failure is not news
    try {
      return await Promise.race([running, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Outbox leases last 30 s (src/events/outbox/relay.ts; no setting changes that). */
const LEASE_MS = 30_000;

/**
 * An order's events as they reached the topic: the first copy of each event id, in arrival order, and how many copies
 * came again. Delivery is at least once, so an event may come twice — with the same id and content, and never before a
 * lease on it can have run out: the relay that stored it never sends it twice, and another relay sends it only once
 * the lease has expired, a lease taken no earlier than the order's first event. A copy sooner than that is a bug (two
 * relays publishing the same events while their owner is alive), whatever the machine's load.
 */
function delivered(collector: EventCollector, orderId: string): { events: CloudEvent[]; repeats: number } {
  const records = collector.records.filter((record) => record.event.subject === orderId);
  const bornAt = Math.min(...records.map((record) => Date.parse(record.event.time)));
  const first = new Map<string, CloudEvent>();
  let repeats = 0;
  for (const { event, timestamp } of records) {
    const original = first.get(event.id);
    if (!original) {
      first.set(event.id, event);
      continue;
    }
    repeats += 1;
    expect(JSON.stringify(event)).toBe(JSON.stringify(original));
    const sentAfterMs = timestamp - bornAt;
    expect({ orderId, repeatedEvent: `${event.type} ${event.id}`, afterLeaseCouldExpire: sentAfterMs >= LEASE_MS }).toEqual({
      orderId,
      repeatedEvent: `${event.type} ${event.id}`,
      afterLeaseCouldExpire: true,
    });
  }
  return { events: [...first.values()], repeats };
}

/**
 * Samples the store while a test runs for orders holding unpublished events without a lease. With a relay on every
 * replica that never happens (each write leases its events to its own relay, or leaves them under another replica's
 * live lease, and a relay releases a lease only together with the events): such events would be sent by the sweeping
 * replica and again by the next writer's relay. Also counts leases that ran out on unpublished events (a replica gone,
 * or one whose relay fell more than a lease behind): at-least-once delivery may repeat those.
 */
class LeaseWatch {
  unleased = new Set<string>();
  expired = new Set<string>();
  private running: Promise<void> | null = null;
  private stopped = false;

  start(db: Db): void {
    this.stopped = false;
    this.unleased.clear();
    this.expired.clear();
    this.running = (async () => {
      while (!this.stopped) {
        const pending = await db
          .collection<{ _id: string; outboxLeaseOwner: string | null; outboxLeaseUntil: Date | null }>('orders')
          .find({ outboxPending: true }, { projection: { _id: 1, outboxLeaseOwner: 1, outboxLeaseUntil: 1 } })
          .toArray();
        const now = Date.now();
        for (const doc of pending) {
          if (!doc.outboxLeaseOwner) this.unleased.add(doc._id);
          else if (doc.outboxLeaseUntil && doc.outboxLeaseUntil.getTime() <= now) this.expired.add(doc._id);
        }
        await pause(200);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

function report(line: string): void {
  process.stdout.write(`replicas: ${line}\n`);
}

describe('three service processes on one store', () => {
  const database = uniqueName('replicas3');
  const env = {
    MONGODB_URI: TEST_MONGODB_URI,
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    MONGODB_DATABASE: database,
    OUTBOX_POLL_INTERVAL: POLL,
    MAX_RETRIES: String(INCREMENTS),
    LOG_LEVEL: 'warn',
  };
  let replicas: ServiceProcess[] = [];
  const collector = new EventCollector();
  let mongo: MongoClient;
  let db: Db;
  let admin: Admin;
  const leases = new LeaseWatch();

  beforeAll(async () => {
    const started = await Promise.allSettled([0, 1, 2].map(() => startServiceProcess(env)));
    replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    mongo = await new MongoClient(TEST_MONGODB_URI).connect();
    db = mongo.db(database);
    admin = new Kafka({ clientId: uniqueName('replicas-admin'), brokers: [TEST_KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await collector.start();
  }, 180_000);

  beforeEach(() => leases.start(db));
  afterEach(() => leases.stop());

  afterAll(async () => {
    await collector.stop();
    await admin?.disconnect();
    await mongo?.close();
    // Every replica still running stops cleanly; the one the last test killed is already gone.
    const codes = await Promise.all(
      replicas.filter((replica) => replica.child.exitCode === null && replica.child.signalCode === null).map((replica) => replica.stop()),
    );
    expect(codes.every((code) => code === 0)).toBe(true);
    const errorLines = replicas.flatMap((replica) =>
      replica
        .output()
        .split('\n')
        .filter((line) => /"level":"(error|fatal)"/.test(line)),
    );
    expect(errorLines).toEqual([]);
  }, 60_000);

  /**
   * Waits until nothing is left to publish in the store and the collector has read every record the topic holds: after
   * that, a second copy of any event would already be in `collector.events`.
   */
  async function settle(timeoutMs: number): Promise<void> {
    await eventually(
      async () => {
        const pending = await db.collection('orders').countDocuments({ outboxPending: true });
        if (pending > 0) throw new Error(`${pending} orders still hold unpublished events`);
      },
      timeoutMs,
      200,
    );
    const offsets = await admin.fetchTopicOffsets(ORDER_EVENTS_TOPIC);
    await eventually(
      () => {
        for (const { partition, high } of offsets) {
          const read = collector.records.filter((record) => record.partition === partition).reduce((max, record) => Math.max(max, record.offset + 1), 0);
          if (read < Number(high)) throw new Error(`partition ${partition}: read up to ${read} of ${high}`);
        }
      },
      20_000,
      100,
    );
  }

  it(`${CALLS} concurrent incrementRetryCount calls on one order over three replicas: exactly ${INCREMENTS} land, one move to the DLQ, the rest refused`, async () => {
    const order = rootOf<{ id: string }>(await gql(replicas[0], CREATE, { input: orderInput({ customerId: 'REPLICAS-RETRY' }) }));
    expect(rootOf(await gql(replicas[1], ORDER_STATE, { id: order.id }))).toMatchObject({ retry: { count: 0, maxRetries: INCREMENTS } });

    const before = await writeConflicts(replicas);
    let unavailable = 0;
    let succeeded = 0;
    let refused = 0;
    const startedAt = Date.now();
    const results = await new Load().run(
      () => `${succeeded + refused} of ${CALLS} increments answered (${refused} refused), ${unavailable} re-sent after a 503`,
      (load) =>
        Promise.all(
          range(1, CALLS).map(async (call) => {
            const replica = replicas[call % replicas.length];
            for (let attempt = 1; ; attempt += 1) {
              load.check();
              const result = await rest(replica, 'POST', `/reprocessing/orders/${order.id}/retry-count`, {
                body: { failureReason: `picker timeout ${call}`, failureStatus: 'picking' },
              });
              if (result.status === 503 && result.body.code === 'SERVICE_UNAVAILABLE' && attempt < MAX_CLIENT_ATTEMPTS) {
                // The writer gave up after MAX_WRITE_ATTEMPTS lost races and nothing was stored, so sending again is
                // safe; like a well-behaved client, wait as long as Retry-After says (jittered, so the herd thins out).
                unavailable += 1;
                await pause(Number(result.headers.get('retry-after') ?? 1) * 1000 * (0.5 + Math.random()));
                continue;
              }
              if (result.status === 409) {
                // Only once the order is in the DLQ: its maximum was reached by another call.
                expect(result.body).toMatchObject({ code: 'CONFLICT', details: { operation: 'incrementRetry' } });
                refused += 1;
                return null;
              }
              expectStatus(result, 200);
              succeeded += 1;
              return result.body as { retryCount: number; isEligibleForRetry: boolean; nextRetryAt: string | null };
            }
          }),
        ),
    );
    const answers = results.flatMap((answer) => (answer ? [answer] : []));
    expect({ landed: answers.length, refused }).toEqual({ landed: INCREMENTS, refused: CALLS - INCREMENTS });
    const tookMs = Date.now() - startedAt;
    const after = await writeConflicts(replicas);
    const conflicts = { retried: after.retried - before.retried, gaveUp: after.gaveUp - before.gaveUp };
    report(
      `${CALLS} increments on one order over 3 replicas took ${tookMs} ms; write conflicts: ${conflicts.retried} decided again, ` +
        `${conflicts.gaveUp} given up (answered 503); client re-sent ${unavailable} calls`,
    );

    // Every increment landed once: the counts the callers saw are exactly 1..INCREMENTS, each once.
    expect(answers.map((answer) => answer.retryCount).sort((a, b) => a - b)).toEqual(range(1, INCREMENTS));
    const last = answers.find((answer) => answer.retryCount === INCREMENTS)!;
    expect(last).toMatchObject({ isEligibleForRetry: false, nextRetryAt: null });
    expect(answers.filter((answer) => !answer.isEligibleForRetry || answer.nextRetryAt === null)).toEqual([last]);
    // Each 503 the client saw is one gave_up of a writer, and there were fewer re-sends than calls.
    expect(conflicts.gaveUp).toBe(unavailable);

    const state = rootOf(await gql(replicas[2], ORDER_STATE, { id: order.id }));
    expect(state).toMatchObject({
      status: 'RECEIVED',
      deadLettered: true,
      version: 1 + INCREMENTS,
      retry: { count: INCREMENTS, maxRetries: INCREMENTS, nextRetryAt: null },
    });
    const metadata = await rest(replicas[0], 'GET', `/reprocessing/orders/${order.id}/retry-count`);
    expectStatus(metadata, 200);
    expect(metadata.body).toMatchObject({ retryCount: INCREMENTS, isEligibleForRetry: false, nextRetryAt: null });

    const entries = rootOf(
      await gql(
        replicas[1],
        `query($customerId: String) { deadLetterEntries(filter: { customerId: $customerId }, limit: 10) { total items { orderId retryCount failureStatus resolved retryHistory { attempt failureReason } } } }`,
        { customerId: 'REPLICAS-RETRY' },
      ),
    );
    expect(entries.total).toBe(1);
    const [entry] = entries.items;
    expect(entry).toMatchObject({ orderId: order.id, retryCount: INCREMENTS, failureStatus: 'picking', resolved: false });
    expect(entry.retryHistory.map((attempt: { attempt: number }) => attempt.attempt)).toEqual(range(1, INCREMENTS));
    expect(new Set(entry.retryHistory.map((attempt: { failureReason: string }) => attempt.failureReason)).size).toBe(INCREMENTS);
    // The counters changed in the move's transaction: one entry, unresolved, with INCREMENTS retries.
    const stats = rootOf(
      await gql(replicas[2], `{ deadLetterStats { totalEntries unresolvedCount resolvedCount averageRetries byFailureStatus { failureStatus count } } }`, {}),
    );
    expect(stats).toMatchObject({
      totalEntries: 1,
      unresolvedCount: 1,
      resolvedCount: 0,
      averageRetries: INCREMENTS,
      byFailureStatus: [{ failureStatus: 'picking', count: 1 }],
    });

    // On Kafka, in order: received, retry-scheduled 1..INCREMENTS-1, moved-to-dlq at the last (CONTRACT §2).
    await collector.waitFor(order.id, 'wms.order.moved-to-dlq', 1, 60_000);
    await settle(60_000);
    const { events, repeats } = delivered(collector, order.id);
    report(`the retried order's ${events.length} events arrived with ${repeats} repeated copies; its lease seen run out: ${leases.expired.size > 0}`);
    expect([...leases.unleased]).toEqual([]);
    expect(events.map((event) => event.type)).toEqual([
      'wms.order.received',
      ...range(1, INCREMENTS - 1).map(() => 'wms.order.retry-scheduled'),
      'wms.order.moved-to-dlq',
    ]);
    expect(events.filter((event) => event.type === 'wms.order.retry-scheduled').map((event) => event.data.retryNumber)).toEqual(range(1, INCREMENTS - 1));
    expect(events.at(-1)!.data).toMatchObject({ orderId: order.id, totalRetryAttempts: INCREMENTS, finalFailureStatus: 'picking' });
  }, 420_000);

  it('200 orders walked through their lifecycle, every step on a random replica, all complete with one event per change, in order', async () => {
    const ORDERS = 200;
    const startedAt = Date.now();
    let steps = 0;
    const orders = await new Load().run(
      () => `${steps} of ${ORDERS * (1 + LIFECYCLE.length)} steps answered`,
      (load) =>
        Promise.all(
          range(1, ORDERS).map(async (n) => {
            load.check();
            const created = rootOf<{ id: string; status: string }>(
              await gql(pick(replicas), CREATE, { input: orderInput({ customerId: `REPLICAS-LIFE-${n}` }) }, `life-${n}-0`),
            );
            expect(created.status).toBe('RECEIVED');
            steps += 1;
            for (const [index, step] of LIFECYCLE.entries()) {
              load.check();
              const moved = rootOf<{ status: string; version: number }>(
                await gql(pick(replicas), step.mutation, { id: created.id, ...step.variables }, `life-${n}-${index + 1}`),
              );
              expect(moved).toMatchObject({ status: step.to, version: index + 2 });
              steps += 1;
            }
            return { id: created.id, n };
          }),
        ),
    );
    report(`${ORDERS} orders × ${1 + LIFECYCLE.length} steps on random replicas took ${Date.now() - startedAt} ms`);

    const expectedHistory = [
      { from: null, to: 'RECEIVED' },
      ...LIFECYCLE.map((step, index) => ({ from: index === 0 ? 'RECEIVED' : LIFECYCLE[index - 1].to, to: step.to })),
    ];
    await pool(orders, 20, async ({ id, n }) => {
      const state = rootOf(await gql(pick(replicas), ORDER_STATE, { id }));
      expect(state.status).toBe('COMPLETED');
      expect(state.version).toBe(1 + LIFECYCLE.length);
      expect(state.statusHistory.map(({ from, to }: { from: string | null; to: string }) => ({ from, to }))).toEqual(expectedHistory);
      expect(state.statusHistory.map((change: { correlationId: string }) => change.correlationId)).toEqual(
        range(0, LIFECYCLE.length).map((step) => `life-${n}-${step}`),
      );
    });

    const types = ['wms.order.received', 'wms.order.validated', 'wms.order.wave-assigned', 'wms.order.shipped', 'wms.order.completed'];
    // The correlation id of the request that caused each event: create, validate, assign, ship, complete.
    const causedBy = [0, 1, 2, 5, 6];
    await eventually(
      () => {
        const missing = orders.filter(({ id }) => collector.of(id, 'wms.order.completed').length === 0);
        if (missing.length > 0) throw new Error(`${missing.length} orders have no completed event yet`);
      },
      60_000,
      100,
    );
    await settle(60_000);
    let repeats = 0;
    const all: CloudEvent[] = [];
    for (const { id, n } of orders) {
      const delivery = delivered(collector, id);
      repeats += delivery.repeats;
      all.push(...delivery.events);
      const { events } = delivery;
      expect(events.map((event) => event.type)).toEqual(types);
      expect(events.map((event) => event.wmscorrelationid)).toEqual(causedBy.map((step) => `life-${n}-${step}`));
    }
    expect(new Set(all.map((event) => event.id)).size).toBe(ORDERS * types.length);
    report(`${ORDERS * types.length} lifecycle events, each once, plus ${repeats} repeated copies; leases seen run out on ${leases.expired.size} orders`);
    expect([...leases.unleased]).toEqual([]);
  }, 420_000);

  it('kill -9 of one replica during 300 creates + validates: every acknowledged change is stored and its event reaches Kafka', async () => {
    const ORDERS = 300;
    const KILL_AFTER_CREATES = 100;
    // The replica holding the sweeper lease is the one to kill: a survivor must first take the lease over, then publish
    // what the dead one stored once those events' leases run out.
    const lease = await db.collection<{ _id: string; owner: string; until: Date }>('outbox_relay_leases').findOne({ _id: 'outbox-sweeper' });
    expect(lease).not.toBeNull();
    const victim = replicas.find((replica) => lease!.owner.includes(`-${replica.child.pid}-`));
    expect(victim).toBeDefined();
    let killedAt: number | null = null;
    const alive = () => replicas.filter((replica) => !(killedAt !== null && replica === victim));
    let dropped = 0;
    let created = 0;

    /**
     * Sends to a random live replica; when the connection fails because the victim went away, sends again to a survivor.
     * The correlation id names the replica and the attempt, so every event says which process stored it.
     */
    async function send<T>(load: Load, label: string, query: string, variables: Record<string, unknown>): Promise<T> {
      for (let attempt = 1; ; attempt += 1) {
        load.check();
        const replica = pick(alive());
        try {
          return rootOf<T>(await gql(replica, query, variables, `${label}-r${replicas.indexOf(replica)}-a${attempt}`));
        } catch (error) {
          // fetch's TypeError comes from Node's realm, not the test's: recognise it by name.
          const connectionLost = (error as Error)?.name === 'TypeError' && (error as Error).message === 'fetch failed';
          if (!connectionLost || replica !== victim || killedAt === null || attempt >= 5) {
            const state = killedAt === null ? 'before the kill' : `${Date.now() - killedAt} ms after the kill`;
            throw new Error(
              `${label} to replica ${replicas.indexOf(replica)} (victim ${replicas.indexOf(victim!)}), attempt ${attempt}, ${state}: ${String(error)} (${String((error as Error).cause)})`,
              { cause: error },
            );
          }
          dropped += 1;
        }
      }
    }

    const startedAt = Date.now();
    const acknowledged = await new Load().run(
      () => `${created} of ${ORDERS} creates answered`,
      (load) =>
        pool(range(1, ORDERS), 30, async (n) => {
          const order = await send<{ id: string; status: string }>(load, `kill-${n}-create`, CREATE, {
            input: orderInput({ customerId: `REPLICAS-KILL-${n}` }),
          });
          expect(order.status).toBe('RECEIVED');
          created += 1;
          if (created === KILL_AFTER_CREATES) {
            killedAt = Date.now();
            victim!.child.kill('SIGKILL');
          }
          const validated = await send<{ id: string; status: string }>(load, `kill-${n}-validate`, LIFECYCLE[0].mutation, { id: order.id });
          expect(validated).toMatchObject({ id: order.id, status: 'VALIDATED' });
          return order.id;
        }),
    );
    const loadMs = Date.now() - startedAt;
    expect(killedAt).not.toBeNull();
    expect(await victim!.exited).toBeNull(); // ended by the signal
    expect(victim!.child.signalCode).toBe('SIGKILL');
    const victimIndex = replicas.indexOf(victim!);

    // Every acknowledged order is in the store, validated, each transition recorded once.
    await pool(acknowledged, 20, async (id) => {
      const state = rootOf(await gql(pick(alive()), ORDER_STATE, { id }));
      expect(state).toMatchObject({ id, status: 'VALIDATED', version: 2 });
      expect(state.statusHistory.map(({ from, to }: { from: string | null; to: string }) => `${from}>${to}`)).toEqual(['null>RECEIVED', 'RECEIVED>VALIDATED']);
    });

    // Every acknowledged change's event arrives, those the victim stored included (after their 30 s lease).
    let lastArrivedAfterKillMs = 0;
    await eventually(
      () => {
        const missing = acknowledged.filter(
          (id) => collector.of(id, 'wms.order.received').length === 0 || collector.of(id, 'wms.order.validated').length === 0,
        );
        if (missing.length > 0) throw new Error(`${missing.length} acknowledged orders still miss events`);
        lastArrivedAfterKillMs = Date.now() - killedAt!;
      },
      90_000,
      100,
    );
    await settle(60_000);

    // Per order in the store (orders whose create was lost with the connection included): the event types are exactly
    // what its stored changes caused, one event id per change, each caused by the request its status history names;
    // repeated copies only as `delivered` allows them.
    const stored = await db
      .collection<{ _id: string; status: string; statusHistory: Array<{ to: string; correlationId: string }> }>('orders')
      .find({ customerId: /^REPLICAS-KILL-/ }, { projection: { _id: 1, status: 1, statusHistory: 1 } })
      .toArray();
    const acknowledgedSet = new Set(acknowledged);
    expect(acknowledged.every((id) => stored.some((doc) => doc._id === id))).toBe(true);
    const unacknowledged = stored.filter((doc) => !acknowledgedSet.has(doc._id));
    const wroteTo = (doc: (typeof stored)[number]) => doc.statusHistory.some((change) => change.correlationId.includes(`-r${victimIndex}-`));
    let redelivered = 0;
    let redeliveredElsewhere = 0;
    for (const doc of stored) {
      const { events, repeats } = delivered(collector, doc._id);
      redelivered += repeats;
      if (!wroteTo(doc)) redeliveredElsewhere += repeats;
      const expected = doc.status === 'validated' ? ['wms.order.received', 'wms.order.validated'] : ['wms.order.received'];
      expect({ order: doc._id, types: events.map((event) => event.type) }).toEqual({ order: doc._id, types: expected });
      expect(events.map((event) => event.wmscorrelationid)).toEqual(doc.statusHistory.map((change) => change.correlationId));
    }
    const victimOrders = stored.filter(wroteTo).length;
    expect([...leases.unleased]).toEqual([]);
    report(
      `kill -9 after ${KILL_AFTER_CREATES} creates: load took ${loadMs} ms; ${dropped} requests re-sent after the dropped connections; ` +
        `${unacknowledged.length} orders stored but never acknowledged; the victim wrote to ${victimOrders} orders; ` +
        `all acknowledged events on Kafka ${lastArrivedAfterKillMs} ms after the kill; ${redelivered} repeated copies (same id), ` +
        `${redeliveredElsewhere} of them of orders the victim never wrote to; leases seen run out on ${leases.expired.size} orders`,
    );
  }, 420_000);
});
