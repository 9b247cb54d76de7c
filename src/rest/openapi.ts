import type { z } from 'zod/v4';
import { AUTHENTICATED } from '../auth/scopes';
import { SERVICE_VERSION } from '../service-info';
import { registryToJsonSchemas, toJsonSchema, withoutNull, type JsonSchema } from './json-schema';
import { restRepresentations } from './rest-representations';
import { idempotencyKeyHeader, ifMatchHeader, noBody, orderIdParameter } from './rest-request.schemas';
import type { CompiledRoute } from './rest-route';
import { MAX_BODY_DEPTH } from './rest-router';
import { restRoutes } from './rest-routes';
import { restRouteScopes } from './rest-scopes';

/**
 * The OpenAPI 3.1 description of /api/v1, served at /openapi.json (Swagger UI at /docs), generated from the route
 * table: each operation's path, query, header and body schemas are the zod schemas the router validates with, its
 * answer the representation its response mapper is typed by (rest-representations.ts), and its error statuses follow
 * from what the route does (a path with an order id can be 404, a write can be 409/413/415/422, a conditional one 412).
 * Every response the REST tests receive is validated against it.
 */

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: JsonSchema[];
  requestBody?: JsonSchema;
  responses: Record<string, JsonSchema>;
  security: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<Method, OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, JsonSchema>;
    headers: Record<string, JsonSchema>;
    responses: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

