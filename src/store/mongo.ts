import type { Collection, CreateIndexesOptions, IndexSpecification } from 'mongodb';
import mongoose, { type Connection, type Schema } from 'mongoose';

/** One mongoose connection per service instance (not the global default), so tests can run several. */
export async function connectMongo(uri: string, dbName: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName,
    serverSelectionTimeoutMS: 5_000,
    // Index builds are started explicitly and awaited (see ensureIndexes): FerretDB fails silently otherwise.
    autoIndex: false,
    autoCreate: false,
  });
  await connection.asPromise();
  return connection;
}

export async function pingMongo(connection: Connection, timeoutMs = 2_000): Promise<void> {
  if (connection.readyState !== 1 || !connection.db) throw new Error('not connected');
  await withTimeout(connection.db.admin().ping(), timeoutMs, 'mongodb ping');
}

/**
 * Whether the store answers queries from secondary indexes. FerretDB 1.x's SQLite backend never does (it looks
 * documents up by `_id` only, and filters everything else in memory), yet keeps every index up to date on each write:
 * with the orders' twelve, inserts ran 30 % and updates 45 % slower for nothing. FerretDB 2 (DocumentDB) and MongoDB
 * use them.
 */
export async function storeUsesSecondaryIndexes(connection: Connection): Promise<boolean> {
  const info = await connection.db!.admin().command({ buildInfo: 1 });
  return !(typeof info.ferretdbVersion === 'string' && info.ferretdbVersion.startsWith('v1.'));
}

/** What ensureIndexes needs of a model. */
interface IndexedModel {
  createCollection(): Promise<unknown>;
  createIndexes(): Promise<unknown>;
  schema: Pick<Schema, 'indexes'>;
  collection: Pick<Collection, 'createIndex'>;
}

/**
 * Creates the collection and its indexes and fails loudly: mongoose's own background build swallows errors. Where the
 * store cannot use secondary indexes, only unique ones are created (they still enforce their constraint).
 */
export async function ensureIndexes(models: IndexedModel[], options: { secondary: boolean }) {
  for (const model of models) {
    await model.createCollection().catch((error: { codeName?: string }) => {
      if (error.codeName !== 'NamespaceExists') throw error;
    });
    if (options.secondary) {
      await model.createIndexes();
      continue;
    }
    for (const [key, indexOptions] of model.schema.indexes()) {
      if (indexOptions?.unique) await model.collection.createIndex(key as IndexSpecification, indexOptions as CreateIndexesOptions);
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * FerretDB 1.24 stops answering an `update` command of about 100 statements (and the connection with it), so bulk
 * writes go out in chunks well below that. Returns how many documents the filters matched in all.
 */
export const BULK_WRITE_CHUNK = 50;

export async function bulkWriteInChunks(
  model: { bulkWrite(operations: never[], options: { ordered: boolean }): Promise<{ matchedCount: number }> },
  operations: unknown[],
): Promise<number> {
  let matched = 0;
  for (let start = 0; start < operations.length; start += BULK_WRITE_CHUNK) {
    const result = await model.bulkWrite(operations.slice(start, start + BULK_WRITE_CHUNK) as never[], { ordered: false });
    matched += result.matchedCount;
  }
  return matched;
}
