import { assertMatchesOpenApi } from './openapi-validator';
import { withAuthorization } from './test-auth';

export interface RestResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RestOptions {
  /** Sent as JSON (content-type application/json) unless `raw` is given. */
  body?: unknown;
  /** Sent as is, with the content type from `headers` (or none). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * One request to /api/v1. Every response is validated against the OpenAPI document before the test sees it,
 * so no REST test can pass with a response the document does not describe.
 */
export async function rest<T = any>(service: { url: string }, method: string, path: string, options: RestOptions = {}): Promise<RestResult<T>> {
  const headers: Record<string, string> = await withAuthorization({ ...(options.headers ?? {}) });
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${service.url}/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').startsWith('application/json') && text) parsed = JSON.parse(text);
  assertMatchesOpenApi({ method, path, status: response.status, headers: response.headers, body: parsed });
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** The brief's create-order body (lower-case enum values). */
let sequence = 0;
export function restOrderBody(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    customerId: `REST-${process.pid}-${sequence}`,
    priority: 'standard',
    promisedDeliveryAt: '2099-12-27T17:00:00Z',
    items: [
      { sku: 'SKU-001', quantity: 2, unitPrice: 29.99 },
      { sku: 'SKU-002', quantity: 1, unitPrice: 0.1, productName: 'Widget', weight: 0.25 },
    ],
    shippingAddress: { street: '123 Main St', city: 'New York', state: 'NY', zipCode: '10001', country: 'US' },
    ...overrides,
  };
}

/** Fails the test with the response when the status is not the expected one. */
export function expectStatus(result: RestResult, status: number): void {
  if (result.status !== status) throw new Error(`expected HTTP ${status}, got ${result.status}: ${JSON.stringify(result.body)}`);
}
