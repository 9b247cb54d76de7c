import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The CloudEvents correlation headers of the brief; they follow a request into its logs and events. */
export const CORRELATION_HEADER = 'x-wms-correlation-id';
export const WAVE_NUMBER_HEADER = 'x-wms-wave-number';
export const WORKFLOW_ID_HEADER = 'x-wms-workflow-id';

export interface RequestContext {
  requestId: string;
  correlationId: string;
  waveNumber: string | null;
  workflowId: string | null;
  traceparent: string | null;
  tenantId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

const SAFE_HEADER_VALUE = /^[\x21-\x7e]{1,128}$/;

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  // Untrusted values end up in logs and events: keep them short and printable.
  return first && SAFE_HEADER_VALUE.test(first) ? first : null;
}

export function contextFromHeaders(headers: IncomingHttpHeaders): RequestContext {
  return {
    requestId: randomUUID(),
    correlationId: header(headers, CORRELATION_HEADER) ?? randomUUID(),
    waveNumber: header(headers, WAVE_NUMBER_HEADER),
    workflowId: header(headers, WORKFLOW_ID_HEADER),
    traceparent: header(headers, 'traceparent'),
    tenantId: 'default',
  };
}

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the current request, or a fresh one for work that no request started (relays, timers). */
export function currentContext(): RequestContext {
  return storage.getStore() ?? contextFromHeaders({});
}
