import { randomBytes, randomUUID } from 'node:crypto';
import { graphql, request } from './http';
import { waitUntil } from './stats';

/** A realistic order: three lines, an address, a promise far in the future (so it never becomes late). */
export function orderInput(index: number) {
  return {
    customerId: `CUST-${String(index % 500).padStart(4, '0')}`,
    priority: (['STANDARD', 'NEXT_DAY', 'SAME_DAY'] as const)[index % 3],
    promisedDeliveryAt: '2099-12-27T17:00:00Z',
    items: [
      { sku: 'SKU-001', quantity: 3, unitPrice: 19.99, productName: 'Widget', weight: 0.5 },
      { sku: 'SKU-002', quantity: 1, unitPrice: 0.1, productName: 'Washer', weight: 0.01 },
      { sku: 'SKU-003', quantity: 12, unitPrice: 4.25, productName: 'Bracket', weight: 0.2 },
    ],
    shippingAddress: { street: '123 Main St', city: 'New York', state: 'NY', zipCode: '10001', country: 'US', recipientName: 'Jane Doe' },
  };
}

/** The same order in the REST layer's shape: enum values in lower case. */
export function restOrderInput(index: number) {
  const input = orderInput(index);
  return { ...input, priority: input.priority.toLowerCase() };
}

export const CREATE_ORDER = `mutation Create($input: CreateOrderInput!) { createOrder(input: $input) { id status version } }`;

export async function createOrder(url: string, index: number): Promise<string> {
  const data = await graphql<{ createOrder: { id: string } }>(url, CREATE_ORDER, { input: orderInput(index) });
  return data.createOrder.id;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** An id in the service's format (ORD- + 12 Crockford base32 characters), for documents the bench stores itself. */
export function newOrderId(): string {
  const bytes = randomBytes(12);
  let id = 'ORD-';
  for (const byte of bytes) id += CROCKFORD[byte % 32];
  return id;
}

type Doc = Record<string, any>;

/**
 * A copy of a document the service stored, under a new order id: every place the id appears is replaced, and the
 * outbox's event ids are fresh. Dates stay Dates (structuredClone keeps them).
 */
export function cloneOrderDocument(template: Doc, orderId: string, now: Date): Doc {
  const doc = structuredClone(template);
  const oldId = template.orderId as string;
  doc._id = orderId;
  doc.orderId = orderId;
  doc.createdAt = now;
  doc.updatedAt = now;
  if (Array.isArray(doc.outbox)) {
    doc.outbox = doc.outbox.map((entry: Doc) => ({ ...entry, id: randomUUID(), time: now, data: replaceId(entry.data, oldId, orderId) }));
  }
  if (doc.deadLetter) doc.deadLetter = replaceId(doc.deadLetter, oldId, orderId);
  // Not yet in the order counts, as the service stores a new order: its count projector folds the copy in.
  doc.countStale = true;
  doc.countedAs = null;
  return doc;
}

/**
 * Waits until the service's count projector has folded the `copies` just seeded into the order counts, watching the
 * service's own metrics: asking the store for the marked orders would make it decode every one of them each time.
 */
export async function countsFoldedIn(serviceUrl: string, copies: number, timeoutMs: number): Promise<{ orders: number; seconds: number }> {
  const started = performance.now();
  const sample = async (series: string) => {
    const line = (await request(`${serviceUrl}/metrics`)).body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : Number.NaN;
  };
  await waitUntil(
    'the order counts folded in',
    async () => ((await sample('order_counts_folded_total')) >= copies && (await sample('order_counts_backlog_orders')) === 0 ? true : undefined),
    timeoutMs,
    2_000,
  );
  return { orders: copies, seconds: (performance.now() - started) / 1000 };
}

export const foldedText = ({ orders, seconds }: { orders: number; seconds: number }) =>
  `the service's count projector folded ${orders.toLocaleString('en-US')} copies into the order counts in ${seconds.toFixed(0)} s (${Math.round(orders / Math.max(seconds, 0.001)).toLocaleString('en-US')}/s) before anything was measured`;

function replaceId(value: unknown, oldId: string, newId: string): any {
  if (value === oldId) return newId;
  if (Array.isArray(value)) return value.map((item) => replaceId(item, oldId, newId));
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, nested]) => [key, replaceId(nested, oldId, newId)]));
}

/** Whether the store still answers a count, with a time-out (a store busy for minutes, or stuck, would otherwise hold the bench). */
export async function probeStore(
  collection: { countDocuments(filter: Record<string, unknown>): Promise<number> },
  filter: Record<string, unknown> = {},
  timeoutMs = 5_000,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const count = await Promise.race([
      collection.countDocuments(filter),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return `answered (${count})`;
  } catch (error) {
    return (error as Error).message === 'timeout' ? `did not answer within ${timeoutMs / 1000} s` : `failed: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
