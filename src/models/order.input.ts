import { z } from 'zod';
import { IDENTIFIER_PATTERN, IDENTIFIER_RULE, LIST_LIMITS, ORDER_LIMITS, TEXT_LIMITS } from './input-limits';
import { isAssignedCountryCode } from './iso-countries';
import { toCents } from './money';
import { InvalidInput, type FieldIssue } from './order.errors';
import {
  BACKORDER_REASONS,
  DLQ_RESOLUTIONS,
  ORDER_STATUSES,
  PRIORITIES,
  type BackorderReason,
  type DlqResolution,
  type OrderLine,
  type OrderStatus,
  type Priority,
  type ShippingAddress,
} from './order.types';
import { parseRfc3339 } from './rfc3339';

/**
 * Every input of CONTRACT §1–3 checked at the boundary, before any use case runs: a bad input is
 * rejected as a whole with one InvalidInput naming each bad field by its dotted path, and nothing is stored.
 * Inputs arrive as plain JS objects (REST bodies, GraphQL arguments), enum values already lower-case.
 */

export type OrderLineDraft = Pick<OrderLine, 'sku' | 'quantity' | 'unitPriceCents' | 'productName' | 'weight'>;

export interface CreateOrderCommand {
  customerId: string;
  priority: Priority;
  promisedDeliveryAt: Date | null;
  items: OrderLineDraft[];
  shippingAddress: ShippingAddress;
}

/** A present key replaces the current value; `promisedDeliveryAt: null` removes the promise. */
export interface UpdateOrderCommand {
  items?: OrderLineDraft[];
  shippingAddress?: ShippingAddress;
  priority?: Priority;
  promisedDeliveryAt?: Date | null;
}

export interface Shipment {
  trackingNumber: string;
  carrier: string;
}

export interface FulfilmentReport {
  sku: string;
  quantityFulfilled: number;
  /** Required for a line reported short; the use case checks it because only the order knows the ordered quantity. */
  reason: BackorderReason | null;
}

export interface RetryFailure {
  failureReason: string;
  /** Null: the time of the call. */
  failedAt: Date | null;
  /** Null: the order's current status. */
  failureStatus: string | null;
  workflowId: string | null;
  runId: string | null;
}

export interface DlqMove {
  failureStatus: string;
  failureReason: string;
}

export interface DlqResolutionInput {
  resolution: DlqResolution;
  notes: string | null;
  /** Null: the caller's identity, filled in by the service. */
  resolvedBy: string | null;
}

const MAX_LINES = ORDER_LIMITS.lines;
const MAX_QUANTITY = ORDER_LIMITS.quantity;
const DATE_TIME_MESSAGE = 'expected an RFC 3339 date-time with offset, e.g. 2024-12-27T17:00:00Z';

const identifier = z.string().regex(new RegExp(IDENTIFIER_PATTERN), IDENTIFIER_RULE);

const requiredText = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Absent, null and blank all mean "not given", stored as null. */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => (value ? value : null));

// Accepts a Date too, because a GraphQL DateTime scalar hands resolvers Dates rather than strings.
const dateTime = z
  .custom<string | Date>((value) => typeof value === 'string' || value instanceof Date, DATE_TIME_MESSAGE)
  .transform((value, ctx) => {
    const instant = typeof value === 'string' ? parseRfc3339(value) : Number.isNaN(value.getTime()) ? null : new Date(value.getTime());
    if (!instant) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: DATE_TIME_MESSAGE });
      return z.NEVER;
    }
    return instant;
  });

const optionalDateTime = dateTime.nullish().transform((value) => value ?? null);

const unitPrice = z
  .number()
  .finite('must be a finite number')
  .nonnegative('must not be negative')
  .transform((amount, ctx) => {
    const conversion = toCents(amount);
    if (!conversion.ok) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: conversion.problem });
      return z.NEVER;
    }
    return conversion.cents;
  });

const sku = requiredText(TEXT_LIMITS.sku);

function rejectDuplicateSkus(lines: ReadonlyArray<{ sku: string }>, ctx: z.RefinementCtx): void {
  const firstIndexBySku = new Map<string, number>();
  lines.forEach((line, index) => {
    const first = firstIndexBySku.get(line.sku);
    if (first === undefined) firstIndexBySku.set(line.sku, index);
    else ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index, 'sku'], message: `duplicates the sku of line ${first}` });
  });
}

