import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Caller } from './caller';
import { parseScopeClaim } from './scopes';

export interface TokenVerifierOptions {
  /** A JWKS endpoint (keys cached; fetched again when a token names an unknown `kid`) … */
  jwksUrl?: string;
  jwksCooldownMs?: number;
  /** … or one PEM public key (SPKI) from a file the operator names. */
  publicKeyFile?: string;
  issuer: string;
  audience: string;
  tenantClaim: string;
  clockToleranceSeconds: number;
}

/** Asymmetric algorithms only: a shared secret would let every verifier mint tokens. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Why a token was refused, in words safe to send back (never the token, never a key). */
export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
}

/** Verifies bearer tokens (signature, `iss`, `aud`, `exp`/`nbf` with a small skew) and reads the caller from the claims. */
export class TokenVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey;

  constructor(private readonly options: TokenVerifierOptions) {
    if (options.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 5_000,
      });
    } else if (options.publicKeyFile) {
      this.key = createPublicKey(readFileSync(options.publicKeyFile));
    } else {
      throw new Error('a token verifier needs AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE');
    }
  }

  async verify(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as KeyObject, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw new InvalidToken(reasonOf(error));
    }
    const tenantId = payload[this.options.tenantClaim];
    if (typeof tenantId !== 'string' || !/^[\w.-]{1,64}$/.test(tenantId)) {
      throw new InvalidToken(`the token has no usable ${this.options.tenantClaim} claim`);
    }
    if (!payload.sub || payload.sub.length > 128) throw new InvalidToken('the token has no usable sub claim');
    return {
      subject: payload.sub,
      tenantId,
      scopes: parseScopeClaim(payload.scope),
      expiresAt: new Date((payload.exp! + this.options.clockToleranceSeconds) * 1000),
    };
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed with an unknown key';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token algorithm is not accepted';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSENotSupported) return 'the token could not be verified';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is malformed';
  return 'the token could not be verified';
}
