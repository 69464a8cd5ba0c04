/**
 * `edgeplane tokens` against the sandbox over signed HTTP: in-process (tokensCommand with captured IO)
 * for most cases, and once through `node cli/bin.cjs` for the dispatch and the exit code.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readBundleVersion } from "../../../core/akamai/edgeworkers";
import { packTgz, unpackTgz } from "../../../core/akamai/tgz";
import { parseTokensFile } from "../../../core/tokens/tokens-file";
import { tokensCommand } from "../../../cli/tokens";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { TEST_CLIENT } from "../../helpers/sandbox-harness";
import { captureIo, runCli } from "../purge/run-cli";
import { writeSandboxEdgerc } from "../sandbox-edgerc";

const LOOPBACK = { EDGEPLANE_INSECURE_LOOPBACK: "1" };
const TODAY = new Date().toISOString().slice(0, 10).replace(/-/g, "");

let sandbox: Sandbox;
let dir: string;
let edgerc: string;

beforeAll(async () => {
  sandbox = await startSandbox({ clients: [TEST_CLIENT] });
  ({ dir, edgerc } = writeSandboxEdgerc(sandbox, "edgeplane-tokens-test-"));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  sandbox.state.edgeKv.tokens.length = 0;
  sandbox.state.edgeKv.createKind = "enhanced";
});

async function tokens(...args: string[]) {
  const capture = captureIo({ env: LOOPBACK });
  const [sub, ...rest] = args;
  const code = await tokensCommand([sub as string, "--edgerc", edgerc, "--section", "s", ...rest], capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

test("list: nothing yet, then the tokens created, as a table or JSON", async () => {
  expect(await tokens("list")).toEqual({ code: 0, stdout: "no tokens\n", stderr: "" });
  expect(JSON.parse((await tokens("list", "--json")).stdout)).toEqual({ tokens: [] });

  const created = await tokens(
    "create",
    "site-1",
    "--namespace",
    "site_config=r",
    "--namespace",
    "redirects+rw",
    "--staging",
    "allow",
    "--production",
    "deny",
    "--ewids",
    "4242",
  );
  expect(created.code).toBe(0);
  expect(created.stdout).toContain("created enhanced token site-1 (uuid ");
  expect(created.stdout).toContain("namespaces: site_config (r), redirects (rw)");
  expect(created.stdout).toContain("staging: allowed, production: denied, EdgeWorkers: 4242");
  expect(sandbox.state.edgeKv.tokens[0]).toMatchObject({
    namespacePermissions: { site_config: ["r"], redirects: ["r", "w"] },
    restrictToEdgeWorkerIds: ["4242"],
  });

  const listed = await tokens("list");
  expect(listed.code).toBe(0);
  const [header, line] = listed.stdout.trimEnd().split("\n");
  expect(header).toMatch(/^NAME\s+KIND\s+STATUS\s+EXPIRY\s+DAYS LEFT\s+UUID$/);
  expect(line).toMatch(new RegExp(`^site-1\\s+enhanced\\s+COMPLETE\\s+never\\s+-\\s+${sandbox.state.edgeKv.tokens[0]!.uuid}$`));
  const json = JSON.parse((await tokens("list", "--json")).stdout);
  expect(json.tokens[0]).toMatchObject({
    name: "site-1",
    kind: "enhanced",
    state: "usable",
    expiry: "9999-12-31",
    daysToExpiry: null,
    tokenActivationStatus: "COMPLETE",
  });
});

test("legacy tokens: create shows the expiry, never the value; list shows days left; write-file puts the value in a 0600 file", async () => {
  sandbox.state.edgeKv.createKind = "legacy";
  const expiry = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
  const created = await tokens(
    "create",
    "old-1",
    "--namespace",
    "site_config=r",
    "--staging",
    "allow",
    "--production",
    "allow",
    "--expiry",
    expiry,
    "--json",
  );
  expect(created.code).toBe(0);
  const value = sandbox.state.edgeKv.tokens[0]!.value!;
  expect(JSON.parse(created.stdout)).toMatchObject({ name: "old-1", kind: "legacy", expiry });
  expect(created.stdout).not.toContain(value);

  const listed = await tokens("list");
  expect(listed.stdout).toMatch(new RegExp(`old-1\\s+legacy\\s+VALID\\s+${expiry}\\s+40\\s`));

  const out = join(dir, "legacy");
  mkdirSync(out);
  const written = await tokens("write-file", "old-1", "--out", out);
  expect(written).toEqual({
    code: 0,
    stdout: `wrote ${out}/edgekv_tokens.js:\n  namespace-site_config: old-1 (value)\n`,
    stderr: "",
  });
  const file = join(out, "edgekv_tokens.js");
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(parseTokensFile(readFileSync(file, "utf8"))).toEqual({ site_config: { name: "old-1", value } }); // namespaces read from the JWT
});

test("write-file keeps other namespaces, refuses to replace another token's entry without --overwrite, and updates bundles", async () => {
  await tokens("create", "a-1", "--namespace", "site_config=r", "--staging", "allow", "--production", "allow");
  await tokens("create", "b-1", "--namespace", "site_config=r", "--staging", "allow", "--production", "allow");
  const [a, b] = sandbox.state.edgeKv.tokens;
  const file = join(dir, "tokens.js");
  writeFileSync(
    file,
    'var edgekv_access_tokens = {"namespace-other": {"name": "x", "reference": "r-x"}};\nexport { edgekv_access_tokens };\n',
  );

  expect((await tokens("write-file", "a-1", "--out", file)).stdout).toContain("kept: namespace-other");
  const refused = await tokens("write-file", "b-1", "--out", file);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("already has other tokens for namespace-site_config (now a-1, would be b-1); add --overwrite");
  expect((await tokens("write-file", "b-1", "--out", file, "--overwrite")).code).toBe(0);
  expect(parseTokensFile(readFileSync(file, "utf8"))).toEqual({
    other: { name: "x", reference: "r-x" },
    site_config: { name: "b-1", reference: b!.uuid },
  });

  const bundle = join(dir, "bundle.tgz");
  const original = [
    { name: "bundle.json", data: Buffer.from('{"edgeworker-version":"2.0.0"}') },
    { name: "main.js", data: Buffer.from("export function onClientRequest() {}\n") },
  ];
  writeFileSync(bundle, packTgz(original));
  const intoBundle = await tokens("write-file", "a-1", "--out", bundle, "--bump-version", "--json");
  expect(intoBundle.code).toBe(0);
  const files = unpackTgz(readFileSync(bundle));
  expect(files.map((f) => f.name)).toEqual(["bundle.json", "main.js", "edgekv_tokens.js"]);
  expect(readBundleVersion(files)).toMatch(/^2\.0\.0-ekv\.[0-9a-f]{8}$/);
  expect(JSON.parse(intoBundle.stdout)).toMatchObject({
    path: bundle,
    bundleVersion: readBundleVersion(files),
    entries: [{ namespace: "site_config", name: "a-1", kind: "enhanced" }],
  });
  expect(parseTokensFile(files[2]!.data.toString())).toEqual({ site_config: { name: "a-1", reference: a!.uuid } });
});

test("--env: create makes the next dated token with the declared settings; list and write-file use the declared tokens", async () => {
  const first = await tokens("create", "--env", "staging", "site-config-ro");
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`created enhanced token site-config-ro-${TODAY} `);
  expect(sandbox.state.edgeKv.tokens[0]).toMatchObject({
    namespacePermissions: { site_config: ["r"] },
    allowOnStaging: true,
    allowOnProduction: false,
    restrictToEdgeWorkerIds: ["42002"],
  });
  expect((await tokens("create", "--env", "staging", "site-config-ro")).stdout).toContain(`site-config-ro-${TODAY}-2 `);
  await tokens("create", "unrelated", "--namespace", "x=r", "--staging", "allow", "--production", "deny");

  const listed = await tokens("list", "--env", "staging");
  const lines = listed.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^PREFIX\s+ROLE\s+NAME/);
  expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
    ["site-config-ro", "current", `site-config-ro-${TODAY}-2`],
    ["site-config-ro", "superseded", `site-config-ro-${TODAY}`],
  ]);

  const out = join(dir, "env-tokens.js");
  const written = await tokens("write-file", "--env", "staging", "--out", out);
  expect(written.code).toBe(0);
  expect(parseTokensFile(readFileSync(out, "utf8"))).toEqual({
    site_config: { name: `site-config-ro-${TODAY}-2`, reference: sandbox.state.edgeKv.tokens[1]!.uuid },
  });

  const notDeclared = await tokens("create", "--env", "staging", "other");
  expect(notDeclared.code).toBe(64);
  expect(notDeclared.stderr).toContain(
    '"other" is not a declared token of environment staging; declared prefixes: site-config-ro',
  );
});

test("refresh and revoke (revoke asks for --yes)", async () => {
  await tokens("create", "r-1", "--namespace", "site_config=r", "--staging", "allow", "--production", "allow");
  const refreshed = await tokens("refresh", "r-1");
  expect(refreshed.code).toBe(0);
  expect(refreshed.stdout).toMatch(
    /^refreshed r-1: latest refresh \d{4}-\d{2}-\d{2}, next scheduled refresh \d{4}-\d{2}-\d{2}\n$/,
  );

  const unconfirmed = await tokens("revoke", "r-1");
  expect(unconfirmed.code).toBe(64);
  expect(unconfirmed.stderr).toContain("revoking is irreversible");
  expect(sandbox.state.edgeKv.tokens[0]!.revokedMs).toBeUndefined();
  const revoked = await tokens("revoke", "r-1", "--yes");
  expect(revoked).toEqual({ code: 0, stdout: `revoked r-1 (uuid ${sandbox.state.edgeKv.tokens[0]!.uuid})\n`, stderr: "" });

  const missing = await tokens("refresh", "r-1");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/refresh EdgeKV token r-1 \(POST \/edgekv\/v1\/tokens\/r-1\/refresh\) failed: HTTP 404/);
});

test("bad command lines are exit 64 and name the flag and what it accepts", async () => {
  const cases: Array<[string[], string]> = [
    [["show"], 'command "show" is not allowed; allowed: list, create, refresh, revoke, write-file'],
    [
      ["create", "x", "--namespace", "ns=rx", "--staging", "allow", "--production", "deny"],
      '--namespace "ns=rx" is not NS=PERMS',
    ],
    [
      ["create", "x", "--namespace", "ns=r", "--staging", "yes", "--production", "deny"],
      '--staging "yes" is not allowed; allowed: allow, deny',
    ],
    [["create", "x", "--namespace", "ns=r", "--staging", "deny", "--production", "deny"], "cannot both be deny"],
    [["create", "x", "--staging", "allow", "--production", "deny"], "create needs --namespace NS=PERMS"],
    [["list", "--bogus"], 'unknown option "--bogus"'],
    [["write-file", "x"], "write-file needs --out PATH"],
    [["list", "--env", "qa"], '--env "qa" is not an environment in config/; allowed: dev, staging, prod'],
  ];
  for (const [args, message] of cases) {
    const result = await tokens(...args);
    expect({ args, code: result.code }).toEqual({ args, code: 64 });
    expect(result.stderr).toContain(message);
  }
});

test("a refused credential is exit 1 with what to check; no secret is printed", async () => {
  const capture = captureIo({ env: LOOPBACK });
  const code = await tokensCommand(["list", "--edgerc", edgerc, "--section", "wrong"], capture.io);
  expect(code).toBe(1);
  expect(capture.stderr()).toMatch(
    /list EdgeKV tokens \(GET \/edgekv\/v1\/tokens\) failed: HTTP 401 .*the credential was refused/,
  );
  expect(capture.stderr()).not.toContain(TEST_CLIENT.clientSecret);
});

test("through the edgeplane command: tokens list works against the sandbox, and refuses plain http to loopback unless allowed", async () => {
  const ok = await runCli(["tokens", "list", "--edgerc", edgerc, "--section", "s"], { env: LOOPBACK });
  expect(ok).toEqual({ code: 0, stdout: "no tokens\n", stderr: "" });
  const refused = await runCli(["tokens", "list", "--edgerc", edgerc, "--section", "s"]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("EDGEPLANE_INSECURE_LOOPBACK");
  const help = await runCli(["help"]);
  expect(help.stdout).toContain("tokens             EdgeKV access tokens");
});

test("without --edgerc the AKAMAI_<SECTION>_* variables are the credential; an incomplete set names what is missing", async () => {
  const env = {
    ...LOOPBACK,
    AKAMAI_CI_HOST: sandbox.url,
    AKAMAI_CI_CLIENT_TOKEN: TEST_CLIENT.clientToken,
    AKAMAI_CI_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    AKAMAI_CI_ACCESS_TOKEN: TEST_CLIENT.accessToken,
  };
  expect(
    (await tokens("create", "ci-token", "--namespace", "site_config=r", "--staging", "allow", "--production", "deny")).code,
  ).toBe(0);
  const capture = captureIo({ env });
  expect(await tokensCommand(["list", "--section", "ci", "--json"], capture.io)).toBe(0);
  expect(capture.stderr()).toBe("");
  expect((JSON.parse(capture.stdout()) as { tokens: Array<{ name: string }> }).tokens.map((t) => t.name)).toEqual(["ci-token"]);

  const { AKAMAI_CI_ACCESS_TOKEN: _a, ...partial } = env;
  const refused = captureIo({ env: partial });
  expect(await tokensCommand(["list", "--section", "ci"], refused.io)).toBe(1);
  expect(refused.stderr()).toMatch(/AKAMAI_CI_ACCESS_TOKEN is not set/);
  expect(refused.stderr()).not.toContain(TEST_CLIENT.clientSecret);
});
