import type { RunningOrderService } from '../../src/order-service';
import { EventCollector, eventually } from '../support/dlq-support';
import { orderInput } from '../support/order-factory';
import { graphql, startTestService, uniqueName } from '../support/test-service';

/**
 * Several replicas on one store (CONTRACT §5): A and B run relays, C stores events without one. Each replica's relay
 * publishes what that replica stored; the one holding the sweeper lease publishes C's; nobody publishes twice.
 *
 * Each order is changed through one replica here; replicas.test.ts changes the same orders through several processes.
 */
const CREATE = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }';
const VALIDATE = 'mutation($id: ID!) { validateOrder(id: $id) { id status } }';
const POLL = '500ms';

describe('outbox relays on several replicas', () => {
  const database = uniqueName('replicas');
  let replicas: Record<'a' | 'b' | 'c', RunningOrderService>;
  const collector = new EventCollector();

  beforeAll(async () => {
    const [a, b, c] = await Promise.all([
      startTestService({ MONGODB_DATABASE: database, OUTBOX_POLL_INTERVAL: POLL }),
      startTestService({ MONGODB_DATABASE: database, OUTBOX_POLL_INTERVAL: POLL }),
      startTestService({ MONGODB_DATABASE: database, OUTBOX_POLL_INTERVAL: POLL, OUTBOX_RELAY_ENABLED: 'false' }),
    ]);
    replicas = { a, b, c };
    await collector.start();
  });
  afterAll(async () => {
    await collector.stop();
    await Promise.all(Object.values(replicas).map((replica) => replica.stop()));
  });

  async function create(replica: RunningOrderService): Promise<string> {
    const result = await graphql<{ createOrder: { id: string } }>(replica, CREATE, { input: orderInput() });
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.createOrder.id;
  }

  it('publishes every event exactly once and in order per order, whichever replica stored it', async () => {
    // 20 orders on each relay replica, created and validated there, all at once; 20 created on C and left alone.
    const withRelay = await Promise.all(
      (['a', 'b'] as const).flatMap((name) =>
        Array.from({ length: 20 }, async () => {
          const id = await create(replicas[name]);
          const validated = await graphql(replicas[name], VALIDATE, { id });
          expect(validated.errors).toBeUndefined();
          return id;
        }),
      ),
    );
    const withoutRelay = await Promise.all(Array.from({ length: 20 }, () => create(replicas.c)));

    await eventually(() => {
      const missing = [
        ...withRelay.filter((id) => collector.of(id, 'wms.order.validated').length === 0),
        ...withoutRelay.filter((id) => collector.of(id).length === 0),
      ];
      if (missing.length > 0) throw new Error(`${missing.length} orders still missing events`);
    }, 30_000);
    // Time for a second copy to show up: several sweeps and recording passes.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    for (const id of withRelay) expect(collector.of(id).map((event) => event.type)).toEqual(['wms.order.received', 'wms.order.validated']);
    for (const id of withoutRelay) expect(collector.of(id).map((event) => event.type)).toEqual(['wms.order.received']);
    const ids = [...withRelay, ...withoutRelay].flatMap((id) => collector.of(id).map((event) => event.id));
    expect(new Set(ids).size).toBe(ids.length);
  }, 60_000);

  it('hands the sweeper lease to exactly one relay, and the events C stores reach Kafka through it', async () => {
    const leases = await replicas.a.services.mongo
      .db!.collection('outbox_relay_leases')
      .find({ _id: 'outbox-sweeper' as never })
      .toArray();
    expect(leases).toHaveLength(1);
    expect(leases[0].until.getTime()).toBeGreaterThan(Date.now());
    expect([replicas.a.services.relay.owner, replicas.b.services.relay.owner]).toContain(leases[0].owner);

    const id = await create(replicas.c);
    const [received] = await collector.waitFor(id, 'wms.order.received', 1, 10_000);
    expect(received.subject).toBe(id);
  });

  it('lets the other relay take the sweeper lease when its holder stops', async () => {
    const lease = () => replicas.c.services.mongo.db!.collection('outbox_relay_leases').findOne({ _id: 'outbox-sweeper' as never });
    const holder = (await lease())!.owner === replicas.a.services.relay.owner ? 'a' : 'b';
    const survivor = holder === 'a' ? 'b' : 'a';
    await replicas[holder].stop();
    await eventually(async () => expect((await lease())!.owner).toBe(replicas[survivor].services.relay.owner), 15_000, 200);

    const id = await create(replicas.c);
    await collector.waitFor(id, 'wms.order.received', 1, 10_000);
    expect(collector.of(id)).toHaveLength(1);
  }, 30_000);
});
