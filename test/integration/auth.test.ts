import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  getNamedType,
  isLeafType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SCOPES, FIELD_SCOPES } from '../../src/auth/scopes';
import { restRoutes } from '../../src/rest/rest-routes';
import { restRouteScopes } from '../../src/rest/rest-scopes';
import { createLiveBus } from '../../src/events/live-bus';
import { buildOrderSubgraph } from '../../src/schema/build-schema';
import type { RunningOrderService } from '../../src/order-service';
import { CREATE_ORDER, createOrder, ok } from '../support/graphql-client';
import { MOVE_TO_DLQ, EventCollector } from '../support/dlq-support';
import { orderInput } from '../support/order-factory';
import { rest, restOrderBody } from '../support/rest-client';
import { bearer, testToken } from '../support/test-auth';
import { graphql, startTestService } from '../support/test-service';

/**
 * Authentication, scopes, tenants and the actor on a real service (store, Kafka): every REST route and every GraphQL
 * root field against every kind of token; two tenants that never meet; graphql-ws; a JWKS with key rotation.
 */

const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** The kinds of Authorization a caller can send, and what each must get. */
async function tokenVariants(scope: string): Promise<Array<{ name: string; authorization: string; expected: 401 | 403 | 'answered' }>> {
  const others = SCOPES.filter((candidate) => candidate !== scope);
  return [
    { name: 'no token', authorization: '', expected: 401 },
    { name: 'malformed', authorization: 'Bearer not.a-token', expected: 401 },
    { name: 'bad signature', authorization: await bearer({ key: stranger }), expected: 401 },
    { name: 'expired', authorization: await bearer({ expiresIn: -600 }), expected: 401 },
    { name: 'wrong audience', authorization: await bearer({ audience: 'another-service' }), expected: 401 },
    ...(scope === 'authenticated' ? [] : [{ name: 'without the scope', authorization: await bearer({ scopes: others }), expected: 403 as const }]),
    { name: 'with the scope', authorization: await bearer({ scopes: scope === 'authenticated' ? [] : [scope] }), expected: 'answered' },
  ];
}

/** A value of the argument's type that passes GraphQL validation (the domain may still refuse it: that is an answer). */
function sample(type: GraphQLInputType): unknown {
  if (type instanceof GraphQLNonNull) return sample(type.ofType);
  if (type instanceof GraphQLList) return [sample(type.ofType)];
  if (type instanceof GraphQLEnumType) return type.getValues()[0].name;
  if (type instanceof GraphQLInputObjectType) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((field) => field.type instanceof GraphQLNonNull)
        .map((field) => [field.name, sample(field.type)]),
    );
  }
  const name = getNamedType(type).name;
  return name === 'Int' || name === 'Float' ? 1 : name === 'Boolean' ? true : name === 'DateTime' ? '2099-01-01T00:00:00Z' : 'X';
}

/** `{ field(args) { __typename } }` for a root field, its required arguments as variables. */
function operationFor(schema: GraphQLSchema, kind: 'query' | 'mutation', fieldName: string) {
  const type = kind === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
  const field = type.getFields()[fieldName];
  const required = field.args.filter((arg: GraphQLArgument) => arg.type instanceof GraphQLNonNull);
  const declared = required.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
  const passed = required.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  const query = `${kind}${declared ? `(${declared})` : ''} { ${fieldName}${passed ? `(${passed})` : ''}${selection} }`;
  return { query, variables: Object.fromEntries(required.map((arg) => [arg.name, sample(arg.type)])) };
}

