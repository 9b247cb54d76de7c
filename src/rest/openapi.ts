import { IDENTIFIER_PATTERN, LIST_LIMITS, NOT_BLANK_PATTERN, ORDER_LIMITS, TEXT_LIMITS } from '../models/input-limits';
import { ISO_COUNTRY_CODES } from '../models/iso-countries';
import { SERVICE_VERSION } from '../service-info';
import { BackorderReason, BackorderStatus, DeadLetterResolution, OrderPriority, OrderStatus } from './generated/operations';
import { MAX_BODY_DEPTH } from './rest-router';
import { enumValues } from './rest-values';
import { AUTHENTICATED } from '../auth/scopes';
import { deadLetterRoutes } from './dead-letter.routes';
import { orderRoutes } from './order.routes';
import { reprocessingRoutes } from './reprocessing.routes';
import { restRouteScopes } from './rest-scopes';

/**
 * The OpenAPI 3.1 description of /api/v1, served at /openapi.json (Swagger UI at /docs). Every response the REST
 * test suite receives is validated against it, and a test checks that its operations are exactly the route table's,
 * so it cannot drift from the code. Enum values come from the generated GraphQL types.
 */

type JsonSchema = { [keyword: string]: unknown };

interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Array<JsonSchema>;
  requestBody?: JsonSchema;
  responses: Record<string, JsonSchema>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', OpenApiOperation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, JsonSchema>;
    headers: Record<string, JsonSchema>;
    responses: Record<string, JsonSchema>;
    securitySchemes?: Record<string, JsonSchema>;
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
function nullable(schema: JsonSchema): JsonSchema {
  if (schema.$ref) return { oneOf: [schema, { type: 'null' }] };
  return { ...schema, type: [schema.type, 'null'], ...(Array.isArray(schema.enum) ? { enum: [...schema.enum, null] } : {}) };
}
const string = (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra });
const dateTime = string({ format: 'date-time' });
/** Text the parsers trim and require (order.input.ts `requiredText`): not blank, at most `max` characters. */
const requiredText = (max: number) => string({ minLength: 1, maxLength: max, pattern: NOT_BLANK_PATTERN });
/** Text that may be absent, null or blank (stored as null). */
const optionalText = (max: number) => nullable(string({ maxLength: max }));
const identifier = string({ pattern: IDENTIFIER_PATTERN, description: 'Letters, digits, . _ - (1–64)' });
const integer = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra });
const number = (extra: JsonSchema = {}): JsonSchema => ({ type: 'number', ...extra });

/** A response object: every property required (absent values are null), nothing undocumented. */
function record(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
  return { type: 'object', ...(description ? { description } : {}), properties, required: Object.keys(properties), additionalProperties: false };
}

