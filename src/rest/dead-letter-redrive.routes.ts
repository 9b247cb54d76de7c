import {
  RestCancelDeadLetterRedriveDocument,
  RestDeadLetterRedriveTaskDocument,
  RestDeadLetterRedriveTasksDocument,
  RestStartDeadLetterRedriveDocument,
  type RestDeadLetterRedriveTaskFragment,
} from './generated/operations';
import { REDRIVE_LIMITS, redriveInputSchema, redrivePageQuerySchema } from '../models/dead-letter-redrive';
import { RestError } from './rest-errors';
import { restDeadLetterRedriveTaskPageSchema, restDeadLetterRedriveTaskSchema, type RestDeadLetterRedriveTask } from './rest-representations';
import { noBody } from './rest-request.schemas';
import { defineRoute, type CompiledRoute } from './rest-route';
import { fromEnumName } from './rest-values';

/** The task as REST shows it: its status in lower case. */
function toRestRedriveTask({ status, ...task }: RestDeadLetterRedriveTaskFragment): RestDeadLetterRedriveTask {
  return { ...task, status: fromEnumName(status) };
}

const taskPath = (taskId: string) => `/api/v1/dead-letter-queue/redrive-tasks/${encodeURIComponent(taskId)}`;

/**
 * The body as published: rates up to the ceiling (500); a deployment that lowers DLQ_REDRIVE_MAX_RATE refuses what is
 * above its bound in the operation (400 naming `ratePerSecond`).
 */
const startBody = redriveInputSchema({ defaultRate: 50, maxRate: REDRIVE_LIMITS.rateCeiling }).meta({
  description:
    'Either filters (failureStatus, customerId, olderThanHours, reasonContains) or orderIds. ratePerSecond: 1–DLQ_REDRIVE_MAX_RATE (500 unless lowered), default DLQ_REDRIVE_DEFAULT_RATE (50).',
});

const byTaskId = { taskId: 'taskId' };

/** /api/v1/dead-letter-queue/redrive… (issue 13 §1); listed before the DLQ routes, so `redrive-tasks` is not taken for an order id. */
export const deadLetterRedriveRoutes: CompiledRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/dead-letter-queue/redrive',
    operationId: 'startDeadLetterRedrive',
    summary: 'Start a bulk redrive: matching unresolved entries are resolved as manual_retry by the caller, at the given rate',
    description: 'The entries are selected now (newest first, at most `cap`); follow the task at its Location.',
    operation: RestStartDeadLetterRedriveDocument,
    body: startBody,
    answer: { status: 202, schema: restDeadLetterRedriveTaskSchema, headers: ['Location'] },
    variables: ({ body }) => ({ input: body }),
    fieldOfVariable: { input: '' },
    response: ({ startDeadLetterRedrive }) => ({
      status: 202,
      body: toRestRedriveTask(startDeadLetterRedrive),
      headers: { Location: taskPath(startDeadLetterRedrive.taskId) },
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/dead-letter-queue/redrive-tasks',
    operationId: 'listDeadLetterRedriveTasks',
    summary: 'Bulk redrive tasks, newest first',
    operation: RestDeadLetterRedriveTasksDocument,
    queryParameters: redrivePageQuerySchema,
    answer: { status: 200, schema: restDeadLetterRedriveTaskPageSchema },
    variables: ({ query }) => ({ limit: query.limit as number | undefined, offset: query.offset as number | undefined }),
    response: ({ deadLetterRedriveTasks: { items, total, limit, offset } }) => ({
      status: 200,
      body: { data: items.map(toRestRedriveTask), total, limit, offset },
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/dead-letter-queue/redrive-tasks/:taskId',
    operationId: 'getDeadLetterRedriveTask',
    summary: 'A bulk redrive task: status, progress, failures; 404 when unknown',
    operation: RestDeadLetterRedriveTaskDocument,
    answer: { status: 200, schema: restDeadLetterRedriveTaskSchema },
    variables: ({ params }) => ({ taskId: params.taskId }),
    fieldOfVariable: byTaskId,
    response: ({ deadLetterRedriveTask }, { params }) => {
      // GraphQL answers null for an unknown task; REST has a status for that.
      if (!deadLetterRedriveTask) throw new RestError(404, 'NOT_FOUND', `redrive task ${params.taskId} not found`, { taskId: params.taskId });
      return { status: 200, body: toRestRedriveTask(deadLetterRedriveTask) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/dead-letter-queue/redrive-tasks/:taskId/cancel',
    operationId: 'cancelDeadLetterRedrive',
    summary: 'Cancel a bulk redrive between two entries; 404 when unknown, 409 once finished',
    operation: RestCancelDeadLetterRedriveDocument,
    body: noBody,
    answer: { status: 200, schema: restDeadLetterRedriveTaskSchema },
    variables: ({ params }) => ({ taskId: params.taskId }),
    fieldOfVariable: byTaskId,
    response: ({ cancelDeadLetterRedrive }) => ({ status: 200, body: toRestRedriveTask(cancelDeadLetterRedrive) }),
  }),
];
