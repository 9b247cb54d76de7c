import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import gql from 'graphql-tag';

/** A second, tiny subgraph that extends Order with a field of its own, to prove the Order subgraph composes. */
export const SHIPPING_SDL = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

  type Order @key(fields: "id") {
    id: ID!
    shippingLabel: String!
  }
`;

export async function startShippingSubgraph(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: SHIPPING_SDL,
      resolvers: { Order: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, shippingLabel: `LABEL-${ref.id}` }) } },
    }),
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return { url, stop: () => server.stop() };
}
