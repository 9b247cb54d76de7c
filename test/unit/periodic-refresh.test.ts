import { startPeriodicRefresh } from '../../src/observability/periodic-refresh';

describe('startPeriodicRefresh', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A refresh that takes `ms` of (fake) time and records when it started. */
  function slowRefresh(ms: number, starts: number[]) {
    return async () => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, ms));
    };
  }

  it('waits the minimum interval between quick refreshes, the first after the given delay', async () => {
    const starts: number[] = [];
    const t0 = Date.now();
    const refresher = startPeriodicRefresh(slowRefresh(10, starts), 1_000, 500);
    await jest.advanceTimersByTimeAsync(2_600);
    refresher.stop();
    expect(starts.map((at) => at - t0)).toEqual([500, 1_510, 2_520]);
  });

  it('spaces slow refreshes by four times their duration, so they take at most a fifth of the time', async () => {
    const starts: number[] = [];
    const t0 = Date.now();
    const refresher = startPeriodicRefresh(slowRefresh(2_000, starts), 1_000);
    await jest.advanceTimersByTimeAsync(20_500);
    refresher.stop();
    expect(starts.map((at) => at - t0)).toEqual([0, 10_000, 20_000]);
  });

  it('keeps going after a failed refresh, and stops when told', async () => {
    let calls = 0;
    const refresher = startPeriodicRefresh(async () => {
      calls += 1;
      throw new Error('store away');
    }, 1_000);
    await jest.advanceTimersByTimeAsync(2_500);
    expect(calls).toBe(3);
    refresher.stop();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(3);
  });
});
