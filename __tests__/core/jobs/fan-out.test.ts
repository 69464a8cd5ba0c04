/**
 * POST /purge's fan-out to an environment's CDN targets (core/jobs/fan-out.ts), the CDN batch message and the
 * EDGEPLANE_CDNS reader: plain functions, no AWS.
 */
import type { CdnRuntimeTarget } from "../../../config/runtime-schema";
import { MAX_PLANNED_REQUEST_BYTES, fanOutPurge } from "../../../core/jobs/fan-out";
import { decodeBatchMessage, encodeBatchMessage, type CdnBatchMessage } from "../../../core/jobs/message";
import { PurgePolicyError, parseCdnTargets } from "../../../core/jobs/policy";
import { ALL_REASON_CODES, FAILURE_REASONS, failureReasonCode } from "../../../core/purge/failure-reasons";
import { REASON_CODES } from "../../../core/cdn/types";

const JOB = "3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f";
const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/${name}-AbCdEf`;
const ZONE = "0123456789abcdef0123456789abcdef";

const targets: CdnRuntimeTarget[] = [
  { cdn: "akamai", hostnames: ["www.example.com"] },
  { cdn: "fastly", serviceId: "SVC1234567", hostnames: ["*.example.com"], tokenSecretArn: ARN("fastly") },
  { cdn: "cloudflare", zoneId: ZONE, plan: "pro", hostnames: ["static.example.net"], tokenSecretArn: ARN("cloudflare") },
  {
    cdn: "cloudfront",
    distributionId: "E1SANDBOXDIST",
    hostnames: ["www.example.com"],
    cacheTags: false,
    tagFallback: "purgeAll",
  },
];

const fan = (type: Parameters<typeof fanOutPurge>[0]["type"], objects: unknown[], only?: string[]) =>
  fanOutPurge({ type, objects, targets, jobId: JOB, action: "invalidate", network: "production", ...(only ? { only } : {}) });

describe("fanOutPurge", () => {
  it("sends each URL to every target serving its host, and rejects once a URL nobody serves", () => {
    const result = fan("url", [
      "https://www.example.com/a",
      "https://img.example.com/b",
      "https://static.example.net/c",
      "https://nowhere.test/d",
      "not a url",
    ]);
    expect(result.akamai?.accepted).toEqual(["https://www.example.com/a"]);
    const byTarget = Object.fromEntries(
      result.others.map((t) => [t.key, t.requests.flatMap((r) => r.objects.map((o) => [o.index, o.value]))]),
    );
    expect(byTarget).toEqual({
      "fastly:SVC1234567": [
        [0, "https://www.example.com/a"],
        [1, "https://img.example.com/b"],
      ],
      [`cloudflare:${ZONE}`]: [[2, "https://static.example.net/c"]],
      "cloudfront:E1SANDBOXDIST": [[0, "https://www.example.com/a"]],
    });
    expect(result.rejected.map((r) => [r.index, r.code, r.target])).toEqual([
      [3, "noCdnServes", undefined],
      [4, "invalidUrl", undefined],
    ]);
    expect(result.rejected[0]?.reason).toContain("host nowhere.test is not served by any CDN target");
  });

  it("sends tags to every target; CloudFront without cache tags purges everything instead, marked as a substitution", () => {
    const result = fan("tag", ["a", "b"]);
    expect(result.akamai?.accepted).toEqual(["a", "b"]);
    expect(result.others.map((t) => [t.key, t.requests.length, t.accepted])).toEqual([
      ["fastly:SVC1234567", 1, 2],
      [`cloudflare:${ZONE}`, 1, 2],
      ["cloudfront:E1SANDBOXDIST", 1, 2],
    ]);
    const cloudfront = result.others.find((t) => t.cdn === "cloudfront")?.requests[0];
    expect(cloudfront).toMatchObject({ items: ["/*"], substitution: "purgeAllInsteadOfTags" });
    expect(cloudfront?.idempotencyKey).toContain(JOB);
    expect(result.rejected).toEqual([]);
  });

  it("without the fallback, CloudFront rejects tags naming itself and the reason, and the others still get them", () => {
    const strict = targets.map((t) => (t.cdn === "cloudfront" ? { ...t, tagFallback: "reject" as const } : t));
    const result = fanOutPurge({
      type: "tag",
      objects: ["a"],
      targets: strict,
      jobId: JOB,
      action: "invalidate",
      network: "staging",
    });
    expect(result.others.map((t) => t.key)).toEqual(["fastly:SVC1234567", `cloudflare:${ZONE}`]);
    expect(result.rejected).toEqual([
      expect.objectContaining({ index: 0, code: "tagsNotSupported", target: "cloudfront:E1SANDBOXDIST" }),
    ]);
  });

  it("CP codes go to Akamai only, host and prefix to Cloudflare only, path to CloudFront only", () => {
    expect(fan("cpcode", [12345]).akamai?.accepted).toEqual([12345]);
    expect(fan("cpcode", [12345]).others).toEqual([]);
    expect(fan("host", ["static.example.net"]).others.map((t) => t.key)).toEqual([`cloudflare:${ZONE}`]);
    expect(fan("prefix", ["static.example.net/img"]).others.map((t) => t.key)).toEqual([`cloudflare:${ZONE}`]);
    const path = fan("path", ["/img/*"]);
    expect(path.akamai).toBeUndefined();
    expect(path.others.map((t) => [t.key, t.requests[0]?.items])).toEqual([["cloudfront:E1SANDBOXDIST", ["/img/*"]]]);
  });

  it("an object of a type no chosen target purges is rejected naming the CDNs that could", () => {
    const result = fan("cpcode", [12345], ["fastly:SVC1234567"]);
    expect(result.akamai).toBeUndefined();
    expect(result.rejected).toEqual([
      expect.objectContaining({
        index: 0,
        code: "noCdnServes",
        reason: "type cpcode is purged by akamai; the CDN targets asked for here are: fastly:SVC1234567",
      }),
    ]);
  });

  it("`only` restricts the targets", () => {
    const result = fan("url", ["https://www.example.com/a"], ["cloudfront:E1SANDBOXDIST"]);
    expect(result.akamai).toBeUndefined();
    expect(result.others.map((t) => t.key)).toEqual(["cloudfront:E1SANDBOXDIST"]);
  });
});

it("a planned request too big for a queue message is split: every object once, every message small enough", () => {
  const urls = Array.from(
    { length: 3_000 },
    (_, i) => `https://www.example.com/${String(i).padStart(5, "0")}/${"a".repeat(120)}.html`,
  );
  const result = fan("url", urls, ["cloudfront:E1SANDBOXDIST"]);
  const requests = result.others[0]!.requests;
  expect(requests.length).toBeGreaterThan(1);
  for (const request of requests) {
    expect(Buffer.byteLength(JSON.stringify(request), "utf8")).toBeLessThanOrEqual(MAX_PLANNED_REQUEST_BYTES);
    expect(request.items.length).toBeLessThanOrEqual(3_000);
  }
  const keys = requests.map((r) => r.idempotencyKey);
  expect(new Set(keys).size).toBe(keys.length);
  expect(requests.flatMap((r) => r.objects.map((o) => o.index)).sort((a, b) => a - b)).toEqual(urls.map((_, i) => i));
});

