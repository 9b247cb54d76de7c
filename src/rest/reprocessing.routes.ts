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
import { orderResponse } from './order.routes';
import { defineRoute, type CompiledRoute } from './rest-route';
import { fromEnumName, queryEnumList, queryInt } from './rest-values';

const byOrderId = { orderId: 'orderId' };

/** /api/v1/reprocessing: retry bookkeeping for the orchestrator (CONTRACT §2). */
export const reprocessingRoutes: CompiledRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/reprocessing/eligible',
    operationId: 'listOrdersEligibleForRetry',
    operation: RestOrdersEligibleForRetryDocument,
    queryParameters: ['limit', 'maxRetries', 'status'],
    variables: ({ query }) => ({
      limit: queryInt(query.limit),
      maxRetries: queryInt(query.maxRetries),
      statuses: queryEnumList<OrderStatus>(query.status),
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
    operation: RestRetryMetadataDocument,
    variables: ({ params }) => ({ orderId: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ retryMetadata }) => ({ status: 200, body: retryMetadata }),
  }),
  defineRoute({
    method: 'POST',
    path: '/reprocessing/orders/:orderId/retry-count',
    operationId: 'incrementRetryCount',
    operation: RestIncrementRetryCountDocument,
    bodyFields: 'any',
    variables: ({ params, body }) => ({ orderId: params.orderId, input: body as RetryFailureInput }),
    fieldOfVariable: { ...byOrderId, input: '' },
    response: ({ incrementRetryCount }) => ({ status: 200, body: incrementRetryCount }),
  }),
  defineRoute({
    method: 'POST',
    path: '/reprocessing/orders/:orderId/reset',
    operationId: 'resetOrderForRetry',
    operation: RestResetOrderForRetryDocument,
    bodyFields: [],
    variables: ({ params }) => ({ orderId: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ resetOrderForRetry }) => orderResponse(resetOrderForRetry),
  }),
  defineRoute({
    method: 'POST',
    path: '/reprocessing/orders/:orderId/dlq',
    operationId: 'moveOrderToDeadLetterQueue',
    operation: RestMoveOrderToDeadLetterQueueDocument,
    bodyFields: ['failureStatus', 'failureReason'],
    variables: ({ params, body }) => ({
      orderId: params.orderId,
      failureStatus: body.failureStatus as string,
      failureReason: body.failureReason as string,
    }),
    fieldOfVariable: byOrderId,
    response: ({ moveOrderToDeadLetterQueue }) => ({ status: 200, body: toRestDeadLetterEntry(moveOrderToDeadLetterQueue) }),
  }),
];
