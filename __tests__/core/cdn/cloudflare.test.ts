import fc from "fast-check";
import {
  CLOUDFLARE_DEFAULT_MAX_ITEMS,
  type CloudflareConfig,
  type CloudflarePlan,
  createCloudflareProvider,
} from "../../../core/cdn/cloudflare";
import type { CdnObjectInput, PlannedRequest } from "../../../core/cdn/types";
import { http, plannedIndexes } from "./fakes";

const TOKEN = "cf-test-token-value";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const config: CloudflareConfig = { zoneId: ZONE, token: TOKEN, plan: "pro", hostnames: ["www.example.com", "*.example.org"] };
const NOW = 1_700_000_000_000;

describe("cloudflare validation", () => {
  const provider = createCloudflareProvider(config);

  it("accepts URLs, tags, hosts and prefixes under the zone's hostnames", () => {
    const result = provider.validate([
      { type: "url", value: "https://WWW.example.com/a.css" },
      { type: "tag", value: "Blog" },
      { type: "host", value: "img.example.org" },
      { type: "prefix", value: "www.example.com/blog/2026" },
    ]);
    expect(result.rejected).toEqual([]);
    expect(result.accepted.map((o) => o.item)).toEqual([
      "https://www.example.com/a.css",
      "Blog",
      "img.example.org",
      "www.example.com/blog/2026",
    ]);
  });

  it("rejects each bad object with its reason", () => {
    const result = provider.validate([
      { type: "url", value: "https://other.example.net/" },
      { type: "tag", value: "a,b" },
      { type: "tag", value: "t".repeat(1025) },
      { type: "host", value: "not a host" },
      { type: "host", value: "other.example.net" },
      { type: "prefix", value: "https://www.example.com/blog" },
      { type: "prefix", value: `www.example.com${"/a".repeat(32)}` },
      { type: "all", value: "*" },
      { type: "path", value: "/a" },
    ]);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      "hostNotServed",
      "invalidTag",
      "tagTooLong",
      "invalidHost",
      "hostNotServed",
      "invalidPrefix",
      "invalidPrefix",
      "purgeAllNotAllowed",
      "unsupportedType",
    ]);
    expect(result.rejected[6].detail).toContain("32 path separators");
  });

  it("treats tags as case-insensitive when merging duplicates", () => {
    const result = provider.validate([
      { type: "tag", value: "Blog" },
      { type: "tag", value: "blog" },
    ]);
    expect(result.accepted).toHaveLength(1);
    expect(result.duplicates).toBe(1);
  });

  it("refuses a zone name in place of a zone id", () => {
    expect(() => createCloudflareProvider({ ...config, zoneId: "example.com" })).toThrow(/zone's id/);
    expect(() => createCloudflareProvider({ ...config, plan: "gold" as CloudflarePlan })).toThrow(
      /free, pro, business, enterprise/,
    );
    expect(() => createCloudflareProvider({ ...config, maxItemsPerRequest: { url: 501 } })).toThrow(/at most 500/);
  });
});

