import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config';
import type { Caller } from './caller';
import { SCOPES } from './scopes';
import { InvalidToken, TokenVerifier } from './token-verifier';

/** The scheme named in `WWW-Authenticate` on every 401 (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="wms-order-service"';

/** How a caller proves who they are: a bearer token, or (AUTH_MODE=off) nothing at all. */
export interface Authenticator {
  /** The caller of a request with these headers (`authorization`); InvalidToken when it cannot be told. */
  authenticate(authorization: string | undefined, headers?: IncomingHttpHeaders): Promise<Caller>;
}

export function createAuthenticator(config: Config): Authenticator {
  if (config.AUTH_MODE === 'off') return localExperimenter;
  const verifier = new TokenVerifier({
    jwksUrl: config.AUTH_JWKS_URL,
    jwksCooldownMs: config.AUTH_JWKS_COOLDOWN,
    publicKeyFile: config.AUTH_PUBLIC_KEY_FILE,
    issuer: config.AUTH_ISSUER!,
    audience: config.AUTH_AUDIENCE!,
    tenantClaim: config.AUTH_TENANT_CLAIM,
    clockToleranceSeconds: Math.round(config.AUTH_CLOCK_SKEW / 1000),
  });
  return {
    async authenticate(authorization) {
      const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/i.exec(authorization?.trim() ?? '');
      if (!authorization) throw new InvalidToken('a bearer token is required (Authorization: Bearer <token>)');
      if (!match) throw new InvalidToken('the Authorization header is not a bearer token');
      return verifier.verify(match[1]);
    },
  };
}

/** AUTH_MODE=off: everyone may do everything in tenant `default`; the actor is whoever X-WMS-User-ID says. */
const localExperimenter: Authenticator = {
  async authenticate(_authorization, headers = {}) {
    const claimed = headers['x-wms-user-id'];
    const subject = typeof claimed === 'string' && /^[\x21-\x7e]{1,128}$/.test(claimed) ? claimed : 'anonymous';
    return { subject, tenantId: 'default', scopes: new Set(SCOPES), expiresAt: null };
  },
};
