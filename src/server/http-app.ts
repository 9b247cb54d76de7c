import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import cors, { type CorsOptions } from 'cors';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { AppServices } from '../app-services';
import { CORRELATION_HEADER, contextFromHeaders, type RequestContext } from '../observability/request-context';
import { restApi } from '../rest/rest-api';
import { consoleRoutes } from './console.routes';
import { healthRoutes, type Readiness } from './health.routes';
import { apiGuards } from './request-guards';
import { createGraphQLContext, type GraphQLContext } from './graphql-context';

/** Request bodies above this are refused with 413 before parsing. */
export const BODY_LIMIT = '1mb';

declare module 'http' {
  interface IncomingMessage {
    wms?: RequestContext;
  }
}

/** Gives each request its correlation context (`req.wms`, echoed on the response). */
const correlation: RequestHandler = (req, res, next) => {
  const context = contextFromHeaders(req.headers);
  req.wms = context;
  res.setHeader('X-WMS-Correlation-ID', context.correlationId);
  res.setHeader('X-Request-ID', context.requestId);
  next();
};

function requestMetrics(services: AppServices): RequestHandler {
  return (req, res, next) => {
    const stop = services.metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      // The route pattern, not the raw URL, keeps label cardinality bounded.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : req.baseUrl || (res.statusCode === 404 ? 'unmatched' : req.path);
      stop({ method: req.method, route: String(route), status: String(res.statusCode) });
    });
    next();
  };
}

function corsOptions(origins: string[]): CorsOptions {
  return {
    origin: origins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'If-Match',
      'X-WMS-Correlation-ID',
      'X-WMS-Wave-Number',
      'X-WMS-Workflow-ID',
      'traceparent',
    ],
    exposedHeaders: ['ETag', 'Location', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'X-WMS-Correlation-ID', 'X-Request-ID', 'WWW-Authenticate'],
    maxAge: 600,
  };
}

export function createHttpApp(services: AppServices, apollo: ApolloServer<GraphQLContext>, readiness: Readiness) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', services.config.TRUST_PROXY);

  app.use(correlation);
  app.use(
    pinoHttp({
      logger: services.logger,
      genReqId: (req) => req.wms?.requestId ?? 'unknown',
      customProps: (req) => ({ correlationId: req.wms?.correlationId, waveNumber: req.wms?.waveNumber, workflowId: req.wms?.workflowId }),
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      serializers: { req: (req) => ({ method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
    }),
  );
  app.use(requestMetrics(services));

  app.use(healthRoutes(services, readiness));

  app.use(helmet({ contentSecurityPolicy: false }));
  // Only the listed browser origins may call the API from a page; without CORS_ORIGINS, none may.
  if (services.config.CORS_ORIGINS.length) app.use(cors(corsOptions(services.config.CORS_ORIGINS)));

  const guards = apiGuards(services);
  app.use(
    '/graphql',
    ...guards.graphql,
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<GraphQLContext> => createGraphQLContext(req.wms ?? contextFromHeaders(req.headers), services),
    }),
  );

  // REST compatibility layer: /api/v1 (its own 404/405 and error body), /openapi.json, /docs.
  app.use(restApi(services, apollo, BODY_LIMIT, guards.rest));

  // The supervisors' console: a static single-page app under its own strict CSP.
  app.use(consoleRoutes(services));

  app.use(errorHandler(services));
  return app;
}

/** Last resort: a JSON error without internals, whatever went wrong. */
function errorHandler(services: AppServices): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    if (status >= 500) services.logger.error({ err: error, path: req.path }, 'unhandled error');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 400 ? 'BAD_REQUEST' : status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
    res.status(status).json({
      code,
      message: status >= 500 ? 'Internal server error' : String(error?.message ?? 'Bad request'),
      requestId: req.wms?.requestId,
      timestamp: new Date().toISOString(),
      path: req.originalUrl,
    });
  };
}

export { CORRELATION_HEADER };
