/**
 * The deployed entry point: settings from the environment the stack sets, the credential from the
 * rotating secret (Secrets Manager mocked), the fake S3 over loopback (AWS_ENDPOINT_URL_S3, static test
 * credentials in the environment, every request's signature checked), and the real sandbox over loopback
 * for EdgeKV and EdgeWorkers.
 */
import "../rotate-credentials/quiet-logs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { CDN_TOKEN_DAYS_TO_EXPIRY_METRIC, ENV, TOKEN_DAYS_TO_EXPIRY_METRIC } from "../../../core/environment-names";
import { reconcileSettingsFromEnv } from "../../../core/tokens/settings";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import { startCloudflareEmulator, type CloudflareEmulator } from "../../../sandbox/cloudflare";
import { startFastlyEmulator, type FastlyEmulator } from "../../../sandbox/fastly";
import { NEW_CLIENT, captureProcessOutput, secretString, secretsOf } from "../../core/jobs/helpers";
import { startFakeS3, type FakeS3 } from "../../helpers/fake-s3";

type Module = typeof import("../../../functions/edgekv-tokens/index");

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";
const BUCKET = "edgeplane-test-edgekv-tokens-123456789012";
const KEY = "edgekv_tokens/site-ro/edgekv_tokens.js";
const DECLARED = [
  {
    namePrefix: "site-ro",
    namespacePermissions: { site_config: ["r"] },
    allowOnStaging: true,
    allowOnProduction: false,
    edgeWorkerIds: [],
  },
];
const AWS_TEST_CREDENTIALS = {
  accessKeyId: "AKIDEDGEKVTOKENSTEST",
  secretAccessKey: "edgekv-tokens-test-secret",
  sessionToken: "edgekv-tokens-test-session",
};

