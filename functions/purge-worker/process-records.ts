/**
 * The purge worker's logic: one SQS message is one planned batch. Messages are handled one after another
 * (the Fast Purge rate limit is per account, so parallel sends only earn 429s).
 *
 * A batch's retry budget is its job record's `attempts` (PURGE_MAX_ATTEMPTS real failures), not SQS's
 * receive count: waiting for its planned time or for the rate limit hands the message back to SQS and
 * costs nothing. The worker moves a batch it gives up on to the DLQ itself; the queue's maxReceiveCount
 * only catches a message that crashes the worker every time.
 *
 * | Outcome                                          | Job                          | Message                          |
 * |--------------------------------------------------|------------------------------|----------------------------------|
 * | job not recorded (yet): purge-api queues first   | unchanged                    | back after a short wait; deleted |
 * |                                                  |                              | once RECORD_GRACE_MS have passed |
 * | before the job's planned send time (notBefore)   | unchanged                    | back at that time (≤ 12 h)       |
 * | batch already done, or failed finally            | unchanged                    | deleted (a redelivered duplicate)|
 * | 201                                              | done {purgeId, ...}          | deleted                          |
 * | 401, secret re-read, 401 again; 400/403/413...   | failed {reason, ...}         | deleted: final, the job has it   |
 * | 429, rate-limit model                            | throttled (attempts kept)    | back after the wait              |
 * | 5xx, network, timeout, secret unreadable         | retrying, attempts + 1       | back after the backoff           |
 * | ... with PURGE_MAX_ATTEMPTS used                 | failed "retries exhausted"   | moved to the DLQ                 |
 * | still waiting at the queue's maxReceiveCount      | failed "retries exhausted"   | moved to the DLQ                 |
 * | unreadable message                               | failed "invalid message" (if | moved to the DLQ                 |
 * |                                                  | it names a batch)            |                                  |
 * | CDN batch (Fastly, Cloudflare, CloudFront): the   | same rows, with the CDN's id | same rows (core/jobs/cdn-send.ts)|
 * | provider's answer classified done/retry/failed   | (cdnId) and reason codes     |                                  |
 * | CDN batch for a target this worker does not have | failed "unknownCdnTarget"    | moved to the DLQ (redrivable)    |
 * | DynamoDB or other unexpected error               | unchanged                    | failure (back after the visibility) |
 *
 * A batch in the DLQ that is redriven to the queue starts a fresh round of attempts.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { AppLogger, PurgeMetrics } from "../../core/observability";
import {
  batchFromMessage,
  decodeBatchMessage,
  isCdnBatchMessage,
  type CdnBatchMessage,
  type QueueMessage,
} from "../../core/jobs/message";
import { sendCdnBatch, type CdnSendDeps } from "../../core/jobs/cdn-send";
import {
  PURGE_MAX_ATTEMPTS,
  PURGE_QUEUE_MAX_RECEIVE_COUNT,
  clampVisibility,
  type DeadLetterQueue,
  type MessageVisibility,
} from "../../core/jobs/queue-settings";
import { sendBatch, type PurgeSendDeps, type SendBatchOutcome } from "../../core/jobs/send";
import type { JobStorePort } from "../../core/jobs/records";

/** The queue's redrive maxReceiveCount: after this many receives SQS moves the message to the DLQ. */
export const MAX_RECEIVE_COUNT = PURGE_QUEUE_MAX_RECEIVE_COUNT;
/** How long to wait before trying again when the credential could not be read. */
export const CREDENTIAL_UNAVAILABLE_RETRY_SECONDS = 60;
/**
 * purge-api queues a job's messages before it records the job; a message whose job is still not recorded
 * this long after it was sent belongs to a request that was never answered 202, and is dropped.
 */
export const RECORD_GRACE_MS = 5 * 60_000;
/** How often a message whose job is not recorded yet looks again. */
export const UNRECORDED_RETRY_SECONDS = 15;
export const RETRIES_EXHAUSTED = "retries exhausted";
/** A CDN batch this worker has no target for: kept in the DLQ, so a redrive after a deployment sends it. */
export const UNKNOWN_CDN_TARGET = "unknownCdnTarget";

