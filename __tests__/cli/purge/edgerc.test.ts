/**
 * `edgeplane purge --edgerc` → the shared client → the sandbox, over real HTTP with EdgeGrid signatures:
 * the command runs as a child process (`node cli/bin.cjs purge ...`), the sandbox in this process.
 */
import { purgeCommand } from "../../../cli/purge";
import { edgercSection } from "../../../sandbox/main";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { purgedObjects } from "../../../sandbox/state";
import { TEST_CLIENT } from "../../helpers/sandbox-harness";
import { captureIo, runCli, tempDir } from "./run-cli";

const LOOPBACK = { EDGEPLANE_INSECURE_LOOPBACK: "1" };
const HOST = "www.example.com";

let sandbox: Sandbox;
let tmp: ReturnType<typeof tempDir>;
let edgerc: string;

beforeAll(async () => {
  sandbox = await startSandbox({ clients: [TEST_CLIENT] });
  tmp = tempDir();
  edgerc = tmp.file("edgerc", edgercSection(sandbox, TEST_CLIENT, "s"));
});

afterAll(async () => {
  await sandbox.close();
  tmp.remove();
});

beforeEach(() => {
  sandbox.state.purges.length = 0;
  sandbox.state.requests.length = 0;
});

const direct = (...more: string[]): string[] => ["purge", "--edgerc", edgerc, "--section", "s", ...more];

test("purges 5,000 URLs from a file, prints the JSON result, and every URL arrives exactly once", async () => {
  const urls = Array.from(
    { length: 5_000 },
    (_, i) => `https://${HOST}/catalog/${i % 7}/item-${String(i).padStart(5, "0")}.html`,
  );
  const file = tmp.file("urls.txt", ["# 5,000 product pages", "", ...urls, "   ", "# end"].join("\n"));

  const result = await runCli(direct("--allow-host", HOST, "--file", file, "--json"), { env: LOOPBACK });

  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const output = JSON.parse(result.stdout) as Record<string, unknown>;
  expect(Object.keys(output)).toEqual(["batches", "rejected", "failed"]);
  expect(output.rejected).toEqual([]);
  expect(output.failed).toEqual([]);
  const batches = output.batches as Array<Record<string, unknown>>;
  expect(batches.length).toBeGreaterThan(1); // 5,000 URLs are more than one 50,000-byte body
  for (const batch of batches) {
    expect(Object.keys(batch)).toEqual(["purgeId", "estimatedSeconds", "objects"]);
    expect(batch).toEqual({ purgeId: expect.stringMatching(/^edcp-/), estimatedSeconds: 5, objects: expect.any(Number) });
  }
  expect(batches.reduce((n, b) => n + (b.objects as number), 0)).toBe(5_000);

  // The sandbox's record: the same purges, each URL exactly once, on staging with invalidate (the defaults).
  expect(sandbox.state.purges.map((p) => ({ purgeId: p.purgeId, objects: p.objects.length }))).toEqual(
    batches.map((b) => ({ purgeId: b.purgeId, objects: b.objects })),
  );
  const arrived = purgedObjects(sandbox.state, { type: "url", action: "invalidate", network: "staging" });
  expect(arrived).toHaveLength(5_000);
  expect(new Set(arrived)).toEqual(new Set(urls));
  expect(sandbox.state.requests.every((r) => r.status === 201)).toBe(true);
});

test("invalid input exits 1, names each bad object and why, and sends nothing", async () => {
  const result = await runCli(
    direct(
      "--allow-host",
      HOST,
      `https://${HOST}/ok`,
      "https://evil.example.net/x",
      "/relative/path",
      `https://${HOST}/caf\u00e9`,
      `https://${HOST}/ok#frag`,
    ),
    { env: LOOPBACK },
  );
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("4 of 5 object(s) rejected");
  expect(result.stderr).toMatch(/"https:\/\/evil\.example\.net\/x" \(argument 2\): host "evil\.example\.net" is not allowed/);
  expect(result.stderr).toMatch(/"\/relative\/path" \(argument 3\): URL must be absolute/);
  expect(result.stderr).toMatch(/"https:\/\/www\.example\.com\/caf\u00e9" \(argument 4\): .*non-ASCII.*%C3%A9/);
  expect(result.stderr).toMatch(/"https:\/\/www\.example\.com\/ok#frag" \(argument 5\): URL has a fragment/);
  expect(result.stdout).toMatch(/nothing was sent/);
  expect(sandbox.state.requests).toEqual([]);
});

test("--json with invalid input still prints the JSON shape, with each rejection", async () => {
  const result = await runCli(direct("--type", "cpcode", "--json", "123", "0", "12ab"), { env: LOOPBACK });
  expect(result.code).toBe(1);
  const output = JSON.parse(result.stdout) as {
    batches: unknown[];
    rejected: Array<{ object: unknown; reason: string }>;
    failed: unknown[];
  };
  expect(output.batches).toEqual([]);
  expect(output.failed).toEqual([]);
  expect(output.rejected).toEqual([
    { object: "0", reason: expect.stringMatching(/positive integer/) },
    { object: "12ab", reason: expect.stringMatching(/digits only/) },
  ]);
  expect(sandbox.state.requests).toEqual([]);
});

test("--skip-invalid sends the valid objects and still exits 1", async () => {
  const result = await runCli(direct("--type", "tag", "--skip-invalid", "--json", "spring-sale", "bad tag", "laptops"), {
    env: LOOPBACK,
  });
  expect(result.code).toBe(1);
  const output = JSON.parse(result.stdout) as { batches: Array<{ objects: number }>; rejected: Array<{ object: unknown }> };
  expect(output.batches).toEqual([{ purgeId: expect.any(String), estimatedSeconds: 5, objects: 2 }]);
  expect(output.rejected.map((r) => r.object)).toEqual(["bad tag"]);
  expect(purgedObjects(sandbox.state, { type: "tag" })).toEqual(["spring-sale", "laptops"]);
});

