import { z } from 'zod/v4';
import { IDEMPOTENCY_KEY_PATTERN, IF_MATCH_PATTERN } from '../models/input-limits';
import { dlqResolutionSchema, retryEligibilityQuerySchema } from '../models/order.input';

/**
 * The parts of a REST request that are HTTP's rather than the domain's: the path's order id and the headers the
 * router reads. Bodies and query parameters are the domain's own schemas (src/models/order.input.ts), named by the
 * routes; the router validates all of them before it runs an operation, and the OpenAPI document publishes them.
 */

/** Any text: an id nobody has is a 404 from the operation, not a malformed request. */
export const orderIdParameter = z.string().min(1).meta({ example: 'ORD-0123456789AB' });

export const ifMatchHeader = z.string().regex(new RegExp(IF_MATCH_PATTERN), 'expected * or a single entity tag, e.g. "3"').meta({
  description: 'The ETag you read (`"3"`); the write fails with 412 when the order moved since. `*` means any version.',
  example: '*',
});

export const idempotencyKeyHeader = z.string().regex(new RegExp(IDEMPOTENCY_KEY_PATTERN), 'expected 1–255 printable ASCII characters without spaces').meta({
  description:
    'Makes a retry safe for 24 h: the same key and body replay the first response (header Idempotent-Replayed); the same key with another body → 422 IDEMPOTENCY_KEY_REUSED; while the first is still running → 409 CONFLICT with Retry-After. 5xx answers are not kept.',
});

/** A route that takes no body fields: an empty object (or no body at all). */
export const noBody = z.strictObject({});

/** `?status` is the brief's name for the domain's `statuses`. */
const { statuses, ...eligibilityBounds } = retryEligibilityQuerySchema.shape;
export const retryEligibilityParameters = z.object({
  ...eligibilityBounds,
  status: statuses.meta({ description: 'Repeatable (`?status=picking&status=packing`) or a comma list (`?status=picking,packing`)' }),
});

/**
 * `resolvedBy` may only name the caller (the token's subject, src/models/dead-letter.ts), which no static schema can
 * say: the document offers only null (= the caller), while the parser still takes the caller's own name, as the
 * brief's callers send it. Publishing "any text" would promise what the service refuses.
 */
export const resolveBody = dlqResolutionSchema.extend({
  resolvedBy: dlqResolutionSchema.shape.resolvedBy.meta({
    type: 'null',
    description: "Leave out: the caller (their token subject) is recorded. The caller's own subject is accepted too; any other name is refused (400).",
  }),
});
