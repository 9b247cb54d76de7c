const MAX_BACKOFF_MS = 5_000;

/** Wait before the next try after `failures` failures in a row: 200 ms, doubling, at most 5 s. */
export const backoff = (failures: number) => Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 6));