const SCHEMAS = '#/components/schemas/';
const ref = (section: string, name: string) => ({ $ref: `#/components/${section}/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const text = { type: 'string' };

/** Express `/orders/:orderId` → OpenAPI `/orders/{orderId}`. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

const TAGS = [
  { name: 'orders', prefix: '/orders', description: 'Order lifecycle' },
  { name: 'reprocessing', prefix: '/reprocessing', description: 'Retries of failed processing (the orchestrator)' },
  { name: 'dead-letter-queue', prefix: '/dead-letter-queue', description: 'Orders that exhausted their retries, for supervisors' },
];

const ERROR_RESPONSES: Record<string, { name: string; description: string; headers?: Record<string, JsonSchema> }> = {
  '400': { name: 'BadRequest', description: 'VALIDATION_ERROR (details.issues name each bad field, parameter or header) or BAD_REQUEST (malformed JSON)' },
  '401': {
    name: 'Unauthenticated',
    description: 'UNAUTHENTICATED: no bearer token, or one that is malformed, expired, for another audience or not signed by a trusted key',
    headers: { 'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750)', schema: text } },
  },
  '403': { name: 'Forbidden', description: 'FORBIDDEN: the token lacks the scope this operation needs (details.requiredScope)' },
  '404': { name: 'NotFound', description: 'NOT_FOUND: no such order or redrive task (or no such endpoint)' },
  '409': {
    name: 'Conflict',
    description: 'CONFLICT: not allowed in the current status (details.currentStatus), or the Idempotency-Key is still in flight (Retry-After)',
  },
  '412': { name: 'PreconditionFailed', description: 'PRECONDITION_FAILED: If-Match names a version the order no longer has (details.actualVersion)' },
  '413': { name: 'PayloadTooLarge', description: 'PAYLOAD_TOO_LARGE: body over 1 MB' },
  '415': { name: 'UnsupportedMediaType', description: 'UNSUPPORTED_MEDIA_TYPE: a body that is not application/json' },
  '422': {
    name: 'Unprocessable',
    description:
      'ORDER_INVALID (business rules on the order as it stands, e.g. a promised time already passed; details.reasons) or IDEMPOTENCY_KEY_REUSED (the key was used with another body)',
  },
  '429': {
    name: 'TooManyRequests',
    description: 'TOO_MANY_REQUESTS: over the per-address or per-caller rate limit',
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'string', pattern: '^[0-9]+$' } } },
  },
  '500': { name: 'InternalError', description: 'INTERNAL_ERROR (never with internals)' },
  '503': {
    name: 'ServiceUnavailable',
    description: 'SERVICE_UNAVAILABLE: the database cannot be reached, or too many writers changed one order at once; nothing was stored; retry later',
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'string', pattern: '^[0-9]+$' } } },
  },
};

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A path naming an order or a redrive task, which may not exist. */
const namesAResource = (route: CompiledRoute) => route.path.includes(':orderId') || route.path.includes(':taskId');

/**
 * The statuses a route can answer besides its success, from what it does. Any request may carry a body, which is
 * checked (413, 415) before the route looks at it, GETs included.
 */
function errorStatuses(route: CompiledRoute): string[] {
  const statuses = ['400', '401', '403', '413', '415', '429', '500', '503'];
  if (namesAResource(route)) statuses.push('404');
  if (WRITE.has(route.method)) statuses.push('409', '422');
  if (route.conditional) statuses.push('412');
  return statuses.sort();
}

const HEADERS = {
  ETag: { description: 'The order version as a strong entity tag, e.g. "3"', schema: { type: 'string', pattern: '^"[1-9][0-9]*"$' } },
  Location: { description: 'Path of the created order, or of the started redrive task', schema: text },
  IdempotentReplayed: {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
};

const headerParameter = (name: string, schema: z.ZodType) => {
  const { description, ...published } = toJsonSchema(schema, 'input');
  return { name, in: 'header', description, schema: published };
};

const PARAMETERS = {
  OrderId: { name: 'orderId', in: 'path', required: true, schema: toJsonSchema(orderIdParameter, 'input') },
  TaskId: { name: 'taskId', in: 'path', required: true, description: 'A redrive task id', schema: { type: 'string', minLength: 1 } },
  IfMatch: headerParameter('If-Match', ifMatchHeader),
  IdempotencyKey: headerParameter('Idempotency-Key', idempotencyKeyHeader),
  CorrelationId: { name: 'X-WMS-Correlation-ID', in: 'header', description: 'Echoed on the response; generated when absent', schema: text },
  WaveNumber: { name: 'X-WMS-Wave-Number', in: 'header', description: 'Carried into logs and events', schema: text },
  WorkflowId: { name: 'X-WMS-Workflow-ID', in: 'header', description: 'Carried into logs and events', schema: text },
};

/** One query parameter per property of the route's query schema; absent means "not given", never null. */
function queryParameters(schema: z.ZodObject): JsonSchema[] {
  const properties = (toJsonSchema(schema, 'input').properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...published } = withoutNull(property);
    const list = published.type === 'array' ? { style: 'form', explode: true } : {};
    return { name, in: 'query', ...(description ? { description } : {}), schema: published, ...list };
  });
}

function requestBody(schema: z.ZodType): JsonSchema | undefined {
  if (schema === noBody) return undefined;
  const published = toJsonSchema(schema, 'input');
  // A body is required when its schema requires a field (an `anyOf` of alternatives each requires one).
  const required = (Array.isArray(published.required) && published.required.length > 0) || Array.isArray(published.anyOf);
  return { required, content: json(published) };
}

function success(route: CompiledRoute): Record<string, JsonSchema> {
  const id = restRepresentations.get(route.answer.schema)?.id;
  if (!id) throw new Error(`${route.operationId}: its answer is not a published representation (rest-representations.ts)`);
  const headers: Record<string, JsonSchema> = Object.fromEntries((route.answer.headers ?? []).map((name) => [name, ref('headers', name)]));
  if (WRITE.has(route.method)) headers['Idempotent-Replayed'] = ref('headers', 'IdempotentReplayed');
  return {
    [route.answer.status]: {
      description: route.summary,
      ...(Object.keys(headers).length ? { headers } : {}),
      content: json(ref('schemas', id)),
    },
  };
}

function operation(route: CompiledRoute): OpenApiOperation {
  const headers = ['CorrelationId', 'WaveNumber', 'WorkflowId'];
  if (WRITE.has(route.method)) headers.unshift('IdempotencyKey');
  if (route.conditional) headers.unshift('IfMatch');
  const body = route.body && requestBody(route.body);
  const errors = Object.fromEntries(errorStatuses(route).map((status) => [status, ref('responses', ERROR_RESPONSES[status].name)]));
  const scopes = restRouteScopes(route).filter((scope) => scope !== AUTHENTICATED);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [TAGS.find((tag) => route.path.startsWith(tag.prefix))!.name],
    parameters: [
      ...(route.path.includes(':orderId') ? [ref('parameters', 'OrderId')] : []),
      ...(route.path.includes(':taskId') ? [ref('parameters', 'TaskId')] : []),
      ...(route.queryParameters ? queryParameters(route.queryParameters) : []),
      ...headers.map((name) => ref('parameters', name)),
    ],
    ...(body ? { requestBody: body } : {}),
    responses: { ...success(route), ...errors },
    security: [{ bearerAuth: scopes }],
  };
}

/**
 * OpenAPI links from every answer that names an order (an order, a DLQ entry, retry metadata) to every operation on
 * that order (`{orderId}` in the path), so a client — or a stateful fuzzer — can follow a created order through its
 * lifecycle, reprocessing and DLQ operations, one step after another.
 */
function orderLinks(routes: readonly CompiledRoute[]): Record<string, JsonSchema> {
  return Object.fromEntries(
    routes
      .filter((route) => route.path.includes(':orderId'))
      .map(({ operationId }) => [
        operationId[0].toUpperCase() + operationId.slice(1),
        { operationId, parameters: { orderId: '$response.body#/orderId' }, description: 'The same order, by its orderId' },
      ]),
  );
}

function paths(routes: readonly CompiledRoute[], schemas: Record<string, JsonSchema>): OpenApiDocument['paths'] {
  const byPath: OpenApiDocument['paths'] = {};
  const links = orderLinks(routes);
  for (const route of routes) {
    const described = operation(route);
    const answer = restRepresentations.get(route.answer.schema)!.id;
    const namesAnOrder = Boolean((schemas[answer].properties as Record<string, unknown> | undefined)?.orderId);
    if (namesAnOrder) described.responses[route.answer.status] = { ...described.responses[route.answer.status], links };
    (byPath[openApiPath(route.path)] ??= {})[route.method.toLowerCase() as Method] = described;
  }
  return byPath;
}

function buildDocument(routes: readonly CompiledRoute[]): OpenApiDocument {
  const schemas = registryToJsonSchemas(restRepresentations, 'output', (id) => `${SCHEMAS}${id}`);
  return {
    openapi: '3.1.0',
    info: {
      title: 'WMS Order Service — REST compatibility layer',
      version: SERVICE_VERSION,
      description: [
        "The brief's REST API. Each endpoint runs the same GraphQL operation a gateway client would send (`/graphql`), in process, so the two APIs cannot drift.",
        'Enum values are lower case; orders carry `orderId`. Every failure answers the `Error` body, also for unknown paths (404) and methods (405, with `Allow`).',
        `Writes accept \`If-Match\` (the order's ETag) and \`Idempotency-Key\`. Request bodies: JSON, at most 1 MB, nested at most ${MAX_BODY_DEPTH} levels.`,
      ].join('\n\n'),
    },
    servers: [{ url: '/api/v1' }],
    tags: TAGS.map(({ name, description }) => ({ name, description })),
    paths: paths(routes, schemas),
    components: {
      schemas,
      parameters: PARAMETERS,
      headers: HEADERS,
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(({ name, description, headers }) => [
          name,
          { description, ...(headers ? { headers } : {}), content: json(ref('schemas', 'Error')) },
        ]),
      ),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT from the identity provider: `iss`/`aud` as configured, `sub` (recorded as the actor), the tenant claim, and OAuth scopes in `scope`.',
        },
      },
    },
  };
}

export const openApiDocument: OpenApiDocument = buildDocument(restRoutes);
