/**
 * A legacy token's rotation through the deployed entry point, one invocation per scheduled run (daily,
 * as in the prod example), meeting failed and slow EdgeWorker activations. The sandbox emulates EdgeKV
 * and EdgeWorkers over signed loopback HTTP, with activation faults injected; S3 is the fake S3 over
 * loopback (AWS_ENDPOINT_URL_S3, static test credentials) and Secrets Manager is mocked. Only Date is faked (jest), so "a day later" is a jump of the clock the handler, the signer
 * and the sandbox all read; each run gets a Lambda context with no time to wait, so an activation that
 * is not done when first read is left to the next run.
 */
import "../rotate-credentials/quiet-logs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { packTgz, unpackTgz } from "../../../core/akamai/tgz";
import { bundleTokensEntries } from "../../../core/tokens/bundle";
import { tokenNamesIn } from "../../../core/tokens/tokens-file";
import { ENV, TOKEN_DAYS_TO_EXPIRY_METRIC } from "../../../core/environment-names";
import { MAX_ACTIVATION_ATTEMPTS } from "../../../core/tokens/deploy";
import { TOKEN_ROTATION_STALLED_METRIC, expiryAlarmThresholdDays } from "../../../core/tokens/metrics";
import { LAMBDA_MARGIN_MS } from "../../../core/tokens/settings";
import { startSandbox, type Sandbox } from "../../../sandbox/server";
import type { ActivationFault, EdgeWorkersNetwork } from "../../../sandbox/state";
import { NEW_CLIENT, captureProcessOutput, secretString } from "../../core/jobs/helpers";
import { startFakeS3, type FakeS3 } from "../../helpers/fake-s3";

type Module = typeof import("../../../functions/edgekv-tokens/index");

const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2025, 5, 1, 6, 0, 0); // the schedule: cron(0 6 * * ? *)
const EW = 4242;
const THRESHOLD_DAYS = 30;
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid-AbCdEf";
const BUCKET = "edgeplane-test-edgekv-tokens-123456789012";
const AWS_TEST_CREDENTIALS = { accessKeyId: "AKIDEDGEKVTOKENSTEST", secretAccessKey: "edgekv-tokens-test-secret" };
const DECLARED = [
  {
    namePrefix: "site-ro",
    namespacePermissions: { site_config: ["r"] },
    allowOnStaging: true,
    allowOnProduction: true,
    edgeWorkerIds: [EW],
    deployTo: { edgeWorkerId: EW, activateOnProduction: true },
  },
];
/** A Lambda context whose remaining time leaves no budget for waiting. */
const NO_WAIT = { getRemainingTimeInMillis: () => LAMBDA_MARGIN_MS };

