/**
 * Sends planned batches to Fast Purge, pacing on the bucket model and retrying what may be retried.
 *
 * | Answer                         | What happens                                                          |
 * |--------------------------------|-----------------------------------------------------------------------|
 * | 201 with a purgeId             | done; purgeId, estimatedSeconds, supportId recorded                   |
 * | 201 without a purgeId          | failed, not retried: Akamai may have taken it, so say so, do not guess |
 * | 429                            | retried after X-Ratelimit-Seconds-To-Refresh-* (or 5 s, TD-purge 429) |
 * |                                | plus jitter; costs no tokens (TD-purge rate-limiting)                 |
 * | 5xx, network error (retryable) | retried with capped exponential backoff and full jitter, maxAttempts  |
 * | 401                            | failed with credentialRejected: the worker re-reads the credential    |
 * |                                | once and tries again; sendBatches sends nothing more after a 401      |
 * | other 4xx (400, 403, 413, ...) | failed, never retried: the same request would fail the same way       |
 *
 * `sendOne` makes at most one request and never sleeps, so an SQS worker can turn "retry after N ms" into
 * a visibility timeout; `sendBatches` loops over it and sleeps.
 */
import type { FailureReasonCode } from "./failure-reasons";
import type { PurgeObject, PurgeType } from "./objects";
import { MAX_BODY_BYTES, MAX_OBJECTS_PER_REQUEST, type PurgeBatch } from "./planner";
import type { HeaderMap, PurgeBuckets } from "./rate-limit";

export interface PurgeHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: unknown;
}

/**
 * The transport: POSTs a JSON body to a path on the Akamai host, signed. Network failures are thrown
 * as errors with `retryable: true`; any other thrown error is treated as permanent.
 */
export interface PurgeHttp {
  post(path: string, body: string): Promise<PurgeHttpResponse>;
}

export interface PurgeLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/** TD-purge 429: "Wait five seconds, then retry once there are enough tokens". */
export const DEFAULT_THROTTLE_WAIT_MS = 5_000;
/** Added to 429 waits (uniformly 0 to this) so that workers throttled together do not retry together. */
export const THROTTLE_JITTER_MS = 1_000;
export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 30_000 } as const;
export const DEFAULT_MAX_THROTTLED = 20;

export interface AcceptedPurge {
  purgeId: string;
  /** Akamai's estimate of when the purge completes; null when the 201 body did not say. */
  estimatedSeconds: number | null;
  supportId: string | null;
  path: string;
  objects: PurgeObject[];
}

/** The codes sendOne and sendBatches produce (a subset of FAILURE_REASONS, failure-reasons.ts). */
export type FailureReason = Extract<
  FailureReasonCode,
  | "rejected"
  | "credentialRejected"
  | "malformedResponse"
  | "retriesExhausted"
  | "throttledTooOften"
  | "transportError"
  | "invalidBatch"
  | "unexpectedError"
  | "notSent"
>;

export interface SendFailure {
  reason: FailureReason;
  status?: number;
  title?: string;
  detail: string;
  supportId?: string;
  /** True for 401 (and for batches skipped because of one): the credential needs attention. */
  credentialRejected: boolean;
}

export type SendOneResult =
  | { kind: "done"; accepted: AcceptedPurge; requestSent: true }
  | {
      kind: "retryAfter";
      afterMs: number;
      /** rateLimitModel: nothing was sent, the model says wait; the others: a request was sent and must be retried. */
      cause: "rateLimitModel" | "throttled" | "serverError" | "networkError";
      status?: number;
      detail?: string;
      requestSent: boolean;
    }
  | ({ kind: "failed"; requestSent: boolean } & SendFailure);

export interface SendOneOptions {
  http: PurgeHttp;
  buckets: PurgeBuckets;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  random: () => number;
  /** 1 for the first try; 1 + the number of earlier 5xx/network failures of this batch. */
  attempt: number;
  /** Tries allowed for 5xx and network errors before the batch fails. */
  maxAttempts: number;
  backoff?: { baseMs: number; maxMs: number };
  logger?: PurgeLogger;
}

