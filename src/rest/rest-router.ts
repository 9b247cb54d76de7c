import type { ApolloServer } from '@apollo/server';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { AppServices } from '../app-services';
import { AUTHENTICATED, type Scope } from '../auth/scopes';
import { contextFromHeaders } from '../observability/request-context';
import { restRouteScopes } from './rest-scopes';
import { createGraphQLContext, type GraphQLContext } from '../server/graphql-context';
import { isDatabaseUnavailable } from '../server/graphql-errors';
import { checkInput } from '../models/order.input';
import type { FieldIssue } from '../models/order.errors';
import { fingerprint, type IdempotencyRepository } from '../store/idempotency.repository';
import { internalError, RETRY_AFTER_UNAVAILABLE, RestError, restErrorFromGraphQL, validationError } from './rest-errors';
import type { RestErrorBody } from './rest-representations';
import { idempotencyKeyHeader, ifMatchHeader, orderIdParameter } from './rest-request.schemas';
import type { CompiledRoute, RestRequest, RestResponse } from './rest-route';
import { queryReader, type QueryValue } from './rest-values';

/**
 * The one generic handler behind every REST route: HTTP → variables → the route's GraphQL operation, executed in
 * process on the same ApolloServer as /graphql → the brief's JSON. Around it, only HTTP concerns: content type,
 * body size and depth, the request checked against the route's schemas before anything runs, If-Match,
 * Idempotency-Key, 404/405, and the single error body.
 */

export interface RestRouterOptions {
  services: AppServices;
  apollo: ApolloServer<GraphQLContext>;
  idempotency: IdempotencyRepository;
  routes: readonly CompiledRoute[];
  bodyLimit: string;
  /** Run before any route (authentication, rate limits); their errors get the REST error body. */
  guards: readonly RequestHandler[];
}

/** JSON bodies nest this deep at most; the brief's deepest body needs 4 levels. Keeps hashing and coercion bounded. */
export const MAX_BODY_DEPTH = 32;
const JSON_TYPES = ['application/json', 'application/*+json'];
const IDEMPOTENT_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Response headers a replay repeats. */
const REPLAYED_HEADERS = ['Location', 'ETag'];