describe("edgekv-tokens handler: a rotation meeting failed and slow activations", () => {
  const sm = mockClient(SecretsManagerClient);
  let s3: FakeS3;
  let sandbox: Sandbox;
  let mod: Module;
  let output: string[];
  let savedEnv: NodeJS.ProcessEnv;
  let nowMs: number;

  beforeAll(async () => {
    // One sandbox for the file: the handler keeps the credential (and so the sandbox's address) between invocations.
    sandbox = await startSandbox({
      clients: [NEW_CLIENT],
      now: () => Date.now(),
      edgeKv: { tokenKind: "legacy" },
      edgeWorkers: { ids: [EW] },
    });
    s3 = await startFakeS3({ bucket: BUCKET, region: "eu-west-1", ...AWS_TEST_CREDENTIALS });
    savedEnv = { ...process.env };
    Object.assign(process.env, {
      [ENV.environmentName]: "test",
      [ENV.edgegridSecretArn]: SECRET_ARN,
      [ENV.edgekvTokens]: JSON.stringify(DECLARED),
      [ENV.tokensBucket]: BUCKET,
      [ENV.tokenExpiryThresholdDays]: String(THRESHOLD_DAYS),
      [ENV.serviceName]: "edgekv-tokens",
      [ENV.metricsNamespace]: "edgeplane",
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey,
    });
    delete process.env.AWS_SESSION_TOKEN;
    mod = require("../../../functions/edgekv-tokens/index") as Module;
  });

  beforeEach(async () => {
    nowMs = START_MS;
    jest.useFakeTimers({
      now: nowMs,
      doNotFake: [
        "hrtime",
        "nextTick",
        "performance",
        "queueMicrotask",
        "setImmediate",
        "clearImmediate",
        "setInterval",
        "clearInterval",
        "setTimeout",
        "clearTimeout",
      ],
    });
    Object.assign(sandbox.state.edgeKv, { tokens: [] });
    Object.assign(sandbox.state.edgeWorkers, { versions: [], activations: [], activationFaults: [] });
    sm.reset();
    s3.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: secretString(sandbox, NEW_CLIENT), VersionId: "v1" });
    output = [];
    captureProcessOutput(output);
    seedEdgeWorker();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    jest.useRealTimers();
    expect(s3.rejections).toEqual([]); // every S3 request was signed as S3 requires
  });
  afterAll(async () => {
    await sandbox.close();
    await s3.close();
    sm.restore();
    process.env = savedEnv;
  });

  /** A first version, live on both networks, as a human shipped it. */
  function seedEdgeWorker(): void {
    const tgz = packTgz([
      { name: "bundle.json", data: Buffer.from('{"edgeworker-version":"1.0.0"}') },
      { name: "main.js", data: Buffer.from("export function onClientRequest() {}\n") },
    ]);
    const ew = sandbox.state.edgeWorkers;
    ew.versions.push({ edgeWorkerId: EW, version: "1.0.0", sequenceNumber: 1, checksum: "seed", tgz, createdMs: nowMs });
    for (const [i, network] of (["STAGING", "PRODUCTION"] as const).entries()) {
      ew.activations.push({
        activationId: i + 1,
        edgeWorkerId: EW,
        version: "1.0.0",
        network,
        createdMs: nowMs,
        doneMs: nowMs,
        outcome: "COMPLETE",
      });
    }
  }

  function advance(ms: number): void {
    nowMs += ms;
    jest.setSystemTime(nowMs);
  }

  /** One scheduled run: the summary, or the error it failed with; and the metrics it emitted. */
  async function scheduledRun() {
    const from = output.length;
    let summary: Awaited<ReturnType<Module["handler"]>> | undefined;
    let error: Error | undefined;
    try {
      summary = await mod.handler({ action: "reconcile" }, NO_WAIT);
    } catch (caught) {
      error = caught as Error;
    }
    const emf = output
      .slice(from)
      .join("")
      .split("\n")
      .filter((line) => line.startsWith("{") && line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const days = emf
      .filter((m) => TOKEN_DAYS_TO_EXPIRY_METRIC in m)
      .map((m) => ({ token: m.token, days: m[TOKEN_DAYS_TO_EXPIRY_METRIC] as number }));
    const stalled = emf.filter((m) => TOKEN_ROTATION_STALLED_METRIC in m).map((m) => m[TOKEN_ROTATION_STALLED_METRIC] as number);
    // What the alarms read: Minimum of days to expiry, Maximum of stalled.
    return { summary, error, days, leastDays: Math.min(...days.map((d) => d.days)), stalled: Math.max(...stalled) };
  }

  function activeTokens(network: EdgeWorkersNetwork): string[] {
    const done = sandbox.state.edgeWorkers.activations
      .filter((a) => a.network === network && a.outcome === "COMPLETE" && a.doneMs <= nowMs)
      .sort((a, b) => b.activationId - a.activationId)[0]!;
    const bundle = sandbox.state.edgeWorkers.versions.find((v) => v.version === done.version)!;
    return tokenNamesIn(bundleTokensEntries(unpackTgz(bundle.tgz)));
  }

  function revoked(name: string): boolean {
    return sandbox.state.edgeKv.tokens.find((t) => t.name === name)?.revokedMs !== undefined;
  }

  /** Day 0: the first token, shipped on both networks; then 170 days on, it has 10 days left. */
  async function liveOldTokenWithTenDaysLeft(): Promise<string> {
    const first = await scheduledRun();
    expect(first.error).toBeUndefined();
    const old = first.summary!.created[0]!.name;
    expect(activeTokens("STAGING")).toEqual([old]);
    expect(activeTokens("PRODUCTION")).toEqual([old]);
    advance(170 * DAY_MS);
    return old;
  }

  function injectFaults(...rules: ActivationFault[]): void {
    sandbox.state.edgeWorkers.activationFaults = rules;
  }

  it("ERROR on STAGING, then Akamai healthy: the next run completes the rotation; the old token is revoked after the grace period following PRODUCTION", async () => {
    const old = await liveOldTokenWithTenDaysLeft();
    injectFaults({ network: "STAGING", attempts: [1], outcome: "ERROR" });

    const failed = await scheduledRun();
    expect(failed.error).toBeUndefined(); // a failed try that a later run retries is not a failure of the job
    const fresh = failed.summary!.created[0]!.name;
    expect(failed.summary!.created).toEqual([{ prefix: "site-ro", name: fresh, kind: "legacy", reason: "expiring" }]);
    expect(failed.summary!.notes.join("\n")).toMatch(/on STAGING ended ERROR \(1 of 4 tries failed\)/);
    // Both networks still serve the old token: that is what the expiry alarm sees.
    expect(activeTokens("STAGING")).toEqual([old]);
    expect(failed.days).toEqual([{ token: old, days: 10 }]);
    expect(failed.leastDays).toBeLessThan(expiryAlarmThresholdDays(THRESHOLD_DAYS));
    expect(failed.stalled).toBe(0);

    advance(DAY_MS);
    const retried = await scheduledRun();
    expect(retried.error).toBeUndefined();
    expect(retried.summary!.deployments[0]!.steps.map((s) => [s.network, s.status])).toEqual([
      ["STAGING", "activated"],
      ["PRODUCTION", "activated"],
    ]);
    expect(activeTokens("STAGING")).toEqual([fresh]);
    expect(activeTokens("PRODUCTION")).toEqual([fresh]);
    expect(retried.days).toEqual([{ token: fresh, days: 179 }]);
    expect(revoked(old)).toBe(false);
    // The published file names the fresh token; each bundle uploaded to EdgeWorkers has a copy in the bucket.
    expect(
      tokenNamesIn(
        bundleTokensEntries(unpackTgz(s3.current(`bundles/${EW}/${sandbox.state.edgeWorkers.versions.at(-1)!.version}.tgz`)!)),
      ),
    ).toEqual([fresh]);
    expect(s3.puts.map((p) => p.key)).toContain("edgekv_tokens/site-ro/edgekv_tokens.js");

    advance(DAY_MS); // one day after PRODUCTION: still within the 2-day grace period
    const early = await scheduledRun();
    expect(early.summary!.revoked).toEqual([]);
    expect(revoked(old)).toBe(false);

    advance(DAY_MS);
    const after = await scheduledRun();
    expect(after.summary!.revoked).toEqual([{ name: old, reason: `superseded by ${fresh}` }]);
    expect(sandbox.state.edgeWorkers.versions).toHaveLength(3); // 1.0.0, the first token's, the rotation's: retried, not rebuilt
  });

  it("ERROR on PRODUCTION after STAGING completed: the old token stays (PRODUCTION serves it) and the next run completes", async () => {
    const old = await liveOldTokenWithTenDaysLeft();
    injectFaults({ network: "PRODUCTION", attempts: [1], outcome: "ERROR" });

    const failed = await scheduledRun();
    expect(failed.error).toBeUndefined();
    const fresh = failed.summary!.created[0]!.name;
    expect(failed.summary!.deployments[0]!.steps.map((s) => [s.network, s.status])).toEqual([
      ["STAGING", "uploaded"],
      ["STAGING", "activated"],
      ["PRODUCTION", "failed"],
    ]);
    expect(activeTokens("STAGING")).toEqual([fresh]);
    expect(activeTokens("PRODUCTION")).toEqual([old]);
    // The least of the served tokens: PRODUCTION's old one.
    expect(failed.days).toEqual(
      expect.arrayContaining([
        { token: old, days: 10 },
        { token: fresh, days: 180 },
      ]),
    );
    expect(failed.leastDays).toBe(10);

    advance(DAY_MS);
    const retried = await scheduledRun();
    expect(retried.error).toBeUndefined();
    expect(retried.summary!.deployments[0]!.steps.map((s) => [s.network, s.status])).toEqual([
      ["STAGING", "up-to-date"],
      ["PRODUCTION", "activated"],
    ]);
    expect(activeTokens("PRODUCTION")).toEqual([fresh]);
    expect(revoked(old)).toBe(false);

    advance(2 * DAY_MS);
    const after = await scheduledRun();
    expect(after.summary!.revoked).toEqual([{ name: old, reason: `superseded by ${fresh}` }]);
  });

  it("every try fails: the job stalls after the cap, the alarms' conditions hold, the old token stays live and unrevoked, and a resume finishes it", async () => {
    const old = await liveOldTokenWithTenDaysLeft();
    injectFaults({ network: "STAGING", outcome: "ERROR" });

    let run = await scheduledRun();
    for (let tryNumber = 2; tryNumber <= MAX_ACTIVATION_ATTEMPTS; tryNumber++) {
      expect(run.error).toBeUndefined();
      expect(run.stalled).toBe(0);
      advance(DAY_MS);
      run = await scheduledRun();
    }
    // The 4th daily run: the cap is reached.
    expect(run.error?.message).toMatch(
      /token rotation stalled: 4 activations of version .* on STAGING failed .*resume with \{"action":"resume","token":"site-ro"\}/,
    );
    expect(run.stalled).toBe(1);
    expect(run.days).toEqual([{ token: old, days: 7 }]);
    expect(run.leastDays).toBeLessThan(expiryAlarmThresholdDays(THRESHOLD_DAYS));
    expect(activeTokens("STAGING")).toEqual([old]);
    expect(activeTokens("PRODUCTION")).toEqual([old]);
    expect(revoked(old)).toBe(false);

    // Stalled runs only read: no further activation.
    const activations = sandbox.state.edgeWorkers.activations.length;
    advance(DAY_MS);
    const still = await scheduledRun();
    expect(still.stalled).toBe(1);
    expect(sandbox.state.edgeWorkers.activations).toHaveLength(activations);
    expect(revoked(old)).toBe(false);

    // The documented resume, once Akamai is healthy again.
    injectFaults();
    const resumed = await mod.handler({ action: "resume", token: "site-ro" }, NO_WAIT);
    expect(resumed.stalled).toEqual([]);
    expect(resumed.deployments[0]!.steps.map((s) => s.status)).toEqual(["activated", "activated"]);
    expect(activeTokens("PRODUCTION")).toEqual([resumed.tokens[0]!.current]);
    expect(revoked(old)).toBe(false); // the grace period follows PRODUCTION's activation
  });

  it("activations slower than a run are carried across runs, then the rotation settles", async () => {
    const old = await liveOldTokenWithTenDaysLeft();
    injectFaults({ activationMs: 20 * 60_000 });

    const first = await scheduledRun();
    expect(first.error).toBeUndefined();
    expect(first.summary!.deployments[0]!.steps.map((s) => s.status)).toEqual(["uploaded", "activating"]);

    advance(60 * 60_000);
    const second = await scheduledRun();
    expect(second.error).toBeUndefined();
    expect(second.summary!.deployments[0]!.steps.map((s) => [s.network, s.status])).toEqual([
      ["STAGING", "up-to-date"],
      ["PRODUCTION", "activating"],
    ]);
    expect(second.leastDays).toBe(10); // PRODUCTION still serves the old token

    // A run while PRODUCTION's activation is still going only waits.
    advance(5 * 60_000);
    const activations = sandbox.state.edgeWorkers.activations.length;
    const third = await scheduledRun();
    expect(third.summary!.deployments[0]!.steps).toEqual([expect.objectContaining({ network: "PRODUCTION", status: "waiting" })]);
    expect(sandbox.state.edgeWorkers.activations).toHaveLength(activations);

    advance(DAY_MS);
    const settled = await scheduledRun();
    expect(settled.summary!.deployments[0]!.settled).toBe(true);
    expect(revoked(old)).toBe(false);
    expect(settled.days.map((d) => d.token)).not.toContain(old);
  });
});
