import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service instance, so tests can run several instances in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  return {
    registry,
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
    eventPublishLatency: new Histogram({
      name: 'event_publish_latency_seconds',
      help: 'Time from storing an event to Kafka acknowledging it',
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