describe("edgekv-tokens handler", () => {
  const sm = mockClient(SecretsManagerClient);
  let s3: FakeS3;
  let sandbox: Sandbox;
  let mod: Module;
  let output: string[];
  let savedEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    savedEnv = { ...process.env };
    sandbox = await startSandbox({ clients: [NEW_CLIENT], edgeKv: { tokenKind: "legacy" } });
    s3 = await startFakeS3({ bucket: BUCKET, region: "eu-west-1", ...AWS_TEST_CREDENTIALS });
    Object.assign(process.env, {
      [ENV.environmentName]: "test",
      [ENV.edgegridSecretArn]: SECRET_ARN,
      [ENV.edgekvTokens]: JSON.stringify(DECLARED),
      [ENV.tokensBucket]: BUCKET,
      [ENV.tokenExpiryThresholdDays]: "30",
      [ENV.serviceName]: "edgekv-tokens",
      [ENV.metricsNamespace]: "edgeplane",
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: AWS_TEST_CREDENTIALS.sessionToken,
    });
    mod = require("../../../functions/edgekv-tokens/index") as Module;
  });
  beforeEach(() => {
    sm.reset();
    s3.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(sandbox, NEW_CLIENT), VersionId: "v1" });
    output = [];
    captureProcessOutput(output);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    expect(s3.rejections).toEqual([]); // every S3 request was signed as S3 requires
  });
  afterAll(async () => {
    sm.restore();
    process.env = savedEnv;
    await s3.close();
    await sandbox.close();
  });

  it("creates the declared token, publishes the file to the bucket, emits days to expiry, and a second run writes nothing", async () => {
    const first = await mod.handler({ action: "reconcile" });
    expect(first).toMatchObject({
      action: "reconcile",
      created: [{ prefix: "site-ro", kind: "legacy", reason: "missing" }],
      published: [KEY],
      problems: [],
    });
    const put = s3.puts[0]!;
    expect(put).toMatchObject({ key: KEY, contentType: "application/javascript" });
    expect(s3.requests.filter((r) => r.method === "PUT").map((r) => r.rawPath)).toEqual([`/${BUCKET}/${KEY}`]);
    const token = sandbox.state.edgeKv.tokens[0]!;
    expect(String(put.body)).toContain(`"value": "${token.value}"`);

    // One EMF line under {environment} (what the alarm reads) and {environment, token}.
    const emf = output
      .join("")
      .split("\n")
      .filter((line) => line.includes(TOKEN_DAYS_TO_EXPIRY_METRIC))
      .map((line) => JSON.parse(line));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: "edgeplane", Dimensions: [["environment"], ["environment", "token"]] }] },
      environment: "test",
      token: token.name,
      [TOKEN_DAYS_TO_EXPIRY_METRIC]: 180,
    });

    const second = await mod.handler({ action: "reconcile" });
    expect(second).toMatchObject({ created: [], published: [], writes: 0 });
    expect(s3.puts).toHaveLength(1);
    expect(sandbox.state.edgeKv.tokens).toHaveLength(1);

    // Neither the credential nor the token's value reaches the logs.
    for (const secret of [...secretsOf(NEW_CLIENT), token.value!]) expect(output.join("")).not.toContain(secret);
  });

  describe("CDN tokens (EDGEPLANE_CDN_TOKENS)", () => {
    const DAY_MS = 86_400_000;
    const FASTLY_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/fastly-token-AbCdEf";
    const CLOUDFLARE_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/cloudflare-token-AbCdEf";
    const ZONE = "0123456789abcdef0123456789abcdef";
    const FASTLY_TOKEN = "fastly-secret-token-value";
    const CLOUDFLARE_TOKEN = "cloudflare-secret-token-value";
    let fastly: FastlyEmulator;
    let cloudflare: CloudflareEmulator;
    const emf = () =>
      output
        .join("")
        .split("\n")
        .filter((line) => line.includes(CDN_TOKEN_DAYS_TO_EXPIRY_METRIC))
        .map((line) => JSON.parse(line) as Record<string, unknown>);

    beforeAll(async () => {
      fastly = await startFastlyEmulator({
        services: [{ id: "SVC1" }],
        tokens: [
          { token: FASTLY_TOKEN, scope: "purge_select", services: ["SVC1"], expiresAtMs: Date.now() + 40 * DAY_MS + 3_600_000 },
        ],
      });
      cloudflare = await startCloudflareEmulator({
        zones: [{ id: ZONE, plan: "pro" }],
        tokens: [
          { token: CLOUDFLARE_TOKEN, kind: "user", purgeZones: [ZONE], expiresOnMs: Date.now() + 12 * DAY_MS + 3_600_000 },
        ],
      });
      Object.assign(process.env, {
        EDGEPLANE_FASTLY_API_URL: fastly.url,
        EDGEPLANE_CLOUDFLARE_API_URL: `${cloudflare.url}/client/v4`,
        [ENV.cdnTokens]: JSON.stringify([
          { cdn: "fastly", secretArn: FASTLY_ARN, serviceId: "SVC1" },
          { cdn: "cloudflare", secretArn: CLOUDFLARE_ARN, zoneId: ZONE },
        ]),
      });
    });
    afterAll(async () => {
      delete process.env[ENV.cdnTokens];
      await fastly.close();
      await cloudflare.close();
    });

    it("the scheduled run reads each token from its secret and emits days to expiry under {environment, cdn}, never the token", async () => {
      sm.on(GetSecretValueCommand, { SecretId: FASTLY_ARN }).resolves({ SecretString: `${FASTLY_TOKEN}\n`, VersionId: "f1" });
      sm.on(GetSecretValueCommand, { SecretId: CLOUDFLARE_ARN }).resolves({ SecretString: CLOUDFLARE_TOKEN, VersionId: "c1" });
      const summary = await mod.handler({ action: "reconcile" });
      expect(summary.problems).toEqual([]);
      expect(summary.cdnTokens).toEqual([
        { cdn: "fastly", target: "SVC1", expiresAt: expect.any(String), daysToExpiry: 40 },
        { cdn: "cloudflare", target: ZONE, expiresAt: expect.any(String), daysToExpiry: 12 },
      ]);
      const lines = emf();
      expect(lines).toEqual([
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              {
                Namespace: "edgeplane",
                Dimensions: [["environment", "cdn"]],
                Metrics: [{ Name: CDN_TOKEN_DAYS_TO_EXPIRY_METRIC, Unit: "Count" }],
              },
            ],
          }),
          environment: "test",
          cdn: "fastly",
          [CDN_TOKEN_DAYS_TO_EXPIRY_METRIC]: 40,
        }),
        expect.objectContaining({ environment: "test", cdn: "cloudflare", [CDN_TOKEN_DAYS_TO_EXPIRY_METRIC]: 12 }),
      ]);
      expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual(
        expect.arrayContaining([
          { SecretId: FASTLY_ARN, VersionStage: "AWSCURRENT" },
          { SecretId: CLOUDFLARE_ARN, VersionStage: "AWSCURRENT" },
        ]),
      );
      for (const token of [FASTLY_TOKEN, CLOUDFLARE_TOKEN])
        expect(output.join("") + JSON.stringify(summary)).not.toContain(token);
    });

    it("a CDN secret without a value fails the run naming it, after the EdgeKV work and the other CDN's metric", async () => {
      sm.on(GetSecretValueCommand, { SecretId: FASTLY_ARN }).rejects(
        Object.assign(new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"), {
          name: "ResourceNotFoundException",
        }),
      );
      sm.on(GetSecretValueCommand, { SecretId: CLOUDFLARE_ARN }).resolves({ SecretString: CLOUDFLARE_TOKEN, VersionId: "c1" });
      await expect(mod.handler({ action: "reconcile" })).rejects.toThrow(
        `EdgeKV token reconcile: 1 problem(s): fastly service SVC1: the token secret ${FASTLY_ARN} has no value yet (AWSCURRENT); set it with "edgeplane secrets set"`,
      );
      expect(emf().map((line) => line.cdn)).toEqual(["cloudflare"]);
      expect(output.join("")).toContain(TOKEN_DAYS_TO_EXPIRY_METRIC);
    });

    it("other actions do not check the CDN tokens", async () => {
      await expect(mod.handler({ action: "revoke", token: "not-ours" })).rejects.toThrow(/1 problem\(s\): revoke: /);
      expect(sm.commandCalls(GetSecretValueCommand).filter((c) => c.args[0].input.SecretId !== SECRET_ARN)).toHaveLength(0);
      expect(emf()).toEqual([]);
    });
  });

  it("fails the invocation, naming the problem, when a request cannot be done", async () => {
    await expect(mod.handler({ action: "revoke", token: "not-ours" })).rejects.toThrow(
      /EdgeKV token reconcile: 1 problem\(s\): revoke: "not-ours" is not a token of this environment; declared prefixes: site-ro/,
    );
  });

  it("refuses an unknown action before calling anything", async () => {
    await expect(mod.handler({ action: "purge" })).rejects.toThrow(
      "event.action must be one of reconcile, rotate, refresh, revoke, resume",
    );
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe("reconcileSettingsFromEnv", () => {
  const env = { [ENV.edgekvTokens]: JSON.stringify(DECLARED), [ENV.tokenExpiryThresholdDays]: "30" };

  it("reads the declared tokens and threshold, and keeps a margin of the Lambda's time", () => {
    expect(reconcileSettingsFromEnv(env, 300_000)).toEqual({ declared: DECLARED, expiryThresholdDays: 30, budgetMs: 270_000 });
  });

  it("names the variable and field that are wrong", () => {
    expect(() => reconcileSettingsFromEnv({ ...env, [ENV.tokenExpiryThresholdDays]: "soon" })).toThrow(
      `${ENV.tokenExpiryThresholdDays} must be a whole number of days from 1 to 180`,
    );
    expect(() =>
      reconcileSettingsFromEnv({ ...env, [ENV.edgekvTokens]: JSON.stringify([{ ...DECLARED[0], namePrefix: "a b" }]) }),
    ).toThrow(/EDGEPLANE_EDGEKV_TOKENS is invalid: \[0\]\.namePrefix: must be 1-20 characters/);
    expect(() => reconcileSettingsFromEnv({ [ENV.tokenExpiryThresholdDays]: "30" })).toThrow(`${ENV.edgekvTokens} is not set`);
  });
});
