import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildASTSchema, parse, specifiedRules, validate } from 'graphql';
import { z } from 'zod/v4';
import { ORDER_STATUSES } from '../../src/models/order.types';
import { openApiDocument, openApiPath } from '../../src/rest/openapi';
import { restErrorFromGraphQL } from '../../src/rest/rest-errors';
import { versionFromIfMatch } from '../../src/rest/rest-router';
import { restRoutes } from '../../src/rest/rest-routes';
import { fromEnumName, queryReader, readInteger, readList, readNumber, toEnumName } from '../../src/rest/rest-values';
import { validationRules } from '../../src/server/graphql-server';

/** The REST layer's contracts, checked without servers: route table ⇄ OpenAPI ⇄ GraphQL schema. */

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
    expect(documented.sort()).toEqual(Object.keys(route.queryParameters?.shape ?? {}).sort());
  });

  it.each(restRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s documents 412 exactly when it honours If-Match', (_name, route) => {
    const operation = (openApiDocument.paths as any)[openApiPath(route.path)][route.method.toLowerCase()];
    expect('412' in operation.responses).toBe(Boolean(route.conditional));
  });

  it('links every answer naming an order (not lists or stats) to every operation on it', () => {
    const linked = Object.values(openApiDocument.paths)
      .flatMap((operations) => Object.values(operations))
      .filter((operation) => Object.values(operation!.responses).some((response: any) => response.links))
      .map((operation) => operation!.operationId);
    expect(linked).toEqual(expect.arrayContaining(['createOrder', 'validateOrder', 'shipOrder', 'incrementRetryCount', 'moveOrderToDeadLetterQueue']));
    expect(linked).not.toEqual(expect.arrayContaining(['listOrders']));
    expect(linked).not.toContain('getDeadLetterStats');
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

  it('publishes enum values in the REST spelling, from the domain lists', () => {
    const order = openApiDocument.components.schemas.Order as any;
    expect(order.properties.status.enum).toEqual([...ORDER_STATUSES]);
  });

  it.each(restRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s documents the errors every route can answer', (_name, route) => {
    const operation = (openApiDocument.paths as any)[openApiPath(route.path)][route.method.toLowerCase()];
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '429', '500', '503']));
    expect('404' in operation.responses).toBe(route.path.includes(':orderId') || route.path.includes(':taskId'));
    expect('422' in operation.responses).toBe(route.method !== 'GET');
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

describe('GraphQL errors → the REST error', () => {
  const fieldOf = (variable: string) => ({ input: '', id: 'orderId', statuses: 'status' })[variable] ?? variable;

  it("names the domain's issues by their REST field", () => {
    const error = restErrorFromGraphQL(
      [
        {
          message: 'invalid input',
          extensions: {
            code: 'BAD_USER_INPUT',
            issues: [
              { field: 'statuses.1', message: 'x' },
              { field: 'input', message: 'y' },
            ],
          },
        },
      ],
      fieldOf,
    );
    expect({ status: error.status, details: error.details }).toEqual({
      status: 400,
      details: {
        issues: [
          { field: 'status.1', message: 'x' },
          { field: 'body', message: 'y' },
        ],
      },
    });
  });

  it('treats a refusal without the domain issues as its own fault: the route schemas should have refused it first', () => {
    const error = restErrorFromGraphQL([{ message: 'Variable "$input" got invalid value 1', extensions: { code: 'BAD_USER_INPUT' } }], fieldOf);
    expect({ status: error.status, code: error.code, message: error.message }).toEqual({
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
    });
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
  it('maps lower-case enum values to names and back', () => {
    expect(toEnumName('same_day')).toBe('SAME_DAY');
    expect(toEnumName(undefined)).toBeUndefined();
    expect(fromEnumName('ASSIGNED_TO_WAVE')).toBe('assigned_to_wave');
  });

  it('reads numbers as JSON writes them, and leaves anything else for the schema to refuse', () => {
    expect(readNumber('20')).toBe(20);
    expect(readNumber('-1')).toBe(-1);
    expect(readNumber('.5')).toBe(0.5);
    expect(readNumber('1e-05')).toBe(0.00001);
    expect(readNumber('Infinity')).toBe('Infinity');
    expect(readNumber('')).toBe('');
    expect(readNumber('0x10')).toBe('0x10');
    expect(readInteger('20')).toBe(20);
    expect(readInteger('1e2')).toBe('1e2');
    expect(readInteger('1.0')).toBe('1.0');
  });

  it('splits repeated and comma-separated lists', () => {
    expect(readList(['picking', 'packing, shipped'])).toEqual(['picking', 'packing', 'shipped']);
  });

  it('reads each query parameter as the type its schema declares', () => {
    const reader = queryReader(z.object({ n: z.int().nullish(), b: z.boolean().optional(), list: z.array(z.string()).optional(), s: z.string().optional() }));
    expect(reader.names).toEqual(['n', 'b', 'list', 's']);
    expect(reader.read({ n: '3', b: 'true', list: 'a,b', s: '42' })).toEqual({ n: 3, b: true, list: ['a', 'b'], s: '42' });
    expect(reader.read({ n: ['1', '2'], b: 'yes', s: ['x', 'y'] })).toEqual({ n: ['1', '2'], b: 'yes', s: ['x', 'y'] });
  });
});
