import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { InvalidToken, TokenVerifier } from '../../src/auth/token-verifier';

/** Token verification (signature, issuer, audience, time, claims) against keys made here; no servers. */

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'wms-order-service';

function keyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

const signer = keyPair();
const stranger = keyPair();
const dir = mkdtempSync(join(tmpdir(), 'wms-verifier-'));
const publicKeyFile = join(dir, 'public.pem');
writeFileSync(publicKeyFile, signer.publicKey.export({ type: 'spki', format: 'pem' }));
const verifier = new TokenVerifier({ publicKeyFile, issuer: ISSUER, audience: AUDIENCE, tenantClaim: 'tenant_id', clockToleranceSeconds: 30 });

interface TokenShape {
  claims?: Record<string, unknown>;
  key?: typeof signer.privateKey;
  issuer?: string;
  audience?: string;
  expiresAt?: number;
  notBefore?: number;
}

function token({ claims = {}, key = signer.privateKey, issuer = ISSUER, audience = AUDIENCE, expiresAt, notBefore }: TokenShape = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant_id: 'tenant-a', scope: 'orders:read dlq:read other-service:write', ...claims })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('picker-7')
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now)
    .setNotBefore(notBefore ?? now)
    .setExpirationTime(expiresAt ?? now + 300)
    .sign(key);
}

async function refusal(jwt: string): Promise<string> {
  try {
    await verifier.verify(jwt);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidToken);
    return (error as Error).message;
  }
  throw new Error('the token was accepted');
}

describe('TokenVerifier', () => {
  it('reads subject, tenant and the known scopes of a valid token', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 120;
    const caller = await verifier.verify(await token({ expiresAt }));
    expect(caller).toEqual({
      subject: 'picker-7',
      tenantId: 'tenant-a',
      scopes: new Set(['orders:read', 'dlq:read']),
      expiresAt: new Date((expiresAt + 30) * 1000),
    });
  });

  it('refuses a bad signature, another issuer or audience, an expired or not-yet-valid token, and garbage', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(await token({ key: stranger.privateKey }))).toBe('the token signature is not valid');
    expect(await refusal(await token({ issuer: 'https://elsewhere.test' }))).toBe("the token's iss claim is not accepted");
    expect(await refusal(await token({ audience: 'another-service' }))).toBe("the token's aud claim is not accepted");
    expect(await refusal(await token({ expiresAt: now - 120 }))).toBe('the token has expired');
    expect(await refusal(await token({ notBefore: now + 600 }))).toBe("the token's nbf claim is not accepted");
    expect(await refusal('not-a-token')).toBe('the token is malformed');
  });

  it('allows the configured clock skew on exp and nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifier.verify(await token({ expiresAt: now - 10 }))).resolves.toMatchObject({ subject: 'picker-7' });
    await expect(verifier.verify(await token({ notBefore: now + 10 }))).resolves.toMatchObject({ subject: 'picker-7' });
  });

  it('refuses a token without a tenant, or with one that is not a plain identifier', async () => {
    expect(await refusal(await token({ claims: { tenant_id: undefined } }))).toBe('the token has no usable tenant_id claim');
    expect(await refusal(await token({ claims: { tenant_id: { $ne: null } } }))).toBe('the token has no usable tenant_id claim');
  });

  it('refuses an unsigned token (alg none) and a symmetric one', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999, tenant_id: 't' })).toString('base64url');
    expect(await refusal(`${header}.${body}.`)).toBe('the token algorithm is not accepted');
    const hs = await new SignJWT({ tenant_id: 't' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await refusal(hs)).toBe('the token algorithm is not accepted');
  });
});
