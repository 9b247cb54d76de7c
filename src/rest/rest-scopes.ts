import { parse, type OperationDefinitionNode } from 'graphql';
import { FIELD_SCOPES, type FieldRequirement } from '../auth/scopes';
import type { CompiledRoute } from './rest-route';

/**
 * The scopes a REST route needs: those of its GraphQL operation's root fields (FIELD_SCOPES), so the two APIs cannot
 * disagree. Used for the OpenAPI document's security requirements and the README's table.
 */
export function restRouteScopes(route: Pick<CompiledRoute, 'query'>): FieldRequirement[] {
  const operation = parse(route.query).definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition');
  if (!operation) return [];
  const typeName = operation.operation === 'query' ? 'Query' : operation.operation === 'mutation' ? 'Mutation' : 'Subscription';
  const fields = operation.selectionSet.selections.flatMap((selection) => (selection.kind === 'Field' ? [selection.name.value] : []));
  return [...new Set(fields.map((field) => FIELD_SCOPES[`${typeName}.${field}`]))].sort();
}
