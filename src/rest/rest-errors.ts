import type { GraphQLFormattedError } from 'graphql';
import type { FieldIssue } from '../models/order.errors';

/**
 * The REST layer's one error (CONTRACT §4; its body is `restErrorSchema` in rest-representations.ts) and the one
 * table that maps GraphQL error codes to HTTP. Nothing here decides whether a request is valid: the route's schemas
 * did before the operation ran, and the domain's rules inside it; this file only translates what they answered.
 */

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function validationError(issues: FieldIssue[]): RestError {
  return new RestError(400, 'VALIDATION_ERROR', `invalid request: ${issues.map(({ field, message }) => `${field}: ${message}`).join('; ')}`, { issues });
}

/** GraphQL `extensions.code` → HTTP status and REST code. Codes not listed are internal errors. */
const BY_GRAPHQL_CODE: Record<string, { status: number; code: string }> = {
  BAD_USER_INPUT: { status: 400, code: 'VALIDATION_ERROR' },
  NOT_FOUND: { status: 404, code: 'NOT_FOUND' },
  CONFLICT: { status: 409, code: 'CONFLICT' },
  PRECONDITION_FAILED: { status: 412, code: 'PRECONDITION_FAILED' },
  ORDER_INVALID: { status: 422, code: 'ORDER_INVALID' },
  UNAUTHENTICATED: { status: 401, code: 'UNAUTHENTICATED' },
  FORBIDDEN: { status: 403, code: 'FORBIDDEN' },
  SERVICE_UNAVAILABLE: { status: 503, code: 'SERVICE_UNAVAILABLE' },
};

/**
 * Turns the errors of one GraphQL response into one REST error. The first error decides the status; for
 * BAD_USER_INPUT every error contributes the domain's issues, so the body names each bad field.
 * `fieldOf` maps an operation variable to the REST field it came from ('' = the body itself).
 * A BAD_USER_INPUT without the domain's issues is GraphQL refusing variables the route's schemas accepted: the two
 * disagree, which is this service's fault, so it is an internal error (and logged by the router), not a 400.
 */
export function restErrorFromGraphQL(errors: readonly GraphQLFormattedError[], fieldOf: (variable: string) => string): RestError {
  const [first] = errors;
  const mapped = BY_GRAPHQL_CODE[String(first?.extensions?.code)];
  if (!first || !mapped) return internalError();
  if (mapped.code === 'VALIDATION_ERROR') {
    const issues = errors.flatMap((error) => (error.extensions?.code === 'BAD_USER_INPUT' ? domainIssuesOf(error, fieldOf) : []));
    return issues.length ? validationError(issues) : internalError();
  }
  const { code: _code, ...details } = first.extensions ?? {};
  const headers: Record<string, string> = mapped.status === 503 ? { 'Retry-After': RETRY_AFTER_UNAVAILABLE } : {};
  return new RestError(mapped.status, mapped.code, first.message, Object.keys(details).length ? details : undefined, headers);
}

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_UNAVAILABLE = '5';

export function internalError(): RestError {
  return new RestError(500, 'INTERNAL_ERROR', 'Internal server error');
}

function domainIssuesOf(error: GraphQLFormattedError, fieldOf: (variable: string) => string): FieldIssue[] {
  const domainIssues = error.extensions?.issues;
  if (!Array.isArray(domainIssues)) return [];
  // The domain's parsers name fields as the resolver's arguments or input fields, which are the REST body and
  // query fields, except where the route maps a variable to another name (e.g. `statuses` ← `?status`);
  // an issue with the input as a whole is named `input` there, `body` here.
  return domainIssues.filter(isFieldIssue).map((issue) => {
    const [head, ...rest] = issue.field.split('.');
    const field = [fieldOf(head), ...rest].filter(Boolean).join('.');
    return { ...issue, field: !field || field === 'input' ? 'body' : field };
  });
}

function isFieldIssue(value: unknown): value is FieldIssue {
  return typeof value === 'object' && value !== null && typeof (value as FieldIssue).field === 'string' && typeof (value as FieldIssue).message === 'string';
}
