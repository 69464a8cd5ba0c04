import { AkamaiApiError } from "../../../core/akamai/api-error";
import { IamCredentialsClient } from "../../../core/akamai/iam-credentials";
import { EdgeGridTransport } from "../../../core/edgegrid/transport";
import { LOOPBACK_ENV, TEST_CLIENT, startHarness, type Harness } from "../../helpers/sandbox-harness";

describe("IamCredentialsClient against the sandbox", () => {
  let h: Harness;
  let iam: IamCredentialsClient;
  beforeEach(async () => {
    h = await startHarness({ clients: [{ ...TEST_CLIENT, credentialId: 777 }] });
    iam = new IamCredentialsClient(h.transport);
  });
  afterEach(async () => {
    await h.close();
  });

  it("creates, lists, gets, updates, deactivates and deletes the caller's credentials", async () => {
    const created = await iam.createSelfCredential();
    expect(created).toMatchObject({
      status: "ACTIVE",
      description: "",
      clientToken: expect.stringMatching(/^akab-/),
      clientSecret: expect.any(String),
    });

    const listed = await iam.listSelfCredentials({ actions: true });
    expect(listed.map((c) => c.credentialId)).toEqual([777, created.credentialId]);
    expect(listed[1]).not.toHaveProperty("clientSecret");
    expect(listed[1]?.actions).toMatchObject({ deactivate: true });

    const expiresOn = new Date(h.clock.now() + 30 * 86_400_000);
    const updated = await iam.updateSelfCredential(created.credentialId, {
      status: "ACTIVE",
      expiresOn,
      description: "rotation test",
    });
    expect(updated).toEqual({ status: "ACTIVE", expiresOn: expiresOn.toISOString(), description: "rotation test" });
    expect(await iam.getSelfCredential(created.credentialId)).toMatchObject({
      expiresOn: expiresOn.toISOString(),
      description: "rotation test",
    });

    await iam.deactivateSelfCredential(created.credentialId);
    expect((await iam.getSelfCredential(created.credentialId)).status).toBe("INACTIVE");
    await iam.deleteSelfCredential(created.credentialId);
    await expect(iam.getSelfCredential(created.credentialId)).rejects.toMatchObject({ status: 404 });
  });

  it("reports Akamai's refusals as AkamaiApiError with the detail, never a secret", async () => {
    const created = await iam.createSelfCredential();
    const error = (await iam.deleteSelfCredential(created.credentialId).catch((e: unknown) => e)) as AkamaiApiError;
    expect(error).toBeInstanceOf(AkamaiApiError);
    expect(error.message).toMatch(
      /^delete credential \(DELETE \/identity-management\/v3\/api-clients\/self\/credentials\/\d+\) failed: HTTP 400 Bad Request: Only INACTIVE credentials can be deleted$/,
    );
    expect(error.message).not.toContain(created.clientSecret);

    const fresh = new EdgeGridTransport({
      credentials: { host: h.sandbox.url, ...created, accessToken: TEST_CLIENT.accessToken },
      env: LOOPBACK_ENV,
      now: h.clock.now,
    });
    await iam.deactivateSelfCredential(created.credentialId);
    const refused = await new IamCredentialsClient(fresh).listSelfCredentials().catch((e: unknown) => e as AkamaiApiError);
    fresh.close();
    expect(refused).toMatchObject({ status: 401, isAuthFailure: true, detail: "Inactive client token" });
  });
});
