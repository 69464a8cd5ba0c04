/**
 * `edgeplane purge --cdn cloudflare` → the Cloudflare provider → fetch → the Cloudflare emulator over loopback HTTP:
 * 2,000 URLs and 600 tags purged each once in the fewest requests the plan's item caps allow, paced by the plan's
 * buckets (the command's clock and the emulator run at the same time scale), hosts and prefixes, bad objects.
 */
import { purgeCommand } from "../../../cli/purge";
import { type CloudflareEmulator, cloudflarePurgedObjects, startCloudflareEmulator } from "../../../sandbox/cloudflare";
import { type CdnJson, HOST, TAGS, URLS, expectEachOnce, scaledIo } from "./cdn-helpers";
import { runCli, tempDir } from "./run-cli";

const ZONE = "0123456789abcdef0123456789abcdef";
const OTHER_ZONE = "fedcba9876543210fedcba9876543210";
const TOKEN = "sandbox-cloudflare-cli-token";
const SCALE = 20;
let emulator: CloudflareEmulator;
let env: Record<string, string>;
const files = tempDir();

beforeAll(async () => {
  emulator = await startCloudflareEmulator({
    zones: [
      { id: ZONE, plan: "pro" },
      { id: OTHER_ZONE, plan: "pro" },
    ],
    tokens: [{ token: TOKEN, kind: "user", purgeZones: [ZONE] }],
    resultId: "per-request",
    timeScale: SCALE,
  });
  env = {
    EDGEPLANE_CLOUDFLARE_API_URL: `${emulator.url}/client/v4`,
    EDGEPLANE_INSECURE_LOOPBACK: "1",
    CLOUDFLARE_API_TOKEN: TOKEN,
  };
});

afterAll(async () => {
  await emulator.close();
  files.remove();
});

beforeEach(() => {
  emulator.state.purges.length = 0;
  emulator.state.requests.length = 0;
  emulator.state.sizes.length = 0;
});

const purgeRequests = () => emulator.state.requests.filter((r) => r.path.endsWith("/purge_cache"));
const purge = (argv: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}) => {
  const capture = scaledIo(options.env ?? env, {
    scale: SCALE,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  return { run: purgeCommand(["--cdn", "cloudflare", "--zone-id", ZONE, ...argv], capture.io), ...capture };
};

test("pro: 2,000 URLs in 67 requests of at most 30 (the minimum), each URL once, no 429, JSON with result ids", async () => {
  const file = files.file("urls.txt", `${URLS.join("\n")}\n`);
  const { run, stdout, stderr } = purge(["--file", file, "--json", "--quiet"]);
  expect(await run).toBe(0);
  expect(stderr()).toBe("");
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.failed).toEqual([]);
  expect(json.batches).toHaveLength(67);
  expect(json.batches.reduce((n, b) => n + b.objects, 0)).toBe(2000);
  for (const batch of json.batches)
    expect(batch).toMatchObject({ cdn: "cloudflare", purgeId: expect.any(String), estimatedSeconds: null, type: "url" });
  expectEachOnce(cloudflarePurgedObjects(emulator.state, { kind: "files", zoneId: ZONE }), URLS);
  expect(purgeRequests().length).toBeLessThanOrEqual(Math.floor(Math.ceil(2000 / 30) * 1.01));
  expect(purgeRequests().every((r) => r.status === 200)).toBe(true);
  expect(emulator.state.sizes.every((s) => s.items <= s.cap && s.items <= 30)).toBe(true);
});

test("pro: 600 tags in 6 requests of 100, each tag once", async () => {
  const { run, stdout } = purge(["--type", "tag", "--json", "-"], { stdin: `${TAGS.join("\n")}\n` });
  expect(await run).toBe(0);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.batches.map((b) => [b.cdn, b.type, b.objects])).toEqual(
    Array.from({ length: 6 }, () => ["cloudflare", "tag", 100]),
  );
  expectEachOnce(cloudflarePurgedObjects(emulator.state, { kind: "tags" }), TAGS);
  expect(purgeRequests()).toHaveLength(6);
  expect(emulator.state.sizes.every((s) => s.items <= s.cap)).toBe(true);
});

