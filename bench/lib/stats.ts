import { performance } from 'node:perf_hooks';

/** Latencies in milliseconds, as measured by the load generator, and how long the whole run took. */
export interface Sample {
  latencies: number[];
  elapsedMs: number;
  errors: number;
  firstError: string | null;
}

export interface Summary {
  n: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  firstError: string | null;
}

/** Nearest-rank percentile of an ascending array (p in 0–100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(sample: Sample): Summary {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    opsPerSec: sample.elapsedMs > 0 ? (sorted.length / sample.elapsedMs) * 1000 : Number.NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    errors: sample.errors,
    firstError: sample.firstError,
  };
}

/** Latency-only summary (no meaningful throughput), e.g. write → event. */
export function latencySummary(latencies: number[]): Summary {
  return summarize({ latencies, elapsedMs: 0, errors: 0, firstError: null });
}

export function merge(samples: Sample[]): Sample {
  return {
    latencies: samples.flatMap((sample) => sample.latencies),
    elapsedMs: samples.reduce((sum, sample) => sum + sample.elapsedMs, 0),
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
    firstError: samples.find((sample) => sample.firstError !== null)?.firstError ?? null,
  };
}

export type Operation = (index: number) => Promise<unknown>;

export interface LoopOptions {
  /** Added to each operation's index (so that later rounds use fresh indexes). */
  offset?: number;
  /** Stop starting operations after this long (ms); those already started finish. */
  maxMs?: number;
  /** Stop starting operations after the first failure (a hung store would otherwise cost a time-out per operation). */
  abortOnError?: boolean;
  /** Stop starting operations once this says so (a load that lasts as long as something else runs). */
  until?: () => boolean;
}

/**
 * Closed loop: `concurrency` workers, each starting its next operation when the previous one answers, until `n`
 * operations ran (or `maxMs` passed). Failed operations are counted and left out of the latencies.
 */
export async function closedLoop(n: number, concurrency: number, op: Operation, options: LoopOptions = {}): Promise<Sample> {
  const { offset = 0, maxMs = Number.POSITIVE_INFINITY, abortOnError = false, until = () => false } = options;
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const index = next;
      next += 1;
      if (index >= n || performance.now() - started > maxMs || (abortOnError && errors > 0) || until()) return;
      const opStarted = performance.now();
      try {
        await op(offset + index);
        latencies.push(performance.now() - opStarted);
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { latencies, elapsedMs: performance.now() - started, errors, firstError };
}

/**
 * Open loop: operations started at a fixed rate, whether or not earlier ones have answered, until `until` says stop or
 * `maxMs` has passed. Each latency is measured from the moment the operation was due, so a stalled server shows in the
 * figures instead of slowing the load down (closed loops hide it: coordinated omission). For a load that should take
 * a fixed share of the server, not all that is left of it.
 */
export async function openLoop(ratePerSecond: number, op: Operation, options: { maxMs: number; until?: () => boolean }): Promise<Sample> {
  const latencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const spacingMs = 1000 / ratePerSecond;
  for (let index = 0; ; index += 1) {
    const dueAt = started + index * spacingMs;
    if (dueAt - started > options.maxMs || options.until?.()) break;
    const wait = dueAt - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      op(index).then(
        () => void latencies.push(performance.now() - dueAt),
        (error: unknown) => {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        },
      ),
    );
  }
  await Promise.all(pending);
  return { latencies, elapsedMs: performance.now() - started, errors, firstError };
}

export interface Comparison {
  baseline: Summary;
  subject: Summary;
  /** True when a round stopped at its time limit before its share of `n`. */
  truncated: boolean;
}

/**
 * Baseline and subject at the same concurrency, in alternating rounds (baseline, subject, baseline, subject …) after a
 * warm-up of each, so that drift in a shared machine's load hits both alike. Operation indexes run on across rounds.
 * Any failed operation ends the comparison with an error: figures with failures in them are not figures.
 */
