/** Set once the run is being torn down (signal, time limit): nothing new may start after that. */
let aborted = false;

export function abortRun(): void {
  aborted = true;
}

export function isAborted(): boolean {
  return aborted;
}

export function checkNotAborted(what: string): void {
  if (aborted) throw new Error(`${what}: the run is being stopped`);
}
