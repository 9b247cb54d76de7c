import type { ApolloServer } from '@apollo/server';
import { Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type { AppServices } from '../app-services';
import type { GraphQLContext } from '../server/graphql-context';
import { openApiDocument } from './openapi';
import { createRestRouter } from './rest-router';
import { restRoutes } from './rest-routes';

/** The REST compatibility layer (`/api/v1`), its OpenAPI document (`/openapi.json`) and Swagger UI (`/docs`). */
export function restApi(services: AppServices, apollo: ApolloServer<GraphQLContext>, bodyLimit: string, guards: readonly RequestHandler[]): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  // The documentation page is the one HTML page served: a strict Content Security Policy (Swagger UI needs nothing else).
  router.use(
    '/docs',
    helmet({ contentSecurityPolicy: { useDefaults: true } }),
    swaggerUi.serve,
    swaggerUi.setup(openApiDocument as unknown as swaggerUi.JsonObject, { customSiteTitle: 'WMS Order Service — REST API' }),
  );
  router.use('/api/v1', createRestRouter({ services, apollo, idempotency: services.idempotency, routes: restRoutes, bodyLimit, guards }));
  return router;
}