export async function compare(options: {
  n: number;
  concurrency: number;
  warmup: number;
  rounds: number;
  baseline: Operation;
  subject: Operation;
  /** Time limit per round (ms). */
  maxRoundMs?: number;
}): Promise<Comparison> {
  const { n, concurrency, warmup, rounds, baseline, subject, maxRoundMs } = options;
  const check = (side: string, sample: Sample) => {
    if (sample.errors)
      throw new Error(`${side}: ${sample.errors} operation(s) failed after ${sample.latencies.length} succeeded (first: ${sample.firstError})`);
    return sample;
  };
  check('baseline warm-up', await closedLoop(warmup, concurrency, baseline, { offset: 1_000_000, abortOnError: true, maxMs: maxRoundMs }));
  check('subject warm-up', await closedLoop(warmup, concurrency, subject, { offset: 1_000_000, abortOnError: true, maxMs: maxRoundMs }));
  const perRound = Math.ceil(n / rounds);
  const baselineSamples: Sample[] = [];
  const subjectSamples: Sample[] = [];
  let truncated = false;
  for (let round = 0; round < rounds; round += 1) {
    const loop = { offset: round * perRound, abortOnError: true, maxMs: maxRoundMs };
    baselineSamples.push(check('baseline', await closedLoop(perRound, concurrency, baseline, loop)));
    subjectSamples.push(check('subject', await closedLoop(perRound, concurrency, subject, loop)));
    truncated ||= [...baselineSamples, ...subjectSamples].some((sample) => sample.latencies.length < perRound);
  }
  return { baseline: summarize(merge(baselineSamples)), subject: summarize(merge(subjectSamples)), truncated };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(intervalMs);
  }
}

export interface Side {
  name: string;
  op: Operation;
}

export interface AlternateOptions {
  /** Operations per side in the closed-loop mode (split over `rounds`). */
  n: number;
  concurrency: number;
  rounds: number;
  /** Time limit per round and side (ms), closed-loop mode. */
  maxRoundMs: number;
  /** A side whose first (warm-up) operation took longer than this runs in the sequential mode. */
  slowMs: number;
  /** Rounds in the sequential mode: one operation per side per round. */
  slowRounds: number;
  /** No new round starts once the whole comparison has taken this long (ms); at least one round runs. */
  budgetMs: number;
}

export interface AlternateResult {
  summaries: Summary[];
  /** Each side's first operation (warm-up, not measured), ms. */
  firstMs: number[];
  mode: 'closed loop' | 'sequential';
  concurrency: number;
  rounds: number;
  seconds: number;
}

/**
 * Two or more sides (a baseline first) in alternating rounds, so that a shared machine's drift hits each alike.
 * Each side's first operation is a warm-up and decides the mode: when every side answered within `slowMs`, a closed loop
 * at `concurrency` (after a short warm-up); otherwise one operation at a time, one per side per round (a query that
 * takes seconds gives a handful of figures in a bounded time, and concurrency would only queue them up). Any failure
 * ends the comparison with an error.
 */
export async function alternate(sides: Side[], options: AlternateOptions): Promise<AlternateResult> {
  const started = performance.now();
  const check = (side: string, sample: Sample) => {
    if (sample.errors)
      throw new Error(`${side}: ${sample.errors} operation(s) failed after ${sample.latencies.length} succeeded (first: ${sample.firstError})`);
    return sample;
  };
  const firstMs: number[] = [];
  for (const side of sides) {
    const opStarted = performance.now();
    try {
      await side.op(2_000_000);
    } catch (error) {
      throw new Error(`${side.name}: first operation failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    firstMs.push(performance.now() - opStarted);
  }
  const slow = Math.max(...firstMs) > options.slowMs;
  const concurrency = slow ? 1 : options.concurrency;
  const rounds = slow ? options.slowRounds : options.rounds;
  const perRound = slow ? 1 : Math.ceil(options.n / rounds);
  if (!slow) {
    for (const side of sides)
      check(
        `${side.name} warm-up`,
        await closedLoop(Math.min(4 * concurrency, options.n), concurrency, side.op, { offset: 1_000_000, abortOnError: true, maxMs: options.maxRoundMs }),
      );
  }
  const samples: Sample[][] = sides.map(() => []);
  let done = 0;
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, side] of sides.entries()) {
      const loop = { offset: round * perRound, abortOnError: true, maxMs: slow ? Number.POSITIVE_INFINITY : options.maxRoundMs };
      samples[index].push(check(side.name, await closedLoop(perRound, concurrency, side.op, loop)));
    }
    done += 1;
    if (performance.now() - started > options.budgetMs) break;
  }
  return {
    summaries: samples.map((sideSamples) => summarize(merge(sideSamples))),
    firstMs,
    mode: slow ? 'sequential' : 'closed loop',
    concurrency,
    rounds: done,
    seconds: (performance.now() - started) / 1000,
  };
}
