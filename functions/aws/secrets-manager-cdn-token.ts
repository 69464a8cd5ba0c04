/**
 * Reads a CDN token (Fastly, Cloudflare) from its secret: AWSCURRENT's SecretString is the token only. The value is
 * returned to the caller and never logged or put in an error; errors name the secret and the AWS error.
 */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";

export class CdnTokenSecretError extends Error {
  override name = "CdnTokenSecretError";
}

export function secretsManagerCdnTokenReader(client: Pick<SecretsManagerClient, "send">): (secretArn: string) => Promise<string> {
  return async (secretArn) => {
    let answer: GetSecretValueCommandOutput;
    try {
      answer = await client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: "AWSCURRENT" }));
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      if (name === "ResourceNotFoundException") {
        // The stack creates the secret without a value (Terraform never holds the token).
        throw new CdnTokenSecretError(
          `the token secret ${secretArn} has no value yet (AWSCURRENT); set it with "edgeplane secrets set"`,
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      throw new CdnTokenSecretError(`cannot read the token secret ${secretArn} (AWSCURRENT): ${name}: ${message}`);
    }
    const token = typeof answer.SecretString === "string" ? answer.SecretString.trim() : "";
    if (token === "")
      throw new CdnTokenSecretError(
        `the token secret ${secretArn} (AWSCURRENT) is empty or binary; it must hold the token as text`,
      );
    if (/\s/.test(token))
      throw new CdnTokenSecretError(
        `the token secret ${secretArn} (AWSCURRENT) holds more than a token (it has whitespace inside)`,
      );
    return token;
  };
}
