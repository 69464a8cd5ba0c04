import fc from "fast-check";
import type { PurgeObject, PurgeType } from "../../../core/purge/objects";
import { type PurgeBatch, planBatches } from "../../../core/purge/planner";
import { PurgeBuckets } from "../../../core/purge/rate-limit";
import {
  DEFAULT_THROTTLE_WAIT_MS,
  type PurgeHttpResponse,
  type SendBatchesOptions,
  type SendProgress,
  backoffMs,
  readProblem,
  sendBatches,
  sendOne,
} from "../../../core/purge/sender";
import { NetworkError, type Scripted, created, fakeClock, problem, recordingLogger, scriptedHttp } from "./fakes";

function batchesOf(type: PurgeType, objects: PurgeObject[]): PurgeBatch[] {
  return planBatches({ type, action: "invalidate", network: "production", objects }).batches;
}

const oneUrlBatch = (): PurgeBatch[] => batchesOf("url", ["https://www.example.com/a", "https://www.example.com/b"]);

function harness(script: Scripted[], overrides: Partial<SendBatchesOptions> = {}) {
  const clock = fakeClock();
  const http = scriptedHttp(script);
  const buckets = new PurgeBuckets({ now: clock.now });
  const logger = recordingLogger();
  const options: SendBatchesOptions = {
    http,
    buckets,
    sleep: clock.sleep,
    random: () => 0.5,
    maxAttempts: 3,
    logger,
    ...overrides,
  };
  return { clock, http, buckets, logger, options };
}

