import { FAST_PURGE_BUCKETS, MAX_PURGE_BODY_BYTES, validatePurgeBody } from "../../sandbox/fast-purge";
import { purgedObjects } from "../../sandbox/state";
import { startHarness, type Harness } from "../helpers/sandbox-harness";

const cpcodes = (n: number, from = 10_000): number[] => Array.from({ length: n }, (_, i) => from + i);
const urls = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `https://www.example.com/p/${from + i}`);

const RATE_LIMIT_HEADER_NAMES = [
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-limit-per-second",
  "x-ratelimit-seconds-to-refresh-limit",
  "x-ratelimit-limit-objects",
  "x-ratelimit-remaining-objects",
  "x-ratelimit-limit-per-second-objects",
  "x-ratelimit-seconds-to-refresh-limit-objects",
];

function rateLimitHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(RATE_LIMIT_HEADER_NAMES.map((name) => [name, headers[name] as string]));
}

describe("Fast Purge v3 in the sandbox", () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  const purge = (path: string, body: unknown, headers?: Record<string, string>) =>
    h.transport.request({ method: "POST", path, body: body as object, ...(headers ? { headers } : {}) });

  describe("with the documented buckets", () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it("accepts a URL purge with the documented 201 body and rate-limit headers", async () => {
      const res = await purge("/ccu/v3/invalidate/url/production", { objects: urls(2) });
      expect(res.status).toBe(201);
      const body = res.body as Record<string, unknown>;
      expect(body).toEqual({
        httpStatus: 201,
        detail: "Request accepted",
        estimatedSeconds: 5,
        purgeId: body.purgeId,
        supportId: body.supportId,
      });
      expect(body.purgeId).toMatch(/^edcp-[A-Za-z0-9_-]{22}$/);
      expect(rateLimitHeaders(res.headers)).toEqual({
        "x-ratelimit-limit": "100",
        "x-ratelimit-remaining": "99",
        "x-ratelimit-limit-per-second": "50.00",
        "x-ratelimit-seconds-to-refresh-limit": "0.020000",
        "x-ratelimit-limit-objects": "10000",
        "x-ratelimit-remaining-objects": "9998",
        "x-ratelimit-limit-per-second-objects": "200.00",
        "x-ratelimit-seconds-to-refresh-limit-objects": "0.010000",
      });
    });

    it("records action, type and network (production when omitted)", async () => {
      await purge("/ccu/v3/invalidate/url/staging", { objects: urls(1) });
      await purge("/ccu/v3/delete/cpcode", { objects: [12345] });
      await purge("/ccu/v3/invalidate/tag/production", { objects: ["black-friday"] });
      await purge("/ccu/v3/invalidate/url", { hostname: "www.example.com", objects: ["/a", "/b"] });
      expect(
        h.sandbox.state.purges.map(({ action, type, network, objects, clientToken }) => ({
          action,
          type,
          network,
          objects,
          clientToken,
        })),
      ).toEqual([
        { action: "invalidate", type: "url", network: "staging", objects: urls(1), clientToken: "akab-test-client-token" },
        { action: "delete", type: "cpcode", network: "production", objects: [12345], clientToken: "akab-test-client-token" },
        {
          action: "invalidate",
          type: "tag",
          network: "production",
          objects: ["black-friday"],
          clientToken: "akab-test-client-token",
        },
        {
          action: "invalidate",
          type: "url",
          network: "production",
          objects: ["/a", "/b"],
          clientToken: "akab-test-client-token",
        },
      ]);
      expect(h.sandbox.state.purges[3]?.hostname).toBe("www.example.com");
    });

    it("lets tests check that every object arrived exactly once", async () => {
      const all = urls(3000);
      for (let i = 0; i < all.length; i += 1000)
        await purge("/ccu/v3/invalidate/url/production", { objects: all.slice(i, i + 1000) });
      const arrived = purgedObjects(h.sandbox.state, { type: "url", network: "production" });
      expect(arrived).toHaveLength(all.length);
      expect(new Set(arrived)).toEqual(new Set(all));
    });

    it("answers 413 for a body over 50,000 bytes and takes no tokens", async () => {
      // 1,500 URLs of ~36 bytes each is ~55 KB.
      const body = JSON.stringify({ objects: urls(1500, 100_000) });
      expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_PURGE_BODY_BYTES);
      const res = await purge("/ccu/v3/invalidate/url/production", body);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ httpStatus: 413, title: "Request Entity Too Large" });
      const status = await h.transport.request({ method: "POST", path: "/ccu/v3/rate-limit-status/url" });
      expect(status.headers["x-ratelimit-remaining"]).toBe("100");
      expect(status.headers["x-ratelimit-remaining-objects"]).toBe("10000");
    });

    it("answers 413 for a body too big to read (2 MB)", async () => {
      const res = await purge(
        "/ccu/v3/invalidate/url/production",
        JSON.stringify({ objects: ["https://www.example.com/" + "a".repeat(2_000_000)] }),
      );
      expect(res.status).toBe(413);
      expect(h.sandbox.state.purges).toHaveLength(0);
    });

    it("accepts a body of exactly 50,000 bytes", async () => {
      const prefix = '{"objects":["https://www.example.com/';
      const suffix = '"]}';
      const body = `${prefix}${"a".repeat(MAX_PURGE_BODY_BYTES - prefix.length - suffix.length)}${suffix}`;
      expect(Buffer.byteLength(body)).toBe(MAX_PURGE_BODY_BYTES);
      expect((await purge("/ccu/v3/invalidate/url/production", body)).status).toBe(201);
    });

    it.each([
      [
        "/ccu/v3/invalidate/cpcode",
        { objects: [123, "456"] },
        "objects[1] must be a positive integer CP code; a request carries one object type only",
      ],
      ["/ccu/v3/invalidate/cpcode", { objects: [1.5] }, "objects[0] must be a positive integer CP code"],
      [
        "/ccu/v3/invalidate/url",
        { objects: ["https://www.example.com/a", 12345] },
        "objects[1] must be a URL or ARL string; a request carries one object type only",
      ],
      [
        "/ccu/v3/invalidate/tag",
        { objects: ["ok", 7] },
        "objects[1] must be a cache tag string; a request carries one object type only",
      ],
      ["/ccu/v3/invalidate/tag", { objects: ["has space"] }, "objects[0] must be 1-128 characters"],
      ["/ccu/v3/invalidate/url", { objects: [] }, "objects must be a non-empty array"],
      ["/ccu/v3/invalidate/url", { objects: ["https://www.example.com/é"] }, "objects[0] must be non-empty printable ASCII"],
      ["/ccu/v3/invalidate/cpcode", { objects: [1], hostname: "x" }, "unknown field(s): hostname"],
    ])("answers 400 for %s %j", async (path, body, detail) => {
      const res = await purge(path, body);
      expect(res.status).toBe(400);
      expect((res.body as { detail: string }).detail).toContain(detail);
      expect(h.sandbox.state.purges).toHaveLength(0);
    });

    it("answers 400 'bad URL hostname' for a malformed host", async () => {
      const res = await purge("/ccu/v3/invalidate/url", { objects: ["https://bad_host!/x"] });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ title: "bad URL hostname", httpStatus: 400 });
    });

    it("answers 400 for invalid JSON and 415 without a JSON content type", async () => {
      expect((await purge("/ccu/v3/invalidate/url", "{not json")).status).toBe(400);
      const res = await h.transport.request({
        method: "POST",
        path: "/ccu/v3/invalidate/url",
        body: "objects=x",
        headers: { "Content-Type": "text/plain" },
      });
      expect(res.status).toBe(415);
    });

    it("denies a CP code purge that needs more tokens than are left, takes nothing, and refills over time", async () => {
      expect((await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(250) })).status).toBe(201);
      const denied = await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(60, 20_000) });
      expect(denied.status).toBe(429);
      expect(denied.headers["content-type"]).toBe("application/json"); // as ccu-v3.json gives the 429 answer
      const body = denied.body as Record<string, unknown>;
      expect(body).toEqual({
        supportId: body.supportId,
        title: "CPCODE Rate Limit exceeded",
        httpStatus: 429,
        detail: "",
        describedBy: "https://techdocs.akamai.com/purge-cache/reference/api-errors",
        rateLimit: 300,
        rateLimitCurrentRequestSize: 60,
        rateLimitRemaining: 50,
      });
      // The 429 took neither a request token nor object tokens.
      expect(rateLimitHeaders(denied.headers)).toMatchObject({
        "x-ratelimit-remaining": "99",
        "x-ratelimit-remaining-objects": "50",
        "x-ratelimit-limit-objects": "300",
        "x-ratelimit-limit-per-second-objects": "0.50",
        "x-ratelimit-seconds-to-refresh-limit-objects": "500.000000",
      });
      expect((await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(50, 30_000) })).status).toBe(201);
      // 30 CP codes per minute (TD-purge): after two minutes 60 tokens are back.
      h.clock.advance(119_000);
      expect((await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(60, 20_000) })).status).toBe(429);
      h.clock.advance(1_000);
      const accepted = await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(60, 20_000) });
      expect(accepted.status).toBe(201);
      expect(accepted.headers["x-ratelimit-remaining-objects"]).toBe("0");
      expect(purgedObjects(h.sandbox.state, { type: "cpcode" })).toHaveLength(360);
    });

    it("denies the 101st request in a burst with 'Rate Limit exceeded' and refills 50 per second", async () => {
      for (let i = 0; i < 100; i++) {
        const res = await purge("/ccu/v3/invalidate/tag", { objects: [`t${i}`] });
        expect(res.status).toBe(201);
      }
      const denied = await purge("/ccu/v3/invalidate/tag", { objects: ["t100"] });
      expect(denied.status).toBe(429);
      expect(denied.body).toMatchObject({
        title: "Rate Limit exceeded",
        rateLimit: 100,
        rateLimitCurrentRequestSize: 1,
        rateLimitRemaining: 0,
      });
      expect(rateLimitHeaders(denied.headers)).toMatchObject({
        "x-ratelimit-remaining": "0",
        "x-ratelimit-seconds-to-refresh-limit": "2.000000",
        "x-ratelimit-remaining-objects": "4900",
      });
      h.clock.advance(20); // one token at 50/s
      expect((await purge("/ccu/v3/invalidate/tag", { objects: ["t100"] })).status).toBe(201);
      expect((await purge("/ccu/v3/invalidate/tag", { objects: ["t101"] })).status).toBe(429);
    });

    it("always denies a request bigger than the bucket", async () => {
      const res = await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(301) });
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({
        title: "CPCODE Rate Limit exceeded",
        rateLimitCurrentRequestSize: 301,
        rateLimitRemaining: 300,
      });
    });

    it("reports bucket status on rate-limit-status without consuming tokens", async () => {
      await purge("/ccu/v3/invalidate/tag/staging", { objects: ["a", "b", "c"] });
      for (const path of ["/ccu/v3/rate-limit-status/tag", "/ccu/v3/rate-limit-status/tag/staging"]) {
        const res = await h.transport.request({ method: "POST", path });
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({ httpStatus: 201 });
        expect(rateLimitHeaders(res.headers)).toMatchObject({
          "x-ratelimit-remaining": "99",
          "x-ratelimit-limit-objects": "5000",
          "x-ratelimit-remaining-objects": "4997",
          "x-ratelimit-limit-per-second-objects": "8.33",
        });
      }
    });

    it("answers 404 for unknown paths and 405 for other methods, after authentication", async () => {
      expect((await h.transport.request({ method: "POST", path: "/ccu/v3/invalidate/arl" })).status).toBe(404);
      const res = await h.transport.request({ method: "GET", path: "/ccu/v3/invalidate/url" });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe("POST");
    });
  });

  describe("timeScale", () => {
    it("multiplies refill rates, and the headers report the effective rates", async () => {
      h = await startHarness({ timeScale: 60 });
      expect((await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(300) })).status).toBe(201);
      expect((await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(30, 20_000) })).status).toBe(429);
      h.clock.advance(1_000); // 30/min * 60 = 30 per second
      const res = await purge("/ccu/v3/invalidate/cpcode", { objects: cpcodes(30, 20_000) });
      expect(res.status).toBe(201);
      expect(res.headers["x-ratelimit-limit-per-second-objects"]).toBe("30.00");
      expect(res.headers["x-ratelimit-limit-per-second"]).toBe("3000.00");
    });

    it("takes 100,000 URLs in 1,000-URL batches, a client that waits as the headers say gets every one through once", async () => {
      h = await startHarness({ timeScale: 60 });
      const all = urls(100_000);
      let accepted = 0;
      let denied = 0;
      let offset = 0;
      while (offset < all.length) {
        const res = await purge("/ccu/v3/invalidate/url", { objects: all.slice(offset, offset + 1000) });
        if (res.status === 201) {
          offset += 1000;
          accepted++;
        } else {
          expect(res.status).toBe(429);
          denied++;
          h.clock.advance(Number(res.headers["x-ratelimit-seconds-to-refresh-limit-objects"]) * 1000);
        }
      }
      expect(accepted).toBe(100);
      expect(denied).toBeGreaterThan(0);
      expect(new Set(purgedObjects(h.sandbox.state)).size).toBe(100_000);
    });
  });

  describe("bucket overrides", () => {
    it("replaces a bucket's size for a test", async () => {
      h = await startHarness({ buckets: { url: { capacity: 5, refillPerSecond: 1 } } });
      expect((await purge("/ccu/v3/invalidate/url", { objects: urls(5) })).status).toBe(201);
      const denied = await purge("/ccu/v3/invalidate/url", { objects: urls(1, 5) });
      expect(denied.status).toBe(429);
      expect(denied.body).toMatchObject({ title: "URL Rate Limit exceeded", rateLimit: 5, rateLimitRemaining: 0 });
      expect(FAST_PURGE_BUCKETS.url.capacity).toBe(10_000);
    });
  });
});

describe("validatePurgeBody", () => {
  it("accepts URLs and ARLs mixed, and the hostname form", () => {
    expect(validatePurgeBody("url", { objects: ["https://a.example.com/x", "/L/512/6848/1h/www.example1.com/"] }).ok).toBe(true);
    expect(validatePurgeBody("url", { hostname: "origin.example.com", objects: ["/a"] }).ok).toBe(true);
    expect(validatePurgeBody("url", { hostname: "origin.example.com", objects: ["https://a.example.com/x"] }).ok).toBe(false);
  });

  it("accepts the cache tag character set up to 128 characters", () => {
    expect(validatePurgeBody("tag", { objects: ["a!#$%'+./^_`|~-Z9", "x".repeat(128)] }).ok).toBe(true);
    expect(validatePurgeBody("tag", { objects: ["x".repeat(129)] }).ok).toBe(false);
  });

  it("refuses non-objects", () => {
    expect(validatePurgeBody("url", [1])).toMatchObject({
      ok: false,
      detail: "body must be a JSON object with an objects array",
    });
    expect(validatePurgeBody("cpcode", { objects: [0] }).ok).toBe(false);
  });
});
