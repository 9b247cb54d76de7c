import { GraphQLError } from 'graphql';
import { MongoError, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError, MongoWriteConcernError } from 'mongodb';
import pino from 'pino';
import { isDatabaseUnavailable, toGraphQLFormattedError, TRANSIENT_SERVER_CODES } from '../../src/server/graphql-errors';
import { WriteContention } from '../../src/models/order.errors';
import { restErrorFromGraphQL } from '../../src/rest/rest-errors';

/** Which store errors are "unavailable, retry" (503) rather than a bug (500): no server needed, errors built as the driver builds them. */

const serverError = (code: number, errorLabels: string[] = [], codeName?: string) =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: "Failing command via 'failCommand' failpoint", errorLabels });
const named = (name: string, message = 'x') => Object.assign(new Error(message), { name });

describe('isDatabaseUnavailable', () => {
  it.each([
    [6, 'HostUnreachable'],
    [7, 'HostNotFound'],
    [89, 'NetworkTimeout'],
    [91, 'ShutdownInProgress'],
    [112, 'WriteConflict'],
    [189, 'PrimarySteppedDown'],
    [262, 'ExceededTimeLimit'],
    [9001, 'SocketException'],
    [10107, 'NotWritablePrimary'],
    [11600, 'InterruptedAtShutdown'],
    [11602, 'InterruptedDueToReplStateChange'],
    [13435, 'NotPrimaryNoSecondaryOk'],
    [13436, 'NotPrimaryOrSecondary'],
  ])('a server error with code %i (%s) and no label is transient', (code, codeName) => {
    expect(TRANSIENT_SERVER_CODES.get(code)).toBe(codeName);
    expect(isDatabaseUnavailable(serverError(code, [], codeName))).toBe(true);
  });

  it.each(['RetryableWriteError', 'TransientTransactionError', 'UnknownTransactionCommitResult'])(
    'a server error labelled %s is transient whatever its code',
    (label) => {
      expect(isDatabaseUnavailable(serverError(251, [label], 'NoSuchTransaction'))).toBe(true);
      expect(isDatabaseUnavailable(serverError(1, [label], 'InternalError'))).toBe(true);
    },
  );

  it('a label the driver adds after the fact counts too', () => {
    const error = serverError(1);
    expect(isDatabaseUnavailable(error)).toBe(false);
    error.addErrorLabel('TransientTransactionError');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    [11000, 'DuplicateKey'],
    [2, 'BadValue'],
    [121, 'DocumentValidationFailure'],
    [251, 'NoSuchTransaction'],
    [13, 'Unauthorized'],
    [50, 'MaxTimeMSExpired'],
  ])('a server error with code %i (%s) and no transient label is not (a bug, not an outage)', (code, codeName) => {
    expect(isDatabaseUnavailable(serverError(code, [], codeName))).toBe(false);
  });

  it('labels that do not mean "retry" do not make an error transient', () => {
    expect(isDatabaseUnavailable(serverError(2, ['ResetPool', 'NoWritesPerformed']))).toBe(false);
  });

  it('network errors and time-outs of the driver are transient', () => {
    expect(isDatabaseUnavailable(new MongoNetworkError('connection 5 to 127.0.0.1:27117 closed'))).toBe(true);
    expect(isDatabaseUnavailable(new MongoNetworkTimeoutError('connection timed out'))).toBe(true);
  });

  it.each([
    'MongoServerSelectionError',
    'MongooseServerSelectionError',
    'MongoNotConnectedError',
    'MongoTopologyClosedError',
    'MongoServerClosedError',
    'MongoClientClosedError',
    'MongoOperationTimeoutError',
    'MongoPoolClearedError',
    'MongoWaitQueueTimeoutError',
  ])('%s is transient', (name) => {
    expect(isDatabaseUnavailable(named(name))).toBe(true);
  });

  it('a write concern error carrying a transient code is transient', () => {
    const error = new MongoWriteConcernError({ ok: 1, writeConcernError: { code: 91, errmsg: 'shutting down' } } as never);
    expect(error.name).toBe('MongoWriteConcernError');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('looks through `cause`, and stops on a cycle', () => {
    expect(isDatabaseUnavailable(new Error('loading the order failed', { cause: serverError(10107) }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('outer', { cause: new Error('middle', { cause: new MongoNetworkError('closed') }) }))).toBe(true);
    const cyclic = new Error('a');
    const other = new Error('b', { cause: cyclic });
    (cyclic as { cause?: unknown }).cause = other;
    expect(isDatabaseUnavailable(cyclic)).toBe(false);
  });

  it('only MongoDB errors are read by code: a numeric code elsewhere (e.g. a Kafka protocol error) is not the store', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('not leader for partition'), { name: 'KafkaJSProtocolError', code: 6 }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 10107, errorLabels: ['RetryableWriteError'] }))).toBe(false);
    expect(isDatabaseUnavailable(new MongoError('a driver error that is no outage'))).toBe(false);
  });

  it("mongoose's time-out while waiting for the connection to come back is transient; its other errors are not", () => {
    expect(isDatabaseUnavailable(named('MongooseError', 'Operation `orders.findOne()` buffering timed out after 10000ms'))).toBe(true);
    expect(isDatabaseUnavailable(named('MongooseError', 'Connection operation buffering timed out after 10000ms'))).toBe(true);
    expect(isDatabaseUnavailable(named('MongooseError', 'Model.prototype.save() no longer accepts a callback'))).toBe(false);
  });

  it('anything else is not', () => {
    for (const value of [null, undefined, 'MongoNetworkError', 42, { name: 'MongoNetworkError' }, new TypeError('x is undefined')]) {
      expect(isDatabaseUnavailable(value)).toBe(false);
    }
  });
});

describe('store errors in GraphQL and REST answers', () => {
  const logger = pino({ level: 'silent' });
  const format = (original: Error) => {
    const error = new GraphQLError(original.message, { path: ['order'], originalError: original });
    return toGraphQLFormattedError(
      { message: original.message, path: ['order'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } },
      error,
      logger,
    );
  };

  it('a transient server error becomes SERVICE_UNAVAILABLE with a generic message (no code, label or stack)', () => {
    const formatted = format(serverError(10107, ['RetryableWriteError'], 'NotWritablePrimary'));
    expect(formatted).toEqual({ message: 'Service temporarily unavailable', path: ['order'], extensions: { code: 'SERVICE_UNAVAILABLE' } });
  });

  it('any other store error stays an internal error without internals', () => {
    const formatted = format(serverError(11000, [], 'DuplicateKey'));
    expect(formatted).toEqual({ message: 'Internal server error', path: ['order'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('a domain error keeps its code (WriteContention is SERVICE_UNAVAILABLE with details)', () => {
    expect(format(new WriteContention('ORD-1', 12)).extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', orderId: 'ORD-1', attempts: 12 });
  });

  it('REST maps SERVICE_UNAVAILABLE to 503 with Retry-After', () => {
    const error = restErrorFromGraphQL([{ message: 'Service temporarily unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } }], (name) => name);
    expect({ status: error.status, code: error.code, message: error.message, details: error.details, headers: error.headers }).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: 'Service temporarily unavailable',
      details: undefined,
      headers: { 'Retry-After': '5' },
    });
  });
});
