import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

/** Codes a client may see (CONTRACT §6); anything else is reported as INTERNAL_SERVER_ERROR. */
export const PUBLIC_ERROR_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
  'NOT_FOUND',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'ORDER_INVALID',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'SERVICE_UNAVAILABLE',
]);

interface CodedError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function isCodedError(error: unknown): error is CodedError & Error {
  return error instanceof Error && typeof (error as Partial<CodedError>).code === 'string' && PUBLIC_ERROR_CODES.has((error as unknown as CodedError).code);
}

/**
 * The one place where thrown errors become GraphQL errors: domain errors keep their code and details,
 * unexpected ones are logged with their stack and answered with a generic message.
 */
export function toGraphQLFormattedError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (isCodedError(original)) {
    return {
      message: original.message,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: original.code, ...(original.details ?? {}) },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PUBLIC_ERROR_CODES.has(code)) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  if (isDatabaseUnavailable(original)) {
    // Not a bug and not the caller's fault: retryable (REST answers 503).
    logger.warn({ err: original }, 'database unavailable during GraphQL operation');
    return { message: 'Service temporarily unavailable', path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  logger.error({ err: original }, 'unexpected error in GraphQL operation');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** MongoDB driver errors that mean "the database cannot be reached right now". */
const DATABASE_UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof Error && DATABASE_UNAVAILABLE_ERRORS.has(error.name);
}
