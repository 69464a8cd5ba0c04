/** `edgeplane validate-credentials` against the sandbox: what is present, what is missing, exit codes. */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { validateCredentialsCommand } from "../../../cli/validate-credentials";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { TEST_CLIENT } from "../../helpers/sandbox-harness";
import { captureIo, runCli } from "../purge/run-cli";
import { writeSandboxEdgerc } from "../sandbox-edgerc";

const LOOPBACK = { EDGEPLANE_INSECURE_LOOPBACK: "1" };
const EW = 4242;

let sandbox: Sandbox;
let dir: string;
let edgerc: string;

beforeAll(async () => {
  sandbox = await startSandbox({ clients: [TEST_CLIENT], edgeWorkers: { ids: [EW, 42002] } });
  ({ dir, edgerc } = writeSandboxEdgerc(sandbox, "edgeplane-validate-test-"));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => sandbox.setFaults([]));

async function validate(...args: string[]) {
  const capture = captureIo({ env: LOOPBACK });
  const code = await validateCredentialsCommand(["--edgerc", edgerc, "--section", "s", ...args], capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

test("a credential that reaches everything: four ok lines and exit 0", async () => {
  const result = await validate("--edgeworker-id", String(EW));
  expect(result.code).toBe(0);
  expect(result.stderr).toBe("");
  const lines = result.stdout.trimEnd().split("\n");
  expect(lines[0]).toBe(`credential [s] in ${edgerc}, host ${sandbox.url}`);
  expect(
    lines.slice(1, 5).map((l) =>
      l
        .trim()
        .split(/\s{2,}/)
        .slice(0, 2),
    ),
  ).toEqual([
    ["ok", "CCU purge (Fast Purge v3)"],
    ["ok", "EdgeKV access tokens"],
    ["ok", "IAM self-credentials"],
    ["ok", "EdgeWorkers"],
  ]);
  expect(lines[4]).toContain(`GET /edgeworkers/v1/ids/${EW}/versions: ${EW}: 0 versions`);
  expect(lines[5]).toBe("all 4 checks passed (reads only: write access is not exercised)");
  // The rate-limit status read purges nothing.
  expect(sandbox.state.purges).toEqual([]);
});

test("a missing API service (403) is named with what to grant, and the exit code is 1; --json has the same", async () => {
  sandbox.setFaults([{ pathPrefix: "/edgekv/", status: 403 }]);
  const result = await validate("--edgeworker-id", String(EW));
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/MISSING\s+EdgeKV access tokens\s+GET \/edgekv\/v1\/tokens → HTTP 403/);
  expect(result.stdout).toContain('→ grant the API client the API service "EdgeKV" with READ-WRITE');
  expect(result.stdout).toContain("3 of 4 checks passed; not ok: EdgeKV access tokens (missing)");

  sandbox.setFaults([{ pathPrefix: "/identity-management/", status: 403 }]);
  const json = await validate("--edgeworker-id", String(EW), "--json");
  expect(json.code).toBe(1);
  const body = JSON.parse(json.stdout);
  expect(body).toMatchObject({ ok: false, section: "s", host: sandbox.url });
  expect(body.checks.map((c: { id: string; outcome: string }) => [c.id, c.outcome])).toEqual([
    ["ccu", "ok"],
    ["edgekv", "ok"],
    ["iam", "missing"],
    ["edgeworkers", "ok"],
  ]);
  expect(body.checks[2]).toMatchObject({
    status: 403,
    calls: ["GET /identity-management/v3/api-clients/self/credentials"],
    hint: expect.stringContaining("Identity and Access Management"),
  });
});

test("a refused credential (401) is reported for every API, without printing any secret", async () => {
  const capture = captureIo({ env: LOOPBACK });
  const code = await validateCredentialsCommand(
    ["--edgerc", edgerc, "--section", "wrong", "--edgeworker-id", String(EW)],
    capture.io,
  );
  expect(code).toBe(1);
  expect(capture.stdout().match(/REFUSED/g)).toHaveLength(4);
  expect(capture.stdout()).toContain("the credential was refused by every API (HTTP 401)");
  expect(capture.stdout()).toContain("check client_token, client_secret, access_token and host");
  expect(capture.stdout()).not.toContain(TEST_CLIENT.clientSecret);
});

test("EdgeWorker ids come from --env too; an unknown id is an error with a hint; without ids the id list is read", async () => {
  const fromEnv = await validate("--env", "staging", "--json");
  expect(JSON.parse(fromEnv.stdout).checks[3]).toMatchObject({
    outcome: "ok",
    calls: ["GET /edgeworkers/v1/ids/42002/versions"],
  });

  const unknown = await validate("--edgeworker-id", "999");
  expect(unknown.code).toBe(1);
  expect(unknown.stdout).toMatch(/ERROR\s+EdgeWorkers\s+GET \/edgeworkers\/v1\/ids\/999\/versions → HTTP 404/);
  expect(unknown.stdout).toContain("the EdgeWorker id does not exist or is not visible to this client");

  // Without ids the check lists the account's EdgeWorker ids instead.
  const noIds = await validate("--json");
  expect(noIds.code).toBe(0);
  expect(JSON.parse(noIds.stdout).checks[3]).toMatchObject({ outcome: "ok", calls: ["GET /edgeworkers/v1/ids"] });
});

test("bad command lines are exit 64; an unreadable .edgerc is exit 1", async () => {
  for (const [args, message] of [
    [["extra"], 'unexpected argument "extra"'],
    [["--edgeworker-id", "x1"], '--edgeworker-id "x1" is not an EdgeWorker id'],
    [["--env", "qa"], '--env "qa" is not an environment in config/'],
    [["--verbose"], 'unknown option "--verbose"'],
  ] as Array<[string[], string]>) {
    const result = await validate(...args);
    expect({ args, code: result.code }).toEqual({ args, code: 64 });
    expect(result.stderr).toContain(message);
  }
  const capture = captureIo({ env: LOOPBACK });
  expect(await validateCredentialsCommand(["--edgerc", join(dir, "nope")], capture.io)).toBe(1);
  expect(capture.stderr()).toContain(`cannot read .edgerc file ${join(dir, "nope")} (ENOENT)`);
});

test("through the edgeplane command", async () => {
  const result = await runCli(["validate-credentials", "--edgerc", edgerc, "--section", "s", "--edgeworker-id", String(EW)], {
    env: LOOPBACK,
  });
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("all 4 checks passed");
});

test("without --edgerc the AKAMAI_* variables are the credential (HOME has no .edgerc)", async () => {
  const env = {
    ...LOOPBACK,
    AKAMAI_HOST: sandbox.url,
    AKAMAI_CLIENT_TOKEN: TEST_CLIENT.clientToken,
    AKAMAI_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    AKAMAI_ACCESS_TOKEN: TEST_CLIENT.accessToken,
    HOME: dir,
  };
  const result = await runCli(["validate-credentials", "--edgeworker-id", String(EW), "--json"], { env });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const output = JSON.parse(result.stdout) as { ok: boolean; edgerc: unknown; host: string };
  expect(output).toMatchObject({ ok: true, edgerc: null, host: sandbox.url });

  const { AKAMAI_HOST: _host, ...partial } = env;
  const incomplete = await runCli(["validate-credentials"], { env: partial });
  expect(incomplete.code).toBe(1);
  expect(incomplete.stderr).toMatch(/AKAMAI_HOST is not set/);
  expect(incomplete.stderr).not.toContain(TEST_CLIENT.clientSecret);
});

test("with no --edgerc, no AKAMAI_* variables and no ~/.edgerc, the error says what was tried", async () => {
  const result = await runCli(["validate-credentials"], { env: { ...LOOPBACK, HOME: dir } });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`cannot read .edgerc file ${join(dir, ".edgerc")} (ENOENT)`);
  expect(result.stderr).toMatch(
    /no --edgerc was given and none of AKAMAI_HOST, AKAMAI_CLIENT_TOKEN, AKAMAI_CLIENT_SECRET, AKAMAI_ACCESS_TOKEN is set/,
  );
});
