/**
 * `edgeplane secrets set`: the token from stdin (never argv) into the environment's CDN secret, with the SDK mocked
 * (aws-sdk-client-mock): no real AWS.
 */
import { PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { main } from "../../../cli/main";
import { secretsCommand } from "../../../cli/secrets";
import { exampleEnv, variantEnv } from "../../helpers/synth";
import { captureIo } from "../purge/run-cli";

const TOKEN = "fSt-0123456789abcdefTOKENvalue_xyz";
const FASTLY = "SU1Z0isxPaozGVKXdv0eY";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const FASTLY_SECRET = `arn:aws:secretsmanager:eu-west-1:333333333333:secret:edgeplane/prod/cdn-token/fastly/${FASTLY}`;

const sm = mockClient(SecretsManagerClient);
beforeEach(() => {
  sm.reset();
  sm.on(PutSecretValueCommand).resolves({ VersionId: "v-1", Name: "x" });
});
afterAll(() => sm.restore());

async function run(
  args: string[],
  options: { stdin?: string; stdinIsTty?: boolean; environments?: () => ReturnType<typeof exampleEnv>[] } = {},
) {
  const capture = captureIo({
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    stdinIsTty: options.stdinIsTty ?? false,
  });
  const code = await secretsCommand(args, capture.io, options.environments ? { environments: options.environments } : {});
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}
const puts = () => sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input);

describe("storing a token", () => {
  test("puts the stdin token (one trailing newline removed) into the environment's secret, by a partial ARN pinning account and region", async () => {
    const result = await run(["set", "--env", "prod", "--cdn", "fastly"], { stdin: `${TOKEN}\n` });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(puts()).toEqual([{ SecretId: FASTLY_SECRET, SecretString: TOKEN }]);
    expect(result.stdout).toBe(
      `stored the token for Fastly service ${FASTLY} in edgeplane/prod/cdn-token/fastly/${FASTLY} (account 333333333333, eu-west-1, version v-1)\n`,
    );
    expect(result.stdout).not.toContain(TOKEN);
    // The client talks to the environment's region.
    expect(await sm.commandCalls(PutSecretValueCommand)[0]!.thisValue.config.region()).toBe("eu-west-1");
  });

  test("cloudflare; CRLF and no newline at all are fine too", async () => {
    expect((await run(["set", "--env", "prod", "--cdn", "cloudflare"], { stdin: `${TOKEN}\r\n` })).code).toBe(0);
    expect((await run(["set", "--env=prod", "--cdn=cloudflare"], { stdin: TOKEN })).code).toBe(0);
    const arn = `arn:aws:secretsmanager:eu-west-1:333333333333:secret:edgeplane/prod/cdn-token/cloudflare/${ZONE}`;
    expect(puts()).toEqual([
      { SecretId: arn, SecretString: TOKEN },
      { SecretId: arn, SecretString: TOKEN },
    ]);
  });

  test("through edgeplane's main dispatcher", async () => {
    const capture = captureIo({ stdin: TOKEN, stdinIsTty: false });
    expect(await main(["secrets", "set", "--env", "prod", "--cdn", "fastly"], capture.io)).toBe(0);
    expect(puts()).toHaveLength(1);
    const help = captureIo();
    expect(await main(["help"], help.io)).toBe(0);
    expect(help.stdout()).toContain("secrets set --env E --cdn fastly|cloudflare");
  });
});

