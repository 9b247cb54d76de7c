import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { MongoError } from 'mongodb';
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

/**
 * Errors of the store that are neither a bug nor the caller's fault: the store cannot serve the request right now and
 * the same request can succeed shortly (REST answers 503 with Retry-After, GraphQL SERVICE_UNAVAILABLE). Nothing was
 * stored: single-document writes either land or fail whole, a transaction's statements are rolled back when it aborts,
 * and the driver has already retried once what it may retry (retryable reads and writes, transactions' commits).
 *
 * Recognised by, in order (the error itself and its `cause` chain):
 * - the driver's class: no server could be selected, the connection broke or timed out, the client or pool closed;
 * - an error label the server or driver attached (RetryableWriteError, TransientTransactionError, …): the store says
 *   "try again", whatever the code;
 * - a server error code of a node that cannot serve now (not primary, shutting down, stepping down, unreachable) or
 *   of a contended write (WriteConflict, LockTimeout) — a statement outside a transaction carries no label for them;
 * - mongoose's own time-out while it queued operations waiting for the connection to come back.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current) && seen.size < 5; current = current.cause) {
    seen.add(current);
    if (UNAVAILABLE_ERROR_CLASSES.has(current.name)) return true;
    if (current instanceof MongoError) {
      if (TRANSIENT_ERROR_LABELS.some((label) => current.hasErrorLabel(label))) return true;
      if (typeof current.code === 'number' && TRANSIENT_SERVER_CODES.has(current.code)) return true;
    }
    if (current.name === 'MongooseError' && /buffering timed out/.test(current.message)) return true;
  }
  return false;
}

/** Driver (and mongoose) error classes that mean "the store cannot be reached right now". */
const UNAVAILABLE_ERROR_CLASSES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoOperationTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
]);

/** Labels by which the server or the driver say an operation may be retried as it is. */
const TRANSIENT_ERROR_LABELS = [
  'RetryableWriteError',
  'TransientTransactionError',
  // The commit's outcome is unknown after the driver's retry: a repeat either applies it or finds it applied.
  'UnknownTransactionCommitResult',
  // The driver's spelling; set on a checkout that failed because the pool was cleared.
  'PoolRequstedRetry',
  'SystemOverloadedError',
];

/**
 * Server error codes (https://www.mongodb.com/docs/manual/reference/error-codes/) of a store that cannot serve the
 * request now: the retryable-reads/-writes specifications' set, plus contention (WriteConflict, LockTimeout) and
 * replication that could not be confirmed in time.
 */
export const TRANSIENT_SERVER_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'HostUnreachable'],
  [7, 'HostNotFound'],
  [24, 'LockTimeout'],
  [64, 'WriteConcernTimeout'],
  [89, 'NetworkTimeout'],
  [91, 'ShutdownInProgress'],
  [112, 'WriteConflict'],
  [133, 'FailedToSatisfyReadPreference'],
  [134, 'ReadConcernMajorityNotAvailableYet'],
  [189, 'PrimarySteppedDown'],
  [262, 'ExceededTimeLimit'],
  [9001, 'SocketException'],
  [10058, 'LegacyNotPrimary'],
  [10107, 'NotWritablePrimary'],
  [11600, 'InterruptedAtShutdown'],
  [11602, 'InterruptedDueToReplStateChange'],
  [13435, 'NotPrimaryNoSecondaryOk'],
  [13436, 'NotPrimaryOrSecondary'],
]);
