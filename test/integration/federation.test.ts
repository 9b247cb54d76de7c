import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { Kind, parse, print, visit, type DocumentNode } from 'graphql';
import type { RunningOrderService } from '../../src/order-service';
import { createOrder, ok } from '../support/graphql-client';
import { SHIPPING_SDL, startShippingSubgraph } from '../support/shipping-subgraph';
import { defaultAuthorization } from '../support/test-auth';
import { graphql, startTestService } from '../support/test-service';

describe('the Order subgraph in a federation', () => {
  let service: RunningOrderService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.stop();
  });

  it('publishes an SDL with the Federation 2.5 link and the entity keys', async () => {
    const { sdl } = await ok(service, '{ _service { sdl } }');
    expect(sdl).toMatch(/extend schema\s+@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.5"/);
    expect(sdl).toMatch(/type Order\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type Customer\s+@key\(fields: "id", resolvable: false\)/);
    expect(sdl).toMatch(/type Wave\s+@key\(fields: "id", resolvable: false\)/);
  });

  it('resolves 100 Order representations through _entities with one database query', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 1) ids.push((await createOrder(service)).id);

    const queries: string[] = [];
    // Only look-ups of several orders by id count: the outbox relay reads the same collection in the background.
    service.services.mongo.set('debug', (collection: string, method: string, filter: Record<string, unknown>) => {
      const byId = filter?._id as { $in?: unknown[] } | undefined;
      if (Array.isArray(byId?.$in) && byId.$in.length > 1) queries.push(`${collection}.${method}`);
    });
    try {
      const result = await graphql(
        service,
        'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id status totalValue } } }',
        { representations: [...ids, 'ORD-000000000000'].map((id) => ({ __typename: 'Order', id })) },
      );
      expect(result.errors).toBeUndefined();
      const entities = result.data!._entities as Array<{ id: string } | null>;
      expect(entities.slice(0, 100).map((entity) => entity?.id)).toEqual(ids);
      expect(entities[100]).toBeNull();
    } finally {
      service.services.mongo.set('debug', false);
    }
    expect(queries.filter((query) => query.startsWith('orders.'))).toEqual(['orders.find']);
  });

  it('composes with a second subgraph and answers a query across both through a gateway', async () => {
    const { sdl } = await ok(service, '{ _service { sdl } }');
    const shipping = await startShippingSubgraph();
    const composed = composeServices([
      { name: 'orders', typeDefs: parse(sdl), url: `${service.url}/graphql` },
      { name: 'shipping', typeDefs: SHIPPING_SDL, url: shipping.url },
    ]);
    expect(composed.errors ?? []).toEqual([]);

    // The supergraph carries the scope table for a router to enforce.
    expect(composed.supergraphSdl).toContain('@requiresScopes(scopes: [["orders:read"]])');
    // @apollo/gateway (the JavaScript gateway) refuses any supergraph with SECURITY features — only the Router enforces
    // them — so this test's gateway gets the supergraph without them; the subgraph still enforces every scope itself.
    const withoutSecurityFeatures = print(stripSecurityFeatures(parse(composed.supergraphSdl!)));
    // As a router does: the caller's token goes on to the subgraphs, which check it themselves.
    const gateway = new ApolloServer<{ authorization?: string }>({
      gateway: new ApolloGateway({
        supergraphSdl: withoutSecurityFeatures,
        buildService: ({ url: subgraphUrl }) =>
          new RemoteGraphQLDataSource<{ authorization?: string }>({
            url: subgraphUrl,
            willSendRequest: ({ request, context }) => {
              if (context.authorization) request.http?.headers.set('authorization', context.authorization);
            },
          }),
      }),
    });
    const { url } = await startStandaloneServer(gateway, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    });
    try {
      const order = await createOrder(service);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await defaultAuthorization() },
        body: JSON.stringify({
          query: 'query($id: ID!) { order(id: $id) { id status totalValue customer { id } shippingLabel } }',
          variables: { id: order.id },
        }),
      });
      const body = (await response.json()) as any;
      expect(body.errors).toBeUndefined();
      expect(body.data.order).toEqual({
        id: order.id,
        status: 'RECEIVED',
        totalValue: 60.07,
        customer: { id: order.customerId },
        shippingLabel: `LABEL-${order.id}`,
      });
    } finally {
      await gateway.stop();
      await shipping.stop();
    }
  });
});

const SECURITY_DIRECTIVES = new Set(['authenticated', 'requiresScopes']);

/** The supergraph without the @authenticated / @requiresScopes features: their links, definitions and uses. */
function stripSecurityFeatures(supergraph: DocumentNode): DocumentNode {
  const isSecurityLink = (url: string) => /specs\.apollo\.dev\/(authenticated|requiresScopes)\//.test(url);
  return visit(supergraph, {
    Directive(node) {
      if (SECURITY_DIRECTIVES.has(node.name.value)) return null;
      const url = node.arguments?.find((argument) => argument.name.value === 'url')?.value;
      if (node.name.value === 'link' && url?.kind === Kind.STRING && isSecurityLink(url.value)) return null;
      return undefined;
    },
    DirectiveDefinition: (node) => (SECURITY_DIRECTIVES.has(node.name.value) ? null : undefined),
    ScalarTypeDefinition: (node) => (node.name.value.startsWith('requiresScopes__') ? null : undefined),
  });
}