describe('callers: tokens and scopes on every REST route and GraphQL field', () => {
  let service: RunningOrderService;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    service = await startTestService();
    schema = await buildOrderSubgraph(createLiveBus());
  });
  afterAll(() => service?.stop());

  it('REST: 401 without a valid token (with WWW-Authenticate), 403 naming the scope without it, an answer with it', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of restRoutes) {
      const [scope] = restRouteScopes(route);
      const path = route.path.replace(':orderId', 'ORD-20990101-ZZZZZZZZ');
      const body = route.method === 'GET' ? undefined : route.path === '/orders' && route.method === 'POST' ? restOrderBody() : {};
      for (const variant of await tokenVariants(scope)) {
        const response = await rest(service, route.method, path, { body, headers: { authorization: variant.authorization } });
        checked += 1;
        const ok401 =
          variant.expected === 401 &&
          response.status === 401 &&
          response.body.code === 'UNAUTHENTICATED' &&
          /^Bearer /.test(response.headers.get('www-authenticate') ?? '');
        const ok403 =
          variant.expected === 403 && response.status === 403 && response.body.code === 'FORBIDDEN' && response.body.details?.requiredScope === scope;
        const answered = variant.expected === 'answered' && response.status !== 401 && response.status !== 403 && response.status < 500;
        if (!(ok401 || ok403 || answered)) failures.push(`${route.method} ${route.path} ${variant.name}: ${response.status} ${JSON.stringify(response.body)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(restRoutes.length * 6);
  });

  it('GraphQL: the same matrix over every query and mutation of the schema', async () => {
    const failures: string[] = [];
    const fields = [
      ...Object.keys(schema.getQueryType()!.getFields())
        .filter((name) => !name.startsWith('_'))
        .map((name) => ['query', name] as const),
      ...Object.keys(schema.getMutationType()!.getFields()).map((name) => ['mutation', name] as const),
    ];
    for (const [kind, fieldName] of fields) {
      const requirement = FIELD_SCOPES[`${kind === 'query' ? 'Query' : 'Mutation'}.${fieldName}`];
      const { query, variables } = operationFor(schema, kind, fieldName);
      for (const variant of await tokenVariants(requirement)) {
        const response = await fetch(`${service.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(variant.authorization ? { authorization: variant.authorization } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        const result = (await response.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
        const code = result.errors?.[0]?.extensions?.code;
        const ok401 = variant.expected === 401 && response.status === 401 && code === 'UNAUTHENTICATED';
        const ok403 = variant.expected === 403 && code === 'FORBIDDEN' && result.errors?.[0]?.extensions?.requiredScope === requirement;
        const answered =
          variant.expected === 'answered' &&
          response.status !== 401 &&
          code !== 'FORBIDDEN' &&
          code !== 'UNAUTHENTICATED' &&
          code !== 'INTERNAL_SERVER_ERROR' &&
          code !== 'GRAPHQL_VALIDATION_FAILED';
        if (!(ok401 || ok403 || answered)) failures.push(`${fieldName} ${variant.name}: ${response.status} ${JSON.stringify(result.errors ?? result)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(fields.length).toBeGreaterThan(20);
  });

  it('a nested field needs its own scope: a DLQ reader without orders:read sees the entry, not the whole order', async () => {
    const order = await createOrder(service);
    await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'picking', failureReason: 'jammed' });
    const reader = { authorization: await bearer({ scopes: ['dlq:read'] }) };
    const entry = await graphql(
      service,
      `
        query ($id: ID!) {
          deadLetterEntry(orderId: $id) {
            orderId
            originalOrder {
              customerId
            }
          }
        }
      `,
      { id: order.id },
      reader,
    );
    expect(entry.errors).toBeUndefined();
    const withOrder = await graphql(
      service,
      `
        query ($id: ID!) {
          deadLetterEntry(orderId: $id) {
            orderId
            order {
              id
            }
          }
        }
      `,
      { id: order.id },
      reader,
    );
    expect(withOrder.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN', requiredScope: 'orders:read' } });
  });

  it('the actor is the token subject: on the status history, and as resolvedBy (another name in the request is refused)', async () => {
    const picker = { authorization: await bearer({ sub: 'picker-17' }) };
    const order = await ok(service, CREATE_ORDER, { input: orderInput() }, picker);
    const validated = await ok(
      service,
      `mutation($id: ID!) { validateOrder(id: $id) { statusHistory { to actor } } }`,
      { id: order.id },
      { authorization: await bearer({ sub: 'supervisor-3' }) },
    );
    expect(validated.statusHistory).toEqual([
      { to: 'RECEIVED', actor: 'picker-17' },
      { to: 'VALIDATED', actor: 'supervisor-3' },
    ]);

    await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'picking', failureReason: 'jammed' }, picker);
    const supervisor = { authorization: await bearer({ sub: 'supervisor-3' }) };
    const impersonating = await rest(service, 'PATCH', `/dead-letter-queue/${order.id}/resolve`, {
      body: { resolution: 'escalated', resolvedBy: 'someone-else' },
      headers: supervisor,
    });
    expect(impersonating.status).toBe(400);
    expect(impersonating.body.message).toContain('resolvedBy');
    const resolved = await rest(service, 'PATCH', `/dead-letter-queue/${order.id}/resolve`, {
      body: { resolution: 'escalated', resolvedBy: 'supervisor-3' },
      headers: supervisor,
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.resolvedBy).toBe('supervisor-3');
  });
});

describe('tenants never meet', () => {
  let service: RunningOrderService;
  const collector = new EventCollector();
  let a: { authorization: string };
  let b: { authorization: string };

  beforeAll(async () => {
    service = await startTestService();
    await collector.start();
    a = { authorization: await bearer({ tenant: 'tenant-a', sub: 'alice' }) };
    b = { authorization: await bearer({ tenant: 'tenant-b', sub: 'bob' }) };
  });
  afterAll(async () => {
    await collector.stop();
    await service?.stop();
  });

  it('orders, lists and their totals, retry lists, DLQ entries and stats, and _entities are per tenant; events carry the tenant', async () => {
    const ofA = await ok(service, CREATE_ORDER, { input: orderInput({ customerId: 'CUST-A' }) }, a);
    await ok(service, CREATE_ORDER, { input: orderInput({ customerId: 'CUST-A' }) }, a);
    const ofB = await ok(service, CREATE_ORDER, { input: orderInput({ customerId: 'CUST-B' }) }, b);
    await ok(service, `mutation($id: ID!) { incrementRetryCount(orderId: $id, input: { failureReason: "x" }) { retryCount } }`, { id: ofA.id }, a);
    await ok(service, MOVE_TO_DLQ, { orderId: ofA.id, failureStatus: 'picking', failureReason: 'jam' }, a);

    // Another tenant's order does not exist for B: 404, the same answer as an id nobody has.
    const crossRead = await rest(service, 'GET', `/orders/${ofA.id}`, { headers: b });
    expect(crossRead.status).toBe(404);
    const crossGraphQL = await graphql(
      service,
      `
        query ($id: ID!) {
          order(id: $id) {
            id
          }
        }
      `,
      { id: ofA.id },
      b,
    );
    expect(crossGraphQL.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const crossWrite = await rest(service, 'PUT', `/orders/${ofA.id}/cancel`, { body: { reason: 'not mine' }, headers: b });
    expect(crossWrite.status).toBe(404);

    const listA = await rest(service, 'GET', '/orders', { headers: a });
    const listB = await rest(service, 'GET', '/orders', { headers: b });
    expect({ a: listA.body.pagination.total, b: listB.body.pagination.total }).toEqual({ a: 2, b: 1 });
    expect(listB.body.data.map((order: { orderId: string }) => order.orderId)).toEqual([ofB.id]);

    const statsB = await rest(service, 'GET', '/dead-letter-queue/stats', { headers: b });
    expect(statsB.body).toMatchObject({ totalEntries: 0, unresolvedCount: 0 });
    const statsA = await rest(service, 'GET', '/dead-letter-queue/stats', { headers: a });
    expect(statsA.body).toMatchObject({ totalEntries: 1, unresolvedCount: 1 });
    expect((await rest(service, 'GET', '/dead-letter-queue', { headers: b })).body.total).toBe(0);
    expect((await rest(service, 'GET', `/dead-letter-queue/${ofA.id}`, { headers: b })).status).toBe(404);
    expect((await rest(service, 'GET', `/reprocessing/orders/${ofA.id}/retry-count`, { headers: b })).status).toBe(404);
    const dueOf = async (headers: { authorization: string }) =>
      (
        await graphql(
          service,
          `
            {
              ordersEligibleForRetry(maxRetries: 5) {
                total
                items {
                  order {
                    id
                  }
                }
              }
            }
          `,
          {},
          headers,
        )
      ).data?.ordersEligibleForRetry;
    const ofC = await ok(service, CREATE_ORDER, { input: orderInput({ customerId: 'CUST-A' }) }, a);
    await ok(
      service,
      `mutation($id: ID!) { incrementRetryCount(orderId: $id, input: { failureReason: "x", failedAt: "2000-01-01T00:00:00Z" }) { retryCount } }`,
      { id: ofC.id },
      a,
    );
    expect((await dueOf(a)).items.map((item: { order: { id: string } }) => item.order.id)).toContain(ofC.id);
    expect(await dueOf(b)).toEqual({ total: 0, items: [] });

    // The same Idempotency-Key in two tenants is two requests: B's is not answered with A's order.
    const key = { 'Idempotency-Key': `shared-key-${Date.now()}` };
    const createdA = await rest(service, 'POST', '/orders', { body: restOrderBody(), headers: { ...a, ...key } });
    const createdB = await rest(service, 'POST', '/orders', { body: restOrderBody(), headers: { ...b, ...key } });
    expect([createdA.status, createdB.status]).toEqual([201, 201]);
    expect(createdB.body.orderId).not.toBe(createdA.body.orderId);
    expect(createdB.headers.get('idempotent-replayed')).toBeNull();

    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id } ... on DeadLetterEntry { orderId } } }`;
    const representations = [
      { __typename: 'Order', id: ofA.id },
      { __typename: 'DeadLetterEntry', orderId: ofA.id },
    ];
    expect((await graphql(service, entities, { r: representations }, b)).data?._entities).toEqual([null, null]);
    expect((await graphql(service, entities, { r: representations }, a)).data?._entities).toEqual([{ id: ofA.id }, { orderId: ofA.id }]);

    await collector.waitFor(ofA.id, 'wms.order.moved-to-dlq');
    await collector.waitFor(ofB.id, 'wms.order.received');
    expect(new Set(collector.of(ofA.id).map((event) => event.wmstenantid))).toEqual(new Set(['tenant-a']));
    expect(collector.of(ofB.id).map((event) => event.wmstenantid)).toEqual(['tenant-b']);
  });

  it("a DLQ change of tenant A never reaches tenant B's subscriber; order status feeds too", async () => {
    const wsUrl = `${service.url.replace('http', 'ws')}/graphql`;
    const clientOf = (authorization: string) =>
      createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization } });
    const clientA = clientOf(a.authorization);
    const clientB = clientOf(b.authorization);
    const seen = { a: [] as string[], b: [] as string[], statusB: [] as string[] };
    const order = await ok(service, CREATE_ORDER, { input: orderInput() }, a);
    const subscribe = (client: ReturnType<typeof clientOf>, query: string, variables: Record<string, unknown>, into: string[]) =>
      client.subscribe(
        { query, variables },
        {
          next: (result) => into.push(JSON.stringify(result.data ?? result.errors)),
          error: (error) => into.push(`error ${String(error)}`),
          complete: () => undefined,
        },
      );
    const dlq = 'subscription { deadLetterQueueChanged { kind entry { orderId } } }';
    const stops = [
      subscribe(clientA, dlq, {}, seen.a),
      subscribe(clientB, dlq, {}, seen.b),
      // B knows A's order id, and still hears nothing of it.
      subscribe(clientB, 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { to } }', { id: order.id }, seen.statusB),
    ];
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await ok(service, `mutation($id: ID!) { validateOrder(id: $id) { id } }`, { id: order.id }, a);
      await ok(service, MOVE_TO_DLQ, { orderId: order.id, failureStatus: 'picking', failureReason: 'jam' }, a);
      const deadline = Date.now() + 10_000;
      while (seen.a.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(seen.a).toEqual([JSON.stringify({ deadLetterQueueChanged: { kind: 'ADDED', entry: { orderId: order.id } } })]);
      expect({ b: seen.b, statusB: seen.statusB }).toEqual({ b: [], statusB: [] });
    } finally {
      stops.forEach((stop) => stop());
      await Promise.all([clientA.dispose(), clientB.dispose()]);
    }
  });
});

