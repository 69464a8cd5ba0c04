/**
 * The CloudFront/STS emulator driven by the real AWS SDK clients over HTTP: the SDK must parse its XML
 * answers and its REST-XML / query errors (error names, status codes).
 */
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  type CreateInvalidationCommandOutput,
} from "@aws-sdk/client-cloudfront";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  cloudFrontInvalidatedPaths,
  startCloudFrontEmulator,
  type CloudFrontEmulator,
  type CloudFrontEmulatorOptions,
} from "../../sandbox/cloudfront";

const KEY = { accessKeyId: "AKIASANDBOXTEST00001", secretAccessKey: "sandbox/secret+key0123456789abcdefghijklm" };
const ACCOUNT = "123456789012";
const DIST = "E1SANDBOXDIST";
const TAG_DIST = "E2SANDBOXTAGS";

/** Emulator clock = real clock + offset (the SDK signs with the real clock; 5 minutes of skew are allowed). */
let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

async function start(extra: Partial<CloudFrontEmulatorOptions> = {}): Promise<CloudFrontEmulator> {
  offsetMs = 0;
  return startCloudFrontEmulator({
    distributions: [{ id: DIST }, { id: TAG_DIST, cacheTags: true }],
    credentials: [{ ...KEY, accountId: ACCOUNT }],
    completionMs: 10_000,
    now: clock,
    ...extra,
  });
}

function client(emulator: CloudFrontEmulator, credentials = KEY, maxAttempts = 1): CloudFrontClient {
  return new CloudFrontClient({ endpoint: emulator.url, region: "us-east-1", credentials, maxAttempts });
}

function create(
  cf: CloudFrontClient,
  paths: string[],
  callerReference: string,
  distributionId = DIST,
  quantity = paths.length,
): Promise<CreateInvalidationCommandOutput> {
  return cf.send(
    new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: quantity, Items: paths } },
    }),
  );
}

