import {
  RestAssignOrderToWaveDocument,
  RestCancelOrderDocument,
  RestCompleteOrderDocument,
  RestCreateOrderDocument,
  RestGetOrderDocument,
  RestListOrdersDocument,
  RestShipOrderDocument,
  RestStartPackingDocument,
  RestStartPickingDocument,
  RestUpdateOrderDocument,
  RestValidateOrderDocument,
  type CreateOrderInput,
  type OrderPriority,
  type OrderStatus,
  type RestOrderFragment,
  type UpdateOrderInput,
} from './generated/operations';
import {
  cancelInputSchema,
  createOrderInputSchema,
  deliveryInputSchema,
  orderListQuerySchema,
  shipmentSchema,
  updateOrderInputSchema,
  waveInputSchema,
} from '../models/order.input';
import { noBody } from './rest-request.schemas';
import { restOrderPageSchema, restOrderSchema, type RestOrder } from './rest-representations';
import { defineRoute, type CompiledRoute, type RestRequest, type RestResponse } from './rest-route';
import { fromEnumName, toEnumName } from './rest-values';

/** The brief's order JSON: `orderId` instead of GraphQL's `id`, enum values in lower case. */
export function toRestOrder({ id, customerId, priority, status, backorders, statusHistory, deadLetterHistory, ...fields }: RestOrderFragment): RestOrder {
  return {
    orderId: id,
    customerId,
    priority: fromEnumName(priority),
    status: fromEnumName(status),
    ...fields,
    backorders: backorders.map((backorder) => ({
      ...backorder,
      status: fromEnumName(backorder.status),
      items: backorder.items.map((item) => ({ ...item, reason: fromEnumName(item.reason) })),
    })),
    statusHistory: statusHistory.map((change) => ({ ...change, from: fromEnumName(change.from), to: fromEnumName(change.to) })),
    deadLetterHistory: deadLetterHistory.map((past) => ({ ...past, resolution: fromEnumName(past.resolution) })),
  };
}

export const orderLocation = (orderId: string) => `/api/v1/orders/${encodeURIComponent(orderId)}`;

/** An order response: the order, and its version as a strong entity tag for `If-Match`. */
export function orderResponse(order: RestOrderFragment, status = 200, headers: Record<string, string> = {}): RestResponse {
  return { status, body: toRestOrder(order), headers: { ETag: `"${order.version}"`, ...headers } };
}

/** The body's enum fields to GraphQL names; every other field goes to GraphQL as sent. */
function withEnumNames<T>(body: Record<string, unknown>): T {
  return (typeof body.priority === 'string' ? { ...body, priority: toEnumName(body.priority) } : body) as T;
}

/** Every order write answers the order, with its version as the ETag. */
const orderAnswer = { status: 200, schema: restOrderSchema, headers: ['ETag'] } as const;

const target = ({ params, expectedVersion }: RestRequest) => ({ id: params.orderId, expectedVersion });
const byOrderId = { id: 'orderId' };

const validate = {
  path: '/orders/:orderId/validate',
  operationId: 'validateOrder',
  summary: 'Validate an order (received → validated); a repeat is a no-op; 422 ORDER_INVALID when business rules fail (a promised time already passed)',
  operation: RestValidateOrderDocument,
  conditional: true,
  body: noBody,
  answer: orderAnswer,
  variables: target,
  fieldOfVariable: byOrderId,
  response: (data: { validateOrder: RestOrderFragment }) => orderResponse(data.validateOrder),
} as const;

const cancel = {
  path: '/orders/:orderId/cancel',
  operationId: 'cancelOrder',
  summary: 'Cancel an order not yet shipped; a repeat is a no-op',
  operation: RestCancelOrderDocument,
  conditional: true,
  body: cancelInputSchema,
  answer: orderAnswer,
  variables: (request: RestRequest) => ({ ...target(request), reason: request.body.reason as string }),
  fieldOfVariable: byOrderId,
  response: (data: { cancelOrder: RestOrderFragment }) => orderResponse(data.cancelOrder),
} as const;

