import { readDeadLetterRedriveProgressNotice } from '../../src/events/live-events';
import {
  canMove,
  dueAt,
  failureOf,
  isFinished,
  parseRedrivePageQuery,
  parseRedriveRequest,
  recordOutcome,
  redrivenBy,
  REDRIVE_LIMITS,
  REDRIVE_STATUSES,
  runEnd,
  RUNNABLE_STATUSES,
  type DeadLetterRedriveTask,
  type RedriveProgress,
} from '../../src/models/dead-letter-redrive';
import { DeadLetterEntryAlreadyResolved, InvalidInput, OrderNotFound, WriteContention } from '../../src/models/order.errors';
import { incrementRetryCount, markMovedToDlq, resolveDeadLetter } from '../../src/models/order.reprocessing';
import type { Order } from '../../src/models/order.types';
import { anOrderIn, ctxAt, deepFreeze } from './factories/order.factory';

/** The pure rules of bulk redrive (src/models/dead-letter-redrive.ts): input, state machine, progress, never twice. */

const RATES = { defaultRate: 50, maxRate: 500 };
const ctx = ctxAt();

function issuesOf(raw: unknown): string[] {
  try {
    parseRedriveRequest(raw, RATES);
  } catch (error) {
    if (error instanceof InvalidInput) return error.issues.map((issue) => issue.field);
    throw error;
  }
  return [];
}

describe('redrive input', () => {
  it('defaults: every unresolved entry, cap 1000, the configured rate, no notes', () => {
    expect(parseRedriveRequest({}, RATES)).toEqual({
      filter: { failureStatus: null, customerId: null, olderThanHours: null, reasonContains: null, orderIds: null },
      cap: 1000,
      ratePerSecond: 50,
      notes: null,
    });
    expect(parseRedriveRequest({ ratePerSecond: null, cap: null }, { defaultRate: 7, maxRate: 10 })).toMatchObject({ cap: 1000, ratePerSecond: 7 });
  });

  it('keeps the filters, trims the texts, and drops repeated order ids', () => {
    expect(
      parseRedriveRequest(
        { failureStatus: ' picking ', customerId: 'CUST-1', olderThanHours: 1.5, reasonContains: ' offline ', notes: '  ok  ', cap: 5, ratePerSecond: 500 },
        RATES,
      ),
    ).toEqual({
      filter: { failureStatus: 'picking', customerId: 'CUST-1', olderThanHours: 1.5, reasonContains: 'offline', orderIds: null },
      cap: 5,
      ratePerSecond: 500,
      notes: 'ok',
    });
    expect(parseRedriveRequest({ orderIds: ['B', 'A', 'B'] }, RATES).filter.orderIds).toEqual(['B', 'A']);
  });

  it.each([
    [{ orderIds: ['A'], failureStatus: 'picking' }, ['orderIds']],
    [{ orderIds: ['A'], reasonContains: 'x', customerId: 'C' }, ['orderIds']],
    [{ orderIds: [] }, ['orderIds']],
    [{ orderIds: [''] }, ['orderIds.0']],
    [{ cap: 0 }, ['cap']],
    [{ cap: 10_001 }, ['cap']],
    [{ cap: 1.5 }, ['cap']],
    [{ ratePerSecond: 0 }, ['ratePerSecond']],
    [{ ratePerSecond: 501 }, ['ratePerSecond']],
    [{ reasonContains: '   ' }, ['reasonContains']],
    [{ olderThanHours: -0.5 }, ['olderThanHours']],
    [{ customerId: 'has space' }, ['customerId']],
    [{ failureStatus: 'nul\u0000' }, ['failureStatus']],
    [{ resolution: 'cancelled' }, ['resolution']],
  ])('refuses %j naming %j', (raw, fields) => {
    expect(issuesOf(raw)).toEqual(fields);
  });

  it('refuses what is too long: more than 10,000 order ids, a reason part over 200 characters, notes over 1000', () => {
    expect(issuesOf({ orderIds: Array.from({ length: REDRIVE_LIMITS.orderIds + 1 }, (_, i) => `ORD-${i}`) })).toEqual(['orderIds']);
    expect(issuesOf({ reasonContains: 'x'.repeat(201) })).toEqual(['reasonContains']);
    expect(issuesOf({ notes: 'x'.repeat(1001) })).toEqual(['notes']);
    expect(issuesOf({ reasonContains: 'x'.repeat(200), notes: 'x'.repeat(1000), orderIds: null })).toEqual([]);
  });

  it('reads the page of the task list: 20 by default, 1–100', () => {
    expect(parseRedrivePageQuery({})).toEqual({ limit: 20, offset: 0 });
    expect(() => parseRedrivePageQuery({ limit: 101 })).toThrow(InvalidInput);
    expect(() => parseRedrivePageQuery({ offset: -1 })).toThrow(InvalidInput);
  });
});

