/** The CDN token reader: AWSCURRENT's text is the token; every failure names the secret and never the value. */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { secretsManagerCdnTokenReader } from "../../../functions/aws/secrets-manager-cdn-token";

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgeplane/prod/fastly-AbCdEf";

describe("secretsManagerCdnTokenReader", () => {
  const sm = mockClient(SecretsManagerClient);
  const read = secretsManagerCdnTokenReader(new SecretsManagerClient({ region: "eu-west-1" }));
  beforeEach(() => sm.reset());
  afterAll(() => sm.restore());

  it("returns AWSCURRENT's text without surrounding whitespace", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: "  the-token\n" });
    await expect(read(ARN)).resolves.toBe("the-token");
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: ARN, VersionStage: "AWSCURRENT" });
  });

  it("names the secret when it has no value, is empty or binary, or holds more than a token", async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("can't find the specified secret value"), { name: "ResourceNotFoundException" }),
    );
    await expect(read(ARN)).rejects.toThrow(
      `the token secret ${ARN} has no value yet (AWSCURRENT); set it with "edgeplane secrets set"`,
    );
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: " \n" });
    await expect(read(ARN)).rejects.toThrow(`the token secret ${ARN} (AWSCURRENT) is empty or binary`);
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    await expect(read(ARN)).rejects.toThrow("is empty or binary");
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"token": "secret-value-123"}' });
    const error = await read(ARN).catch((e: Error) => e);
    expect(String(error)).toContain(`the token secret ${ARN} (AWSCURRENT) holds more than a token`);
    expect(String(error)).not.toContain("secret-value-123");
  });

  it("names the AWS error otherwise", async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" }));
    await expect(read(ARN)).rejects.toThrow(
      `cannot read the token secret ${ARN} (AWSCURRENT): AccessDeniedException: User is not authorized`,
    );
  });
});
