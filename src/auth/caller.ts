import type { Scope } from './scopes';

/** Who is calling, as their verified token says (or, with AUTH_MODE=off, the local experimenter). */
export interface Caller {
  /** The token subject: recorded on every change the caller makes. */
  subject: string;
  tenantId: string;
  scopes: ReadonlySet<Scope>;
  /** When this service stops accepting the token (its `exp` plus the clock skew allowed); null without one (AUTH_MODE=off). */
  expiresAt: Date | null;
}
