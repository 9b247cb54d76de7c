import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { specifiedRules, validate, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema, type ValidationContext } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppServices } from '../app-services';
import { contextFromHeaders, withCaller } from '../observability/request-context';
import type { Caller } from '../auth/caller';
import { InvalidToken } from '../auth/token-verifier';
import { toGraphQLFormattedError } from './graphql-errors';
import { createGraphQLContext, type GraphQLContext } from './graphql-context';
import { subscriptionLimits } from './subscription-limits';

/** Query shape limits: deep or costly documents are refused before any resolver runs. */
export const GRAPHQL_LIMITS = { maxDepth: 10, maxCost: 1_500, maxAliases: 30 } as const;

// Report rejections as validation errors (GRAPHQL_VALIDATION_FAILED); thrown ones would surface as 500s.
const rejectAsValidationError = {
  exposeLimits: false,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export const validationRules = [
  maxDepthRule({ n: GRAPHQL_LIMITS.maxDepth, ...rejectAsValidationError }),
  costLimitRule({ maxCost: GRAPHQL_LIMITS.maxCost, ...rejectAsValidationError }),
  maxAliasesRule({ n: GRAPHQL_LIMITS.maxAliases, ...rejectAsValidationError }),
];

function metricsPlugin(services: AppServices): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const stopTimer = services.metrics.graphqlOperationDuration.startTimer();
      return {
        async willSendResponse({ operation, operationName, errors, contextValue }) {
          const outcome = errors?.length ? 'error' : 'ok';
          stopTimer({ type: operation?.operation ?? 'unknown', name: operationName ?? 'anonymous', outcome });
          // The audit trail: who changed what, in which tenant (REST routes run these same operations).
          if (operation?.operation === 'mutation') {
            const { userId, tenantId, correlationId } = contextValue.request;
            const fields = operation.selectionSet.selections.flatMap((selection) => (selection.kind === 'Field' ? [selection.name.value] : []));
            services.logger.info(
              { audit: { subject: userId, tenantId, operation: fields.join(','), operationName: operationName ?? null, outcome, correlationId } },
              'audit',
            );
          }
        },
      };
    },
  };
}

/** setTimeout's longest delay (~24.8 days); a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A connection lives no longer than the token it was opened with: at its `exp` it is closed with 4401, as a connection
 * without a valid token is, and the client reconnects with a fresh one (graphql-ws calls `connectionParams` again).
 */
function closeWhenExpired(socket: WebSocket, expiresAt: Date): void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt.getTime() - Date.now();
    if (left <= 0) socket.close(CloseCode.Unauthorized, 'the token has expired');
    else timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  socket.once('close', () => clearTimeout(timer));
}

/** Apollo Server for queries and mutations, graphql-ws for subscriptions, both on /graphql of one HTTP server. */
export function createGraphQLServer(schema: GraphQLSchema, httpServer: Server, services: AppServices) {
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 64 * 1024 });
  const limits = subscriptionLimits(services.metrics);
  const wsCleanup = useServer<Record<string, unknown>, { caller?: Caller }>(
    {
      schema,
      // The token comes in `connection_init` (browsers cannot set headers on a WebSocket): `{ authorization: 'Bearer …' }`.
      onConnect: async (ctx) => {
        try {
          const authorization = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
          const caller = await services.authenticator.authenticate(typeof authorization === 'string' ? authorization : undefined, ctx.extra.request.headers);
          ctx.extra.caller = caller;
          if (caller.expiresAt) closeWhenExpired(ctx.extra.socket, caller.expiresAt);
          return true;
        } catch (error) {
          if (!(error instanceof InvalidToken)) throw error;
          services.metrics.authenticationFailures.inc({ api: 'graphql-ws' });
          // 4401 Unauthorized (graphql-ws's own refusal would be 4403, which a client reads as "not allowed", not "log in").
          ctx.extra.socket.close(CloseCode.Unauthorized, error.message.slice(0, 120));
          return false;
        }
      },
      // Subscriptions obey the same depth, cost and alias limits as queries.
      validate: (wsSchema, document) => validate(wsSchema, document, [...specifiedRules, ...validationRules]),
      context: (ctx): GraphQLContext => createGraphQLContext(withCaller(contextFromHeaders(ctx.extra.request.headers), ctx.extra.caller!), services),
      // At most 20 subscriptions per connection; each one counted (graphql_subscriptions_active) until released.
      onSubscribe: (ctx) => limits.onSubscribe(ctx),
      subscribe: (args) => limits.subscribe(args),
    },
    wsServer,
    12_000, // keep-alive ping interval, ms
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // Shutdown order is ours (main.ts); Apollo's own handler would re-raise the signal and exit non-zero.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => toGraphQLFormattedError(formatted, error, services.logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: services.config.SHUTDOWN_GRACE_PERIOD }),
      metricsPlugin(services),
      // Federated trace data for the gateway, only when it asks for it (ftv1 header).
      ApolloServerPluginInlineTrace({ includeErrors: { masked: true } }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  return { apollo, wsServer };
}
