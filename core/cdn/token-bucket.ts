/**
 * A client-side token bucket (times in ms from an injected clock). It starts full; `notBefore` holds a wait the
 * CDN asked for (Retry-After, a rate-limit reset) during which no tokens are handed out.
 */
export interface BucketSpec {
  /** Most tokens held (the burst). */
  size: number;
  refillPerSecond: number;
}

const EPSILON = 1e-9;

export class TokenBucket {
  readonly size: number;
  private readonly refillPerMs: number;
  private tokens: number;
  private updatedAt: number;
  private notBefore: number;

  constructor(spec: BucketSpec, at: number) {
    if (!(spec.size >= 1) || !(spec.refillPerSecond > 0)) {
      throw new RangeError(`a bucket needs size ≥ 1 and refillPerSecond > 0; got ${spec.size} and ${spec.refillPerSecond}`);
    }
    this.size = spec.size;
    this.refillPerMs = spec.refillPerSecond / 1000;
    this.tokens = spec.size;
    this.updatedAt = at;
    this.notBefore = at;
  }

  /** Ms (whole, rounded up) until `needed` tokens are there; needs ≤ size. */
  waitMs(needed: number, now: number): number {
    this.refill(now);
    const floor = Math.max(0, this.notBefore - now);
    const missing = Math.min(needed, this.size) - this.tokens;
    return Math.ceil(Math.max(floor, missing > EPSILON ? missing / this.refillPerMs : 0));
  }

  take(count: number, now: number): void {
    this.refill(now);
    this.tokens -= count;
  }

  refund(count: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.size, this.tokens + count);
  }

  /** The CDN said "not before now + ms": the bucket is empty until then. */
  blockFor(ms: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
    this.notBefore = Math.max(this.notBefore, now + ms);
  }

  /**
   * The CDN said "nothing left until the quota resets in ms": no tokens are handed out until then, but the tokens
   * the model holds are kept (blockFor empties them, which for a slow-refilling bucket wastes its burst for minutes).
   */
  pauseFor(ms: number, now: number): void {
    this.refill(now);
    this.notBefore = Math.max(this.notBefore, now + ms);
  }

  /** Holds at most `max` tokens from now on (until refilled past it again). */
  limitTo(max: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, max);
  }

  balance(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    // A clock that steps back adds nothing.
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.size, this.tokens + (now - this.updatedAt) * this.refillPerMs);
      this.updatedAt = now;
    }
  }
}
