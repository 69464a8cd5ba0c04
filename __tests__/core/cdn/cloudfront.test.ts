import { CloudFrontClient, CreateInvalidationCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import {
  callerReference,
  checkCloudFrontEndpointOverride,
  type CloudFrontConfig,
  classifyCloudFront,
  createCloudFrontProvider,
  invalidationStatusRequest,
  isWildcard,
  readInvalidationStatus,
} from "../../../core/cdn/cloudfront";
import { cloudFrontTransport, sdkErrorAnswer } from "../../../core/cdn/cloudfront-sdk";
import type { CdnAnswer, CdnObjectInput, PlannedRequest } from "../../../core/cdn/types";
import { plannedIndexes } from "./fakes";

const config: CloudFrontConfig = {
  distributionId: "E2QWRUHAPOMQZL",
  hostnames: ["www.example.com", "d111111abcdef8.cloudfront.net"],
};
const JOB = "job-7f3a";

function sdkError(name: string, message: string, httpStatus?: number): CdnAnswer {
  return { kind: "cloudfrontError", name, message, ...(httpStatus === undefined ? {} : { httpStatus }) };
}

describe("cloudfront validation", () => {
  const provider = createCloudFrontProvider({ ...config, cacheTags: true, allowPurgeAll: true });

  it("turns URLs into paths (query kept) and tags into #tag items", () => {
    const result = provider.validate([
      { type: "url", value: "https://www.example.com/a/b.css?v=1" },
      { type: "url", value: "https://d111111abcdef8.cloudfront.net" },
      { type: "path", value: "/images/*" },
      { type: "tag", value: "product:electronics" },
      { type: "all", value: "" },
    ]);
    expect(result.rejected).toEqual([]);
    expect(result.accepted.map((o) => o.item)).toEqual(["/a/b.css?v=1", "/", "/images/*", "#product:electronics", "/*"]);
  });

  it("merges a URL and the path it becomes, and tags case-insensitively", () => {
    const result = provider.validate([
      { type: "url", value: "https://www.example.com/a" },
      { type: "path", value: "/a" },
      { type: "tag", value: "Blog" },
      { type: "tag", value: "blog" },
    ]);
    expect(result.accepted.map((o) => o.item)).toEqual(["/a", "#Blog"]);
    expect(result.duplicates).toBe(2);
  });

  it("rejects bad paths, foreign hosts and bad tags with reasons", () => {
    const result = provider.validate([
      { type: "path", value: "a/b" },
      { type: "path", value: "/a*/b" },
      { type: "path", value: "/a b" },
      { type: "path", value: `/${"a".repeat(4000)}` },
      { type: "url", value: "https://evil.example.net/a" },
      { type: "url", value: "https://www.example.com/a*b" },
      { type: "tag", value: "a,b" },
      { type: "tag", value: "t".repeat(257) },
      { type: "host", value: "www.example.com" },
    ]);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      "invalidPath",
      "invalidPath",
      "invalidPath",
      "invalidPath",
      "hostNotServed",
      "invalidUrl",
      "invalidTag",
      "tagTooLong",
      "unsupportedType",
    ]);
    expect(result.rejected[1].detail).toContain(`"*" is allowed only as the last character`);
    expect(result.rejected[8].detail).toBe(
      "cloudfront cannot purge objects of type host (as configured); it accepts: url, path, tag, all",
    );
    expect(createCloudFrontProvider(config).validate([{ type: "host", value: "x" }]).rejected[0].detail).toMatch(
      /it accepts: url, path$/,
    );
  });

  it("rejects tags on a distribution without cache tags, saying how to allow them", () => {
    const plain = createCloudFrontProvider(config);
    expect(plain.objectTypes).toEqual(["url", "path"]);
    const [rejection] = plain.validate([{ type: "tag", value: "blog" }]).rejected;
    expect(rejection.reason).toBe("tagsNotSupported");
    expect(rejection.detail).toContain("CacheTagConfig");
    expect(plain.validate([{ type: "all", value: "" }]).rejected[0].reason).toBe("purgeAllNotAllowed");
  });

  it("with tagFallback purgeAll, plans one reported /* invalidation for all the tags", () => {
    const fallback = createCloudFrontProvider({ ...config, tagFallback: "purgeAll" });
    const { accepted } = fallback.validate([
      { type: "tag", value: "a" },
      { type: "path", value: "/x" },
      { type: "tag", value: "b" },
    ]);
    const requests = fallback.plan(accepted, { jobId: JOB });
    expect(requests.map((r) => [r.type, r.items, r.objects.map((o) => o.value), r.substitution])).toEqual([
      ["path", ["/x"], ["/x"], undefined],
      ["all", ["/*"], ["a", "b"], "purgeAllInsteadOfTags"],
    ]);
  });
});

