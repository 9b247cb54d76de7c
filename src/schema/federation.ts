import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import gql from 'graphql-tag';
import { createResolversMap } from 'type-graphql';

/**
 * type-graphql cannot emit the schema-level `@link`, so the printed SDL gets it prepended.
 * v2.5: subscriptions through a router need ≥ 2.4; the public compatibility suite accepts ≤ 2.7.
 */
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@tag", "@inaccessible"])';

export function subgraphSdl(typeGraphqlSchema: GraphQLSchema): string {
  return `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeGraphqlSchema)}\n`;
}

/** Turns a type-graphql schema into a Federation 2 subgraph, adding `__resolveReference` functions per entity. */
export function toSubgraphSchema(typeGraphqlSchema: GraphQLSchema, referenceResolvers: GraphQLResolverMap<unknown>) {
  const resolvers = createResolversMap(typeGraphqlSchema) as GraphQLResolverMap<unknown>;
  for (const [typeName, resolver] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...(resolver as object) };
  }
  return buildSubgraphSchema({ typeDefs: gql(subgraphSdl(typeGraphqlSchema)), resolvers });
}
