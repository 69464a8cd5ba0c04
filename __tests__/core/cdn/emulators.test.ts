/**
 * The providers and the runner against the sandbox emulators over loopback HTTP (fetch, and the real AWS SDK for
 * CloudFront): 2,000 URLs and 600 tags per CDN, each purged exactly once, in the fewest requests the limits allow.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { createCloudflareProvider } from "../../../core/cdn/cloudflare";
import { createCloudFrontProvider } from "../../../core/cdn/cloudfront";
import { cloudFrontTransport } from "../../../core/cdn/cloudfront-sdk";
import { createFastlyProvider } from "../../../core/cdn/fastly";
import { fetchTransport } from "../../../core/cdn/fetch-transport";
import { type CdnClock, runCdnRequests } from "../../../core/cdn/runner";
import type { CdnObjectInput, CdnProvider } from "../../../core/cdn/types";
import { cloudflarePurgedObjects, startCloudflareEmulator } from "../../../sandbox/cloudflare";
import { cloudFrontInvalidatedPaths, startCloudFrontEmulator } from "../../../sandbox/cloudfront";
import { fastlyPurgedObjects, startFastlyEmulator } from "../../../sandbox/fastly";

const realClock: CdnClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
const HOST = "www.example.com";
const urls = Array.from({ length: 2000 }, (_, i) => `https://${HOST}/articles/${i}.html`);
const tags = Array.from({ length: 600 }, (_, i) => `article-${i}`);
const objects: CdnObjectInput[] = [
  ...urls.map((value) => ({ type: "url" as const, value })),
  ...tags.map((value) => ({ type: "tag" as const, value })),
];
const loopbackEnv = (name: string, url: string) => ({ [name]: url, EDGEPLANE_INSECURE_LOOPBACK: "1" });

function prepare(provider: CdnProvider) {
  const validation = provider.validate(objects);
  expect(validation.rejected).toEqual([]);
  const requests = provider.plan(validation.accepted, { jobId: "emulator-job" });
  expect(requests.length).toBe(provider.minimumRequests(validation.accepted));
  return requests;
}

const sorted = (list: readonly string[]) => [...list].sort();

describe("providers against the CDN emulators", () => {
  it("fastly: 2,000 URL purges and 600 keys in 3 bulk requests, each once", async () => {
    const emulator = await startFastlyEmulator({
      services: [{ id: "SVCSANDBOX1", hosts: [HOST], purgeRequiresAuth: true }],
      tokens: [{ token: "sandbox-fastly-token", scope: "purge_select", services: ["SVCSANDBOX1"] }],
    });
    try {
      const provider = createFastlyProvider({
        serviceId: "SVCSANDBOX1",
        token: "sandbox-fastly-token",
        hostnames: [HOST],
        maxParallel: 16,
        env: loopbackEnv("EDGEPLANE_FASTLY_API_URL", emulator.url),
      });
      const requests = prepare(provider);
      expect(requests).toHaveLength(2003);
      const result = await runCdnRequests(provider, requests, { transport: fetchTransport(), clock: realClock });
      expect(result.outcomes.filter((o) => o.status === "failed")).toEqual([]);
      expect(result.objectsDone).toBe(2600);
      expect(result.outcomes.every((o) => o.status === "done" && typeof o.cdnId === "string")).toBe(true);
      expect(sorted(fastlyPurgedObjects(emulator.state, { kind: "url" }))).toEqual(
        sorted(urls.map((u) => u.slice("https://".length))),
      );
      expect(sorted(fastlyPurgedObjects(emulator.state, { kind: "key" }))).toEqual(sorted(tags));
    } finally {
      await emulator.close();
    }
  });

  it("fastly: a wrong token is refused and the rest are not sent", async () => {
    const emulator = await startFastlyEmulator({
      services: [{ id: "SVCSANDBOX1", hosts: [HOST] }],
      tokens: [{ token: "right", scope: "purge_select" }],
    });
    try {
      const provider = createFastlyProvider({
        serviceId: "SVCSANDBOX1",
        token: "wrong",
        hostnames: [HOST],
        maxParallel: 1,
        env: loopbackEnv("EDGEPLANE_FASTLY_API_URL", emulator.url),
      });
      const requests = provider.plan(
        provider.validate(tags.slice(0, 600).map((value) => ({ type: "tag" as const, value }))).accepted,
      );
      const result = await runCdnRequests(provider, requests, { transport: fetchTransport(), clock: realClock });
      expect(result.outcomes.map((o) => o.status === "failed" && o.reason)).toEqual(["credentialRejected", "notSent", "notSent"]);
    } finally {
      await emulator.close();
    }
  });

  it("cloudflare (pro): 67 URL requests of ≤ 30 and 6 tag requests of ≤ 100, each object once", async () => {
    const zoneId = "0123456789abcdef0123456789abcdef";
    const emulator = await startCloudflareEmulator({
      zones: [{ id: zoneId, plan: "pro" }],
      tokens: [{ token: "sandbox-cf-token", kind: "user", purgeZones: [zoneId] }],
      timeScale: 50,
    });
    try {
      const provider = createCloudflareProvider({
        zoneId,
        token: "sandbox-cf-token",
        plan: "pro",
        hostnames: [HOST],
        env: loopbackEnv("EDGEPLANE_CLOUDFLARE_API_URL", `${emulator.url}/client/v4`),
      });
      const requests = prepare(provider);
      expect(requests).toHaveLength(67 + 6);
      const result = await runCdnRequests(provider, requests, { transport: fetchTransport(), clock: realClock });
      expect(result.outcomes.filter((o) => o.status === "failed")).toEqual([]);
      expect(result.objectsDone).toBe(2600);
      expect(sorted(cloudflarePurgedObjects(emulator.state, { kind: "files" }))).toEqual(sorted(urls));
      expect(sorted(cloudflarePurgedObjects(emulator.state, { kind: "tags" }))).toEqual(sorted(tags));
      expect(emulator.state.sizes.every((s) => s.items <= s.cap)).toBe(true);
    } finally {
      await emulator.close();
    }
  });

  it("cloudflare: rides out an injected 429 (Retry-After), a 503 and a dropped connection; nothing lost or doubled", async () => {
    const zoneId = "0123456789abcdef0123456789abcdef";
    const emulator = await startCloudflareEmulator({
      zones: [{ id: zoneId, plan: "enterprise" }],
      tokens: [{ token: "sandbox-cf-token", kind: "user" }],
      faults: [{ status: 429, retryAfterSeconds: 1 }, { status: 503, errorCode: 10001 }, { dropConnection: true }],
    });
    try {
      const provider = createCloudflareProvider({
        zoneId,
        token: "sandbox-cf-token",
        plan: "enterprise",
        hostnames: [HOST],
        maxParallel: 1,
        env: loopbackEnv("EDGEPLANE_CLOUDFLARE_API_URL", `${emulator.url}/client/v4`),
      });
      const requests = provider.plan(provider.validate(tags.map((value) => ({ type: "tag" as const, value }))).accepted);
      const result = await runCdnRequests(provider, requests, { transport: fetchTransport(), clock: realClock, random: () => 0 });
      expect(result.outcomes.map((o) => [o.status, o.attempts])).toEqual([
        ["done", 4],
        ...Array.from({ length: 5 }, () => ["done", 1]),
      ]);
      expect(result.throttled).toBe(1);
      expect(sorted(cloudflarePurgedObjects(emulator.state, { kind: "tags" }))).toEqual(sorted(tags));
    } finally {
      await emulator.close();
    }
  });

  it("cloudfront: waits out TooManyInvalidationsInProgress and Throttling with the same CallerReference", async () => {
    const key = { accessKeyId: "AKIASANDBOXTEST00001", secretAccessKey: "sandbox/secret+key0123456789abcdefghijklm" };
    const emulator = await startCloudFrontEmulator({
      distributions: [{ id: "E1SANDBOXDIST" }],
      credentials: [{ ...key, accountId: "123456789012" }],
      completionMs: 50,
      faults: [
        { status: 400, errorCode: "TooManyInvalidationsInProgress" },
        { status: 400, errorCode: "Throttling" },
      ],
    });
    try {
      const provider = createCloudFrontProvider({ distributionId: "E1SANDBOXDIST", hostnames: [HOST], busyWaitMs: 20 });
      const requests = provider.plan(
        provider.validate([
          { type: "path", value: "/a/*" },
          { type: "url", value: `https://${HOST}/b` },
        ]).accepted,
        { jobId: "j" },
      );
      const transport = cloudFrontTransport(
        new CloudFrontClient({ endpoint: emulator.url, region: "us-east-1", credentials: key, maxAttempts: 1 }),
      );
      const result = await runCdnRequests(provider, requests, { transport, clock: realClock, random: () => 0 });
      expect(result.outcomes[0]).toMatchObject({ status: "done", attempts: 3 });
      expect(result.throttled).toBe(2);
      expect(emulator.state.invalidations.map((i) => [i.callerReference, i.paths])).toEqual([
        [requests[0].idempotencyKey, ["/a/*", "/b"]],
      ]);
    } finally {
      await emulator.close();
    }
  });

  it("cloudfront (cache tags): one invalidation of 2,600 items; a retry of the batch returns the same invalidation", async () => {
    const key = { accessKeyId: "AKIASANDBOXTEST00001", secretAccessKey: "sandbox/secret+key0123456789abcdefghijklm" };
    const emulator = await startCloudFrontEmulator({
      distributions: [{ id: "E1SANDBOXTAGS", cacheTags: true }],
      credentials: [{ ...key, accountId: "123456789012", distributionIds: ["E1SANDBOXTAGS"] }],
      completionMs: 50,
    });
    try {
      const provider = createCloudFrontProvider({ distributionId: "E1SANDBOXTAGS", hostnames: [HOST], cacheTags: true });
      const requests = prepare(provider);
      expect(requests.map((r) => r.items.length)).toEqual([2600]);
      const transport = cloudFrontTransport(
        new CloudFrontClient({ endpoint: emulator.url, region: "us-east-1", credentials: key, maxAttempts: 1 }),
      );
      const first = await runCdnRequests(provider, requests, { transport, clock: realClock });
      const again = await runCdnRequests(provider, requests, { transport, clock: realClock });
      const [done] = first.outcomes;
      expect(done).toMatchObject({ status: "done", cdn: "cloudfront" });
      expect(done.status === "done" && done.cdnId).toMatch(/^I/);
      expect(again.outcomes[0].status === "done" && again.outcomes[0].cdnId).toBe(done.status === "done" && done.cdnId);
      expect(emulator.state.invalidations).toHaveLength(1);
      expect(sorted(cloudFrontInvalidatedPaths(emulator.state))).toEqual(
        sorted([...urls.map((u) => u.slice(`https://${HOST}`.length)), ...tags.map((t) => `#${t}`)]),
      );
    } finally {
      await emulator.close();
    }
  });
});