describe("cloudfront planning (property)", () => {
  const object = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ type: fc.constant("path" as const), value: fc.stringMatching(/^\/[a-z0-9/._-]{0,12}$/) }),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant("path" as const), value: fc.stringMatching(/^\/[a-z0-9/]{0,8}\*$/) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        type: fc.constant("url" as const),
        value: fc.stringMatching(/^[a-z0-9/._-]{0,12}$/).map((p) => `https://www.example.com/${p}`),
      }),
    },
    { weight: 3, arbitrary: fc.record({ type: fc.constant("tag" as const), value: fc.stringMatching(/^[a-z0-9:_-]{1,10}$/) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("all" as const), value: fc.constant("") }) },
  );

  it("puts every valid object in exactly one invalidation within 3,000 items and 15 wildcards, in the fewest", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 15 }),
        fc.array(object, { maxLength: 2500 }),
        (cacheTags, maxPaths, maxWildcards, objects) => {
          const provider = createCloudFrontProvider({
            ...config,
            cacheTags,
            tagFallback: "purgeAll",
            allowPurgeAll: true,
            maxPathsPerRequest: maxPaths,
            maxWildcardsPerRequest: maxWildcards,
          });
          const { accepted } = provider.validate(objects);
          const requests = provider.plan(accepted, { jobId: JOB });
          expect(plannedIndexes(requests)).toEqual(accepted.map((o) => o.index).sort((a, b) => a - b));
          for (const request of requests) {
            expect(provider.checkRequest(request)).toBeUndefined();
            expect(request.items.length).toBeLessThanOrEqual(maxPaths);
            expect(request.items.filter(isWildcard).length).toBeLessThanOrEqual(maxWildcards);
            if (request.substitution === undefined) expect(request.items).toEqual(request.objects.map((o) => o.item));
          }
          const tagsOnWire = cacheTags ? accepted : accepted.filter((o) => o.type !== "tag");
          const fallbackRequests = !cacheTags && accepted.some((o) => o.type === "tag") ? 1 : 0;
          const wildcards = tagsOnWire.filter((o) => String(o.item).endsWith("*")).length;
          const minimum =
            Math.max(Math.ceil(tagsOnWire.length / maxPaths), Math.ceil(wildcards / maxWildcards)) + fallbackRequests;
          expect(requests.length).toBeLessThanOrEqual(Math.floor(minimum * 1.01));
          // Caller references are distinct per batch.
          expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(requests.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("plans 2,000 URLs and 600 tags into one invalidation of 2,600 items", () => {
    const provider = createCloudFrontProvider({ ...config, cacheTags: true });
    const objects: CdnObjectInput[] = [
      ...Array.from({ length: 2000 }, (_, i) => ({ type: "url" as const, value: `https://www.example.com/p/${i}` })),
      ...Array.from({ length: 600 }, (_, i) => ({ type: "tag" as const, value: `t${i}` })),
    ];
    expect(provider.plan(provider.validate(objects).accepted, { jobId: JOB }).map((r) => r.items.length)).toEqual([2600]);
  });

  it("splits 40 wildcards into 15 + 15 + 10", () => {
    const provider = createCloudFrontProvider(config);
    const objects = Array.from({ length: 40 }, (_, i) => ({ type: "path" as const, value: `/d${i}/*` }));
    expect(provider.plan(provider.validate(objects).accepted, { jobId: JOB }).map((r) => r.items.length)).toEqual([15, 15, 10]);
  });

  it("needs a job id to fix the CallerReference", () => {
    const provider = createCloudFrontProvider(config);
    expect(() => provider.plan(provider.validate([{ type: "path", value: "/a" }]).accepted)).toThrow(/jobId/);
  });
});

