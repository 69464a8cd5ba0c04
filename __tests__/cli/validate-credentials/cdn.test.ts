/**
 * `edgeplane validate-credentials --cdn fastly|cloudflare|cloudfront` against the emulators over loopback HTTP (the
 * AWS SDK for CloudFront and STS): a good credential exits 0, a missing permission is named and exits 1.
 */
import { validateCredentialsCommand } from "../../../cli/validate-credentials";
import { type CloudflareEmulator, cloudflarePurgedObjects, startCloudflareEmulator } from "../../../sandbox/cloudflare";
import { type CloudFrontEmulator, cloudFrontInvalidatedPaths, startCloudFrontEmulator } from "../../../sandbox/cloudfront";
import { type FastlyEmulator, fastlyPurgedObjects, startFastlyEmulator } from "../../../sandbox/fastly";
import { scaledIo } from "../purge/cdn-helpers";
import { runCli } from "../purge/run-cli";

const SERVICE = "SVCVALIDATE01";
const ZONE = "0123456789abcdef0123456789abcdef";
const OTHER_ZONE = "fedcba9876543210fedcba9876543210";
const ACCOUNT = "aaaabbbbccccddddeeeeffff00001111";
const DISTRIBUTION = "E1VALIDATEDIST";
const KEY = { accessKeyId: "AKIASANDBOXVALID001", secretAccessKey: "sandbox/validate+secret0123456789abcdefgh" };
const LIST_ONLY = { accessKeyId: "AKIASANDBOXVALID002", secretAccessKey: "sandbox/validate+other0123456789abcdefghi" };
const DAY = 86_400_000;

let fastly: FastlyEmulator;
let cloudflare: CloudflareEmulator;
let cloudfront: CloudFrontEmulator;

