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
import { defineRoute, type CompiledRoute, type RestRequest, type RestResponse } from './rest-route';
import { fromEnumName, queryEnum, queryInt, queryString, toEnumName } from './rest-values';

/** The brief's order JSON: `orderId` instead of GraphQL's `id`, enum values in lower case. */
export function toRestOrder({ id, customerId, priority, status, backorders, statusHistory, ...fields }: RestOrderFragment) {
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
  };
}

export type RestOrder = ReturnType<typeof toRestOrder>;

export const orderLocation = (orderId: string) => `/api/v1/orders/${encodeURIComponent(orderId)}`;

/** An order response: the order, and its version as a strong entity tag for `If-Match`. */
export function orderResponse(order: RestOrderFragment, status = 200, headers: Record<string, string> = {}): RestResponse {
  return { status, body: toRestOrder(order), headers: { ETag: `"${order.version}"`, ...headers } };
}

/** The body's enum fields to GraphQL names; every other field goes to GraphQL as sent. */
function withEnumNames<T>(body: Record<string, unknown>): T {
  return ('priority' in body ? { ...body, priority: toEnumName(body.priority) } : body) as T;
}

const target = ({ params, expectedVersion }: RestRequest) => ({ id: params.orderId, expectedVersion });
const byOrderId = { id: 'orderId' };

const validate = {
  path: '/orders/:orderId/validate',
  operationId: 'validateOrder',
  operation: RestValidateOrderDocument,
  conditional: true,
  bodyFields: [],
  variables: target,
  fieldOfVariable: byOrderId,
  response: (data: { validateOrder: RestOrderFragment }) => orderResponse(data.validateOrder),
} as const;

const cancel = {
  path: '/orders/:orderId/cancel',
  operationId: 'cancelOrder',
  operation: RestCancelOrderDocument,
  conditional: true,
  bodyFields: ['reason'],
  variables: (request: RestRequest) => ({ ...target(request), reason: request.body.reason as string }),
  fieldOfVariable: byOrderId,
  response: (data: { cancelOrder: RestOrderFragment }) => orderResponse(data.cancelOrder),
} as const;

export const orderRoutes: CompiledRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/orders',
    operationId: 'createOrder',
    operation: RestCreateOrderDocument,
    bodyFields: 'any',
    variables: ({ body }) => ({ input: withEnumNames<CreateOrderInput>(body) }),
    fieldOfVariable: { input: '' },
    response: ({ createOrder }) => orderResponse(createOrder, 201, { Location: orderLocation(createOrder.id) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/orders',
    operationId: 'listOrders',
    operation: RestListOrdersDocument,
    queryParameters: ['status', 'priority', 'customerId', 'page', 'pageSize'],
    variables: ({ query }) => ({
      filter: {
        status: queryEnum<OrderStatus>(query.status),
        priority: queryEnum<OrderPriority>(query.priority),
        customerId: queryString(query.customerId),
      },
      page: queryInt(query.page),
      pageSize: queryInt(query.pageSize),
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
    operation: RestGetOrderDocument,
    variables: ({ params }) => ({ id: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ order }) => orderResponse(order),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/orders/:orderId',
    operationId: 'updateOrder',
    operation: RestUpdateOrderDocument,
    conditional: true,
    bodyFields: 'any',
    variables: (request) => ({ ...target(request), input: withEnumNames<UpdateOrderInput>(request.body) }),
    fieldOfVariable: { ...byOrderId, input: '' },
    response: ({ updateOrder }) => orderResponse(updateOrder),
  }),
  // The brief's callers use PUT; older ones POST to the same paths (CONTRACT §4).
  defineRoute({ method: 'PUT', ...validate }),
  defineRoute({ method: 'POST', ...validate, operationId: 'validateOrderPost' }),
  defineRoute({ method: 'PUT', ...cancel }),
  defineRoute({ method: 'POST', ...cancel, operationId: 'cancelOrderPost' }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/assign-wave',
    operationId: 'assignOrderToWave',
    operation: RestAssignOrderToWaveDocument,
    conditional: true,
    bodyFields: ['waveId'],
    variables: (request) => ({ ...target(request), waveId: request.body.waveId as string }),
    fieldOfVariable: byOrderId,
    response: ({ assignOrderToWave }) => orderResponse(assignOrderToWave),
  }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/start-picking',
    operationId: 'startPicking',
    operation: RestStartPickingDocument,
    conditional: true,
    bodyFields: [],
    variables: target,
    fieldOfVariable: byOrderId,
    response: ({ startPicking }) => orderResponse(startPicking),
  }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/start-packing',
    operationId: 'startPacking',
    operation: RestStartPackingDocument,
    conditional: true,
    bodyFields: [],
    variables: target,
    fieldOfVariable: byOrderId,
    response: ({ startPacking }) => orderResponse(startPacking),
  }),
  defineRoute({
    method: 'PUT',
    path: '/orders/:orderId/ship',
    operationId: 'shipOrder',
    operation: RestShipOrderDocument,
    conditional: true,
    bodyFields: ['trackingNumber', 'carrier'],
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
    operation: RestCompleteOrderDocument,
    conditional: true,
    bodyFields: ['deliveredAt'],
    variables: (request) => ({ ...target(request), deliveredAt: request.body.deliveredAt as string | undefined }),
    fieldOfVariable: byOrderId,
    response: ({ completeOrder }) => orderResponse(completeOrder),
  }),
];
