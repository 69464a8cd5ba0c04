/**
 * Purge job and batch states. A job's status is derived from its batches every time it is read, so there
 * is no counter that a redelivered message could bump twice.
 *
 * Batch: queued → (throttled | retrying)* → done | failed. `done` is final. `failed` is final for the
 * message that failed it; a batch redriven from the DLQ may still end `done`.
 */
export const BATCH_STATUSES = ["queued", "throttled", "retrying", "done", "failed"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const JOB_STATUSES = ["queued", "in_progress", "done", "failed", "partially_failed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** A job in one of these has nothing left to do. */
export const TERMINAL_JOB_STATUSES = ["done", "failed", "partially_failed"] as const satisfies readonly JobStatus[];

/**
 * - queued: no batch has been tried yet;
 * - in_progress: some batch was tried (or finished) and some batch is not finished;
 * - done / failed: every batch finished, all done / all failed;
 * - partially_failed: every batch finished, some done and some failed.
 * `expectedBatches` counts batches that are not in `statuses` (never written) as queued.
 */
export function deriveJobStatus(statuses: readonly BatchStatus[], expectedBatches = statuses.length): JobStatus {
  const missing = Math.max(0, expectedBatches - statuses.length);
  let queued = missing;
  let waiting = 0;
  let done = 0;
  let failed = 0;
  for (const status of statuses) {
    if (status === "done") done++;
    else if (status === "failed") failed++;
    else if (status === "queued") queued++;
    else waiting++;
  }
  if (queued + waiting > 0) return done + failed + waiting === 0 ? "queued" : "in_progress";
  if (failed === 0) return "done";
  return done === 0 ? "failed" : "partially_failed";
}
