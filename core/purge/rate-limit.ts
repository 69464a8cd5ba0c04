/**
 * A local model of Fast Purge's account-wide token buckets (TD-purge rate-limiting).
 *
 * A request needs one token from the request bucket and one token per object from the bucket of its
 * object type; it is denied (429, costing nothing) unless both are there. Every API client of the
 * account draws from the same buckets, so this model is only an estimate: it starts full and is corrected
 * from the X-Ratelimit-* headers Akamai sends on 201 and 429 responses.
 *
 * Times are milliseconds from the injected clock.
 */
import type { PurgeType } from "./objects";

export interface BucketSpec {
  /** Most tokens the bucket holds (the burst). */
  size: number;
  refillPerSecond: number;
}

/** TD-purge rate-limiting: 100 requests burst, 50 per second. */
export const REQUEST_BUCKET: Readonly<BucketSpec> = { size: 100, refillPerSecond: 50 };

/** TD-purge rate-limiting: URL 10,000 / 12,000 per minute; CP code 300 / 30 per minute; tag 5,000 / 500 per minute. */
export const OBJECT_BUCKETS: Readonly<Record<PurgeType, Readonly<BucketSpec>>> = {
  url: { size: 10_000, refillPerSecond: 12_000 / 60 },
  cpcode: { size: 300, refillPerSecond: 30 / 60 },
  tag: { size: 5_000, refillPerSecond: 500 / 60 },
};

/**
 * A Seconds-To-Refresh header above this is taken as a malformed value rather than obeyed: a purge that
 * waits over an hour is better reported than left hanging.
 */
export const MAX_SECONDS_TO_REFRESH = 3600;

export interface IgnoredHeader {
  header: string;
  value: string;
  reason: string;
}

export interface HeaderCorrection {
  /** Names of the headers that changed the model. */
  applied: string[];
  /** Headers present but unusable, with why: log them, nothing else needs to happen. */
  ignored: IgnoredHeader[];
  /** Valid X-Ratelimit-Seconds-To-Refresh-Limit(-Objects) values, for a caller deciding how long to wait. */
  secondsToRefresh: { requests?: number; objects?: number };
}

export type HeaderMap = Readonly<Record<string, string | undefined>>;

interface Bucket {
  size: number;
  refillPerMs: number;
  tokens: number;
  updatedAt: number;
  /** Set from a Seconds-To-Refresh header while the bucket was empty: no tokens before this time. */
  notBefore: number;
}

// Refill arithmetic is in floating point; a balance this close to what is needed counts as enough.
const EPSILON = 1e-9;

