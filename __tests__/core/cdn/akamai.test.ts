import fc from "fast-check";
import { akamaiTransport, classifyAkamai, createAkamaiProvider } from "../../../core/cdn/akamai";
import { runCdnRequests } from "../../../core/cdn/runner";
import type { CdnObjectInput } from "../../../core/cdn/types";
import { planBatches } from "../../../core/purge/planner";
import { created, problem, scriptedHttp } from "../purge/fakes";
import { fakeClock, http, plannedIndexes } from "./fakes";

const config = { action: "invalidate", network: "production", allowedHostnames: ["www.example.com"] } as const;

describe("akamai adapter", () => {
  const provider = createAkamaiProvider(config);

  it("plans exactly the batches planBatches plans (same objects, paths and bodies)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.stringMatching(/^[a-z0-9/._-]{1,400}$/).map((p) => `https://www.example.com/${p}`),
          { minLength: 1, maxLength: 600 },
        ),
        (urls) => {
          const { accepted } = provider.validate(urls.map((value) => ({ type: "url" as const, value })));
          const requests = provider.plan(accepted);
          const batches = planBatches({ ...config, type: "url", objects: accepted.map((o) => o.item) }).batches;
          expect(requests.map((r) => r.items)).toEqual(batches.map((b) => b.objects));
          expect(requests.map((r) => provider.buildRequest(r))).toEqual(
            batches.map((b) => ({
              kind: "http",
              method: "POST",
              url: b.path,
              headers: { "Content-Type": "application/json" },
              body: b.body,
            })),
          );
          expect(plannedIndexes(requests)).toEqual(accepted.map((o) => o.index));
          expect(requests.length).toBeGreaterThanOrEqual(provider.minimumRequests(accepted));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("keeps the existing checks, with reason codes", () => {
    const inputs: CdnObjectInput[] = [
      { type: "url", value: "https://other.example.net/a" },
      { type: "url", value: "https://www.example.com/é" },
      { type: "tag", value: "t".repeat(129) },
      { type: "tag", value: "bad tag" },
      { type: "cpcode", value: "0" },
      { type: "host", value: "www.example.com" },
      { type: "cpcode", value: "12345" },
      { type: "cpcode", value: 12345 },
    ];
    const result = provider.validate(inputs);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      "hostNotServed",
      "invalidUrl",
      "tagTooLong",
      "invalidTag",
      "invalidCpCode",
      "unsupportedType",
    ]);
    expect(result.accepted.map((o) => o.item)).toEqual([12345]);
    expect(result.duplicates).toBe(1);
  });

  it("classifies Fast Purge answers as sender.ts does", () => {
    expect(classifyAkamai(http(201, { purgeId: "edcp-1", estimatedSeconds: 5, supportId: "s" }))).toEqual({
      kind: "done",
      cdnId: "edcp-1",
      detail: "estimatedSeconds 5, supportId s",
    });
    expect(classifyAkamai(http(201, { supportId: "s" }))).toMatchObject({ kind: "failed", reason: "malformedResponse" });
    expect(classifyAkamai(http(429, {}, { "X-Ratelimit-Seconds-To-Refresh-Limit-Objects": "12" }))).toMatchObject({
      kind: "retry",
      cause: "throttled",
      afterMs: 12_000,
      refund: true,
    });
    expect(classifyAkamai(http(429, {}))).toMatchObject({ afterMs: 5000 });
    expect(classifyAkamai(http(401, { detail: "bad signature" }))).toMatchObject({
      kind: "failed",
      reason: "credentialRejected",
      detail: "bad signature",
    });
    expect(classifyAkamai(http(400, { detail: "bad object" }))).toMatchObject({ kind: "failed", reason: "rejected" });
    expect(classifyAkamai(http(503, "down"))).toMatchObject({ kind: "retry", cause: "serverError" });
  });

  it("runs through the EdgeGrid PurgeHttp with the account bucket model", async () => {
    const tags = Array.from({ length: 3 }, (_, i) => ({ type: "tag" as const, value: `t${i}` }));
    const requests = provider.plan(provider.validate(tags).accepted);
    const purgeHttp = scriptedHttp([problem(429, "slow down"), created()]);
    const clock = fakeClock();
    const result = await runCdnRequests(provider, requests, { clock, random: () => 0, transport: akamaiTransport(purgeHttp) });
    expect(purgeHttp.calls).toEqual([
      { path: "/ccu/v3/invalidate/tag/production", body: '{"objects":["t0","t1","t2"]}' },
      { path: "/ccu/v3/invalidate/tag/production", body: '{"objects":["t0","t1","t2"]}' },
    ]);
    expect(clock.sleeps).toEqual([5000]);
    expect(result.outcomes[0]).toMatchObject({ cdn: "akamai", status: "done", attempts: 2 });
    expect(result.outcomes[0].status === "done" && result.outcomes[0].cdnId).toMatch(/^edcp-/);
  });
});