describe('graphql-ws connections', () => {
  let service: RunningOrderService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service?.stop());

  const DLQ_FEED = 'subscription { deadLetterQueueChanged { kind } }';
  /** A client that connects at once and never retries, with these `connection_init` params. */
  const clientWith = (connectionParams: Record<string, unknown> | undefined, on: Parameters<typeof createClient>[0]['on'] = {}) =>
    createClient({ url: `${service.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams, on });

  /** Subscribes to the DLQ feed; resolves with the close code and time once the connection is closed. */
  const closingOf = (connectionParams: Record<string, unknown> | undefined, on: Parameters<typeof createClient>[0]['on'] = {}) =>
    new Promise<{ code: number; at: number }>((resolve) => {
      const client = clientWith(connectionParams, { ...on, closed: (event) => resolve({ code: (event as { code: number }).code, at: Date.now() }) });
      client.subscribe({ query: DLQ_FEED }, { next: () => undefined, error: () => void client.dispose(), complete: () => undefined });
    });

  it('are closed with 4401 without a token or with a bad one', async () => {
    expect((await closingOf(undefined)).code).toBe(4401);
    expect((await closingOf({ authorization: await bearer({ expiresIn: -600 }) })).code).toBe(4401);
    expect((await closingOf({ authorization: await bearer({ key: stranger }) })).code).toBe(4401);
  });

  it('are closed with 4401 when their token expires, and not before', async () => {
    // Expired 28 s ago: still accepted within the test service's 30 s clock skew, for about 2 s more.
    const authorization = await bearer({ expiresIn: -28 });
    let acknowledgedAt = 0;
    const closed = await closingOf({ authorization }, { connected: () => void (acknowledgedAt = Date.now()) });
    expect(acknowledgedAt).toBeGreaterThan(0);
    expect(closed.code).toBe(4401);
    expect(closed.at - acknowledgedAt).toBeGreaterThan(500);
    expect(closed.at - acknowledgedAt).toBeLessThan(5_000);
  });

  it('a token without dlq:read cannot subscribe to the DLQ feed (FORBIDDEN), one with it can', async () => {
    const attempt = (authorization: string) =>
      new Promise<unknown>((resolve) => {
        clientWith({ authorization }).subscribe(
          { query: DLQ_FEED },
          { next: (result) => resolve(result), error: (error) => resolve({ error }), complete: () => resolve('completed') },
        );
        setTimeout(() => resolve('open'), 1_000);
      });
    const refused = (await attempt(await bearer({ scopes: ['orders:read'] }))) as { errors?: Array<{ extensions?: Record<string, unknown> }>; error?: unknown };
    const errors = refused.errors ?? (refused.error as Array<{ extensions?: Record<string, unknown> }>);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'dlq:read' });
    expect(await attempt(await bearer({ scopes: ['dlq:read'] }))).toBe('open');
  });
});

describe('keys from a JWKS endpoint', () => {
  let jwks: Server;
  let keys: object[] = [];
  let fetches = 0;
  let service: RunningOrderService;
  const one = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const two = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  beforeAll(async () => {
    jwks = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    keys = [{ ...(await exportJWK(one.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }];
    const { port } = jwks.address() as AddressInfo;
    service = await startTestService({ AUTH_PUBLIC_KEY_FILE: '', AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`, AUTH_JWKS_COOLDOWN: '1s' });
  });
  afterAll(async () => {
    await service?.stop();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const status = async (token: string) => (await rest(service, 'GET', '/orders', { headers: { authorization: `Bearer ${token}` } })).status;

  it('accepts tokens of a published key, fetches the keys again for an unknown kid (rotation), and refuses unpublished keys', async () => {
    expect(await status(await testToken({ key: one.privateKey, kid: 'key-1' }))).toBe(200);
    expect(await status(await testToken({ key: one.privateKey, kid: 'key-1' }))).toBe(200);
    expect(fetches).toBe(1); // cached

    // Rotation: the issuer publishes key-2 and signs with it.
    keys = [...keys, { ...(await exportJWK(two.publicKey)), kid: 'key-2', alg: 'ES256', use: 'sig' }];
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the cooldown between fetches
    expect(await status(await testToken({ key: two.privateKey, kid: 'key-2' }))).toBe(200);
    expect(fetches).toBe(2);

    // A key nobody published, under a kid nobody published.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await status(await testToken({ key: stranger, kid: 'key-3' }))).toBe(401);
    // A published kid with the wrong key: the signature does not verify.
    expect(await status(await testToken({ key: stranger, kid: 'key-2' }))).toBe(401);
  });
});