export interface PurgeWorkerDeps {
  jobs: Pick<JobStorePort, "getBatch" | "hasJob" | "markBatchDone" | "markBatchFailed" | "markBatchWaiting">;
  visibility: MessageVisibility;
  deadLetters: DeadLetterQueue;
  send: PurgeSendDeps;
  /** Fastly, Cloudflare and CloudFront batches (EDGEPLANE_CDNS); absent in an Akamai-only environment. */
  cdn?: CdnSendDeps;
  logger: AppLogger;
  metrics: PurgeMetrics;
  /** The queue's redrive maxReceiveCount. Default MAX_RECEIVE_COUNT. */
  maxReceiveCount?: number;
  /** Real failures a batch may have before it goes to the DLQ. Default PURGE_MAX_ATTEMPTS. */
  maxAttempts?: number;
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
      deps.logger.warn("not enough time left in this invocation; the message goes back to the queue", {
        messageId: record.messageId,
      });
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
  const maxAttempts = deps.maxAttempts ?? PURGE_MAX_ATTEMPTS;
  const receiveCount = receiveCountOf(record);
  const decoded = decodeBatchMessage(record.body);
  if (!decoded.ok) {
    deps.logger.error("unreadable purge message; it goes to the DLQ", { messageId: record.messageId, problem: decoded.problem });
    if (decoded.jobId !== undefined && decoded.batchIndex !== undefined) {
      await deps.jobs.markBatchFailed(
        decoded.jobId,
        decoded.batchIndex,
        { reason: "invalid message", detail: decoded.problem },
        receiveCount,
      );
    }
    return deadLetter(record, `invalid message: ${decoded.problem}`, deps);
  }
  const message = decoded.message;
  const where = { messageId: record.messageId, jobId: message.jobId, batchIndex: message.batchIndex, receiveCount };
  const now = deps.send.now();

  const stored = await deps.jobs.getBatch(message.jobId, message.batchIndex);
  // The job item is written last: only then is the job answered 202 and every batch queued.
  if (stored === undefined || (stored.status === "queued" && !(await deps.jobs.hasJob(message.jobId)))) {
    const sentAt = Number.parseInt(record.attributes?.SentTimestamp ?? "", 10);
    if (Number.isFinite(sentAt) && now - sentAt >= RECORD_GRACE_MS) {
      deps.logger.warn("purge message for a job that was never recorded (purge-api did not answer 202); dropped", where);
      return OK;
    }
    await changeVisibility(record, UNRECORDED_RETRY_SECONDS, deps);
    return RETRY;
  }
  if (stored.status === "done") {
    deps.logger.info("batch already done; redelivered message ignored", { ...where, purgeId: stored.purgeId });
    return OK;
  }
  if (stored.status === "failed" && stored.error?.reason !== RETRIES_EXHAUSTED && stored.error?.reason !== UNKNOWN_CDN_TARGET) {
    // Final failures (400/403/401...) delete their message, so this is an at-least-once duplicate: sending
    // it again would only fail the same way. A batch that ran out of retries is tried again (DLQ redrive).
    deps.logger.info("batch already failed finally; redelivered message ignored", { ...where, reason: stored.error?.reason });
    return OK;
  }
  if (message.notBefore !== undefined && now < message.notBefore) {
    // The job's plan gives this batch a later turn (SQS delays a message 15 minutes at most).
    await changeVisibility(record, (message.notBefore - now) / 1000, deps);
    return RETRY;
  }

  // A batch redriven from the DLQ after running out of attempts gets a fresh budget.
  const attemptsSoFar = stored.status === "failed" ? 0 : (stored.attempts ?? 0);
  const attempt = attemptsSoFar + 1;
  const counts = { receiveCount, maxReceiveCount, attempt, maxAttempts };
  if (isCdnBatchMessage(message)) return processCdnBatch(record, message, counts, stored.throttled ?? 0, deps, where);
  const batch = batchFromMessage(message);
  const outcome = await sendBatch(
    batch,
    { attempt: Math.min(attempt, maxAttempts), maxAttempts, context: { ...where, attempt } },
    deps.send,
  );
  return settle(record, message, outcome, counts, deps, where);
}

/**
 * A Fastly, Cloudflare or CloudFront batch: one sendStep through the target's provider (core/jobs/cdn-send.ts),
 * settled like an Akamai batch: done with the CDN's id; a refusal final with its reason code; a rate-limit or
 * busy answer, or the provider's own pacing, a wait that keeps the attempts; 5xx, network errors and an
 * unreadable token a wait that uses one, until PURGE_MAX_ATTEMPTS send it to the DLQ.
 */
