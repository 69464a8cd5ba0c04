import "./quiet-logs";
import { randomUUID } from "node:crypto";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AkamaiApiError } from "../../../core/akamai/api-error";
import { EdgeGridTransport } from "../../../core/edgegrid/transport";
import { normalizeSecretHost } from "../../../core/rotation/credential-secret";
import type { SecretsManagerStore } from "../../../functions/aws/secrets-manager-store";
import { DEFAULT_GRACE_MS, DEFAULT_OVERLAP_MS, ROTATION_STEPS, RotationError } from "../../../core/rotation/steps";
import { handler, rotationDepsFromEnv } from "../../../functions/rotate-credentials";
import { LOOPBACK_ENV } from "../../helpers/sandbox-harness";
import { DAY_MS, ROTATING_ARN, TERRAFORM_CLIENT, TERRAFORM_CREDENTIAL_ID, rotationWorld, type RotationWorld } from "./world";

describe("EdgeGrid credential rotation against the sandbox", () => {
  let w: RotationWorld;
  afterEach(async () => {
    await w.close();
  });

  const expectNoSecretsIn = (text: string): void => {
    for (const secret of w.knownSecrets()) expect(text).not.toContain(secret);
  };

  it("rotates from the bootstrap credential, every step run twice, creating exactly one credential", async () => {
    w = await rotationWorld();
    expect(w.sm.stages(ROTATING_ARN)).toEqual({});
    const token = await w.rotate({ times: 2 });

    expect(w.sm.stages(ROTATING_ARN)).toEqual({ [token]: ["AWSCURRENT"] });
    const current = w.stored();
    expect(current.credentialId).not.toBe(TERRAFORM_CREDENTIAL_ID);
    expect(current.credentials).toMatchObject({ host: w.sandbox.url, accessToken: TERRAFORM_CLIENT.accessToken });
    expect(current.credentials.clientToken).not.toBe(TERRAFORM_CLIENT.clientToken);
    // The value has exactly the keys the runtime reads (core/secrets/edgegrid-secret.ts) plus credential_id.
    expect(Object.keys(JSON.parse(w.sm.valueAt(ROTATING_ARN, "AWSCURRENT") as string)).sort()).toEqual([
      "access_token",
      "client_secret",
      "client_token",
      "credential_id",
      "host",
    ]);

    const all = w.sandbox.state.iam.clients[0]!.credentials;
    expect(all.map((c) => [c.credentialId, c.status])).toEqual([
      [TERRAFORM_CREDENTIAL_ID, "ACTIVE"], // previous (the bootstrap credential) stays active
      [current.credentialId, "ACTIVE"],
    ]);
    expect(w.sandbox.state.requests.filter((r) => r.method === "POST" && r.path.endsWith("/self/credentials"))).toHaveLength(1);

    // The new AWSCURRENT signs: IAM and Fast Purge both accept it.
    const listed = await w.iamAs(current.credentials).listSelfCredentials();
    expect(listed.map((c) => c.credentialId)).toEqual([TERRAFORM_CREDENTIAL_ID, current.credentialId]);
    const purge = new EdgeGridTransport({ credentials: current.credentials, env: LOOPBACK_ENV, now: w.clock.now });
    const purged = await purge.request({
      method: "POST",
      path: "/ccu/v3/invalidate/url/staging",
      body: { objects: ["https://www.example.com/"] },
    });
    purge.close();
    expect(purged.status).toBe(201);

    expectNoSecretsIn(JSON.stringify(w.logs));
  });

  it("a testSecret failure leaves AWSCURRENT unchanged and working, and the next rotation starts afresh", async () => {
    w = await rotationWorld();
    const first = await w.rotate();
    const before = w.sm.valueAt(ROTATING_ARN, "AWSCURRENT");
    const current = w.stored();

    const second = w.sm.startRotation(ROTATING_ARN);
    await w.step("createSecret", second);
    await w.step("setSecret", second);
    // The pending credential stops working before testSecret (deactivated with the current credential).
    const pending = w.stored("AWSPENDING");
    await w.iamAs(current.credentials).deactivateSelfCredential(pending.credentialId as number);

    const failure = w.step("testSecret", second);
    await expect(failure).rejects.toThrow(RotationError);
    await expect(failure).rejects.toThrow(/pending credential \d+ was refused: .*HTTP 401 Not authorized: Inactive client token/);
    expectNoSecretsIn(String(await failure.catch((e: Error) => e.message)));

    expect(w.sm.versionAt(ROTATING_ARN, "AWSCURRENT")).toBe(first);
    expect(w.sm.valueAt(ROTATING_ARN, "AWSCURRENT")).toBe(before);
    expect((await w.iamAs(current.credentials).listSelfCredentials()).length).toBeGreaterThan(0);
    // AWSPENDING came off the dead version, so Secrets Manager can start a new rotation.
    expect(w.sm.stages(ROTATING_ARN)).toEqual({ [first]: ["AWSCURRENT"] });

    const third = await w.rotate();
    expect(w.sm.versionAt(ROTATING_ARN, "AWSCURRENT")).toBe(third);
    expect(w.credential(pending.credentialId as number)?.status).toBe("INACTIVE");
    expect(w.credential(current.credentialId as number)?.status).toBe("ACTIVE"); // now AWSPREVIOUS
  });

  it("two rotations in a row deactivate older credentials; deletion waits for the grace period and never takes Terraform's", async () => {
    w = await rotationWorld();
    await w.rotate();
    const c1 = w.stored().credentialId as number;
    await w.rotate();
    const c2 = w.stored().credentialId as number;
    expect(w.stored("AWSPREVIOUS").credentialId).toBe(c1);
    expect(w.credential(TERRAFORM_CREDENTIAL_ID)?.status).toBe("INACTIVE");
    expect(w.credential(c1)?.status).toBe("ACTIVE");
    expect(w.credential(c2)?.status).toBe("ACTIVE");
    // Deactivation starts the grace period: expiresOn is pulled in to now + grace.
    expect(w.credential(TERRAFORM_CREDENTIAL_ID)?.expiresMs).toBe(w.clock.now() + DEFAULT_GRACE_MS);
    // The old credential no longer signs.
    await expect(w.iamAs({ host: w.sandbox.url, ...TERRAFORM_CLIENT }).listSelfCredentials()).rejects.toMatchObject({
      status: 401,
    });

    w.clock.advance(DEFAULT_GRACE_MS + DAY_MS);
    await w.rotate();
    const c3 = w.stored().credentialId as number;
    expect(w.credential(c1)?.status).toBe("INACTIVE");
    expect(w.credential(TERRAFORM_CREDENTIAL_ID)?.status).toBe("INACTIVE"); // due for deletion by time, but Terraform's

    w.clock.advance(DEFAULT_GRACE_MS + DAY_MS);
    await w.rotate();
    const c4 = w.stored().credentialId as number;
    expect(w.credential(c1)?.status).toBe("DELETED");
    expect(w.credential(TERRAFORM_CREDENTIAL_ID)?.status).toBe("INACTIVE");
    expect(
      w.sandbox.state.iam.clients[0]!.credentials.filter((c) => c.status !== "DELETED").map((c) => [c.credentialId, c.status]),
    ).toEqual([
      [TERRAFORM_CREDENTIAL_ID, "INACTIVE"],
      [c2, "INACTIVE"],
      [c3, "ACTIVE"],
      [c4, "ACTIVE"],
    ]);
    expect(w.sandbox.state.requests.some((r) => r.method === "DELETE" && r.path.endsWith(`/${TERRAFORM_CREDENTIAL_ID}`))).toBe(
      false,
    );
  });

  it("finishSecret run again after cleanup deletes nothing the first run deactivated", async () => {
    w = await rotationWorld();
    await w.rotate();
    w.clock.advance(3 * DEFAULT_GRACE_MS); // every credential is older than the grace period
    const token = await w.rotate();
    await w.step("finishSecret", token);
    await w.step("finishSecret", token);
    expect(w.credential(TERRAFORM_CREDENTIAL_ID)?.status).toBe("INACTIVE");
    expect(w.sandbox.state.requests.filter((r) => r.method === "DELETE")).toHaveLength(0);
  });

  it("a crash between the Akamai POST and PutSecretValue leaks a credential that cleanup deactivates, then deletes", async () => {
    w = await rotationWorld();
    await w.rotate();
    const token = w.sm.startRotation(ROTATING_ARN);
    // The "crash": PutSecretValue never succeeds, and the function cannot read the version back either
    // (so it cannot discard the credential), as when the Lambda dies right after the Akamai POST.
    const real = w.deps.store;
    let putFailed = false;
    const dead = {
      ...w.deps,
      store: {
        describe: (id: string) => real.describe(id),
        updateStage: (id: string, stage: string, change: { moveTo?: string; removeFrom?: string }) =>
          real.updateStage(id, stage, change),
        putPending: async () => {
          putFailed = true;
          throw new Error("Task timed out");
        },
        getValue: async (id: string, select: { versionId?: string; stage?: string }) => {
          if (putFailed) throw new Error("Task timed out");
          return real.getValue(id, select);
        },
      },
    };
    await expect(w.step("createSecret", token, dead)).rejects.toThrow(
      /storing credential (\d+) as AWSPENDING failed: Task timed out/,
    );
    const leaked = w.sandbox.state.iam.clients[0]!.credentials.at(-1)!;
    expect(leaked.status).toBe("ACTIVE");

    for (const name of ROTATION_STEPS) await w.step(name, token); // Secrets Manager retries the rotation
    expect(w.stored().credentialId).not.toBe(leaked.credentialId);
    expect(w.credential(leaked.credentialId)?.status).toBe("INACTIVE");

    w.clock.advance(DEFAULT_GRACE_MS + DAY_MS);
    await w.rotate();
    expect(w.credential(leaked.credentialId)?.status).toBe("DELETED");
  });

  it("a PutSecretValue that fails outright discards the new credential at once", async () => {
    w = await rotationWorld();
    const token = w.sm.startRotation(ROTATING_ARN);
    w.sm.failNext("PutSecretValue", new Error("ThrottlingException"));
    await expect(w.step("createSecret", token)).rejects.toThrow(/ThrottlingException/);
    const discarded = w.sandbox.state.iam.clients[0]!.credentials.at(-1)!;
    expect(discarded.credentialId).not.toBe(TERRAFORM_CREDENTIAL_ID);
    expect(discarded.status).toBe("DELETED");
    for (const name of ROTATION_STEPS) await w.step(name, token);
    expect(w.sm.versionAt(ROTATING_ARN, "AWSCURRENT")).toBe(token);
  });

  it("a PutSecretValue whose answer was lost keeps the stored credential; the retry does nothing more", async () => {
    w = await rotationWorld();
    const token = w.sm.startRotation(ROTATING_ARN);
    w.sm.failNext("PutSecretValue", new Error("socket hang up"), { applied: true });
    await expect(w.step("createSecret", token)).rejects.toThrow(/socket hang up/);
    const stored = w.stored("AWSPENDING");
    expect(w.credential(stored.credentialId as number)?.status).toBe("ACTIVE");
    for (const name of ROTATION_STEPS) await w.step(name, token);
    expect(w.stored().credentialId).toBe(stored.credentialId);
    expect(w.sandbox.state.iam.clients[0]!.credentials).toHaveLength(2);
  });

  it("setSecret extends a current credential that would expire during the overlap, and never shortens one", async () => {
    w = await rotationWorld();
    const terraform = w.credential(TERRAFORM_CREDENTIAL_ID)!;
    terraform.expiresMs = w.clock.now() + DAY_MS; // about to expire
    const token = w.sm.startRotation(ROTATING_ARN);
    await w.step("createSecret", token);
    await w.step("setSecret", token);
    const extended = terraform.expiresMs;
    expect(extended).toBeGreaterThanOrEqual(w.clock.now() + DEFAULT_OVERLAP_MS);
    await w.step("setSecret", token);
    expect(terraform.expiresMs).toBe(extended);
    expect(w.sandbox.state.requests.filter((r) => r.method === "PUT")).toHaveLength(1);

    const farAway = w.clock.now() + 300 * DAY_MS;
    terraform.expiresMs = farAway;
    await w.step("setSecret", token);
    expect(terraform.expiresMs).toBe(farAway);
  });

  it("checks rotation is enabled and the version's stage before touching Akamai", async () => {
    w = await rotationWorld();
    await expect(w.step("createSecret", "no-such-version")).rejects.toThrow(/version no-such-version has no stage for rotation/);
    const token = w.sm.startRotation(ROTATING_ARN);
    await expect(w.step("finishSecret", token)).rejects.toThrow(/no AWSPENDING value/);
    w.sm.secret(ROTATING_ARN).rotationEnabled = false;
    for (const name of ROTATION_STEPS) await expect(w.step(name, token)).rejects.toThrow(/rotation is not enabled/);
    expect(w.sandbox.state.requests).toHaveLength(0);
    await expect(w.step("rotateEverything" as never, token)).rejects.toThrow(/unknown rotation step/);
  });

  it("a full cap surfaces Akamai's refusal, with nothing stored", async () => {
    w = await rotationWorld({ sandbox: { iam: { maxCredentialsPerClient: 2 } } });
    await w.rotate();
    const token = w.sm.startRotation(ROTATING_ARN);
    const failure = w.step("createSecret", token);
    await expect(failure).rejects.toBeInstanceOf(AkamaiApiError);
    await expect(failure).rejects.toThrow(/create credential .*HTTP 400 Bad Request: The API client already has 2 credentials/);
    expect(w.sm.valueAt(ROTATING_ARN, "AWSPENDING")).toBeUndefined();
  });

  it("stores the host without https:// for Akamai hosts and refuses hosts outside akamaiapis.net", async () => {
    w = await rotationWorld();
    expect(normalizeSecretHost("https://akab-abc-def.luna.akamaiapis.net/", {})).toBe("akab-abc-def.luna.akamaiapis.net");
    expect(normalizeSecretHost("akab-abc-def.luna.akamaiapis.net", {})).toBe("akab-abc-def.luna.akamaiapis.net");
    expect(normalizeSecretHost(w.sandbox.url, LOOPBACK_ENV)).toBe(w.sandbox.url);
    expect(() => normalizeSecretHost("https://evil.example.com", {})).toThrow(/not allowed/);
  });

  it("runs through the deployed handler with its environment", async () => {
    // The handler reads the real clock, so this world's sandbox does too.
    w = await rotationWorld({ sandbox: { now: Date.now } });
    w.deps.now = Date.now;
    const saved = { ...process.env };
    Object.assign(process.env, {
      EDGEPLANE_INSECURE_LOOPBACK: "1",
      EDGEPLANE_BOOTSTRAP_SECRET_ARN: w.deps.bootstrapSecretId,
      EDGEPLANE_TERRAFORM_CREDENTIAL_ID: String(TERRAFORM_CREDENTIAL_ID),
    });
    try {
      const token = w.sm.startRotation(ROTATING_ARN, randomUUID());
      for (const name of ROTATION_STEPS) await handler({ Step: name, SecretId: ROTATING_ARN, ClientRequestToken: token });
      expect(w.sm.versionAt(ROTATING_ARN, "AWSCURRENT")).toBe(token);
      expect(() => rotationDepsFromEnv({}, { secretsManager: new SecretsManagerClient({}), logger: w.deps.logger })).toThrow(
        /environment variable EDGEPLANE_BOOTSTRAP_SECRET_ARN is not set/,
      );
    } finally {
      process.env = saved;
    }
  });

  it("writes the pending version with PutSecretValue once per rotation", async () => {
    w = await rotationWorld();
    const calls: unknown[] = [];
    const store = w.deps.store as SecretsManagerStore;
    const put = store.putPending.bind(store);
    store.putPending = async (...args) => {
      calls.push(args[1]);
      return put(...args);
    };
    const token = await w.rotate({ times: 3 });
    expect(calls).toEqual([token]);
  });
});
