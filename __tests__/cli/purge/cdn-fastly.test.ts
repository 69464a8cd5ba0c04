/**
 * `edgeplane purge --cdn fastly` → the Fastly provider → fetch → the Fastly emulator over loopback HTTP: 2,000 URLs and
 * 600 surrogate keys purged each once in the fewest requests Fastly's limits allow, bad objects, unsupported types.
 */
import { purgeCommand } from "../../../cli/purge";
import { type FastlyEmulator, fastlyPurgedObjects, startFastlyEmulator } from "../../../sandbox/fastly";
import { type CdnJson, HOST, TAGS, URLS, expectEachOnce, scaledIo } from "./cdn-helpers";
import { runCli, tempDir } from "./run-cli";

const SERVICE = "SVCCLITEST01";
const TOKEN = "sandbox-fastly-cli-token";
let emulator: FastlyEmulator;
let env: Record<string, string>;
const files = tempDir();

beforeAll(async () => {
  emulator = await startFastlyEmulator({
    services: [{ id: SERVICE, hosts: [HOST], purgeRequiresAuth: true }],
    tokens: [{ token: TOKEN, scope: "purge_select", services: [SERVICE] }],
  });
  env = { EDGEPLANE_FASTLY_API_URL: emulator.url, EDGEPLANE_INSECURE_LOOPBACK: "1", FASTLY_API_TOKEN: TOKEN };
});

afterAll(async () => {
  await emulator.close();
  files.remove();
});

beforeEach(() => {
  emulator.state.purges.length = 0;
  emulator.state.requests.length = 0;
});

const purgeRequests = () => emulator.state.requests.filter((r) => r.method === "POST");

test("2,000 URLs: one request each (the minimum), each URL purged once with the token, JSON with fastly purge ids", async () => {
  const file = files.file("urls.txt", `${URLS.join("\n")}\n`);
  const { io, stdout, stderr } = scaledIo(env);
  expect(await purgeCommand(["--cdn", "fastly", "--service-id", SERVICE, "--file", file, "--json", "--quiet"], io)).toBe(0);
  expect(stderr()).toBe("");
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.rejected).toEqual([]);
  expect(json.failed).toEqual([]);
  expect(json.batches).toHaveLength(2000);
  for (const batch of json.batches)
    expect(batch).toEqual({ cdn: "fastly", purgeId: expect.any(String), estimatedSeconds: null, objects: 1, type: "url" });
  expect(new Set(json.batches.map((b) => b.purgeId)).size).toBe(2000);
  expectEachOnce(
    fastlyPurgedObjects(emulator.state, { kind: "url" }),
    URLS.map((u) => u.slice("https://".length)),
  );
  // Fastly has no bulk URL purge: 2,000 requests is the minimum; minimum + 1% allowed, none over the 1-URL limit.
  expect(purgeRequests().length).toBeLessThanOrEqual(Math.floor(2000 * 1.01));
  expect(emulator.state.purges.every((p) => p.objects.length === 1 && p.tokenId !== undefined && !p.soft)).toBe(true);
});

test("600 surrogate keys from stdin with --soft: 3 bulk requests of at most 256, each key soft-purged once", async () => {
  const { io, stdout } = scaledIo(env, { stdin: `${TAGS.join("\n")}\n` });
  expect(await purgeCommand(["--cdn", "fastly", "--service-id", SERVICE, "--type", "tag", "--soft", "--json", "-"], io)).toBe(0);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.batches.map((b) => [b.cdn, b.type, b.objects])).toEqual([
    ["fastly", "tag", 256],
    ["fastly", "tag", 256],
    ["fastly", "tag", 88],
  ]);
  expect(json.batches.every((b) => typeof b.purgeId === "string")).toBe(true);
  expectEachOnce(fastlyPurgedObjects(emulator.state, { kind: "key", soft: true }), TAGS);
  expect(purgeRequests()).toHaveLength(Math.ceil(600 / 256));
  expect(emulator.state.purges.every((p) => p.objects.length <= 256 && p.serviceId === SERVICE)).toBe(true);
});

test("--soft is named in the summary", async () => {
  const { io, stdout } = scaledIo(env);
  expect(await purgeCommand(["--cdn", "fastly", "--service-id", SERVICE, "--soft", `https://${HOST}/soft`], io)).toBe(0);
  expect(stdout()).toMatch(/^purge url \(soft\) on fastly service SVCCLITEST01: 1 object\(s\) purged in 1 request\(s\)$/m);
  expect(fastlyPurgedObjects(emulator.state, { kind: "url", soft: true })).toEqual([`${HOST}/soft`]);
});

test("bad objects exit 1 naming each object and its reason; nothing is sent", async () => {
  const long = `k${"x".repeat(1100)}`;
  const { io, stdout, stderr } = scaledIo(env);
  const code = await purgeCommand(
    ["--cdn", "fastly", "--service-id", SERVICE, "--type", "tag", "--json", "good-key", "has space", long],
    io,
  );
  expect(code).toBe(1);
  const json = JSON.parse(stdout()) as CdnJson;
  expect(json.rejected.map((r) => [r.object, r.reason])).toEqual([
    ["has space", "invalidTag"],
    [long, "tagTooLong"],
  ]);
  expect(json.batches).toEqual([]);
  expect(stderr()).toMatch(/rejected "has space" \(argument 2\): invalidTag: surrogate key "has space" has a space/);
  expect(stderr()).toMatch(/\(argument 3\): tagTooLong: .*1101 bytes/);
  expect(emulator.state.requests).toEqual([]);
});