async function processCdnBatch(
  record: SQSRecord,
  message: CdnBatchMessage,
  counts: Counts,
  throttledInARow: number,
  deps: PurgeWorkerDeps,
  where: Record<string, unknown>,
): Promise<RecordOutcome> {
  const { jobId, batchIndex } = message;
  const cdnWhere = { ...where, target: message.target, cdn: message.request.cdn };
  if (deps.cdn === undefined) {
    // Queued by a purge-api that had CDN targets; this worker was deployed without them.
    const detail = `the batch is for ${message.target}, but this worker has no CDN targets (EDGEPLANE_CDNS is not set)`;
    await deps.jobs.markBatchFailed(jobId, batchIndex, { reason: UNKNOWN_CDN_TARGET, detail }, counts.receiveCount);
    deps.logger.error("purge batch for a CDN target this worker does not have; it goes to the DLQ", { ...cdnWhere, detail });
    return deadLetter(record, `${UNKNOWN_CDN_TARGET}: ${detail}`, deps);
  }
  const { attempt, maxAttempts } = counts;
  const step = await sendCdnBatch(
    message,
    { attempt: Math.min(attempt, maxAttempts), maxAttempts, throttledInARow, context: { ...cdnWhere, attempt } },
    deps.cdn,
  );
  switch (step.kind) {
    case "done": {
      const changed = await deps.jobs.markBatchDone(jobId, batchIndex, { cdnId: step.cdnId });
      if (changed) deps.metrics.objectsPurged(message.request.objects.length);
      else deps.logger.info("batch was already recorded as done", { ...cdnWhere, cdnId: step.cdnId });
      return OK;
    }
    case "unknownTarget":
      await deps.jobs.markBatchFailed(
        jobId,
        batchIndex,
        { reason: UNKNOWN_CDN_TARGET, detail: step.detail },
        counts.receiveCount,
      );
      deps.logger.error("purge batch for a CDN target this environment does not have; it goes to the DLQ", {
        ...cdnWhere,
        detail: step.detail,
      });
      return deadLetter(record, `${UNKNOWN_CDN_TARGET}: ${step.detail}`, deps);
    case "failed":
      return settle(record, message, { ...step, kind: "failed" }, counts, deps, cdnWhere, message.target);
    case "credentialUnavailable":
      return settle(record, message, step, counts, deps, cdnWhere, message.target);
    case "retry":
      return settle(
        record,
        message,
        {
          kind: "retryAfter",
          afterMs: step.afterMs,
          cause: step.cause === "paced" ? "rateLimitModel" : step.cause === "busy" ? "throttled" : step.cause,
          detail: step.detail,
          ...(step.status !== undefined ? { status: step.status } : {}),
          requestSent: step.requestSent,
        },
        counts,
        deps,
        cdnWhere,
        message.target,
      );
  }
}

interface Counts {
  receiveCount: number;
  maxReceiveCount: number;
  /** This try's number in the batch's retry budget. */
  attempt: number;
  maxAttempts: number;
}

/** An outcome to settle: Fast Purge's, or another CDN's refusal (its reason a code of the one set). */
type SettleOutcome =
  | SendBatchOutcome
  | { kind: "failed"; reason: string; detail: string; status?: number; supportId?: string; requestSent: boolean };

