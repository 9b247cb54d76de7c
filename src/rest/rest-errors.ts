import type { GraphQLFormattedError } from 'graphql';

/**
 * The REST layer's one error shape (CONTRACT §4) and the one table that maps GraphQL error codes to HTTP.
 * Nothing here decides whether a request is valid: GraphQL (its type checks and the domain's errors) does;
 * this file only translates what it answered.
 */

export interface FieldIssue {
  field: string;
  message: string;
}

/** What a failure looks like on the wire; `requestId`, `timestamp` and `path` are added when it is sent. */
export interface RestErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  requestId: string;
  timestamp: string;
  path: string;
}

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

/** Lower-case REST values of each GraphQL enum, for messages about a value that is not one of them. */
export type EnumValuesByName = Record<string, readonly string[]>;

/**
 * Turns the errors of one GraphQL response into one REST error. The first error decides the status; for
 * BAD_USER_INPUT every error contributes its issues, so the body names each bad field.
 * `fieldOf` maps an operation variable to the REST field it came from ('' = the body itself).
 */
export function restErrorFromGraphQL(errors: readonly GraphQLFormattedError[], fieldOf: (variable: string) => string, enumValues: EnumValuesByName): RestError {
  const [first] = errors;
  const mapped = BY_GRAPHQL_CODE[String(first?.extensions?.code)];
  if (!first || !mapped) return internalError();
  if (mapped.code === 'VALIDATION_ERROR') {
    const issues = errors.flatMap((error) => (error.extensions?.code === 'BAD_USER_INPUT' ? issuesOf(error, fieldOf, enumValues) : []));
    return validationError(issues.length ? issues : [{ field: 'body', message: first.message }]);
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

function issuesOf(error: GraphQLFormattedError, fieldOf: (variable: string) => string, enumValues: EnumValuesByName): FieldIssue[] {
  const domainIssues = error.extensions?.issues;
  if (Array.isArray(domainIssues)) {
    // The domain's parsers name fields as the resolver's arguments or input fields, which are the REST body and
    // query fields, except where the route maps a variable to another name (e.g. `statuses` ← `?status`);
    // an issue with the input as a whole is named `input` there, `body` here.
    return domainIssues.filter(isFieldIssue).map((issue) => {
      const [head, ...rest] = issue.field.split('.');
      const field = [fieldOf(head), ...rest].filter(Boolean).join('.');
      return { ...issue, field: !field || field === 'input' ? 'body' : field };
    });
  }
  return [coercionIssue(error.message, fieldOf, enumValues) ?? { field: 'body', message: error.message }];
}

function isFieldIssue(value: unknown): value is FieldIssue {
  return typeof value === 'object' && value !== null && typeof (value as FieldIssue).field === 'string' && typeof (value as FieldIssue).message === 'string';
}

/**
 * GraphQL reports variable coercion failures only as text (graphql-js 16, `coerceVariableValues`), e.g.
 *   Variable "$input" got invalid value "abc" at "input.items[0].quantity"; Int cannot represent non-integer value: "abc"
 *   Variable "$input" got invalid value {…}; Field "customerId" of required type "String!" was not provided.
 *   Variable "$reason" of required type "String!" was not provided.
 * The value is printed by graphql's `inspect`, which escapes quotes, so ` at "<variable>` only occurs as the path.
 */
export function coercionIssue(message: string, fieldOf: (variable: string) => string, enumValues: EnumValuesByName): FieldIssue | null {
  const variable = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)"/.exec(message)?.[1];
  if (!variable) return null;
  const join = (...parts: string[]) => parts.filter(Boolean).join('.') || 'body';

  const whole = /^Variable "\$\w+" of (?:required|non-null) type "[^"]+" (was not provided|must not be null)\.$/.exec(message);
  if (whole) return { field: join(fieldOf(variable)), message: whole[1] === 'was not provided' ? 'required' : 'must not be null' };

  let path: string[] = [];
  let reason = message.slice(message.indexOf('; ') + 2);
  const at = message.lastIndexOf(` at "${variable}`);
  if (at >= 0) {
    const end = message.indexOf('"; ', at);
    path = message
      .slice(at + 5 + variable.length, end)
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .filter(Boolean);
    reason = message.slice(end + 3);
  }
  const base = [fieldOf(variable), ...path];

  const missing = /Field "(\w+)" of required type "[^"]+" was not provided\.$/.exec(reason);
  if (missing) return { field: join(...base, missing[1]), message: 'required' };
  const unknown = /^Field "(\w+)" is not defined by type "[^"]+"\./.exec(reason);
  if (unknown) return { field: join(...base, unknown[1]), message: 'unknown field' };
  const badEnum = /^Value .* does not exist in "(\w+)" enum\./.exec(reason) ?? /^Enum "(\w+)" cannot represent non-string value/.exec(reason);
  if (badEnum && enumValues[badEnum[1]]) return { field: join(...base), message: `expected one of ${enumValues[badEnum[1]].join(', ')}` };
  if (/^Expected non-nullable type "[^"]+" not to be null\.$/.test(reason)) {
    return { field: join(...base), message: message.includes('got invalid value undefined') ? 'required' : 'must not be null' };
  }
  if (/^Expected type "\w+" to be an object\.$/.test(reason)) return { field: join(...base), message: 'expected an object' };
  return { field: join(...base), message: friendlyScalarMessage(reason) };
}

/** graphql-js words scalar failures in terms of GraphQL types; REST callers know JSON types. */
function friendlyScalarMessage(reason: string): string {
  if (/^Int cannot represent/.test(reason)) return /non 32-bit signed integer/.test(reason) ? 'expected an integer within ±2147483647' : 'expected an integer';
  if (/^Float cannot represent/.test(reason)) return 'expected a number';
  if (/^String cannot represent/.test(reason)) return 'expected a string';
  if (/^Boolean cannot represent/.test(reason)) return 'expected a boolean';
  if (/^ID cannot represent/.test(reason)) return 'expected a string';
  return reason;
}