test("--dry-run prints the planned requests (count, objects, bytes) and sends nothing", async () => {
  const urls = Array.from({ length: 2_000 }, (_, i) => `https://${HOST}/p/${i}`);
  const text = await runCli(direct("--allow-host", HOST, "--dry-run", "-"), { env: LOOPBACK, stdin: urls.join("\n") });
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^dry run \(--edgerc .* \[s\]\): nothing was sent$/m);
  // ~32 bytes per URL: 2,000 of them need two 50,000-byte bodies.
  expect(text.stdout).toMatch(
    /invalidate url on staging: 2,000 object\(s\) in 2 request\(s\) to \/ccu\/v3\/invalidate\/url\/staging, [\d,]+ body bytes/,
  );
  expect(text.stdout).toMatch(/^ {2}request 1: [\d,]+ object\(s\), [\d,]+ bytes$/m);
  expect(text.stdout).toMatch(/^ {2}request 2: [\d,]+ object\(s\), [\d,]+ bytes$/m);

  const json = await runCli(
    direct("--allow-host", HOST, "--dry-run", "--json", "--network", "production", "--action", "delete", "-"),
    {
      env: LOOPBACK,
      stdin: urls.join("\n"),
    },
  );
  expect(json.code).toBe(0);
  const plan = JSON.parse(json.stdout) as { dryRun: boolean; path: string; batches: Array<{ objects: number; bytes: number }> };
  expect(plan.dryRun).toBe(true);
  expect(plan.path).toBe("/ccu/v3/delete/url/production");
  expect(plan.batches.reduce((n, b) => n + b.objects, 0)).toBe(2_000);
  expect(plan.batches.every((b) => b.bytes <= 50_000)).toBe(true);
  expect(sandbox.state.requests).toEqual([]);
});

test("objects from piped stdin, in-process through purgeCommand, with a human summary", async () => {
  const { io, stdout, stderr } = captureIo({
    stdin: "# tags\ncatalog-1\n\ncatalog-2\ncatalog-1\n",
    stdinIsTty: false,
    env: LOOPBACK,
  });
  const code = await purgeCommand(["--edgerc", edgerc, "--section", "s", "--type", "tag"], io);
  expect(stderr()).toBe("");
  expect(code).toBe(0);
  expect(stdout()).toMatch(/^purge invalidate tag on staging: 2 object\(s\) accepted by Akamai in 1 request\(s\)$/m);
  expect(stdout()).toMatch(/purgeId edcp-\S+: 2 object\(s\)/);
  expect(stdout()).toMatch(/1 duplicate object\(s\) sent once/);
  expect(stdout().trim().endsWith("ok")).toBe(true);
  expect(purgedObjects(sandbox.state, { type: "tag" })).toEqual(["catalog-1", "catalog-2"]);
});

test("a failure at Akamai (403) is reported with detail and supportId, and exits 1", async () => {
  sandbox.setFaults([{ pathPrefix: "/ccu/v3/invalidate/cpcode/staging", status: 403 }]);
  const result = await runCli(direct("--type", "cpcode", "--json", "12345"), { env: LOOPBACK });
  expect(result.code).toBe(1);
  const output = JSON.parse(result.stdout) as { batches: unknown[]; failed: Array<Record<string, unknown>> };
  expect(output.batches).toEqual([]);
  expect(output.failed).toEqual([
    expect.objectContaining({
      objects: 1,
      reason: "rejected",
      status: 403,
      supportId: expect.stringMatching(/^edcp-/),
      batch: 0,
    }),
  ]);
  expect(sandbox.state.purges).toEqual([]);
});

test("the credential host must be an Akamai API host unless loopback is allowed", async () => {
  const result = await runCli(direct("--type", "tag", "x"), { env: {} });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/credential host is not allowed/);
  expect(result.stderr).not.toContain(TEST_CLIENT.clientSecret);
  expect(sandbox.state.requests).toEqual([]);
});

describe("answers cut short are read the same way as in the worker (one Fast Purge client)", () => {
  afterEach(() => sandbox.setFaults([]));

  test("a garbled 5xx is retried, and the purge then succeeds", async () => {
    sandbox.setFaults([{ pathPrefix: "/ccu/", status: 503, malformedJson: true }]);
    const result = await runCli(direct("--type", "tag", "--json", "garbled-5xx"), { env: LOOPBACK });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ batches: [{ objects: 1 }], failed: [] });
    expect(sandbox.state.requests.map((r) => r.status)).toEqual([503, 201]);
    expect(purgedObjects(sandbox.state, { type: "tag" })).toEqual(["garbled-5xx"]);
  });

  test("a garbled 201 is reported as maybe accepted (malformedResponse), never as a transport error, and not resent", async () => {
    sandbox.setFaults([{ pathPrefix: "/ccu/", malformedJson: true }]);
    const result = await runCli(direct("--type", "tag", "--json", "garbled-201"), { env: LOOPBACK });
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout) as { failed: Array<Record<string, unknown>> };
    expect(output.failed).toEqual([
      expect.objectContaining({
        objects: 1,
        reason: "malformedResponse",
        status: 201,
        detail: expect.stringMatching(/may have been accepted/),
      }),
    ]);
    expect(sandbox.state.requests).toHaveLength(1);
  });
});