/** One step for one batch: waits are returned, never slept. */
export async function sendOne(batch: PurgeBatch, options: SendOneOptions): Promise<SendOneResult> {
  const { http, buckets, random, attempt, maxAttempts, logger } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  checkPositiveInteger("attempt", attempt);
  checkPositiveInteger("maxAttempts", maxAttempts);

  const problem = batchProblem(batch);
  if (problem !== undefined) {
    return { kind: "failed", requestSent: false, reason: "invalidBatch", detail: problem, credentialRejected: false };
  }
  const type = batch.type;
  const count = batch.objects.length;

  let waitMs: number;
  try {
    waitMs = buckets.waitTimeFor(type, count);
  } catch (error) {
    // e.g. Akamai said the bucket is now smaller than this batch.
    return { kind: "failed", requestSent: false, reason: "invalidBatch", detail: messageOf(error), credentialRejected: false };
  }
  if (waitMs > 0) return { kind: "retryAfter", afterMs: waitMs, cause: "rateLimitModel", requestSent: false };

  buckets.take(type, count);
  const where = { path: batch.path, objects: count, attempt };
  let response: PurgeHttpResponse;
  try {
    response = await http.post(batch.path, batch.body);
  } catch (error) {
    const detail = messageOf(error);
    if (!isRetryable(error)) {
      logger?.warn("purge request failed in the transport", { ...where, detail });
      return { kind: "failed", requestSent: true, reason: "transportError", detail, credentialRejected: false };
    }
    if (attempt >= maxAttempts) {
      logger?.warn("purge request failed: network errors, out of attempts", { ...where, detail });
      return {
        kind: "failed",
        requestSent: true,
        reason: "retriesExhausted",
        detail: `network error on attempt ${attempt} of ${maxAttempts}: ${detail}`,
        credentialRejected: false,
      };
    }
    const afterMs = backoffMs(attempt, backoff, random);
    logger?.warn("purge request network error; will retry", { ...where, detail, afterMs });
    return { kind: "retryAfter", afterMs, cause: "networkError", detail, requestSent: true };
  }

  const { status } = response;
  // TD-purge rate-limiting: a denied request costs no tokens. Refund first, so that Akamai's own numbers
  // from the headers have the last word.
  if (status === 429) buckets.refund(type, count);
  const correction = correctBuckets(buckets, type, response.headers, status, logger);

  if (status === 201) return accepted(batch, response.body, logger, where);

  if (status === 429) {
    const advised = [correction?.secondsToRefresh.requests, correction?.secondsToRefresh.objects].filter(
      (s): s is number => s !== undefined,
    );
    const advisedMs = advised.length > 0 ? Math.max(...advised) * 1000 : DEFAULT_THROTTLE_WAIT_MS;
    let modelMs = 0;
    try {
      modelMs = buckets.waitTimeFor(type, count);
    } catch {
      // Akamai just announced a bucket smaller than this batch; the next try reports it as invalidBatch.
    }
    const afterMs = Math.ceil(Math.max(advisedMs, modelMs) + random() * THROTTLE_JITTER_MS);
    const { detail } = readProblem(response.body);
    logger?.info("purge request throttled (429); will retry", { ...where, afterMs, detail });
    return { kind: "retryAfter", afterMs, cause: "throttled", status, detail, requestSent: true };
  }

  const problemBody = readProblem(response.body);
  if (status >= 500 && status <= 599) {
    const detail = problemBody.detail ?? `HTTP ${status}`;
    if (attempt >= maxAttempts) {
      logger?.warn("purge request failed: server errors, out of attempts", {
        ...where,
        status,
        supportId: problemBody.supportId,
      });
      return {
        kind: "failed",
        requestSent: true,
        ...problemBody,
        reason: "retriesExhausted",
        status,
        detail: `HTTP ${status} on attempt ${attempt} of ${maxAttempts}: ${detail}`,
        credentialRejected: false,
      };
    }
    const afterMs = backoffMs(attempt, backoff, random);
    logger?.warn("purge request server error; will retry", { ...where, status, afterMs, supportId: problemBody.supportId });
    return { kind: "retryAfter", afterMs, cause: "serverError", status, detail, requestSent: true };
  }

  const credentialRejected = status === 401;
  const reason: FailureReason = credentialRejected
    ? "credentialRejected"
    : status >= 400 && status <= 499
      ? "rejected"
      : "malformedResponse";
  const detail = problemBody.detail ?? problemBody.title ?? `HTTP ${status}`;
  logger?.warn("purge request refused", { ...where, status, reason, detail, supportId: problemBody.supportId });
  return {
    kind: "failed",
    requestSent: true,
    ...problemBody,
    reason,
    status,
    detail: reason === "malformedResponse" ? `unexpected HTTP ${status} from Fast Purge: ${detail}` : detail,
    credentialRejected,
  };
}