test("--max-per-request sets the items per request (Cloudflare's caps are unconfirmed)", async () => {
  const { run, stdout } = purge(["--type", "tag", "--max-per-request", "10", "--json", ...TAGS.slice(0, 25)]);
  expect(await run).toBe(0);
  expect((JSON.parse(stdout()) as CdnJson).batches.map((b) => b.objects)).toEqual([10, 10, 5]);
  expect(emulator.state.sizes.map((s) => s.items)).toEqual([10, 10, 5]);
});

test("hosts and prefixes: checked against --allow-host, sent as hosts / prefixes", async () => {
  const hosts = purge(["--type", "host", "--allow-host", `${HOST},img.example.com`, "WWW.example.com", "img.example.com"]);
  expect(await hosts.run).toBe(0);
  expect(hosts.stdout()).toMatch(
    /^purge host on cloudflare zone 0123456789abcdef0123456789abcdef: 2 object\(s\) purged in 1 request\(s\)$/m,
  );
  const prefixes = purge(["--type", "prefix", `${HOST}/blog`, `${HOST}/news/2026`]);
  expect(await prefixes.run).toBe(0);
  expect(cloudflarePurgedObjects(emulator.state, { kind: "hosts" })).toEqual([HOST, "img.example.com"]);
  expect(cloudflarePurgedObjects(emulator.state, { kind: "prefixes" })).toEqual([`${HOST}/blog`, `${HOST}/news/2026`]);
});

test("--dry-run --json lists the planned requests (never the token) and sends nothing", async () => {
  const { run, stdout } = purge(["--type", "tag", "--dry-run", "--json", ...TAGS.slice(0, 150), "has,comma"]);
  expect(await run).toBe(1);
  expect(JSON.parse(stdout())).toEqual({
    dryRun: true,
    cdn: "cloudflare",
    target: `cloudflare zone ${ZONE}`,
    minimumRequests: 2,
    batches: [
      { type: "tag", objects: 100, items: 100, request: `POST ${emulator.url}/client/v4/zones/${ZONE}/purge_cache` },
      { type: "tag", objects: 50, items: 50, request: `POST ${emulator.url}/client/v4/zones/${ZONE}/purge_cache` },
    ],
    rejected: [{ object: "has,comma", reason: "invalidTag", detail: expect.stringContaining("comma") }],
    failed: [],
  });
  expect(stdout()).not.toContain(TOKEN);
  expect(emulator.state.requests).toEqual([]);
});

test("--type all with --allow-purge-all purges everything in one request; the summary names the zone and account", async () => {
  const { run, stdout } = purge(["--type", "all", "--allow-purge-all", "--account-id", "aaaabbbbccccddddeeeeffff00001111"]);
  expect(await run).toBe(0);
  expect(stdout()).toMatch(
    /^purge all on cloudflare zone 0123456789abcdef0123456789abcdef \(account aaaabbbbccccddddeeeeffff00001111\): 1 object\(s\) purged in 1 request\(s\)$/m,
  );
  expect(emulator.state.purges.map((p) => [p.zoneId, p.kind])).toEqual([[ZONE, "purge_everything"]]);
});

test("bad objects exit 1 naming each object and its reason; nothing is sent", async () => {
  const { run, stdout, stderr } = purge([
    "--type",
    "prefix",
    "--allow-host",
    HOST,
    "--json",
    `${HOST}/ok`,
    `https://${HOST}/a`,
    "other.example.org/x",
  ]);
  expect(await run).toBe(1);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.rejected).toEqual([
    {
      object: `https://${HOST}/a`,
      reason: "invalidPrefix",
      detail: expect.stringMatching(/has a scheme; write it as host\/path/),
    },
    {
      object: "other.example.org/x",
      reason: "hostNotServed",
      detail: 'host "other.example.org" is not allowed; allowed (--allow-host): www.example.com',
    },
  ]);
  expect(stderr()).toMatch(/rejected "https:\/\/www\.example\.com\/a" \(argument 2\): invalidPrefix/);
  expect(stderr()).toMatch(/rejected "other\.example\.org\/x" \(argument 3\): hostNotServed/);
  expect(emulator.state.requests).toEqual([]);
});