describe("sendBatches", () => {
  it("records purgeId, estimatedSeconds and supportId on 201", async () => {
    const { http, options, buckets, clock } = harness([created({ purgeId: "edcp-1", supportId: "edsp-1", estimatedSeconds: 5 })]);
    const [batch] = oneUrlBatch();
    const result = await sendBatches([batch as PurgeBatch], options);
    expect(result).toEqual({
      succeeded: [
        {
          purgeId: "edcp-1",
          estimatedSeconds: 5,
          supportId: "edsp-1",
          path: "/ccu/v3/invalidate/url/production",
          objects: batch?.objects,
        },
      ],
      failed: [],
      throttled429: 0,
      requests: 1,
    });
    expect(http.calls).toEqual([{ path: "/ccu/v3/invalidate/url/production", body: batch?.body }]);
    expect(buckets.balance("url")).toEqual({ requests: 99, objects: 9_998 });
    expect(clock.sleeps).toEqual([]);
  });

  it("reads a 201 body given as JSON text and records a missing estimate as null", async () => {
    const { options } = harness([{ status: 201, headers: {}, body: JSON.stringify({ purgeId: "p", supportId: "s" }) }]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(result.succeeded[0]).toMatchObject({ purgeId: "p", supportId: "s", estimatedSeconds: null });
  });

  it("reports a 201 without a purgeId as a failure and does not resend it", async () => {
    const { http, options } = harness([
      { status: 201, headers: {}, body: { httpStatus: 201, supportId: "edsp-9", detail: "Request accepted" } },
    ]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(http.calls).toHaveLength(1);
    expect(result.succeeded).toEqual([]);
    expect(result.failed).toEqual([
      expect.objectContaining({
        reason: "malformedResponse",
        status: 201,
        supportId: "edsp-9",
        attempts: 1,
        credentialRejected: false,
      }),
    ]);
    expect(result.failed[0]?.detail).toContain("no purgeId; the purge may have been accepted");
  });

  it("on 429 waits as the Seconds-To-Refresh headers say, plus jitter, and the 429 costs no tokens", async () => {
    const throttled = problem(429, "URL Rate Limit exceeded", {
      "x-ratelimit-remaining": "80",
      "x-ratelimit-remaining-objects": "0",
      "x-ratelimit-seconds-to-refresh-limit": "0.02",
      "x-ratelimit-seconds-to-refresh-limit-objects": "3",
    });
    const { clock, options, buckets, http } = harness([throttled, created()]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(clock.sleeps).toEqual([3_000 + 500]); // random() = 0.5 of the 1 s jitter
    expect(result.throttled429).toBe(1);
    expect(result.requests).toBe(2);
    expect(result.succeeded).toHaveLength(1);
    expect(http.calls).toHaveLength(2);
    // After the 429 the model held Akamai's numbers (80 requests, 0 URL tokens); 3.5 s of refill later the
    // retry took 1 request (from a full 100) and 2 URL tokens (from 700).
    expect(buckets.balance("url")).toEqual({ requests: 99, objects: 698 });
  });

  it("on 429 without headers waits 5 s plus jitter (TD-purge 429), refunding the tokens", async () => {
    const { clock, options, buckets } = harness([problem(429, "Rate Limit exceeded"), created()], { random: () => 0.25 });
    const before = buckets.balance("url");
    const [batch] = oneUrlBatch();
    const step = await sendOne(batch as PurgeBatch, { ...options, attempt: 1 });
    expect(step).toEqual({
      kind: "retryAfter",
      afterMs: DEFAULT_THROTTLE_WAIT_MS + 250,
      cause: "throttled",
      status: 429,
      detail: "Rate Limit exceeded",
      requestSent: true,
    });
    expect(buckets.balance("url")).toEqual(before);
    expect(clock.sleeps).toEqual([]); // sendOne never sleeps
  });

  it("retries 5xx with capped exponential backoff and full jitter, then succeeds", async () => {
    const { clock, options } = harness([problem(500, "Internal"), problem(503, "Unavailable"), created()]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(result.succeeded).toHaveLength(1);
    expect(clock.sleeps).toEqual([500, 1_000]); // 0.5 × 1 s, 0.5 × 2 s
    expect(result.requests).toBe(3);
  });

  it("fails a batch after maxAttempts server errors, keeping Akamai's detail and supportId", async () => {
    const { options, http } = harness([problem(500, "boom"), problem(502, "bad gateway"), problem(504, "timeout")]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(http.calls).toHaveLength(3);
    expect(result.failed).toEqual([
      expect.objectContaining({
        reason: "retriesExhausted",
        status: 504,
        supportId: "sup-504",
        attempts: 3,
        detail: "HTTP 504 on attempt 3 of 3: timeout",
      }),
    ]);
  });

  it("retries network errors marked retryable, and not other thrown errors", async () => {
    const retried = harness([new NetworkError("socket hang up"), created()]);
    const ok = await sendBatches(oneUrlBatch(), retried.options);
    expect(ok.succeeded).toHaveLength(1);
    expect(retried.clock.sleeps).toEqual([500]);

    const permanent = harness([new Error("signing failed: no client_token")]);
    const failed = await sendBatches(oneUrlBatch(), permanent.options);
    expect(permanent.http.calls).toHaveLength(1);
    expect(failed.failed).toEqual([
      expect.objectContaining({ reason: "transportError", detail: "signing failed: no client_token", attempts: 1 }),
    ]);
  });

  it("fails after maxAttempts network errors", async () => {
    const { options } = harness([new NetworkError("reset"), new NetworkError("reset")], { maxAttempts: 2 });
    const result = await sendBatches(oneUrlBatch(), options);
    expect(result.failed).toEqual([
      expect.objectContaining({ reason: "retriesExhausted", detail: "network error on attempt 2 of 2: reset", attempts: 2 }),
    ]);
  });

  it.each([
    [400, "bad URL hostname"],
    [403, "unauthorized arl"],
    [413, "Request entity too large"],
    [415, "Unsupported media type"],
  ])("never retries %i, and reports Akamai's detail and supportId", async (status, detail) => {
    const { options, http, clock } = harness([problem(status, detail), created()]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(http.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(result.failed).toEqual([
      expect.objectContaining({
        reason: "rejected",
        status,
        detail,
        title: `title ${status}`,
        supportId: `sup-${status}`,
        attempts: 1,
        credentialRejected: false,
      }),
    ]);
  });

  it("reports 401 as credentialRejected and sends nothing more", async () => {
    const batches = batchesOf(
      "cpcode",
      Array.from({ length: 700 }, (_, i) => i + 1),
    );
    expect(batches).toHaveLength(3);
    const { options, http } = harness([created(), problem(401, "The signature does not match")]);
    const result = await sendBatches(batches, options);
    expect(http.calls).toHaveLength(2);
    expect(result.succeeded).toHaveLength(1);
    expect(result.failed.map((f) => [f.reason, f.credentialRejected, f.attempts, f.status])).toEqual([
      ["credentialRejected", true, 1, 401],
      ["notSent", true, 0, undefined],
    ]);
    expect(result.failed[0]?.detail).toBe("The signature does not match");
  });

  it("reports a status Fast Purge does not use as a malformed response", async () => {
    const { options } = harness([{ status: 302, headers: {}, body: "" }]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(result.failed).toEqual([
      expect.objectContaining({
        reason: "malformedResponse",
        status: 302,
        detail: "unexpected HTTP 302 from Fast Purge: HTTP 302",
      }),
    ]);
  });

  it("gives up on a batch throttled more than maxThrottled times in a row", async () => {
    const { options, http } = harness([problem(429, "x"), problem(429, "x"), problem(429, "x")], { maxThrottled: 2 });
    const result = await sendBatches(oneUrlBatch(), options);
    expect(http.calls).toHaveLength(3);
    expect(result.throttled429).toBe(3);
    expect(result.failed).toEqual([expect.objectContaining({ reason: "throttledTooOften", status: 429, attempts: 3 })]);
  });

  it("paces on the bucket model: a second full CP code batch waits for the bucket to refill", async () => {
    const batches = batchesOf(
      "cpcode",
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
    const { options, clock } = harness([created(), created()]);
    const result = await sendBatches(batches, options);
    expect(result.succeeded).toHaveLength(2);
    expect(clock.sleeps).toEqual([600_000]); // 300 tokens at 30 per minute
  });

  it("reports progress after each batch and survives a throwing onProgress", async () => {
    const progress: SendProgress[] = [];
    const batches = batchesOf(
      "cpcode",
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
    const { options, logger } = harness([created(), problem(403, "no")], {
      onProgress: (p) => {
        progress.push(p);
        throw new Error("UI went away");
      },
    });
    const result = await sendBatches(batches, options);
    expect(result.failed).toHaveLength(1);
    expect(progress).toEqual([
      { batchesDone: 1, batchesTotal: 2, objectsSucceeded: 300, objectsFailed: 0, throttled429: 0, requests: 1 },
      { batchesDone: 2, batchesTotal: 2, objectsSucceeded: 300, objectsFailed: 100, throttled429: 0, requests: 2 },
    ]);
    expect(logger.entries.filter((e) => e.message === "onProgress threw; sending goes on")).toHaveLength(2);
  });

  it("logs malformed rate-limit headers and carries on", async () => {
    const { options, logger } = harness([created({}, { "X-Ratelimit-Remaining": "lots" })]);
    const result = await sendBatches(oneUrlBatch(), options);
    expect(result.succeeded).toHaveLength(1);
    expect(logger.entries).toContainEqual({
      level: "warn",
      message: "ignored a malformed rate-limit header",
      details: { status: 201, header: "X-Ratelimit-Remaining", value: "lots", reason: "expected a whole number" },
    });
  });

  it("rejects bad options with the allowed values", async () => {
    const { options } = harness([]);
    await expect(sendBatches([], { ...options, maxAttempts: 0 })).rejects.toThrow(
      "maxAttempts must be a positive integer; got 0",
    );
    await expect(sendBatches([], { ...options, maxThrottled: 1.5 })).rejects.toThrow(
      "maxThrottled must be a positive integer; got 1.5",
    );
  });

  it("loses no object across retries and failures (property)", async () => {
    const responses: fc.Arbitrary<Scripted>[] = [
      fc.constant(created()).map(() => created()),
      fc.constant({ status: 201, headers: {}, body: { supportId: "x" } } as PurgeHttpResponse),
      fc.constant(
        problem(429, "slow down", { "X-Ratelimit-Seconds-To-Refresh-Limit-Objects": "2", "X-Ratelimit-Remaining-Objects": "0" }),
      ),
      fc.constant(problem(429, "slow down")),
      fc.constantFrom(500, 502, 503, 507).map((s) => problem(s, "server")),
      fc.constant(null).map(() => new NetworkError("reset")),
      fc.constant(null).map(() => new Error("permanent")),
      fc.constantFrom(400, 403, 413, 401).map((s) => problem(s, "refused")),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 99_999 }), { minLength: 1, maxLength: 1_500 }),
        fc.array(fc.oneof(...responses), { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        async (cpcodes, script, maxAttempts) => {
          const batches = batchesOf("cpcode", cpcodes);
          const served: Scripted[] = [];
          const scriptCopy = [...script];
          // When the script runs out, everything else succeeds.
          const http = scriptedHttp([]);
          http.post = async (path, body) => {
            http.calls.push({ path, body });
            const step = scriptCopy.shift() ?? created();
            served.push(step);
            if (step instanceof Error) throw step;
            return typeof step === "function" ? step(path, body) : step;
          };
          const clock = fakeClock();
          const result = await sendBatches(batches, {
            http,
            buckets: new PurgeBuckets({ now: clock.now }),
            sleep: clock.sleep,
            random: () => 0.999,
            maxAttempts,
            maxThrottled: 5,
          });
          const accounted = [...result.succeeded.flatMap((s) => s.objects), ...result.failed.flatMap((f) => f.batch.objects)];
          expect([...accounted].sort()).toEqual([...cpcodes].sort());
          expect(result.succeeded.length + result.failed.length).toBe(batches.length);
          expect(result.requests).toBe(http.calls.length);
          expect(result.throttled429).toBe(
            served.filter((s) => !(s instanceof Error) && typeof s !== "function" && s.status === 429).length,
          );
          for (const f of result.failed) expect(f.detail.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("sendOne", () => {
  it("returns the model's wait without sending when the buckets are empty", async () => {
    const clock = fakeClock();
    const buckets = new PurgeBuckets({ now: clock.now });
    buckets.take("cpcode", 300);
    const http = scriptedHttp([]);
    const [batch] = batchesOf("cpcode", [1, 2, 3]);
    const step = await sendOne(batch as PurgeBatch, { http, buckets, random: () => 0, attempt: 1, maxAttempts: 3 });
    expect(step).toEqual({ kind: "retryAfter", afterMs: 6_000, cause: "rateLimitModel", requestSent: false });
    expect(http.calls).toHaveLength(0);
  });

  it("fails a transient error on the last attempt instead of asking for a retry", async () => {
    const clock = fakeClock();
    const http = scriptedHttp([problem(503, "later")]);
    const [batch] = oneUrlBatch();
    const step = await sendOne(batch as PurgeBatch, {
      http,
      buckets: new PurgeBuckets({ now: clock.now }),
      random: () => 0,
      attempt: 3,
      maxAttempts: 3,
    });
    expect(step).toMatchObject({
      kind: "failed",
      reason: "retriesExhausted",
      status: 503,
      supportId: "sup-503",
      requestSent: true,
    });
  });

  it("refuses a batch that could never be sent, without sending it", async () => {
    const clock = fakeClock();
    const http = scriptedHttp([]);
    const [batch] = oneUrlBatch();
    const oversized = { ...(batch as PurgeBatch), body: `{"objects":["${"x".repeat(50_000)}"]}` };
    const step = await sendOne(oversized, {
      http,
      buckets: new PurgeBuckets({ now: clock.now }),
      random: () => 0,
      attempt: 1,
      maxAttempts: 3,
    });
    expect(step).toEqual({
      kind: "failed",
      requestSent: false,
      reason: "invalidBatch",
      detail: "batch body is 50016 bytes; the limit is 50000 (TD-purge 413)",
      credentialRejected: false,
    });
    const tooMany = { ...(batch as PurgeBatch), type: "cpcode" as const, objects: Array.from({ length: 301 }, (_, i) => i + 1) };
    expect(
      await sendOne(tooMany, {
        http,
        buckets: new PurgeBuckets({ now: clock.now }),
        random: () => 0,
        attempt: 1,
        maxAttempts: 3,
      }),
    ).toMatchObject({
      reason: "invalidBatch",
      detail: "batch has 301 objects; a cpcode request holds at most 300",
    });
    expect(http.calls).toHaveLength(0);
  });
});

describe("helpers", () => {
  it("backoffMs is full jitter under a capped exponential ceiling", () => {
    const b = { baseMs: 1_000, maxMs: 30_000 };
    expect(backoffMs(1, b, () => 0.999)).toBe(999);
    expect(backoffMs(3, b, () => 0.5)).toBe(2_000);
    expect(backoffMs(10, b, () => 0.5)).toBe(15_000);
    expect(backoffMs(10, b, () => 0)).toBe(0);
  });

  it("readProblem reads problem JSON, JSON text, plain text, and nothing", () => {
    expect(readProblem({ type: "t", title: "Forbidden", detail: "unauthorized arl", status: 403, supportId: "s1" })).toEqual({
      title: "Forbidden",
      detail: "unauthorized arl",
      supportId: "s1",
    });
    expect(readProblem('{"detail":"d"}')).toEqual({ detail: "d" });
    expect(readProblem("<html>bad gateway</html>")).toEqual({ detail: "<html>bad gateway</html>" });
    expect(readProblem(undefined)).toEqual({});
    expect(readProblem("x".repeat(600)).detail).toHaveLength(503);
  });
});