function accepted(
  batch: PurgeBatch,
  rawBody: unknown,
  logger: PurgeLogger | undefined,
  where: Record<string, unknown>,
): SendOneResult {
  const body = asRecord(parseMaybeJson(rawBody));
  const purgeId = body?.purgeId;
  const supportId = typeof body?.supportId === "string" ? body.supportId : null;
  if (typeof purgeId !== "string" || purgeId.length === 0) {
    logger?.warn("purge answered 201 without a purgeId", { ...where, supportId });
    return {
      kind: "failed",
      requestSent: true,
      reason: "malformedResponse",
      status: 201,
      detail:
        "Akamai answered 201 but the body has no purgeId; the purge may have been accepted: check with " +
        "Akamai support using the supportId before sending it again",
      ...(supportId === null ? {} : { supportId }),
      credentialRejected: false,
    };
  }
  const estimated = body?.estimatedSeconds;
  const estimatedSeconds = typeof estimated === "number" && Number.isFinite(estimated) && estimated >= 0 ? estimated : null;
  logger?.info("purge accepted", { ...where, purgeId, estimatedSeconds, supportId });
  return {
    kind: "done",
    requestSent: true,
    accepted: { purgeId, estimatedSeconds, supportId, path: batch.path, objects: batch.objects },
  };
}

function correctBuckets(
  buckets: PurgeBuckets,
  type: PurgeType,
  headers: HeaderMap | undefined,
  status: number,
  logger: PurgeLogger | undefined,
) {
  if (headers === undefined || headers === null) return undefined;
  const correction = buckets.correctFromHeaders(type, headers);
  for (const ignored of correction.ignored) {
    logger?.warn("ignored a malformed rate-limit header", { status, ...ignored });
  }
  return correction;
}

// ---------------------------------------------------------------------------------------------------

export interface SendBatchesOptions {
  http: PurgeHttp;
  buckets: PurgeBuckets;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Tries per batch for 5xx and network errors (so maxAttempts - 1 retries). */
  maxAttempts: number;
  /** 429s in a row for one batch before it is reported as failed. Default 20. */
  maxThrottled?: number;
  backoff?: { baseMs: number; maxMs: number };
  onProgress?: (progress: SendProgress) => void;
  logger?: PurgeLogger;
}

export interface SendProgress {
  batchesDone: number;
  batchesTotal: number;
  objectsSucceeded: number;
  objectsFailed: number;
  throttled429: number;
  requests: number;
}

export interface FailedBatch extends SendFailure {
  batch: PurgeBatch;
  /** Requests sent for this batch (429s included). */
  attempts: number;
}

export interface SendBatchesResult {
  succeeded: AcceptedPurge[];
  failed: FailedBatch[];
  throttled429: number;
  requests: number;
}

/**
 * Sends batches one after another. Every batch ends up in `succeeded` or `failed`.
 * After a 401 the remaining batches are not sent (the same credential would be refused again) and are
 * reported as failed with reason "notSent" and credentialRejected.
 */
export async function sendBatches(batches: readonly PurgeBatch[], options: SendBatchesOptions): Promise<SendBatchesResult> {
  if (!Array.isArray(batches)) throw new TypeError("batches must be an array of planned batches");
  checkPositiveInteger("maxAttempts", options.maxAttempts);
  const maxThrottled = options.maxThrottled ?? DEFAULT_MAX_THROTTLED;
  checkPositiveInteger("maxThrottled", maxThrottled);
  const { logger } = options;

  const result: SendBatchesResult = { succeeded: [], failed: [], throttled429: 0, requests: 0 };
  let objectsSucceeded = 0;
  let objectsFailed = 0;
  let credentialRejected = false;

  for (const [index, batch] of batches.entries()) {
    if (credentialRejected) {
      result.failed.push({
        batch,
        attempts: 0,
        reason: "notSent",
        detail: "not sent: Akamai rejected the credential (401) for an earlier batch",
        credentialRejected: true,
      });
      objectsFailed += batchSize(batch);
    } else {
      const outcome = await sendUntilSettled(batch, options, maxThrottled, result);
      if (outcome.kind === "done") {
        result.succeeded.push(outcome.accepted);
        objectsSucceeded += outcome.accepted.objects.length;
      } else {
        result.failed.push(outcome.failure);
        objectsFailed += batchSize(batch);
        credentialRejected = outcome.failure.credentialRejected;
      }
    }
    if (options.onProgress !== undefined) {
      try {
        options.onProgress({
          batchesDone: index + 1,
          batchesTotal: batches.length,
          objectsSucceeded,
          objectsFailed,
          throttled429: result.throttled429,
          requests: result.requests,
        });
      } catch (error) {
        logger?.warn("onProgress threw; sending goes on", { detail: messageOf(error) });
      }
    }
  }
  return result;
}

