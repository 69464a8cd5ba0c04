/**
 * The fetch CloudFront transport against the CloudFront emulator (which verifies SigV4 signatures), side by side
 * with the SDK transport (core/cdn/cloudfront-sdk.ts): for each scripted situation the provider's classify() (and
 * readInvalidationStatus for GetInvalidation) must read both transports' answers the same way.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { createServer } from "node:net";
import {
  classifyCloudFront,
  createCloudFrontProvider,
  invalidationStatusRequest,
  readInvalidationStatus,
} from "../../../core/cdn/cloudfront";
import { cloudFrontTransport } from "../../../core/cdn/cloudfront-sdk";
import {
  CdnConfigError,
  type CdnClassification,
  type CdnProvider,
  type CdnTransport,
  type PlannedRequest,
} from "../../../core/cdn/types";
import { cloudFrontFetchTransport, invalidationBatchXml, readErrorXml } from "../../../functions/aws/cloudfront-fetch-transport";
import {
  cloudFrontInvalidatedPaths,
  startCloudFrontEmulator,
  type CloudFrontEmulator,
  type CloudFrontEmulatorOptions,
} from "../../../sandbox/cloudfront";

const KEY = { accessKeyId: "AKIASANDBOXTEST00001", secretAccessKey: "sandbox/secret+key0123456789abcdefghijklm" };
const DIST = "E1SANDBOXDIST";
const HOST = "www.example.com";
type Key = typeof KEY;
type Make = (url: string, key: Key) => CdnTransport;

const viaSdk: Make = (url, key) =>
  cloudFrontTransport(new CloudFrontClient({ endpoint: url, region: "us-east-1", credentials: key, maxAttempts: 1 }));
const viaFetch: Make = (url, key) =>
  cloudFrontFetchTransport({
    credentials: async () => key,
    env: { AWS_ENDPOINT_URL_CLOUDFRONT: url, EDGEPLANE_INSECURE_LOOPBACK: "1" },
  });

const provider = createCloudFrontProvider({ distributionId: DIST, hostnames: [HOST], busyWaitMs: 1234 });
const otherProvider = createCloudFrontProvider({ distributionId: "E9NOSUCHDIST", hostnames: [HOST] });

function planned(paths: string[], jobId = "job-1", p = provider): PlannedRequest {
  const [request] = p.plan(p.validate(paths.map((value) => ({ type: "path" as const, value }))).accepted, { jobId });
  return request as PlannedRequest;
}

/** Invalidation ids differ between two emulators: compare them as placeholders. */
const anonymous = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replace(/\bI[A-Z0-9]{13}\b/g, "<id>"));

type Send = (request: PlannedRequest, p?: CdnProvider) => Promise<CdnClassification>;
type Step = (send: Send, transport: CdnTransport) => Promise<unknown[]>;

interface Situation {
  name: string;
  emulator?: Partial<CloudFrontEmulatorOptions>;
  key?: Key;
  steps: Step;
  expected: unknown[];
}

const emulatorBase = (): CloudFrontEmulatorOptions => ({
  distributions: [{ id: DIST }],
  credentials: [{ ...KEY, accountId: "123456789012" }],
  completionMs: 60_000,
});

const done = { kind: "done", cdnId: "<id>" };
const situations: Situation[] = [
  {
    name: "create, then GetInvalidation reports it InProgress",
    steps: async (send, transport) => {
      const created = await send(planned(["/a.html", "/q?x=1&y=<2>", "/img/*"]));
      const id = created.kind === "done" ? String(created.cdnId) : "";
      return [created, readInvalidationStatus(await transport(invalidationStatusRequest(DIST, id)))];
    },
    expected: [done, { kind: "status", status: "InProgress", completed: false }],
  },
  {
    name: "a reused CallerReference: same paths give the first invalidation, different paths InvalidationBatchAlreadyExists",
    steps: async (send) => {
      const first = planned(["/a", "/b"]);
      const other = { ...planned(["/c"]), idempotencyKey: first.idempotencyKey };
      return [await send(first), await send(first), await send(other)];
    },
    expected: [done, done, { kind: "done", cdnId: null }],
  },
  {
    name: "TooManyInvalidationsInProgress is busy for busyWaitMs, refunded",
    emulator: { maxWildcardsInProgress: 1 },
    steps: async (send) => [await send(planned(["/a/*"])), await send(planned(["/b/*"], "job-2"))],
    expected: [done, { kind: "retry", cause: "busy", afterMs: 1234, status: 400, refund: true }],
  },
  {
    name: "AccessDenied is forbidden",
    emulator: { credentials: [{ ...KEY, accountId: "123456789012", actions: ["cloudfront:GetInvalidation"] }] },
    steps: async (send) => [await send(planned(["/a"]))],
    expected: [{ kind: "failed", reason: "forbidden", status: 403 }],
  },
  {
    name: "a wrong secret key (SignatureDoesNotMatch) is credentialRejected",
    key: { ...KEY, secretAccessKey: "not/the+right+secret0123456789abcdefghij" },
    steps: async (send) => [await send(planned(["/a"]))],
    expected: [{ kind: "failed", reason: "credentialRejected", status: 403 }],
  },
  {
    name: "503 is a server error to retry, Throttling is throttled",
    emulator: { faults: [{ status: 503 }, { status: 400, errorCode: "Throttling" }] },
    steps: async (send) => [await send(planned(["/a"])), await send(planned(["/a"])), await send(planned(["/a"]))],
    expected: [
      { kind: "retry", cause: "serverError", status: 503 },
      { kind: "retry", cause: "throttled", status: 400, refund: true },
      done,
    ],
  },
  {
    name: "NoSuchDistribution is notFound, a tag item InvalidArgument, an over-large batch BatchTooLarge",
    emulator: { maxPathsInProgress: 2 },
    steps: async (send) => [
      await send(planned(["/a"], "job-1", otherProvider), otherProvider),
      await send({ ...planned(["/a"], "job-2"), items: ["#tag"] }),
      await send(planned(["/a", "/b", "/c"])),
    ],
    expected: [
      { kind: "failed", reason: "notFound", status: 404 },
      { kind: "failed", reason: "invalidItems", status: 400 },
      { kind: "failed", reason: "tooManyItems", status: 413 },
    ],
  },
  {
    name: "GetInvalidation of an unknown id is notFound",
    steps: async (_send, transport) => [
      readInvalidationStatus(await transport(invalidationStatusRequest(DIST, "I0000000000000"))),
    ],
    expected: [{ kind: "error", reason: { kind: "failed", reason: "notFound" } }],
  },
];

