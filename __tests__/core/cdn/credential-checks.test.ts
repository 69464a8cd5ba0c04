/**
 * Credential validation per CDN against the emulators over loopback HTTP (fetch for Fastly and Cloudflare, the real
 * AWS SDK for STS and CloudFront): good credentials, missing scopes and permissions, expired and wrong tokens, probes.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { STSClient } from "@aws-sdk/client-sts";
import { cloudFrontTransport } from "../../../core/cdn/cloudfront-sdk";
import {
  type CredentialReport,
  checkCloudflareCredential,
  checkCloudFrontCredential,
  checkFastlyCredential,
  daysUntilExpiry,
} from "../../../core/cdn/credential-checks";
import { checkStsEndpointOverride, createCloudFrontCheckClients, stsCallerIdentity } from "../../../core/cdn/credential-sdk";
import { CdnConfigError } from "../../../core/cdn/types";
import { cloudflarePurgedObjects, startCloudflareEmulator, type CloudflareEmulator } from "../../../sandbox/cloudflare";
import { cloudFrontInvalidatedPaths, startCloudFrontEmulator, type CloudFrontEmulator } from "../../../sandbox/cloudfront";
import { fastlyPurgedObjects, startFastlyEmulator, type FastlyEmulator } from "../../../sandbox/fastly";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const statuses = (r: CredentialReport) => Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
const reasons = (r: CredentialReport) => r.checks.map((c) => c.reason).join("\n");

describe("daysUntilExpiry", () => {
  it("counts whole days left with a fake clock: 0 under a day, negative once expired", () => {
    expect(daysUntilExpiry("2026-12-30T12:00:00Z", NOW)).toBe(30);
    expect(daysUntilExpiry("2026-12-30T11:59:59Z", NOW)).toBe(29);
    expect(daysUntilExpiry("2026-11-30T23:00:00Z", NOW)).toBe(0);
    expect(daysUntilExpiry("2026-11-30T11:00:00Z", NOW)).toBe(-1);
    expect(() => daysUntilExpiry("soon", NOW)).toThrow('expiry "soon" is not an ISO 8601 time');
  });
});

describe("Fastly credential checks (GET /tokens/self, probe: one random surrogate key)", () => {
  let emulator: FastlyEmulator;
  const SVC = "SVCGOOD1";
  const env = () => ({ EDGEPLANE_FASTLY_API_URL: emulator.url, EDGEPLANE_INSECURE_LOOPBACK: "1" });
  const check = (token: string, extra: { purgeAll?: boolean; probe?: boolean; serviceId?: string; now?: () => number } = {}) =>
    checkFastlyCredential({ token, serviceId: extra.serviceId ?? SVC, env: env(), ...extra });

  beforeAll(async () => {
    emulator = await startFastlyEmulator({
      services: [{ id: SVC }, { id: "SVCOTHER" }],
      tokens: [
        {
          token: "good-token",
          scope: "purge_select purge_all",
          services: [SVC],
          expiresAtMs: Date.now() + 45.5 * DAY,
          name: "ci purge",
        },
        { token: "global-token", scope: "global" },
        { token: "read-token", scope: "global:read" },
        { token: "select-token", scope: "purge_select" },
        { token: "other-service-token", scope: "purge_select", services: ["SVCOTHER", "SVCTHIRD"] },
        { token: "expired-token", scope: "purge_select", expiresAtMs: Date.now() - DAY },
      ],
    });
  });
  afterAll(() => emulator.close());

  it("a good token: token, expiry, scope, purge_all and service ok, days to expiry reported, nothing purged", async () => {
    const before = emulator.state.purges.length;
    const result = await check("good-token", { purgeAll: true });
    expect(statuses(result)).toEqual({ token: "ok", expiry: "ok", scope: "ok", "scope purge_all": "ok", service: "ok" });
    expect(result.ok).toBe(true);
    expect(result.daysToExpiry).toBe(45);
    expect(result.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(result.notes.join(" ")).toMatch(/a URL purge would prove nothing/);
    expect(emulator.state.purges.length).toBe(before);
    expect(JSON.stringify(result)).not.toContain("good-token");
  });

  it("a global token without service limits and without expiry is ok", async () => {
    const result = await check("global-token", { purgeAll: true });
    expect(result.ok).toBe(true);
    expect(result.expiresAt).toBeNull();
    expect(result.daysToExpiry).toBeUndefined();
    expect(result.checks.find((c) => c.name === "expiry")!.reason).toBe("the token does not expire");
  });

  it("names a missing purge_select scope, and purge_all only when purge-all is configured", async () => {
    const read = await check("read-token");
    expect(read.ok).toBe(false);
    expect(read.checks.find((c) => c.name === "scope")).toEqual({
      name: "scope",
      status: "missing",
      reason: 'token scope lacks purge_select (or global); the token\'s scope is "global:read"',
    });
    expect(statuses(await check("select-token"))).toEqual({ token: "ok", expiry: "ok", scope: "ok", service: "ok" });
    const withPurgeAll = await check("select-token", { purgeAll: true });
    expect(withPurgeAll.ok).toBe(false);
    expect(withPurgeAll.checks.find((c) => c.name === "scope purge_all")!.reason).toMatch(
      /^token scope lacks purge_all \(or global\), needed because purge-all is configured/,
    );
  });

  it("names a service the token is not allowed on", async () => {
    const result = await check("other-service-token");
    expect(result.checks.find((c) => c.name === "service")).toEqual({
      name: "service",
      status: "missing",
      reason: "service SVCGOOD1 not allowed by this token (it is limited to SVCOTHER, SVCTHIRD)",
    });
  });

  it("a wrong or expired token is refused, without echoing it and without probing", async () => {
    for (const token of ["wrong-token-value", "expired-token"]) {
      const before = emulator.state.requests.length;
      const result = await check(token, { probe: true });
      expect(result.checks).toEqual([
        {
          name: "token",
          status: "refused",
          reason:
            "Fastly refused the token (HTTP 401: Provided credentials are missing or invalid): it is wrong, revoked or expired",
        },
      ]);
      expect(result.ok).toBe(false);
      expect(emulator.state.requests.length).toBe(before + 1);
      expect(JSON.stringify(result)).not.toContain(token);
    }
  });

  it("a token past expires_at that the API still answers is refused by the expiry check (fake clock)", async () => {
    const result = await check("good-token", { now: () => Date.now() + 50 * DAY });
    expect(result.checks.find((c) => c.name === "expiry")).toMatchObject({
      status: "refused",
      reason: expect.stringMatching(/^the token expired at /),
    });
    expect(result.daysToExpiry).toBe(-5);
  });

  it("probe: soft-purges one random surrogate key with the token (never a URL purge)", async () => {
    const result = await check("good-token", { probe: true });
    expect(result.ok).toBe(true);
    const probe = result.checks.find((c) => c.name === "probe")!;
    expect(probe.reason).toMatch(
      /^soft-purged the random surrogate key edgeplane-validate-[0-9a-f-]{36} on service SVCGOOD1 \(purge id /,
    );
    const last = emulator.state.purges.at(-1)!;
    expect(last).toMatchObject({ kind: "key", serviceId: SVC, soft: true });
    expect(probe.reason).toContain(last.objects[0]);
    expect(fastlyPurgedObjects(emulator.state, { kind: "url" })).toEqual([]);
  });

  it("probe: a token without purge scope or service gets the probe named as missing", async () => {
    const read = await check("read-token", { probe: true });
    expect(read.checks.find((c) => c.name === "probe")).toMatchObject({
      status: "missing",
      reason: expect.stringMatching(/^the token may not purge surrogate keys on service SVCGOOD1 \(HTTP 403: /),
    });
    const other = await check("other-service-token", { probe: true });
    expect(other.checks.find((c) => c.name === "probe")!.reason).toMatch(/not allowed to act on service SVCGOOD1/);
  });

  it("a token that may not read /tokens/self (403): unproven without a probe, proven by one", async () => {
    const strict = await startFastlyEmulator({
      services: [{ id: SVC }],
      tokens: [{ token: "select-only", scope: "purge_select", services: [SVC] }],
      tokensSelfNeedsRead: true,
    });
    try {
      const strictEnv = { EDGEPLANE_FASTLY_API_URL: strict.url, EDGEPLANE_INSECURE_LOOPBACK: "1" };
      const without = await checkFastlyCredential({ token: "select-only", serviceId: SVC, env: strictEnv });
      expect(statuses(without)).toEqual({ token: "ok", scope: "error" });
      expect(without.ok).toBe(false);
      expect(without.checks[1]!.reason).toMatch(
        /^the token's scope, services and expiry cannot be read \(GET \/tokens\/self answered HTTP 403 .*\); run with probe to prove purging$/,
      );
      expect(without.expiresAt).toBeUndefined();
      const probed = await checkFastlyCredential({ token: "select-only", serviceId: SVC, env: strictEnv, probe: true });
      expect(statuses(probed)).toEqual({ token: "ok", probe: "ok" });
      expect(probed.ok).toBe(true);
      expect(probed.notes.join(" ")).toMatch(/the probe decides whether it may purge/);
      expect(fastlyPurgedObjects(strict.state, { kind: "key", serviceId: SVC })).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });

  it("an unreachable API is an error naming the call, not a refusal", async () => {
    const result = await checkFastlyCredential({
      token: "good-token",
      serviceId: SVC,
      env: { EDGEPLANE_FASTLY_API_URL: "http://127.0.0.1:9", EDGEPLANE_INSECURE_LOOPBACK: "1" },
    });
    expect(result.checks).toEqual([
      {
        name: "token",
        status: "error",
        reason: expect.stringMatching(/^GET \/tokens\/self failed: GET http:\/\/127\.0\.0\.1:9\/tokens\/self failed/),
      },
    ]);
  });

  it("an empty token is missing; a non-loopback override is refused before anything is sent", async () => {
    expect((await check("  ")).checks).toEqual([
      { name: "token", status: "missing", reason: "no Fastly API token was given (FASTLY_API_TOKEN is empty)" },
    ]);
    await expect(
      checkFastlyCredential({
        token: "t",
        serviceId: SVC,
        env: { EDGEPLANE_FASTLY_API_URL: "https://evil.example", EDGEPLANE_INSECURE_LOOPBACK: "1" },
      }),
    ).rejects.toThrow(CdnConfigError);
  });
});

describe("Cloudflare credential checks (token verify, user then account form; probe: one random tag)", () => {
  let emulator: CloudflareEmulator;
  const ZONE = "0123456789abcdef0123456789abcdef";
  const OTHER_ZONE = "fedcba9876543210fedcba9876543210";
  const ACCOUNT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const env = () => ({ EDGEPLANE_CLOUDFLARE_API_URL: `${emulator.url}/client/v4`, EDGEPLANE_INSECURE_LOOPBACK: "1" });
  const check = (token: string, extra: { accountId?: string; probe?: boolean } = {}) =>
    checkCloudflareCredential({ token, zoneId: ZONE, env: env(), ...extra });

  beforeAll(async () => {
    emulator = await startCloudflareEmulator({
      zones: [
        { id: ZONE, plan: "free", accountId: ACCOUNT },
        { id: OTHER_ZONE, plan: "free", accountId: ACCOUNT },
      ],
      tokens: [
        { token: "user-token", kind: "user", purgeZones: [ZONE], expiresOnMs: Date.now() + 10.5 * DAY },
        { token: "account-token", kind: "account", accountId: ACCOUNT, purgeZones: [ZONE] },
        { token: "other-zone-token", kind: "user", purgeZones: [OTHER_ZONE] },
        { token: "expired-token", kind: "user", expiresOnMs: Date.now() - DAY },
        { token: "disabled-token", kind: "user", status: "disabled" },
      ],
    });
  });
  afterAll(() => emulator.close());

  it("a good user token: active, expiry with days left; purge permission noted as unproven without a probe", async () => {
    const before = emulator.state.purges.length;
    const result = await check("user-token");
    expect(statuses(result)).toEqual({ token: "ok", expiry: "ok" });
    expect(result.ok).toBe(true);
    expect(result.daysToExpiry).toBe(10);
    expect(result.notes.join(" ")).toMatch(
      /Cache Purge on zone 0123456789abcdef0123456789abcdef is not proven: token verify lists no permissions/,
    );
    expect(emulator.state.purges.length).toBe(before);
    expect(JSON.stringify(result)).not.toContain("user-token");
  });

  it("an account-owned token fails the user form and passes the account form when the account id is given", async () => {
    const withoutAccount = await check("account-token");
    expect(withoutAccount.checks).toEqual([
      {
        name: "token",
        status: "refused",
        reason: expect.stringMatching(
          /^Cloudflare refused the token \(GET \/user\/tokens\/verify: HTTP 401 1000 Invalid API Token\); if it is an account-owned token, give the account id/,
        ),
      },
    ]);
    const withAccount = await check("account-token", { accountId: ACCOUNT });
    expect(withAccount.checks[0]).toEqual({
      name: "token",
      status: "ok",
      reason: `an active account token (verified at /accounts/${ACCOUNT}/tokens/verify)`,
    });
    expect(withAccount.ok).toBe(true);
    expect(withAccount.expiresAt).toBeNull();
    const paths = emulator.state.requests.slice(-2).map((r) => r.path);
    expect(paths).toEqual(["/client/v4/user/tokens/verify", `/client/v4/accounts/${ACCOUNT}/tokens/verify`]);
  });

  it("expired, disabled and wrong tokens are refused, and no probe is sent", async () => {
    const expired = await check("expired-token", { probe: true });
    expect(expired.checks.find((c) => c.name === "token")).toEqual({
      name: "token",
      status: "refused",
      reason: "the token's status is expired",
    });
    expect(expired.checks.find((c) => c.name === "expiry")!.status).toBe("refused");
    expect((await check("disabled-token")).checks[0]).toEqual({
      name: "token",
      status: "refused",
      reason: "the token's status is disabled",
    });
    const wrong = await check("no-such-token", { accountId: ACCOUNT, probe: true });
    expect(wrong.checks).toEqual([
      { name: "token", status: "refused", reason: expect.stringContaining(`GET /accounts/${ACCOUNT}/tokens/verify: HTTP 401`) },
    ]);
    expect(emulator.state.requests.filter((r) => r.path.endsWith("/purge_cache"))).toHaveLength(0);
  });

  it("probe: purges one random tag; a token without Cache Purge on the zone is named", async () => {
    const good = await check("user-token", { probe: true });
    expect(good.ok).toBe(true);
    expect(good.checks.find((c) => c.name === "probe")!.reason).toMatch(
      /^purged the random cache tag edgeplane-validate-[0-9a-f-]{36} on zone 0123456789abcdef0123456789abcdef/,
    );
    expect(cloudflarePurgedObjects(emulator.state, { kind: "tags", zoneId: ZONE })).toHaveLength(1);
    expect(good.notes).toEqual([]);

    const other = await check("other-zone-token", { probe: true });
    expect(other.ok).toBe(false);
    expect(other.checks.find((c) => c.name === "probe")).toEqual({
      name: "probe",
      status: "missing",
      reason: expect.stringMatching(
        /^the token lacks Zone → Cache Purge → Purge on zone 0123456789abcdef0123456789abcdef \(or the zone does not exist\) \(HTTP 403: .*Authentication error/,
      ),
    });
  });

  it("a malformed account id is an error, not a request", async () => {
    const before = emulator.state.requests.length;
    expect((await check("user-token", { accountId: "ACME" })).checks[0]!.status).toBe("error");
    expect(emulator.state.requests.length).toBe(before);
  });
});

describe("CloudFront credential checks (STS GetCallerIdentity; probe: one random path, billable)", () => {
  let emulator: CloudFrontEmulator;
  const DIST = "E1SANDBOXDIST";
  const ACCOUNT = "123456789012";
  const GOOD = { accessKeyId: "AKIASANDBOXGOOD00001", secretAccessKey: "sandbox/secret+good0123456789abcdefghijklm" };
  const NO_PERMISSION = { accessKeyId: "AKIASANDBOXNOPERM001", secretAccessKey: "sandbox/secret+noperm0123456789abcdefghij" };
  const clients: Array<{ destroy(): void }> = [];
  const deps = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const sts = new STSClient({ endpoint: emulator.url, region: "us-east-1", credentials, maxAttempts: 1 });
    const cf = new CloudFrontClient({ endpoint: emulator.url, region: "us-east-1", credentials, maxAttempts: 1 });
    clients.push(sts, cf);
    return { callerIdentity: stsCallerIdentity(sts), transport: cloudFrontTransport(cf) };
  };

  beforeAll(async () => {
    emulator = await startCloudFrontEmulator({
      distributions: [{ id: DIST }],
      credentials: [
        { ...GOOD, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/purger`, distributionIds: [DIST] },
        { ...NO_PERMISSION, accountId: ACCOUNT, actions: ["cloudfront:GetInvalidation"] },
      ],
    });
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await emulator.close();
  });

  it("a good credential: the identity is named; CreateInvalidation noted as unproven without a probe; nothing invalidated", async () => {
    const result = await checkCloudFrontCredential({ distributionId: DIST, ...deps(GOOD) });
    expect(result.checks).toEqual([
      {
        name: "identity",
        status: "ok",
        reason: `AWS accepted the credential: account ${ACCOUNT}, arn:aws:iam::${ACCOUNT}:user/purger`,
      },
    ]);
    expect(result.ok).toBe(true);
    expect(result.notes.join(" ")).toMatch(/cloudfront:CreateInvalidation on distribution E1SANDBOXDIST is not proven.*billable/);
    expect(emulator.state.invalidations).toHaveLength(0);
  });

  it("an unknown access key is refused and nothing is probed", async () => {
    const result = await checkCloudFrontCredential({
      distributionId: DIST,
      probe: true,
      ...deps({ ...GOOD, accessKeyId: "AKIANOBODY0000000000" }),
    });
    expect(result.checks).toEqual([
      {
        name: "identity",
        status: "refused",
        reason: expect.stringMatching(/^STS GetCallerIdentity refused the credential: InvalidClientTokenId: /),
      },
    ]);
    expect(emulator.state.invalidations).toHaveLength(0);
  });

  it("probe: one random path invalidated, and the check says it is billable", async () => {
    const result = await checkCloudFrontCredential({ distributionId: DIST, probe: true, ...deps(GOOD) });
    expect(result.ok).toBe(true);
    const probe = result.checks.find((c) => c.name === "probe")!;
    expect(probe).toMatchObject({ status: "ok", billable: true });
    expect(probe.reason).toMatch(
      /^invalidated the random path \/edgeplane-validate-[0-9a-f-]{36} on distribution E1SANDBOXDIST \(invalidation I[A-Z0-9]+\); billable: one invalidation path/,
    );
    expect(cloudFrontInvalidatedPaths(emulator.state, DIST)).toHaveLength(1);
    expect(probe.reason).toContain(cloudFrontInvalidatedPaths(emulator.state, DIST)[0]);
  });

  it("probe: a credential without cloudfront:CreateInvalidation gets it named as missing (identity still ok)", async () => {
    const result = await checkCloudFrontCredential({ distributionId: DIST, probe: true, ...deps(NO_PERMISSION) });
    expect(statuses(result)).toEqual({ identity: "ok", probe: "missing" });
    expect(reasons(result)).toMatch(
      /the credential may not create invalidations on distribution E1SANDBOXDIST \(cloudfront:CreateInvalidation on its ARN\) \(HTTP 403: .*not authorized to perform: cloudfront:CreateInvalidation/,
    );
    expect(result.checks.find((c) => c.name === "probe")!.billable).toBeUndefined();
  });

  it("no credentials in the chain is missing, not an error", async () => {
    const result = await checkCloudFrontCredential({
      distributionId: DIST,
      callerIdentity: async () => ({
        kind: "error",
        name: "CredentialsProviderError",
        message: "Could not load credentials from any providers",
      }),
    });
    expect(result.checks).toEqual([
      {
        name: "identity",
        status: "missing",
        reason: "no AWS credentials were found in the SDK credential chain (Could not load credentials from any providers)",
      },
    ]);
  });

  it("the clients for the CLI refuse non-loopback STS and CloudFront overrides, and follow loopback ones", async () => {
    expect(() =>
      checkStsEndpointOverride({ AWS_ENDPOINT_URL_STS: "https://sts.evil.example", EDGEPLANE_INSECURE_LOOPBACK: "1" }),
    ).toThrow(/AWS_ENDPOINT_URL_STS is not allowed/);
    expect(() => createCloudFrontCheckClients({ AWS_ENDPOINT_URL_STS: emulator.url })).toThrow(
      /EDGEPLANE_INSECURE_LOOPBACK is not 1/,
    );
    expect(() =>
      createCloudFrontCheckClients({ AWS_ENDPOINT_URL: "http://10.0.0.1:80", EDGEPLANE_INSECURE_LOOPBACK: "1" }),
    ).toThrow(/the host must be 127.0.0.1 or localhost/);

    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_STS: emulator.url,
      AWS_ENDPOINT_URL_CLOUDFRONT: emulator.url,
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      AWS_ACCESS_KEY_ID: GOOD.accessKeyId,
      AWS_SECRET_ACCESS_KEY: GOOD.secretAccessKey,
      AWS_REGION: "us-east-1",
    });
    const made = createCloudFrontCheckClients(process.env);
    try {
      const result = await checkCloudFrontCredential({ distributionId: DIST, ...made });
      expect(result.checks[0]!.status).toBe("ok");
    } finally {
      made.close();
      process.env = saved;
    }
  });
});
