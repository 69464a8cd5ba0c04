/**
 * The send plan of a purge job: when each batch may go to Fast Purge, worked out once for the whole job
 * from Akamai's published token buckets (core/purge/rate-limit.ts), instead of each message discovering
 * its turn by being handed back to SQS over and over.
 *
 * Each bucket is tracked by the time it would be full again (GCRA): a request needing n tokens may go
 * at max(earliest, fullAt − (size − n) / rate), and then fullAt = max(fullAt, sendAt) + n / rate. A
 * request draws on the request bucket (1 token) and its object type's bucket (one per object).
 *
 * The plan leaves PLANNING_HEADROOM of each bucket unused where a batch allows it: room for the account's
 * other API clients, and answers that never show an empty bucket (Fast Purge's Seconds-To-Refresh on an
 * empty bucket makes the worker's model hold back; see core/purge/rate-limit.ts). It costs only part of
 * the first burst: the sustained pace is the refill rate either way.
 */
import type { PurgeType } from "../purge/objects";
import { OBJECT_BUCKETS, REQUEST_BUCKET, type BucketSpec } from "../purge/rate-limit";

/** When each bucket is full again (epoch ms); a time in the past means full now. */
/** Share of each bucket the plan keeps in reserve (not more than a batch leaves room for). */
export const PLANNING_HEADROOM = 0.1;

export interface PacingState {
  requestsFullAtMs: number;
  objectsFullAtMs: number;
}

export interface SendPlan {
  /** Earliest send time of each batch (epoch ms, whole ms, rounded up), in batch order. */
  sendAtMs: number[];
  /** The buckets once every batch has gone: where the next job's plan starts. */
  after: PacingState;
}

/**
 * Plans batches of `objectCounts[i]` objects of `type`, sent in order from `startMs`. `state` is the
 * buckets as earlier plans left them; without it the account's buckets are taken as full (nothing else
 * is known: other clients of the account still show up as 429s, which the worker waits out for free).
 */
export function planSendTimes(type: PurgeType, objectCounts: readonly number[], startMs: number, state?: PacingState): SendPlan {
  const objectSpec = OBJECT_BUCKETS[type];
  let requestsFullAt = state?.requestsFullAtMs ?? startMs;
  let objectsFullAt = state?.objectsFullAtMs ?? startMs;
  let earliest = startMs;
  const sendAtMs: number[] = [];
  for (const [index, count] of objectCounts.entries()) {
    if (!Number.isInteger(count) || count < 1 || count > objectSpec.size) {
      throw new RangeError(
        `objectCounts[${index}] must be a whole number from 1 to ${objectSpec.size} (the ${type} bucket); got ${count}`,
      );
    }
    const sendAt = Math.ceil(
      Math.max(earliest, readyAt(REQUEST_BUCKET, requestsFullAt, 1), readyAt(objectSpec, objectsFullAt, count)),
    );
    requestsFullAt = Math.max(requestsFullAt, sendAt) + msFor(REQUEST_BUCKET, 1);
    objectsFullAt = Math.max(objectsFullAt, sendAt) + msFor(objectSpec, count);
    sendAtMs.push(sendAt);
    earliest = sendAt;
  }
  return { sendAtMs, after: { requestsFullAtMs: requestsFullAt, objectsFullAtMs: objectsFullAt } };
}

function msFor(spec: Readonly<BucketSpec>, tokens: number): number {
  return (tokens / spec.refillPerSecond) * 1000;
}

/** The first time the bucket holds `tokens` plus the headroom (or is full, when both do not fit). */
function readyAt(spec: Readonly<BucketSpec>, fullAtMs: number, tokens: number): number {
  const wanted = Math.min(spec.size, tokens + Math.floor(spec.size * PLANNING_HEADROOM));
  return fullAtMs - msFor(spec, spec.size - wanted);
}
