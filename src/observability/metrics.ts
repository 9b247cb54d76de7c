import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service instance, so tests can run several instances in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const seenFailureStatuses = new Set<string>();

  return {
    registry,
    /** The `failure_status` label for a reported failure status (bounded cardinality). */
    failureStatusLabel: (failureStatus: string) => failureStatusLabel(seenFailureStatuses, failureStatus),
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    graphqlOperationDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operation duration by operation type and name, and whether it returned errors',
      labelNames: ['type', 'name', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    ordersCreated: new Counter({
      name: 'orders_created_total',
      help: 'Orders created, by priority',
      labelNames: ['priority'] as const,
      registers: [registry],
    }),
    orderTransitions: new Counter({
      name: 'order_transitions_total',
      help: 'Order status transitions',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'outbox_backlog_orders',
      help: 'Orders holding events not yet published',
      registers: [registry],
    }),
    orderCountsBacklog: new Gauge({
      name: 'order_counts_backlog_orders',
      help: 'Changed orders (events published) the last pass of the count projector found not yet in the order counts, at most one pass (50,000)',
      registers: [registry],
    }),
    orderCountsFolded: new Counter({
      name: 'order_counts_folded_total',
      help: 'Orders the count projector folded into the order counts',
      registers: [registry],
    }),
    orderCountsFailedPasses: new Counter({
      name: 'order_counts_failed_passes_total',
      help: 'Passes of the count projector that failed (retried after a second), by the store error code name',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    eventPublishLatency: new Histogram({
      name: 'event_publish_latency_seconds',
      help: 'Time from an event being raised (its change decided, just before it is stored) to Kafka acknowledging it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    outboxOldestAge: new Gauge({
      name: 'outbox_oldest_event_age_seconds',
      help: 'Age of the oldest event not yet published',
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'events_published_total',
      help: 'Events published to Kafka, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    writeConflicts: new Counter({
      name: 'order_write_conflicts_total',
      help: 'Order writes that lost a version race to another writer: decided again on the fresh order (retried), or given up after every attempt (gave_up)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    retriesRecorded: new Counter({
      name: 'order_retries_total',
      help: 'Failed processing attempts recorded (retry count increments), by failure status',
      labelNames: ['failure_status'] as const,
      registers: [registry],
    }),
    dlqMoves: new Counter({
      name: 'dlq_moves_total',
      help: 'Orders moved to the dead letter queue (automatically at max retries or by hand), by failure status',
      labelNames: ['failure_status', 'trigger'] as const,
      registers: [registry],
    }),
    dlqResolutions: new Counter({
      name: 'dlq_resolutions_total',
      help: 'Dead letter queue entries resolved, by resolution',
      labelNames: ['resolution'] as const,
      registers: [registry],
    }),
    dlqRetired: new Counter({
      name: 'dlq_entries_retired_total',
      help: 'Resolved dead letter queue entries taken out of the queue by the retention (DLQ_RETENTION), by resolution',
      labelNames: ['resolution'] as const,
      registers: [registry],
    }),
    redriveEntries: new Counter({
      name: 'dlq_redrive_entries_total',
      help: 'Entries dealt with by bulk redrive tasks on this replica: resolved (as manual_retry) or failed (could not be resolved)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    redriveTasksRunning: new Gauge({
      name: 'dlq_redrive_tasks_running',
      help: 'Bulk redrive tasks this replica is running now',
      registers: [registry],
    }),
    dlqUnresolved: new Gauge({
      name: 'dlq_entries_unresolved',
      help: 'Dead letter queue entries waiting for a resolution (all tenants, read from the store)',
      registers: [registry],
    }),
    dlqOldestUnresolvedAge: new Gauge({
      name: 'dlq_oldest_unresolved_age_seconds',
      help: 'Age of the oldest unresolved dead letter queue entry (0 when none)',
      registers: [registry],
    }),
    subscriptionsActive: new Gauge({
      name: 'graphql_subscriptions_active',
      help: 'GraphQL subscriptions currently open on this replica (their iterators not yet released)',
      registers: [registry],
    }),
    subscriptionsRefused: new Counter({
      name: 'graphql_subscriptions_refused_total',
      help: 'Subscriptions refused because their connection already had the maximum number open',
      registers: [registry],
    }),
    requestsLimited: new Counter({
      name: 'http_requests_rate_limited_total',
      help: 'Requests answered 429 by a rate limit (limit: address or subject)',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    authenticationFailures: new Counter({
      name: 'auth_failures_total',
      help: 'Requests and graphql-ws connections refused for a missing or invalid token (api: graphql, rest, graphql-ws)',
      labelNames: ['api'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const MAX_FAILURE_STATUS_LABELS = 50;

/**
 * Failure statuses are free text from orchestrators; as a metric label they are kept to short lower-case words and to
 * the first 50 distinct values per process, anything else counted as `other`, so that label cardinality stays bounded.
 */
export function failureStatusLabel(seen: Set<string>, failureStatus: string): string {
  const label = failureStatus.toLowerCase();
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(label)) return 'other';
  if (seen.has(label)) return label;
  if (seen.size >= MAX_FAILURE_STATUS_LABELS) return 'other';
  seen.add(label);
  return label;
}