describe('the task state machine', () => {
  it('QUEUED → RUNNING → COMPLETED | CANCELLED; a queued task can be cancelled; finished tasks stay finished', () => {
    const allowed = REDRIVE_STATUSES.flatMap((from) => REDRIVE_STATUSES.filter((to) => canMove(from, to)).map((to) => `${from}→${to}`));
    expect(allowed).toEqual(['queued→running', 'queued→cancelled', 'running→running', 'running→completed', 'running→cancelled']);
    expect(RUNNABLE_STATUSES).toEqual(['queued', 'running']);
    expect(REDRIVE_STATUSES.filter(isFinished)).toEqual(['completed', 'cancelled']);
  });

  it('a run ends cancelled once a cancel was asked for, completed once every entry was dealt with, else goes on', () => {
    expect(runEnd({ cancelRequestedAt: null, total: 3 }, 2)).toBeNull();
    expect(runEnd({ cancelRequestedAt: null, total: 3 }, 3)).toBe('completed');
    expect(runEnd({ cancelRequestedAt: null, total: 0 }, 0)).toBe('completed');
    expect(runEnd({ cancelRequestedAt: new Date(), total: 3 }, 3)).toBe('cancelled');
    expect(runEnd({ cancelRequestedAt: new Date(), total: 3 }, 1)).toBe('cancelled');
  });

  it('counts outcomes so that done + failed = position, keeping only the first failures', () => {
    let progress: RedriveProgress = { position: 0, done: 0, failed: 0, failures: [] };
    progress = recordOutcome(progress, { kind: 'done' });
    for (let i = 0; i < REDRIVE_LIMITS.failuresKept + 5; i += 1) {
      progress = recordOutcome(progress, { kind: 'failed', failure: { orderId: `ORD-${i}`, code: 'NOT_FOUND', message: 'gone' } });
    }
    expect(progress.position).toBe(REDRIVE_LIMITS.failuresKept + 6);
    expect(progress.done + progress.failed).toBe(progress.position);
    expect(progress.failures).toHaveLength(REDRIVE_LIMITS.failuresKept);
    expect(progress.failures[0].orderId).toBe('ORD-0');
  });

  it('spaces the entries of a run evenly at the rate', () => {
    expect([0, 1, 2, 9].map((entry) => dueAt(1_000, entry, 5))).toEqual([1_000, 1_200, 1_400, 2_800]);
    expect(dueAt(0, 1, 3)).toBe(333);
  });
});

describe('failures and the never-twice mark', () => {
  const held = (): Order => deepFreeze(markMovedToDlq(anOrderIn('picking'), { failureStatus: 'picking', failureReason: 'jam' }, ctx).order);

  it('names the failure by what happened to the entry', () => {
    expect(failureOf('ORD-1', new DeadLetterEntryAlreadyResolved('ORD-1', 'picking', 'escalated', new Date(0)))).toMatchObject({ code: 'ALREADY_RESOLVED' });
    expect(failureOf('ORD-1', new OrderNotFound('ORD-1'))).toMatchObject({ code: 'NOT_FOUND', message: 'order ORD-1 not found' });
    expect(failureOf('ORD-1', new WriteContention('ORD-1', 12))).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(failureOf('ORD-1', new Error('secret internals'))).toEqual({ orderId: 'ORD-1', code: 'INTERNAL_ERROR', message: 'the entry could not be resolved' });
  });

  it("marks the resolution with the task's id; the mark is found on the entry, and in its history once the order is moved again", () => {
    const resolution = { resolution: 'manual_retry' as const, notes: 'bulk', resolvedBy: 'SUP-1', redriveTaskId: 'task-1' };
    const resolved = resolveDeadLetter(held(), resolution, ctx).order;
    expect(resolved.deadLetter).toMatchObject({ resolved: true, resolvedBy: 'SUP-1', notes: 'bulk', redriveTaskId: 'task-1' });
    expect(redrivenBy(resolved, 'task-1')).toBe(true);
    expect(redrivenBy(resolved, 'task-2')).toBe(false);
    expect(redrivenBy(held(), 'task-1')).toBe(false);
    expect(redrivenBy(anOrderIn('picking'), 'task-1')).toBe(false);

    const failedAgain = incrementRetryCount(
      resolved,
      { failure: { failureReason: 'jam', failedAt: null, failureStatus: null, workflowId: null, runId: null }, policy: { baseDelayMs: 1, maxDelayMs: 1 } },
      ctx,
    ).order;
    const movedAgain = markMovedToDlq(failedAgain, { failureStatus: 'picking', failureReason: 'jam again' }, ctx).order;
    expect(movedAgain.deadLetter).toMatchObject({ resolved: false });
    expect(movedAgain.deadLetter!.redriveTaskId).toBeUndefined();
    expect(redrivenBy(movedAgain, 'task-1')).toBe(true);
  });

  it('a resolution by hand carries no mark', () => {
    const resolved = resolveDeadLetter(held(), { resolution: 'escalated', notes: null, resolvedBy: 'SUP-1' }, ctx).order;
    expect(resolved.deadLetter).not.toHaveProperty('redriveTaskId');
  });
});

describe('progress notices', () => {
  it('read back from JSON with their instants as dates', () => {
    const task: DeadLetterRedriveTask = {
      taskId: 't',
      tenantId: 'default',
      status: 'running',
      filter: { failureStatus: null, customerId: null, olderThanHours: null, reasonContains: null, orderIds: ['A'] },
      cap: 1,
      ratePerSecond: 1,
      total: 1,
      position: 0,
      done: 0,
      failed: 0,
      failures: [],
      actor: 'SUP',
      notes: null,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      startedAt: new Date('2026-01-01T00:00:01Z'),
      finishedAt: null,
      cancelRequestedAt: null,
      updatedAt: new Date('2026-01-01T00:00:02Z'),
      revision: 2,
    };
    expect(readDeadLetterRedriveProgressNotice(JSON.parse(JSON.stringify(task)))).toEqual(task);
  });
});