async function run(situation: Situation, make: Make): Promise<{ outcomes: unknown[]; paths: string[] }> {
  const emulator: CloudFrontEmulator = await startCloudFrontEmulator({ ...emulatorBase(), ...situation.emulator });
  try {
    const transport = make(emulator.url, situation.key ?? KEY);
    const send: Send = async (request, p = provider) => p.classify(request, await transport(p.buildRequest(request)), Date.now());
    const outcomes = await situation.steps(send, transport);
    return { outcomes: anonymous(outcomes) as unknown[], paths: cloudFrontInvalidatedPaths(emulator.state) };
  } finally {
    await emulator.close();
  }
}

describe("cloudFrontFetchTransport against the CloudFront emulator, classified as the SDK transport's answers", () => {
  it.each(situations.map((s) => [s.name, s] as const))("%s", async (_name, situation) => {
    const fetched = await run(situation, viaFetch);
    const sdk = await run(situation, viaSdk);
    expect(fetched.outcomes).toMatchObject(situation.expected);
    expect(fetched).toEqual(sdk);
  });

  it("sends the paths as given, XML-escaped, and the emulator stores them unchanged", async () => {
    const paths = ["/a.html", "/q?x=1&y=<2>", "/it's\"/*"];
    const { paths: stored } = await run(
      { name: "", steps: async (send) => [await send(planned(paths))], expected: [] },
      viaFetch,
    );
    // The provider plans wildcard items first.
    expect(stored).toEqual([paths[2], paths[0], paths[1]]);
    expect(invalidationBatchXml("ref&<1>", ["/a&b"])).toContain(
      "<Paths><Quantity>1</Quantity><Items><Path>/a&amp;b</Path></Items></Paths><CallerReference>ref&amp;&lt;1&gt;</CallerReference>",
    );
  });

  it("a network error is a networkError retry, as with the SDK", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const request = planned(["/a"]);
    for (const make of [viaFetch, viaSdk]) {
      const answer = await make(`http://127.0.0.1:${port}`, KEY)(provider.buildRequest(request));
      expect(answer).not.toHaveProperty("httpStatus");
      expect(classifyCloudFront(answer)).toMatchObject({ kind: "retry", cause: "networkError" });
    }
  });

  it("credentials that cannot be loaded are credentialRejected; nothing is sent", async () => {
    const emulator = await startCloudFrontEmulator(emulatorBase());
    try {
      const missing = Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      });
      const transport = cloudFrontFetchTransport({
        credentials: async () => {
          throw missing;
        },
        env: { AWS_ENDPOINT_URL_CLOUDFRONT: emulator.url, EDGEPLANE_INSECURE_LOOPBACK: "1" },
      });
      const answer = await transport(provider.buildRequest(planned(["/a"])));
      expect(classifyCloudFront(answer)).toMatchObject({ kind: "failed", reason: "credentialRejected" });
      expect(emulator.state.requests).toEqual([]);
    } finally {
      await emulator.close();
    }
  });

  it("refuses an endpoint override that is not the loopback sandbox, naming the variable", () => {
    const make = (env: Record<string, string>) => () => cloudFrontFetchTransport({ credentials: async () => KEY, env });
    expect(make({ AWS_ENDPOINT_URL_CLOUDFRONT: "https://evil.example.com", EDGEPLANE_INSECURE_LOOPBACK: "1" })).toThrow(
      CdnConfigError,
    );
    expect(make({ AWS_ENDPOINT_URL: "http://127.0.0.1:9999" })).toThrow(/AWS_ENDPOINT_URL is not allowed/);
    expect(make({})).not.toThrow();
  });

  it("reads CloudFront's ErrorResponse strictly: its Code and Message, nothing from other documents", () => {
    expect(
      readErrorXml(
        '<?xml version="1.0"?><ErrorResponse xmlns="x"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
          "<Message>no &amp; no</Message></Error><RequestId>r</RequestId></ErrorResponse>",
      ),
    ).toEqual({ code: "AccessDenied", message: "no & no" });
    expect(readErrorXml("<html><body>502 Bad Gateway</body></html>")).toBeUndefined();
    expect(readErrorXml("Service Unavailable")).toBeUndefined();
  });
});
