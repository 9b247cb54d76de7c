import type { RunningOrderService } from '../../src/order-service';
import { expectStatus, rest, restOrderBody, type RestOptions } from '../support/rest-client';
import { startTestService } from '../support/test-service';

/**
 * A table of malformed requests. Each must be refused with a 4xx and the error body (checked against the OpenAPI
 * document by `rest`), never a 5xx, and must leave the stored orders exactly as they were.
 */

type Target = 'received' | 'validated' | 'packing' | 'shipped';
interface BadRequest {
  name: string;
  method: string;
  /** `{received}` etc. are replaced by the id of an order in that status. */
  path: string;
  options: RestOptions;
  status: number;
  code: string;
  /** A field the error must name (VALIDATION_ERROR only). */
  field?: string;
}

const order = (overrides: Record<string, unknown>) => ({ body: restOrderBody(overrides) });
const item = (overrides: Record<string, unknown>) => order({ items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 1, ...overrides }] });
const address = (overrides: Record<string, unknown>) =>
  order({ shippingAddress: { street: '1 Main', city: 'NYC', state: 'NY', zipCode: '10001', country: 'US', ...overrides } });
const without = (field: string) => {
  const body: Record<string, unknown> = restOrderBody();
  delete body[field];
  return { body };
};
const raw = (text: string, contentType = 'application/json'): RestOptions => ({ raw: text, headers: { 'content-type': contentType } });
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const create = (name: string, options: RestOptions, status: number, code: string, field?: string): BadRequest => ({
  name: `POST /orders ${name}`,
  method: 'POST',
  path: '/orders',
  options,
  status,
  code,
  field,
});
const invalid = (name: string, options: RestOptions, field: string) => create(name, options, 400, 'VALIDATION_ERROR', field);

