/**
 * `edgeplane purge --env E`: SigV4-signed calls to the environment's purge API (a local stand-in that
 * verifies every signature independently), POST then polling GET until the job ends.
 */
import { loadEnvironments } from "../../../config";
import { chunkRequests } from "../../../cli/purge/via-api";
import { DUMMY_AWS, type FakePurgeApi, startFakePurgeApi } from "./fake-purge-api";
import { runCli } from "./run-cli";

const dev = loadEnvironments().find((e) => e.name === "dev")!;
const HOST = "www.example.com";

let api: FakePurgeApi;

beforeAll(async () => {
  api = await startFakePurgeApi({ region: dev.aws.region, allowedHostnames: dev.purgePolicy.allowedHostnames, stagePath: "/v1" });
});
afterAll(() => api.close());
beforeEach(() => {
  api.jobs.length = 0;
  api.requests.length = 0;
  api.failObjects.clear();
  api.pollsUntilDone = 2;
  api.refuseToQueue = false;
});

const childEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  ...DUMMY_AWS,
  EDGEPLANE_INSECURE_LOOPBACK: "1",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_CONFIG_FILE: "/nonexistent/edgeplane-test-aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/edgeplane-test-aws-credentials",
  ...extra,
});

const viaApi = (...more: string[]): string[] => [
  "purge",
  "--env",
  "dev",
  "--api-url",
  api.url,
  "--poll-interval",
  "0.05",
  ...more,
];

test("signs with SigV4 for execute-api in the environment's region, submits, polls to done and prints the JSON", async () => {
  const urls = Array.from({ length: 3_000 }, (_, i) => `https://${HOST}/page/${i}`);
  const result = await runCli(viaApi("--json", "-"), { env: childEnv(), stdin: urls.join("\n") });

  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  // Every request carried a valid signature: AWS4-HMAC-SHA256, scope <date>/eu-west-1/execute-api/aws4_request,
  // x-amz-date and the session token signed, the payload hash matching the body.
  expect(api.requests.length).toBeGreaterThanOrEqual(3);
  for (const request of api.requests) {
    expect(request.signature).toEqual({
      ok: true,
      scope: expect.stringMatching(/^\d{8}\/eu-west-1\/execute-api\/aws4_request$/),
      signedHeaders: expect.arrayContaining(["host", "x-amz-date", "x-amz-security-token"]),
    });
  }
  expect(api.requests[0]).toMatchObject({ method: "POST", path: "/v1/purge", status: 202 });
  const [job] = api.jobs;
  expect(api.requests.slice(1).every((r) => r.method === "GET" && r.path === `/v1/purge/${job!.jobId}`)).toBe(true);
  expect(api.requests.length).toBe(1 + api.pollsUntilDone);

  // What the API was asked: every URL once, the environment's default action, the default network.
  expect(job).toMatchObject({ type: "url", action: dev.purgePolicy.defaultAction, network: "staging" });
  expect(job!.objects).toEqual(urls);

  const output = JSON.parse(result.stdout) as { batches: Array<Record<string, unknown>>; rejected: unknown[]; failed: unknown[] };
  expect(Object.keys(output)).toEqual(["batches", "rejected", "failed"]);
  expect(output.rejected).toEqual([]);
  expect(output.failed).toEqual([]);
  expect(output.batches).toEqual(
    job!.batches.map((b, i) => ({
      purgeId: `edcp-${job!.jobId.slice(0, 8)}-${i}`,
      estimatedSeconds: 5,
      objects: b.objects.length,
    })),
  );
  expect(output.batches.reduce((n, b) => n + (b.objects as number), 0)).toBe(3_000);
});

test("a failed batch makes the job fail: exit 1, with the batch's reason, status and supportId", async () => {
  api.failObjects.add("12345");
  const result = await runCli(viaApi("--type", "cpcode", "--json", "12345", "777"), {
    env: childEnv({ EDGEPLANE_PURGE_API_URL: "https://ignored.example.com" }),
  });
  expect(result.code).toBe(1);
  const output = JSON.parse(result.stdout) as { batches: unknown[]; failed: Array<Record<string, unknown>> };
  const jobId = api.jobs[0]!.jobId;
  expect(output.batches).toEqual([]);
  expect(output.failed).toEqual([
    { objects: 2, jobId, batch: 0, reason: "rejected", detail: "unauthorized arl", status: 403, supportId: "edsp-0" },
  ]);
});

