import { z } from 'zod/v4';
import { IDENTIFIER_PATTERN, IDENTIFIER_RULE, LABEL_PATTERN, LIST_LIMITS, NOT_BLANK_PATTERN, ORDER_LIMITS, TEXT_LIMITS } from './input-limits';
import { ISO_COUNTRY_CODES, isAssignedCountryCode } from './iso-countries';
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

export const identifier = z.string().regex(new RegExp(IDENTIFIER_PATTERN), IDENTIFIER_RULE);

/** Characters as JSON Schema's `maxLength` counts them (code points), not UTF-16 units as `String#length` does. */
function characters(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Text of at most `max` characters, counted as sent (before any trimming), as the published `maxLength` says. */
const textOfAtMost = (max: number) => z.string().refine((text) => characters(text) <= max, `must be at most ${max} characters`);

/**
 * Trimmed text that must hold something, optionally of `allowed` characters only. Length and characters are checked
 * before trimming, so that the limits a published schema states (`maxLength`, `pattern`) are exactly the ones enforced.
 */
export const requiredText = (max: number, allowed?: { pattern: string; message: string }) => {
  const text = textOfAtMost(max);
  return (allowed ? text.regex(new RegExp(allowed.pattern), allowed.message) : text)
    .regex(new RegExp(NOT_BLANK_PATTERN), 'must not be empty')
    .trim()
    .meta({ maxLength: max });
};

/** A failure status: required text without control characters (LABEL_PATTERN). */
export const failureStatus = requiredText(TEXT_LIMITS.failureStatus, { pattern: LABEL_PATTERN, message: 'must not contain control characters' });

/** Absent, null and blank all mean "not given", stored as null. */
export const optionalText = (max: number) =>
  textOfAtMost(max)
    .trim()
    .meta({ maxLength: max })
    .nullish()
    .transform((value) => (value ? value : null));

/** A present text must hold something; absent or null mean "not given". */
const optionalRequiredText = (max: number) =>
  requiredText(max)
    .nullish()
    .transform((value) => value ?? null);

// Accepts a Date too, because a GraphQL DateTime scalar hands resolvers Dates rather than strings; published as the
// JSON string it is on the wire.
const dateTime = z
  .custom<string | Date>((value) => typeof value === 'string' || value instanceof Date, DATE_TIME_MESSAGE)
  .transform((value, ctx) => {
    const instant = typeof value === 'string' ? parseRfc3339(value) : Number.isNaN(value.getTime()) ? null : new Date(value.getTime());
    if (!instant) {
      ctx.addIssue({ code: 'custom', message: DATE_TIME_MESSAGE });
      return z.NEVER;
    }
    return instant;
  })
  .meta({ type: 'string', format: 'date-time' });

const optionalDateTime = dateTime.nullish().transform((value) => value ?? null);

/** A decimal amount with at most 2 decimals, read into integer cents (money.ts). */
const unitPrice = z
  .number()
  .min(0, 'must not be negative')
  .max(ORDER_LIMITS.unitPrice, `must be at most ${ORDER_LIMITS.unitPrice}`)
  .meta({ multipleOf: 0.01, description: 'At most 2 decimals' })
  .transform((amount, ctx) => {
    const conversion = toCents(amount);
    if (!conversion.ok) {
      ctx.addIssue({ code: 'custom', message: conversion.problem });
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
    else ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: `duplicates the sku of line ${first}` });
  });
}

