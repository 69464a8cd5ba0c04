/**
 * `edgeplane tokens` against an account as the live API shows it: legacy tokens near expiry whose list items
 * carry null in tokenActivationStatus, issueDate, latestRefreshDate and nextScheduledRefreshDate, and an
 * enhanced token never refreshed (the sandbox's default seed, sandbox/seed-tokens.ts). Before tolerant
 * reading, one such token made every token command exit 1 with "expected string, received null".
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { EdgeGridTransport } from "../../../core/edgegrid/transport";
import { parseTokensFile } from "../../../core/tokens/tokens-file";
import { tokensCommand } from "../../../cli/tokens";
import { defaultSeedTokens, SEEDED_ENHANCED_TOKEN } from "../../../sandbox/seed-tokens";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { TEST_CLIENT } from "../../helpers/sandbox-harness";
import { captureIo } from "../purge/run-cli";
import { writeSandboxEdgerc } from "../sandbox-edgerc";

const LOOPBACK = { EDGEPLANE_INSECURE_LOOPBACK: "1" };
const TODAY = new Date().toISOString().slice(0, 10).replace(/-/g, "");

let sandbox: Sandbox;
let dir: string;
let edgerc: string;

beforeEach(async () => {
  sandbox = await startSandbox({ clients: [TEST_CLIENT], edgeKv: { tokens: defaultSeedTokens(Date.now()) } });
  ({ dir, edgerc } = writeSandboxEdgerc(sandbox, "edgeplane-tokens-live-test-"));
});
afterEach(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function tokens(...args: string[]) {
  const capture = captureIo({ env: LOOPBACK });
  const [sub, ...rest] = args;
  const code = await tokensCommand([sub as string, "--edgerc", edgerc, "--section", "s", ...rest], capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

function seeded(prefix: string) {
  const token = sandbox.state.edgeKv.tokens.find((t) => t.name.startsWith(`${prefix}-`));
  if (!token) throw new Error(`no seeded ${prefix} token`);
  return token;
}

test("the seeded list really carries nulls (what broke the commands)", async () => {
  const transport = new EdgeGridTransport({ credentials: { host: sandbox.url, ...TEST_CLIENT }, env: LOOPBACK });
  try {
    const response = await transport.request({ method: "GET", path: "/edgekv/v1/tokens" });
    const site = seeded("site-config-ro");
    expect((response.body as { tokens: unknown[] }).tokens).toContainEqual({
      name: site.name,
      uuid: site.uuid,
      expiry: site.expiry,
      tokenActivationStatus: null,
      issueDate: null,
      latestRefreshDate: null,
      nextScheduledRefreshDate: null,
    });
  } finally {
    transport.close();
  }
});

test("list: every token, legacy ones with their days left, exit 0 and no warning", async () => {
  const listed = await tokens("list");
  expect(listed.stderr).toBe("");
  expect(listed.code).toBe(0);
  const site = seeded("site-config-ro");
  const dev = seeded("dev-config-ro");
  expect(listed.stdout).toMatch(new RegExp(`^${site.name}\\s+legacy\\s+VALID\\s+${site.expiry}\\s+3\\s+${site.uuid}$`, "m"));
  expect(listed.stdout).toMatch(new RegExp(`^${dev.name}\\s+legacy\\s+VALID\\s+${dev.expiry}\\s+6\\s+${dev.uuid}$`, "m"));
  expect(listed.stdout).toMatch(new RegExp(`^${SEEDED_ENHANCED_TOKEN}\\s+enhanced\\s+COMPLETE\\s+never\\s+-\\s`, "m"));

  const json = JSON.parse((await tokens("list", "--json")).stdout) as { tokens: Array<Record<string, unknown>> };
  expect(json.tokens.find((t) => t.name === site.name)).toEqual({
    name: site.name,
    uuid: site.uuid,
    kind: "legacy",
    state: "usable",
    expiry: site.expiry,
    daysToExpiry: 3,
  });

  const env = await tokens("list", "--env", "staging");
  expect(env.code).toBe(0);
  expect(
    env.stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s+/).slice(0, 4)),
  ).toEqual([["site-config-ro", "current", site.name, "legacy"]]);
});

test("create --env makes the next dated token beside the legacy one; write-file --env writes the current token of each prefix", async () => {
  const dev = seeded("dev-config-ro");
  // dev's current token is the seeded legacy one: its value goes into the file.
  const devFile = join(dir, "dev-tokens.js");
  const devWritten = await tokens("write-file", "--env", "dev", "--out", devFile);
  expect(devWritten).toEqual({ code: 0, stdout: `wrote ${devFile}:\n  namespace-dev_config: ${dev.name} (value)\n`, stderr: "" });
  expect(parseTokensFile(readFileSync(devFile, "utf8"))).toEqual({ dev_config: { name: dev.name, value: dev.value } });

  const created = await tokens("create", "--env", "staging", "site-config-ro");
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  expect(created.stdout).toContain(`created enhanced token site-config-ro-${TODAY} `);

  const out = join(dir, "staging-tokens.js");
  const written = await tokens("write-file", "--env", "staging", "--out", out);
  expect(written.code).toBe(0);
  const fresh = sandbox.state.edgeKv.tokens.find((t) => t.name === `site-config-ro-${TODAY}`)!;
  expect(parseTokensFile(readFileSync(out, "utf8"))).toEqual({ site_config: { name: fresh.name, reference: fresh.uuid } });
  const listed = await tokens("list", "--env", "staging");
  expect(
    listed.stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s+/).slice(0, 3)),
  ).toEqual([
    ["site-config-ro", "current", fresh.name],
    ["site-config-ro", "superseded", seeded("site-config-ro").name],
  ]);
});

test("a list item that cannot be read is named in a warning and the others are still listed", async () => {
  const broken = { ...seeded("dev-config-ro"), name: "broken-token", uuid: "" };
  sandbox.state.edgeKv.tokens.push(broken);
  const listed = await tokens("list");
  expect(listed.code).toBe(0);
  expect(listed.stderr).toBe(
    "edgeplane tokens: warning: the token list has 1 unreadable item(s): name broken-token (tokens.3.uuid: must be at least 1 character(s)); left out\n",
  );
  expect(listed.stdout).toContain(SEEDED_ENHANCED_TOKEN);
  expect(listed.stdout).not.toContain("broken-token");

  const created = await tokens("create", "--env", "staging", "site-config-ro");
  expect(created.code).toBe(0);
  expect(created.stderr).toContain("name broken-token");
});