const orderLine = z
  .object({
    sku,
    quantity: z.number().int('must be an integer').min(1, 'must be at least 1').max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`),
    unitPrice,
    productName: optionalText(TEXT_LIMITS.productName),
    weight: z
      .number()
      .finite('must be a finite number')
      .nonnegative('must not be negative')
      .nullish()
      .transform((value) => value ?? null),
  })
  .strict()
  .transform(({ unitPrice: unitPriceCents, ...line }): OrderLineDraft => ({ ...line, unitPriceCents }));

const orderLines = z
  .array(orderLine)
  .min(1, 'an order needs at least 1 line')
  .max(MAX_LINES, `an order has at most ${MAX_LINES} lines`)
  .superRefine((lines, ctx) => {
    rejectDuplicateSkus(lines, ctx);
    const totalCents = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
    if (!Number.isSafeInteger(totalCents)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'the total value is too large to be computed exactly' });
    }
  });

const countryCode = z.string().superRefine((code, ctx) => {
  if (isAssignedCountryCode(code)) return;
  const upper = code.toUpperCase();
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: isAssignedCountryCode(upper) ? `must be upper case: ${upper}` : 'expected an assigned ISO 3166-1 alpha-2 country code, e.g. US',
  });
});

const shippingAddress = z
  .object({
    street: requiredText(TEXT_LIMITS.addressLine),
    street2: optionalText(TEXT_LIMITS.addressLine),
    city: requiredText(TEXT_LIMITS.addressLine),
    state: requiredText(TEXT_LIMITS.addressLine),
    zipCode: requiredText(TEXT_LIMITS.addressLine),
    country: countryCode,
    recipientName: optionalText(TEXT_LIMITS.addressLine),
    phone: optionalText(TEXT_LIMITS.phone),
  })
  .strict();

const priority = z.enum(PRIORITIES);

const createOrderInput = z.object({ customerId: identifier, priority, promisedDeliveryAt: optionalDateTime, items: orderLines, shippingAddress }).strict();

const UPDATABLE_FIELDS = ['items', 'shippingAddress', 'priority', 'promisedDeliveryAt'] as const;

const updateOrderInput = z
  .object({
    items: orderLines.nullish(),
    shippingAddress: shippingAddress.nullish(),
    priority: priority.nullish(),
    // Unlike the others, an explicit null here means something: remove the promised delivery time.
    promisedDeliveryAt: dateTime.nullable().optional(),
  })
  .strict()
  .transform((patch, ctx) => {
    const command: UpdateOrderCommand = {};
    if (patch.items) command.items = patch.items;
    if (patch.shippingAddress) command.shippingAddress = patch.shippingAddress;
    if (patch.priority) command.priority = patch.priority;
    if (patch.promisedDeliveryAt !== undefined) command.promisedDeliveryAt = patch.promisedDeliveryAt;
    if (Object.keys(command).length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected at least one of ${UPDATABLE_FIELDS.join(', ')}` });
      return z.NEVER;
    }
    return command;
  });