describe("cloudfront requests", () => {
  const provider = createCloudFrontProvider({ ...config, cacheTags: true });

  it("builds CreateInvalidation with Quantity = items and a deterministic CallerReference", () => {
    const objects: CdnObjectInput[] = [
      { type: "path", value: "/a" },
      { type: "tag", value: "blog" },
    ];
    const [first] = provider.plan(provider.validate(objects).accepted, { jobId: JOB }) as [PlannedRequest];
    const [again] = provider.plan(provider.validate(objects).accepted, { jobId: JOB }) as [PlannedRequest];
    expect(provider.buildRequest(first)).toEqual({
      kind: "cloudfront",
      operation: "CreateInvalidation",
      input: {
        DistributionId: "E2QWRUHAPOMQZL",
        InvalidationBatch: {
          CallerReference: callerReference(JOB, 0, ["/a", "#blog"]),
          Paths: { Quantity: 2, Items: ["/a", "#blog"] },
        },
      },
    });
    expect(again.idempotencyKey).toBe(first.idempotencyKey);
    expect(callerReference(JOB, 0, ["/b"])).not.toBe(first.idempotencyKey);
    expect(callerReference("job-other", 0, ["/a", "#blog"])).not.toBe(first.idempotencyKey);
  });

  it("refuses AWS_ENDPOINT_URL_CLOUDFRONT outside the loopback rule", () => {
    expect(() => checkCloudFrontEndpointOverride({})).not.toThrow();
    expect(() =>
      checkCloudFrontEndpointOverride({ AWS_ENDPOINT_URL_CLOUDFRONT: "http://127.0.0.1:4566", EDGEPLANE_INSECURE_LOOPBACK: "1" }),
    ).not.toThrow();
    expect(() => checkCloudFrontEndpointOverride({ AWS_ENDPOINT_URL_CLOUDFRONT: "http://127.0.0.1:4566" })).toThrow(
      /AWS_ENDPOINT_URL_CLOUDFRONT/,
    );
    expect(() =>
      checkCloudFrontEndpointOverride({ AWS_ENDPOINT_URL: "https://proxy.example", EDGEPLANE_INSECURE_LOOPBACK: "1" }),
    ).toThrow(/AWS_ENDPOINT_URL /);
  });
});

describe("cloudfront pacing", () => {
  it("counts wildcards in progress separately from items, and frees slots of refused requests", () => {
    let now = 0;
    const provider = createCloudFrontProvider({ ...config, assumedInProgressMs: 25_000 });
    const wildcards = Array.from({ length: 20 }, (_, i) => ({ type: "path" as const, value: `/w${i}/*` }));
    const [first, second] = provider.plan(provider.validate(wildcards).accepted, { jobId: JOB }) as [
      PlannedRequest,
      PlannedRequest,
    ];
    const pacer = provider.createPacer(() => now);
    expect(pacer.waitMs(first)).toBe(0);
    pacer.take(first);
    now = 5_000;
    expect(pacer.waitMs(second)).toBe(20_000);
    pacer.refund(first);
    expect(pacer.waitMs(second)).toBe(0);
    expect(classifyCloudFront(sdkError("TooManyInvalidationsInProgress", "busy", 400))).toMatchObject({ refund: true });
  });
});

