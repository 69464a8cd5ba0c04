/**
 * Sends planned requests to one CDN with its pacing, parallelism and retry rules.
 *
 * | Classification              | What happens                                                                  |
 * |-----------------------------|-------------------------------------------------------------------------------|
 * | done                        | outcome done, with the CDN's id                                               |
 * | retry throttled / busy      | wait max(what the CDN asked, the pacer's wait) + jitter; does not use attempts |
 * |                             | but fails with throttledTooOften after maxThrottled in a row                  |
 * | retry serverError / network | capped exponential backoff with full jitter, until maxAttempts                |
 * | failed credentialRejected   | failed; requests not yet started are not sent (notSent)                       |
 * | failed (other reasons)      | failed with the reason, never retried                                         |
 *
 * `sendStep` makes at most one request and never sleeps (an SQS worker can turn its "retry after N ms" into a
 * visibility timeout); `runCdnRequests` loops over it with the injected clock. Every request ends done or failed:
 * nothing is lost, even when the classifier or the transport throws.
 */
import { backoffMs, DEFAULT_BACKOFF, DEFAULT_MAX_THROTTLED, THROTTLE_JITTER_MS } from "../purge/sender";
import { checkPositiveInteger } from "./objects";
import type {
  AcceptedObject,
  CdnAnswer,
  CdnClassification,
  CdnName,
  CdnPacer,
  CdnProvider,
  CdnTransport,
  PlannedRequest,
  ReasonCode,
} from "./types";

export const DEFAULT_CDN_MAX_ATTEMPTS = 4;
export { DEFAULT_MAX_THROTTLED };

export interface CdnLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

export type StepResult =
  | { kind: "done"; cdnId: string | null; objectIds?: Record<string, string>; detail?: string; requestSent: true }
  | {
      kind: "retry";
      afterMs: number;
      /** paced: nothing was sent, the local rate model says wait. */
      cause: "paced" | "throttled" | "busy" | "serverError" | "networkError";
      status?: number;
      detail: string;
      requestSent: boolean;
    }
  | { kind: "failed"; reason: ReasonCode; status?: number; detail: string; requestSent: boolean };

export interface StepOptions {
  transport: CdnTransport;
  pacer: CdnPacer;
  now: () => number;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  random: () => number;
  /** 1 for the first try; 1 + earlier serverError/networkError failures of this request. */
  attempt: number;
  maxAttempts: number;
  /** Throttled/busy answers in a row so far for this request (for the backoff when the CDN names no wait). */
  throttledInARow?: number;
  backoff?: { baseMs: number; maxMs: number };
  logger?: CdnLogger;
}

/** One step for one request: at most one request sent, waits returned, never slept. */
export async function sendStep(provider: CdnProvider, request: PlannedRequest, options: StepOptions): Promise<StepResult> {
  const { transport, pacer, now, random, attempt, logger } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const problem = provider.checkRequest(request);
  if (problem !== undefined) return { kind: "failed", reason: "invalidRequest", detail: problem, requestSent: false };

  const waitMs = pacer.waitMs(request);
  if (waitMs > 0)
    return { kind: "retry", afterMs: waitMs, cause: "paced", detail: "waiting for the local rate model", requestSent: false };

  const wire = provider.buildRequest(request);
  pacer.take(request);
  const where = {
    cdn: provider.cdn,
    type: request.type,
    items: request.items.length,
    attempt,
    ...(request.substitution === undefined ? {} : { substitution: request.substitution, objects: request.objects.length }),
  };
  let answer: CdnAnswer;
  try {
    answer = await transport(wire);
  } catch (error) {
    const detail = messageOf(error);
    if (!isRetryable(error)) {
      logger?.warn("cdn request failed in the transport", { ...where, detail });
      return { kind: "failed", reason: "transportError", detail, requestSent: true };
    }
    return retryOrGiveUp({ kind: "retry", cause: "networkError", detail }, options, backoff, where);
  }
  const classification = provider.classify(request, answer, now());
  // A refused request that cost nothing is refunded first, so the CDN's own rate-limit headers have the last word.
  if (classification.kind === "retry" && classification.refund === true) pacer.refund(request);
  pacer.observe(request, answer);

  if (classification.kind === "done") {
    logger?.info("cdn request done", { ...where, cdnId: classification.cdnId });
    return {
      kind: "done",
      cdnId: classification.cdnId,
      ...(classification.objectIds === undefined ? {} : { objectIds: classification.objectIds }),
      ...(classification.detail === undefined ? {} : { detail: classification.detail }),
      requestSent: true,
    };
  }
  if (classification.kind === "failed") {
    logger?.warn("cdn request refused", {
      ...where,
      reason: classification.reason,
      status: classification.status,
      detail: classification.detail,
    });
    return { ...classification, requestSent: true };
  }
  if (classification.cause === "throttled" || classification.cause === "busy") {
    const advised = classification.afterMs ?? backoffMs((options.throttledInARow ?? 0) + 1, backoff, random);
    const afterMs = Math.ceil(Math.max(advised, pacer.waitMs(request)) + random() * THROTTLE_JITTER_MS);
    logger?.info("cdn request throttled; will retry", {
      ...where,
      cause: classification.cause,
      afterMs,
      status: classification.status,
    });
    return {
      kind: "retry",
      afterMs,
      cause: classification.cause,
      ...(classification.status === undefined ? {} : { status: classification.status }),
      detail: classification.detail,
      requestSent: true,
    };
  }
  return retryOrGiveUp(classification, options, backoff, where);
}

