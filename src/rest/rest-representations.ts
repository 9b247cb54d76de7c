import { z } from 'zod/v4';
import { BACKORDER_ID_PATTERN, ORDER_ID_PATTERN } from '../models/order-ids';
import { REDRIVE_STATUSES } from '../models/dead-letter-redrive';
import { BACKORDER_REASONS, BACKORDER_STATUSES, DLQ_RESOLUTIONS, ORDER_STATUSES, PRIORITIES } from '../models/order.types';

/**
 * What the REST layer answers, as zod schemas: the response mappers (`*.routes.ts`) are typed by them, and the
 * OpenAPI document publishes them (components.schemas, by the names registered below). Objects are closed and list
 * every field: absent values are null, never missing.
 */

/** The names under which the document publishes these schemas (`#/components/schemas/<id>`). */
export const restRepresentations = z.registry<{ id: string; description?: string }>();

function published<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  restRepresentations.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

const dateTime = z.string().meta({ format: 'date-time' });
const count = z.int().min(0);
const orderStatus = z.enum(ORDER_STATUSES);
/** The latest failed attempt, as the order, its retry metadata and a retry candidate all carry it. */
const lastFailure = { lastFailureReason: z.string().nullable(), lastFailureStatus: z.string().nullable(), lastFailedAt: dateTime.nullable() };
const resolution = z.enum(DLQ_RESOLUTIONS);

const orderItem = published(
  z.strictObject({
    sku: z.string(),
    quantity: z.int().min(1),
    unitPrice: z.number().min(0),
    productName: z.string().nullable(),
    weight: z.number().min(0).nullable(),
    quantityFulfilled: count.nullable(),
    quantityBackordered: count.nullable(),
  }),
  'OrderItem',
);

const shippingAddress = published(
  z.strictObject({
    street: z.string(),
    street2: z.string().nullable(),
    city: z.string(),
    state: z.string(),
    zipCode: z.string(),
    country: z.string().regex(/^[A-Z]{2}$/),
    recipientName: z.string().nullable(),
    phone: z.string().nullable(),
  }),
  'ShippingAddress',
);

const cancellation = published(z.strictObject({ reason: z.string(), cancelledAt: dateTime }), 'Cancellation');

const backorder = published(
  z.strictObject({
    backorderId: z.string().regex(BACKORDER_ID_PATTERN),
    items: z.array(z.strictObject({ sku: z.string(), quantityShort: z.int().min(1), reason: z.enum(BACKORDER_REASONS) })),
    status: z.enum(BACKORDER_STATUSES),
    createdAt: dateTime,
    fulfilledAt: dateTime.nullable(),
  }),
  'Backorder',
);

const retryAttempt = published(
  z.strictObject({
    attempt: z.int().min(1),
    failureReason: z.string(),
    failureStatus: z.string(),
    failedAt: dateTime,
    workflowId: z.string().nullable(),
    runId: z.string().nullable(),
  }),
  'RetryAttempt',
);

const retryInfo = published(
  z.strictObject({
    count,
    maxRetries: count,
    ...lastFailure,
    nextRetryAt: dateTime.nullable(),
    history: z.array(retryAttempt),
  }),
  'RetryInfo',
);

const statusChange = published(
  z.strictObject({
    from: orderStatus.nullable(),
    to: orderStatus,
    at: dateTime,
    reason: z.string().nullable(),
    correlationId: z.string().nullable(),
    actor: z.string().nullable().meta({ description: 'Who made the change: the subject of their token' }),
  }),
  'StatusChange',
);

const deadLetterHistoryEntry = published(
  z.strictObject({
    failureStatus: z.string(),
    failureReason: z.string(),
    retryCount: count,
    resolution: resolution.nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: dateTime.nullable(),
    notes: z.string().nullable(),
    createdAt: dateTime.meta({ description: 'When the order was moved to the dead letter queue' }),
    updatedAt: dateTime,
  }),
  'DeadLetterHistoryEntry',
  'A past dead letter queue entry of the order, as the order keeps it',
);

