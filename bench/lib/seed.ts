import { performance } from 'node:perf_hooks';
import type { Collection, Document } from 'mongodb';
import { checkNotAborted } from './abort';

export interface Seeded {
  count: number;
  seconds: number;
  batch: number;
  parallel: number;
}

/**
 * Inserts `count` documents made by `make(index)` with the raw driver: insertMany (unordered) in batches of `batch`,
 * `parallel` batches in flight. Documents are built a batch at a time, so memory stays flat; the collection keeps its
 * indexes (created by the service beforehand), so every insert pays for them as the service's own writes would.
 */
export async function insertInBatches(
  collection: Collection<Document>,
  count: number,
  make: (index: number) => Document,
  { batch = 1_000, parallel = 2, offset = 0 }: { batch?: number; parallel?: number; offset?: number } = {},
): Promise<Seeded> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (;;) {
      checkNotAborted('seeding');
      const from = next;
      if (from >= count) return;
      next = Math.min(count, from + batch);
      const docs = Array.from({ length: next - from }, (_, index) => make(offset + from + index));
      await collection.insertMany(docs, { ordered: false });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { count, seconds: (performance.now() - started) / 1000, batch, parallel };
}

export const seededText = (seeded: Seeded) =>
  `${seeded.count.toLocaleString('en-US')} documents in ${seeded.seconds.toFixed(1)} s (${Math.round(seeded.count / seeded.seconds).toLocaleString('en-US')}/s; insertMany of ${seeded.batch.toLocaleString('en-US')}, ${seeded.parallel} in flight)`;