function retryOrGiveUp(
  classification: Extract<CdnClassification, { kind: "retry" }>,
  options: StepOptions,
  backoff: { baseMs: number; maxMs: number },
  where: Record<string, unknown>,
): StepResult {
  const { attempt, maxAttempts, random, logger } = options;
  const status = classification.status === undefined ? {} : { status: classification.status };
  if (attempt >= maxAttempts) {
    logger?.warn("cdn request failed: out of attempts", { ...where, ...status, detail: classification.detail });
    return {
      kind: "failed",
      reason: "retriesExhausted",
      ...status,
      detail: `${classification.cause} on attempt ${attempt} of ${maxAttempts}: ${classification.detail}`,
      requestSent: true,
    };
  }
  const afterMs = classification.afterMs ?? backoffMs(attempt, backoff, random);
  logger?.warn("cdn request failed; will retry", { ...where, ...status, afterMs, detail: classification.detail });
  return { kind: "retry", afterMs, cause: classification.cause, ...status, detail: classification.detail, requestSent: true };
}

// ---------------------------------------------------------------------------------------------------

export interface CdnClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RunOptions {
  transport: CdnTransport;
  clock: CdnClock;
  random?: () => number;
  /** Tries per request for 5xx and network errors. Default 4. */
  maxAttempts?: number;
  /** Throttled/busy answers in a row before a request fails (throttledTooOften). Default 20. */
  maxThrottled?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** A pacer shared with other runs against the same account/token; default: a new one from the provider. */
  pacer?: CdnPacer;
  logger?: CdnLogger;
  /** Called as each request settles (errors it throws are logged and ignored). */
  onOutcome?: (outcome: CdnRequestOutcome) => void;
}

interface OutcomeBase {
  cdn: CdnName;
  /** Position in the requests given to runCdnRequests. */
  index: number;
  type: PlannedRequest["type"];
  objects: AcceptedObject[];
  items: number;
  substitution?: PlannedRequest["substitution"];
  /** Requests sent for this planned request (throttled ones included). */
  attempts: number;
}

export type CdnRequestOutcome =
  | (OutcomeBase & { status: "done"; cdnId: string | null; objectIds?: Record<string, string>; detail?: string })
  | (OutcomeBase & { status: "failed"; reason: ReasonCode; httpStatus?: number; detail: string });

export interface CdnRunResult {
  cdn: CdnName;
  /** One per planned request, in the order given. */
  outcomes: CdnRequestOutcome[];
  requestsSent: number;
  throttled: number;
  objectsDone: number;
  objectsFailed: number;
}

/**
 * Sends `requests` with up to provider.maxParallel in flight, waiting on the provider's pacer. Every request ends
 * in exactly one outcome.
 */
