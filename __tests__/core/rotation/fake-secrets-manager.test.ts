import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { FakeSecretsManager } from "./fake-secrets-manager";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/test/edgegrid";

describe("FakeSecretsManager", () => {
  const sm = new FakeSecretsManager();
  const mock = sm.install();
  const client = new SecretsManagerClient({ region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  afterAll(() => mock.restore());

  it("plays a rotation: placeholder, pending value, AWSCURRENT move leaving AWSPREVIOUS", async () => {
    sm.createSecret(ARN, { rotationEnabled: true, secretString: "v1" });
    const first = sm.versionAt(ARN, "AWSCURRENT") as string;
    const token = sm.startRotation(ARN, "token-2");
    expect(sm.stages(ARN)).toEqual({ [first]: ["AWSCURRENT"], [token]: ["AWSPENDING"] });
    await expect(
      client.send(new GetSecretValueCommand({ SecretId: ARN, VersionId: token, VersionStage: "AWSPENDING" })),
    ).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });

    await client.send(
      new PutSecretValueCommand({ SecretId: ARN, ClientRequestToken: token, SecretString: "v2", VersionStages: ["AWSPENDING"] }),
    );
    // The same value again is a no-op; another value for the same token is refused.
    await client.send(
      new PutSecretValueCommand({ SecretId: ARN, ClientRequestToken: token, SecretString: "v2", VersionStages: ["AWSPENDING"] }),
    );
    await expect(
      client.send(
        new PutSecretValueCommand({
          SecretId: ARN,
          ClientRequestToken: token,
          SecretString: "other",
          VersionStages: ["AWSPENDING"],
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceExistsException" });

    await expect(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: ARN, VersionStage: "AWSCURRENT", MoveToVersionId: token })),
    ).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: ARN,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
        RemoveFromVersionId: first,
      }),
    );
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: ARN, VersionStage: "AWSPENDING", RemoveFromVersionId: token }),
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: ARN }));
    expect(described.RotationEnabled).toBe(true);
    expect(described.VersionIdsToStages).toEqual({ [first]: ["AWSPREVIOUS"], [token]: ["AWSCURRENT"] });
    expect((await client.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe("v2");
    expect((await client.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: "AWSPREVIOUS" }))).SecretString).toBe(
      "v1",
    );
  });

  it("refuses a new rotation while one is in progress, but not its retry", () => {
    const id = `${ARN}-2`;
    sm.createSecret(id, { rotationEnabled: true });
    sm.startRotation(id, "a");
    expect(sm.startRotation(id, "a")).toBe("a");
    expect(() => sm.startRotation(id, "b")).toThrow(/previous rotation isn't complete/);
  });

  it("injects failures before or after the call takes effect", async () => {
    const id = `${ARN}-3`;
    sm.createSecret(id, { rotationEnabled: true });
    sm.failNext("PutSecretValue", new Error("lost answer"), { applied: true });
    await expect(
      client.send(
        new PutSecretValueCommand({ SecretId: id, ClientRequestToken: "t", SecretString: "x", VersionStages: ["AWSPENDING"] }),
      ),
    ).rejects.toThrow("lost answer");
    expect(sm.valueAt(id, "AWSPENDING")).toBe("x");
    sm.failNext("GetSecretValue", new Error("down"));
    await expect(client.send(new GetSecretValueCommand({ SecretId: id, VersionStage: "AWSPENDING" }))).rejects.toThrow("down");
    expect((await client.send(new GetSecretValueCommand({ SecretId: id, VersionStage: "AWSPENDING" }))).SecretString).toBe("x");
  });
});
