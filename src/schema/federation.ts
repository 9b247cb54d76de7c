import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import {
  Kind,
  parse,
  print,
  visit,
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';
import gql from 'graphql-tag';
import { createResolversMap } from 'type-graphql';
import { AUTHENTICATED, FIELD_SCOPES } from '../auth/scopes';

/**
 * type-graphql cannot emit the schema-level `@link`, so the printed SDL gets it prepended.
 * v2.5: subscriptions through a router need ≥ 2.4; the public compatibility suite accepts ≤ 2.7.
 */
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@tag", "@inaccessible", "@authenticated", "@requiresScopes"])';

export function subgraphSdl(typeGraphqlSchema: GraphQLSchema): string {
  return `${FEDERATION_LINK}\n\n${print(withAccessDirectives(parse(printSchemaWithDirectives(typeGraphqlSchema))))}\n`;
}

/**
 * FIELD_SCOPES written into the SDL (Federation 2.5 `@requiresScopes` / `@authenticated`), so that a router refuses
 * what the subgraph would refuse, from the same table.
 */
function withAccessDirectives(document: DocumentNode): DocumentNode {
  const directive = (name: string, scopes?: string[]): ConstDirectiveNode => ({
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: name },
    arguments: scopes
      ? [
          {
            kind: Kind.ARGUMENT,
            name: { kind: Kind.NAME, value: 'scopes' },
            value: { kind: Kind.LIST, values: [{ kind: Kind.LIST, values: scopes.map((scope) => ({ kind: Kind.STRING, value: scope })) }] },
          },
        ]
      : [],
  });
  const withFields = <T extends ObjectTypeDefinitionNode | ObjectTypeExtensionNode>(type: T): T => ({
    ...type,
    fields: type.fields?.map((field) => {
      const requirement = FIELD_SCOPES[`${type.name.value}.${field.name.value}`];
      if (!requirement) return field;
      const added = requirement === AUTHENTICATED ? directive('authenticated') : directive('requiresScopes', [requirement]);
      return { ...field, directives: [...(field.directives ?? []), added] };
    }),
  });
  return visit(document, { ObjectTypeDefinition: withFields, ObjectTypeExtension: withFields });
}

/** Turns a type-graphql schema into a Federation 2 subgraph, adding `__resolveReference` functions per entity. */
export function toSubgraphSchema(typeGraphqlSchema: GraphQLSchema, referenceResolvers: GraphQLResolverMap<unknown>) {
  const resolvers = createResolversMap(typeGraphqlSchema) as GraphQLResolverMap<unknown>;
  for (const [typeName, resolver] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...(resolver as object) };
  }
  return buildSubgraphSchema({ typeDefs: gql(subgraphSdl(typeGraphqlSchema)), resolvers });
}
