import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildASTSchema, parse, specifiedRules, validate } from 'graphql';
import { openApiDocument } from '../../src/rest/openapi';
import { restRoutes } from '../../src/rest/rest-api';
import { coercionIssue } from '../../src/rest/rest-errors';
import { REST_ENUM_VALUES, versionFromIfMatch } from '../../src/rest/rest-router';
import { fromEnumName, queryEnumList, queryInt, queryNumber, toEnumName } from '../../src/rest/rest-values';
import { validationRules } from '../../src/server/graphql-server';

/** The REST layer's contracts, checked without servers: route table ⇄ OpenAPI ⇄ GraphQL schema. */

const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

describe('the route table and the OpenAPI document', () => {
  it('describe exactly the same operations (method, path, operationId)', () => {
    const fromRoutes = restRoutes.map((route) => `${route.method} ${openApiPath(route.path)} ${route.operationId}`).sort();
    const fromDocument = Object.entries(openApiDocument.paths)
      .flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => `${method.toUpperCase()} ${path} ${operation!.operationId}`))
      .sort();
    expect(fromRoutes).toEqual(fromDocument);
  });

  it.each(restRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s documents exactly its query parameters', (_name, route) => {
    const operation = (openApiDocument.paths as any)[openApiPath(route.path)][route.method.toLowerCase()];
    const documented = (operation.parameters ?? []).filter((parameter: any) => parameter.in === 'query').map((parameter: any) => parameter.name);
    expect(documented.sort()).toEqual([...(route.queryParameters ?? [])].sort());
  });

  it.each(restRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s documents 412 exactly when it honours If-Match', (_name, route) => {
    const operation = (openApiDocument.paths as any)[openApiPath(route.path)][route.method.toLowerCase()];
    expect('412' in operation.responses).toBe(Boolean(route.conditional));
  });

  it('links the created order to every operation on an order, by its orderId', () => {
    const onOrder = restRoutes.filter((route) => route.path.includes(':orderId')).map((route) => route.operationId);
    const links = (openApiDocument.paths['/orders'].post!.responses['201'] as any).links as Record<string, { operationId: string; parameters: object }>;
    expect(
      Object.values(links)
        .map((link) => link.operationId)
        .sort(),
    ).toEqual([...onOrder].sort());
    expect(onOrder.length).toBeGreaterThan(10);
    for (const link of Object.values(links)) expect(link.parameters).toEqual({ orderId: '$response.body#/orderId' });
  });

  it('lists enum values in the REST spelling, from the generated GraphQL types', () => {
    expect([...REST_ENUM_VALUES.OrderStatus].sort()).toEqual([
      'assigned_to_wave',
      'cancelled',
      'completed',
      'packing',
      'picking',
      'received',
      'shipped',
      'validated',
    ]);
    expect([...REST_ENUM_VALUES.DeadLetterResolution].sort()).toEqual(['cancelled', 'escalated', 'manual_retry']);
  });
});

describe('the REST operations against the committed schema', () => {
  const sdl = readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8')
    .replace(/^extend schema @link.*$/m, '')
    .concat('\ndirective @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE\n');
  const schema = buildASTSchema(parse(sdl), { assumeValidSDL: true });

  // The same rules as /graphql, depth and cost limits included: a REST operation the limits refuse is a 500.
  it.each(restRoutes.map((route) => [route.operationId, route] as const))('%s is valid and within the GraphQL limits', (_name, route) => {
    const errors = validate(schema, parse(route.query), [...specifiedRules, ...validationRules]);
    expect(errors.map((error) => error.message)).toEqual([]);
  });
});

