/**
 * Who may do what: the OAuth scopes of the service and the one table that maps every GraphQL field a caller can reach
 * to the scope it needs. REST routes run GraphQL operations, so each route needs the scopes of its operation's fields
 * (src/rest/rest-scopes.ts derives them); the subgraph SDL carries the same table as `@requiresScopes`, so a router
 * enforces it too, and the subgraph enforces it itself (src/auth/enforce-scopes.ts).
 */
export const SCOPES = ['orders:read', 'orders:write', 'orders:fulfil', 'reprocessing:write', 'dlq:read', 'dlq:resolve'] as const;
export type Scope = (typeof SCOPES)[number];

/** Any valid token, whatever its scopes. */
export const AUTHENTICATED = 'authenticated' as const;
export type FieldRequirement = Scope | typeof AUTHENTICATED;

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'orders:read': 'read orders, lists, retry metadata and orders due for retry; order status feed',
  'orders:write': 'create, modify and cancel orders',
  'orders:fulfil': 'validate, assign to a wave, pick, pack, ship, complete, record partial fulfilment, fulfil backorders',
  'reprocessing:write': 'record failed attempts, reset for retry, move to the dead letter queue',
  'dlq:read': 'read dead letter queue entries and statistics, and bulk redrive tasks; live DLQ feed and redrive progress',
  'dlq:resolve': 'resolve dead letter queue entries; start and cancel bulk redrives',
};

/** `Type.field` → what it needs. Every root field is listed (a test checks it), and fields that reach another area's data. */
export const FIELD_SCOPES: Record<string, FieldRequirement> = {
  'Query.order': 'orders:read',
  'Query.orders': 'orders:read',
  'Query.retryMetadata': 'orders:read',
  'Query.ordersEligibleForRetry': 'orders:read',
  'Query.deadLetterEntry': 'dlq:read',
  'Query.deadLetterEntries': 'dlq:read',
  'Query.deadLetterStats': 'dlq:read',
  'Query.deadLetterRedriveTask': 'dlq:read',
  'Query.deadLetterRedriveTasks': 'dlq:read',
  'Query.orderServiceInfo': AUTHENTICATED,
  // Federation: `_entities` needs the scope of each representation's type (ENTITY_SCOPES); `_service` is the SDL.
  'Query._entities': AUTHENTICATED,
  'Query._service': AUTHENTICATED,

  'Mutation.createOrder': 'orders:write',
  'Mutation.updateOrder': 'orders:write',
  'Mutation.cancelOrder': 'orders:write',
  'Mutation.validateOrder': 'orders:fulfil',
  'Mutation.assignOrderToWave': 'orders:fulfil',
  'Mutation.startPicking': 'orders:fulfil',
  'Mutation.startPacking': 'orders:fulfil',
  'Mutation.shipOrder': 'orders:fulfil',
  'Mutation.completeOrder': 'orders:fulfil',
  'Mutation.recordPartialFulfillment': 'orders:fulfil',
  'Mutation.fulfillBackorder': 'orders:fulfil',
  'Mutation.incrementRetryCount': 'reprocessing:write',
  'Mutation.resetOrderForRetry': 'reprocessing:write',
  'Mutation.moveOrderToDeadLetterQueue': 'reprocessing:write',
  'Mutation.resolveDeadLetterEntry': 'dlq:resolve',
  'Mutation.startDeadLetterRedrive': 'dlq:resolve',
  'Mutation.cancelDeadLetterRedrive': 'dlq:resolve',

  'Subscription.orderStatusChanged': 'orders:read',
  'Subscription.deadLetterQueueChanged': 'dlq:read',
  'Subscription.deadLetterRedriveProgress': 'dlq:read',

  // The whole order behind a DLQ entry is order data (the entry keeps its own snapshot, `originalOrder`).
  'DeadLetterEntry.order': 'orders:read',
};

/** What an `_entities` representation of each entity type needs. */
export const ENTITY_SCOPES: Record<string, Scope> = {
  Order: 'orders:read',
  DeadLetterEntry: 'dlq:read',
};

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** The OAuth `scope` claim (space-separated); unknown scopes are ignored, not refused (tokens serve many services). */
export function parseScopeClaim(claim: unknown): ReadonlySet<Scope> {
  if (typeof claim !== 'string') return new Set();
  return new Set(claim.split(' ').filter(isScope));
}
