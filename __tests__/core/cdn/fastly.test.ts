import fc from "fast-check";
import { CdnConfigError, type CdnObjectInput } from "../../../core/cdn/types";
import { FASTLY_MAX_KEYS_PER_REQUEST, createFastlyProvider, type FastlyConfig } from "../../../core/cdn/fastly";
import { http, plannedIndexes } from "./fakes";

const TOKEN = "fastly-test-token-value";
const config: FastlyConfig = {
  serviceId: "SU1Z0isxPaozGVKXdv0eY",
  token: TOKEN,
  hostnames: ["www.example.com", "*.example.org"],
};
const NOW = 1_700_000_000_000;

describe("fastly validation", () => {
  const provider = createFastlyProvider(config);

  it("accepts served URLs and keys, and turns URLs into host/path items", () => {
    const result = provider.validate([
      { type: "url", value: "HTTPS://WWW.Example.com/a/B?x=1" },
      { type: "url", value: "https://cdn.example.org" },
      { type: "tag", value: "product-42" },
    ]);
    expect(result.rejected).toEqual([]);
    expect(result.accepted.map((o) => [o.type, o.value, o.item])).toEqual([
      ["url", "https://www.example.com/a/B?x=1", "www.example.com/a/B?x=1"],
      ["url", "https://cdn.example.org", "cdn.example.org/"],
      ["tag", "product-42", "product-42"],
    ]);
  });

  it("rejects each bad object with a reason code naming the problem", () => {
    const inputs: CdnObjectInput[] = [
      { type: "url", value: "https://evil.example.net/a" },
      { type: "url", value: "ftp://www.example.com/a" },
      { type: "tag", value: "has space" },
      { type: "tag", value: "k".repeat(1025) },
      { type: "all", value: "*" },
      { type: "cpcode", value: 123 },
      { type: "bogus" as never, value: "x" },
    ];
    const result = provider.validate(inputs);
    expect(result.accepted).toEqual([]);
    expect(result.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, "hostNotServed"],
      [1, "invalidUrl"],
      [2, "invalidTag"],
      [3, "tagTooLong"],
      [4, "purgeAllNotAllowed"],
      [5, "unsupportedType"],
      [6, "unsupportedType"],
    ]);
    expect(result.rejected[0].detail).toContain("evil.example.net");
    expect(result.rejected[3].detail).toContain("1025 bytes");
    expect(result.rejected[5].detail).toBe("fastly cannot purge objects of type cpcode (as configured); it accepts: url, tag");
    expect(provider.objectTypes).toEqual(["url", "tag"]);
    expect(createFastlyProvider({ ...config, allowPurgeAll: true }).objectTypes).toEqual(["url", "tag", "all"]);
  });

  it("accepts a key of exactly 1,024 bytes", () => {
    expect(provider.validate([{ type: "tag", value: "k".repeat(1024) }]).accepted).toHaveLength(1);
  });

  it("merges URLs that are the same purge (http and https of one path)", () => {
    const result = provider.validate([
      { type: "url", value: "http://www.example.com/a" },
      { type: "url", value: "https://www.example.com/a" },
    ]);
    expect(result.accepted).toHaveLength(1);
    expect(result.duplicates).toBe(1);
  });

  it("allows purge-all only when asked for, and never soft", () => {
    const allowed = createFastlyProvider({ ...config, allowPurgeAll: true });
    expect(allowed.validate([{ type: "all", value: "" }]).accepted).toHaveLength(1);
    const soft = createFastlyProvider({ ...config, allowPurgeAll: true, softPurge: true });
    expect(soft.validate([{ type: "all", value: "" }]).rejected[0].reason).toBe("softPurgeAllUnsupported");
  });

  it("refuses bad configuration naming the field, without echoing the token", () => {
    expect(() => createFastlyProvider({ ...config, serviceId: "bad/id" })).toThrow(CdnConfigError);
    const messages: string[] = [];
    for (const bad of [{ serviceId: "bad/id" }, { hostnames: ["Bad Host"] }, { maxParallel: 0 }]) {
      try {
        createFastlyProvider({ ...config, ...bad });
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).not.toContain(TOKEN);
    expect(() => createFastlyProvider({ ...config, token: "" })).toThrow(/FASTLY_API_TOKEN/);
    expect(() => createFastlyProvider({ ...config, maxKeysPerRequest: 257 })).toThrow(/at most 256/);
    expect(() => createFastlyProvider({ ...config, hostnames: ["Bad Host"] })).toThrow(/hostnames\[0\]/);
  });
});

