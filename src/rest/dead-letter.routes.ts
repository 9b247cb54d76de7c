import {
  RestDeadLetterEntriesDocument,
  RestDeadLetterEntryDocument,
  RestDeadLetterStatsDocument,
  RestResolveDeadLetterEntryDocument,
  type DeadLetterResolution,
  type RestDeadLetterEntryFragment,
  type RestDeadLetterStatsQuery,
} from './generated/operations';
import { toRestOrder } from './order.routes';
import { defineRoute, type CompiledRoute } from './rest-route';
import { fromEnumName, queryBoolean, queryInt, queryNumber, queryString, toEnumName } from './rest-values';

/** The brief's DLQ entry: the snapshot as a REST order, resolutions in lower case. */
export function toRestDeadLetterEntry({ originalOrder, resolution, history, ...entry }: RestDeadLetterEntryFragment) {
  return {
    ...entry,
    resolution: fromEnumName(resolution),
    originalOrder: toRestOrder(originalOrder),
    history: history.map((past) => ({ ...past, resolution: fromEnumName(past.resolution) })),
  };
}

/** The brief's stats: counts keyed by failure status and by resolution. */
function toRestDeadLetterStats({ byFailureStatus, byResolution, ...stats }: RestDeadLetterStatsQuery['deadLetterStats']) {
  return {
    ...stats,
    byFailureStatus: Object.fromEntries(byFailureStatus.map(({ failureStatus, count }) => [failureStatus, count])),
    byResolution: Object.fromEntries(byResolution.map(({ resolution, count }) => [fromEnumName(resolution), count])),
  };
}

const byOrderId = { orderId: 'orderId' };

/** /api/v1/dead-letter-queue (CONTRACT §3). `stats` comes before `{orderId}` so that it is not taken for an id. */
export const deadLetterRoutes: CompiledRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/dead-letter-queue',
    operationId: 'listDeadLetterEntries',
    operation: RestDeadLetterEntriesDocument,
    queryParameters: ['resolved', 'failureStatus', 'customerId', 'olderThanHours', 'limit', 'offset'],
    variables: ({ query }) => ({
      filter: {
        resolved: queryBoolean(query.resolved),
        failureStatus: queryString(query.failureStatus),
        customerId: queryString(query.customerId),
        olderThanHours: queryNumber(query.olderThanHours),
      },
      limit: queryInt(query.limit),
      offset: queryInt(query.offset),
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
    operation: RestDeadLetterStatsDocument,
    variables: () => ({}),
    response: ({ deadLetterStats }) => ({ status: 200, body: toRestDeadLetterStats(deadLetterStats) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/dead-letter-queue/:orderId',
    operationId: 'getDeadLetterEntry',
    operation: RestDeadLetterEntryDocument,
    variables: ({ params }) => ({ orderId: params.orderId }),
    fieldOfVariable: byOrderId,
    response: ({ deadLetterEntry }) => ({ status: 200, body: toRestDeadLetterEntry(deadLetterEntry) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/dead-letter-queue/:orderId/resolve',
    operationId: 'resolveDeadLetterEntry',
    operation: RestResolveDeadLetterEntryDocument,
    bodyFields: ['resolution', 'notes', 'resolvedBy'],
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
