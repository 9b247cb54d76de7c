/**
 * The sizes and patterns of what callers send, in one place: the parsers (order.input.ts) enforce them and the
 * OpenAPI document (src/rest/openapi.ts) publishes them, so a value the document allows is one the service accepts.
 */

/** Customer, wave and similar caller-chosen ids. */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
export const IDENTIFIER_RULE = 'expected 1–64 characters of A-Z a-z 0-9 . _ -';

/** Required text is trimmed first: it must hold a character other than white space. */
export const NOT_BLANK_PATTERN = '\\S';

/**
 * Failure statuses are labels (`picking`, `shipping`): they become field names of the DLQ counters and a metric label,
 * where control characters (a NUL above all) cannot go.
 */
export const LABEL_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f]*$';

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
  // 500 lines × 100,000 units × 1,000,000.00 stays below 2^53 cents: no valid order has a total that cannot be computed exactly.
  unitPrice: 1_000_000,
  /** Kilograms per unit: a warehouse unit heavier than 100 t is a typing error, and the order's total weight stays finite. */
  weight: 100_000,
} as const;

export const LIST_LIMITS = {
  dlqDefault: 50,
  dlqMax: 500,
  retryEligibleDefault: 100,
  retryEligibleMax: 1000,
  offsetMax: 1_000_000,
  olderThanHoursMax: 1_000_000,
  maxRetriesMax: 100,
  pageMax: 1_000_000,
  pageSizeDefault: 20,
  pageSizeMax: 100,
} as const;

/** `Idempotency-Key`: 1–255 printable ASCII characters, no spaces. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';

/** `If-Match`: `*` or one entity tag, strong or weak (RFC 9110 §8.8.3); HTTP strips the white space around it. */
export const IF_MATCH_PATTERN = '^(\\*|(W/)?"[\\x21\\x23-\\x7e]*")$';