describe("fastly planning (property)", () => {
  const provider = createFastlyProvider({ ...config, allowPurgeAll: true });
  const object = fc.oneof(
    fc.record({
      type: fc.constant("url" as const),
      value: fc.stringMatching(/^[a-z0-9/._-]{0,30}$/).map((p) => `https://www.example.com/${p}`),
    }),
    fc.record({ type: fc.constant("tag" as const), value: fc.stringMatching(/^[A-Za-z0-9_:-]{1,20}$/) }),
    fc.record({ type: fc.constant("all" as const), value: fc.constant("*") }),
    fc.record({ type: fc.constant("tag" as const), value: fc.constant("bad key") }),
  );

  it("puts every valid object in exactly one request, within Fastly's limits, in the fewest requests", () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 900 }), (objects) => {
        const { accepted, rejected, duplicates } = provider.validate(objects);
        expect(accepted.length + rejected.length + duplicates).toBe(objects.length);
        const requests = provider.plan(accepted);
        expect(plannedIndexes(requests)).toEqual(accepted.map((o) => o.index).sort((a, b) => a - b));
        for (const request of requests) {
          expect(provider.checkRequest(request)).toBeUndefined();
          expect(request.items).toEqual(request.objects.map((o) => o.item));
          expect(request.objects.every((o) => o.type === request.type)).toBe(true);
          if (request.type === "url" || request.type === "all") expect(request.items).toHaveLength(1);
          else expect(request.items.length).toBeLessThanOrEqual(FASTLY_MAX_KEYS_PER_REQUEST);
        }
        // Independent minimum: one per URL, one per 256 keys, one purge-all.
        const count = (type: string) => accepted.filter((o) => o.type === type).length;
        const minimum = count("url") + Math.ceil(count("tag") / 256) + count("all");
        expect(requests.length).toBeLessThanOrEqual(Math.floor(minimum * 1.01));
        expect(provider.minimumRequests(accepted)).toBe(minimum);
      }),
      { numRuns: 60 },
    );
  });

  it("splits 600 keys into 256 + 256 + 88", () => {
    const keys = Array.from({ length: 600 }, (_, i) => ({ type: "tag" as const, value: `k${i}` }));
    const requests = provider.plan(provider.validate(keys).accepted);
    expect(requests.map((r) => r.items.length)).toEqual([256, 256, 88]);
  });
});

describe("fastly requests", () => {
  it("builds a URL purge: POST /purge/{host/path}, Fastly-Key, no body", () => {
    const provider = createFastlyProvider(config);
    const [request] = provider.plan(provider.validate([{ type: "url", value: "https://www.example.com/p/a.css?v=2" }]).accepted);
    expect(provider.buildRequest(request)).toEqual({
      kind: "http",
      method: "POST",
      url: "https://api.fastly.com/purge/www.example.com/p/a.css?v=2",
      headers: { Accept: "application/json", "Fastly-Key": TOKEN },
    });
  });

  it("builds a bulk key purge with surrogate_keys and the soft-purge header", () => {
    const provider = createFastlyProvider({ ...config, softPurge: true });
    const [request] = provider.plan(
      provider.validate([
        { type: "tag", value: "a" },
        { type: "tag", value: "b" },
      ]).accepted,
    );
    const wire = provider.buildRequest(request);
    expect(wire).toEqual({
      kind: "http",
      method: "POST",
      url: "https://api.fastly.com/service/SU1Z0isxPaozGVKXdv0eY/purge",
      headers: { Accept: "application/json", "Content-Type": "application/json", "Fastly-Key": TOKEN, "Fastly-Soft-Purge": "1" },
      body: '{"surrogate_keys":["a","b"]}',
    });
  });

  it("builds purge_all", () => {
    const provider = createFastlyProvider({ ...config, allowPurgeAll: true });
    const [request] = provider.plan(provider.validate([{ type: "all", value: "*" }]).accepted);
    expect(provider.buildRequest(request)).toMatchObject({
      method: "POST",
      url: "https://api.fastly.com/service/SU1Z0isxPaozGVKXdv0eY/purge_all",
    });
  });

  it("sends to the loopback override only under EDGEPLANE_INSECURE_LOOPBACK=1", () => {
    const env = { EDGEPLANE_FASTLY_API_URL: "http://127.0.0.1:8911", EDGEPLANE_INSECURE_LOOPBACK: "1" };
    const provider = createFastlyProvider({ ...config, env });
    const [request] = provider.plan(provider.validate([{ type: "tag", value: "a" }]).accepted);
    expect(provider.buildRequest(request)).toMatchObject({ url: "http://127.0.0.1:8911/service/SU1Z0isxPaozGVKXdv0eY/purge" });
    expect(() => createFastlyProvider({ ...config, env: { EDGEPLANE_FASTLY_API_URL: "http://127.0.0.1:8911" } })).toThrow(
      /EDGEPLANE_INSECURE_LOOPBACK/,
    );
    expect(() =>
      createFastlyProvider({
        ...config,
        env: { EDGEPLANE_FASTLY_API_URL: "https://attacker.example", EDGEPLANE_INSECURE_LOOPBACK: "1" },
      }),
    ).toThrow(/EDGEPLANE_FASTLY_API_URL is not allowed/);
  });
});

