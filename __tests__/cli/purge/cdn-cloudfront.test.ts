/**
 * `edgeplane purge --cdn cloudfront` → the CloudFront provider → the AWS SDK (SigV4, REST-XML) → the CloudFront
 * emulator over loopback HTTP: 2,000 URLs and 600 cache tags each invalidated once in the fewest invalidations the
 * 3,000-path and 15-wildcard limits allow, bad objects, unsupported types, a credential without the permission.
 */
import { purgeCommand } from "../../../cli/purge";
import { type CloudFrontEmulator, cloudFrontInvalidatedPaths, startCloudFrontEmulator } from "../../../sandbox/cloudfront";
import { type CdnJson, HOST, TAGS, URLS, expectEachOnce, scaledIo } from "./cdn-helpers";
import { runCli, tempDir } from "./run-cli";

const DISTRIBUTION = "E1CLITESTTAGS";
const PLAIN = "E1CLITESTPLAIN";
const KEY = { accessKeyId: "AKIASANDBOXCLI00001", secretAccessKey: "sandbox/cli+secret0123456789abcdefghijklmn" };
const NO_PERMISSION = { accessKeyId: "AKIASANDBOXCLI00002", secretAccessKey: "sandbox/cli+other0123456789abcdefghijklmn" };
const SCALE = 100;
let emulator: CloudFrontEmulator;
let env: Record<string, string>;
const files = tempDir();

beforeAll(async () => {
  emulator = await startCloudFrontEmulator({
    distributions: [{ id: DISTRIBUTION, cacheTags: true }, { id: PLAIN }],
    credentials: [
      { ...KEY, accountId: "123456789012", distributionIds: [DISTRIBUTION, PLAIN] },
      { ...NO_PERMISSION, accountId: "123456789012", actions: ["cloudfront:ListInvalidations"] },
    ],
    timeScale: SCALE,
  });
  env = {
    AWS_ENDPOINT_URL_CLOUDFRONT: emulator.url,
    AWS_ACCESS_KEY_ID: KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
    EDGEPLANE_INSECURE_LOOPBACK: "1",
  };
});

afterAll(async () => {
  await emulator.close();
  files.remove();
});

beforeEach(() => {
  emulator.state.invalidations.length = 0;
  emulator.state.requests.length = 0;
  emulator.state.peakInProgress = {};
});

const createRequests = () => emulator.state.requests.filter((r) => r.method === "POST" && r.path.endsWith("/invalidation"));
const purge = (argv: string[], options: { env?: Record<string, string | undefined>; stdin?: string } = {}) => {
  const capture = scaledIo(options.env ?? env, {
    scale: SCALE,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  return { run: purgeCommand(["--cdn", "cloudfront", "--distribution-id", DISTRIBUTION, ...argv], capture.io), ...capture };
};

test("2,000 URLs become their paths in one invalidation (the minimum), each once; JSON names the invalidation id", async () => {
  const file = files.file("urls.txt", `${URLS.join("\n")}\n`);
  const { run, stdout, stderr } = purge(["--allow-host", HOST, "--file", file, "--json", "--quiet"]);
  expect(await run).toBe(0);
  expect(stderr()).toBe("");
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json).toEqual({
    batches: [
      { cdn: "cloudfront", purgeId: emulator.state.invalidations[0]?.id, estimatedSeconds: null, objects: 2000, type: "path" },
    ],
    rejected: [],
    failed: [],
  });
  expect(json.batches[0]?.purgeId).toMatch(/^I/);
  expectEachOnce(
    cloudFrontInvalidatedPaths(emulator.state, DISTRIBUTION),
    URLS.map((u) => u.slice(`https://${HOST}`.length)),
  );
  expect(createRequests()).toHaveLength(1);
});

test("600 cache tags (--cache-tags) in one invalidation of #tag items, each once", async () => {
  const { run, stdout } = purge(["--type", "tag", "--cache-tags", "--json", "-"], { stdin: `${TAGS.join("\n")}\n` });
  expect(await run).toBe(0);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.batches).toEqual([
    { cdn: "cloudfront", purgeId: expect.stringMatching(/^I/), estimatedSeconds: null, objects: 600, type: "path" },
  ]);
  expectEachOnce(
    cloudFrontInvalidatedPaths(emulator.state),
    TAGS.map((t) => `#${t}`),
  );
  expect(createRequests()).toHaveLength(1);
});

