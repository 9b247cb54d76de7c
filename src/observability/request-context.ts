import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../auth/caller';
import type { Scope } from '../auth/scopes';

/** The CloudEvents correlation headers of the brief; they follow a request into its logs and events. */
export const CORRELATION_HEADER = 'x-wms-correlation-id';
export const WAVE_NUMBER_HEADER = 'x-wms-wave-number';
export const WORKFLOW_ID_HEADER = 'x-wms-workflow-id';
/** Who is calling, as the local experimenter says with AUTH_MODE=off (with tokens, the token's subject says it). */
export const USER_ID_HEADER = 'x-wms-user-id';

export interface RequestContext {
  requestId: string;
  correlationId: string;
  waveNumber: string | null;
  workflowId: string | null;
  traceparent: string | null;
  /** The caller's tenant: every read and write is kept to it. */
  tenantId: string;
  /** The caller (token subject), recorded on every change; null for work no caller started (relays, timers). */
  userId: string | null;
  /** What the caller may do (src/auth/scopes.ts); empty for work no caller started. */
  scopes: ReadonlySet<Scope>;
}

const SAFE_HEADER_VALUE = /^[\x21-\x7e]{1,128}$/;

/** W3C Trace Context `traceparent` (version 00 layout; an all-zero trace or parent id is invalid). */
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  // Untrusted values end up in logs and events: keep them short and printable.
  return first && SAFE_HEADER_VALUE.test(first) ? first : null;
}

function validTraceparent(value: string | null): string | null {
  return value && TRACEPARENT.test(value) && !value.startsWith('ff') ? value : null;
}

export function contextFromHeaders(headers: IncomingHttpHeaders): RequestContext {
  return {
    requestId: randomUUID(),
    correlationId: header(headers, CORRELATION_HEADER) ?? randomUUID(),
    waveNumber: header(headers, WAVE_NUMBER_HEADER),
    workflowId: header(headers, WORKFLOW_ID_HEADER),
    // Kept only when well formed: it is copied onto events when this service does not trace itself.
    traceparent: validTraceparent(header(headers, 'traceparent')),
    tenantId: 'default',
    userId: null,
    scopes: new Set(),
  };
}

/** A request's context once its caller is known. */
export function withCaller(context: RequestContext, caller: Caller): RequestContext {
  return { ...context, tenantId: caller.tenantId, userId: caller.subject, scopes: caller.scopes };
}