export const restOrderSchema = published(
  z.strictObject({
    orderId: z.string().regex(ORDER_ID_PATTERN),
    customerId: z.string(),
    priority: z.enum(PRIORITIES),
    status: orderStatus,
    promisedDeliveryAt: dateTime.nullable(),
    items: z.array(orderItem).min(1),
    shippingAddress,
    totalItems: z.int().min(1),
    totalQuantity: z.int().min(1),
    totalWeight: z.number().min(0),
    totalValue: z.number().min(0),
    isLate: z.boolean(),
    waveId: z.string().nullable(),
    trackingNumber: z.string().nullable(),
    carrier: z.string().nullable(),
    cancellation: cancellation.nullable(),
    deliveredAt: dateTime.nullable(),
    backorders: z.array(backorder),
    fulfillmentRatio: z.number().min(0).max(1).nullable(),
    retry: retryInfo,
    deadLettered: z.boolean(),
    deadLetterHistory: z.array(deadLetterHistoryEntry).meta({
      description: 'Earlier dead letter queue entries, oldest first: replaced by a later move, or retired by the retention (DLQ_RETENTION)',
    }),
    version: z.int().min(1).meta({ description: 'Also sent as the ETag; pass it back in If-Match' }),
    statusHistory: z.array(statusChange),
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
  'Order',
  'A customer order',
);
export type RestOrder = z.output<typeof restOrderSchema>;

const resolutionFields = {
  resolved: z.boolean(),
  resolution: resolution.nullable(),
  resolvedBy: z.string().nullable(),
  resolvedAt: dateTime.nullable(),
  notes: z.string().nullable(),
  createdAt: dateTime.meta({ description: 'When the order was moved to the dead letter queue' }),
  updatedAt: dateTime,
};

const pastDeadLetterEntry = published(
  z.strictObject({ failureStatus: z.string(), failureReason: z.string(), retryCount: count, retryHistory: z.array(retryAttempt), ...resolutionFields }),
  'PastDeadLetterEntry',
);

export const restDeadLetterEntrySchema = published(
  z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    failureStatus: z.string().meta({ description: 'Where processing failed (free text, e.g. picking, shipping)' }),
    failureReason: z.string(),
    retryCount: count,
    retryHistory: z.array(retryAttempt),
    // The order as it stood when it was moved (a description here would copy the schema rather than refer to it).
    originalOrder: restOrderSchema,
    ...resolutionFields,
    history: z.array(pastDeadLetterEntry).meta({ description: 'Earlier entries of this order, each resolved, oldest first' }),
  }),
  'DeadLetterEntry',
  'An order held (or once held) by the dead letter queue; one current entry per order',
);
export type RestDeadLetterEntry = z.output<typeof restDeadLetterEntrySchema>;

export const restRetryMetadataSchema = published(
  z.strictObject({
    orderId: z.string(),
    retryCount: count,
    maxRetries: count,
    ...lastFailure,
    nextRetryAt: dateTime.nullable(),
    isEligibleForRetry: z.boolean(),
  }),
  'RetryMetadata',
);

const retryCandidate = published(
  z.strictObject({
    orderId: z.string(),
    customerId: z.string(),
    status: orderStatus,
    retryCount: z.int().min(1),
    maxRetries: count,
    ...lastFailure,
    nextRetryAt: dateTime,
    createdAt: dateTime,
  }),
  'RetryCandidate',
);

export const restDeadLetterStatsSchema = published(
  z.strictObject({
    totalEntries: count,
    unresolvedCount: count,
    resolvedCount: count,
    byFailureStatus: z.record(z.string(), z.int().min(1)).meta({ description: 'Unresolved entries per failure status' }),
    byResolution: z
      .strictObject(Object.fromEntries(DLQ_RESOLUTIONS.map((value) => [value, count])) as Record<(typeof DLQ_RESOLUTIONS)[number], typeof count>)
      .meta({
        description: 'Resolved entries per resolution',
      }),
    oldestUnresolvedAt: dateTime.nullable(),
    averageRetries: z.number().min(0),
  }),
  'DeadLetterStats',
);
export type RestDeadLetterStats = z.output<typeof restDeadLetterStatsSchema>;

