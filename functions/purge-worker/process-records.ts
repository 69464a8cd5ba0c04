/**
 * The purge worker's logic: one SQS message is one planned batch. Messages are handled one after another
 * (the Fast Purge rate limit is per account, so parallel sends only earn 429s).
 *
 * | Outcome                                        | Job                          | Message                               |
 * |------------------------------------------------|------------------------------|---------------------------------------|
 * | batch already done, or failed finally          | unchanged                    | deleted (success)                     |
 * | (a redelivered duplicate)                      |                              |                                       |
 * | 201                                            | done {purgeId, ...}          | deleted                               |
 * | 401, secret re-read, 401 again; 400/403/413... | failed {reason, ...}         | deleted: final, and the job has it    |
 * | 429, rate-limit model, 5xx, network, no secret | throttled / retrying         | failure, visible again after the wait |
 * | any of those at the last receive (10)          | failed "retries exhausted"   | failure, visible now → DLQ            |
 * | 5xx/network on the last attempt                | failed "retries exhausted"   | failure, visible now → DLQ            |
 * | unreadable message                             | failed "invalid message" (if | failure, visible now → DLQ            |
 * |                                                | it names a batch)            |                                       |
 * | DynamoDB or other unexpected error             | unchanged                    | failure (back after the visibility)   |
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { AppLogger, PurgeMetrics } from "../../core/observability";
import { batchFromMessage, decodeBatchMessage, type BatchMessage } from "../../core/jobs/message";
import { clampVisibility, type MessageVisibility } from "../../core/jobs/queue-settings";
import { PURGE_QUEUE_MAX_RECEIVE_COUNT } from "../../core/jobs/queue-settings";
import { sendBatch, type PurgeSendDeps, type SendBatchOutcome } from "../../core/jobs/send";
import type { JobStorePort } from "../../core/jobs/records";

/** The queue's redrive maxReceiveCount: after this many receives SQS moves the message to the DLQ. */
export const MAX_RECEIVE_COUNT = PURGE_QUEUE_MAX_RECEIVE_COUNT;
/** How long to wait before trying again when the credential could not be read. */
export const CREDENTIAL_UNAVAILABLE_RETRY_SECONDS = 60;
export const RETRIES_EXHAUSTED = "retries exhausted";

export interface PurgeWorkerDeps {
  jobs: Pick<JobStorePort, "getBatch" | "markBatchDone" | "markBatchFailed" | "markBatchWaiting">;
  visibility: MessageVisibility;
  send: PurgeSendDeps;
  logger: AppLogger;
  metrics: PurgeMetrics;
  /** Default MAX_RECEIVE_COUNT. */
  maxReceiveCount?: number;
  /**
   * A message is only started when at least this much of the invocation is left (default 45 s: two
   * requests with the worker's 20 s timeout, plus DynamoDB); the rest are handed back to SQS.
   */
  minRemainingMs?: number;
}

export const DEFAULT_MIN_REMAINING_MS = 45_000;

type RecordOutcome = { ok: true } | { ok: false };
const OK: RecordOutcome = { ok: true };
const RETRY: RecordOutcome = { ok: false };