export class PurgeBuckets {
  private readonly now: () => number;
  private readonly requests: Bucket;
  private readonly objects: Record<PurgeType, Bucket>;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    const at = this.now();
    const bucket = (spec: BucketSpec): Bucket => ({
      size: spec.size,
      refillPerMs: spec.refillPerSecond / 1000,
      tokens: spec.size,
      updatedAt: at,
      notBefore: at,
    });
    this.requests = bucket(REQUEST_BUCKET);
    this.objects = { url: bucket(OBJECT_BUCKETS.url), cpcode: bucket(OBJECT_BUCKETS.cpcode), tag: bucket(OBJECT_BUCKETS.tag) };
  }

  /**
   * Milliseconds (whole, rounded up) until one request carrying `objectCount` objects of `type` would be
   * allowed; 0 when it would be allowed now. Throws if the request could never be allowed.
   */
  waitTimeFor(type: PurgeType, objectCount: number): number {
    const objects = this.objectBucket(type);
    this.checkCount(type, objects, objectCount);
    const now = this.now();
    return Math.ceil(Math.max(waitFor(this.requests, 1, now), waitFor(objects, objectCount, now)));
  }

  /**
   * Records a request being sent. Call it when waitTimeFor says 0; if the tokens are not there the
   * balance goes below zero and later waits grow to pay it back.
   */
  take(type: PurgeType, objectCount: number): void {
    const objects = this.objectBucket(type);
    this.checkCount(type, objects, objectCount);
    const now = this.now();
    refill(this.requests, now);
    refill(objects, now);
    this.requests.tokens -= 1;
    objects.tokens -= objectCount;
  }

  /** Gives back what `take` took, for a request that was denied with 429 (which costs no tokens). */
  refund(type: PurgeType, objectCount: number): void {
    const objects = this.objectBucket(type);
    this.checkCount(type, objects, objectCount);
    const now = this.now();
    refill(this.requests, now);
    refill(objects, now);
    this.requests.tokens = Math.min(this.requests.size, this.requests.tokens + 1);
    objects.tokens = Math.min(objects.size, objects.tokens + objectCount);
  }

  /** Current balances (after refill), for logs and tests. */
  balance(type: PurgeType): { requests: number; objects: number } {
    const now = this.now();
    const objects = this.objectBucket(type);
    refill(this.requests, now);
    refill(objects, now);
    return { requests: this.requests.tokens, objects: objects.tokens };
  }

  /**
   * Brings the model in line with a response's X-Ratelimit-* headers (names matched case-insensitively).
   * The -Objects headers describe the bucket of the request's object type. Sizes and rates replace the
   * model's; Remaining replaces the balance (Akamai's count includes every client of the account); a
   * Seconds-To-Refresh value is applied as "no tokens before then" when the same response shows that
   * bucket empty (Remaining 0 or absent), and is always returned for the caller. Malformed values change
   * nothing and are listed in `ignored`.
   */
  correctFromHeaders(type: PurgeType, headers: HeaderMap): HeaderCorrection {
    const now = this.now();
    const correction: HeaderCorrection = { applied: [], ignored: [], secondsToRefresh: {} };
    const read = headerReader(headers, correction.ignored);
    const objects = this.objectBucket(type);

    const apply = (bucket: Bucket, suffix: string): number | undefined => {
      refill(bucket, now);
      const limitName = `X-Ratelimit-Limit${suffix}`;
      const size = read(limitName, { kind: "integer", min: 1 });
      if (size !== undefined) {
        bucket.size = size;
        bucket.tokens = Math.min(bucket.tokens, size);
        correction.applied.push(limitName);
      }
      const rateName = `X-Ratelimit-Limit-Per-Second${suffix}`;
      const rate = read(rateName, { kind: "decimal", min: 0, aboveZero: true });
      if (rate !== undefined) {
        bucket.refillPerMs = rate / 1000;
        correction.applied.push(rateName);
      }
      const remainingName = `X-Ratelimit-Remaining${suffix}`;
      const remaining = read(remainingName, { kind: "integer", min: 0 });
      if (remaining !== undefined) {
        if (remaining > bucket.size) {
          correction.ignored.push({
            header: remainingName,
            value: String(remaining),
            reason: `larger than the bucket size ${bucket.size}`,
          });
        } else {
          bucket.tokens = remaining;
          correction.applied.push(remainingName);
        }
      }
      const refreshName = `X-Ratelimit-Seconds-To-Refresh-Limit${suffix}`;
      const seconds = read(refreshName, { kind: "decimal", min: 0, max: MAX_SECONDS_TO_REFRESH });
      if (seconds !== undefined && (remaining === undefined || remaining === 0)) {
        bucket.notBefore = Math.max(bucket.notBefore, now + seconds * 1000);
        correction.applied.push(refreshName);
      }
      return seconds;
    };

    const requestSeconds = apply(this.requests, "");
    const objectSeconds = apply(objects, "-Objects");
    if (requestSeconds !== undefined) correction.secondsToRefresh.requests = requestSeconds;
    if (objectSeconds !== undefined) correction.secondsToRefresh.objects = objectSeconds;
    return correction;
  }

  private objectBucket(type: PurgeType): Bucket {
    const bucket = (this.objects as Partial<Record<string, Bucket>>)[type];
    if (bucket === undefined) throw new RangeError(`type must be one of url, cpcode, tag; got ${JSON.stringify(type)}`);
    return bucket;
  }

  private checkCount(type: PurgeType, bucket: Bucket, objectCount: number): void {
    if (!Number.isInteger(objectCount) || objectCount < 1) {
      throw new RangeError(`objectCount must be a positive integer; got ${String(objectCount)}`);
    }
    if (objectCount > bucket.size) {
      throw new RangeError(
        `a request with ${objectCount} ${type} objects can never be accepted: the ${type} bucket holds ` +
          `${bucket.size} tokens; split it into smaller requests (planBatches does)`,
      );
    }
  }
}

function refill(bucket: Bucket, now: number): void {
  // A clock that steps back adds nothing; the bucket just waits for it to catch up.
  if (now > bucket.updatedAt) {
    bucket.tokens = Math.min(bucket.size, bucket.tokens + (now - bucket.updatedAt) * bucket.refillPerMs);
    bucket.updatedAt = now;
  }
}

function waitFor(bucket: Bucket, needed: number, now: number): number {
  refill(bucket, now);
  const floor = Math.max(0, bucket.notBefore - now);
  const missing = needed - bucket.tokens;
  const refillWait = missing > EPSILON ? missing / bucket.refillPerMs : 0;
  return Math.max(floor, refillWait);
}

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(?:\.[0-9]+)?$/;

interface HeaderRule {
  kind: "integer" | "decimal";
  /** Smallest allowed value; with `aboveZero`, 0 itself is not allowed. */
  min: number;
  aboveZero?: boolean;
  max?: number;
}

/** Reads one header by case-insensitive name; records why a present value is unusable. */
function headerReader(headers: HeaderMap, ignored: IgnoredHeader[]) {
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== "string") continue;
    const key = name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), value.trim()]);
  }
  return (name: string, rule: HeaderRule): number | undefined => {
    const values = byName.get(name.toLowerCase());
    if (values === undefined) return undefined;
    const distinct = [...new Set(values)];
    const ignore = (reason: string): undefined => {
      ignored.push({ header: name, value: distinct.join(", ").slice(0, 100), reason });
      return undefined;
    };
    if (distinct.length > 1) return ignore("sent more than once with different values");
    const text = distinct[0];
    if (rule.kind === "integer" && !INTEGER.test(text)) return ignore("expected a whole number");
    if (rule.kind === "decimal" && !DECIMAL.test(text)) return ignore("expected a decimal number such as 50.00");
    const value = Number(text);
    if (rule.aboveZero === true && value === 0) return ignore("expected a value above 0");
    if (value < rule.min) return ignore(`expected at least ${rule.min}`);
    const max = rule.max ?? Number.MAX_SAFE_INTEGER;
    if (value > max) return ignore(`expected at most ${max}`);
    return value;
  };
}
