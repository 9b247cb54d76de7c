import { GraphQLError, defaultFieldResolver, isObjectType, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { GraphQLContext } from '../server/graphql-context';
import { AUTHENTICATED, ENTITY_SCOPES, FIELD_SCOPES, type FieldRequirement } from './scopes';

/** A valid caller without the scope a field needs (HTTP 403 on REST). */
export function missingScope(scope: string): GraphQLError {
  return new GraphQLError(`this operation needs the scope ${scope}`, { extensions: { code: 'FORBIDDEN', requiredScope: scope } });
}

function check(requirement: FieldRequirement, context: GraphQLContext): void {
  if (requirement === AUTHENTICATED) return; // every request that reached a resolver has a verified caller
  if (!context.request.scopes.has(requirement)) throw missingScope(requirement);
}

/**
 * The subgraph enforces FIELD_SCOPES itself (a router in front enforces the same table from the SDL's
 * `@requiresScopes`, but the subgraph may be reached without one): each listed field checks the caller's scopes before
 * its resolver runs; a subscription checks them when it starts. `_entities` checks each representation's type.
 */
export function enforceScopes(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const requirement = FIELD_SCOPES[`${typeName}.${fieldName}`];
      if (!requirement) return field;
      const guarded: GraphQLFieldConfig<unknown, GraphQLContext> = { ...field };
      const resolve = field.resolve ?? defaultFieldResolver;
      if (typeName === 'Query' && fieldName === '_entities') {
        guarded.resolve = (source, args, context, info) => {
          for (const { __typename } of (args as { representations: Array<{ __typename: string }> }).representations) {
            const scope = ENTITY_SCOPES[__typename];
            if (scope) check(scope, context);
          }
          return resolve(source, args, context, info);
        };
      } else if (field.subscribe) {
        const subscribe = field.subscribe;
        guarded.subscribe = (source, args, context, info) => {
          check(requirement, context);
          return subscribe(source, args, context, info);
        };
      } else {
        guarded.resolve = (source, args, context, info) => {
          check(requirement, context);
          return resolve(source, args, context, info);
        };
      }
      return guarded;
    },
  });
}

/** Root fields the table does not list: a test keeps this empty, so that no new operation is left open by mistake. */
export function unmappedRootFields(schema: GraphQLSchema): string[] {
  return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
    type && isObjectType(type)
      ? Object.keys(type.getFields())
          .map((name) => `${type.name}.${name}`)
          .filter((key) => !FIELD_SCOPES[key])
      : [],
  );
}