const orderLine = z
  .strictObject({
    sku,
    quantity: z.number().int('must be an integer').min(1, 'must be at least 1').max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`),
    unitPrice,
    productName: optionalText(TEXT_LIMITS.productName),
    weight: z
      .number()
      .min(0, 'must not be negative')
      .max(ORDER_LIMITS.weight, `must be at most ${ORDER_LIMITS.weight}`)
      .meta({ description: 'Kilograms per unit' })
      .nullish()
      .transform((value) => value ?? null),
  })
  .transform(({ unitPrice: unitPriceCents, ...line }): OrderLineDraft => ({ ...line, unitPriceCents }));

// The limits make every total exact (input-limits.ts), so only the duplicate skus are left to check across lines.
const orderLines = z
  .array(orderLine)
  .min(1, 'an order needs at least 1 line')
  .max(MAX_LINES, `an order has at most ${MAX_LINES} lines`)
  .superRefine(rejectDuplicateSkus)
  .meta({ description: 'Each sku at most once' });

const countryCode = z
  .string()
  .superRefine((code, ctx) => {
    if (isAssignedCountryCode(code)) return;
    const upper = code.toUpperCase();
    ctx.addIssue({
      code: 'custom',
      message: isAssignedCountryCode(upper) ? `must be upper case: ${upper}` : 'expected an assigned ISO 3166-1 alpha-2 country code, e.g. US',
    });
  })
  .meta({ enum: [...ISO_COUNTRY_CODES].sort(), description: 'An assigned ISO 3166-1 alpha-2 code, upper case' });

const shippingAddress = z.strictObject({
  street: requiredText(TEXT_LIMITS.addressLine),
  street2: optionalText(TEXT_LIMITS.addressLine),
  city: requiredText(TEXT_LIMITS.addressLine),
  state: requiredText(TEXT_LIMITS.addressLine),
  zipCode: requiredText(TEXT_LIMITS.addressLine),
  country: countryCode,
  recipientName: optionalText(TEXT_LIMITS.addressLine),
  phone: optionalText(TEXT_LIMITS.phone),
});

const priority = z.enum(PRIORITIES);

export const createOrderInputSchema = z.strictObject({
  customerId: identifier,
  priority,
  promisedDeliveryAt: optionalDateTime,
  items: orderLines,
  shippingAddress,
});

const UPDATABLE_FIELDS = ['items', 'shippingAddress', 'priority', 'promisedDeliveryAt'] as const;

export const updateOrderInputSchema = z
  .strictObject({
    items: orderLines.nullish(),
    shippingAddress: shippingAddress.nullish(),
    priority: priority.nullish(),
    // Unlike the others, an explicit null here means something: remove the promised delivery time.
    promisedDeliveryAt: dateTime.nullable().optional().meta({ description: 'null removes the promise' }),
  })
  .transform((patch, ctx) => {
    // Bad fields are reported already (zod runs this after continuable issues too): "nothing to change" would be noise.
    if (ctx.issues.length > 0) return z.NEVER;
    const command: UpdateOrderCommand = {};
    if (patch.items) command.items = patch.items;
    if (patch.shippingAddress) command.shippingAddress = patch.shippingAddress;
    if (patch.priority) command.priority = patch.priority;
    if (patch.promisedDeliveryAt !== undefined) command.promisedDeliveryAt = patch.promisedDeliveryAt;
    if (Object.keys(command).length === 0) {
      ctx.addIssue({ code: 'custom', message: `expected at least one of ${UPDATABLE_FIELDS.join(', ')}` });
      return z.NEVER;
    }
    return command;
  })
  // Published as the rule above: a value for one of the fields, or promisedDeliveryAt given (where null means remove).
  .meta({
    anyOf: [
      ...UPDATABLE_FIELDS.filter((field) => field !== 'promisedDeliveryAt').map((field) => ({
        required: [field],
        properties: { [field]: { not: { type: 'null' } } },
      })),
      { required: ['promisedDeliveryAt'] },
    ],
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

// The bodies of the single-purpose operations: what REST receives and what the parsers below read.

export const cancelInputSchema = z.strictObject({ reason: requiredText(TEXT_LIMITS.cancelReason) });

export const waveInputSchema = z.strictObject({ waveId: identifier });

export const shipmentSchema = z.strictObject({ trackingNumber: requiredText(TEXT_LIMITS.trackingNumber), carrier: requiredText(TEXT_LIMITS.carrier) });

export const deliveryInputSchema = z.strictObject({ deliveredAt: optionalDateTime.meta({ description: 'Default: now' }) });

export const retryFailureSchema = z.strictObject({
  failureReason: requiredText(TEXT_LIMITS.failureReason),
  failedAt: optionalDateTime.meta({ description: 'Default: now; the backoff counts from it' }),
  failureStatus: failureStatus
    .nullish()
    .transform((value) => value ?? null)
    .meta({ description: "Where processing failed; default: the order's status" }),
  workflowId: optionalRequiredText(TEXT_LIMITS.workflowId),
  runId: optionalRequiredText(TEXT_LIMITS.runId),
});

export const dlqMoveSchema = z.strictObject({ failureStatus, failureReason: requiredText(TEXT_LIMITS.failureReason) });

export const dlqResolutionSchema = z.strictObject({
  resolution: z.enum(DLQ_RESOLUTIONS),
  notes: optionalText(TEXT_LIMITS.notes),
  resolvedBy: optionalRequiredText(TEXT_LIMITS.resolvedBy),
});

/** Words for the generic failures, in the terms of JSON (the schemas' own messages say the rest). */
const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'a boolean',
  object: 'an object',
  array: 'a list',
};

const issueMessage: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    if (issue.input === null) return 'must not be null';
    return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
  }
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map(String).sort().join(', ')}`;
  return undefined;
};

function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...issue.path, key].join('.') || 'input', message: 'unknown field' }));
    }
    return [{ field: issue.path.join('.') || 'input', message: issue.message }];
  });
}