async function settle(
  record: SQSRecord,
  message: QueueMessage,
  outcome: SettleOutcome,
  counts: Counts,
  deps: PurgeWorkerDeps,
  where: Record<string, unknown>,
  /** Who answered, for the job's details: "Fast Purge" or the CDN target. */
  service = "Fast Purge",
): Promise<RecordOutcome> {
  const { jobId, batchIndex } = message;
  const { receiveCount, maxReceiveCount, attempt, maxAttempts } = counts;
  switch (outcome.kind) {
    case "done": {
      const { purgeId, estimatedSeconds, supportId } = outcome.accepted;
      const changed = await deps.jobs.markBatchDone(jobId, batchIndex, { purgeId, estimatedSeconds, supportId });
      if (changed)
        deps.metrics.objectsPurged(isCdnBatchMessage(message) ? message.request.objects.length : message.objects.length);
      else deps.logger.info("batch was already recorded as done", { ...where, purgeId });
      return OK;
    }
    case "failed": {
      const exhausted = outcome.reason === "retriesExhausted";
      const error = {
        reason: exhausted ? RETRIES_EXHAUSTED : outcome.reason,
        detail: outcome.detail,
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        ...(outcome.supportId !== undefined ? { supportId: outcome.supportId } : {}),
      };
      await deps.jobs.markBatchFailed(jobId, batchIndex, error, receiveCount, exhausted ? attempt : undefined);
      deps.logger.warn("purge batch failed", {
        ...where,
        reason: error.reason,
        status: outcome.status,
        supportId: outcome.supportId,
      });
      if (!exhausted) return OK; // final, and the job records it
      return deadLetter(record, `${RETRIES_EXHAUSTED}: ${outcome.detail}`, deps);
    }
    case "retryAfter":
    case "credentialUnavailable": {
      const realFailure =
        outcome.kind === "credentialUnavailable" || outcome.cause === "serverError" || outcome.cause === "networkError";
      const waitSeconds =
        outcome.kind === "retryAfter" ? clampVisibility(outcome.afterMs / 1000) : CREDENTIAL_UNAVAILABLE_RETRY_SECONDS;
      const cause = outcome.kind === "retryAfter" ? outcome.cause : "credentialUnavailable";
      const detail = outcome.kind === "retryAfter" ? describeRetry(outcome, service) : outcome.detail;
      const httpStatus = outcome.kind === "retryAfter" ? outcome.status : undefined;
      const outOfAttempts = realFailure && attempt >= maxAttempts;
      // The next receive would be SQS's redrive: move the message to the DLQ now, with the job saying why.
      const outOfReceives = receiveCount >= maxReceiveCount;
      if (outOfAttempts || outOfReceives) {
        const why = outOfAttempts
          ? `still ${cause} after ${attempt} attempts`
          : `still ${cause} after ${receiveCount} deliveries`;
        await deps.jobs.markBatchFailed(
          jobId,
          batchIndex,
          { reason: RETRIES_EXHAUSTED, detail: `${why}: ${detail}`, ...(httpStatus !== undefined ? { status: httpStatus } : {}) },
          receiveCount,
          realFailure ? attempt : attempt - 1,
        );
        deps.logger.warn("purge batch failed: retries exhausted; the message goes to the DLQ", { ...where, cause });
        return deadLetter(record, `${RETRIES_EXHAUSTED}: ${why}`, deps);
      }
      await deps.jobs.markBatchWaiting(jobId, batchIndex, {
        status: realFailure ? "retrying" : "throttled",
        retryAfterSeconds: waitSeconds,
        detail,
        receiveCount,
        ...(realFailure ? { attempts: attempt } : {}),
        ...(httpStatus !== undefined ? { httpStatus } : {}),
      });
      await changeVisibility(record, waitSeconds, deps);
      deps.logger.info("purge batch will be tried again", {
        ...where,
        cause,
        afterSeconds: waitSeconds,
        countsAsAttempt: realFailure,
      });
      return RETRY;
    }
  }
}

/**
 * Moves the message to the DLQ (then it is deleted here). If that fails, the message stays in the queue
 * and comes back after the visibility timeout; maxReceiveCount is the last resort.
 */
async function deadLetter(record: SQSRecord, reason: string, deps: PurgeWorkerDeps): Promise<RecordOutcome> {
  try {
    await deps.deadLetters.send(record.body, reason);
    return OK;
  } catch (error) {
    deps.logger.error("could not move the message to the DLQ; it stays in the queue", {
      messageId: record.messageId,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return RETRY;
  }
}

function describeRetry(outcome: Extract<SendBatchOutcome, { kind: "retryAfter" }>, service: string): string {
  switch (outcome.cause) {
    case "throttled":
      if (service === "Fast Purge") return `Fast Purge answered 429 (rate limit)${outcome.detail ? `: ${outcome.detail}` : ""}`;
      return `${service} answered ${outcome.status ?? "busy"} (rate limit or busy)${outcome.detail ? `: ${outcome.detail}` : ""}`;
    case "rateLimitModel":
      return service === "Fast Purge"
        ? "waiting for the account's purge rate limit (not sent)"
        : `waiting for ${service}'s rate limit (not sent)`;
    case "serverError":
      return `${service} answered ${outcome.status ?? "5xx"}${outcome.detail ? `: ${outcome.detail}` : ""}`;
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
