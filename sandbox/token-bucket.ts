/** A token bucket driven by a caller-supplied clock (milliseconds), so tests can move time by hand. */

export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedAtMs: number;

  /** Starts full. */
  constructor(
    readonly spec: BucketSpec,
    nowMs: number,
  ) {
    this.tokens = spec.capacity;
    this.updatedAtMs = nowMs;
  }

  private refill(nowMs: number): void {
    // A clock that steps back adds nothing rather than removing tokens.
    const elapsedSeconds = Math.max(0, nowMs - this.updatedAtMs) / 1000;
    this.tokens = Math.min(this.spec.capacity, this.tokens + elapsedSeconds * this.spec.refillPerSecond);
    this.updatedAtMs = Math.max(this.updatedAtMs, nowMs);
  }

  /** Tokens available now (fractional while refilling). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /** Takes n tokens if all n are there; otherwise takes none. */
  tryTake(n: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Seconds until the bucket is full again. */
  secondsToFull(nowMs: number): number {
    this.refill(nowMs);
    return (this.spec.capacity - this.tokens) / this.spec.refillPerSecond;
  }
}
