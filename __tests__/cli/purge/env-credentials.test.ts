/**
 * Direct purges with the credential from AKAMAI_* variables (no .edgerc) and without --allow-host, over real
 * HTTP to the sandbox: the command runs as a child process (`node cli/bin.cjs purge ...`).
 */
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { purgedObjects } from "../../../sandbox/state";
import { TEST_CLIENT } from "../../helpers/sandbox-harness";
import { runCli } from "./run-cli";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ clients: [TEST_CLIENT] });
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(() => {
  sandbox.state.purges.length = 0;
  sandbox.state.requests.length = 0;
});

function akamaiEnv(prefix = "AKAMAI_"): Record<string, string> {
  return {
    [`${prefix}HOST`]: sandbox.url,
    [`${prefix}CLIENT_TOKEN`]: TEST_CLIENT.clientToken,
    [`${prefix}CLIENT_SECRET`]: TEST_CLIENT.clientSecret,
    [`${prefix}ACCESS_TOKEN`]: TEST_CLIENT.accessToken,
    EDGEPLANE_INSECURE_LOOPBACK: "1",
  };
}

test("AKAMAI_* variables, no .edgerc, no --allow-host: the URL is purged and the summary names its host", async () => {
  const result = await runCli(["purge", "https://www.example.com/a"], { env: akamaiEnv() });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^purge invalidate url on staging: 1 object\(s\) accepted by Akamai in 1 request\(s\)$/m);
  expect(result.stdout).toMatch(/^ {2}host\(s\) purged: www\.example\.com$/m);
  expect(purgedObjects(sandbox.state, { type: "url", action: "invalidate", network: "staging" })).toEqual([
    "https://www.example.com/a",
  ]);
});

test("without an allow-list any http(s) host is accepted, and every host purged is listed", async () => {
  const result = await runCli(
    ["purge", "https://www.example.com/a", "http://img.example.org/b.png", "https://www.example.com/c"],
    { env: akamaiEnv() },
  );
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^ {2}host\(s\) purged: www\.example\.com, img\.example\.org$/m);
  expect(new Set(purgedObjects(sandbox.state, { type: "url" }))).toEqual(
    new Set(["https://www.example.com/a", "http://img.example.org/b.png", "https://www.example.com/c"]),
  );
});

test("--section ci reads AKAMAI_CI_* only (the plain AKAMAI_* set is not used for it)", async () => {
  const env = { ...akamaiEnv("AKAMAI_CI_"), AKAMAI_HOST: "akab-wrong.luna.akamaiapis.net" };
  const result = await runCli(["purge", "--section", "ci", "--type", "tag", "--json", "spring-sale"], { env });
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({
    batches: [{ purgeId: expect.any(String), estimatedSeconds: 5, objects: 1 }],
    rejected: [],
    failed: [],
  });
  expect(purgedObjects(sandbox.state, { type: "tag" })).toEqual(["spring-sale"]);
});

test("an incomplete set exits 1 naming the missing variable, never a value, and sends nothing", async () => {
  const { AKAMAI_CLIENT_SECRET: secret, ...env } = akamaiEnv();
  const result = await runCli(["purge", "https://www.example.com/a"], { env });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/AKAMAI_CLIENT_SECRET is not set/);
  expect(result.stderr).not.toContain(TEST_CLIENT.accessToken);
  expect(result.stderr).not.toContain(TEST_CLIENT.clientToken);
  expect(result.stderr).not.toContain(secret);
  expect(sandbox.state.requests).toEqual([]);
});

test("EDGEPLANE_ALLOW_HOSTS sets the default allow-list; --allow-host replaces it", async () => {
  const env = { ...akamaiEnv(), EDGEPLANE_ALLOW_HOSTS: "www.example.com, *.cdn.example.com" };
  const refused = await runCli(["purge", "https://www.example.com/a", "https://evil.example.net/x"], { env });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(
    /"https:\/\/evil\.example\.net\/x" \(argument 2\): host "evil\.example\.net" is not allowed.*www\.example\.com, \*\.cdn\.example\.com/,
  );
  expect(sandbox.state.requests).toEqual([]);

  const replaced = await runCli(["purge", "--allow-host", "evil.example.net", "https://evil.example.net/x"], { env });
  expect(replaced.code).toBe(0);
  expect(purgedObjects(sandbox.state, { type: "url" })).toEqual(["https://evil.example.net/x"]);

  const bad = await runCli(["purge", "https://www.example.com/a"], { env: { ...env, EDGEPLANE_ALLOW_HOSTS: "WWW.Example.com" } });
  expect(bad.code).toBe(64);
  expect(bad.stderr).toMatch(/EDGEPLANE_ALLOW_HOSTS "WWW.Example.com" is not a hostname/);
});

test("--dry-run names the environment variables as the credential source and sends nothing", async () => {
  const result = await runCli(["purge", "--dry-run", "https://www.example.com/a"], { env: akamaiEnv() });
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^dry run \(environment AKAMAI_\*\): nothing was sent$/m);
  expect(sandbox.state.requests).toEqual([]);
});
