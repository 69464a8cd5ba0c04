import { createFastlyProvider, plannedRequestSchema, prepareCdnPurge } from "../../../core/cdn";
import { resolveApiBaseUrl } from "../../../core/cdn/endpoint";
import { CdnNetworkError, fetchTransport } from "../../../core/cdn/fetch-transport";
import { readRateLimitHeader, retryAfterMs } from "../../../core/cdn/http-answers";
import { TokenBucket } from "../../../core/cdn/token-bucket";
import { REASON_CODES } from "../../../core/cdn/types";

describe("API base URL overrides", () => {
  const name = "EDGEPLANE_FASTLY_API_URL";
  const base = "https://api.fastly.com";

  it("uses the CDN's API unless overridden", () => {
    expect(resolveApiBaseUrl(base, name, {})).toBe(base);
    expect(resolveApiBaseUrl(base, name, { [name]: "" })).toBe(base);
  });

  it.each([
    ["http://127.0.0.1:8911", "http://127.0.0.1:8911"],
    ["http://localhost:8911/", "http://localhost:8911"],
    ["http://127.0.0.1:8922/client/v4/", "http://127.0.0.1:8922/client/v4"],
  ])("accepts %s with EDGEPLANE_INSECURE_LOOPBACK=1", (url, expected) => {
    expect(resolveApiBaseUrl(base, name, { [name]: url, EDGEPLANE_INSECURE_LOOPBACK: "1" })).toBe(expected);
  });

  it.each([
    ["http://127.0.0.1:8911", undefined, "EDGEPLANE_INSECURE_LOOPBACK is not 1"],
    ["https://127.0.0.1:8911", "1", "the scheme must be http"],
    ["http://192.168.1.5:8911", "1", "the host must be 127.0.0.1 or localhost"],
    ["http://127.0.0.1", "1", "an explicit port is required"],
    ["http://127.0.0.1:8911/api?x=1", "1", "a query or fragment"],
    ["http://user:secret@127.0.0.1:8911", "1", "user info is not allowed"],
    ["not a url", "1", "not a valid URL"],
  ])("refuses %s (loopback flag %s): %s", (url, flag, why) => {
    const env = { [name]: url, ...(flag === undefined ? {} : { EDGEPLANE_INSECURE_LOOPBACK: flag }) };
    let message = "";
    try {
      resolveApiBaseUrl(base, name, env);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(why);
  });

  it("never echoes the value (a token pasted into the wrong variable stays out of logs)", () => {
    for (const value of [
      "s3cr3t-token-value",
      "http://127.0.0.1:8911/?s3cr3t-token-value",
      "http://s3cr3t-token-value@127.0.0.1:8911",
    ]) {
      expect(() => resolveApiBaseUrl(base, name, { [name]: value, EDGEPLANE_INSECURE_LOOPBACK: "1" })).toThrow(
        /EDGEPLANE_FASTLY_API_URL is not allowed/,
      );
      try {
        resolveApiBaseUrl(base, name, { [name]: value, EDGEPLANE_INSECURE_LOOPBACK: "1" });
      } catch (error) {
        expect((error as Error).message).not.toContain("s3cr3t");
      }
    }
  });
});

describe("rate-limit headers", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");

  it("reads Retry-After as seconds or an HTTP date, and ignores nonsense", () => {
    expect(retryAfterMs({ "Retry-After": "12" }, now)).toBe(12_000);
    expect(retryAfterMs({ "retry-after": "Mon, 30 Nov 2026 12:00:30 GMT" }, now)).toBe(30_000);
    expect(retryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(retryAfterMs({ "retry-after": "999999" }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });

  it("reads Ratelimit r and t", () => {
    expect(readRateLimitHeader({ Ratelimit: '"default";r=50;t=30' })).toEqual({ remaining: 50, resetSeconds: 30 });
    expect(readRateLimitHeader({ ratelimit: '"default";q=5' })).toBeUndefined();
    expect(readRateLimitHeader({})).toBeUndefined();
  });
});

describe("TokenBucket", () => {
  it("starts full, refills at its rate and honours a block", () => {
    const bucket = new TokenBucket({ size: 2, refillPerSecond: 1 }, 0);
    expect(bucket.waitMs(2, 0)).toBe(0);
    bucket.take(2, 0);
    expect(bucket.waitMs(1, 0)).toBe(1000);
    expect(bucket.waitMs(1, 1000)).toBe(0);
    bucket.blockFor(5000, 1000);
    expect(bucket.waitMs(1, 1000)).toBe(5000);
    expect(bucket.waitMs(1, 6000)).toBe(0);
    expect(() => new TokenBucket({ size: 0, refillPerSecond: 1 }, 0)).toThrow(/size/);
  });

  it("pauses without losing the tokens it holds (a quota reset), unlike a block", () => {
    const paused = new TokenBucket({ size: 10, refillPerSecond: 1 }, 0);
    paused.pauseFor(5000, 0);
    expect(paused.waitMs(1, 0)).toBe(5000);
    expect(paused.waitMs(10, 5000)).toBe(0);
    const blocked = new TokenBucket({ size: 10, refillPerSecond: 1 }, 0);
    blocked.blockFor(5000, 0);
    expect(blocked.waitMs(10, 5000)).toBe(5000);
  });
});

describe("planned request schema", () => {
  it("reads back a plan sent as JSON, and refuses a damaged one naming the field", () => {
    const provider = createFastlyProvider({ serviceId: "SVC1", token: "t", hostnames: ["www.example.com"] });
    const { requests } = prepareCdnPurge(provider, [
      { type: "tag", value: "a" },
      { type: "url", value: "https://www.example.com/x" },
    ]);
    for (const request of requests) {
      const parsed = plannedRequestSchema.safeParse(JSON.parse(JSON.stringify(request)));
      expect(parsed.success && parsed.data).toEqual(request);
    }
    const damaged = plannedRequestSchema.safeParse({ ...requests[0], cdn: "varnish" });
    expect(damaged.success).toBe(false);
    expect(damaged.error?.issues[0].path).toEqual(["cdn"]);
    expect(plannedRequestSchema.safeParse({ ...requests[0], items: [] }).success).toBe(false);
  });

  it("has distinct reason codes", () => {
    expect(new Set(REASON_CODES).size).toBe(REASON_CODES.length);
  });
});

describe("fetchTransport", () => {
  it("returns status, lower-cased headers and the body text", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const transport = fetchTransport({
      fetch: async (url, init) => {
        seen.push({ url: String(url), init: init ?? {} });
        return new Response('{"status":"ok","id":"1"}', { status: 200, headers: { "Fastly-RateLimit-Remaining": "999" } });
      },
    });
    const answer = await transport({
      kind: "http",
      method: "POST",
      url: "https://api.fastly.com/purge/x/y",
      headers: { "Fastly-Key": "k" },
    });
    expect(answer).toEqual({
      kind: "http",
      status: 200,
      headers: expect.objectContaining({ "fastly-ratelimit-remaining": "999" }),
      body: '{"status":"ok","id":"1"}',
    });
    expect(seen[0].init).toMatchObject({ method: "POST", headers: { "Fastly-Key": "k" } });
  });

  it("throws network failures as retryable errors without headers or query", async () => {
    const transport = fetchTransport({
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const request = {
      kind: "http" as const,
      method: "POST" as const,
      url: "https://api.cloudflare.com/client/v4/zones/z/purge_cache?secret=q",
      headers: { Authorization: "Bearer tok" },
    };
    const error = await transport(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdnNetworkError);
    expect((error as CdnNetworkError).retryable).toBe(true);
    expect((error as Error).message).toBe("POST https://api.cloudflare.com/client/v4/zones/z/purge_cache failed: fetch failed");
  });
});