/** A request object: the listed fields required, others optional, unknown ones refused. */
function input(properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return { type: 'object', properties, required, additionalProperties: false };
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const parameterRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

const orderItem = record({
  sku: string(),
  quantity: integer({ minimum: 1 }),
  unitPrice: number({ minimum: 0 }),
  productName: nullable(string()),
  weight: nullable(number({ minimum: 0 })),
  quantityFulfilled: nullable(integer({ minimum: 0 })),
  quantityBackordered: nullable(integer({ minimum: 0 })),
});

const shippingAddress = record({
  street: string(),
  street2: nullable(string()),
  city: string(),
  state: string(),
  zipCode: string(),
  country: string({ pattern: '^[A-Z]{2}$' }),
  recipientName: nullable(string()),
  phone: nullable(string()),
});

const orderStatus = string({ enum: enumValues(OrderStatus) });

const order = record(
  {
    orderId: string({ pattern: '^ORD-[0-9A-HJKMNP-TV-Z]{12}$' }),
    customerId: string(),
    priority: string({ enum: enumValues(OrderPriority) }),
    status: orderStatus,
    promisedDeliveryAt: nullable(dateTime),
    items: { type: 'array', items: ref('OrderItem'), minItems: 1 },
    shippingAddress: ref('ShippingAddress'),
    totalItems: integer({ minimum: 1 }),
    totalQuantity: integer({ minimum: 1 }),
    totalWeight: number({ minimum: 0 }),
    totalValue: number({ minimum: 0 }),
    isLate: { type: 'boolean' },
    waveId: nullable(string()),
    trackingNumber: nullable(string()),
    carrier: nullable(string()),
    cancellation: nullable(ref('Cancellation')),
    deliveredAt: nullable(dateTime),
    backorders: { type: 'array', items: ref('Backorder') },
    fulfillmentRatio: nullable(number({ minimum: 0, maximum: 1 })),
    retry: ref('RetryInfo'),
    deadLettered: { type: 'boolean' },
    version: integer({ minimum: 1, description: 'Also sent as the ETag; pass it back in If-Match' }),
    statusHistory: { type: 'array', items: ref('StatusChange') },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  'A customer order',
);

const orderItemInput = input(
  {
    sku: requiredText(TEXT_LIMITS.sku),
    quantity: integer({ minimum: 1, maximum: ORDER_LIMITS.quantity }),
    unitPrice: number({ minimum: 0, description: 'At most 2 decimals' }),
    productName: optionalText(TEXT_LIMITS.productName),
    weight: nullable(number({ minimum: 0, description: 'Kilograms per unit' })),
  },
  ['sku', 'quantity', 'unitPrice'],
);

const shippingAddressInput = input(
  {
    street: requiredText(TEXT_LIMITS.addressLine),
    street2: optionalText(TEXT_LIMITS.addressLine),
    city: requiredText(TEXT_LIMITS.addressLine),
    state: requiredText(TEXT_LIMITS.addressLine),
    zipCode: requiredText(TEXT_LIMITS.addressLine),
    country: string({ enum: [...ISO_COUNTRY_CODES].sort(), description: 'An assigned ISO 3166-1 alpha-2 code, upper case' }),
    recipientName: optionalText(TEXT_LIMITS.addressLine),
    phone: optionalText(TEXT_LIMITS.phone),
  },
  ['street', 'city', 'state', 'zipCode', 'country'],
);

const priorityInput = string({ enum: enumValues(OrderPriority) });

const resolutionValue = string({ enum: enumValues(DeadLetterResolution) });

const retryAttempt = record({
  attempt: integer({ minimum: 1 }),
  failureReason: string(),
  failureStatus: string(),
  failedAt: dateTime,
  workflowId: nullable(string()),
  runId: nullable(string()),
});

const resolutionFields = {
  resolved: { type: 'boolean' },
  resolution: nullable(resolutionValue),
  resolvedBy: nullable(string()),
  resolvedAt: nullable(dateTime),
  notes: nullable(string()),
  createdAt: { ...dateTime, description: 'When the order was moved to the dead letter queue' },
  updatedAt: dateTime,
};

const deadLetterEntry = record(
  {
    orderId: string(),
    customerId: string(),
    failureStatus: string({ description: 'Where processing failed (free text, e.g. picking, shipping)' }),
    failureReason: string(),
    retryCount: integer({ minimum: 0 }),
    retryHistory: { type: 'array', items: ref('RetryAttempt') },
    originalOrder: { ...ref('Order'), description: 'The order as it stood when it was moved' },
    ...resolutionFields,
    history: { type: 'array', items: ref('PastDeadLetterEntry'), description: 'Earlier entries of this order, each resolved, oldest first' },
  },
  'An order held (or once held) by the dead letter queue; one current entry per order',
);

const pastDeadLetterEntry = record({
  failureStatus: string(),
  failureReason: string(),
  retryCount: integer({ minimum: 0 }),
  retryHistory: { type: 'array', items: ref('RetryAttempt') },
  ...resolutionFields,
});

const retryMetadata = record({
  orderId: string(),
  retryCount: integer({ minimum: 0 }),
  maxRetries: integer({ minimum: 0 }),
  lastFailureReason: nullable(string()),
  lastFailureStatus: nullable(string()),
  lastFailedAt: nullable(dateTime),
  nextRetryAt: nullable(dateTime),
  isEligibleForRetry: { type: 'boolean' },
});

const retryCandidate = record({
  orderId: string(),
  customerId: string(),
  status: orderStatus,
  retryCount: integer({ minimum: 1 }),
  maxRetries: integer({ minimum: 0 }),
  lastFailureReason: nullable(string()),
  lastFailureStatus: nullable(string()),
  lastFailedAt: nullable(dateTime),
  nextRetryAt: dateTime,
  createdAt: dateTime,
});

const deadLetterStats = record({
  totalEntries: integer({ minimum: 0 }),
  unresolvedCount: integer({ minimum: 0 }),
  resolvedCount: integer({ minimum: 0 }),
  byFailureStatus: { type: 'object', description: 'Unresolved entries per failure status', additionalProperties: integer({ minimum: 1 }) },
  byResolution: {
    type: 'object',
    description: 'Resolved entries per resolution',
    properties: Object.fromEntries(enumValues(DeadLetterResolution).map((value) => [value, integer({ minimum: 0 })])),
    required: enumValues(DeadLetterResolution),
    additionalProperties: false,
  },
  oldestUnresolvedAt: nullable(dateTime),
  averageRetries: number({ minimum: 0 }),
});

const errorSchema: JsonSchema = {
  type: 'object',
  description: 'The one body of every failure',
  properties: {
    code: string({
      description:
        'VALIDATION_ERROR, BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, TOO_MANY_REQUESTS, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, PRECONDITION_FAILED, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ORDER_INVALID, IDEMPOTENCY_KEY_REUSED, INTERNAL_ERROR, SERVICE_UNAVAILABLE',
    }),
    message: string(),
    details: {
      type: 'object',
      description:
        'VALIDATION_ERROR: `issues` [{field, message}] naming each bad field; CONFLICT: `currentStatus`, `operation`, `reason` (or `inFlight` for an Idempotency-Key still running); PRECONDITION_FAILED: `expectedVersion`, `actualVersion`; ORDER_INVALID: `reasons`; NOT_FOUND: `orderId`; METHOD_NOT_ALLOWED: `allowed`',
      properties: {
        issues: { type: 'array', minItems: 1, items: record({ field: string({ minLength: 1 }), message: string({ minLength: 1 }) }) },
        currentStatus: string(),
        expectedVersion: integer(),
        actualVersion: integer(),
        reasons: { type: 'array', items: string() },
        allowed: { type: 'array', items: string() },
      },
    },
    requestId: string({ minLength: 1 }),
    timestamp: dateTime,
    path: string({ pattern: '^/' }),
  },
  required: ['code', 'message', 'requestId', 'timestamp', 'path'],
  additionalProperties: false,
};

const readErrors = {
  '400': responseRef('BadRequest'),
  '404': responseRef('NotFound'),
  '500': responseRef('InternalError'),
  '503': responseRef('ServiceUnavailable'),
};
const writeErrors = {
  ...readErrors,
  '409': responseRef('Conflict'),
  '412': responseRef('PreconditionFailed'),
  '413': responseRef('PayloadTooLarge'),
  '415': responseRef('UnsupportedMediaType'),
  '422': responseRef('Unprocessable'),
};
const writeParameters = [parameterRef('IfMatch'), parameterRef('IdempotencyKey'), parameterRef('CorrelationId')];
/** Writes whose operation takes no expected version: If-Match is refused (400), so there is no 412. */
const { '412': _412, ...unconditionalWriteErrors } = writeErrors;
const unconditionalWriteParameters = [parameterRef('OrderId'), parameterRef('IdempotencyKey'), parameterRef('CorrelationId'), parameterRef('WorkflowId')];
const getErrors = { '400': readErrors['400'], '500': readErrors['500'], '503': readErrors['503'] };

const orderResult = (description: string, status = '200') => ({
  [status]: {
    description,
    headers: {
      ETag: { $ref: '#/components/headers/ETag' },
      ...(status === '201' ? { Location: { $ref: '#/components/headers/Location' } } : {}),
      'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
    },
    content: json(ref('Order')),
  },
});

function lifecycle(operationId: string, summary: string, body?: JsonSchema, bodyRequired = false): OpenApiOperation {
  return {
    operationId,
    summary,
    tags: ['orders'],
    parameters: [parameterRef('OrderId'), ...writeParameters],
    ...(body ? { requestBody: { required: bodyRequired, content: json(body) } } : {}),
    responses: { ...orderResult('The order after the change'), ...writeErrors },
  };
}

const validateOperation = (operationId: string) =>
  lifecycle(operationId, 'Validate an order (received → validated); a repeat is a no-op; 422 ORDER_INVALID when business rules fail');
const cancelOperation = (operationId: string) =>
  lifecycle(operationId, 'Cancel an order not yet shipped; a repeat is a no-op', input({ reason: requiredText(TEXT_LIMITS.cancelReason) }, ['reason']), true);

const documentWithoutSecurity: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'WMS Order Service — REST compatibility layer',
    version: SERVICE_VERSION,
    description: [
      "The brief's REST API. Each endpoint runs the same GraphQL operation a gateway client would send (`/graphql`), in process, so the two APIs cannot drift.",
      'Enum values are lower case; orders carry `orderId`. Every failure answers the `Error` body, also for unknown paths (404) and methods (405, with `Allow`).',
      `Writes accept \`If-Match\` (the order's ETag) and \`Idempotency-Key\`. Request bodies: JSON, at most 1 MB, nested at most ${MAX_BODY_DEPTH} levels.`,
    ].join('\n\n'),
  },
  servers: [{ url: '/api/v1' }],
  tags: [
    { name: 'orders', description: 'Order lifecycle' },
    { name: 'reprocessing', description: 'Retries of failed processing (the orchestrator)' },
    { name: 'dead-letter-queue', description: 'Orders that exhausted their retries, for supervisors' },
  ],
  paths: {
    '/orders': {
      post: {
        operationId: 'createOrder',
        summary: 'Receive a new order (status received)',
        tags: ['orders'],
        parameters: [parameterRef('IdempotencyKey'), parameterRef('CorrelationId'), parameterRef('WaveNumber'), parameterRef('WorkflowId')],
        requestBody: {
          required: true,
          content: json(
            input(
              {
                customerId: identifier,
                priority: priorityInput,
                promisedDeliveryAt: nullable(dateTime),
                items: { type: 'array', items: ref('OrderItemInput'), minItems: 1, maxItems: ORDER_LIMITS.lines },
                shippingAddress: ref('ShippingAddressInput'),
              },
              ['customerId', 'priority', 'items', 'shippingAddress'],
            ),
          ),
        },
        responses: (() => {
          const { '404': _notFound, '412': _precondition, ...errors } = writeErrors;
          return { ...orderResult('The order as received', '201'), ...errors };
        })(),
      },
      get: {
        operationId: 'listOrders',
        summary: 'Orders, newest first',
        tags: ['orders'],
        parameters: [
          { name: 'status', in: 'query', schema: orderStatus },
          { name: 'priority', in: 'query', schema: priorityInput },
          { name: 'customerId', in: 'query', schema: string() },
          { name: 'page', in: 'query', schema: integer({ minimum: 1, default: 1 }) },
          { name: 'pageSize', in: 'query', schema: integer({ minimum: 1, maximum: 100, default: 20 }) },
        ],
        responses: {
          '200': {
            description: 'One page of orders',
            content: json(
              record({
                data: { type: 'array', items: ref('Order') },
                pagination: record({
                  page: integer({ minimum: 1 }),
                  pageSize: integer({ minimum: 1, maximum: 100 }),
                  total: integer({ minimum: 0 }),
                  hasMore: { type: 'boolean' },
                }),
              }),
            ),
          },
          '400': readErrors['400'],
          '500': readErrors['500'],
          '503': readErrors['503'],
        },
      },
    },
    '/orders/{orderId}': {
      get: {
        operationId: 'getOrder',
        summary: 'One order',
        tags: ['orders'],
        parameters: [parameterRef('OrderId')],
        responses: {
          '200': { description: 'The order', headers: { ETag: { $ref: '#/components/headers/ETag' } }, content: json(ref('Order')) },
          ...readErrors,
        },
      },
      patch: lifecycle(
        'updateOrder',
        'Replace items, address, priority or promised time (received or validated orders only)',
        {
          type: 'object',
          properties: {
            priority: priorityInput,
            promisedDeliveryAt: { ...nullable(dateTime), description: 'null removes the promise' },
            items: { type: 'array', items: ref('OrderItemInput'), minItems: 1, maxItems: ORDER_LIMITS.lines },
            shippingAddress: ref('ShippingAddressInput'),
          },
          minProperties: 1,
          additionalProperties: false,
        },
        true,
      ),
    },
    '/orders/{orderId}/validate': {
      put: validateOperation('validateOrder'),
      post: { ...validateOperation('validateOrderPost'), description: 'POST is accepted for older callers' },
    },
    '/orders/{orderId}/cancel': {
      put: cancelOperation('cancelOrder'),
      post: { ...cancelOperation('cancelOrderPost'), description: 'POST is accepted for older callers' },
    },
    '/orders/{orderId}/assign-wave': {
      put: lifecycle('assignOrderToWave', 'validated → assigned_to_wave; the same wave again is a no-op', input({ waveId: identifier }, ['waveId']), true),
    },
    '/orders/{orderId}/start-picking': { put: lifecycle('startPicking', 'assigned_to_wave → picking') },
    '/orders/{orderId}/start-packing': { put: lifecycle('startPacking', 'picking → packing') },
    '/orders/{orderId}/ship': {
      put: lifecycle(
        'shipOrder',
        'packing → shipped',
        input({ trackingNumber: requiredText(TEXT_LIMITS.trackingNumber), carrier: requiredText(TEXT_LIMITS.carrier) }, ['trackingNumber', 'carrier']),
        true,
      ),
    },
    '/orders/{orderId}/complete': {
      put: lifecycle('completeOrder', 'shipped → completed (delivery confirmed)', input({ deliveredAt: { ...dateTime, description: 'Default: now' } }, [])),
    },

    '/reprocessing/eligible': {
      get: {
        operationId: 'listOrdersEligibleForRetry',
        summary: 'Orders whose retry is due: failed at least once, fewer than maxRetries failures, not held, not finished; longest-due first',
        tags: ['reprocessing'],
        parameters: [
          { name: 'limit', in: 'query', schema: integer({ minimum: 1, maximum: LIST_LIMITS.retryEligibleMax, default: LIST_LIMITS.retryEligibleDefault }) },
          {
            name: 'maxRetries',
            in: 'query',
            description: "Default: the service's MAX_RETRIES",
            schema: integer({ minimum: 1, maximum: LIST_LIMITS.maxRetriesMax }),
          },
          {
            name: 'status',
            in: 'query',
            description: 'Repeatable (`?status=picking&status=packing`) or a comma list (`?status=picking,packing`)',
            schema: { type: 'array', items: orderStatus },
            style: 'form',
            explode: true,
          },
        ],
        responses: {
          '200': {
            description: 'Due orders; total counts every match',
            content: json(record({ data: { type: 'array', items: ref('RetryCandidate') }, total: integer({ minimum: 0 }) })),
          },
          ...getErrors,
        },
      },
    },
    '/reprocessing/orders/{orderId}/retry-count': {
      get: {
        operationId: 'getRetryMetadata',
        summary: "An order's retry count, last failure, next retry and whether it may still be retried",
        tags: ['reprocessing'],
        parameters: [parameterRef('OrderId')],
        responses: { '200': { description: 'Retry metadata', content: json(ref('RetryMetadata')) }, ...readErrors },
      },
      post: {
        operationId: 'incrementRetryCount',
        summary: 'Record a failed attempt: schedules the next retry with backoff, or moves the order to the dead letter queue at maxRetries',
        tags: ['reprocessing'],
        parameters: unconditionalWriteParameters,
        requestBody: {
          required: true,
          content: json(
            input(
              {
                failureReason: requiredText(TEXT_LIMITS.failureReason),
                failedAt: { ...dateTime, description: 'Default: now; the backoff counts from it' },
                failureStatus: { ...requiredText(TEXT_LIMITS.failureStatus), description: "Default: the order's status" },
                workflowId: requiredText(TEXT_LIMITS.workflowId),
                runId: requiredText(TEXT_LIMITS.runId),
              },
              ['failureReason'],
            ),
          ),
        },
        responses: { '200': { description: 'Retry metadata after the failure', content: json(ref('RetryMetadata')) }, ...unconditionalWriteErrors },
      },
    },
    '/reprocessing/orders/{orderId}/reset': {
      post: {
        operationId: 'resetOrderForRetry',
        summary: 'Back to validated (or received if never validated), wave cleared, retry count kept',
        tags: ['reprocessing'],
        parameters: unconditionalWriteParameters,
        responses: { ...orderResult('The order after the reset'), ...unconditionalWriteErrors },
      },
    },
    '/reprocessing/orders/{orderId}/dlq': {
      post: {
        operationId: 'moveOrderToDeadLetterQueue',
        summary: 'Hold the order in the dead letter queue for a supervisor',
        tags: ['reprocessing'],
        parameters: unconditionalWriteParameters,
        requestBody: {
          required: true,
          content: json(
            input({ failureStatus: requiredText(TEXT_LIMITS.failureStatus), failureReason: requiredText(TEXT_LIMITS.failureReason) }, [
              'failureStatus',
              'failureReason',
            ]),
          ),
        },
        responses: { '200': { description: 'The new dead letter queue entry', content: json(ref('DeadLetterEntry')) }, ...unconditionalWriteErrors },
      },
    },
    '/dead-letter-queue': {
      get: {
        operationId: 'listDeadLetterEntries',
        summary: 'Dead letter queue entries, newest first',
        tags: ['dead-letter-queue'],
        parameters: [
          { name: 'resolved', in: 'query', schema: { type: 'boolean' } },
          { name: 'failureStatus', in: 'query', schema: requiredText(TEXT_LIMITS.failureStatus) },
          { name: 'customerId', in: 'query', schema: identifier },
          {
            name: 'olderThanHours',
            in: 'query',
            description: 'Moved to the queue more than this many hours ago (fractions allowed)',
            schema: number({ minimum: 0, maximum: LIST_LIMITS.olderThanHoursMax }),
          },
          { name: 'limit', in: 'query', schema: integer({ minimum: 1, maximum: LIST_LIMITS.dlqMax, default: LIST_LIMITS.dlqDefault }) },
          { name: 'offset', in: 'query', schema: integer({ minimum: 0, maximum: LIST_LIMITS.offsetMax, default: 0 }) },
        ],
        responses: {
          '200': {
            description: 'One page of entries; total counts every match',
            content: json(
              record({
                data: { type: 'array', items: ref('DeadLetterEntry') },
                total: integer({ minimum: 0 }),
                limit: integer({ minimum: 1 }),
                offset: integer({ minimum: 0 }),
              }),
            ),
          },
          ...getErrors,
        },
      },
    },
    '/dead-letter-queue/stats': {
      get: {
        operationId: 'getDeadLetterStats',
        summary: 'The dead letter queue at a glance',
        tags: ['dead-letter-queue'],
        responses: { '200': { description: 'Statistics', content: json(ref('DeadLetterStats')) }, ...getErrors },
      },
    },
    '/dead-letter-queue/{orderId}': {
      get: {
        operationId: 'getDeadLetterEntry',
        summary: "An order's dead letter queue entry; 404 when it was never moved there",
        tags: ['dead-letter-queue'],
        parameters: [parameterRef('OrderId')],
        responses: { '200': { description: 'The entry', content: json(ref('DeadLetterEntry')) }, ...readErrors },
      },
    },
    '/dead-letter-queue/{orderId}/resolve': {
      patch: {
        operationId: 'resolveDeadLetterEntry',
        summary: 'Resolve an entry and apply the resolution to the order; 409 when already resolved',
        description: 'manual_retry releases the order and schedules a retry now; cancelled cancels it (reason: the notes); escalated keeps it held.',
        tags: ['dead-letter-queue'],
        parameters: unconditionalWriteParameters,
        requestBody: {
          required: true,
          content: json(
            input(
              {
                resolution: resolutionValue,
                notes: optionalText(TEXT_LIMITS.notes),
                resolvedBy: {
                  ...nullable(requiredText(TEXT_LIMITS.resolvedBy)),
                  description: 'The caller (their token subject); a different value is refused',
                },
              },
              ['resolution'],
            ),
          ),
        },
        responses: { '200': { description: 'The resolved entry', content: json(ref('DeadLetterEntry')) }, ...unconditionalWriteErrors },
      },
    },
  },
  components: {
    schemas: {
      Order: order,
      OrderItem: orderItem,
      ShippingAddress: shippingAddress,
      Cancellation: record({ reason: string(), cancelledAt: dateTime }),
      Backorder: record({
        backorderId: string({ pattern: '^BO-[0-9A-HJKMNP-TV-Z]{12}$' }),
        items: {
          type: 'array',
          items: record({ sku: string(), quantityShort: integer({ minimum: 1 }), reason: string({ enum: enumValues(BackorderReason) }) }),
        },
        status: string({ enum: enumValues(BackorderStatus) }),
        createdAt: dateTime,
        fulfilledAt: nullable(dateTime),
      }),
      RetryInfo: record({
        count: integer({ minimum: 0 }),
        maxRetries: integer({ minimum: 0 }),
        lastFailureReason: nullable(string()),
        lastFailureStatus: nullable(string()),
        lastFailedAt: nullable(dateTime),
        nextRetryAt: nullable(dateTime),
        history: { type: 'array', items: ref('RetryAttempt') },
      }),
      StatusChange: record({
        from: nullable(orderStatus),
        to: orderStatus,
        at: dateTime,
        reason: nullable(string()),
        correlationId: nullable(string()),
        actor: nullable(string({ description: 'Who made the change: the subject of their token' })),
      }),
      OrderItemInput: orderItemInput,
      ShippingAddressInput: shippingAddressInput,
      RetryMetadata: retryMetadata,
      RetryCandidate: retryCandidate,
      RetryAttempt: retryAttempt,
      DeadLetterEntry: deadLetterEntry,
      PastDeadLetterEntry: pastDeadLetterEntry,
      DeadLetterStats: deadLetterStats,
      Error: errorSchema,
    },
    parameters: {
      OrderId: { name: 'orderId', in: 'path', required: true, schema: string(), example: 'ORD-0123456789AB' },
      IfMatch: {
        name: 'If-Match',
        in: 'header',
        description: 'The ETag you read (`"3"`); the write fails with 412 when the order moved since. `*` means any version.',
        schema: string(),
      },
      IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        description:
          'Makes a retry safe for 24 h: the same key and body replay the first response (header Idempotent-Replayed); the same key with another body → 422 IDEMPOTENCY_KEY_REUSED; while the first is still running → 409 CONFLICT with Retry-After. 5xx answers are not kept.',
        schema: string({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' }),
      },
      CorrelationId: { name: 'X-WMS-Correlation-ID', in: 'header', description: 'Echoed on the response; generated when absent', schema: string() },
      WaveNumber: { name: 'X-WMS-Wave-Number', in: 'header', schema: string() },
      WorkflowId: { name: 'X-WMS-Workflow-ID', in: 'header', schema: string() },
    },
    headers: {
      ETag: { description: 'The order version as a strong entity tag, e.g. "3"', schema: string({ pattern: '^"[1-9][0-9]*"$' }) },
      Location: { description: 'Path of the created order', schema: string() },
      IdempotentReplayed: {
        description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
        schema: string({ enum: ['true'] }),
      },
    },
    responses: {
      BadRequest: errorResponse('VALIDATION_ERROR (details.issues name each bad field or parameter) or BAD_REQUEST (malformed JSON)'),
      NotFound: errorResponse('NOT_FOUND: no such order (or no such endpoint)'),
      Conflict: errorResponse('CONFLICT: not allowed in the current status (details.currentStatus), or the Idempotency-Key is still in flight'),
      PreconditionFailed: errorResponse('PRECONDITION_FAILED: If-Match does not match the current version'),
      PayloadTooLarge: errorResponse('PAYLOAD_TOO_LARGE: body over 1 MB'),
      UnsupportedMediaType: errorResponse('UNSUPPORTED_MEDIA_TYPE: a body that is not application/json'),
      Unprocessable: errorResponse('ORDER_INVALID (business rules, details.reasons) or IDEMPOTENCY_KEY_REUSED'),
      InternalError: errorResponse('INTERNAL_ERROR (never with internals)'),
      ServiceUnavailable: errorResponse('SERVICE_UNAVAILABLE: the database cannot be reached; retry later'),
    },
  },
};

/**
 * Every operation needs a bearer token with the scope of its route (src/rest/rest-scopes.ts, from the one table in
 * src/auth/scopes.ts), and may answer 401, 403 and 429.
 */
function withSecurity(document: OpenApiDocument): OpenApiDocument {
  const scopesOf = new Map([...orderRoutes, ...reprocessingRoutes, ...deadLetterRoutes].map((route) => [route.operationId, restRouteScopes(route)]));
  const paths = Object.fromEntries(
    Object.entries(document.paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => {
          const scopes = (scopesOf.get(operation!.operationId) ?? []).filter((scope) => scope !== AUTHENTICATED);
          return [
            method,
            {
              ...operation!,
              security: [{ bearerAuth: scopes }],
              responses: {
                ...operation!.responses,
                '401': responseRef('Unauthenticated'),
                '403': responseRef('Forbidden'),
                '429': responseRef('TooManyRequests'),
              },
            },
          ];
        }),
      ),
    ]),
  );
  return {
    ...document,
    paths,
    components: {
      ...document.components,
      responses: {
        ...document.components.responses,
        Unauthenticated: {
          ...errorResponse('UNAUTHENTICATED: no bearer token, or one that is malformed, expired, for another audience or not signed by a trusted key'),
          headers: { 'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750)', schema: string() } },
        },
        Forbidden: errorResponse('FORBIDDEN: the token lacks the scope this operation needs (details.requiredScope)'),
        TooManyRequests: {
          ...errorResponse('TOO_MANY_REQUESTS: over the per-address or per-caller rate limit'),
          headers: { 'Retry-After': { description: 'Seconds to wait', schema: string({ pattern: '^[0-9]+$' }) } },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT from the identity provider: `iss`/`aud` as configured, `sub` (recorded as the actor), the tenant claim, and OAuth scopes in `scope`.',
        },
      },
    },
  };
}

/**
 * OpenAPI links from the order a create answers to every operation on that order (`{orderId}` in the path), so a
 * client — or a stateful fuzzer — can follow from a created order to its lifecycle, reprocessing and DLQ operations.
 */
function withOrderLinks(document: OpenApiDocument): OpenApiDocument {
  const onOrder = Object.entries(document.paths)
    .filter(([path]) => path.includes('{orderId}'))
    .flatMap(([, operations]) => Object.values(operations).map((operation) => operation!.operationId));
  const links = Object.fromEntries(
    onOrder.map((operationId) => [
      operationId[0].toUpperCase() + operationId.slice(1),
      { operationId, parameters: { orderId: '$response.body#/orderId' }, description: `The created order, by its orderId` },
    ]),
  );
  const create = document.paths['/orders'].post!;
  return {
    ...document,
    paths: {
      ...document.paths,
      '/orders': { ...document.paths['/orders'], post: { ...create, responses: { ...create.responses, '201': { ...create.responses['201'], links } } } },
    },
  };
}

export const openApiDocument: OpenApiDocument = withSecurity(withOrderLinks(documentWithoutSecurity));