describe("cloudflare planning (property)", () => {
  const served = ["www.example.com", "a.example.org", "b.example.org"];
  const object = fc.oneof(
    fc.record({
      type: fc.constant("url" as const),
      value: fc.stringMatching(/^[a-z0-9/._-]{0,20}$/).map((p) => `https://www.example.com/${p}`),
    }),
    fc.record({ type: fc.constant("tag" as const), value: fc.stringMatching(/^[A-Za-z0-9_:-]{1,12}$/) }),
    fc.record({ type: fc.constant("host" as const), value: fc.constantFrom(...served) }),
    fc.record({
      type: fc.constant("prefix" as const),
      value: fc.stringMatching(/^[a-z0-9]{1,10}(\/[a-z0-9]{1,5}){0,3}$/).map((p) => `www.example.com/${p}`),
    }),
    fc.record({ type: fc.constant("all" as const), value: fc.constant("") }),
  );

  it("puts every valid object in exactly one request of one kind, within each plan's caps, in the fewest requests", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<CloudflarePlan>("free", "pro", "business", "enterprise"),
        fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
        fc.array(object, { maxLength: 1500 }),
        (plan, urlCap, objects) => {
          const provider = createCloudflareProvider({
            ...config,
            plan,
            allowPurgeAll: true,
            ...(urlCap === undefined ? {} : { maxItemsPerRequest: { url: urlCap } }),
          });
          const { accepted } = provider.validate(objects);
          const requests = provider.plan(accepted);
          expect(plannedIndexes(requests)).toEqual(accepted.map((o) => o.index).sort((a, b) => a - b));
          const caps = { ...CLOUDFLARE_DEFAULT_MAX_ITEMS[plan], ...(urlCap === undefined ? {} : { url: urlCap }), all: 1 };
          for (const request of requests) {
            expect(provider.checkRequest(request)).toBeUndefined();
            expect(request.objects.every((o) => o.type === request.type)).toBe(true);
            expect(request.items.length).toBeLessThanOrEqual(caps[request.type as keyof typeof caps]);
            const wire = provider.buildRequest(request);
            const body = JSON.parse(wire.kind === "http" ? (wire.body ?? "{}") : "{}") as Record<string, unknown>;
            expect(Object.keys(body)).toHaveLength(1);
          }
          let minimum = 0;
          for (const type of ["url", "tag", "host", "prefix", "all"] as const) {
            minimum += Math.ceil(accepted.filter((o) => o.type === type).length / caps[type]);
          }
          expect(requests.length).toBeLessThanOrEqual(Math.floor(minimum * 1.01));
          expect(provider.minimumRequests(accepted)).toBe(minimum);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("uses 30 URLs per request below Enterprise and 500 on Enterprise", () => {
    const urls = Array.from({ length: 2000 }, (_, i) => ({ type: "url" as const, value: `https://www.example.com/p${i}` }));
    const pro = createCloudflareProvider(config);
    const enterprise = createCloudflareProvider({ ...config, plan: "enterprise" });
    expect(pro.plan(pro.validate(urls).accepted)).toHaveLength(67);
    expect(enterprise.plan(enterprise.validate(urls).accepted)).toHaveLength(4);
  });
});

describe("cloudflare requests", () => {
  const provider = createCloudflareProvider({ ...config, allowPurgeAll: true });
  const build = (objects: CdnObjectInput[]) =>
    provider.plan(provider.validate(objects).accepted).map((r) => provider.buildRequest(r));

  it("builds one body per kind with the documented field names and a Bearer token", () => {
    const wires = build([
      { type: "url", value: "https://www.example.com/a" },
      { type: "tag", value: "t1" },
      { type: "host", value: "www.example.com" },
      { type: "prefix", value: "www.example.com/blog" },
      { type: "all", value: "" },
    ]);
    expect(wires.map((w) => w.kind === "http" && w.body)).toEqual([
      '{"files":["https://www.example.com/a"]}',
      '{"tags":["t1"]}',
      '{"hosts":["www.example.com"]}',
      '{"prefixes":["www.example.com/blog"]}',
      '{"purge_everything":true}',
    ]);
    for (const wire of wires) {
      expect(wire).toMatchObject({
        kind: "http",
        method: "POST",
        url: `https://api.cloudflare.com/client/v4/zones/${ZONE}/purge_cache`,
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      });
    }
  });

  it("uses EDGEPLANE_CLOUDFLARE_API_URL only under the loopback rule", () => {
    const env = { EDGEPLANE_CLOUDFLARE_API_URL: "http://localhost:8922/client/v4", EDGEPLANE_INSECURE_LOOPBACK: "1" };
    const local = createCloudflareProvider({ ...config, env });
    const [request] = local.plan(local.validate([{ type: "tag", value: "t" }]).accepted);
    expect(local.buildRequest(request)).toMatchObject({ url: `http://localhost:8922/client/v4/zones/${ZONE}/purge_cache` });
    expect(() =>
      createCloudflareProvider({ ...config, env: { ...env, EDGEPLANE_CLOUDFLARE_API_URL: "http://10.0.0.1:8922" } }),
    ).toThrow(/127.0.0.1 or localhost/);
  });
});

describe("cloudflare answers", () => {
  const provider = createCloudflareProvider(config);
  const [request] = provider.plan(provider.validate([{ type: "tag", value: "t" }]).accepted) as [PlannedRequest];
  const classify = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    provider.classify(request, http(status, body, headers), NOW);

  it("reads result.id from a successful envelope", () => {
    expect(classify(200, { success: true, errors: [], messages: [], result: { id: ZONE } })).toEqual({
      kind: "done",
      cdnId: ZONE,
    });
  });

  it("takes HTTP 200 with success:false as a failure, and 1100 + 1016 as permanent item errors", () => {
    const body = {
      success: false,
      errors: [
        { code: 1100, message: "Tag exceeds maximum length of 1024 characters: ..." },
        { code: 1016, message: "One or more cache purge errors" },
      ],
      messages: [],
      result: null,
    };
    const result = classify(200, body);
    expect(result).toMatchObject({ kind: "failed", reason: "invalidItems", status: 200 });
    expect(result.kind === "failed" && result.detail).toContain("1100 Tag exceeds");
  });

  it.each([1016, 1100, 1315])("treats code %i as permanent on any status", (code) => {
    expect(classify(400, { success: false, errors: [{ code, message: "x" }] })).toMatchObject({
      kind: "failed",
      reason: "invalidItems",
    });
  });

  it("fails success:false on 200 with other codes as rejected", () => {
    expect(classify(200, { success: false, errors: [{ code: 1234, message: "nope" }] })).toMatchObject({
      kind: "failed",
      reason: "rejected",
    });
  });

  it("does not take a 200 without the envelope as done", () => {
    expect(classify(200, "ok")).toMatchObject({ kind: "failed", reason: "malformedResponse" });
  });

  it.each([
    [
      400,
      {
        success: false,
        errors: [
          {
            code: 6003,
            message: "Invalid request headers",
            error_chain: [{ code: 6103, message: "Invalid format for X-Auth-Key header" }],
          },
        ],
      },
      "credentialRejected",
    ],
    [401, { success: false, errors: [] }, "credentialRejected"],
    [403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] }, "forbidden"],
    [404, { success: false, errors: [{ code: 7003, message: "Could not route" }] }, "notFound"],
    [
      400,
      { code: 1012, message: 'Request must contain one of "purge_everything", "files", "tags", "hosts" or "prefixes"' },
      "rejected",
    ],
    [400, { success: false, errors: [{ code: 1014, message: '"files", "tags", or "hosts" must be an array' }] }, "rejected"],
    [400, { success: false, errors: [{ code: 1018, message: "cannot provide more than 100 items" }] }, "tooManyItems"],
  ])("classifies HTTP %i %j as %s", (status, body, reason) => {
    expect(classify(status, body)).toMatchObject({ kind: "failed", reason, status });
  });

  it("retries 429 after Retry-After, else the Ratelimit reset, else 60 s; 5xx with backoff", () => {
    expect(classify(429, { success: false, errors: [] }, { "Retry-After": "7" })).toMatchObject({
      kind: "retry",
      cause: "throttled",
      afterMs: 7000,
    });
    expect(classify(429, {}, { Ratelimit: '"default";r=0;t=30' })).toMatchObject({ afterMs: 30_000 });
    expect(classify(429, "Rate limit enforced for cache purge. (You can try again in 60 seconds.)")).toMatchObject({
      afterMs: 60_000,
    });
    expect(classify(502, "bad gateway")).toMatchObject({ kind: "retry", cause: "serverError", status: 502 });
  });
});

