/**
 * The one fake clock: time moves only when a test advances it or code sleeps on it. `sleeps` records each
 * sleep, so pacing can be asserted without real waiting.
 */
export interface FakeClock {
  now(): number;
  /** Moves time forward without anyone sleeping (a day between scheduled runs, say). */
  advance(ms: number): void;
  /** What code under test awaits instead of setTimeout: records the wait and moves time by it. */
  sleep(ms: number): Promise<void>;
  readonly sleeps: number[];
}

export const DEFAULT_START_MS = Date.UTC(2025, 5, 1, 12, 0, 0);

export function fakeClock(startMs = DEFAULT_START_MS): FakeClock {
  let t = startMs;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms) => {
      if (!(ms >= 0)) throw new Error(`advance called with ${ms}`);
      t += ms;
    },
    sleep: async (ms) => {
      if (!(ms >= 0)) throw new Error(`sleep called with ${ms}`);
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}
