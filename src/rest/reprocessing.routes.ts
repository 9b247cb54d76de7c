import { toRestDeadLetterEntry } from './dead-letter.routes';
import {
  RestIncrementRetryCountDocument,
  RestMoveOrderToDeadLetterQueueDocument,
  RestOrdersEligibleForRetryDocument,
  RestResetOrderForRetryDocument,
  RestRetryMetadataDocument,
  type OrderStatus,
  type RetryFailureInput,
} from './generated/operations';
import { dlqMoveSchema, retryFailureSchema } from '../models/order.input';
import { orderResponse } from './order.routes';
import { noBody, retryEligibilityParameters } from './rest-request.schemas';
import { restDeadLetterEntrySchema, restOrderSchema, restRetryCandidatesSchema, restRetryMetadataSchema } from './rest-representations';
import { defineRoute, type CompiledRoute } from './rest-route';
import { fromEnumName, toEnumName } from './rest-values';

const byOrderId = { orderId: 'orderId' };

/** /api/v1/reprocessing: retry bookkeeping for the orchestrator (CONTRACT §2). */
export const reprocessingRoutes: CompiledRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/reprocessing/eligible',
    operationId: 'listOrdersEligibleForRetry',
    summary: 'Orders whose retry is due: failed at least once, fewer than maxRetries failures, not held, not finished; longest-due first',
    operation: RestOrdersEligibleForRetryDocument,
    queryParameters: retryEligibilityParameters,
    answer: { status: 200, schema: restRetryCandidatesSchema },
    variables: ({ query }) => ({
      limit: query.limit as number | undefined,
      maxRetries: query.maxRetries as number | undefined,
      statuses: (query.status as string[] | undefined)?.map((status) => toEnumName<OrderStatus>(status)),
    }),
    fieldOfVariable: { statuses: 'status' },
    response: ({ ordersEligibleForRetry: { items, total } }) => ({
      status: 200,
      body: { data: items.map((item) => ({ ...item, status: fromEnumName(item.status) })), total },
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/reprocessing/orders/:orderId/retry-count',
    operationId: 'getRetryMetadata',
    summary: "An order's retry count, last failure, next retry and whether it may still be retried",
    operation: RestRetryMetadataDocument,
    answer: { status: 200, schema: restRetryMetadataSchema },
    variables: ({ params }) => ({ orderId: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ retryMetadata }) => ({ status: 200, body: retryMetadata }),
  }),
  defineRoute({
    method: 'POST',
    path: '/reprocessing/orders/:orderId/retry-count',
    operationId: 'incrementRetryCount',
    summary: 'Record a failed attempt: schedules the next retry with backoff, or moves the order to the dead letter queue at maxRetries',
    operation: RestIncrementRetryCountDocument,
    body: retryFailureSchema,
    answer: { status: 200, schema: restRetryMetadataSchema },
    variables: ({ params, body }) => ({ orderId: params.orderId, input: body as RetryFailureInput }),
    fieldOfVariable: { ...byOrderId, input: '' },
    response: ({ incrementRetryCount }) => ({ status: 200, body: incrementRetryCount }),
  }),
  defineRoute({
    method: 'POST',
    path: '/reprocessing/orders/:orderId/reset',
    operationId: 'resetOrderForRetry',
    summary: 'Back to validated (or received if never validated), wave cleared, retry count kept',
    operation: RestResetOrderForRetryDocument,
    body: noBody,
    answer: { status: 200, schema: restOrderSchema, headers: ['ETag'] },
    variables: ({ params }) => ({ orderId: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ resetOrderForRetry }) => orderResponse(resetOrderForRetry),
  }),
  defineRoute({
    method: 'POST',
    path: '/reprocessing/orders/:orderId/dlq',
    operationId: 'moveOrderToDeadLetterQueue',
    summary: 'Hold the order in the dead letter queue for a supervisor',
    operation: RestMoveOrderToDeadLetterQueueDocument,
    body: dlqMoveSchema,
    answer: { status: 200, schema: restDeadLetterEntrySchema },
    variables: ({ params, body }) => ({
      orderId: params.orderId,
      failureStatus: body.failureStatus as string,
      failureReason: body.failureReason as string,
    }),
    fieldOfVariable: byOrderId,
    response: ({ moveOrderToDeadLetterQueue }) => ({ status: 200, body: toRestDeadLetterEntry(moveOrderToDeadLetterQueue) }),
  }),
];
