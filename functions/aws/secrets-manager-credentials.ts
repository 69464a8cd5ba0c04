/** The purge worker's credential loader: AWSCURRENT of the rotating secret, parsed with the stored-secret schema. */
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import type { LoadedCredential } from "../../core/secrets/credential-cache";
import { EdgeGridSecretError, parseEdgeGridSecret } from "../../core/secrets/edgegrid-secret";

/**
 * Reads AWSCURRENT of `secretId` with GetSecretValue. Errors carry the secret id and the AWS error name,
 * never the value.
 */
export function secretsManagerCredentialLoader(client: SecretsManagerClient, secretId: string): () => Promise<LoadedCredential> {
  return async () => {
    let answer: GetSecretValueCommandOutput;
    try {
      answer = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: "AWSCURRENT" }));
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      const message = error instanceof Error ? error.message : String(error);
      throw new EdgeGridSecretError(`cannot read the EdgeGrid secret ${secretId} (AWSCURRENT): ${name}: ${message}`);
    }
    if (typeof answer.SecretString !== "string") {
      throw new EdgeGridSecretError(`the EdgeGrid secret ${secretId} (AWSCURRENT) has no SecretString`);
    }
    const credentials = parseEdgeGridSecret(answer.SecretString, `the EdgeGrid secret ${secretId} (AWSCURRENT)`);
    return answer.VersionId === undefined ? { credentials } : { credentials, versionId: answer.VersionId };
  };
}
