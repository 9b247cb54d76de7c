import { randomUUID } from 'node:crypto';
import { ANONYMOUS_RESOLVER } from '../models/dead-letter';
import {
  isFinished,
  parseRedrivePageQuery,
  parseRedriveRequest,
  RedriveTaskFinished,
  RedriveTaskNotFound,
  type DeadLetterRedriveTask,
  type RedriveRates,
} from '../models/dead-letter-redrive';
import type { LiveBus } from '../events/live-bus';
import { LIVE_CHANNELS } from '../events/live-feed';
import { readDeadLetterRedriveProgressNotice } from '../events/live-events';
import type { RedriveProgressSink } from '../events/redrive-progress';
import type { RequestContext } from '../observability/request-context';
import type { DeadLetterRedriveRepository } from '../store/dead-letter-redrive.repository';
import type { DeadLetterRepository } from '../store/dead-letter.repository';

export interface DeadLetterRedrivePage {
  tasks: DeadLetterRedriveTask[];
  total: number;
  limit: number;
  offset: number;
}

/** How long a cancel waits for the running replica to stop (it checks between entries), and how often it looks. */
const CANCEL_WAIT_MS = 5_000;
const CANCEL_POLL_MS = 50;
/** A progress subscriber re-reads the task this often when no notice came: a lost notice only delays it. */
const PROGRESS_REREAD_MS = 2_000;

/** A subscription's stream, released at once by `return` even while it waits (graphql-ws needs `return` and `throw`). */
export type ProgressStream = AsyncIterableIterator<DeadLetterRedriveTask> & Required<Pick<AsyncIterator<DeadLetterRedriveTask>, 'return' | 'throw'>>;

/**
 * Bulk redrive tasks (issue 13 §1), for the API: start one (its entries selected and stored at once), read, list,
 * cancel, follow its progress. The runner (dead-letter-redrive-runner.ts) does the resolving, on whichever replica
 * holds the task's lease.
 */
export class DeadLetterRedrives {
  constructor(
    private readonly tasks: DeadLetterRedriveRepository,
    private readonly deadLetters: Pick<DeadLetterRepository, 'selectForRedrive'>,
    private readonly progress: RedriveProgressSink,
    private readonly bus: LiveBus,
    private readonly rates: RedriveRates,
    /** Told when a task was queued here, so a runner takes it up without waiting for its next look. */
    private readonly queued: () => void = () => undefined,
  ) {}

  async start(request: RequestContext, raw: unknown): Promise<DeadLetterRedriveTask> {
    const input = parseRedriveRequest(raw, this.rates);
    const now = new Date();
    const orderIds = await this.deadLetters.selectForRedrive(request.tenantId, input.filter, input.cap, now);
    const task: DeadLetterRedriveTask = {
      taskId: randomUUID(),
      tenantId: request.tenantId,
      status: 'queued',
      filter: input.filter,
      cap: input.cap,
      ratePerSecond: input.ratePerSecond,
      total: orderIds.length,
      position: 0,
      done: 0,
      failed: 0,
      failures: [],
      actor: request.userId ?? ANONYMOUS_RESOLVER,
      notes: input.notes,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      cancelRequestedAt: null,
      updatedAt: now,
      revision: 1,
    };
    await this.tasks.insert(task, orderIds);
    this.queued();
    return task;
  }

  get(request: RequestContext, taskId: string): Promise<DeadLetterRedriveTask | null> {
    return this.tasks.find(request.tenantId, taskId);
  }

  async list(request: RequestContext, raw: unknown): Promise<DeadLetterRedrivePage> {
    const { limit, offset } = parseRedrivePageQuery(raw);
    const { tasks, total } = await this.tasks.list(request.tenantId, limit, offset);
    return { tasks, total, limit, offset };
  }

  /**
   * A task nobody runs now ends CANCELLED at once; a running one is asked to stop, and the answer waits (a few seconds
   * at most) for its runner to do so between two entries, so that nothing is resolved after the answer. NOT_FOUND for
   * an unknown task, CONFLICT for a finished one.
   */
  async cancel(request: RequestContext, taskId: string): Promise<DeadLetterRedriveTask> {
    const now = new Date();
    const idle = await this.tasks.cancelIdle(request.tenantId, taskId, now);
    if (idle) {
      this.progress.published(idle);
      return idle;
    }
    const asked = await this.tasks.requestCancel(request.tenantId, taskId, now);
    if (!asked) {
      const existing = await this.tasks.find(request.tenantId, taskId);
      if (!existing) throw new RedriveTaskNotFound(taskId);
      throw new RedriveTaskFinished(taskId, existing.status);
    }
    this.progress.published(asked);
    let latest = asked;
    for (const deadline = Date.now() + CANCEL_WAIT_MS; !isFinished(latest.status) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, CANCEL_POLL_MS));
      latest = (await this.tasks.find(request.tenantId, taskId)) ?? latest;
    }
    return latest;
  }

  /**
   * The task now, then each newer state (from the live bus, or re-read when no notice came for a while), ending after
   * the final one. Listening starts before the first read, so no change between the two is missed. NOT_FOUND (before
   * the stream starts) for a task that is not there.
   */
  async progressOf(request: RequestContext, taskId: string): Promise<ProgressStream> {
    const notices = this.bus.subscribe(LIVE_CHANNELS.deadLetterRedriveProgress)[Symbol.asyncIterator]();
    let pendingNotice = notices.next();
    const readTask = () => this.tasks.find(request.tenantId, taskId);
    const first = await readTask().catch(async (error: unknown) => {
      await notices.return?.();
      throw error;
    });
    if (!first) {
      await notices.return?.();
      throw new RedriveTaskNotFound(taskId);
    }
    const released = new AbortController();
    const releasedNow = new Promise<{ kind: 'released' }>((resolve) =>
      released.signal.addEventListener('abort', () => resolve({ kind: 'released' }), { once: true }),
    );
    async function* follow(): AsyncGenerator<DeadLetterRedriveTask> {
      try {
        let current = first!;
        yield current;
        while (!isFinished(current.status)) {
          let timer: NodeJS.Timeout | undefined;
          const next = await Promise.race([
            pendingNotice.then((result) => ({ kind: 'notice' as const, result })),
            new Promise<{ kind: 'reread' }>((resolve) => {
              timer = setTimeout(() => resolve({ kind: 'reread' }), PROGRESS_REREAD_MS);
            }),
            releasedNow,
          ]).finally(() => clearTimeout(timer));
          if (next.kind === 'released') return;
          let candidate: DeadLetterRedriveTask | null = null;
          if (next.kind === 'notice') {
            if (next.result.done) return;
            pendingNotice = notices.next();
            const notice = readDeadLetterRedriveProgressNotice(next.result.value);
            if (notice.taskId === taskId && notice.tenantId === request.tenantId) candidate = notice;
          } else {
            candidate = await readTask();
          }
          if (candidate && candidate.revision > current.revision) {
            current = candidate;
            yield current;
          }
        }
      } finally {
        await notices.return?.();
      }
    }
    const generator = follow();
    const stream: ProgressStream = {
      next: () => generator.next(),
      async return(value?: unknown) {
        released.abort();
        await notices.return?.();
        return generator.return(value as DeadLetterRedriveTask);
      },
      throw: (error?: unknown) => generator.throw(error),
      [Symbol.asyncIterator]: () => stream,
    };
    return stream;
  }
}