/** The SDK error a call fails with (the test fails if it succeeds). */
async function failure(
  call: Promise<unknown>,
): Promise<{ name: string; message: string; $metadata: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (error) {
    return error as { name: string; message: string; $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected the call to fail");
}

const paths = (n: number, prefix = "/p/"): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}.html`);

describe("CloudFront emulator through @aws-sdk/client-cloudfront", () => {
  let emulator: CloudFrontEmulator;
  let cf: CloudFrontClient;
  beforeEach(async () => {
    emulator = await start();
    cf = client(emulator);
  });
  afterEach(async () => {
    cf.destroy();
    await emulator.close();
  });

  it("creates an invalidation (201 + Location), which GetInvalidation and ListInvalidations report InProgress, then Completed", async () => {
    const created = await create(cf, ["/index.html", "/a%20b.css", "/img/*", "/q?x=1&y=<2>"], "ref-1");
    const id = created.Invalidation?.Id as string;
    expect(id).toMatch(/^I[A-Z0-9]{13}$/);
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created.Location).toBe(`${emulator.url}/2020-05-31/distribution/${DIST}/invalidation/${id}`);
    expect(created.Invalidation).toMatchObject({
      Status: "InProgress",
      InvalidationBatch: {
        CallerReference: "ref-1",
        Paths: { Quantity: 4, Items: ["/index.html", "/a%20b.css", "/img/*", "/q?x=1&y=<2>"] },
      },
    });
    expect((await cf.send(new GetInvalidationCommand({ DistributionId: DIST, Id: id }))).Invalidation?.Status).toBe("InProgress");
    offsetMs = 10_000;
    expect((await cf.send(new GetInvalidationCommand({ DistributionId: DIST, Id: id }))).Invalidation?.Status).toBe("Completed");
    const list = await cf.send(new ListInvalidationsCommand({ DistributionId: DIST }));
    expect(list.InvalidationList).toMatchObject({ Quantity: 1, IsTruncated: false, Items: [{ Id: id, Status: "Completed" }] });
    expect(cloudFrontInvalidatedPaths(emulator.state, DIST)).toEqual(["/index.html", "/a%20b.css", "/img/*", "/q?x=1&y=<2>"]);
  });

  it("pages ListInvalidations newest first with Marker / NextMarker", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(cf, [`/${i}`], `ref-${i}`)).Invalidation?.Id as string);
    const first = await cf.send(new ListInvalidationsCommand({ DistributionId: DIST, MaxItems: 2 }));
    expect(first.InvalidationList).toMatchObject({ IsTruncated: true, Quantity: 2, NextMarker: ids[1] });
    expect(first.InvalidationList?.Items?.map((i) => i.Id)).toEqual([ids[2], ids[1]]);
    const second = await cf.send(
      new ListInvalidationsCommand({ DistributionId: DIST, MaxItems: 2, Marker: first.InvalidationList?.NextMarker as string }),
    );
    expect(second.InvalidationList).toMatchObject({ IsTruncated: false, Quantity: 1 });
    expect(second.InvalidationList?.Items?.map((i) => i.Id)).toEqual([ids[0]]);
  });

  it("answers a reused CallerReference with the same paths with the first invalidation, and refuses different paths", async () => {
    const first = await create(cf, ["/a", "/b"], "same-ref");
    const again = await create(cf, ["/b", "/a"], "same-ref");
    expect(again.$metadata.httpStatusCode).toBe(201);
    expect(again.Invalidation?.Id).toBe(first.Invalidation?.Id);
    const conflict = await failure(create(cf, ["/c"], "same-ref"));
    expect(conflict).toMatchObject({ name: "InvalidationBatchAlreadyExists", $metadata: { httpStatusCode: 409 } });
    expect(emulator.state.invalidations).toHaveLength(1);
    // The same reference on another distribution is a new batch.
    await create(cf, ["#t"], "same-ref", TAG_DIST);
    expect(emulator.state.invalidations).toHaveLength(2);
  });

  it("can answer a conflicting CallerReference the way users observed: 400 InvalidArgument", async () => {
    const observed = await start({ callerReferenceConflict: "InvalidArgument" });
    const other = client(observed);
    try {
      await create(other, ["/a"], "r");
      const conflict = await failure(create(other, ["/b"], "r"));
      expect(conflict).toMatchObject({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } });
      expect(conflict.message).toContain("caller reference that was used for a previous invalidation batch");
    } finally {
      other.destroy();
      await observed.close();
    }
  });

  it("holds 3,000 paths and 15 wildcards in progress per distribution, until invalidations complete", async () => {
    await create(cf, paths(2999), "big");
    expect(await failure(create(cf, ["/x", "/y"], "over"))).toMatchObject({
      name: "TooManyInvalidationsInProgress",
      $metadata: { httpStatusCode: 400 },
    });
    await create(cf, ["/x"], "fits");
    // Wildcards count separately from the 3,000.
    await create(
      cf,
      paths(15, "/w").map((p) => `${p}*`),
      "wild",
    );
    expect(await failure(create(cf, ["/one-more/*"], "wild-2"))).toMatchObject({ name: "TooManyInvalidationsInProgress" });
    expect(emulator.state.peakInProgress[DIST]).toEqual({ paths: 3000, wildcards: 15 });
    // The other distribution has its own counters.
    await create(cf, ["/elsewhere/*"], "other", TAG_DIST);
    offsetMs = 10_000;
    await create(cf, ["/one-more/*", ...paths(10)], "after");
    expect(emulator.state.invalidations.map((i) => i.callerReference)).toEqual(["big", "fits", "wild", "other", "after"]);
  });

  it("refuses one batch over 3,000 paths with 413 BatchTooLarge, and 16 wildcards at once", async () => {
    expect(await failure(create(cf, paths(3001), "huge"))).toMatchObject({
      name: "BatchTooLarge",
      $metadata: { httpStatusCode: 413 },
    });
    expect(
      await failure(
        create(
          cf,
          paths(16).map((p) => `${p}*`),
          "wild",
        ),
      ),
    ).toMatchObject({ name: "TooManyInvalidationsInProgress" });
    expect(emulator.state.invalidations).toHaveLength(0);
  });

  it.each([
    ["no leading slash", ["index.html"], 'must start with "/"'],
    ["a * before the end", ["/a*b"], '"*" only as its last character'],
    ["4,001 characters", [`/${"x".repeat(4000)}`], "the maximum is 4000"],
    ["a space", ["/a b"], "URL-encode"],
    ["a tag on a distribution without cache tags", ["#tag"], "no CacheTagConfig"],
  ])("refuses a path with %s with InvalidArgument naming the path", async (_label, items, message) => {
    const error = await failure(create(cf, items, "r"));
    expect(error).toMatchObject({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } });
    expect(error.message).toContain(message);
    expect(emulator.state.invalidations).toHaveLength(0);
  });

  it("accepts #tag items on a distribution with cache tags, within the tag rules", async () => {
    await create(cf, ["#product:electronics", "/also/a/path"], "tags", TAG_DIST);
    expect(cloudFrontInvalidatedPaths(emulator.state, TAG_DIST)).toEqual(["#product:electronics", "/also/a/path"]);
    expect((await failure(create(cf, [`#${"t".repeat(257)}`], "long", TAG_DIST))).message).toContain("1 to 256 characters");
    expect((await failure(create(cf, ["#a,b"], "comma", TAG_DIST))).message).toContain("without commas");
  });

  it("refuses Quantity that differs from the items with InconsistentQuantities", async () => {
    expect(await failure(create(cf, ["/a"], "r", DIST, 2))).toMatchObject({
      name: "InconsistentQuantities",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("answers NoSuchDistribution and NoSuchInvalidation with 404", async () => {
    expect(await failure(create(cf, ["/a"], "r", "EUNKNOWN"))).toMatchObject({
      name: "NoSuchDistribution",
      $metadata: { httpStatusCode: 404 },
    });
    expect(await failure(cf.send(new GetInvalidationCommand({ DistributionId: DIST, Id: "INOPE" })))).toMatchObject({
      name: "NoSuchInvalidation",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("optionally throttles CreateInvalidation with 400 Throttling", async () => {
    const throttled = await start({ createRate: { capacity: 2, refillPerSecond: 0.5 } });
    const other = client(throttled);
    try {
      await create(other, ["/1"], "1");
      await create(other, ["/2"], "2");
      expect(await failure(create(other, ["/3"], "3"))).toMatchObject({
        name: "Throttling",
        message: "Rate exceeded",
        $metadata: { httpStatusCode: 400 },
      });
      offsetMs = 2_000;
      await create(other, ["/3"], "3");
      expect(throttled.state.invalidations).toHaveLength(3);
    } finally {
      other.destroy();
      await throttled.close();
    }
  });
});

describe("CloudFront emulator: credentials and permissions", () => {
  let emulator: CloudFrontEmulator;
  afterEach(async () => {
    await emulator.close();
  });

  it("refuses an unknown access key, a wrong secret and a clock over 5 minutes off", async () => {
    emulator = await start();
    const unknown = client(emulator, { ...KEY, accessKeyId: "AKIAUNKNOWN000000000" });
    const wrongSecret = client(emulator, { ...KEY, secretAccessKey: "not-the-secret" });
    const good = client(emulator);
    try {
      expect(await failure(create(unknown, ["/a"], "r"))).toMatchObject({
        name: "InvalidClientTokenId",
        $metadata: { httpStatusCode: 403 },
      });
      expect(await failure(create(wrongSecret, ["/a"], "r"))).toMatchObject({
        name: "SignatureDoesNotMatch",
        $metadata: { httpStatusCode: 403 },
      });
      offsetMs = 6 * 60_000;
      const expired = await failure(create(good, ["/a"], "r"));
      expect(expired).toMatchObject({ name: "SignatureDoesNotMatch" });
      expect(expired.message).toMatch(/^Signature expired: /);
      expect(emulator.state.invalidations).toHaveLength(0);
      expect(emulator.state.requests.map((r) => r.authFailure)).toEqual([
        "unknown_access_key",
        "bad_signature",
        "signature_expired",
      ]);
    } finally {
      for (const c of [unknown, wrongSecret, good]) c.destroy();
    }
  });

  it("answers an unsigned request with 403 MissingAuthenticationToken in the REST-XML error shape", async () => {
    emulator = await start();
    const res = await fetch(`${emulator.url}/2020-05-31/distribution/${DIST}/invalidation`, {
      method: "POST",
      body: "<InvalidationBatch/>",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("text/xml");
    const text = await res.text();
    expect(text).toContain('<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type>');
    expect(text).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(text).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  });

  it("denies actions and distributions outside the identity's policy with AccessDenied naming the ARN", async () => {
    emulator = await start({
      credentials: [{ ...KEY, accountId: ACCOUNT, actions: ["cloudfront:CreateInvalidation"], distributionIds: [DIST] }],
    });
    const cf = client(emulator);
    try {
      const created = await create(cf, ["/a"], "r");
      const other = await failure(create(cf, ["/a"], "r", TAG_DIST));
      expect(other).toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
      expect(other.message).toBe(
        `User: arn:aws:iam::${ACCOUNT}:user/edgeplane-sandbox is not authorized to perform: cloudfront:CreateInvalidation on resource: ` +
          `arn:aws:cloudfront::${ACCOUNT}:distribution/${TAG_DIST} because no identity-based policy allows the cloudfront:CreateInvalidation action`,
      );
      const get = await failure(
        cf.send(new GetInvalidationCommand({ DistributionId: DIST, Id: created.Invalidation?.Id as string })),
      );
      expect(get).toMatchObject({ name: "AccessDenied" });
      expect(get.message).toContain("cloudfront:GetInvalidation");
    } finally {
      cf.destroy();
    }
  });

  it("answers STS GetCallerIdentity for a known key and InvalidClientTokenId for an unknown one", async () => {
    emulator = await start({ credentials: [{ ...KEY, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/purger` }] });
    const sts = new STSClient({ endpoint: emulator.url, region: "us-east-1", credentials: KEY, maxAttempts: 1 });
    const stranger = new STSClient({
      endpoint: emulator.url,
      region: "us-east-1",
      credentials: { ...KEY, accessKeyId: "AKIANOBODY0000000000" },
      maxAttempts: 1,
    });
    try {
      expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({
        Account: ACCOUNT,
        Arn: `arn:aws:iam::${ACCOUNT}:user/purger`,
        UserId: expect.stringMatching(/^AIDA/),
      });
      expect(await failure(stranger.send(new GetCallerIdentityCommand({})))).toMatchObject({
        name: "InvalidClientTokenId",
        $metadata: { httpStatusCode: 403 },
      });
      expect(emulator.state.identityCalls).toBe(1);
    } finally {
      sts.destroy();
      stranger.destroy();
    }
  });

  it("is reached through AWS_ENDPOINT_URL_CLOUDFRONT and AWS_ENDPOINT_URL_STS", async () => {
    emulator = await start();
    const saved = { cf: process.env.AWS_ENDPOINT_URL_CLOUDFRONT, sts: process.env.AWS_ENDPOINT_URL_STS };
    process.env.AWS_ENDPOINT_URL_CLOUDFRONT = emulator.url;
    process.env.AWS_ENDPOINT_URL_STS = emulator.url;
    const cf = new CloudFrontClient({ region: "us-east-1", credentials: KEY, maxAttempts: 1 });
    const sts = new STSClient({ region: "us-east-1", credentials: KEY, maxAttempts: 1 });
    try {
      await create(cf, ["/via-env"], "env");
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
      expect(cloudFrontInvalidatedPaths(emulator.state)).toEqual(["/via-env"]);
    } finally {
      cf.destroy();
      sts.destroy();
      for (const [name, value] of [
        ["AWS_ENDPOINT_URL_CLOUDFRONT", saved.cf],
        ["AWS_ENDPOINT_URL_STS", saved.sts],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe("CloudFront emulator: fault injection", () => {
  let emulator: CloudFrontEmulator;
  let cf: CloudFrontClient;
  beforeEach(async () => {
    emulator = await start();
    cf = client(emulator);
  });
  afterEach(async () => {
    cf.destroy();
    await emulator.close();
  });

  it("injects 503 ServiceUnavailable and 400 Throttling that the SDK names, without creating anything", async () => {
    emulator.setFaults([{ status: 503 }, { status: 400, errorCode: "Throttling" }]);
    expect(await failure(create(cf, ["/a"], "r"))).toMatchObject({
      name: "ServiceUnavailable",
      $metadata: { httpStatusCode: 503 },
    });
    expect(await failure(create(cf, ["/a"], "r"))).toMatchObject({ name: "Throttling", message: "Rate exceeded" });
    expect(emulator.state.invalidations).toHaveLength(0);
    await create(cf, ["/a"], "r");
    expect(emulator.state.requests.map((r) => [r.status, r.fault])).toEqual([
      [503, "status=503"],
      [400, "status=400,errorCode=Throttling"],
      [201, undefined],
    ]);
  });

  it("lets the SDK's own retry get past a 503 with one invalidation created", async () => {
    const retrying = client(emulator, KEY, 3);
    try {
      emulator.setFaults([{ status: 503 }]);
      const created = await create(retrying, ["/a"], "r");
      expect(created.$metadata.attempts).toBe(2);
      expect(emulator.state.invalidations).toHaveLength(1);
    } finally {
      retrying.destroy();
    }
  });

  it("garbles an answer (the invalidation is still made) and drops a connection (nothing is made)", async () => {
    emulator.setFaults([{ malformedJson: true }, { dropConnection: true }]);
    await expect(create(cf, ["/garbled"], "g")).rejects.toThrow();
    expect(emulator.state.invalidations.map((i) => i.paths)).toEqual([["/garbled"]]);
    await expect(create(cf, ["/dropped"], "d")).rejects.toThrow();
    expect(emulator.state.invalidations).toHaveLength(1);
    expect(emulator.state.requests.map((r) => r.status)).toEqual([201, "dropped"]);
    // A retry of the garbled one with its CallerReference returns the first invalidation.
    const again = await create(cf, ["/garbled"], "g");
    expect(again.Invalidation?.Id).toBe(emulator.state.invalidations[0]?.id);
  });
});
