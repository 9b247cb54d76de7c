import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
import { SignJWT } from 'jose';
import type { Config } from '../config';
import type { Scope } from '../auth/scopes';

/** What a supervisor needs in the console, and no more: reading and resolving the queue, reading orders. */
export const DEV_SESSION_SCOPES: readonly Scope[] = ['dlq:read', 'dlq:resolve', 'orders:read'];
export const DEV_SESSION_SUBJECT = 'console-dev';
export const DEV_SESSION_TENANT = 'default';
/** Short-lived: at expiry the console's WebSocket is closed (4401) and the console asks to sign in again. */
export const DEV_SESSION_TTL_SECONDS = 30 * 60;

/**
 * POST /console/dev-session: the one-click sign-in of local mode. It exists only when the operator names a signing key
 * (CONSOLE_DEV_SIGNING_KEY_FILE, refused with NODE_ENV=production by the config), so a deployed service never mints
 * tokens; the key is read at start-up, so a missing or bad file stops the start instead of the first click.
 */
export function devSessionRoute(config: Config): RequestHandler | null {
  if (!config.CONSOLE_DEV_SIGNING_KEY_FILE) return null;
  const key: KeyObject = createPrivateKey(readFileSync(config.CONSOLE_DEV_SIGNING_KEY_FILE));
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('CONSOLE_DEV_SIGNING_KEY_FILE: expected an EC P-256 private key (tokens are ES256)');
  }
  return async (_req, res, next) => {
    try {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ [config.AUTH_TENANT_CLAIM]: DEV_SESSION_TENANT, scope: DEV_SESSION_SCOPES.join(' ') })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject(DEV_SESSION_SUBJECT)
        .setIssuer(config.AUTH_ISSUER ?? '')
        .setAudience(config.AUTH_AUDIENCE ?? '')
        .setIssuedAt(now)
        .setExpirationTime(now + DEV_SESSION_TTL_SECONDS)
        .sign(key);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ token, expiresAt: new Date((now + DEV_SESSION_TTL_SECONDS) * 1000).toISOString(), scopes: DEV_SESSION_SCOPES });
    } catch (error) {
      next(error);
    }
  };
}