export type InputCheck<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/** Checks `raw` against one of these schemas; the issues name each bad field by its dotted path (`input` = the whole). */
export function checkInput<Schema extends z.ZodType>(schema: Schema, raw: unknown): InputCheck<z.output<Schema>> {
  const result = schema.safeParse(raw, { error: issueMessage });
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toFieldIssues(result.error) };
}

export function parseWith<Schema extends z.ZodType>(schema: Schema, raw: unknown): z.output<Schema> {
  const result = checkInput(schema, raw);
  if (!result.ok) throw new InvalidInput(result.issues);
  return result.value;
}

export function parseCreateOrderInput(raw: unknown): CreateOrderCommand {
  return parseWith(createOrderInputSchema, raw);
}

export function parseUpdateOrderInput(raw: unknown): UpdateOrderCommand {
  return parseWith(updateOrderInputSchema, raw);
}

// Single values are wrapped in an object so that the error names the argument, e.g. `reason`.

export function parseCancelReason(raw: unknown): string {
  return parseWith(cancelInputSchema, { reason: raw }).reason;
}

export function parseWaveId(raw: unknown): string {
  return parseWith(waveInputSchema, { waveId: raw }).waveId;
}

export function parseShipment(raw: unknown): Shipment {
  return parseWith(shipmentSchema, raw);
}

export function parseDeliveredAt(raw: unknown, now: Date): Date {
  return parseWith(deliveryInputSchema, { deliveredAt: raw }).deliveredAt ?? now;
}

export function parsePartialFulfillment(raw: unknown): FulfilmentReport[] {
  return parseWith(z.object({ lines: fulfilmentLines }), { lines: raw }).lines;
}

export function parseRetryFailure(raw: unknown): RetryFailure {
  return parseWith(retryFailureSchema, raw);
}

export function parseDlqMove(raw: unknown): DlqMove {
  return parseWith(dlqMoveSchema, raw);
}

export function parseDlqResolution(raw: unknown): DlqResolutionInput {
  return parseWith(dlqResolutionSchema, raw);
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
    .meta({ default: fallback })
    .transform((value) => value ?? fallback);

export const deadLetterListQuerySchema = z.object({
  resolved: z
    .boolean()
    .nullish()
    .transform((value) => value ?? null),
  failureStatus: failureStatus.nullish().transform((value) => value ?? null),
  customerId: identifier.nullish().transform((value) => value ?? null),
  olderThanHours: z
    .number()
    .min(0, 'must not be negative')
    .max(LIST_LIMITS.olderThanHoursMax, `must be at most ${LIST_LIMITS.olderThanHoursMax}`)
    .nullish()
    .meta({ description: 'Moved to the queue more than this many hours ago (fractions allowed)' })
    .transform((value) => value ?? null),
  limit: pageLimit(DLQ_LIST_DEFAULT_LIMIT, DLQ_LIST_MAX_LIMIT),
  offset: z
    .number()
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(MAX_OFFSET, `must be at most ${MAX_OFFSET}`)
    .nullish()
    .meta({ default: 0 })
    .transform((value) => value ?? 0),
});

export function parseDeadLetterListQuery(raw: unknown): DeadLetterListQuery {
  return parseWith(deadLetterListQuerySchema, raw);
}

export const retryEligibilityQuerySchema = z.object({
  limit: pageLimit(RETRY_ELIGIBLE_DEFAULT_LIMIT, RETRY_ELIGIBLE_MAX_LIMIT),
  maxRetries: z
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(LIST_LIMITS.maxRetriesMax, `must be at most ${LIST_LIMITS.maxRetriesMax}`)
    .nullish()
    .meta({ description: "Default: the service's MAX_RETRIES" })
    .transform((value) => value ?? null),
  statuses: z
    .array(z.enum(ORDER_STATUSES))
    .nullish()
    .transform((value) => (value && value.length > 0 ? [...new Set(value)] : null)),
});

/** No `maxRetries`: the service's MAX_RETRIES (applied by the use case). An empty status list means no status filter. */
export function parseRetryEligibilityQuery(raw: unknown): RetryEligibilityQuery {
  return parseWith(retryEligibilityQuerySchema, raw);
}

/** `GET /orders`: the list's filter and page (src/use-cases/order-queries.ts applies the same bounds to GraphQL's). */
export const orderListQuerySchema = z.object({
  status: z
    .enum(ORDER_STATUSES)
    .nullish()
    .transform((value) => value ?? null),
  priority: priority.nullish().transform((value) => value ?? null),
  customerId: identifier.nullish().transform((value) => value ?? null),
  page: pageLimit(1, LIST_LIMITS.pageMax),
  pageSize: pageLimit(LIST_LIMITS.pageSizeDefault, LIST_LIMITS.pageSizeMax),
});
