import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { APP_DIR, BENCH_INFRA_ENV } from './infra';

/**
 * The bench is its own identity provider: a key pair per run, replicas that trust it, and one token (every scope,
 * tenant `default`) that every request carries — as a gateway forwarding one caller's token would.
 */
const AUTH_DIR = join(BENCH_INFRA_ENV.WMS_RUN_DIR, 'auth');
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

export const BENCH_AUTH_ENV = {
  AUTH_PUBLIC_KEY_FILE: join(AUTH_DIR, 'public.pem'),
  AUTH_ISSUER: 'https://auth.bench.wms',
  AUTH_AUDIENCE: 'wms-order-service',
};

let authorization = '';

/** Writes the public key for the replicas and signs the run's token (valid 3 h, longer than any run). */
export async function prepareBenchAuth(): Promise<void> {
  // The scope list of the build under test (its copy of dist/), so the token grants exactly what that build knows.
  const { SCOPES } = require(join(APP_DIR, 'dist', 'auth', 'scopes.js')) as { SCOPES: readonly string[] };
  mkdirSync(AUTH_DIR, { recursive: true });
  writeFileSync(BENCH_AUTH_ENV.AUTH_PUBLIC_KEY_FILE, publicKey.export({ type: 'spki', format: 'pem' }));
  const token = await new SignJWT({ tenant_id: 'default', scope: SCOPES.join(' ') })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('bench')
    .setIssuer(BENCH_AUTH_ENV.AUTH_ISSUER)
    .setAudience(BENCH_AUTH_ENV.AUTH_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('3h')
    .sign(privateKey);
  authorization = `Bearer ${token}`;
}

/** The `Authorization` value of every bench request. */
export function benchAuthorization(): string {
  if (!authorization) throw new Error('prepareBenchAuth() has not run');
  return authorization;
}