test("URLs outside --allow-host are rejected naming the host and the list; --skip-invalid sends the rest", async () => {
  const { io, stdout, stderr } = scaledIo(env);
  const argv = [
    "--cdn",
    "fastly",
    "--service-id",
    SERVICE,
    "--allow-host",
    HOST,
    "--skip-invalid",
    `https://${HOST}/ok`,
    "https://evil.example.net/x",
    "ftp://x/y",
  ];
  expect(await purgeCommand(argv, io)).toBe(1);
  expect(stderr()).toMatch(
    /"https:\/\/evil\.example\.net\/x" \(argument 2\): hostNotServed: host "evil\.example\.net" is not allowed; allowed \(--allow-host\): www\.example\.com/,
  );
  expect(stderr()).toMatch(/"ftp:\/\/x\/y" \(argument 3\): invalidUrl:/);
  expect(stdout()).toMatch(/^purge url on fastly service SVCCLITEST01: 1 object\(s\) purged in 1 request\(s\)$/m);
  expect(stdout()).toMatch(/^not everything was purged: 2 rejected, 0 failed$/m);
  expect(fastlyPurgedObjects(emulator.state)).toEqual([`${HOST}/ok`]);
});

test("a wrong token: every request fails credentialRejected (or notSent once one was refused), exit 1", async () => {
  const { io, stdout } = scaledIo({ ...env, FASTLY_API_TOKEN: "wrong-token" });
  expect(await purgeCommand(["--cdn", "fastly", "--service-id", SERVICE, "--type", "tag", "--json", ...TAGS], io)).toBe(1);
  const json = JSON.parse(stdout()) as CdnJson;
  // The three bulk requests start together (16 in parallel), so each may get its own 401 before the first answer.
  expect(json.batches).toEqual([]);
  expect(json.failed.map((f) => f.objects)).toEqual([256, 256, 88]);
  expect(json.failed.every((f) => f.reason === "credentialRejected" || f.reason === "notSent")).toBe(true);
  expect(json.failed[0]).toMatchObject({ cdn: "fastly", reason: "credentialRejected", status: 401, batch: 0 });
  expect(JSON.stringify(json)).not.toContain("wrong-token");
  expect(emulator.state.purges).toEqual([]);
});

test("--dry-run lists the planned requests and sends nothing", async () => {
  const { io, stdout } = scaledIo(env);
  expect(await purgeCommand(["--cdn", "fastly", "--service-id", SERVICE, "--dry-run", "--type", "tag", "a", "b"], io)).toBe(0);
  expect(stdout()).toContain(`dry run (fastly service ${SERVICE}): nothing was sent`);
  expect(stdout()).toContain(`request 1: 2 tag item(s): POST ${emulator.url}/service/${SERVICE}/purge`);
  expect(stdout()).not.toContain(TOKEN);
  expect(emulator.state.requests).toEqual([]);
});

describe("usage errors exit 64 naming the CDN, the type or the variable", () => {
  it.each([
    [["--type", "prefix", "a"], /--type "prefix" is not supported by fastly; fastly supports: url, tag, all/],
    [["--type", "path", "/a"], /--type "path" is not supported by fastly/],
    [["--type", "cpcode", "1"], /--type "cpcode" is not supported by fastly/],
    [["--type", "all"], /--type all purges everything on fastly: confirm it with --allow-purge-all/],
    [["--type", "all", "--allow-purge-all", "--soft"], /--soft cannot be combined with --type all/],
    [["--network", "production", "a"], /--network only applies to akamai/],
    [["--zone-id", "0123456789abcdef0123456789abcdef", "a"], /--zone-id only applies with --cdn cloudflare/],
  ])("%j", async (extra, message) => {
    const { io, stderr } = scaledIo(env);
    expect(await purgeCommand(["--cdn", "fastly", "--service-id", SERVICE, ...extra], io)).toBe(64);
    expect(stderr()).toMatch(message);
    expect(emulator.state.requests).toEqual([]);
  });

  test("no --service-id, a bad service id, no FASTLY_API_TOKEN", async () => {
    const missingId = scaledIo(env);
    expect(await purgeCommand(["--cdn", "fastly", `https://${HOST}/a`], missingId.io)).toBe(64);
    expect(missingId.stderr()).toMatch(/--cdn fastly needs --service-id/);
    const badId = scaledIo(env);
    expect(await purgeCommand(["--cdn", "fastly", "--service-id", "no/slash", `https://${HOST}/a`], badId.io)).toBe(64);
    expect(badId.stderr()).toMatch(/--service-id: fastly serviceId must be letters and digits/);
    const noToken = scaledIo({ ...env, FASTLY_API_TOKEN: undefined });
    expect(await purgeCommand(["--cdn", "fastly", "--service-id", SERVICE, `https://${HOST}/a`], noToken.io)).toBe(64);
    expect(noToken.stderr()).toMatch(/--cdn fastly needs FASTLY_API_TOKEN/);
    expect(emulator.state.requests).toEqual([]);
  });
});

test("as a child process (node cli/bin.cjs): purge-all with --allow-purge-all", async () => {
  const result = await runCli(
    ["purge", "--cdn", "fastly", "--service-id", SERVICE, "--type", "all", "--allow-purge-all", "--json"],
    {
      env: { ...env, FASTLY_API_TOKEN: TOKEN },
    },
  );
  // The emulator's token lacks purge_all: Fastly answers 403, reported as forbidden.
  expect(result.code).toBe(1);
  const json = JSON.parse(result.stdout) as CdnJson;
  expect(json.failed).toEqual([
    { cdn: "fastly", objects: 1, reason: "forbidden", detail: expect.any(String), status: 403, batch: 0 },
  ]);
  expect(result.stdout).not.toContain(TOKEN);
});