describe("fastly answers", () => {
  const provider = createFastlyProvider({ ...config, allowPurgeAll: true });
  const plan = (objects: CdnObjectInput[]) => provider.plan(provider.validate(objects).accepted)[0];
  const urlRequest = plan([{ type: "url", value: "https://www.example.com/a" }]);
  const keyRequest = plan([
    { type: "tag", value: "k1" },
    { type: "tag", value: "k2" },
  ]);
  const allRequest = plan([{ type: "all", value: "*" }]);

  it("reads the purge id of a URL purge", () => {
    expect(provider.classify(urlRequest, http(200, { status: "ok", id: "108-1391560174-974124" }), NOW)).toEqual({
      kind: "done",
      cdnId: "108-1391560174-974124",
    });
  });

  it("reads the key → purge id map of a bulk purge", () => {
    const answer = http(200, { k1: "108-1", k2: "108-2" });
    expect(provider.classify(keyRequest, answer, NOW)).toEqual({
      kind: "done",
      cdnId: "108-1",
      objectIds: { k1: "108-1", k2: "108-2" },
    });
  });

  it("takes purge_all's {status: ok} without an id", () => {
    expect(provider.classify(allRequest, http(200, { status: "ok" }), NOW)).toEqual({ kind: "done", cdnId: null });
  });

  it("names the 256-key cap body as tooManyItems", () => {
    const body = { status: "fail", reason: "Batch surrogate key request only supports up to 256 surrogate keys" };
    expect(provider.classify(keyRequest, http(400, body), NOW)).toMatchObject({
      kind: "failed",
      reason: "tooManyItems",
      status: 400,
    });
  });

  it.each([
    [401, { msg: "Provided credentials are missing or invalid" }, "credentialRejected"],
    [403, { msg: "Forbidden" }, "forbidden"],
    [404, { msg: "Record not found", details: "Cannot find service" }, "notFound"],
    [405, "Method Not Allowed", "rejected"],
  ])("classifies HTTP %i (%j) as %s", (status, body, reason) => {
    const result = provider.classify(urlRequest, http(status, body), NOW);
    expect(result).toMatchObject({ kind: "failed", reason, status });
  });

  it("keeps Fastly's message in the detail", () => {
    expect(
      provider.classify(urlRequest, http(404, { msg: "Record not found", details: "Cannot find service" }), NOW),
    ).toMatchObject({
      detail: "Record not found: Cannot find service",
    });
  });

  it("retries 429 at Fastly-RateLimit-Reset, and 5xx with backoff", () => {
    const reset = String((NOW + 42_000) / 1000);
    expect(
      provider.classify(
        allRequest,
        http(429, { msg: "rate limited" }, { "Fastly-RateLimit-Reset": reset, "Fastly-RateLimit-Remaining": "0" }),
        NOW,
      ),
    ).toMatchObject({
      kind: "retry",
      cause: "throttled",
      afterMs: 42_000,
    });
    expect(provider.classify(urlRequest, http(503, "busy"), NOW)).toMatchObject({
      kind: "retry",
      cause: "serverError",
      status: 503,
    });
  });

  it("does not take a non-JSON 200 as done", () => {
    expect(provider.classify(urlRequest, http(200, "<html>"), NOW)).toMatchObject({
      kind: "failed",
      reason: "malformedResponse",
    });
  });

  it("paces purge_all after a 429 until the reset time", () => {
    let now = NOW;
    const pacer = provider.createPacer(() => now);
    expect(pacer.waitMs(allRequest)).toBe(0);
    pacer.take(allRequest);
    pacer.observe(allRequest, http(429, {}, { "Fastly-RateLimit-Reset": String((NOW + 30_000) / 1000) }));
    expect(pacer.waitMs(allRequest)).toBe(30_000);
    expect(pacer.waitMs(urlRequest)).toBe(0);
    now += 30_000;
    expect(pacer.waitMs(allRequest)).toBe(0);
  });
});