beforeAll(async () => {
  [fastly, cloudflare, cloudfront] = await Promise.all([
    startFastlyEmulator({
      services: [{ id: SERVICE }, { id: "SVCOTHER" }],
      tokens: [
        {
          token: "fastly-good",
          scope: "purge_select",
          services: [SERVICE],
          name: "ci purge",
          expiresAtMs: Date.now() + 30 * DAY + 3_600_000,
        },
        { token: "fastly-read-only", scope: "global:read", services: [SERVICE] },
        { token: "fastly-other-service", scope: "purge_select", services: ["SVCOTHER"] },
      ],
    }),
    startCloudflareEmulator({
      zones: [
        { id: ZONE, plan: "pro", accountId: ACCOUNT },
        { id: OTHER_ZONE, plan: "pro", accountId: ACCOUNT },
      ],
      tokens: [
        { token: "cf-good", kind: "user", purgeZones: [ZONE] },
        { token: "cf-other-zone", kind: "user", purgeZones: [OTHER_ZONE] },
        { token: "cf-account", kind: "account", accountId: ACCOUNT, purgeZones: [ZONE] },
      ],
    }),
    startCloudFrontEmulator({
      distributions: [{ id: DISTRIBUTION }],
      credentials: [
        { ...KEY, accountId: "123456789012", distributionIds: [DISTRIBUTION] },
        { ...LIST_ONLY, accountId: "123456789012", actions: ["cloudfront:ListInvalidations"] },
      ],
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([fastly.close(), cloudflare.close(), cloudfront.close()]);
});

const fastlyEnv = (token: string) => ({
  EDGEPLANE_FASTLY_API_URL: fastly.url,
  EDGEPLANE_INSECURE_LOOPBACK: "1",
  FASTLY_API_TOKEN: token,
});
const cloudflareEnv = (token: string) => ({
  EDGEPLANE_CLOUDFLARE_API_URL: `${cloudflare.url}/client/v4`,
  EDGEPLANE_INSECURE_LOOPBACK: "1",
  CLOUDFLARE_API_TOKEN: token,
});
const awsEnv = (key: { accessKeyId: string; secretAccessKey: string }) => ({
  AWS_ENDPOINT_URL_CLOUDFRONT: cloudfront.url,
  AWS_ENDPOINT_URL_STS: cloudfront.url,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: key.accessKeyId,
  AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
  EDGEPLANE_INSECURE_LOOPBACK: "1",
});

async function validate(env: Record<string, string | undefined>, ...argv: string[]) {
  const capture = scaledIo(env);
  const code = await validateCredentialsCommand(argv, capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

describe("fastly", () => {
  test("a purge_select token limited to the service: every check ok, expiry named; --probe soft-purges one random key", async () => {
    const result = await validate(fastlyEnv("fastly-good"), "--cdn", "fastly", "--service-id", SERVICE, "--probe");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^fastly service SVCVALIDATE01 \(token from FASTLY_API_TOKEN\), with a probe purge$/m);
    expect(result.stdout).toMatch(/^ {2}ok\s+token\s+Fastly accepted the token "ci purge"$/m);
    expect(result.stdout).toMatch(/^ {2}ok\s+expiry\s+the token expires at .* \(30 day\(s\) left\)$/m);
    expect(result.stdout).toMatch(/^ {2}ok\s+scope\s+the token's scope is "purge_select"/m);
    expect(result.stdout).toMatch(/^ {2}ok\s+probe\s+soft-purged the random surrogate key edgeplane-validate-/m);
    expect(result.stdout).toMatch(/^all 5 checks passed$/m);
    expect(fastlyPurgedObjects(fastly.state, { kind: "key", soft: true })).toEqual([
      expect.stringMatching(/^edgeplane-validate-/),
    ]);
    expect(result.stdout).not.toContain("fastly-good");
  });

  test("a token without purge_select: MISSING scope named, exit 1; --json has the same", async () => {
    const result = await validate(fastlyEnv("fastly-read-only"), "--cdn", "fastly", "--service-id", SERVICE);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^ {2}MISSING\s+scope\s+token scope lacks purge_select \(or global\); the token's scope is "global:read"$/m,
    );
    expect(result.stdout).toMatch(/not ok: scope \(missing\)$/m);
    const json = await validate(fastlyEnv("fastly-read-only"), "--cdn", "fastly", "--service-id", SERVICE, "--json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      cdn: "fastly",
      target: SERVICE,
      ok: false,
      checks: expect.arrayContaining([{ name: "scope", status: "missing", reason: expect.stringContaining("purge_select") }]),
    });
  });

  test("a token limited to another service, and --allow-purge-all without purge_all: both named, exit 1", async () => {
    const result = await validate(
      fastlyEnv("fastly-other-service"),
      "--cdn",
      "fastly",
      "--service-id",
      SERVICE,
      "--allow-purge-all",
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /MISSING\s+service\s+service SVCVALIDATE01 not allowed by this token \(it is limited to SVCOTHER\)/,
    );
    expect(result.stdout).toMatch(/MISSING\s+scope purge_all\s+token scope lacks purge_all/);
  });

  test("a wrong token is REFUSED, exit 1; no token at all is a usage error naming FASTLY_API_TOKEN", async () => {
    const refused = await validate(fastlyEnv("nope"), "--cdn", "fastly", "--service-id", SERVICE);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/REFUSED\s+token\s+Fastly refused the token \(HTTP 401/);
    const missing = await validate({ ...fastlyEnv(""), FASTLY_API_TOKEN: undefined }, "--cdn", "fastly", "--service-id", SERVICE);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/--cdn fastly needs FASTLY_API_TOKEN/);
  });
});

describe("cloudflare", () => {
  test("a token with Cache Purge on the zone: verify and --probe ok, exit 0", async () => {
    const result = await validate(cloudflareEnv("cf-good"), "--cdn", "cloudflare", "--zone-id", ZONE, "--probe");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok\s+token\s+an active user token/);
    expect(result.stdout).toMatch(
      /ok\s+probe\s+purged the random cache tag edgeplane-validate-.* on zone 0123456789abcdef0123456789abcdef/,
    );
    expect(cloudflarePurgedObjects(cloudflare.state, { kind: "tags", zoneId: ZONE })).toHaveLength(1);
  });

  test("a token without Cache Purge on the zone: the probe names the missing permission, exit 1", async () => {
    const result = await validate(cloudflareEnv("cf-other-zone"), "--cdn", "cloudflare", "--zone-id", ZONE, "--probe");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /MISSING\s+probe\s+the token lacks Zone → Cache Purge → Purge on zone 0123456789abcdef0123456789abcdef/,
    );
  });

  test("without --probe the purge permission is not proven and a note says so; an account token needs --account-id", async () => {
    const plain = await validate(cloudflareEnv("cf-good"), "--cdn", "cloudflare", "--zone-id", ZONE);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/note: Cache Purge on zone .* is not proven/);
    const account = await validate(cloudflareEnv("cf-account"), "--cdn", "cloudflare", "--zone-id", ZONE);
    expect(account.code).toBe(1);
    expect(account.stdout).toMatch(/REFUSED\s+token\s+Cloudflare refused the token .*give the account id/);
    const withAccount = await validate(
      cloudflareEnv("cf-account"),
      "--cdn",
      "cloudflare",
      "--zone-id",
      ZONE,
      "--account-id",
      ACCOUNT,
    );
    expect(withAccount.code).toBe(0);
    expect(withAccount.stdout).toMatch(
      /ok\s+token\s+an active account token \(verified at \/accounts\/aaaabbbbccccddddeeeeffff00001111\/tokens\/verify\)/,
    );
  });
});