const cases: BadRequest[] = [
  // missing fields
  invalid('with an empty object', { body: {} }, 'customerId'),
  invalid('without customerId', without('customerId'), 'customerId'),
  invalid('without priority', without('priority'), 'priority'),
  invalid('without items', without('items'), 'items'),
  invalid('without shippingAddress', without('shippingAddress'), 'shippingAddress'),
  invalid('without shippingAddress.city', address({ city: undefined }), 'shippingAddress.city'),
  invalid('without items[0].sku', order({ items: [{ quantity: 1, unitPrice: 1 }] }), 'items.0.sku'),
  invalid('without items[0].quantity', order({ items: [{ sku: 'A', unitPrice: 1 }] }), 'items.0.quantity'),
  invalid('without items[0].unitPrice', order({ items: [{ sku: 'A', quantity: 1 }] }), 'items.0.unitPrice'),
  invalid('with customerId null', order({ customerId: null }), 'customerId'),
  // wrong types
  invalid('with a numeric customerId', order({ customerId: 123 }), 'customerId'),
  invalid('with a numeric priority', order({ priority: 1 }), 'priority'),
  invalid('with items as a string', order({ items: 'SKU-1 x 2' }), 'items'),
  invalid('with items of numbers', order({ items: [1, 2] }), 'items.0'),
  invalid('with a string quantity', item({ quantity: '2' }), 'items.0.quantity'),
  invalid('with a fractional quantity', item({ quantity: 2.5 }), 'items.0.quantity'),
  invalid('with a boolean quantity', item({ quantity: true }), 'items.0.quantity'),
  invalid('with a string unitPrice', item({ unitPrice: '29.99' }), 'items.0.unitPrice'),
  invalid('with a string weight', item({ weight: 'heavy' }), 'items.0.weight'),
  invalid('with a numeric sku', item({ sku: 42 }), 'items.0.sku'),
  invalid('with shippingAddress as a string', order({ shippingAddress: '1 Main St, NYC' }), 'shippingAddress'),
  invalid('with shippingAddress as an array', order({ shippingAddress: [] }), 'shippingAddress'),
  invalid('with a numeric promisedDeliveryAt', order({ promisedDeliveryAt: 1735318800 }), 'promisedDeliveryAt'),
  invalid('with promisedDeliveryAt "tomorrow"', order({ promisedDeliveryAt: 'tomorrow' }), 'promisedDeliveryAt'),
  invalid('with promisedDeliveryAt without an offset', order({ promisedDeliveryAt: '2099-01-01T10:00:00' }), 'promisedDeliveryAt'),
  // negative and out-of-range numbers
  invalid('with a negative quantity', item({ quantity: -1 }), 'items.0.quantity'),
  invalid('with a zero quantity', item({ quantity: 0 }), 'items.0.quantity'),
  invalid('with a quantity over 100000', item({ quantity: 100001 }), 'items.0.quantity'),
  invalid('with a quantity over 32 bits', item({ quantity: 2 ** 31 }), 'items.0.quantity'),
  invalid('with a negative unitPrice', item({ unitPrice: -0.01 }), 'items.0.unitPrice'),
  invalid('with a unitPrice of 3 decimals', item({ unitPrice: 0.001 }), 'items.0.unitPrice'),
  invalid('with a huge unitPrice', item({ unitPrice: 1e300 }), 'items.0.unitPrice'),
  invalid('with a negative weight', item({ weight: -1 }), 'items.0.weight'),
  // unknown enum values
  invalid('with priority "urgent"', order({ priority: 'urgent' }), 'priority'),
  invalid('with priority in GraphQL spelling', order({ priority: 'SAME_DAY' }), 'priority'),
  invalid('with priority in mixed case', order({ priority: 'Same_Day' }), 'priority'),
  invalid('with an empty priority', order({ priority: '' }), 'priority'),
  // huge or malformed strings and collections
  invalid('with a 65-character customerId', order({ customerId: 'C'.repeat(65) }), 'customerId'),
  invalid('with a 500 kB customerId', order({ customerId: 'C'.repeat(500_000) }), 'customerId'),
  invalid('with a 100 kB sku', item({ sku: 'S'.repeat(100_000) }), 'items.0.sku'),
  invalid('with a 10 kB productName', item({ productName: 'P'.repeat(10_000) }), 'items.0.productName'),
  invalid('with a 100 kB street', address({ street: 'S'.repeat(100_000) }), 'shippingAddress.street'),
  invalid('with a blank city', address({ city: '   ' }), 'shippingAddress.city'),
  invalid('with a lower-case country', address({ country: 'us' }), 'shippingAddress.country'),
  invalid('with an unassigned country', address({ country: 'XX' }), 'shippingAddress.country'),
  invalid('with no items', order({ items: [] }), 'items'),
  invalid('with 501 items', order({ items: Array.from({ length: 501 }, (_, i) => ({ sku: `S-${i}`, quantity: 1, unitPrice: 1 })) }), 'items'),
  invalid(
    'with duplicate skus',
    order({
      items: [
        { sku: 'A', quantity: 1, unitPrice: 1 },
        { sku: 'A', quantity: 2, unitPrice: 1 },
      ],
    }),
    'items.1.sku',
  ),
  // unknown fields
  invalid('with an unknown top-level field', order({ discount: 10 }), 'discount'),
  invalid('with an unknown address field', address({ floor: 3 }), 'shippingAddress.floor'),
  invalid('with a __proto__ field', raw(JSON.stringify(restOrderBody()).replace(/^\{/, '{"__proto__":{"admin":true},')), '__proto__'),
  // deep JSON
  invalid('with JSON nested 40 levels deep', raw(JSON.stringify(restOrderBody()).replace(/^\{/, `{"x":${nested(40)},`)), 'body'),
  invalid('with JSON nested 100000 levels deep', raw(nested(100_000)), 'body'),
  invalid(
    'with items nested 50 arrays deep',
    raw(JSON.stringify(restOrderBody()).replace(/"items":/, `"items":${'['.repeat(50)}1${']'.repeat(50)},"x":`)),
    'body',
  ),
  // not an object / not JSON
  invalid('with a JSON array body', raw('[]'), 'body'),
  create('with a JSON string body', raw('"order"'), 400, 'BAD_REQUEST'),
  create('with a JSON null body', raw('null'), 400, 'BAD_REQUEST'),
  create('with truncated JSON', raw('{"customerId": "C-1",'), 400, 'BAD_REQUEST'),
  create('with trailing garbage after the JSON', raw('{"customerId": "C-1"} x'), 400, 'BAD_REQUEST'),
  create('with a single-quoted pseudo-JSON body', raw("{'customerId': 'C-1'}"), 400, 'BAD_REQUEST'),
  // wrong content types
  create('as text/plain', raw(JSON.stringify(restOrderBody()), 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  create('as application/xml', raw('<order><customerId>C-1</customerId></order>', 'application/xml'), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  create('as a form', raw('customerId=C-1&priority=standard', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  create(
    'as multipart',
    raw('--b\r\nContent-Disposition: form-data; name="customerId"\r\n\r\nC-1\r\n--b--', 'multipart/form-data; boundary=b'),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ),
  create('as JSON in latin-1', raw(JSON.stringify(restOrderBody()), 'application/json; charset=latin1'), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  create('without a content type', { raw: JSON.stringify(restOrderBody()) }, 415, 'UNSUPPORTED_MEDIA_TYPE'),
  create('over 1 MB', order({ customerId: 'C'.repeat(1_100_000) }), 413, 'PAYLOAD_TOO_LARGE'),

  // the other writes
  {
    name: 'PATCH with an empty object',
    method: 'PATCH',
    path: '/orders/{received}',
    options: { body: {} },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'body',
  },
  {
    name: 'PATCH with no items',
    method: 'PATCH',
    path: '/orders/{received}',
    options: { body: { items: [] } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'items',
  },
  {
    name: 'PATCH with a field without a name',
    method: 'PATCH',
    path: '/orders/{received}',
    options: { body: { '': 1, priority: 'standard' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'body',
  },
  {
    name: 'PATCH with an unknown field',
    method: 'PATCH',
    path: '/orders/{received}',
    options: { body: { status: 'shipped' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'status',
  },
  {
    name: 'PATCH with a string priority list',
    method: 'PATCH',
    path: '/orders/{received}',
    options: { body: { priority: ['same_day'] } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'priority',
  },
  {
    name: 'cancel with an empty reason',
    method: 'PUT',
    path: '/orders/{received}/cancel',
    options: { body: { reason: '' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'reason',
  },
  {
    name: 'cancel with a numeric reason',
    method: 'PUT',
    path: '/orders/{received}/cancel',
    options: { body: { reason: 5 } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'reason',
  },
  {
    name: 'cancel with a 501-character reason',
    method: 'POST',
    path: '/orders/{received}/cancel',
    options: { body: { reason: 'r'.repeat(501) } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'reason',
  },
  {
    name: 'cancel with an array body',
    method: 'PUT',
    path: '/orders/{received}/cancel',
    options: raw('["Customer request"]'),
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'body',
  },
  {
    name: 'cancel with an extra field',
    method: 'PUT',
    path: '/orders/{received}/cancel',
    options: { body: { reason: 'x', force: true } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'force',
  },
  {
    name: 'validate with a body field',
    method: 'PUT',
    path: '/orders/{received}/validate',
    options: { body: { skipChecks: true } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'skipChecks',
  },
  {
    name: 'validate with a text body',
    method: 'POST',
    path: '/orders/{received}/validate',
    options: raw('please', 'text/plain'),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'assign-wave without waveId',
    method: 'PUT',
    path: '/orders/{validated}/assign-wave',
    options: { body: {} },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'waveId',
  },
  {
    name: 'assign-wave with a null waveId',
    method: 'PUT',
    path: '/orders/{validated}/assign-wave',
    options: { body: { waveId: null } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'waveId',
  },
  {
    name: 'assign-wave with spaces in waveId',
    method: 'PUT',
    path: '/orders/{validated}/assign-wave',
    options: { body: { waveId: 'WAVE 1' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'waveId',
  },
  {
    name: 'ship with an empty trackingNumber',
    method: 'PUT',
    path: '/orders/{packing}/ship',
    options: { body: { trackingNumber: '', carrier: 'UPS' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'trackingNumber',
  },
  {
    name: 'ship with a list as carrier',
    method: 'PUT',
    path: '/orders/{packing}/ship',
    options: { body: { trackingNumber: 'T', carrier: { name: 'UPS' } } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'carrier',
  },
  {
    name: 'complete with deliveredAt "yesterday"',
    method: 'PUT',
    path: '/orders/{shipped}/complete',
    options: { body: { deliveredAt: 'yesterday' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'deliveredAt',
  },
  {
    name: 'complete with a numeric deliveredAt',
    method: 'PUT',
    path: '/orders/{shipped}/complete',
    options: { body: { deliveredAt: 1700000000 } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'deliveredAt',
  },
  {
    name: 'a write with a garbage If-Match',
    method: 'PUT',
    path: '/orders/{received}/cancel',
    options: { body: { reason: 'x' }, headers: { 'If-Match': 'garbage' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'If-Match',
  },
  {
    name: 'a write with two entity tags in If-Match',
    method: 'PUT',
    path: '/orders/{received}/cancel',
    options: { body: { reason: 'x' }, headers: { 'If-Match': '"1", "2"' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'If-Match',
  },

  // query parameters
  {
    name: 'GET /orders?=x (a parameter without a name)',
    method: 'GET',
    path: '/orders?=x',
    options: {},
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'query',
  },
  { name: 'GET /orders?page=-1', method: 'GET', path: '/orders?page=-1', options: {}, status: 400, code: 'VALIDATION_ERROR', field: 'page' },
  { name: 'GET /orders?page=99999999999', method: 'GET', path: '/orders?page=99999999999', options: {}, status: 400, code: 'VALIDATION_ERROR', field: 'page' },
  { name: 'GET /orders?pageSize=1e2', method: 'GET', path: '/orders?pageSize=1e2', options: {}, status: 400, code: 'VALIDATION_ERROR', field: 'pageSize' },
  { name: 'GET /orders?pageSize= (empty)', method: 'GET', path: '/orders?pageSize=', options: {}, status: 400, code: 'VALIDATION_ERROR', field: 'pageSize' },
  {
    name: 'GET /orders?status[]=received',
    method: 'GET',
    path: '/orders?status[]=received',
    options: {},
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'status[]',
  },
  {
    name: 'GET /orders?priority=same_day&priority=standard',
    method: 'GET',
    path: '/orders?priority=same_day&priority=standard',
    options: {},
    status: 400,
    code: 'VALIDATION_ERROR',
    field: 'priority',
  },
];

describe('REST bad input sweep: 4xx with the error body, never 5xx, nothing stored', () => {
  let service: RunningOrderService;
  const targets = {} as Record<Target, { orderId: string; version: number }>;
  let ordersBefore: number;

  const step = async (orderId: string, action: string, body?: unknown) =>
    expectStatus(await rest(service, 'PUT', `/orders/${orderId}/${action}`, { body }), 200);

  beforeAll(async () => {
    service = await startTestService();
    for (const status of ['received', 'validated', 'packing', 'shipped'] as Target[]) {
      const created = await rest(service, 'POST', '/orders', { body: restOrderBody() });
      const { orderId } = created.body;
      if (status !== 'received') await step(orderId, 'validate');
      if (status === 'packing' || status === 'shipped') {
        await step(orderId, 'assign-wave', { waveId: 'WAVE-1' });
        await step(orderId, 'start-picking');
        await step(orderId, 'start-packing');
      }
      if (status === 'shipped') await step(orderId, 'ship', { trackingNumber: 'T-1', carrier: 'UPS' });
      const current = await rest(service, 'GET', `/orders/${orderId}`);
      targets[status] = { orderId, version: current.body.version };
    }
    ordersBefore = await service.services.mongo.collection('orders').countDocuments();
  });
  afterAll(async () => {
    await service.stop();
  });

  it.each(cases.map((badRequest) => [badRequest.name, badRequest] as const))('%s', async (_name, { method, path, options, status, code, field }) => {
    const resolved = path.replace(/\{(\w+)\}/, (_match, target: Target) => targets[target].orderId);
    const response = await rest(service, method, resolved, options);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
    if (field) expect(response.body.details.issues.map((issue: { field: string }) => issue.field)).toContain(field);
  });

  it('left every order as it was', async () => {
    expect(await service.services.mongo.collection('orders').countDocuments()).toBe(ordersBefore);
    for (const [status, { orderId, version }] of Object.entries(targets)) {
      const current = await rest(service, 'GET', `/orders/${orderId}`);
      expect({ status: current.body.status, version: current.body.version }).toEqual({ status, version });
    }
  });
});
