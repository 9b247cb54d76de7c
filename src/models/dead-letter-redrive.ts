import { z } from 'zod/v4';
import { LIST_LIMITS } from './input-limits';
import { failureStatus, identifier, optionalText, parseWith, requiredText } from './order.input';
import { DomainError, type DomainErrorCode } from './order.errors';
import type { DeadLetterRecord, Order } from './order.types';

/**
 * Bulk redrive of the dead letter queue (issue 13 §1), pure: the task's input, its state machine and the rule that
 * keeps a task from resolving an entry twice. The store applies each transition as one conditional write
 * (src/store/dead-letter-redrive.repository.ts); the runner (src/use-cases/dead-letter-redrive-runner.ts) drives it.
 */

export const REDRIVE_STATUSES = ['queued', 'running', 'completed', 'cancelled'] as const;
export type RedriveStatus = (typeof REDRIVE_STATUSES)[number];

/**
 * QUEUED → RUNNING → COMPLETED | CANCELLED; QUEUED → CANCELLED (cancelled before any replica took it up).
 * RUNNING → RUNNING is a replica taking over a task whose runner died (its lease ran out).
 */
const TRANSITIONS: Record<RedriveStatus, readonly RedriveStatus[]> = {
  queued: ['running', 'cancelled'],
  running: ['running', 'completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

export function canMove(from: RedriveStatus, to: RedriveStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Tasks a replica may take up (when nobody holds their lease). */
export const RUNNABLE_STATUSES = REDRIVE_STATUSES.filter((status) => TRANSITIONS[status].includes('running'));

export function isFinished(status: RedriveStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export const REDRIVE_LIMITS = {
  reasonContains: 200,
  orderIds: 10_000,
  capDefault: 1000,
  capMax: 10_000,
  notes: 1000,
  /** Failures kept on the task (the first ones); `failed` counts them all. */
  failuresKept: 100,
  listDefault: 20,
  listMax: 100,
  /**
   * The highest rate there is: DLQ_REDRIVE_MAX_RATE may lower it, never raise it, so the rate the OpenAPI document
   * publishes as allowed is one every deployment's default accepts.
   */
  rateCeiling: 500,
} as const;

export interface RedriveFilter {
  failureStatus: string | null;
  customerId: string | null;
  olderThanHours: number | null;
  /** Case-insensitive substring of the entry's failure reason. */
  reasonContains: string | null;
  /** Explicit entries instead of the four filters above. */
  orderIds: string[] | null;
}

export interface RedriveRequest {
  filter: RedriveFilter;
  cap: number;
  ratePerSecond: number;
  notes: string | null;
}

export interface RedriveRates {
  defaultRate: number;
  maxRate: number;
}

const FILTER_FIELDS = ['failureStatus', 'customerId', 'olderThanHours', 'reasonContains'] as const;

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? null);

const count = (name: string, max: number) =>
  z.number().int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`).meta({ description: name });

/**
 * The redrive input as callers send it. The rate's upper bound is the service's DLQ_REDRIVE_MAX_RATE, so the schema is
 * made per configuration; REST publishes it with the ceiling (the resolver checks the configured bound again).
 */
export function redriveInputSchema({ defaultRate, maxRate }: RedriveRates) {
  return (
    z
      .strictObject({
        failureStatus: nullable(failureStatus),
        customerId: nullable(identifier),
        olderThanHours: nullable(
          z
            .number()
            .min(0, 'must not be negative')
            .max(LIST_LIMITS.olderThanHoursMax, `must be at most ${LIST_LIMITS.olderThanHoursMax}`)
            .meta({ description: 'Only entries moved to the queue more than this many hours ago (fractions allowed)' }),
        ),
        reasonContains: nullable(requiredText(REDRIVE_LIMITS.reasonContains).meta({ description: 'Case-insensitive part of the failure reason' })),
        orderIds: nullable(
          z
            .array(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'))
            .min(1, 'must name at least 1 order')
            .max(REDRIVE_LIMITS.orderIds, `must name at most ${REDRIVE_LIMITS.orderIds} orders`)
            .meta({ description: 'These entries instead of a filter (not with failureStatus, customerId, olderThanHours or reasonContains)' }),
        ),
        cap: count('At most this many entries (default 1000)', REDRIVE_LIMITS.capMax)
          .nullish()
          .transform((value) => value ?? REDRIVE_LIMITS.capDefault),
        ratePerSecond: count(`Entries resolved per second (default ${defaultRate})`, maxRate)
          .nullish()
          .transform((value) => value ?? defaultRate),
        notes: optionalText(REDRIVE_LIMITS.notes),
      })
      .superRefine((input, ctx) => {
        if (input.orderIds === null) return;
        const combined = FILTER_FIELDS.filter((field) => input[field] !== null);
        if (combined.length) ctx.addIssue({ code: 'custom', path: ['orderIds'], message: `cannot be combined with ${combined.join(', ')}` });
      })
      // The refinement as JSON Schema says it, for the OpenAPI document: with a list of order ids, the filters are null or absent.
      .meta({
        if: { required: ['orderIds'], properties: { orderIds: { type: 'array' } } },
        then: { properties: Object.fromEntries(FILTER_FIELDS.map((field) => [field, { type: 'null' }])) },
      })
      .transform(({ cap, ratePerSecond, notes, orderIds, ...filter }): RedriveRequest => ({
        filter: { ...filter, orderIds: orderIds && [...new Set(orderIds)] },
        cap,
        ratePerSecond,
        notes,
      }))
  );
}

export function parseRedriveRequest(raw: unknown, rates: RedriveRates): RedriveRequest {
  return parseWith(redriveInputSchema(rates), raw);
}

export interface RedrivePageQuery {
  limit: number;
  offset: number;
}

export const redrivePageQuerySchema = z.object({
  limit: count(`1–${REDRIVE_LIMITS.listMax} (default ${REDRIVE_LIMITS.listDefault})`, REDRIVE_LIMITS.listMax)
    .nullish()
    .transform((value) => value ?? REDRIVE_LIMITS.listDefault),
  offset: z
    .number()
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(LIST_LIMITS.offsetMax, `must be at most ${LIST_LIMITS.offsetMax}`)
    .nullish()
    .transform((value) => value ?? 0),
});

export function parseRedrivePageQuery(raw: unknown): RedrivePageQuery {
  return parseWith(redrivePageQuerySchema, raw);
}

export interface RedriveFailure {
  orderId: string;
  code: string;
  message: string;
}

/** A task as stored and shown (the selected order ids and the lease are the store's). */
export interface DeadLetterRedriveTask {
  taskId: string;
  tenantId: string;
  status: RedriveStatus;
  filter: RedriveFilter;
  cap: number;
  ratePerSecond: number;
  /** Entries selected at creation. */
  total: number;
  /** Selected entries dealt with so far (done + failed, once the task has checkpointed them). */
  position: number;
  done: number;
  failed: number;
  /** The first REDRIVE_LIMITS.failuresKept failures. */
  failures: RedriveFailure[];
  /** Who started it: every entry is resolved in their name. */
  actor: string;
  notes: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cancelRequestedAt: Date | null;
  updatedAt: Date;
  /** Grows by 1 on every write of the task: a subscriber keeps the highest it has seen. */
  revision: number;
}

/** Progress of one run, counted by the runner and written to the task at checkpoints. */
export interface RedriveProgress {
  position: number;
  done: number;
  failed: number;
  failures: RedriveFailure[];
}

export type EntryOutcome = { kind: 'done' } | { kind: 'failed'; failure: RedriveFailure };

/** Adds one entry's outcome; only the first failures are kept. */
export function recordOutcome(progress: RedriveProgress, outcome: EntryOutcome): RedriveProgress {
  const position = progress.position + 1;
  if (outcome.kind === 'done') return { ...progress, position, done: progress.done + 1 };
  const failures = progress.failures.length < REDRIVE_LIMITS.failuresKept ? [...progress.failures, outcome.failure] : progress.failures;
  return { position, done: progress.done, failed: progress.failed + 1, failures };
}

/** How a run ends: cancelled when asked to (between entries), completed once every selected entry was dealt with; else it goes on. */
export function runEnd(task: Pick<DeadLetterRedriveTask, 'cancelRequestedAt' | 'total'>, position: number): 'cancelled' | 'completed' | null {
  if (task.cancelRequestedAt !== null) return 'cancelled';
  return position >= task.total ? 'completed' : null;
}

/** A finished task cannot be cancelled (409). */
export class RedriveTaskFinished extends DomainError {
  readonly code: DomainErrorCode = 'CONFLICT';
  override readonly name = 'RedriveTaskFinished';
  readonly details: { taskId: string; currentStatus: string };

  constructor(taskId: string, status: RedriveStatus) {
    super(`redrive task ${taskId} is already ${status}`);
    this.details = { taskId, currentStatus: status };
  }
}

export class RedriveTaskNotFound extends DomainError {
  readonly code: DomainErrorCode = 'NOT_FOUND';
  override readonly name = 'RedriveTaskNotFound';
  readonly details: { taskId: string };

  constructor(taskId: string) {
    super(`redrive task ${taskId} not found`);
    this.details = { taskId };
  }
}

/**
 * Whether this task already resolved the order's entry: the resolution it wrote carries its id (`redriveTaskId`), in
 * the current entry or, if the order was moved to the queue again since, in an earlier one kept in its history. The
 * check runs inside the resolve's own conditional write, so a resumed task (or two replicas racing after a lease was
 * lost) never resolves an entry twice: the second attempt finds the mark and counts the entry as done.
 */
export function redrivenBy(order: Pick<Order, 'deadLetter'>, taskId: string): boolean {
  const entry = order.deadLetter;
  if (!entry) return false;
  const records: DeadLetterRecord[] = [entry, ...entry.history];
  return records.some((record) => record.redriveTaskId === taskId);
}

/** The GraphQL/REST error code of a failed entry, from the error its resolve raised. */
export function failureOf(orderId: string, error: unknown): RedriveFailure {
  if (error instanceof DomainError) {
    const code = error.name === 'DeadLetterEntryAlreadyResolved' ? 'ALREADY_RESOLVED' : error.code;
    return { orderId, code, message: error.message };
  }
  return { orderId, code: 'INTERNAL_ERROR', message: 'the entry could not be resolved' };
}

/** Fixed spacing: entry i (of this run) is due `i / rate` seconds after the run started, so no burst exceeds the rate. */
export function dueAt(runStartedAt: number, entryOfRun: number, ratePerSecond: number): number {
  return runStartedAt + Math.round((entryOfRun * 1000) / ratePerSecond);
}