describe("the token only ever comes from stdin", () => {
  test.each([
    [["set", "--env", "prod", "--cdn", "fastly", TOKEN]],
    [["set", TOKEN, "--env", "prod", "--cdn", "fastly"]],
    [["set", "--env", "prod", "--cdn", "fastly", `--token=${TOKEN}`]],
    [["set", "--env", "prod", "--cdn", "fastly", "--token", TOKEN]],
    [["set", "--env", "prod", "--cdn", "fastly", "--", TOKEN]],
  ])("%j is refused with exit 64, naming stdin, never echoing the token, calling nothing", async (args) => {
    const result = await run(args, { stdin: "" });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("the token is read from standard input, never from the command line");
    expect(result.stderr + result.stdout).not.toContain(TOKEN);
    expect(puts()).toEqual([]);
  });

  test.each([
    ["empty input", "", "standard input was empty: no token to store"],
    ["a newline alone", "\n", "standard input was empty: no token to store"],
    ["two lines", `${TOKEN}\n${TOKEN}\n`, "standard input holds more than one word"],
    ["two trailing newlines (only one is removed)", `${TOKEN}\n\n`, "standard input holds more than one word"],
    ["a space inside", `${TOKEN} x`, "standard input holds more than one word"],
    ["a whole file", "x".repeat(5000), "standard input holds 5000 characters"],
  ])("%s is refused with exit 1 and nothing stored", async (_name, stdin, message) => {
    const result = await run(["set", "--env", "prod", "--cdn", "fastly"], { stdin });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain(TOKEN);
    expect(puts()).toEqual([]);
  });

  test("a terminal on stdin is refused (typing would echo the token)", async () => {
    const result = await run(["set", "--env", "prod", "--cdn", "fastly"], { stdinIsTty: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("standard input is a terminal");
    expect(puts()).toEqual([]);
  });
});

describe("choosing the environment and target", () => {
  test.each([
    [["set", "--cdn", "fastly"], "--env is required"],
    [["set", "--env", "prod"], "--cdn is required: fastly or cloudflare"],
    [["set", "--env", "qa", "--cdn", "fastly"], '--env "qa" is not an environment in config/; allowed: dev, staging, prod'],
    [["set", "--env", "prod", "--cdn", "edgecast"], '--cdn "edgecast" is not allowed; allowed: fastly, cloudflare'],
    [["set", "--env", "prod", "--cdn", "cloudfront"], '--cdn "cloudfront" has no token'],
    [
      ["set", "--env", "dev", "--cdn", "fastly"],
      'environment "dev" has no fastly target in cdns (its CDNs: none (Akamai alone))',
    ],
    [
      ["set", "--env", "staging", "--cdn", "cloudflare"],
      'environment "staging" has no cloudflare target in cdns (its CDNs: akamai, cloudfront)',
    ],
    [
      ["set", "--env", "prod", "--cdn", "fastly", "--service-id", "NOPE123456"],
      `--service-id "NOPE123456" is not a fastly target of environment "prod"; allowed: ${FASTLY}`,
    ],
    [
      ["set", "--env", "prod", "--cdn", "fastly", "--zone-id", ZONE],
      "--zone-id does not apply to --cdn fastly; use --service-id",
    ],
    [["set", "--env", "prod", "--cdn", "fastly", "--region", "x"], 'unknown option "--region"'],
    [["rotate", "--env", "prod"], 'unknown command "rotate"; commands: set'],
  ])("%j: exit 64, %s", async (args, message) => {
    const result = await run(args, { stdin: TOKEN });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(message);
    expect(puts()).toEqual([]);
  });

  test("with several services, --service-id picks one and is required", async () => {
    const prod = variantEnv("prod", (e) =>
      e.cdns!.push({ cdn: "fastly", serviceId: "SECONDSERVICE1", hostnames: ["www.example.com"] }),
    );
    const environments = () => [prod];
    const ambiguous = await run(["set", "--env", "prod", "--cdn", "fastly"], { stdin: TOKEN, environments });
    expect(ambiguous.code).toBe(64);
    expect(ambiguous.stderr).toContain(
      `environment "prod" lists 2 fastly targets; pick one with --service-id: ${FASTLY}, SECONDSERVICE1`,
    );
    expect(
      (await run(["set", "--env", "prod", "--cdn", "fastly", "--service-id", "SECONDSERVICE1"], { stdin: TOKEN, environments }))
        .code,
    ).toBe(0);
    expect(puts()).toEqual([
      {
        SecretId: "arn:aws:secretsmanager:eu-west-1:333333333333:secret:edgeplane/prod/cdn-token/fastly/SECONDSERVICE1",
        SecretString: TOKEN,
      },
    ]);
  });
});

describe("AWS refusals", () => {
  test("a missing secret says to deploy first; nothing echoes the token", async () => {
    sm.on(PutSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
    );
    const result = await run(["set", "--env", "prod", "--cdn", "fastly"], { stdin: TOKEN });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `edgeplane secrets: secret edgeplane/prod/cdn-token/fastly/${FASTLY} does not exist in account 333333333333, eu-west-1: ` +
        `deploy stack edgeplane-prod with this fastly target first (stack output cdn_token_secret_fastly_${FASTLY})\n`,
    );
  });

  test("access denied names the permissions the caller needs", async () => {
    const denied = Object.assign(
      new Error("User: arn:aws:iam::333333333333:user/x is not authorized to perform: secretsmanager:PutSecretValue"),
      { name: "AccessDeniedException" },
    );
    sm.on(PutSecretValueCommand).rejects(denied);
    const result = await run(["set", "--env", "prod", "--cdn", "cloudflare"], { stdin: TOKEN });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "needs secretsmanager:PutSecretValue on the secret and kms:GenerateDataKey on the key alias/edgeplane-prod-edgegrid",
    );
    expect(result.stderr).not.toContain(TOKEN);
  });
});

test("help", async () => {
  const result = await run(["--help"]);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("The token is read from standard input, never from the command line");
  expect(exampleEnv("prod").cdns).toBeDefined();
});