test("20 wildcard paths: two invalidations (15 + 5), the second only once the first is done; never over 15 in progress", async () => {
  const paths = Array.from({ length: 20 }, (_, i) => `/section-${i}/*`);
  const { run, stdout } = purge(["--type", "path", "--json", ...paths]);
  expect(await run).toBe(0);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.batches.map((b) => b.objects)).toEqual([15, 5]);
  expectEachOnce(cloudFrontInvalidatedPaths(emulator.state), paths);
  expect(emulator.state.peakInProgress[DISTRIBUTION]?.wildcards).toBeLessThanOrEqual(15);
  expect(createRequests().filter((r) => r.status === 201)).toHaveLength(2);
});

test("without --allow-host any host is accepted, and the command says the host is dropped", async () => {
  const { run, stdout, stderr } = purge([`https://${HOST}/a`, "https://img.example.org/b.png"]);
  expect(await run).toBe(0);
  expect(stderr()).toMatch(
    /no --allow-host .*URLs of any host become paths on distribution E1CLITESTTAGS \(the host is dropped\)/,
  );
  expect(stdout()).toMatch(/^ {2}host\(s\) purged: www\.example\.com, img\.example\.org$/m);
  expect(cloudFrontInvalidatedPaths(emulator.state)).toEqual(["/a", "/b.png"]);
});

test("bad objects exit 1 naming each object and its reason; nothing is sent", async () => {
  const { run, stdout, stderr } = purge(["--type", "path", "--json", "/ok", "no-slash", "/a*/b"]);
  expect(await run).toBe(1);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.rejected).toEqual([
    { object: "no-slash", reason: "invalidPath", detail: 'path "no-slash" must start with "/"' },
    { object: "/a*/b", reason: "invalidPath", detail: expect.stringMatching(/"\*" is allowed only as the last character/) },
  ]);
  expect(stderr()).toMatch(/rejected "no-slash" \(argument 2\): invalidPath/);
  expect(emulator.state.requests).toEqual([]);
});

test("a credential without cloudfront:CreateInvalidation: forbidden (AccessDenied), exit 1", async () => {
  const denied = { ...env, AWS_ACCESS_KEY_ID: NO_PERMISSION.accessKeyId, AWS_SECRET_ACCESS_KEY: NO_PERMISSION.secretAccessKey };
  const { run, stdout } = purge(["--type", "path", "--json", "/a"], { env: denied });
  expect(await run).toBe(1);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.failed).toEqual([
    {
      cdn: "cloudfront",
      objects: 1,
      reason: "forbidden",
      detail: expect.stringMatching(/AccessDenied: .*cloudfront:CreateInvalidation/),
      status: 403,
      batch: 0,
    },
  ]);
  expect(stdout()).not.toContain(NO_PERMISSION.secretAccessKey);
});

test("an endpoint override without EDGEPLANE_INSECURE_LOOPBACK=1 is refused before anything is sent", async () => {
  const { run, stderr } = purge(["--type", "path", "/a"], { env: { ...env, EDGEPLANE_INSECURE_LOOPBACK: undefined } });
  expect(await run).toBe(1);
  expect(stderr()).toMatch(/AWS_ENDPOINT_URL_CLOUDFRONT is not allowed: EDGEPLANE_INSECURE_LOOPBACK is not 1/);
  expect(emulator.state.requests).toEqual([]);
});

describe("usage errors exit 64 naming the CDN and the type", () => {
  it.each([
    [
      ["--type", "host", "a.example.com"],
      /--type "host" is not supported by cloudfront; cloudfront supports: url, path, tag, all/,
    ],
    [["--type", "prefix", "a"], /--type "prefix" is not supported by cloudfront/],
    [["--type", "tag", "a"], /--type tag on cloudfront needs --cache-tags/],
    [["--type", "all", "/a"], /--type all purges everything on cloudfront: confirm it with --allow-purge-all/],
    [["--type", "all", "--allow-purge-all", "/a"], /--type all purges everything and takes no objects/],
    [["--service-id", "X", "/a"], /--service-id only applies with --cdn fastly/],
  ])("%j", async (extra, message) => {
    const { run, stderr } = purge(extra);
    expect(await run).toBe(64);
    expect(stderr()).toMatch(message);
  });
});

test("as a child process (node cli/bin.cjs): --type all on a distribution without cache tags", async () => {
  const result = await runCli(
    ["purge", "--cdn", "cloudfront", "--distribution-id", PLAIN, "--type", "all", "--allow-purge-all", "--json"],
    { env },
  );
  // (stderr may hold the AWS SDK's own Node version warning.)
  expect(result.stderr).not.toContain("edgeplane");
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({
    batches: [{ cdn: "cloudfront", purgeId: expect.stringMatching(/^I/), estimatedSeconds: null, objects: 1, type: "path" }],
    rejected: [],
    failed: [],
  });
  expect(cloudFrontInvalidatedPaths(emulator.state, PLAIN)).toEqual(["/*"]);
});