describe("cloudflare pacing", () => {
  it("lets Free zones burst 25 tag requests, then one every 12 s", () => {
    let now = NOW;
    const provider = createCloudflareProvider({ ...config, plan: "free" });
    const [request] = provider.plan(provider.validate([{ type: "tag", value: "t" }]).accepted) as [PlannedRequest];
    const pacer = provider.createPacer(() => now);
    for (let i = 0; i < 25; i++) {
      expect(pacer.waitMs(request)).toBe(0);
      pacer.take(request);
    }
    expect(pacer.waitMs(request)).toBe(12_000);
    now += 12_000;
    expect(pacer.waitMs(request)).toBe(0);
  });

  it("paces URL requests on URLs per second, not on the tag bucket", () => {
    const now = NOW;
    const provider = createCloudflareProvider({ ...config, plan: "free" });
    const urls = Array.from({ length: 900 }, (_, i) => ({ type: "url" as const, value: `https://www.example.com/${i}` }));
    const requests = provider.plan(provider.validate(urls).accepted);
    const pacer = provider.createPacer(() => now);
    let sent = 0;
    for (const request of requests) {
      if (pacer.waitMs(request) > 0) break;
      pacer.take(request);
      sent += request.items.length;
    }
    expect(sent).toBe(780); // 26 requests of 30 within the 800-URL burst
  });

  it("does not count on refill Cloudflare's full bucket could not hold while requests are in flight", () => {
    let now = NOW;
    const provider = createCloudflareProvider({ ...config, plan: "free" });
    const urls = Array.from({ length: 1200 }, (_, i) => ({ type: "url" as const, value: `https://www.example.com/${i}` }));
    const requests = provider.plan(provider.validate(urls).accepted);
    const pacer = provider.createPacer(() => now);
    const sent = [];
    for (const request of requests) {
      if (pacer.waitMs(request) > 0) break;
      pacer.take(request);
      sent.push(request);
    }
    expect(sent).toHaveLength(26); // 780 of the 800-URL burst, none answered yet
    now += 1000;
    // Cloudflare's bucket stayed at 800 until they arrived, then had 800 − 780 = 20 (+ refill since): 10 short of 30.
    const next = requests[26] as PlannedRequest;
    expect(pacer.waitMs(next)).toBe(13);
    for (const request of sent) pacer.observe(request, http(200, { success: true, result: { id: "x" } }));
    expect(pacer.waitMs(next)).toBe(13);
    now += 13;
    expect(pacer.waitMs(next)).toBe(0);
  });

  it("counts URL purges toward the API-wide limit unless configured not to", () => {
    const now = NOW;
    const tiny = { api: { size: 1, refillPerSecond: 0.01 } };
    const urls = [{ type: "url" as const, value: "https://www.example.com/a" }];
    for (const [counts, wait] of [
      [true, 100_000],
      [false, 0],
    ] as const) {
      const provider = createCloudflareProvider({ ...config, buckets: tiny, urlsCountTowardApiLimit: counts });
      const [request] = provider.plan(provider.validate(urls).accepted) as [PlannedRequest];
      const pacer = provider.createPacer(() => now);
      pacer.take(request);
      expect(pacer.waitMs(request)).toBe(wait);
    }
  });

  it("uses the configured wait for a 429 without rate-limit headers", () => {
    const provider = createCloudflareProvider({ ...config, throttleWaitMs: 15_000 });
    const [request] = provider.plan(provider.validate([{ type: "tag", value: "t" }]).accepted) as [PlannedRequest];
    expect(provider.classify(request, http(429, {}), NOW)).toMatchObject({ afterMs: 15_000 });
    expect(() => createCloudflareProvider({ ...config, throttleWaitMs: -1 })).toThrow(/throttleWaitMs/);
  });

  it("blocks after a 429 with Retry-After and after Ratelimit r=0", () => {
    const now = NOW;
    const provider = createCloudflareProvider({ ...config, plan: "enterprise" });
    const [request] = provider.plan(provider.validate([{ type: "tag", value: "t" }]).accepted) as [PlannedRequest];
    const pacer = provider.createPacer(() => now);
    pacer.take(request);
    pacer.observe(request, http(429, {}, { "retry-after": "9" }));
    expect(pacer.waitMs(request)).toBe(9000);
    const other = provider.createPacer(() => now);
    other.observe(request, http(200, { success: true }, { ratelimit: '"default";r=0;t=40' }));
    expect(other.waitMs(request)).toBe(40_000);
  });

  it("after Ratelimit r=0 waits the reset time, then still has the API-wide burst (not 4 requests/s)", () => {
    let now = NOW;
    const provider = createCloudflareProvider({ ...config, buckets: { urls: { size: 100_000, refillPerSecond: 100_000 } } });
    const urls = Array.from({ length: 3000 }, (_, i) => ({ type: "url" as const, value: `https://www.example.com/${i}` }));
    const requests = provider.plan(provider.validate(urls).accepted);
    const pacer = provider.createPacer(() => now);
    pacer.take(requests[0] as PlannedRequest);
    pacer.observe(
      requests[0] as PlannedRequest,
      http(200, { success: true, result: { id: "x" } }, { ratelimit: '"default";r=0;t=1' }),
    );
    expect(pacer.waitMs(requests[1] as PlannedRequest)).toBe(1000);
    now += 1000;
    for (const request of requests.slice(1)) {
      expect(pacer.waitMs(request)).toBe(0);
      pacer.take(request);
    }
  });
});
