import {
  RestDeadLetterEntriesDocument,
  RestDeadLetterEntryDocument,
  RestDeadLetterStatsDocument,
  RestResolveDeadLetterEntryDocument,
  type DeadLetterResolution,
  type RestDeadLetterEntryFragment,
  type RestDeadLetterStatsQuery,
} from './generated/operations';
import { deadLetterListQuerySchema } from '../models/order.input';
import { toRestOrder } from './order.routes';
import { resolveBody } from './rest-request.schemas';
import {
  restDeadLetterEntrySchema,
  restDeadLetterPageSchema,
  restDeadLetterStatsSchema,
  type RestDeadLetterEntry,
  type RestDeadLetterStats,
} from './rest-representations';
import { defineRoute, type CompiledRoute } from './rest-route';
import { fromEnumName, toEnumName } from './rest-values';

/** The brief's DLQ entry: the snapshot as a REST order, resolutions in lower case. */
export function toRestDeadLetterEntry({ originalOrder, resolution, history, ...entry }: RestDeadLetterEntryFragment): RestDeadLetterEntry {
  return {
    ...entry,
    resolution: fromEnumName(resolution),
    originalOrder: toRestOrder(originalOrder),
    history: history.map((past) => ({ ...past, resolution: fromEnumName(past.resolution) })),
  };
}

/** The brief's stats: counts keyed by failure status and by resolution. */
function toRestDeadLetterStats({ byFailureStatus, byResolution, ...stats }: RestDeadLetterStatsQuery['deadLetterStats']): RestDeadLetterStats {
  return {
    ...stats,
    byFailureStatus: Object.fromEntries(byFailureStatus.map(({ failureStatus, count }) => [failureStatus, count])),
    byResolution: Object.fromEntries(byResolution.map(({ resolution, count }) => [fromEnumName(resolution), count])) as RestDeadLetterStats['byResolution'],
  };
}

const byOrderId = { orderId: 'orderId' };

/** /api/v1/dead-letter-queue (CONTRACT §3). `stats` comes before `{orderId}` so that it is not taken for an id. */
export const deadLetterRoutes: CompiledRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/dead-letter-queue',
    operationId: 'listDeadLetterEntries',
    summary: 'Dead letter queue entries, newest first',
    operation: RestDeadLetterEntriesDocument,
    queryParameters: deadLetterListQuerySchema,
    answer: { status: 200, schema: restDeadLetterPageSchema },
    variables: ({ query }) => ({
      filter: {
        resolved: query.resolved as boolean | undefined,
        failureStatus: query.failureStatus as string | undefined,
        customerId: query.customerId as string | undefined,
        olderThanHours: query.olderThanHours as number | undefined,
      },
      limit: query.limit as number | undefined,
      offset: query.offset as number | undefined,
    }),
    fieldOfVariable: { filter: '' },
    response: ({ deadLetterEntries: { items, total, limit, offset } }) => ({
      status: 200,
      body: { data: items.map(toRestDeadLetterEntry), total, limit, offset },
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/dead-letter-queue/stats',
    operationId: 'getDeadLetterStats',
    summary: 'The dead letter queue at a glance',
    operation: RestDeadLetterStatsDocument,
    answer: { status: 200, schema: restDeadLetterStatsSchema },
    variables: () => ({}),
    response: ({ deadLetterStats }) => ({ status: 200, body: toRestDeadLetterStats(deadLetterStats) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/dead-letter-queue/:orderId',
    operationId: 'getDeadLetterEntry',
    summary: "An order's dead letter queue entry; 404 when it was never moved there",
    operation: RestDeadLetterEntryDocument,
    answer: { status: 200, schema: restDeadLetterEntrySchema },
    variables: ({ params }) => ({ orderId: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ deadLetterEntry }) => ({ status: 200, body: toRestDeadLetterEntry(deadLetterEntry) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/dead-letter-queue/:orderId/resolve',
    operationId: 'resolveDeadLetterEntry',
    summary: 'Resolve an entry and apply the resolution to the order; 409 when already resolved',
    description: 'manual_retry releases the order and schedules a retry now; cancelled cancels it (reason: the notes); escalated keeps it held.',
    operation: RestResolveDeadLetterEntryDocument,
    body: resolveBody,
    answer: { status: 200, schema: restDeadLetterEntrySchema },
    variables: ({ params, body }) => ({
      orderId: params.orderId,
      resolution: toEnumName<DeadLetterResolution>(body.resolution),
      notes: body.notes as string | undefined,
      resolvedBy: body.resolvedBy as string | undefined,
    }),
    fieldOfVariable: byOrderId,
    response: ({ resolveDeadLetterEntry }) => ({ status: 200, body: toRestDeadLetterEntry(resolveDeadLetterEntry) }),
  }),
];
