import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The CloudEvents correlation headers of the brief; they follow a request into its logs and events. */
export const CORRELATION_HEADER = 'x-wms-correlation-id';
export const WAVE_NUMBER_HEADER = 'x-wms-wave-number';
export const WORKFLOW_ID_HEADER = 'x-wms-workflow-id';
/** Who is calling, as asserted by the gateway in front of the service; the default `resolvedBy` of DLQ resolutions. */
export const USER_ID_HEADER = 'x-wms-user-id';

export interface RequestContext {
  requestId: string;
  correlationId: string;
  waveNumber: string | null;
  workflowId: string | null;
  traceparent: string | null;
  tenantId: string;
  /** From `X-WMS-User-ID`; null when the caller did not say. */
  userId: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

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
    userId: header(headers, USER_ID_HEADER),
  };
}

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the current request, or a fresh one for work that no request started (relays, timers). */
export function currentContext(): RequestContext {
  return storage.getStore() ?? contextFromHeaders({});
}
