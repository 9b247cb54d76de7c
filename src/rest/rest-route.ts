import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod/v4';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a variables mapper sees of the HTTP request. */
export interface RestRequest {
  /** Path parameters, e.g. `{ orderId }`. */
  params: Record<string, string>;
  /** Query parameters read as their schema's types (`?page=2` → 2), already accepted by the route's query schema. */
  query: Record<string, unknown>;
  /** The JSON body as sent (absent → `{}`), already accepted by the route's body schema. */
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  /** The version from `If-Match`, for `expectedVersion`; undefined without the header (or with `*`). */
  expectedVersion: number | undefined;
}

export interface RestResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * One REST endpoint: method, path, the GraphQL operation it runs, how HTTP becomes the operation's variables,
 * and how the operation's data becomes the brief's JSON. No rule lives here: the operation decides.
 */
export interface RestRoute<TData, TVariables> {
  method: HttpMethod;
  /** Express path under /api/v1, e.g. `/orders/:orderId`. */
  path: string;
  /** The OpenAPI operation id; also names the route in logs. */
  operationId: string;
  /** One line for the OpenAPI document. */
  summary: string;
  description?: string;
  operation: TypedDocumentNode<TData, TVariables>;
  /**
   * The query parameters, as the domain's schema of them: the router refuses any other parameter and any value the
   * schema refuses (400 naming each), before the operation runs; the OpenAPI document publishes the same schema.
   */
  queryParameters?: z.ZodObject;
  /** The body, likewise (`noBody` when it takes no fields). GET routes have none. */
  body?: z.ZodType;
  /** The operation takes `expectedVersion`, so the route honours If-Match; elsewhere If-Match is refused, never ignored. */
  conditional?: boolean;
  /** The success answer as published: its status, the representation (rest-representations.ts) and its headers. */
  answer: { status: 200 | 201 | 202; schema: z.ZodType; headers?: ReadonlyArray<'ETag' | 'Location'> };
  variables(request: RestRequest): TVariables;
  /**
   * The REST field each operation variable comes from, for the domain's own refusals (a rule that needs the order or
   * the caller, e.g. `resolvedBy`): `{ input: '' }` when the body is the input, `{ filter: '' }` when filter fields
   * are query parameters. Variables not listed keep their own name.
   */
  fieldOfVariable?: Record<string, string>;
  response(data: TData, request: RestRequest): RestResponse;
}

/** A route with its operation printed once (Apollo caches parsed documents by their text). */
export interface CompiledRoute extends RestRoute<unknown, Record<string, unknown>> {
  query: string;
}

/** Keeps each route's data and variable types checked while the table holds routes of many operations. */
export function defineRoute<TData, TVariables extends Record<string, unknown>>(route: RestRoute<TData, TVariables>): CompiledRoute {
  return { ...(route as unknown as RestRoute<unknown, Record<string, unknown>>), query: print(route.operation) };
}
