import { z } from 'zod/v4';

/**
 * zod → JSON Schema 2020-12 (what OpenAPI 3.1 embeds), for one schema or a registry of named ones. Requests are
 * described as what a client sends (`input`: before transforms and defaults), responses as what the service sends.
 * Rules JSON Schema cannot say (a refinement, a transform) carry their published form in `.meta()` where they are
 * written; anything still unrepresentable becomes `{}`, never an error at start-up.
 */

export type JsonSchema = { [keyword: string]: unknown };

const OPTIONS = { target: 'draft-2020-12', unrepresentable: 'any' } as const;

export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return withoutDialect(z.toJSONSchema(schema, { ...OPTIONS, io }) as JsonSchema);
}

/** Every schema of the registry by its id, `$ref`s between them pointing at `uri(id)`. */
export function registryToJsonSchemas(
  registry: z.core.$ZodRegistry<{ id: string }>,
  io: 'input' | 'output',
  uri: (id: string) => string,
): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { ...OPTIONS, io, uri });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutDialect(schema as JsonSchema)]));
}

/** The document states the dialect once; a schema embedded in it carries neither `$schema` nor its own `$id`. */
function withoutDialect({ $schema: _dialect, $id: _id, ...schema }: JsonSchema): JsonSchema {
  return schema;
}

/** `X | null` → `X`: for a query parameter or header, which is absent or a value, never null. */
export function withoutNull(schema: JsonSchema): JsonSchema {
  const branches = schema.anyOf as JsonSchema[] | undefined;
  if (!branches) return schema;
  const rest = branches.filter((branch) => branch.type !== 'null');
  if (rest.length !== 1) return schema;
  const { anyOf: _anyOf, ...outer } = schema;
  return { ...rest[0], ...outer };
}
