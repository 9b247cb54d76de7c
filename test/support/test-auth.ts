import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { SCOPES } from '../../src/auth/scopes';
import { TEST_INFRA_ENV } from './test-infra';

/**
 * The identity provider of the integration tests: one signing key per run (made by the global setup), services that
 * trust it, and tokens for any subject, tenant and scopes. Requests from the test helpers carry `defaultAuthorization`
 * (every scope, tenant `default`) unless a test sends its own Authorization header, or '' for none.
 */
const AUTH_DIR = join(TEST_INFRA_ENV.WMS_RUN_DIR, 'auth');
const PRIVATE_KEY_FILE = join(AUTH_DIR, 'private.pem');
/** The run's private signing key (for a service that signs tokens itself: the console's dev sign-in). */
export const TEST_SIGNING_KEY_FILE = PRIVATE_KEY_FILE;
export const TEST_ISSUER = 'https://auth.wms.test';
export const TEST_AUDIENCE = 'wms-order-service';
export const TEST_SUBJECT = 'test-suite';

export const TEST_AUTH_ENV = {
  AUTH_PUBLIC_KEY_FILE: join(AUTH_DIR, 'public.pem'),
  AUTH_ISSUER: TEST_ISSUER,
  AUTH_AUDIENCE: TEST_AUDIENCE,
  // Load tests send thousands of requests as one caller within a minute; auth.test.ts checks the limits with its own.
  RATE_LIMIT_PER_SUBJECT: '1000000',
  RATE_LIMIT_PER_ADDRESS: '1000000',
};

/** Called once per run by the global setup: a fresh ES256 key pair. */
export function createTestSigningKey(): void {
  mkdirSync(AUTH_DIR, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const [file, pem] of [
    [PRIVATE_KEY_FILE, privateKey.export({ type: 'pkcs8', format: 'pem' })],
    [TEST_AUTH_ENV.AUTH_PUBLIC_KEY_FILE, publicKey.export({ type: 'spki', format: 'pem' })],
  ] as const) {
    writeFileSync(`${file}.tmp`, pem, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}

let signingKey: KeyObject | null = null;
function testSigningKey(): KeyObject {
  if (!existsSync(PRIVATE_KEY_FILE)) throw new Error(`${PRIVATE_KEY_FILE} is missing: the integration global setup creates it`);
  return (signingKey ??= createPrivateKey(readFileSync(PRIVATE_KEY_FILE)));
}

export interface TokenOptions {
  sub?: string;
  tenant?: string | null;
  /** Default: every scope. */
  scopes?: readonly string[];
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  key?: KeyObject;
  kid?: string;
  alg?: string;
}

export async function testToken({
  sub = TEST_SUBJECT,
  tenant = 'default',
  scopes = SCOPES,
  issuer = TEST_ISSUER,
  audience = TEST_AUDIENCE,
  expiresIn = 3600,
  key,
  kid,
  alg = 'ES256',
}: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...(tenant === null ? {} : { tenant_id: tenant }), scope: scopes.join(' ') })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now - 5)
    .setNotBefore(now - 5)
    .setExpirationTime(now + expiresIn)
    .sign(key ?? testSigningKey());
}

export async function bearer(options: TokenOptions = {}): Promise<string> {
  return `Bearer ${await testToken(options)}`;
}

let defaultHeader: Promise<string> | null = null;
/** Every scope in tenant `default`, as subject `test-suite`; one token per test file (valid an hour). */
export function defaultAuthorization(): Promise<string> {
  return (defaultHeader ??= bearer());
}

/** The helpers' headers: the default token unless the test chose one ('' = send none). */
export async function withAuthorization(headers: Record<string, string>): Promise<Record<string, string>> {
  const chosen = Object.keys(headers).find((name) => name.toLowerCase() === 'authorization');
  if (chosen === undefined) return { ...headers, authorization: await defaultAuthorization() };
  if (headers[chosen] !== '') return headers;
  const { [chosen]: _none, ...rest } = headers;
  return rest;
}
