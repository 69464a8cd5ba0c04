import { createCloudflareProvider } from "../../../core/cdn/cloudflare";
import { createCloudFrontProvider } from "../../../core/cdn/cloudfront";
import { createFastlyProvider } from "../../../core/cdn/fastly";
import { runCdnRequests, sendStep } from "../../../core/cdn/runner";
import type { CdnAnswer, CdnObjectInput, CdnProvider, CdnWireRequest, PlannedRequest } from "../../../core/cdn/types";
import { fakeClock, http, NetworkError, scriptedTransport } from "./fakes";

const fastlyToken = "fastly-secret-token";
const cloudflareToken = "cloudflare-secret-token";
const fastly = (maxParallel = 4) =>
  createFastlyProvider({ serviceId: "SVC123", token: fastlyToken, hostnames: ["www.example.com"], maxParallel });
const cloudflare = (plan: "free" | "pro" = "pro") =>
  createCloudflareProvider({
    zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
    token: cloudflareToken,
    plan,
    hostnames: ["www.example.com"],
    maxParallel: 1,
  });
const cloudfront = () =>
  createCloudFrontProvider({ distributionId: "E2QWRUHAPOMQZL", hostnames: ["www.example.com"], cacheTags: true });

function prepare(provider: CdnProvider, objects: CdnObjectInput[]): PlannedRequest[] {
  const { accepted, rejected } = provider.validate(objects);
  expect(rejected).toEqual([]);
  return provider.plan(accepted, { jobId: "job-1" });
}

const urls = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: "url" as const, value: `https://www.example.com/p/${i}` }));
const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ type: "tag" as const, value: `t${i}` }));
const cfOk = (id = "zone") => http(200, { success: true, errors: [], messages: [], result: { id } });

