/**
 * The Secrets Manager calls the rotation makes, and no others (the rotation Lambda's IAM policy allows
 * DescribeSecret, GetSecretValue, PutSecretValue and UpdateSecretVersionStage on the rotating secret,
 * and GetSecretValue on the bootstrap secret: constructs/aws/credential-rotation.ts).
 *
 * Values read here are secrets: they are returned to the caller and never logged or put in errors.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  AWSPENDING,
  type RotationSecretStore,
  type SecretMetadata,
  type SecretVersionValue,
} from "../../core/rotation/secret-store";

function isNotFound(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === "ResourceNotFoundException";
}

export class SecretsManagerStore implements RotationSecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async describe(secretId: string): Promise<SecretMetadata> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return { rotationEnabled: out.RotationEnabled === true, versionStages: out.VersionIdsToStages ?? {} };
  }

  async getValue(secretId: string, select: { versionId?: string; stage?: string }): Promise<SecretVersionValue | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...(select.versionId !== undefined ? { VersionId: select.versionId } : {}),
          ...(select.stage !== undefined ? { VersionStage: select.stage } : {}),
        }),
      );
      if (out.SecretString === undefined) {
        throw new Error(
          `secret ${secretId} version ${out.VersionId ?? "?"} has no SecretString (binary secrets are not supported)`,
        );
      }
      return { versionId: out.VersionId ?? select.versionId ?? "", secretString: out.SecretString };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async putPending(secretId: string, versionId: string, secretString: string): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: secretString,
        VersionStages: [AWSPENDING],
      }),
    );
  }

  async updateStage(secretId: string, stage: string, change: { moveTo?: string; removeFrom?: string }): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        ...(change.moveTo !== undefined ? { MoveToVersionId: change.moveTo } : {}),
        ...(change.removeFrom !== undefined ? { RemoveFromVersionId: change.removeFrom } : {}),
      }),
    );
  }
}
