import type { Connection } from 'mongoose';
import { connectMongo } from '../../src/store/mongo';
import { TEST_MONGODB_URI } from '../support/test-infra';
import { uniqueName } from '../support/test-service';

/**
 * The FerretDB that `infra/` builds answers a filter naming one `_id` from its primary-key index, also when the filter
 * holds more conditions (every conditional write, every relay statement). Upstream 1.24.2 scans the collection for
 * both; infra/provision-ferretdb.sh explains the patch.
 */
describe('FerretDB query plans for filters on _id', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await connectMongo(TEST_MONGODB_URI, uniqueName('plans'));
    await connection.db!.collection('orders').insertMany([
      { _id: 'ORD-1' as never, version: 1 },
      { _id: 'ORD-2' as never, version: 1 },
    ]);
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  async function plan(filter: Record<string, unknown>): Promise<{ pushdown: boolean; steps: string }> {
    const explained = await connection.db!.command({ explain: { find: 'orders', filter } });
    return { pushdown: explained.filterPushdown, steps: JSON.stringify(explained.queryPlanner) };
  }

  it.each([
    ['the _id alone', { _id: 'ORD-2' }],
    ['the _id and a version (a conditional write)', { _id: 'ORD-2', version: 1 }],
    ['the _id and an $or (a lease condition)', { _id: 'ORD-2', $or: [{ owner: null }, { version: { $lt: 5 } }] }],
  ])('looks up %s through the index', async (_, filter) => {
    const { pushdown, steps } = await plan(filter);
    expect(pushdown).toBe(true);
    expect(steps).toMatch(/SEARCH \S+ USING INDEX \S+__id_/);
    expect(steps).not.toMatch(/SCAN/);
  });

  it('still applies the other conditions', async () => {
    const orders = connection.db!.collection('orders');
    expect(await orders.findOne({ _id: 'ORD-2' as never, version: 1 })).toMatchObject({ _id: 'ORD-2' });
    expect(await orders.findOne({ _id: 'ORD-2' as never, version: 2 })).toBeNull();
    expect((await orders.updateOne({ _id: 'ORD-2' as never, version: 2 }, { $set: { version: 3 } })).matchedCount).toBe(0);
    expect((await orders.updateOne({ _id: 'ORD-2' as never, version: 1 }, { $set: { version: 2 } })).modifiedCount).toBe(1);
  });

  it('scans for a filter without _id, as before', async () => {
    const { pushdown, steps } = await plan({ version: 1 });
    expect(pushdown).toBe(false);
    expect(steps).toMatch(/SCAN/);
  });
});