describe("CDN batch messages", () => {
  it("round-trip through the queue body; Akamai messages keep their shape", () => {
    const request = fan("tag", ["a"]).others[0]!.requests[0]!;
    const message: CdnBatchMessage = { jobId: JOB, batchIndex: 3, target: "fastly:SVC1234567", request, notBefore: 1_000 };
    expect(decodeBatchMessage(encodeBatchMessage(message))).toEqual({ ok: true, message });
    const akamai = {
      jobId: JOB,
      batchIndex: 0,
      type: "url" as const,
      action: "invalidate" as const,
      network: "staging" as const,
      objects: ["https://www.example.com/a"],
    };
    expect(JSON.parse(encodeBatchMessage(akamai))).toEqual(akamai);
  });

  it("a CDN message with a bad planned request is refused naming the field, with its job and batch", () => {
    const decoded = decodeBatchMessage(
      JSON.stringify({
        jobId: JOB,
        batchIndex: 2,
        target: "fastly:X",
        request: { cdn: "fastly", type: "tag", objects: [], items: ["a"] },
      }),
    );
    expect(decoded).toMatchObject({ ok: false, jobId: JOB, batchIndex: 2, problem: expect.stringContaining("request.objects") });
  });
});

describe("parseCdnTargets (EDGEPLANE_CDNS)", () => {
  it("unset or blank is Akamai alone (undefined); a valid list is read", () => {
    expect(parseCdnTargets(undefined)).toBeUndefined();
    expect(parseCdnTargets("  ")).toBeUndefined();
    expect(parseCdnTargets(JSON.stringify(targets))).toEqual(targets);
  });

  it("names what is wrong, never a value", () => {
    expect(() => parseCdnTargets("{")).toThrow(new PurgePolicyError("EDGEPLANE_CDNS is not valid JSON"));
    expect(() =>
      parseCdnTargets(JSON.stringify([{ cdn: "fastly", serviceId: "SVC1234567", hostnames: ["a.example.com"] }])),
    ).toThrow(/\[0\]\.tokenSecretArn/);
    expect(() => parseCdnTargets(JSON.stringify([targets[0], targets[0]]))).toThrow(
      "EDGEPLANE_CDNS lists the CDN target akamai twice",
    );
    expect(() => parseCdnTargets("[]")).toThrow(/lists no CDN target/);
  });
});

test("one set of reason codes: the service's and every provider's, each once", () => {
  for (const code of [...FAILURE_REASONS, ...REASON_CODES]) expect(ALL_REASON_CODES).toContain(code);
  expect(new Set(ALL_REASON_CODES).size).toBe(ALL_REASON_CODES.length);
  expect(failureReasonCode("tagsNotSupported")).toBe("tagsNotSupported");
  expect(failureReasonCode("retries exhausted")).toBe("retriesExhausted");
});