const fulfilmentLines = z
  .array(
    z.object({
      sku,
      quantityFulfilled: z.number().int('must be an integer').min(0, 'must not be negative').max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`),
      reason: z
        .enum(BACKORDER_REASONS)
        .nullish()
        .transform((value) => value ?? null),
    }),
  )
  .min(1, 'expected at least 1 line')
  .max(MAX_LINES, `expected at most ${MAX_LINES} lines`)
  .superRefine(rejectDuplicateSkus);

const retryFailure = z.object({
  failureReason: requiredText(TEXT_LIMITS.failureReason),
  failedAt: optionalDateTime,
  failureStatus: requiredText(TEXT_LIMITS.failureStatus)
    .nullish()
    .transform((value) => value ?? null),
  workflowId: requiredText(TEXT_LIMITS.workflowId)
    .nullish()
    .transform((value) => value ?? null),
  runId: requiredText(TEXT_LIMITS.runId)
    .nullish()
    .transform((value) => value ?? null),
});

const dlqMove = z.object({ failureStatus: requiredText(TEXT_LIMITS.failureStatus), failureReason: requiredText(TEXT_LIMITS.failureReason) });

const dlqResolution = z.object({
  resolution: z.enum(DLQ_RESOLUTIONS),
  notes: optionalText(TEXT_LIMITS.notes),
  resolvedBy: requiredText(TEXT_LIMITS.resolvedBy)
    .nullish()
    .transform((value) => value ?? null),
});

function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      return issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: issue.path.join('.') || 'input', message: issue.message === 'Required' ? 'required' : issue.message }];
  });
}

function parseWith<Schema extends z.ZodTypeAny>(schema: Schema, raw: unknown): z.output<Schema> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new InvalidInput(toFieldIssues(result.error));
  return result.data;
}

export function parseCreateOrderInput(raw: unknown): CreateOrderCommand {
  return parseWith(createOrderInput, raw);
}

export function parseUpdateOrderInput(raw: unknown): UpdateOrderCommand {
  return parseWith(updateOrderInput, raw);
}

// Single values are wrapped in an object so that the error names the argument, e.g. `reason`.

export function parseCancelReason(raw: unknown): string {
  return parseWith(z.object({ reason: requiredText(TEXT_LIMITS.cancelReason) }), { reason: raw }).reason;
}

export function parseWaveId(raw: unknown): string {
  return parseWith(z.object({ waveId: identifier }), { waveId: raw }).waveId;
}

export function parseShipment(raw: unknown): Shipment {
  return parseWith(z.object({ trackingNumber: requiredText(TEXT_LIMITS.trackingNumber), carrier: requiredText(TEXT_LIMITS.carrier) }), raw);
}

export function parseDeliveredAt(raw: unknown, now: Date): Date {
  return parseWith(z.object({ deliveredAt: optionalDateTime }), { deliveredAt: raw }).deliveredAt ?? now;
}

export function parsePartialFulfillment(raw: unknown): FulfilmentReport[] {
  return parseWith(z.object({ lines: fulfilmentLines }), { lines: raw }).lines;
}

export function parseRetryFailure(raw: unknown): RetryFailure {
  return parseWith(retryFailure, raw);
}

export function parseDlqMove(raw: unknown): DlqMove {
  return parseWith(dlqMove, raw);
}

export function parseDlqResolution(raw: unknown): DlqResolutionInput {
  return parseWith(dlqResolution, raw);
}

export const DLQ_LIST_DEFAULT_LIMIT = LIST_LIMITS.dlqDefault;
export const DLQ_LIST_MAX_LIMIT = LIST_LIMITS.dlqMax;
export const RETRY_ELIGIBLE_DEFAULT_LIMIT = LIST_LIMITS.retryEligibleDefault;
export const RETRY_ELIGIBLE_MAX_LIMIT = LIST_LIMITS.retryEligibleMax;
const MAX_OFFSET = LIST_LIMITS.offsetMax;

export interface DeadLetterListQuery {
  /** Null: resolved and unresolved entries. */
  resolved: boolean | null;
  failureStatus: string | null;
  customerId: string | null;
  /** Fractional hours: only entries moved to the DLQ longer ago than this. */
  olderThanHours: number | null;
  limit: number;
  offset: number;
}

export interface RetryEligibilityQuery {
  limit: number;
  /** Orders with this many failures or more are not eligible; null: the service's MAX_RETRIES. */
  maxRetries: number | null;
  /** Null: any status that is not finished. */
  statuses: OrderStatus[] | null;
}

const pageLimit = (fallback: number, max: number) =>
  z
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .nullish()
    .transform((value) => value ?? fallback);

const deadLetterListQuery = z.object({
  resolved: z
    .boolean()
    .nullish()
    .transform((value) => value ?? null),
  failureStatus: requiredText(TEXT_LIMITS.failureStatus)
    .nullish()
    .transform((value) => value ?? null),
  customerId: identifier.nullish().transform((value) => value ?? null),
  olderThanHours: z
    .number()
    .finite('must be a finite number')
    .nonnegative('must not be negative')
    .max(LIST_LIMITS.olderThanHoursMax, `must be at most ${LIST_LIMITS.olderThanHoursMax}`)
    .nullish()
    .transform((value) => value ?? null),
  limit: pageLimit(DLQ_LIST_DEFAULT_LIMIT, DLQ_LIST_MAX_LIMIT),
  offset: z
    .number()
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(MAX_OFFSET, `must be at most ${MAX_OFFSET}`)
    .nullish()
    .transform((value) => value ?? 0),
});

export function parseDeadLetterListQuery(raw: unknown): DeadLetterListQuery {
  return parseWith(deadLetterListQuery, raw);
}

/** No `maxRetries`: the service's MAX_RETRIES (applied by the use case). An empty status list means no status filter. */
export function parseRetryEligibilityQuery(raw: unknown): RetryEligibilityQuery {
  const schema = z.object({
    limit: pageLimit(RETRY_ELIGIBLE_DEFAULT_LIMIT, RETRY_ELIGIBLE_MAX_LIMIT),
    maxRetries: z
      .number()
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(LIST_LIMITS.maxRetriesMax, `must be at most ${LIST_LIMITS.maxRetriesMax}`)
      .nullish()
      .transform((value) => value ?? null),
    statuses: z
      .array(z.enum(ORDER_STATUSES))
      .nullish()
      .transform((value) => (value && value.length > 0 ? [...new Set(value)] : null)),
  });
  return parseWith(schema, raw);
}