describe('GraphQL variable coercion messages → REST field issues', () => {
  const fieldOf = (variable: string) => ({ input: '', id: 'orderId', filter: '', statuses: 'status' })[variable] ?? variable;

  it.each([
    [
      'Variable "$input" got invalid value "abc" at "input.items[0].quantity"; Int cannot represent non-integer value: "abc"',
      'items.0.quantity',
      'expected an integer',
    ],
    [
      'Variable "$input" got invalid value 3000000000 at "input.items[1].quantity"; Int cannot represent non 32-bit signed integer value: 3000000000',
      'items.1.quantity',
      'expected an integer within ±2147483647',
    ],
    ['Variable "$input" got invalid value { priority: "STANDARD" }; Field "customerId" of required type "String!" was not provided.', 'customerId', 'required'],
    [
      'Variable "$input" got invalid value { city: 1 } at "input.shippingAddress"; Field "street" of required type "String!" was not provided.',
      'shippingAddress.street',
      'required',
    ],
    ['Variable "$input" got invalid value { foo: 1 }; Field "foo" is not defined by type "CreateOrderInput".', 'foo', 'unknown field'],
    [
      'Variable "$input" got invalid value { flor: 1 } at "input.shippingAddress"; Field "flor" is not defined by type "ShippingAddressInput". Did you mean "phone"?',
      'shippingAddress.flor',
      'unknown field',
    ],
    [
      'Variable "$input" got invalid value "urgent" at "input.priority"; Value "urgent" does not exist in "OrderPriority" enum.',
      'priority',
      'expected one of next_day, same_day, standard',
    ],
    [
      'Variable "$filter" got invalid value "x" at "filter.status"; Value "x" does not exist in "OrderStatus" enum. Did you mean the enum value "X"?',
      'status',
      expect.stringMatching(/^expected one of .*received/),
    ],
    [
      'Variable "$statuses" got invalid value "waiting" at "statuses[1]"; Value "waiting" does not exist in "OrderStatus" enum.',
      'status.1',
      expect.stringMatching(/^expected one of/),
    ],
    ['Variable "$reason" of required type "String!" was not provided.', 'reason', 'required'],
    ['Variable "$reason" of non-null type "String!" must not be null.', 'reason', 'must not be null'],
    ['Variable "$reason" got invalid value undefined; Expected non-nullable type "String!" not to be null.', 'reason', 'required'],
    [
      'Variable "$input" got invalid value null at "input.items[0].sku"; Expected non-nullable type "String!" not to be null.',
      'items.0.sku',
      'must not be null',
    ],
    [
      'Variable "$input" got invalid value "x" at "input.shippingAddress"; Expected type "ShippingAddressInput" to be an object.',
      'shippingAddress',
      'expected an object',
    ],
    ['Variable "$input" got invalid value []; Expected type "UpdateOrderInput" to be an object.', 'body', 'expected an object'],
    ['Variable "$pageSize" got invalid value "ten"; Int cannot represent non-integer value: "ten"', 'pageSize', 'expected an integer'],
    [
      'Variable "$input" got invalid value "a\\" at \\"input.x" at "input.customerId"; String cannot represent a non string value: 5',
      'customerId',
      'expected a string',
    ],
  ])('%s', (message, field, text) => {
    expect(coercionIssue(message, fieldOf, REST_ENUM_VALUES)).toEqual({ field, message: text });
  });

  it('leaves other messages alone', () => {
    expect(coercionIssue('Cannot query field "x" on type "Query".', fieldOf, REST_ENUM_VALUES)).toBeNull();
  });
});

describe('If-Match → expectedVersion', () => {
  it.each([
    ['"3"', 3],
    [' "12" ', 12],
    ['*', undefined],
    ['W/"3"', 0],
    ['"abc"', 0],
    ['"0"', 0],
    ['"9999999999"', 0],
  ])('%s → %s', (header, version) => {
    expect(versionFromIfMatch(header)).toBe(version);
  });

  it.each(['3', '"1", "2"', 'W/3', '"unterminated'])('refuses %s', (header) => {
    expect(() => versionFromIfMatch(header)).toThrow(/entity tag/);
  });
});

describe('REST values → GraphQL values', () => {
  it('maps lower-case enum values to names and makes any other spelling unrecognisable', () => {
    expect(toEnumName('same_day')).toBe('SAME_DAY');
    expect(toEnumName('SAME_DAY')).toBe('same_day');
    expect(toEnumName('Same_Day')).toBe('same_day');
    expect(toEnumName(undefined)).toBeUndefined();
    expect(fromEnumName('ASSIGNED_TO_WAVE')).toBe('assigned_to_wave');
  });

  it('converts plain integers and decimals, and passes anything else on for GraphQL to refuse', () => {
    expect(queryInt('20')).toBe(20);
    expect(queryInt('-1')).toBe(-1);
    expect(queryInt('1.5')).toBe('1.5');
    expect(queryInt('1e2')).toBe('1e2');
    expect(queryInt(['1', '2'])).toEqual(['1', '2']);
    expect(queryNumber('1.5')).toBe(1.5);
    expect(queryNumber('.5')).toBe(0.5);
    expect(queryNumber('Infinity')).toBe('Infinity');
  });

  it('splits repeated and comma-separated enum lists', () => {
    expect(queryEnumList(['picking', 'packing,shipped'])).toEqual(['PICKING', 'PACKING', 'SHIPPED']);
    expect(queryEnumList(undefined)).toBeUndefined();
  });
});
