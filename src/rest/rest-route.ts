import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import type { QueryValue } from './rest-values';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a variables mapper sees of the HTTP request. */
export interface RestRequest {
  /** Path parameters, e.g. `{ orderId }`. */
  params: Record<string, string>;
  /** Query parameters; only those the route lists reach the mapper (others are refused before). */
  query: Record<string, QueryValue>;
  /** The JSON body: always an object here (absent → `{}`); anything else was refused before. */
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
  operation: TypedDocumentNode<TData, TVariables>;
  /** Query parameters the route accepts; any other is refused with 400 naming it. */
  queryParameters?: readonly string[];
  /** The operation takes `expectedVersion`, so the route honours If-Match; elsewhere If-Match is refused, never ignored. */
  conditional?: boolean;
  /** Body fields the route accepts, or `'any'` when the whole body is an operation input (GraphQL checks its fields). */
  bodyFields?: readonly string[] | 'any';
  variables(request: RestRequest): TVariables;
  /**
   * The REST field each operation variable comes from, for error messages: `{ input: '' }` when the body is the
   * input, `{ filter: '' }` when filter fields are query parameters. Variables not listed keep their own name.
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
