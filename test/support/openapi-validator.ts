import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/rest/openapi';

/**
 * Validates REST responses against the served OpenAPI 3.1 document (its schemas are JSON Schema 2020-12).
 * A status the document does not list for the operation fails too, so the document cannot lag behind the code.
 */

const SCHEMAS_ID = 'https://wms.local/openapi/schemas';
type Json = Record<string, any>;

/** `#/components/schemas/X` → an absolute ref into the schema set registered below. */
function rewriteRefs(value: unknown): any {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        key === '$ref' && typeof child === 'string' ? child.replace('#/components/schemas/', `${SCHEMAS_ID}#/$defs/`) : rewriteRefs(child),
      ]),
    );
  }
  return value;
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(openApiDocument.components.schemas) });

const compiled = new Map<object, ValidateFunction>();
function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(schema));
    compiled.set(schema, validate);
  }
  return validate;
}

function deref(value: Json): Json {
  if (typeof value?.$ref !== 'string') return value;
  const [, section, name] = /^#\/components\/(\w+)\/(.+)$/.exec(value.$ref)!;
  return (openApiDocument.components as Json)[section][name];
}

/** The OpenAPI path template (`/orders/{orderId}`) that an actual path under /api/v1 matches. */
export function pathTemplate(path: string): string | undefined {
  const bare = path.split('?')[0];
  // Literal segments win over parameters (`/dead-letter-queue/stats` is not an entry), as in the route table.
  const parameters = (template: string) => (template.match(/\{/g) ?? []).length;
  return Object.keys(openApiDocument.paths)
    .sort((a, b) => parameters(a) - parameters(b))
    .find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`).test(bare));
}

export interface CheckedResponse {
  method: string;
  /** The path under /api/v1, with query string. */
  path: string;
  status: number;
  headers: Headers;
  body: unknown;
}

/** Throws with a readable message when the response is not what the document says. */
export function assertMatchesOpenApi({ method, path, status, headers, body }: CheckedResponse): void {
  const where = `${method} ${path} → ${status}`;
  const template = pathTemplate(path);
  const operation = template ? (openApiDocument.paths[template] as Json)[method.toLowerCase()] : undefined;
  let schema: Json | undefined;
  let documentedHeaders: Json = {};
  if (!operation) {
    // Unknown paths and methods are not operations; their answers still use the Error body.
    if (status !== 404 && status !== 405) throw new Error(`${where}: no such operation in the OpenAPI document`);
    schema = openApiDocument.components.schemas.Error;
  } else {
    const documented = operation.responses[String(status)] ?? operation.responses.default;
    if (!documented) throw new Error(`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
    const response = deref(documented);
    schema = response.content?.['application/json']?.schema;
    documentedHeaders = response.headers ?? {};
  }
  if (method === 'HEAD') return;
  if (schema) {
    expectJsonContentType(where, headers);
    const validate = validatorFor(schema);
    if (!validate(body)) {
      throw new Error(
        `${where}: body does not match the OpenAPI document:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\nbody: ${JSON.stringify(body).slice(0, 2000)}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(documentedHeaders)) {
    const value = headers.get(name);
    const header = deref(spec);
    if (value === null) {
      if (name === 'Idempotent-Replayed') continue; // only on replays
      throw new Error(`${where}: documented header ${name} missing`);
    }
    const validate = validatorFor(header.schema);
    if (!validate(value)) throw new Error(`${where}: header ${name}: ${value} does not match ${JSON.stringify(header.schema)}`);
  }
}

function expectJsonContentType(where: string, headers: Headers) {
  const type = headers.get('content-type') ?? '';
  if (!/^application\/json\b/.test(type)) throw new Error(`${where}: content-type ${type}, expected application/json`);
}