export const orderRoutes: CompiledRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/orders',
    operationId: 'createOrder',
    summary: 'Receive a new order (status received)',
    operation: RestCreateOrderDocument,
    body: createOrderInputSchema,
    answer: { status: 201, schema: restOrderSchema, headers: ['ETag', 'Location'] },
    variables: ({ body }) => ({ input: withEnumNames<CreateOrderInput>(body) }),
    fieldOfVariable: { input: '' },
    response: ({ createOrder }) => orderResponse(createOrder, 201, { Location: orderLocation(createOrder.id) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/orders',
    operationId: 'listOrders',
    summary: 'Orders, newest first',
    operation: RestListOrdersDocument,
    queryParameters: orderListQuerySchema,
    answer: { status: 200, schema: restOrderPageSchema },
    variables: ({ query }) => ({
      filter: {
        status: query.status === undefined ? undefined : toEnumName<OrderStatus>(query.status),
        priority: query.priority === undefined ? undefined : toEnumName<OrderPriority>(query.priority),
        customerId: query.customerId as string | undefined,
      },
      page: query.page as number | undefined,
      pageSize: query.pageSize as number | undefined,
    }),
    fieldOfVariable: { filter: '' },
    response: ({ orders: { items, page, pageSize, total, hasMore } }) => ({
      status: 200,
      body: { data: items.map(toRestOrder), pagination: { page, pageSize, total, hasMore } },
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/orders/:orderId',
    operationId: 'getOrder',
    summary: 'One order',
    operation: RestGetOrderDocument,
    answer: orderAnswer,
    variables: ({ params }) => ({ id: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ order }) => orderResponse(order),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/orders/:orderId',
    operationId: 'updateOrder',
    summary: 'Replace items, address, priority or promised time (received or validated orders only; a past promise on a validated order is 422)',
    operation: RestUpdateOrderDocument,
    conditional: true,
    body: updateOrderInputSchema,
    answer: orderAnswer,
    variables: (request) => ({ ...target(request), input: withEnumNames<UpdateOrderInput>(request.body) }),
    fieldOfVariable: { ...byOrderId, input: '' },
    response: ({ updateOrder }) => orderResponse(updateOrder),
  }),
  // The brief's callers use PUT; older ones POST to the same paths (CONTRACT §4).
  defineRoute({ method: 'PUT', ...validate }),
  defineRoute({ method: 'POST', ...validate, operationId: 'validateOrderPost', description: 'POST is accepted for older callers' }),
  defineRoute({ method: 'PUT', ...cancel }),
  defineRoute({ method: 'POST', ...cancel, operationId: 'cancelOrderPost', description: 'POST is accepted for older callers' }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/assign-wave',
    operationId: 'assignOrderToWave',
    summary: 'validated → assigned_to_wave; the same wave again is a no-op',
    operation: RestAssignOrderToWaveDocument,
    conditional: true,
    body: waveInputSchema,
    answer: orderAnswer,
    variables: (request) => ({ ...target(request), waveId: request.body.waveId as string }),
    fieldOfVariable: byOrderId,
    response: ({ assignOrderToWave }) => orderResponse(assignOrderToWave),
  }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/start-picking',
    operationId: 'startPicking',
    summary: 'assigned_to_wave → picking',
    operation: RestStartPickingDocument,
    conditional: true,
    body: noBody,
    answer: orderAnswer,
    variables: target,
    fieldOfVariable: byOrderId,
    response: ({ startPicking }) => orderResponse(startPicking),
  }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/start-packing',
    operationId: 'startPacking',
    summary: 'picking → packing',
    operation: RestStartPackingDocument,
    conditional: true,
    body: noBody,
    answer: orderAnswer,
    variables: target,
    fieldOfVariable: byOrderId,
    response: ({ startPacking }) => orderResponse(startPacking),
  }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/ship',
    operationId: 'shipOrder',
    summary: 'packing → shipped',
    operation: RestShipOrderDocument,
    conditional: true,
    body: shipmentSchema,
    answer: orderAnswer,
    variables: (request) => ({
      ...target(request),
      trackingNumber: request.body.trackingNumber as string,
      carrier: request.body.carrier as string,
    }),
    fieldOfVariable: byOrderId,
    response: ({ shipOrder }) => orderResponse(shipOrder),
  }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/complete',
    operationId: 'completeOrder',
    summary: 'shipped → completed (delivery confirmed)',
    operation: RestCompleteOrderDocument,
    conditional: true,
    body: deliveryInputSchema,
    answer: orderAnswer,
    variables: (request) => ({ ...target(request), deliveredAt: request.body.deliveredAt as string | undefined }),
    fieldOfVariable: byOrderId,
    response: ({ completeOrder }) => orderResponse(completeOrder),
  }),
];
