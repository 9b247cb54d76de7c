import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { contextFromHeaders, withCaller } from '../observability/request-context';
import { BEARER_CHALLENGE, type Authenticator } from './authenticator';
import { InvalidToken } from './token-verifier';

/** The `WWW-Authenticate` value of a 401: which scheme, and (RFC 6750 §3) why a presented token was refused. */
export function bearerChallenge(req: Pick<Request, 'headers'>, error: InvalidToken): string {
  return req.headers.authorization ? `${BEARER_CHALLENGE}, error="invalid_token", error_description="${error.message}"` : BEARER_CHALLENGE;
}

/**
 * Lets a request go on only with a known caller: its context then carries the caller's tenant, subject and scopes, for
 * the rest of the chain (and for everything it starts, through the async context). `refuse` answers the others (401)
 * in the shape of the API they called.
 */
export function authenticateRequests(
  authenticator: Authenticator,
  refuse: (error: InvalidToken, req: Request, res: Response, next: NextFunction) => void,
): RequestHandler {
  return (req, res, next) => {
    authenticator.authenticate(req.headers.authorization, req.headers).then(
      (caller) => {
        req.wms = withCaller(req.wms ?? contextFromHeaders(req.headers), caller);
        next();
      },
      (error: unknown) => (error instanceof InvalidToken ? refuse(error, req, res, next) : next(error)),
    );
  };
}