test("a zone the token may not purge: forbidden (HTTP 403), exit 1", async () => {
  const capture = scaledIo(env, { scale: SCALE });
  expect(await purgeCommand(["--cdn", "cloudflare", "--zone-id", OTHER_ZONE, "--type", "tag", "--json", "a"], capture.io)).toBe(
    1,
  );
  const json = JSON.parse(capture.stdout()) as CdnJson;
  expect(json.failed).toEqual([
    { cdn: "cloudflare", objects: 1, reason: "forbidden", detail: expect.any(String), status: 403, batch: 0 },
  ]);
});

describe("usage errors exit 64 naming the CDN, the type or the variable", () => {
  it.each([
    [["--type", "path", "/a"], /--type "path" is not supported by cloudflare; cloudflare supports: url, tag, host, prefix, all/],
    [["--type", "cpcode", "1"], /--type "cpcode" is not supported by cloudflare/],
    [["--plan", "platinum", "a"], /--plan "platinum" is not allowed; allowed: free, pro, business, enterprise/],
    [["--soft", "a"], /--soft only applies with --cdn fastly/],
    [["--type", "tag", "--allow-host", HOST, "a"], /--allow-host only applies to --type url, host or prefix/],
    [["--edgerc", "x", "a"], /--edgerc only applies to akamai/],
    [["--account-id", "acme", "a"], /--account-id "acme" is not a Cloudflare account id/],
    [["--max-per-request", "501", "a"], /--max-per-request "501" is not allowed; expected a whole number of items from 1 to 500/],
  ])("%j", async (extra, message) => {
    const { run, stderr } = purge(extra);
    expect(await run).toBe(64);
    expect(stderr()).toMatch(message);
  });

  test("no CLOUDFLARE_API_TOKEN, a zone name instead of its id", async () => {
    const noToken = purge([`https://${HOST}/a`], { env: { ...env, CLOUDFLARE_API_TOKEN: "" } });
    expect(await noToken.run).toBe(64);
    expect(noToken.stderr()).toMatch(/--cdn cloudflare needs CLOUDFLARE_API_TOKEN/);
    const capture = scaledIo(env);
    expect(await purgeCommand(["--cdn", "cloudflare", "--zone-id", "example.com", `https://${HOST}/a`], capture.io)).toBe(64);
    expect(capture.stderr()).toMatch(/--zone-id: cloudflare zoneId must be the zone's id/);
    expect(emulator.state.requests).toEqual([]);
  });
});

test("as a child process (node cli/bin.cjs): enterprise plan, 40 URLs in one request", async () => {
  const urls = URLS.slice(0, 40);
  const result = await runCli(["purge", "--cdn", "cloudflare", "--zone-id", ZONE, "--plan", "enterprise", "--quiet", ...urls], {
    env,
  });
  // The emulator's zone is pro (30 URLs per request): Cloudflare refuses the 40, and the CLI says so.
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/FAILED batch 0, 40 object\(s\): tooManyItems: .*\(HTTP 400\)/);
  const fitting = await runCli(["purge", "--cdn", "cloudflare", "--zone-id", ZONE, "--plan", "pro", ...urls], { env });
  expect(fitting.code).toBe(0);
  expect(fitting.stdout).toMatch(
    /^purge url on cloudflare zone 0123456789abcdef0123456789abcdef: 40 object\(s\) purged in 2 request\(s\)$/m,
  );
  expect(fitting.stdout).toMatch(/^ {2}host\(s\) purged: www\.example\.com$/m);
  expectEachOnce(cloudflarePurgedObjects(emulator.state, { kind: "files" }), urls);
});