describe("cloudfront", () => {
  test("a credential with CreateInvalidation on the distribution: identity and the billable probe ok, exit 0", async () => {
    const result = await validate(awsEnv(KEY), "--cdn", "cloudfront", "--distribution-id", DISTRIBUTION, "--probe");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok\s+identity\s+AWS accepted the credential: account 123456789012/);
    expect(result.stdout).toMatch(
      /ok\s+probe\s+invalidated the random path \/edgeplane-validate-.*billable: one invalidation path.* \[billable\]$/m,
    );
    expect(cloudFrontInvalidatedPaths(cloudfront.state, DISTRIBUTION)).toEqual([expect.stringMatching(/^\/edgeplane-validate-/)]);
  });

  test("a credential without cloudfront:CreateInvalidation: the probe names it, exit 1", async () => {
    const result = await validate(
      awsEnv(LIST_ONLY),
      "--cdn",
      "cloudfront",
      "--distribution-id",
      DISTRIBUTION,
      "--probe",
      "--json",
    );
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ cdn: "cloudfront", target: DISTRIBUTION, ok: false });
    expect(json.checks).toEqual([
      { name: "identity", status: "ok", reason: expect.any(String) },
      {
        name: "probe",
        status: "missing",
        reason: expect.stringMatching(
          /may not create invalidations on distribution E1VALIDATEDIST \(cloudfront:CreateInvalidation on its ARN\)/,
        ),
      },
    ]);
  });

  test("--help says the CloudFront probe is billable", async () => {
    const result = await validate({}, "--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /--probe invalidates one\s+random path on the distribution to prove cloudfront:CreateInvalidation: it is BILLABLE/,
    );
  });
});

describe("usage errors exit 64", () => {
  it.each([
    [["--cdn", "fastly"], /--cdn fastly needs --service-id/],
    [["--cdn", "cloudflare", "--zone-id", "example.com"], /--zone-id "example.com" is not a cloudflare zone id/],
    [["--cdn", "cloudfront", "--distribution-id", DISTRIBUTION, "--edgerc", "x"], /--edgerc only applies to akamai/],
    [
      ["--cdn", "cloudfront", "--distribution-id", DISTRIBUTION, "--zone-id", ZONE],
      /--zone-id only applies with --cdn cloudflare/,
    ],
    [["--cdn", "akamai-ish"], /--cdn "akamai-ish" is not allowed; allowed: akamai, fastly, cloudflare, cloudfront/],
    [["--probe"], /--probe only applies with --cdn fastly, cloudflare or cloudfront/],
  ])("%j", async (argv, message) => {
    const result = await validate({}, ...argv);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
  });
});

test("as a child process (node cli/bin.cjs): cloudflare, a good token", async () => {
  const result = await runCli(["validate-credentials", "--cdn", "cloudflare", "--zone-id", ZONE], {
    env: cloudflareEnv("cf-good"),
  });
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^cloudflare zone 0123456789abcdef0123456789abcdef \(token from CLOUDFLARE_API_TOKEN\)$/m);
});