export function createRestRouter({ services, apollo, idempotency, routes, bodyLimit, guards }: RestRouterOptions): Router {
  const router = express.Router();
  router.use(...guards);
  const parseJson = express.json({ limit: bodyLimit, type: JSON_TYPES });

  const execute = async (route: CompiledRoute, req: Request, restRequest: RestRequest): Promise<RestResponse> => {
    const variables = route.variables(restRequest);
    const request = req.wms ?? contextFromHeaders(req.headers);
    const result = await apollo.executeOperation<unknown, Record<string, unknown>>(
      { query: route.query, variables },
      { contextValue: createGraphQLContext(request, services) },
    );
    if (result.body.kind !== 'single') throw new Error(`operation ${route.operationId} answered incrementally`);
    const { data, errors } = result.body.singleResult;
    if (errors?.length) {
      const fieldOf = (variable: string) => route.fieldOfVariable?.[variable] ?? variable;
      const error = restErrorFromGraphQL(errors, fieldOf);
      // The route's schemas accepted what GraphQL then refused: the two disagree, which only a code change can fix.
      if (error.status === 500 && errors[0].extensions?.code === 'BAD_USER_INPUT') {
        services.logger.error({ errors, operation: route.operationId }, 'GraphQL refused variables the REST schemas accepted');
      }
      throw error;
    }
    if (data === null || data === undefined) throw new Error(`operation ${route.operationId} answered without data`);
    return route.response(data, restRequest);
  };

  /**
   * Reads the request and runs the route; always answers: errors become the error body (5xx logged here, never sent
   * with a stack). A request its schemas refuse is answered here too, so an Idempotency-Key replays that 400 as well.
   */
  const answer = async (route: CompiledRoute, readRequest: (req: Request) => RestRequest, req: Request): Promise<RestResponse> => {
    try {
      return await execute(route, req, readRequest(req));
    } catch (error) {
      return errorResponse(toRestError(error, services, req), req);
    }
  };

  const handle = (route: CompiledRoute): RequestHandler => {
    const readRequest = requestReader(route);
    return async (req, res) => {
      const key = IDEMPOTENT_METHODS.has(req.method) ? idempotencyKey(req) : null;
      if (!key) return send(res, await answer(route, readRequest, req));

      const scope = { tenantId: (req.wms ?? contextFromHeaders(req.headers)).tenantId, method: req.method, path: requestPath(req), key };
      // The entity tag is part of what was asked: the same body under another If-Match is another request.
      const claim = await idempotency.claim(scope, fingerprint({ body: req.body ?? null, ifMatch: req.headers['if-match'] ?? null }));
      switch (claim.kind) {
        case 'replay':
          return send(res, { ...claim.response, headers: { ...claim.response.headers, 'Idempotent-Replayed': 'true' } });
        case 'fingerprint_mismatch':
          throw new RestError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request body', { idempotencyKey: key });
        case 'in_flight':
          throw new RestError(
            409,
            'CONFLICT',
            'a request with this Idempotency-Key is still being processed',
            { idempotencyKey: key, inFlight: true },
            { 'Retry-After': '1' },
          );
        case 'claimed':
          break;
      }
      const response = await answer(route, readRequest, req);
      try {
        if (response.status >= 500) {
          await idempotency.release(claim.id);
        } else {
          const headers = Object.fromEntries(REPLAYED_HEADERS.filter((name) => response.headers?.[name]).map((name) => [name, response.headers![name]]));
          await idempotency.complete(claim.id, { ...response, headers });
        }
      } catch (error) {
        // The operation's answer stands (it may have written): the claim stays in flight until its lease runs out.
        services.logger.warn({ err: error, idempotencyKey: key }, 'could not record the Idempotency-Key outcome');
      }
      send(res, response);
    };
  };

  const byPath = new Map<string, string[]>();
  for (const route of routes) {
    byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
    router[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](
      route.path,
      requireScopes(route),
      requireJson,
      parseJson,
      limitDepth,
      handle(route),
    );
  }
  for (const [path, methods] of byPath) {
    const allow = [...new Set(methods.includes('GET') ? [...methods, 'HEAD'] : methods)].join(', ');
    router.all(path, (req) => {
      throw new RestError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; allowed: ${allow}`, { allowed: allow.split(', ') }, { Allow: allow });
    });
  }
  router.use((req) => {
    throw new RestError(404, 'NOT_FOUND', `no endpoint ${req.method} ${requestPath(req)}`);
  });
  router.use(restErrorHandler(services));
  return router;
}

/** A body must be JSON; a request without a body needs no content type. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !req.is(JSON_TYPES)) {
    throw new RestError(415, 'UNSUPPORTED_MEDIA_TYPE', `request bodies must be application/json, not ${req.headers['content-type'] ?? 'untyped'}`);
  }
  next();
};

const limitDepth: RequestHandler = (req, _res, next) => {
  if (req.body !== undefined && depthExceeds(req.body, MAX_BODY_DEPTH)) {
    throw validationError([{ field: 'body', message: `nested deeper than ${MAX_BODY_DEPTH} levels` }]);
  }
  next();
};

/** Iterative, so a hostile body cannot overflow the stack here. */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The issues of one schema check; an issue with the value as a whole is named `whole` (the parameter, header or `body`). */
function issuesOf(schema: Parameters<typeof checkInput>[0], value: unknown, whole: string): FieldIssue[] {
  const result = checkInput(schema, value);
  return result.ok ? [] : result.issues.map((issue) => ({ ...issue, field: issue.field === 'input' ? whole : issue.field }));
}

/**
 * How a route reads its HTTP request: path, query, body and headers, each checked against its schema (the same
 * ones the OpenAPI document is generated from) before the operation runs; every bad part is named in one 400.
 */
function requestReader(route: CompiledRoute): (req: Request) => RestRequest {
  const query = route.queryParameters ? queryReader(route.queryParameters) : { names: [] as readonly string[], read: () => ({}) };
  return (req) => {
    const issues: FieldIssue[] = [];
    for (const [name, value] of Object.entries(req.params as Record<string, string>)) issues.push(...issuesOf(orderIdParameter, value, name));

    const raw = req.query as Record<string, QueryValue>;
    for (const name of Object.keys(raw)) {
      // A parameter without a name (`?=x`) is named `query`: an issue always names something the caller can find.
      if (!query.names.includes(name))
        issues.push(name ? { field: name, message: 'unknown query parameter' } : { field: 'query', message: 'a query parameter without a name' });
    }
    const known = Object.fromEntries(Object.entries(raw).filter(([name]) => query.names.includes(name)));
    const queryValues = query.read(known);
    if (route.queryParameters) issues.push(...issuesOf(route.queryParameters, queryValues, 'query'));

    let body: Record<string, unknown> = {};
    if (route.body) {
      if (req.body !== undefined && !isPlainObject(req.body)) issues.push({ field: 'body', message: 'expected a JSON object' });
      else {
        body = req.body ?? {};
        issues.push(...issuesOf(route.body, body, 'body'));
      }
    }

    let expectedVersion: number | undefined;
    const ifMatch = req.headers['if-match'];
    if (route.method !== 'GET' && ifMatch !== undefined) {
      const malformed = issuesOf(ifMatchHeader, ifMatch, 'If-Match');
      if (malformed.length) issues.push(...malformed);
      else if (!route.conditional && ifMatch.trim() !== '*') issues.push({ field: 'If-Match', message: 'not supported by this endpoint' });
      else expectedVersion = versionFromIfMatch(ifMatch);
    }

    if (issues.length) throw validationError(issues);
    return { params: req.params as Record<string, string>, query: queryValues, body, headers: req.headers, expectedVersion };
  };
}

/** The key an idempotent request is kept under, checked before anything is claimed with it. */
function idempotencyKey(req: Request): string | null {
  // Node joins a repeated header of this kind into one value, which the pattern then refuses.
  const key = req.headers['idempotency-key'] as string | undefined;
  if (key === undefined) return null;
  const issues = issuesOf(idempotencyKeyHeader, key, 'Idempotency-Key');
  if (issues.length) throw validationError(issues);
  return key;
}

/**
 * `If-Match: "3"` → 3. `*` means "any version" (no condition). A well-formed entity tag that is not one of ours
 * (or a weak one: If-Match compares strongly, RFC 9110 §13.1.1) can match no version: it becomes 0, which the
 * operation answers with PRECONDITION_FAILED naming the actual version.
 */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return undefined;
  const tag = /^(W\/)?"([\x21\x23-\x7e]*)"$/.exec(value);
  if (!tag) throw new Error('expected an entity tag, e.g. "3"');
  return !tag[1] && /^[1-9]\d{0,8}$/.test(tag[2]) ? Number(tag[2]) : 0;
}

/** The path a key is scoped to: without query string and trailing slash. */
function requestPath(req: Request): string {
  return `${req.baseUrl}${req.path}`.replace(/\/+$/, '') || '/';
}

/**
 * The route's scopes, checked before its input is read: a caller without them learns nothing of the route's rules.
 * GraphQL checks the same again for the operation's fields (src/auth/enforce-scopes.ts).
 */
function requireScopes(route: CompiledRoute): RequestHandler {
  const needed = restRouteScopes(route).filter((scope): scope is Scope => scope !== AUTHENTICATED);
  return (req, _res, next) => {
    const missing = needed.find((scope) => !req.wms?.scopes.has(scope));
    if (missing) throw new RestError(403, 'FORBIDDEN', `this operation needs the scope ${missing}`, { requiredScope: missing });
    next();
  };
}

function send(res: Response, { status, body, headers }: RestResponse): void {
  for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
  res.status(status).json(body);
}

function errorResponse(error: RestError, req: Request): RestResponse {
  const body: RestErrorBody = {
    code: error.code,
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
    requestId: req.wms?.requestId ?? 'unknown',
    timestamp: new Date().toISOString(),
    path: req.originalUrl,
  };
  return { status: error.status, body, headers: error.headers };
}

function toRestError(error: unknown, services: AppServices, req: Request): RestError {
  if (error instanceof RestError) return error;
  const { type, status } = (error ?? {}) as { type?: string; status?: number };
  // body-parser's errors (https://github.com/expressjs/body-parser#errors)
  if (type === 'entity.too.large') return new RestError(413, 'PAYLOAD_TOO_LARGE', 'request body is larger than the limit');
  if (type === 'entity.parse.failed') return new RestError(400, 'BAD_REQUEST', 'request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new RestError(415, 'UNSUPPORTED_MEDIA_TYPE', (error as Error).message);
  if (typeof status === 'number' && status >= 400 && status < 500) return new RestError(400, 'BAD_REQUEST', (error as Error).message);
  if (isDatabaseUnavailable(error)) {
    services.logger.warn({ err: error, path: req.originalUrl }, 'REST request failed: database unavailable');
    return new RestError(503, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable', undefined, { 'Retry-After': RETRY_AFTER_UNAVAILABLE });
  }
  services.logger.error({ err: error, path: req.originalUrl }, 'REST request failed');
  return internalError();
}

function restErrorHandler(services: AppServices): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) return;
    send(res, errorResponse(toRestError(error, services, req), req));
  };
}