export const restOrderPageSchema = published(
  z.strictObject({
    data: z.array(restOrderSchema),
    pagination: z.strictObject({ page: z.int().min(1), pageSize: z.int().min(1), total: count, hasMore: z.boolean() }),
  }),
  'OrderPage',
  'One page of orders',
);

export const restRetryCandidatesSchema = published(
  z.strictObject({ data: z.array(retryCandidate), total: count.meta({ description: 'Every match, not just this page' }) }),
  'RetryCandidates',
  'Orders due for a retry',
);

export const restDeadLetterPageSchema = published(
  z.strictObject({ data: z.array(restDeadLetterEntrySchema), total: count, limit: z.int().min(1), offset: count }),
  'DeadLetterPage',
  'One page of dead letter queue entries; total counts every match',
);

const redriveFailure = published(
  z.strictObject({
    orderId: z.string(),
    code: z.string().meta({ description: 'ALREADY_RESOLVED (resolved by someone else meanwhile), NOT_FOUND, CONFLICT, …' }),
    message: z.string(),
  }),
  'DeadLetterRedriveFailure',
);

export const restDeadLetterRedriveTaskSchema = published(
  z.strictObject({
    taskId: z.string(),
    status: z.enum(REDRIVE_STATUSES),
    filter: z.strictObject({
      failureStatus: z.string().nullable(),
      customerId: z.string().nullable(),
      olderThanHours: z.number().min(0).nullable(),
      reasonContains: z.string().nullable(),
      orderIds: z.array(z.string()).nullable(),
    }),
    cap: z.int().min(1),
    ratePerSecond: z.int().min(1),
    total: count.meta({ description: 'Entries selected when the task was started' }),
    done: count.meta({ description: 'Entries the task resolved (as manual_retry, by the actor)' }),
    failed: count.meta({ description: 'Entries it could not resolve; done + failed = total once completed' }),
    failures: z.array(redriveFailure).meta({ description: 'The first 100 failures' }),
    actor: z.string(),
    notes: z.string().nullable(),
    createdAt: dateTime,
    startedAt: dateTime.nullable(),
    finishedAt: dateTime.nullable(),
    cancelRequestedAt: dateTime.nullable(),
  }),
  'DeadLetterRedriveTask',
  'A bulk redrive of dead letter queue entries',
);
export type RestDeadLetterRedriveTask = z.output<typeof restDeadLetterRedriveTaskSchema>;

export const restDeadLetterRedriveTaskPageSchema = published(
  z.strictObject({ data: z.array(restDeadLetterRedriveTaskSchema), total: count, limit: z.int().min(1), offset: count }),
  'DeadLetterRedriveTaskPage',
  'One page of redrive tasks, newest first',
);

export const restErrorSchema = published(
  z.strictObject({
    code: z.string().meta({
      description:
        'VALIDATION_ERROR, BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, TOO_MANY_REQUESTS, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, PRECONDITION_FAILED, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, ORDER_INVALID, IDEMPOTENCY_KEY_REUSED, INTERNAL_ERROR, SERVICE_UNAVAILABLE',
    }),
    message: z.string(),
    details: z
      .looseObject({
        issues: z.array(z.strictObject({ field: z.string().min(1), message: z.string().min(1) })).min(1),
        currentStatus: z.string(),
        expectedVersion: z.int(),
        actualVersion: z.int(),
        reasons: z.array(z.string()),
        allowed: z.array(z.string()),
      })
      .partial()
      .meta({
        description:
          'VALIDATION_ERROR: `issues` [{field, message}] naming each bad field; CONFLICT: `currentStatus`, `operation`, `reason` (or `inFlight` for an Idempotency-Key still running); PRECONDITION_FAILED: `expectedVersion`, `actualVersion`; ORDER_INVALID: `reasons`; NOT_FOUND: `orderId`; METHOD_NOT_ALLOWED: `allowed`',
      })
      .optional(),
    requestId: z.string().min(1),
    timestamp: dateTime,
    path: z.string().regex(/^\//),
  }),
  'Error',
  'The one body of every failure',
);
export type RestErrorBody = z.output<typeof restErrorSchema>;