export async function processPurgeRecords(
  records: readonly SQSRecord[],
  deps: PurgeWorkerDeps,
  remainingTimeMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  const minRemainingMs = deps.minRemainingMs ?? DEFAULT_MIN_REMAINING_MS;
  for (const record of records) {
    if (remainingTimeMs() < minRemainingMs) {
      deps.logger.warn("not enough time left in this invocation; the message goes back to the queue", { messageId: record.messageId });
      await changeVisibility(record, 0, deps);
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    let outcome: RecordOutcome;
    try {
      outcome = await processRecord(record, deps);
    } catch (error) {
      deps.logger.error("purge message failed unexpectedly; SQS will deliver it again", {
        messageId: record.messageId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      outcome = RETRY;
    }
    if (!outcome.ok) batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}

function receiveCountOf(record: SQSRecord): number {
  const count = Number.parseInt(record.attributes?.ApproximateReceiveCount ?? "", 10);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}

async function processRecord(record: SQSRecord, deps: PurgeWorkerDeps): Promise<RecordOutcome> {
  const maxReceiveCount = deps.maxReceiveCount ?? MAX_RECEIVE_COUNT;
  const receiveCount = receiveCountOf(record);
  const decoded = decodeBatchMessage(record.body);
  if (!decoded.ok) {
    deps.logger.error("unreadable purge message; it goes to the DLQ", { messageId: record.messageId, problem: decoded.problem });
    if (decoded.jobId !== undefined && decoded.batchIndex !== undefined) {
      await deps.jobs.markBatchFailed(decoded.jobId, decoded.batchIndex, { reason: "invalid message", detail: decoded.problem }, receiveCount);
    }
    await changeVisibility(record, 0, deps);
    return RETRY;
  }
  const message = decoded.message;
  const where = { messageId: record.messageId, jobId: message.jobId, batchIndex: message.batchIndex, receiveCount };

  const stored = await deps.jobs.getBatch(message.jobId, message.batchIndex);
  if (stored === undefined) {
    // The job is written before its messages are sent, so this is not a race; keep the message (→ DLQ).
    deps.logger.error("purge message for a batch the jobs table does not have", where);
    return RETRY;
  }
  if (stored.status === "done") {
    deps.logger.info("batch already done; redelivered message ignored", { ...where, purgeId: stored.purgeId });
    return OK;
  }
  if (stored.status === "failed" && stored.error?.reason !== RETRIES_EXHAUSTED) {
    // Final failures (400/403/401...) delete their message, so this is an at-least-once duplicate: sending
    // it again would only fail the same way. A batch that ran out of retries is tried again (DLQ redrive).
    deps.logger.info("batch already failed finally; redelivered message ignored", { ...where, reason: stored.error?.reason });
    return OK;
  }

  const batch = batchFromMessage(message);
  const outcome = await sendBatch(
    batch,
    { attempt: Math.min(receiveCount, maxReceiveCount), maxAttempts: maxReceiveCount, context: where },
    deps.send,
  );
  return settle(record, message, outcome, receiveCount, maxReceiveCount, deps, where);
}

async function settle(
  record: SQSRecord,
  message: BatchMessage,
  outcome: SendBatchOutcome,
  receiveCount: number,
  maxReceiveCount: number,
  deps: PurgeWorkerDeps,
  where: Record<string, unknown>,
): Promise<RecordOutcome> {
  const { jobId, batchIndex } = message;
  switch (outcome.kind) {
    case "done": {
      const { purgeId, estimatedSeconds, supportId } = outcome.accepted;
      const changed = await deps.jobs.markBatchDone(jobId, batchIndex, { purgeId, estimatedSeconds, supportId });
      if (changed) deps.metrics.objectsPurged(message.objects.length);
      else deps.logger.info("batch was already recorded as done", { ...where, purgeId });
      return OK;
    }
    case "failed": {
      const error = {
        reason: outcome.reason === "retriesExhausted" ? RETRIES_EXHAUSTED : outcome.reason,
        detail: outcome.detail,
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        ...(outcome.supportId !== undefined ? { supportId: outcome.supportId } : {}),
      };
      await deps.jobs.markBatchFailed(jobId, batchIndex, error, receiveCount);
      deps.logger.warn("purge batch failed", { ...where, reason: error.reason, status: outcome.status, supportId: outcome.supportId });
      if (outcome.reason !== "retriesExhausted") return OK; // final, and the job records it
      await changeVisibility(record, 0, deps); // → DLQ on the next receive
      return RETRY;
    }
    case "retryAfter":
    case "credentialUnavailable": {
      const waitSeconds =
        outcome.kind === "retryAfter" ? clampVisibility(outcome.afterMs / 1000) : CREDENTIAL_UNAVAILABLE_RETRY_SECONDS;
      const cause = outcome.kind === "retryAfter" ? outcome.cause : "credentialUnavailable";
      const detail = outcome.kind === "retryAfter" ? describeRetry(outcome) : outcome.detail;
      const httpStatus = outcome.kind === "retryAfter" ? outcome.status : undefined;
      if (receiveCount >= maxReceiveCount) {
        await deps.jobs.markBatchFailed(
          jobId,
          batchIndex,
          {
            reason: RETRIES_EXHAUSTED,
            detail: `still ${cause} after ${receiveCount} deliveries: ${detail}`,
            ...(httpStatus !== undefined ? { status: httpStatus } : {}),
          },
          receiveCount,
        );
        deps.logger.warn("purge batch failed: retries exhausted; the message goes to the DLQ", { ...where, cause });
        await changeVisibility(record, 0, deps);
        return RETRY;
      }
      await deps.jobs.markBatchWaiting(jobId, batchIndex, {
        status: cause === "throttled" || cause === "rateLimitModel" ? "throttled" : "retrying",
        retryAfterSeconds: waitSeconds,
        detail,
        receiveCount,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
      });
      await changeVisibility(record, waitSeconds, deps);
      deps.logger.info("purge batch will be tried again", { ...where, cause, afterSeconds: waitSeconds });
      return RETRY;
    }
  }
}

function describeRetry(outcome: Extract<SendBatchOutcome, { kind: "retryAfter" }>): string {
  switch (outcome.cause) {
    case "throttled":
      return `Fast Purge answered 429 (rate limit)${outcome.detail ? `: ${outcome.detail}` : ""}`;
    case "rateLimitModel":
      return "waiting for the account's purge rate limit (not sent)";
    case "serverError":
      return `Fast Purge answered ${outcome.status ?? "5xx"}${outcome.detail ? `: ${outcome.detail}` : ""}`;
    case "networkError":
      return `network error${outcome.detail ? `: ${outcome.detail}` : ""}`;
  }
}

/** Best effort: if it fails, the message still comes back, after the queue's visibility timeout. */
async function changeVisibility(record: SQSRecord, seconds: number, deps: PurgeWorkerDeps): Promise<void> {
  try {
    await deps.visibility.change(record.eventSourceARN, record.receiptHandle, seconds);
  } catch (error) {
    deps.logger.warn("could not change the message's visibility; it comes back after the queue's visibility timeout", {
      messageId: record.messageId,
      seconds,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
