import pino from 'pino';
import { createMetrics } from '../../src/observability/metrics';
import { OrderCountProjector } from '../../src/store/order-count-projector';

/** A lease always held by this replica. */
const heldLease = { renew: async () => true, held: () => true, release: async () => undefined, renewEveryMs: 60_000 };

const until = async (condition: () => boolean | Promise<boolean>, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('OrderCountProjector', () => {
  it('counts a failed pass by its store error and folds again after it', async () => {
    const metrics = createMetrics();
    let calls = 0;
    const counts = {
      backfill: async () => 0,
      project: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('write conflict'), { codeName: 'WriteConflict' });
        return { read: 3, folded: 3 };
      },
    };
    const projector = new OrderCountProjector(counts, heldLease, pino({ level: 'silent' }), metrics, { idleMs: 10, batchSize: 10 });
    projector.start();
    try {
      await until(async () => (await metrics.orderCountsFolded.get()).values[0]?.value === 3);
      const failed = (await metrics.orderCountsFailedPasses.get()).values;
      expect(failed).toEqual([expect.objectContaining({ labels: { reason: 'WriteConflict' }, value: 1 })]);
    } finally {
      await projector.stop();
    }
  });
});
