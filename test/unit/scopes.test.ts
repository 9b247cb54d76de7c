import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unmappedRootFields } from '../../src/auth/enforce-scopes';
import { ENTITY_SCOPES, FIELD_SCOPES } from '../../src/auth/scopes';
import { restRoutes } from '../../src/rest/rest-routes';
import { restRouteScopes } from '../../src/rest/rest-scopes';
import { createLiveBus } from '../../src/events/live-bus';
import { buildOrderSubgraph, printOrderSubgraphSdl } from '../../src/schema/build-schema';

/** The scope table covers everything a caller can reach; the SDL and the REST routes follow it. */
describe('the scope table', () => {
  it('maps every root field of the subgraph (queries, mutations, subscriptions, federation), and nothing that is not there', async () => {
    const schema = await buildOrderSubgraph(createLiveBus());
    expect(unmappedRootFields(schema)).toEqual([]);
    for (const key of Object.keys(FIELD_SCOPES)) {
      const [typeName, fieldName] = key.split('.');
      expect({ key, exists: Boolean((schema.getType(typeName) as { getFields?: () => Record<string, unknown> })?.getFields?.()[fieldName]) }).toEqual({
        key,
        exists: true,
      });
    }
    for (const typeName of Object.keys(ENTITY_SCOPES)) expect(schema.getType(typeName)).toBeDefined();
  });

  it('is written into the SDL a router composes: @requiresScopes or @authenticated on every listed field', async () => {
    const sdl = await printOrderSubgraphSdl();
    expect(sdl).toContain('"@authenticated", "@requiresScopes"');
    for (const [key, requirement] of Object.entries(FIELD_SCOPES)) {
      const [typeName, fieldName] = key.split('.');
      if (fieldName.startsWith('_')) continue; // added by @apollo/subgraph, not in the printed SDL
      const typeBlock = new RegExp(`type ${typeName}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(sdl)?.[1] ?? '';
      const directive = requirement === 'authenticated' ? '@authenticated' : `@requiresScopes(scopes: [["${requirement}"]])`;
      expect({ key, declared: new RegExp(`\\n  ${fieldName}\\b[\\s\\S]*?\\)?: [^\\n]*${directive.replace(/[[\]()"]/g, '\\$&')}`).test(typeBlock) }).toEqual({
        key,
        declared: true,
      });
    }
  });

  it('gives every REST route the scope of the GraphQL field its operation runs, and the README lists each one', () => {
    const expected: Record<string, string> = {
      'POST /orders': 'orders:write',
      'GET /orders': 'orders:read',
      'GET /orders/:orderId': 'orders:read',
      'PATCH /orders/:orderId': 'orders:write',
      'PUT /orders/:orderId/validate': 'orders:fulfil',
      'POST /orders/:orderId/validate': 'orders:fulfil',
      'PUT /orders/:orderId/cancel': 'orders:write',
      'POST /orders/:orderId/cancel': 'orders:write',
      'PUT /orders/:orderId/assign-wave': 'orders:fulfil',
      'PUT /orders/:orderId/start-picking': 'orders:fulfil',
      'PUT /orders/:orderId/start-packing': 'orders:fulfil',
      'PUT /orders/:orderId/ship': 'orders:fulfil',
      'PUT /orders/:orderId/complete': 'orders:fulfil',
      'GET /reprocessing/eligible': 'orders:read',
      'GET /reprocessing/orders/:orderId/retry-count': 'orders:read',
      'POST /reprocessing/orders/:orderId/retry-count': 'reprocessing:write',
      'POST /reprocessing/orders/:orderId/reset': 'reprocessing:write',
      'POST /reprocessing/orders/:orderId/dlq': 'reprocessing:write',
      'GET /dead-letter-queue': 'dlq:read',
      'GET /dead-letter-queue/stats': 'dlq:read',
      'GET /dead-letter-queue/:orderId': 'dlq:read',
      'PATCH /dead-letter-queue/:orderId/resolve': 'dlq:resolve',
      'POST /dead-letter-queue/redrive': 'dlq:resolve',
      'GET /dead-letter-queue/redrive-tasks': 'dlq:read',
      'GET /dead-letter-queue/redrive-tasks/:taskId': 'dlq:read',
      'POST /dead-letter-queue/redrive-tasks/:taskId/cancel': 'dlq:resolve',
    };
    const actual = Object.fromEntries(restRoutes.map((route) => [`${route.method} ${route.path}`, restRouteScopes(route).join(' ')]));
    expect(actual).toEqual(expected);
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const [route, scope] of Object.entries(expected)) {
      const [method, path] = route.split(' ');
      expect({ route, inReadme: readme.includes(`| \`${method} /api/v1${path}\` | \`${scope}\` |`) }).toEqual({ route, inReadme: true });
    }
  });
});
