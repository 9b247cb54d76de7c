import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { AppServices } from '../app-services';
import { authenticateRequests, bearerChallenge } from '../auth/http-authentication';
import { RestError } from '../rest/rest-errors';

/**
 * What every API request passes before an operation runs, in order: a limit per client address (it also bounds
 * guessing at tokens), authentication, a limit per caller. The limits are counted per replica (in memory): behind N
 * replicas a client gets up to N times the limit — sized for that, and simpler than a shared counter in the store
 * that every request would have to write.
 */
export interface ApiGuards {
  graphql: RequestHandler[];
  rest: RequestHandler[];
}

type Refusal = (res: Response, status: number, code: string, message: string, headers?: Record<string, string>) => void;

/** GraphQL over HTTP answers refusals as GraphQL errors with the HTTP status a client library can act on. */
const graphqlRefusal: Refusal = (res, status, code, message, headers = {}) => {
  res
    .status(status)
    .set(headers)
    .json({ errors: [{ message, extensions: { code } }] });
};

export function apiGuards(services: AppServices): ApiGuards {
  const { config, metrics } = services;
  const tooMany = 'too many requests: slow down and retry after the time Retry-After gives';
  /** One count per key across REST and GraphQL (REST routes run GraphQL operations: the same work either way). */
  const limiter = (name: string, limit: number, key: (req: Request) => string) =>
    rateLimit({
      windowMs: config.RATE_LIMIT_WINDOW,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      identifier: name,
      keyGenerator: key,
      handler: (req, res, next) => {
        metrics.requestsLimited.inc({ limit: name });
        const headers = { 'Retry-After': String(res.getHeader('Retry-After') ?? Math.ceil(config.RATE_LIMIT_WINDOW / 1000)) };
        if (req.baseUrl.startsWith('/graphql')) graphqlRefusal(res, 429, 'TOO_MANY_REQUESTS', tooMany, headers);
        else next(new RestError(429, 'TOO_MANY_REQUESTS', tooMany, undefined, headers));
      },
    });
  const byAddress = limiter('address', config.RATE_LIMIT_PER_ADDRESS, (req) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown'));
  const bySubject = limiter('subject', config.RATE_LIMIT_PER_SUBJECT, (req) => `${req.wms?.tenantId}|${req.wms?.userId}`);

  return {
    graphql: [
      byAddress,
      authenticateRequests(services.authenticator, (error, req, res) => {
        metrics.authenticationFailures.inc({ api: 'graphql' });
        graphqlRefusal(res, 401, 'UNAUTHENTICATED', error.message, { 'WWW-Authenticate': bearerChallenge(req, error) });
      }),
      bySubject,
    ],
    rest: [
      byAddress,
      authenticateRequests(services.authenticator, (error, req, _res, next) => {
        metrics.authenticationFailures.inc({ api: 'rest' });
        next(new RestError(401, 'UNAUTHENTICATED', error.message, undefined, { 'WWW-Authenticate': bearerChallenge(req, error) }));
      }),
      bySubject,
    ],
  };
}
