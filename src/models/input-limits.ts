/**
 * The sizes and patterns of what callers send, in one place: the parsers (order.input.ts) enforce them and the
 * OpenAPI document (src/rest/openapi.ts) publishes them, so a value the document allows is one the service accepts.
 */

/** Customer, wave and similar caller-chosen ids. */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
export const IDENTIFIER_RULE = 'expected 1–64 characters of A-Z a-z 0-9 . _ -';

/** Required text is trimmed first: it must hold a character other than white space. */
export const NOT_BLANK_PATTERN = '\\S';

export const TEXT_LIMITS = {
  sku: 64,
  productName: 200,
  addressLine: 200,
  phone: 50,
  cancelReason: 500,
  trackingNumber: 64,
  carrier: 64,
  failureReason: 1000,
  failureStatus: 64,
  workflowId: 255,
  runId: 255,
  notes: 2000,
  resolvedBy: 64,
} as const;

export const ORDER_LIMITS = {
  lines: 500,
  quantity: 100_000,
} as const;

export const LIST_LIMITS = {
  dlqDefault: 50,
  dlqMax: 500,
  retryEligibleDefault: 100,
  retryEligibleMax: 1000,
  offsetMax: 1_000_000,
  olderThanHoursMax: 1_000_000,
  maxRetriesMax: 100,
} as const;
