/**
 * validate-credentials' EdgeKV check against an account as the live API shows it (sandbox default seed:
 * legacy tokens whose list items carry null refresh fields, an enhanced token never refreshed). Before
 * tolerant reading the check failed with "expected string, received null".
 */
import { rmSync } from "node:fs";
import { validateCredentialsCommand } from "../../../cli/validate-credentials";
import { defaultSeedTokens } from "../../../sandbox/seed-tokens";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { TEST_CLIENT } from "../../helpers/sandbox-harness";
import { captureIo } from "../purge/run-cli";
import { writeSandboxEdgerc } from "../sandbox-edgerc";

const LOOPBACK = { EDGEPLANE_INSECURE_LOOPBACK: "1" };

let sandbox: Sandbox;
let dir: string;
let edgerc: string;

beforeEach(async () => {
  sandbox = await startSandbox({
    clients: [TEST_CLIENT],
    edgeKv: { tokens: defaultSeedTokens(Date.now()) },
    edgeWorkers: { ids: [42001] },
  });
  ({ dir, edgerc } = writeSandboxEdgerc(sandbox, "edgeplane-validate-live-test-"));
});
afterEach(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function validate(...args: string[]) {
  const capture = captureIo({ env: LOOPBACK });
  const code = await validateCredentialsCommand(["--edgerc", edgerc, "--section", "s", ...args], capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

test("tokens with null fields and legacy tokens: every check ok, exit 0", async () => {
  const result = await validate();
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/ok\s+EdgeKV access tokens\s+GET \/edgekv\/v1\/tokens: 3 tokens/);
  expect(result.stdout).toMatch(/ok\s+EdgeWorkers\s+GET \/edgeworkers\/v1\/ids: 1 EdgeWorker id/);
  expect(result.stdout).toContain("all 4 checks passed");
});

test("a token the client cannot read is named in the EdgeKV check's detail; the check still passes", async () => {
  sandbox.state.edgeKv.tokens.push({ ...sandbox.state.edgeKv.tokens[0]!, name: "broken-token", uuid: "" });
  const result = await validate("--json");
  expect(result.code).toBe(0);
  const edgeKv = (JSON.parse(result.stdout) as { checks: Array<{ id: string; outcome: string; detail: string }> }).checks.find(
    (c) => c.id === "edgekv",
  );
  expect(edgeKv).toMatchObject({
    outcome: "ok",
    detail: "3 tokens (and 1 unreadable item(s): name broken-token (tokens.3.uuid: must be at least 1 character(s)))",
  });
});
