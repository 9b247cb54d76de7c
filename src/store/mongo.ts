import mongoose, { type Connection } from 'mongoose';

/** One mongoose connection per service instance (not the global default), so tests can run several. */
export async function connectMongo(uri: string, dbName: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName,
    serverSelectionTimeoutMS: 5_000,
    // Indexes are built explicitly and awaited at start (ensureIndexes), so a failed build stops the start.
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

/** What ensureIndexes needs of a model. */
interface IndexedModel {
  createCollection(): Promise<unknown>;
  createIndexes(): Promise<unknown>;
}

/** Creates each collection and every index its schema declares, and fails loudly (mongoose's background build swallows errors). */
export async function ensureIndexes(models: IndexedModel[]) {
  for (const model of models) {
    await model.createCollection().catch((error: { codeName?: string }) => {
      if (error.codeName !== 'NamespaceExists') throw error;
    });
    await model.createIndexes();
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