export async function runCdnRequests(
  provider: CdnProvider,
  requests: readonly PlannedRequest[],
  options: RunOptions,
): Promise<CdnRunResult> {
  if (!Array.isArray(requests)) throw new TypeError("requests must be an array of planned requests");
  const maxAttempts = checkPositiveInteger("maxAttempts", options.maxAttempts ?? DEFAULT_CDN_MAX_ATTEMPTS);
  const maxThrottled = checkPositiveInteger("maxThrottled", options.maxThrottled ?? DEFAULT_MAX_THROTTLED);
  const parallel = checkPositiveInteger("maxParallel", provider.maxParallel);
  const { clock, logger } = options;
  const now = () => clock.now();
  const random = options.random ?? Math.random;
  const pacer = options.pacer ?? provider.createPacer(now);

  const outcomes: CdnRequestOutcome[] = new Array(requests.length);
  const totals = { requestsSent: 0, throttled: 0 };
  let credentialRejected = false;
  let next = 0;

  const settle = (outcome: CdnRequestOutcome): void => {
    outcomes[outcome.index] = outcome;
    if (outcome.status === "failed" && outcome.reason === "credentialRejected") credentialRejected = true;
    if (options.onOutcome !== undefined) {
      try {
        options.onOutcome(outcome);
      } catch (error) {
        logger?.warn("onOutcome threw; sending goes on", { detail: messageOf(error) });
      }
    }
  };

  const runOne = async (index: number): Promise<void> => {
    const request = requests[index];
    const base: OutcomeBase = {
      cdn: provider.cdn,
      index,
      type: request?.type,
      objects: Array.isArray(request?.objects) ? request.objects : [],
      items: Array.isArray(request?.items) ? request.items.length : 0,
      ...(request?.substitution === undefined ? {} : { substitution: request.substitution }),
      attempts: 0,
    };
    let attempt = 1;
    let throttledInARow = 0;
    for (;;) {
      if (credentialRejected && base.attempts === 0) {
        settle({
          ...base,
          status: "failed",
          reason: "notSent",
          detail: `not sent: ${provider.cdn} rejected the credential for an earlier request`,
        });
        return;
      }
      let step: StepResult;
      try {
        step = await sendStep(provider, request, {
          transport: options.transport,
          pacer,
          now,
          random,
          attempt,
          maxAttempts,
          throttledInARow,
          logger,
          ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        });
      } catch (error) {
        settle({ ...base, status: "failed", reason: "unexpectedError", detail: messageOf(error) });
        return;
      }
      if (step.requestSent) {
        base.attempts++;
        totals.requestsSent++;
      }
      if (step.kind === "done") {
        const { kind: _kind, requestSent: _sent, ...done } = step;
        settle({ ...base, status: "done", ...done });
        return;
      }
      if (step.kind === "failed") {
        settle({
          ...base,
          status: "failed",
          reason: step.reason,
          detail: step.detail,
          ...(step.status === undefined ? {} : { httpStatus: step.status }),
        });
        return;
      }
      if (step.cause === "throttled" || step.cause === "busy") {
        totals.throttled++;
        throttledInARow++;
        if (throttledInARow > maxThrottled) {
          settle({
            ...base,
            status: "failed",
            reason: "throttledTooOften",
            ...(step.status === undefined ? {} : { httpStatus: step.status }),
            detail: `${step.cause} ${throttledInARow} times in a row; last answer: ${step.detail}`,
          });
          return;
        }
      } else if (step.cause === "serverError" || step.cause === "networkError") {
        attempt++;
        throttledInARow = 0;
      }
      await clock.sleep(step.afterMs);
    }
  };

  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      await runOne(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, requests.length) }, () => worker()));

  let objectsDone = 0;
  let objectsFailed = 0;
  for (const outcome of outcomes) {
    if (outcome.status === "done") objectsDone += outcome.objects.length;
    else objectsFailed += outcome.objects.length;
  }
  return { cdn: provider.cdn, outcomes, ...totals, objectsDone, objectsFailed };
}

function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
