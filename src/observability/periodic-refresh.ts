/**
 * Runs `refresh` now and again and again, at least `minIntervalMs` apart and never more than a fifth of the time: a
 * refresh that takes 2 s (a store under load) waits 8 s before the next one, so gauges
 * cannot crowd out the requests they describe. Errors are the caller's to report inside `refresh`.
 */
export function startPeriodicRefresh(refresh: () => Promise<unknown>, minIntervalMs: number, firstDelayMs = 0): { stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const run = async () => {
    const started = Date.now();
    await refresh().catch(() => undefined);
    if (stopped) return;
    timer = setTimeout(run, Math.max(minIntervalMs, 4 * (Date.now() - started)));
    timer.unref();
  };
  timer = setTimeout(run, firstDelayMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