async function sendUntilSettled(
  batch: PurgeBatch,
  options: SendBatchesOptions,
  maxThrottled: number,
  totals: SendBatchesResult,
): Promise<{ kind: "done"; accepted: AcceptedPurge } | { kind: "failed"; failure: FailedBatch }> {
  let attempt = 1;
  let throttledInARow = 0;
  let sent = 0;
  for (;;) {
    let step: SendOneResult;
    try {
      step = await sendOne(batch, { ...options, attempt });
    } catch (error) {
      const failure: FailedBatch = {
        batch,
        attempts: sent,
        reason: "unexpectedError",
        detail: messageOf(error),
        credentialRejected: false,
      };
      return { kind: "failed", failure };
    }
    if (step.requestSent) {
      sent++;
      totals.requests++;
    }
    if (step.kind === "done") return { kind: "done", accepted: step.accepted };
    if (step.kind === "failed") {
      const failure: FailedBatch = {
        batch,
        attempts: sent,
        reason: step.reason,
        detail: step.detail,
        credentialRejected: step.credentialRejected,
      };
      if (step.status !== undefined) failure.status = step.status;
      if (step.title !== undefined) failure.title = step.title;
      if (step.supportId !== undefined) failure.supportId = step.supportId;
      return { kind: "failed", failure };
    }
    if (step.cause === "throttled") {
      totals.throttled429++;
      throttledInARow++;
      if (throttledInARow > maxThrottled) {
        return {
          kind: "failed",
          failure: {
            batch,
            attempts: sent,
            reason: "throttledTooOften",
            status: 429,
            detail: `throttled (429) ${throttledInARow} times in a row; the account's purge rate limit is busy`,
            credentialRejected: false,
          },
        };
      }
    } else if (step.cause === "serverError" || step.cause === "networkError") {
      attempt++;
      throttledInARow = 0;
    }
    await options.sleep(step.afterMs);
  }
}

// ---------------------------------------------------------------------------------------------------

/** Capped exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))). */
export function backoffMs(attempt: number, backoff: { baseMs: number; maxMs: number }, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export interface Problem {
  title?: string;
  detail?: string;
  supportId?: string;
}

/** Reads Akamai's problem JSON ({type, title, detail, status, supportId, ...}); text bodies become the detail. */
export function readProblem(rawBody: unknown): Problem {
  const parsed = parseMaybeJson(rawBody);
  const body = asRecord(parsed);
  if (body === undefined) {
    if (typeof parsed === "string" && parsed.trim().length > 0) return { detail: truncate(parsed.trim()) };
    return {};
  }
  const problem: Problem = {};
  if (typeof body.title === "string") problem.title = truncate(body.title);
  if (typeof body.detail === "string") problem.detail = truncate(body.detail);
  if (typeof body.supportId === "string") problem.supportId = body.supportId;
  return problem;
}

function parseMaybeJson(body: unknown): unknown {
  if (typeof body !== "string") return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function truncate(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

function batchProblem(batch: PurgeBatch): string | undefined {
  if (typeof batch !== "object" || batch === null) return "batch must be a planned batch object";
  const cap = (MAX_OBJECTS_PER_REQUEST as Partial<Record<string, number>>)[batch.type];
  if (cap === undefined) return `batch type must be one of url, cpcode, tag; got ${JSON.stringify(batch.type)}`;
  if (!Array.isArray(batch.objects) || batch.objects.length === 0) return "batch has no objects";
  if (batch.objects.length > cap)
    return `batch has ${batch.objects.length} objects; a ${batch.type} request holds at most ${cap}`;
  if (typeof batch.body !== "string" || typeof batch.path !== "string") return "batch has no body or path";
  const bytes = Buffer.byteLength(batch.body, "utf8");
  if (bytes > MAX_BODY_BYTES) return `batch body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} (TD-purge 413)`;
  return undefined;
}

function batchSize(batch: PurgeBatch): number {
  return Array.isArray(batch?.objects) ? batch.objects.length : 0;
}

function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer; got ${String(value)}`);
}