test("the human summary names the job and the failure", async () => {
  api.failObjects.add(`https://${HOST}/b`);
  const result = await runCli(viaApi(`https://${HOST}/a`, `https://${HOST}/b`), { env: childEnv() });
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`job(s): ${api.jobs[0]!.jobId}`);
  expect(result.stdout).toMatch(
    /FAILED job \S+, batch 0, 2 object\(s\): rejected: unauthorized arl \(HTTP 403, supportId edsp-0\)/,
  );
  expect(result.stdout.trim().split("\n").at(-1)).toBe("not everything was purged: 0 rejected, 1 failed");
});

test("the API URL can come from EDGEPLANE_PURGE_API_URL", async () => {
  const result = await runCli(["purge", "--env", "dev", "--poll-interval", "0.05", "--type", "tag", "spring"], {
    env: childEnv({ EDGEPLANE_PURGE_API_URL: api.url }),
  });
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/purge invalidate tag on staging: 1 object\(s\) accepted/);
});

test("a job still running at --timeout exits 1 and says how to follow it; --job follows it to the end", async () => {
  api.pollsUntilDone = 1_000_000;
  const first = await runCli(
    [
      "purge",
      "--env",
      "dev",
      "--api-url",
      api.url,
      "--timeout",
      "1",
      "--poll-interval",
      "0.2",
      "--json",
      "--type",
      "tag",
      "a",
      "b",
    ],
    {
      env: childEnv(),
    },
  );
  expect(first.code).toBe(1);
  const jobId = api.jobs[0]!.jobId;
  const output = JSON.parse(first.stdout) as { failed: Array<Record<string, unknown>> };
  expect(output.failed).toEqual([
    expect.objectContaining({
      jobId,
      reason: "timedOut",
      detail: expect.stringContaining(`edgeplane purge --env dev --job ${jobId}`),
    }),
  ]);

  api.pollsUntilDone = 0;
  const follow = await runCli(["purge", "--env", "dev", "--api-url", api.url, "--job", jobId, "--json"], { env: childEnv() });
  expect(follow.code).toBe(0);
  expect(JSON.parse(follow.stdout)).toEqual({
    batches: [{ purgeId: expect.stringMatching(/^edcp-/), estimatedSeconds: 5, objects: 2 }],
    rejected: [],
    failed: [],
  });
  expect(api.jobs).toHaveLength(1); // following submits nothing
});

test("a signature the API refuses (wrong secret) exits 1 with a hint, never printing the secret", async () => {
  const wrongSecret = "not-the-right-secret-key-0000000000000000";
  const result = await runCli(viaApi("--type", "tag", "x"), { env: childEnv({ AWS_SECRET_ACCESS_KEY: wrongSecret }) });
  expect(result.code).toBe(1);
  expect(api.requests).toEqual([
    expect.objectContaining({
      method: "POST",
      status: 403,
      signature: expect.objectContaining({ ok: false, problem: "signature does not match" }),
    }),
  ]);
  expect(result.stdout).toMatch(/POST \/purge answered 403: .*execute-api:Invoke/);
  expect(result.stdout + result.stderr).not.toContain(wrongSecret);
  expect(result.stdout + result.stderr).not.toContain(DUMMY_AWS.AWS_SESSION_TOKEN);
  expect(api.jobs).toEqual([]);
});

test("objects outside the environment's allowed hostnames are rejected locally; nothing is sent", async () => {
  const result = await runCli(viaApi(`https://${HOST}/ok`, "https://other.example.org/x"), { env: childEnv() });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(
    /"https:\/\/other\.example\.org\/x" \(argument 2\): host "other\.example\.org" is not allowed in this environment; allowed: www\.example\.com/,
  );
  expect(api.requests).toEqual([]);
});