describe("runCdnRequests", () => {
  it("sends Fastly URL purges with bounded parallelism, each once, and reports each purge id", async () => {
    const provider = fastly(4);
    const requests = prepare(provider, urls(50));
    let inFlight = 0;
    let mostInFlight = 0;
    const sent: string[] = [];
    const clock = fakeClock();
    const result = await runCdnRequests(provider, requests, {
      clock,
      random: () => 0,
      transport: async (wire) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        if (wire.kind !== "http") throw new Error("expected http");
        sent.push(wire.url);
        return http(200, { status: "ok", id: `id-${wire.url.split("/").pop()}` });
      },
    });
    expect(mostInFlight).toBe(4);
    expect(sent.sort()).toEqual(
      urls(50)
        .map((u) => `https://api.fastly.com/purge/${u.value.slice("https://".length)}`)
        .sort(),
    );
    expect(result.outcomes).toHaveLength(50);
    expect(result.outcomes.every((o) => o.status === "done" && o.cdn === "fastly" && o.cdnId === `id-${o.index}`)).toBe(true);
    expect(result).toMatchObject({ objectsDone: 50, objectsFailed: 0, requestsSent: 50, throttled: 0 });
    expect(clock.sleeps).toEqual([]);
  });

  it("retries a Cloudflare 429 after Retry-After, without using up attempts", async () => {
    const provider = cloudflare();
    const requests = prepare(provider, tags(150));
    const clock = fakeClock();
    const { transport, calls } = scriptedTransport([
      http(429, { success: false, errors: [] }, { "Retry-After": "7" }),
      cfOk("a"),
      cfOk("b"),
    ]);
    const result = await runCdnRequests(provider, requests, { clock, random: () => 0, transport, maxAttempts: 1 });
    expect(clock.sleeps).toEqual([7000]);
    expect(calls.map((c) => c.kind === "http" && JSON.parse(c.body ?? "{}").tags.length)).toEqual([100, 100, 50]);
    expect(result.outcomes.map((o) => [o.status, o.status === "done" ? o.cdnId : o.reason, o.attempts])).toEqual([
      ["done", "a", 2],
      ["done", "b", 1],
    ]);
    expect(result.throttled).toBe(1);
  });

  it("paces a Free zone: 25 tag requests at once, then one per 12 s", async () => {
    const provider = cloudflare("free");
    const requests = prepare(provider, tags(2700)); // 27 requests of 100
    const clock = fakeClock();
    const result = await runCdnRequests(provider, requests, { clock, random: () => 0, transport: async () => cfOk() });
    expect(result.outcomes.every((o) => o.status === "done")).toBe(true);
    expect(clock.sleeps).toEqual([12_000, 12_000]);
  });

  it("retries 5xx and network errors with backoff until maxAttempts, then fails with the last error", async () => {
    const provider = cloudflare();
    const requests = prepare(provider, tags(1));
    const clock = fakeClock();
    const { transport, calls } = scriptedTransport([
      new NetworkError("ECONNRESET"),
      http(503, "unavailable"),
      http(502, "bad gateway"),
    ]);
    const result = await runCdnRequests(provider, requests, {
      clock,
      random: () => 0.5,
      transport,
      maxAttempts: 3,
      backoff: { baseMs: 1000, maxMs: 8000 },
    });
    expect(calls).toHaveLength(3);
    expect(clock.sleeps).toEqual([500, 1000]);
    expect(result.outcomes[0]).toMatchObject({ status: "failed", reason: "retriesExhausted", httpStatus: 502, attempts: 3 });
    expect(result.objectsFailed).toBe(1);
  });

  it("recovers from a network error", async () => {
    const provider = cloudflare();
    const { transport } = scriptedTransport([new NetworkError("socket hang up"), cfOk("x")]);
    const result = await runCdnRequests(provider, prepare(provider, tags(1)), { clock: fakeClock(), random: () => 0, transport });
    expect(result.outcomes[0]).toMatchObject({ status: "done", cdnId: "x", attempts: 2 });
  });

  it("stops sending after the credential is rejected; the rest are notSent, nothing is lost", async () => {
    const provider = fastly(1);
    const requests = prepare(provider, urls(3));
    const { transport, calls } = scriptedTransport([http(401, { msg: "Provided credentials are missing or invalid" })]);
    const result = await runCdnRequests(provider, requests, { clock: fakeClock(), transport });
    expect(calls).toHaveLength(1);
    expect(result.outcomes.map((o) => o.status === "failed" && o.reason)).toEqual(["credentialRejected", "notSent", "notSent"]);
    expect(result.objectsFailed).toBe(3);
    expect(JSON.stringify(result)).not.toContain(fastlyToken);
  });

  it("fails a request throttled more than maxThrottled times in a row", async () => {
    const provider = cloudflare();
    const { transport } = scriptedTransport(Array.from({ length: 3 }, () => http(429, {}, { "Retry-After": "1" })));
    const result = await runCdnRequests(provider, prepare(provider, tags(1)), {
      clock: fakeClock(),
      random: () => 0,
      transport,
      maxThrottled: 2,
    });
    expect(result.outcomes[0]).toMatchObject({ status: "failed", reason: "throttledTooOften", httpStatus: 429, attempts: 3 });
  });

  it("reports a transport error that is not retryable, and a classifier bug, as failures", async () => {
    const provider = fastly(1);
    const requests = prepare(provider, urls(2));
    const { transport } = scriptedTransport([new Error("TLS certificate rejected"), http(200, { status: "ok", id: "1" })]);
    const broken: CdnProvider = {
      ...provider,
      classify: (request, answer, now) => {
        if (request.objects[0].index === 1) throw new Error("classifier bug");
        return provider.classify(request, answer, now);
      },
    };
    const result = await runCdnRequests(broken, requests, { clock: fakeClock(), transport });
    expect(result.outcomes.map((o) => o.status === "failed" && [o.reason, o.detail])).toEqual([
      ["transportError", "TLS certificate rejected"],
      ["unexpectedError", "classifier bug"],
    ]);
  });

  it("refuses a planned request over the CDN's limits without sending it", async () => {
    const provider = cloudflare();
    const [request] = prepare(provider, tags(1)) as [PlannedRequest];
    const tooBig: PlannedRequest = { ...request, items: Array.from({ length: 101 }, (_, i) => `t${i}`) };
    const { transport, calls } = scriptedTransport([]);
    const result = await runCdnRequests(provider, [tooBig], { clock: fakeClock(), transport });
    expect(calls).toEqual([]);
    expect(result.outcomes[0]).toMatchObject({ status: "failed", reason: "invalidRequest", attempts: 0 });
  });

  it("keeps CloudFront's CallerReference across a busy retry and takes the reuse answer as done", async () => {
    const provider = cloudfront();
    const requests = prepare(provider, [...urls(2), ...tags(1)]);
    const clock = fakeClock();
    const { transport, calls } = scriptedTransport([
      {
        kind: "cloudfrontError",
        name: "TooManyInvalidationsInProgress",
        message: "exceeds in-progress invalidations",
        httpStatus: 400,
      },
      {
        kind: "cloudfrontError",
        name: "InvalidArgument",
        message:
          "Your request contains a caller reference that was used for a previous invalidation batch for the same distribution.",
        httpStatus: 400,
      },
    ]);
    const result = await runCdnRequests(provider, requests, { clock, random: () => 0, transport, maxThrottled: 5 });
    expect(clock.sleeps).toEqual([30_000]);
    const references = calls.map(
      (c) => c.kind === "cloudfront" && c.operation === "CreateInvalidation" && c.input.InvalidationBatch.CallerReference,
    );
    expect(references[0]).toBe(references[1]);
    expect(result.outcomes[0]).toMatchObject({ status: "done", cdn: "cloudfront", cdnId: null, attempts: 2 });
    expect(result.objectsDone).toBe(3);
  });

  it("holds CloudFront invalidations back while the distribution's 3,000 items / 15 wildcards are in progress", async () => {
    const provider = createCloudFrontProvider({
      distributionId: "E2QWRUHAPOMQZL",
      hostnames: ["www.example.com"],
      assumedInProgressMs: 20_000,
    });
    const wildcards = Array.from({ length: 20 }, (_, i) => ({ type: "path" as const, value: `/w${i}/*` }));
    const requests = prepare(provider, [...urls(7000), ...wildcards]);
    expect(requests.map((r) => r.items.length)).toEqual([3000, 3000, 1020]);
    const clock = fakeClock();
    const sentAt: number[] = [];
    const result = await runCdnRequests(provider, requests, {
      clock,
      random: () => 0,
      transport: async () => {
        sentAt.push(clock.now());
        return { kind: "cloudfront", output: { Invalidation: { Id: `I${sentAt.length}`, Status: "InProgress" } } };
      },
    });
    expect(sentAt.map((t) => t - sentAt[0])).toEqual([0, 20_000, 40_000]);
    expect(result.outcomes.map((o) => o.status === "done" && o.cdnId)).toEqual(["I1", "I2", "I3"]);
  });

  it("runs several CDNs side by side; one failing loses nothing at the others", async () => {
    const clock = fakeClock();
    const route = (answer: (wire: CdnWireRequest) => CdnAnswer) => async (wire: CdnWireRequest) => answer(wire);
    const objects: CdnObjectInput[] = [...urls(40), ...tags(300)];
    const runs = [
      {
        provider: fastly(8),
        transport: route((w) =>
          w.kind === "http" && w.url.endsWith("/purge")
            ? http(200, Object.fromEntries(JSON.parse(w.body ?? "{}").surrogate_keys.map((k: string) => [k, `p-${k}`])))
            : http(200, { status: "ok", id: "u" }),
        ),
      },
      {
        provider: cloudflare(),
        transport: route(() => http(403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] })),
      },
      {
        provider: cloudfront(),
        transport: route(() => ({ kind: "cloudfront", output: { Invalidation: { Id: "I1", Status: "InProgress" } } })),
      },
    ];
    const results = await Promise.all(
      runs.map(({ provider, transport }) =>
        runCdnRequests(provider, prepare(provider, objects), { clock, random: () => 0, transport }),
      ),
    );
    const [f, c, cf] = results;
    expect([f.objectsDone, f.objectsFailed]).toEqual([340, 0]);
    expect(f.outcomes.filter((o) => o.type === "tag").map((o) => o.status === "done" && o.objectIds?.t0)).toContain("p-t0");
    expect([c.objectsDone, c.objectsFailed]).toEqual([0, 340]);
    expect(c.outcomes[0]).toMatchObject({
      cdn: "cloudflare",
      status: "failed",
      reason: "forbidden",
      httpStatus: 403,
      detail: "10000 Authentication error",
    });
    expect(c.outcomes.slice(1).every((o) => o.status === "failed" && o.reason === "forbidden")).toBe(true);
    expect(cf.outcomes).toEqual([expect.objectContaining({ cdn: "cloudfront", status: "done", cdnId: "I1", items: 340 })]);
    for (const result of results) {
      const covered = result.outcomes.flatMap((o) => o.objects.map((x) => x.index)).sort((a, b) => a - b);
      expect(covered).toEqual(objects.map((_, i) => i));
    }
  });
});

describe("sendStep", () => {
  it("returns the pacer's wait without sending", async () => {
    const provider = cloudflare("free");
    const [request] = prepare(provider, tags(1)) as [PlannedRequest];
    const now = 0;
    const pacer = provider.createPacer(() => now);
    for (let i = 0; i < 25; i++) pacer.take(request);
    const { transport, calls } = scriptedTransport([]);
    const step = await sendStep(provider, request, {
      transport,
      pacer,
      now: () => now,
      random: () => 0,
      attempt: 1,
      maxAttempts: 3,
    });
    expect(step).toMatchObject({ kind: "retry", cause: "paced", afterMs: 12_000, requestSent: false });
    expect(calls).toEqual([]);
  });
});
