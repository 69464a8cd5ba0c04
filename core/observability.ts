/** What the engine logs and measures through; the Lambda side plugs Powertools in, tests a recorder. */

/** What the purge code logs through; Powertools' Logger fits it, and tests pass a recorder. */
export interface AppLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** The purge metrics, by meaning rather than by name. */
export interface PurgeMetrics {
  /** Objects in a batch Akamai accepted (counted once per batch, when the job first records it). */
  objectsPurged(count: number): void;
  /** One 429 answer from Fast Purge. */
  throttled(): void;
  /** Time for one Fast Purge request, from send to answer. */
  latency(ms: number): void;
}