describe("cloudfront answers", () => {
  it("reads the invalidation id", () => {
    const output = {
      Location: "https://cloudfront.amazonaws.com/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation/I2J0I21PCUYOIK",
      Invalidation: { Id: "I2J0I21PCUYOIK", Status: "InProgress" },
    };
    expect(classifyCloudFront({ kind: "cloudfront", output })).toEqual({ kind: "done", cdnId: "I2J0I21PCUYOIK" });
  });

  it("takes both 'caller reference already used' answers as the first invalidation's success", () => {
    const observed = sdkError(
      "InvalidArgument",
      "Your request contains a caller reference that was used for a previous invalidation batch for the same distribution.",
      400,
    );
    expect(classifyCloudFront(observed)).toMatchObject({ kind: "done", cdnId: null });
    expect(classifyCloudFront(sdkError("InvalidationBatchAlreadyExists", "exists", 409))).toMatchObject({
      kind: "done",
      cdnId: null,
    });
  });

  it("retries TooManyInvalidationsInProgress later, as busy", () => {
    const answer = sdkError(
      "TooManyInvalidationsInProgress",
      "Processing your request will cause you to exceed the maximum number of in-progress invalidations.",
      400,
    );
    expect(classifyCloudFront(answer, 45_000)).toMatchObject({ kind: "retry", cause: "busy", afterMs: 45_000, status: 400 });
  });

  it.each([
    ["Throttling", 400, { kind: "retry", cause: "throttled" }],
    ["ServiceUnavailable", 503, { kind: "retry", cause: "serverError" }],
    ["TimeoutError", undefined, { kind: "retry", cause: "networkError" }],
    ["AccessDenied", 403, { kind: "failed", reason: "forbidden" }],
    ["InvalidClientTokenId", 403, { kind: "failed", reason: "credentialRejected" }],
    ["SignatureDoesNotMatch", 403, { kind: "failed", reason: "credentialRejected" }],
    ["CredentialsProviderError", undefined, { kind: "failed", reason: "credentialRejected" }],
    ["NoSuchDistribution", 404, { kind: "failed", reason: "notFound" }],
    ["BatchTooLarge", 413, { kind: "failed", reason: "tooManyItems" }],
    ["InconsistentQuantities", 400, { kind: "failed", reason: "rejected" }],
    ["MissingBody", 400, { kind: "failed", reason: "rejected" }],
    ["InvalidArgument", 400, { kind: "failed", reason: "invalidItems" }],
  ])("classifies %s (HTTP %s)", (name, status, expected) => {
    expect(classifyCloudFront(sdkError(name, "message", status))).toMatchObject(expected);
  });

  it("reads GetInvalidation status", () => {
    expect(invalidationStatusRequest("E2QWRUHAPOMQZL", "I1")).toEqual({
      kind: "cloudfront",
      operation: "GetInvalidation",
      input: { DistributionId: "E2QWRUHAPOMQZL", Id: "I1" },
    });
    expect(readInvalidationStatus({ kind: "cloudfront", output: { Invalidation: { Id: "I1", Status: "Completed" } } })).toEqual({
      kind: "status",
      status: "Completed",
      completed: true,
    });
    expect(readInvalidationStatus(sdkError("NoSuchInvalidation", "none", 404))).toMatchObject({
      kind: "error",
      reason: { reason: "notFound" },
    });
  });
});

describe("cloudfront SDK transport", () => {
  const cloudFront = mockClient(CloudFrontClient);
  afterEach(() => cloudFront.reset());

  it("sends CreateInvalidation and GetInvalidation through the SDK", async () => {
    cloudFront.on(CreateInvalidationCommand).resolves({
      Invalidation: { Id: "I9", Status: "InProgress", CreateTime: new Date(), InvalidationBatch: undefined as never },
    });
    cloudFront.on(GetInvalidationCommand).resolves({
      Invalidation: { Id: "I9", Status: "Completed", CreateTime: new Date(), InvalidationBatch: undefined as never },
    });
    const transport = cloudFrontTransport(new CloudFrontClient({ region: "us-east-1", maxAttempts: 1 }));
    const provider = createCloudFrontProvider(config);
    const [request] = provider.plan(provider.validate([{ type: "path", value: "/a" }]).accepted, { jobId: JOB }) as [
      PlannedRequest,
    ];
    const answer = await transport(provider.buildRequest(request));
    expect(provider.classify(request, answer, 0)).toEqual({ kind: "done", cdnId: "I9" });
    expect(cloudFront.commandCalls(CreateInvalidationCommand)[0].args[0].input).toEqual({
      DistributionId: "E2QWRUHAPOMQZL",
      InvalidationBatch: { CallerReference: request.idempotencyKey, Paths: { Quantity: 1, Items: ["/a"] } },
    });
    expect(readInvalidationStatus(await transport(invalidationStatusRequest("E2QWRUHAPOMQZL", "I9")))).toMatchObject({
      completed: true,
    });
  });

  it("turns SDK service errors into answers by name and HTTP status", async () => {
    const error = Object.assign(new Error("Processing your request will cause you to exceed ..."), {
      name: "TooManyInvalidationsInProgress",
      $metadata: { httpStatusCode: 400 },
    });
    cloudFront.on(CreateInvalidationCommand).rejects(error);
    const transport = cloudFrontTransport(new CloudFrontClient({ region: "us-east-1", maxAttempts: 1 }));
    const provider = createCloudFrontProvider(config);
    const [request] = provider.plan(provider.validate([{ type: "path", value: "/a" }]).accepted, { jobId: JOB }) as [
      PlannedRequest,
    ];
    expect(await transport(provider.buildRequest(request))).toEqual({
      kind: "cloudfrontError",
      name: "TooManyInvalidationsInProgress",
      message: "Processing your request will cause you to exceed ...",
      httpStatus: 400,
    });
    expect(sdkErrorAnswer("boom")).toEqual({ kind: "cloudfrontError", name: "Error", message: "boom" });
  });
});