describe('abuse limits and browser access', () => {
  let service: RunningOrderService;
  beforeAll(async () => {
    service = await startTestService({ RATE_LIMIT_PER_SUBJECT: '5', CORS_ORIGINS: 'https://console.example.com' });
  });
  afterAll(() => service?.stop());

  it('answers 429 with Retry-After past the per-caller limit, on REST and GraphQL, and other callers go on', async () => {
    const busy = { authorization: await bearer({ sub: 'busy-client' }) };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await rest(service, 'GET', '/orders', { headers: busy })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await rest(service, 'GET', '/orders', { headers: busy });
    expect(limited.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const viaGraphQL = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...busy },
      body: JSON.stringify({ query: '{ orderServiceInfo { name } }' }),
    });
    expect(viaGraphQL.status).toBe(429);
    expect(viaGraphQL.headers.get('retry-after')).toBeTruthy();
    expect((await rest(service, 'GET', '/orders', { headers: { authorization: await bearer({ sub: 'calm-client' }) } })).status).toBe(200);
  });

  it('allows CORS for the configured origin only, and sends security headers; /docs has a strict CSP', async () => {
    const preflight = (origin: string) =>
      fetch(`${service.url}/api/v1/orders`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight('https://console.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const other = await preflight('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const docs = await fetch(`${service.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200); // open
  });
});

describe('client addresses behind a proxy (TRUST_PROXY)', () => {
  let trusting: RunningOrderService;
  let direct: RunningOrderService;
  beforeAll(async () => {
    [trusting, direct] = await Promise.all([
      startTestService({ RATE_LIMIT_PER_ADDRESS: '3', TRUST_PROXY: 'loopback' }),
      startTestService({ RATE_LIMIT_PER_ADDRESS: '3' }),
    ]);
  });
  afterAll(() => Promise.all([trusting?.stop(), direct?.stop()]));

  /** Each request under its own subject, so only the per-address limit can refuse it. */
  const listFrom = async (service: RunningOrderService, forwardedFor: string, caller: number) =>
    (
      await rest(service, 'GET', '/orders', {
        headers: { authorization: await bearer({ sub: `proxied-caller-${caller}` }), 'x-forwarded-for': forwardedFor },
      })
    ).status;

  it('counts each forwarded client on its own when the proxy is trusted', async () => {
    const first = [];
    for (let i = 0; i < 4; i += 1) first.push(await listFrom(trusting, '203.0.113.7', i));
    expect(first).toEqual([200, 200, 200, 429]);
    expect(await listFrom(trusting, '203.0.113.8', 10)).toBe(200);
  });

  it('ignores X-Forwarded-For by default: every request counts against the connecting address', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push(await listFrom(direct, `203.0.113.${20 + i}`, i));
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
