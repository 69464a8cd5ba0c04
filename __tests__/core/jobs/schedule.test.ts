import { planSendTimes } from "../../../core/jobs/schedule";
import { OBJECT_BUCKETS } from "../../../core/purge/rate-limit";

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Replays a plan against an exact token bucket: the most tokens any send lacked (negative: to spare). */
function tokensShortAtSend(sizes: number[], sendAtMs: number[], bucket: { size: number; refillPerSecond: number }): number {
  let tokens = bucket.size;
  let at = T0;
  let worst = Number.NEGATIVE_INFINITY;
  for (const [i, n] of sizes.entries()) {
    const t = sendAtMs[i] as number;
    tokens = Math.min(bucket.size, tokens + ((t - at) / 1000) * bucket.refillPerSecond);
    at = t;
    worst = Math.max(worst, n - tokens);
    tokens -= n;
  }
  return worst;
}

describe("planSendTimes", () => {
  it("sends the burst at once (less the headroom), then one batch each time the URL bucket has refilled enough for it", () => {
    const sizes = Array.from({ length: 60 }, () => 500); // 30,000 URLs
    const { sendAtMs } = planSendTimes("url", sizes, T0);
    expect(sendAtMs.slice(0, 18).every((t) => t === T0)).toBe(true); // 9,000 of the 10,000 burst: 1,000 stay in reserve
    expect(sendAtMs[18]! - T0).toBe(2_500); // 500 URLs at 200/s
    expect(sendAtMs[59]! - T0).toBe(105_000); // 21,000 URLs beyond 9,000 at 200/s
    // Never ahead of the bucket, and the reserve is never touched.
    expect(tokensShortAtSend(sizes, sendAtMs, OBJECT_BUCKETS.url)).toBeLessThanOrEqual(-1_000 + 1e-6);
    expect([...sendAtMs].sort((a, b) => a - b)).toEqual(sendAtMs);
  });

  it("plans 50,000 tags over about 100 minutes of the tag bucket, never ahead of it", () => {
    const sizes = Array.from({ length: 10 }, () => 5_000);
    const { sendAtMs } = planSendTimes("tag", sizes, T0);
    expect(sendAtMs[0]).toBe(T0);
    expect(sendAtMs[9]! - T0).toBe(90 * 60_000); // 45,000 tags beyond the burst at 500/min
    expect(tokensShortAtSend(sizes, sendAtMs, OBJECT_BUCKETS.tag)).toBeLessThanOrEqual(1e-6);
  });

  it("paces CP codes at 30 a minute and keeps to the request bucket (100 burst, 50/s) for many small batches", () => {
    // A full-size batch waits for a full bucket; a small one keeps the reserve of 30.
    expect(planSendTimes("cpcode", [300, 300, 30], T0).sendAtMs.map((t) => t - T0)).toEqual([0, 600_000, 720_000]);
    const small = planSendTimes(
      "url",
      Array.from({ length: 150 }, () => 1),
      T0,
    ).sendAtMs;
    expect(small[89]).toBe(T0); // 90 of the 100 request tokens
    expect(small[90]! - T0).toBe(20); // one request token refills every 20 ms
    expect(small[149]! - T0).toBe(1_200);
  });

  it("continues from the state an earlier plan left, so a second job queues behind the first", () => {
    const first = planSendTimes("url", [10_000, 10_000], T0);
    expect(first.sendAtMs.map((t) => t - T0)).toEqual([0, 50_000]);
    const second = planSendTimes("url", [5_000], T0 + 10_000, first.after);
    expect(second.sendAtMs[0]! - T0).toBe(80_000); // 6,000 tokens (with the reserve) 20 s before full at 100 s
  });

  it("refuses a batch no bucket could ever take, naming it", () => {
    expect(() => planSendTimes("tag", [10, 5_001], T0)).toThrow(
      "objectCounts[1] must be a whole number from 1 to 5000 (the tag bucket); got 5001",
    );
    expect(() => planSendTimes("url", [0], T0)).toThrow("objectCounts[0] must be a whole number from 1 to 10000");
  });
});