test("without an API URL, or for a network the environment does not allow, it explains and sends nothing", async () => {
  const noUrl = await runCli(["purge", "--env", "dev", "--type", "tag", "x"], { env: childEnv() });
  expect(noUrl.code).toBe(1);
  expect(noUrl.stderr).toMatch(/no purge API URL for environment "dev": pass --api-url URL or set EDGEPLANE_PURGE_API_URL/);
  expect(noUrl.stderr).toContain("purge_api_url");

  const production = await runCli(viaApi("--network", "production", "--type", "tag", "x"), { env: childEnv() });
  expect(production.code).toBe(1);
  expect(production.stderr).toMatch(
    /environment "dev" does not allow purges on production; its purgePolicy.allowedNetworks: staging/,
  );

  const plainHttp = await runCli(["purge", "--env", "dev", "--api-url", "http://api.example.com", "--type", "tag", "x"], {
    env: childEnv(),
  });
  expect(plainHttp.code).toBe(1);
  expect(plainHttp.stderr).toMatch(/--api-url must be an https:\/\/ URL/);
  expect(api.requests).toEqual([]);
});

test("lists larger than the policy's per-request limits are split into several jobs", () => {
  const objects = Array.from({ length: 25 }, (_, i) => `https://${HOST}/${i}`);
  const byCount = chunkRequests(
    { type: "url", action: "invalidate", network: "staging", objects },
    { maxObjectsPerRequest: 10, maxRequestBytes: 1_000_000 },
  );
  expect(byCount.chunks.map((c) => c.length)).toEqual([10, 10, 5]);
  expect(byCount.chunks.flat()).toEqual(objects);

  const request = { type: "url" as const, action: "invalidate" as const, network: "staging" as const, objects };
  const maxRequestBytes = 300;
  const byBytes = chunkRequests(request, { maxObjectsPerRequest: 1_000, maxRequestBytes });
  expect(byBytes.chunks.flat()).toEqual(objects);
  for (const chunk of byBytes.chunks) {
    expect(Buffer.byteLength(JSON.stringify({ ...request, objects: chunk }))).toBeLessThanOrEqual(maxRequestBytes);
  }
  expect(byBytes.chunks.length).toBeGreaterThan(1);
});

test("with --env the environment's purgePolicy applies: EDGEPLANE_ALLOW_HOSTS neither widens nor narrows it", async () => {
  const other = "https://not-in-policy.example.net/x";
  const wider = await runCli(viaApi("--json", `https://${HOST}/a`, other), {
    env: childEnv({ EDGEPLANE_ALLOW_HOSTS: "not-in-policy.example.net" }),
  });
  expect(wider.code).toBe(1);
  expect(wider.stderr).toMatch(
    /"https:\/\/not-in-policy\.example\.net\/x" \(argument 2\): host "not-in-policy\.example\.net" is not allowed/,
  );
  expect(api.jobs).toEqual([]);

  const narrower = await runCli(viaApi("--json", `https://${HOST}/a`), {
    env: childEnv({ EDGEPLANE_ALLOW_HOSTS: "elsewhere.example.org" }),
  });
  expect(narrower.code).toBe(0);
  expect(api.jobs.map((j) => j.objects)).toEqual([[`https://${HOST}/a`]]);
});

test("a 503 with no job recorded is a failure (notQueued) with the service's words, and nothing is followed", async () => {
  api.refuseToQueue = true;
  const result = await runCli(viaApi("--json", `https://${HOST}/a`, `https://${HOST}/b`), { env: childEnv() });
  expect(result.code).toBe(1);
  const output = JSON.parse(result.stdout) as { batches: unknown[]; failed: Array<Record<string, unknown>> };
  expect(output.batches).toEqual([]);
  expect(output.failed).toEqual([
    {
      objects: 2,
      reason: "notQueued",
      status: 503,
      detail: expect.stringMatching(/^POST \/purge answered 503: could not queue .* send the request again$/),
    },
  ]);
  expect(api.requests.map((r) => r.method)).toEqual(["POST"]);
});
