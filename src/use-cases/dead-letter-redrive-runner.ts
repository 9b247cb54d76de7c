import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DomainError } from '../models/order.errors';
import { dueAt, failureOf, recordOutcome, runEnd, type DeadLetterRedriveTask, type EntryOutcome, type RedriveProgress } from '../models/dead-letter-redrive';
import type { RedriveProgressSink } from '../events/redrive-progress';
import type { Metrics } from '../observability/metrics';
import type { RequestContext } from '../observability/request-context';
import { untraced } from '../observability/tracing';
import { BackgroundLoop } from '../background-loop';
import type { ClaimedTask, DeadLetterRedriveRepository } from '../store/dead-letter-redrive.repository';
import type { DeadLetterQueue } from './dead-letter-queue';

export interface RedriveRunnerOptions {
  /** A task's lease: a replica that dies leaves its tasks to the others this long after its last renewal. */
  leaseMs: number;
  /** Pause between looks for runnable tasks. */
  scanMs: number;
  /** Progress is written (and announced) at most this often per task. */
  checkpointMs: number;
  /** Tasks one replica runs at once. */
  maxTasks: number;
}

const DEFAULTS: RedriveRunnerOptions = { leaseMs: 10_000, scanMs: 1_000, checkpointMs: 250, maxTasks: 4 };

/** Attempts at one entry whose resolve meets a store that cannot serve it right now, before the run pauses. */
const RETRYABLE_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The store (or a write race) failed, not the entry: try again rather than count it failed. */
function isRetryable(error: unknown): boolean {
  return !(error instanceof DomainError) || error.code === 'SERVICE_UNAVAILABLE';
}

/**
 * Runs bulk redrive tasks on any replica: takes up runnable tasks whose lease is free or expired, resolves their
 * entries one after another (each through DeadLetterQueue.resolve, as MANUAL_RETRY in the actor's name) at the task's
 * rate, writes its progress to the task at checkpoints, and honours a cancel between entries. A replica that dies
 * mid-task leaves it RUNNING with an expired lease; another one continues from the last checkpoint, and the entries
 * resolved after it are recognised by their mark (redrivenBy), never resolved again.
 */
export class DeadLetterRedriveRunner {
  private readonly loop = new BackgroundLoop(async () => {
    await this.scan();
    return this.options.scanMs;
  });
  private readonly running = new Map<string, Promise<void>>();
  private readonly options: RedriveRunnerOptions;

  constructor(
    private readonly tasks: DeadLetterRedriveRepository,
    private readonly queue: Pick<DeadLetterQueue, 'resolve'>,
    private readonly progress: RedriveProgressSink,
    private readonly owner: string,
    private readonly metrics: Pick<Metrics, 'redriveEntries' | 'redriveTasksRunning'>,
    private readonly logger: Logger,
    options: Partial<RedriveRunnerOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    this.loop.start();
  }

  /** A task was just queued here: look now rather than at the next scan. */
  nudge(): void {
    this.loop.wake();
  }

  /** Stops between entries; each run checkpoints and gives its lease back, so another replica continues at once. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.running.values());
  }

  private async scan(): Promise<void> {
    try {
      const free = this.options.maxTasks - this.running.size;
      if (free <= 0) return;
      const now = new Date();
      for (const taskId of await this.tasks.findRunnable(now, free + this.running.size)) {
        if (this.loop.isStopped || this.running.size >= this.options.maxTasks || this.running.has(taskId)) continue;
        const claimed = await this.tasks.claim(taskId, this.owner, this.options.leaseMs, now);
        if (!claimed) continue; // another replica was quicker
        const run = untraced(() => this.run(claimed)).finally(() => this.running.delete(taskId));
        this.running.set(taskId, run);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'redrive runner: looking for tasks failed, trying again');
    }
  }

  private async run({ task, orderIds }: ClaimedTask): Promise<void> {
    const { taskId } = task;
    this.metrics.redriveTasksRunning.inc();
    this.progress.published(task);
    let progress: RedriveProgress = { position: task.position, done: task.done, failed: task.failed, failures: task.failures };
    const runStartedAt = Date.now();
    let entryOfRun = 0;
    let checkpointedAt = Date.now();
    let renewedAt = Date.now();
    const checkpoint = async () => {
      const saved = await this.tasks.checkpoint(taskId, this.owner, progress, new Date());
      if (saved) this.progress.published(saved);
      checkpointedAt = Date.now();
      return saved !== null;
    };
    try {
      for (;;) {
        const wait = dueAt(runStartedAt, entryOfRun, task.ratePerSecond) - Date.now();
        if (wait > 0) await sleep(wait);
        if (this.loop.isStopped) {
          await checkpoint();
          await this.tasks.release(taskId, this.owner);
          return;
        }
        // Read right before the entry: a cancel or a lost lease is seen before anything more is resolved.
        const state = await this.tasks.runState(taskId, this.owner);
        if (!state.held) return;
        const end = runEnd({ cancelRequestedAt: state.cancelRequestedAt, total: task.total }, progress.position);
        if (end) {
          const finished = await this.tasks.finish(taskId, this.owner, end, progress, new Date());
          if (finished) this.progress.published(finished);
          return;
        }
        entryOfRun += 1;
        const outcome = await this.redriveOne(task, orderIds[progress.position]);
        progress = recordOutcome(progress, outcome);
        this.metrics.redriveEntries.inc({ outcome: outcome.kind === 'done' ? 'resolved' : 'failed' });
        if (Date.now() - checkpointedAt >= this.options.checkpointMs && !(await checkpoint())) return;
        if (Date.now() - renewedAt >= this.options.leaseMs / 3) {
          if (!(await this.tasks.renew(taskId, this.owner, this.options.leaseMs))) return;
          renewedAt = Date.now();
        }
      }
    } catch (error) {
      // The store failed: the task keeps its last checkpoint and our lease; the next scan takes it up again (ours or,
      // once the lease has run out, any replica's).
      this.logger.warn({ err: error, taskId }, 'redrive run interrupted, to be resumed');
    } finally {
      this.metrics.redriveTasksRunning.dec();
    }
  }

  /** One entry, as MANUAL_RETRY in the actor's name; a store that cannot serve it now is retried, not counted. */
  private async redriveOne(task: DeadLetterRedriveTask, orderId: string): Promise<EntryOutcome> {
    const request: RequestContext = {
      requestId: randomUUID(),
      // The task's events correlate by the task.
      correlationId: task.taskId,
      waveNumber: null,
      workflowId: null,
      traceparent: null,
      tenantId: task.tenantId,
      userId: task.actor,
      scopes: new Set(),
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.queue.resolve(request, orderId, { resolution: 'manual_retry', notes: task.notes, resolvedBy: null }, { taskId: task.taskId });
        return { kind: 'done' };
      } catch (error) {
        if (!isRetryable(error)) return { kind: 'failed', failure: failureOf(orderId, error) };
        if (attempt >= RETRYABLE_ATTEMPTS || this.loop.isStopped) throw error;
        await sleep(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
  }
}
