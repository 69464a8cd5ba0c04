/** Bounded polling with an injected clock and sleep (tests move a fake clock; nothing waits for real). */

export interface Waiter {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Time between reads. */
  pollIntervalMs: number;
  /** No wait goes past this time (epoch ms): the rest is left to the next scheduled run. */
  deadlineMs: number;
}

/**
 * Reads until `done` says so or `capMs` (and the waiter's deadline) have passed; returns the last read.
 * Reads at least once.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  capMs: number,
  waiter: Waiter,
): Promise<T> {
  const stopAt = Math.min(waiter.now() + capMs, waiter.deadlineMs);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    const left = stopAt - waiter.now();
    if (left <= 0) return value;
    await waiter.sleep(Math.min(waiter.pollIntervalMs, left));
  }
}
