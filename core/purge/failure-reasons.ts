import { REASON_CODES } from "../cdn/types";

/**
 * Why a purge batch (or, through the purge API, a job) did not succeed: one set of short codes, the same in
 * `edgeplane purge --json` whichever path produced them (direct, the purge API's job view, the CLI's own
 * view of the API), and in the job records.
 */
export const FAILURE_REASONS = [
  // Fast Purge's answer (core/purge/sender.ts)
  "rejected", // a 4xx other than 401 and 429: the request itself is refused; never retried
  "credentialRejected", // 401
  "malformedResponse", // 201 without a purgeId, a status Fast Purge does not use, or an unreadable purge API answer
  "retriesExhausted", // 5xx or network errors (or, in the worker, receives) until the attempts ran out
  "throttledTooOften", // 429 too many times in a row
  "transportError", // the transport failed in a way that is not retried
  "invalidBatch", // the batch could never be sent (too big, wrong shape)
  "unexpectedError", // a bug, reported rather than losing the batch
  "notSent", // skipped after an earlier 401
  // The purge service (purge-api, worker)
  "notQueued", // the purge API could not queue the batch (or the job: then nothing was recorded; send again)
  "invalidMessage", // the worker got a queue message it cannot read
  // The CLI following the purge API (cli/purge/via-api.ts)
  "submitFailed", // POST /purge got no answer; the job may or may not exist
  "refusedByApi", // POST /purge answered an error without a job (403 from API Gateway, 413, 5xx, ...)
  "jobNotFound", // GET /purge/{jobId} answered 404
  "pollRefused", // GET /purge/{jobId} answered another 4xx
  "pollFailed", // GET /purge/{jobId} failed several times in a row
  "timedOut", // the job was still running when --timeout passed (it goes on in the service)
  "jobFailed", // the job ended failed or partially_failed without naming a failed batch
  // The purge service fanning out to several CDNs (core/jobs/fan-out.ts)
  "noCdnServes", // no CDN target of the environment serves the object (its host, or its type)
  "unknownCdnTarget", // the message names a CDN target the environment does not have (any more)
] as const;

/**
 * Every code a failure or a rejection may carry, whichever path produced it: the purge service's own codes
 * above, and the per-CDN providers' codes (core/cdn/types.ts REASON_CODES), once each.
 */
export const ALL_REASON_CODES: readonly string[] = [...new Set<string>([...FAILURE_REASONS, ...REASON_CODES])];

export type FailureReasonCode = (typeof FAILURE_REASONS)[number] | (typeof REASON_CODES)[number];

/** Reasons job records written before the codes were unified may hold. */
const LEGACY_REASONS: Readonly<Record<string, FailureReasonCode>> = {
  "retries exhausted": "retriesExhausted",
  "not queued": "notQueued",
  "invalid message": "invalidMessage",
};

export function isFailureReason(value: string): value is FailureReasonCode {
  return ALL_REASON_CODES.includes(value);
}

/** A stored or received reason as a code; an unknown text (from a newer service) is kept as it is. */
export function failureReasonCode(value: string): FailureReasonCode | string {
  return isFailureReason(value) ? value : (LEGACY_REASONS[value] ?? value);
}
