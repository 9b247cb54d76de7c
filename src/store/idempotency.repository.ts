import { createHash } from 'node:crypto';
import type { Collection, ObjectId } from 'mongodb';
import type { Connection } from 'mongoose';

/**
 * Idempotency-Key bookkeeping (CONTRACT §4) in the collection `idempotency_keys`.
 *
 * A request claims its key by INSERTING a record before it runs; the unique index on (tenant, method, path, key)
 * makes exactly one of any number of concurrent claims succeed (a duplicate answers error 11000), with no
 * transaction and no read-then-write race. The winner runs the operation and stores its response; the others see the
 * record: in flight → 409, finished → replay.
 *
 * Expiry: a TTL index deletes records once `expiresAt` has passed. The store's TTL monitor runs only now and then
 * (every 60 s on MongoDB), so a claim also treats a record past `expiresAt` as absent.
 */

export const IDEMPOTENCY_COLLECTION = 'idempotency_keys';
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim whose request never finished (process crash) can be taken over after this long. */
export const IDEMPOTENCY_LEASE_MS = 2 * 60 * 1000;

export interface IdempotencyScope {
  tenantId: string;
  method: string;
  path: string;
  key: string;
}

interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface IdempotencyRecord extends IdempotencyScope {
  _id?: ObjectId;
  fingerprint: string;
  state: 'in_flight' | 'completed';
  response: StoredResponse | null;
  createdAt: Date;
  leaseExpiresAt: Date;
  expiresAt: Date;
}

export type Claim = { kind: 'claimed'; id: ObjectId } | { kind: 'replay'; response: StoredResponse } | { kind: 'in_flight' } | { kind: 'fingerprint_mismatch' };

const DUPLICATE_KEY = 11000;

/** SHA-256 over a canonical JSON form (keys sorted), so key order and whitespace do not make bodies differ. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class IdempotencyRepository {
  constructor(
    private readonly collection: Collection<IdempotencyRecord>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static forConnection(mongo: Connection): IdempotencyRepository {
    if (!mongo.db) throw new Error('MongoDB connection is not open');
    return new IdempotencyRepository(mongo.db.collection<IdempotencyRecord>(IDEMPOTENCY_COLLECTION));
  }

  /** The unique index the claims rely on, and the TTL index that expires records. */
  async init(): Promise<void> {
    await this.collection.createIndex({ tenantId: 1, method: 1, path: 1, key: 1 }, { unique: true, name: 'idempotency_scope' });
    await this.collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'idempotency_expiry' });
  }

  /** Claims the key for this request, or says what to answer instead. */
  async claim(scope: IdempotencyScope, bodyFingerprint: string): Promise<Claim> {
    // A few rounds at most: each retry follows a record that expired or was released in between.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const now = this.now();
      try {
        const { insertedId } = await this.collection.insertOne({
          ...scope,
          fingerprint: bodyFingerprint,
          state: 'in_flight',
          response: null,
          createdAt: now,
          leaseExpiresAt: new Date(now.getTime() + IDEMPOTENCY_LEASE_MS),
          expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
        });
        return { kind: 'claimed', id: insertedId };
      } catch (error) {
        if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
      }
      const existing = await this.collection.findOne(scopeFilter(scope));
      if (!existing) continue; // released (5xx) or swept in between: claim again
      if (existing.expiresAt <= now) {
        await this.collection.deleteOne({ _id: existing._id, expiresAt: existing.expiresAt });
        continue;
      }
      if (existing.fingerprint !== bodyFingerprint) return { kind: 'fingerprint_mismatch' };
      if (existing.state === 'completed' && existing.response) return { kind: 'replay', response: existing.response };
      if (existing.leaseExpiresAt <= now) {
        // The first request never finished (its process died): take the claim over, once, conditionally.
        const takenOver = await this.collection.updateOne(
          { _id: existing._id, state: 'in_flight', leaseExpiresAt: existing.leaseExpiresAt },
          { $set: { leaseExpiresAt: new Date(now.getTime() + IDEMPOTENCY_LEASE_MS) } },
        );
        if (takenOver.modifiedCount === 1) return { kind: 'claimed', id: existing._id! };
        continue;
      }
      return { kind: 'in_flight' };
    }
    return { kind: 'in_flight' };
  }

  /** Stores the response to replay. */
  async complete(id: ObjectId, response: { status: number; body?: unknown; headers?: Record<string, string> }): Promise<void> {
    const stored: StoredResponse = { status: response.status, body: response.body ?? null, headers: response.headers ?? {} };
    await this.collection.updateOne({ _id: id }, { $set: { state: 'completed', response: stored } });
  }

  /** Gives the key back (5xx: nothing is stored, a retry runs again). */
  async release(id: ObjectId): Promise<void> {
    await this.collection.deleteOne({ _id: id, state: 'in_flight' });
  }
}

function scopeFilter({ tenantId, method, path, key }: IdempotencyScope) {
  return { tenantId, method, path, key };
}
